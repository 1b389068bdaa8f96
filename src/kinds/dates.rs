//! Mailing dates that a rerun moves forward.

use super::{query_value, Prepared};
use crate::manifest::{ColumnMap, Record};

/// Notes a mailing date that moved forward on a rerun. A row whose manifest gives no
/// mailing (or acceptance) date is sent with today's date at the origin. When an earlier run
/// of the job checkpointed the row on an earlier day, that run's default is in the past now,
/// and USPS would reject it. Today's date is sent instead, and a note records the move.
/// `checkpoint_at` is the time of the row's checkpoint, in Unix milliseconds.
pub fn note_moved_default_date(
    prepared: &mut Prepared,
    record: &Record,
    columns: &ColumnMap,
    checkpoint_at: i64,
) {
    let date_in_manifest = ["mailingDate", "acceptanceDate"]
        .iter()
        .any(|field| columns.value(field, record).is_some());
    if date_in_manifest {
        return;
    }
    let request = &prepared.request;
    let body = request.body.as_ref();
    let sent = body
        .and_then(|body| {
            body.get("mailingDate")
                .or_else(|| body.pointer("/packageDescription/mailingDate"))
        })
        .and_then(serde_json::Value::as_str)
        .or_else(|| query_value(request, "acceptanceDate"));
    let origin = body
        .and_then(|body| body.get("originZIPCode"))
        .and_then(serde_json::Value::as_str)
        .or_else(|| query_value(request, "originZIPCode"));
    let (Some(sent), Some(origin), Ok(checkpoint)) = (
        sent.and_then(|text| text.parse::<jiff::civil::Date>().ok()),
        origin,
        jiff::Timestamp::from_millisecond(checkpoint_at),
    ) else {
        return;
    };
    let earlier = crate::checks::today_at(origin.get(..5).unwrap_or(origin), checkpoint);
    if sent > earlier {
        prepared.notes.push(format!(
            "mailing date {sent} sent: the manifest gives none, and the default of the earlier \
             run that started this row ({earlier}) is in the past now"
        ));
    }
}
