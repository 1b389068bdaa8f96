//! Results of `usps-batch cancel`, one per row, so that a cancel run can resume and later
//! reports leave cancelled labels out of the print file and the postage total.

use std::collections::HashSet;

use rusqlite::{params, Connection, OptionalExtension};

/// The result of cancelling one row's label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelRecord {
    pub row: u64,
    pub tracking_number: String,
    /// `CANCELED` or `DISPUTED` (a refund request) from USPS, or `failed`.
    pub status: String,
    pub dispute_id: Option<String>,
    pub message: String,
}

impl CancelRecord {
    /// Returns whether USPS accepted the cancel or the refund request.
    pub fn is_done(&self) -> bool {
        matches!(self.status.as_str(), "CANCELED" | "DISPUTED")
    }
}

/// Records the result of a cancel, replacing an earlier one of the row.
///
/// NOTE: results are keyed by row, so cancelling a row that a `--fresh` run over a reordered
/// manifest gave another label replaces the record of the label cancelled there before. That
/// label stays marked in its row's outcome (`usps_cancel_status`) until the next `--fresh`.
pub fn record(
    connection: &Connection,
    job_id: &str,
    cancel: &CancelRecord,
    now: i64,
) -> rusqlite::Result<()> {
    connection.execute(
        "INSERT INTO label_cancels (job_id, row, tracking_number, status, dispute_id, message, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (job_id, row) DO UPDATE SET tracking_number = excluded.tracking_number,
             status = excluded.status, dispute_id = excluded.dispute_id,
             message = excluded.message, updated_at = excluded.updated_at",
        params![
            job_id,
            cancel.row as i64,
            cancel.tracking_number,
            cancel.status,
            cancel.dispute_id,
            cancel.message,
            now
        ],
    )?;
    Ok(())
}

/// Jobs that share the name of job `?1`: the same job file run on its input under another
/// path. Their purchases are the same orders, because pins are keyed by the job's name, so
/// their cancels count for it too.
const SAME_NAME: &str = "(job_id = ?1 OR job_id IN (SELECT job_id FROM jobs
     WHERE name = (SELECT name FROM jobs WHERE job_id = ?1)))";

/// Returns the latest recorded cancel of the label `tracking_number` in the job or a job of
/// the same name, if any.
pub fn find(
    connection: &Connection,
    job_id: &str,
    tracking_number: &str,
) -> rusqlite::Result<Option<CancelRecord>> {
    connection
        .query_row(
            &format!(
                "SELECT row, tracking_number, status, dispute_id, message FROM label_cancels
                 WHERE {SAME_NAME} AND tracking_number = ?2 ORDER BY updated_at DESC LIMIT 1"
            ),
            params![job_id, tracking_number],
            record_from_row,
        )
        .optional()
}

/// Returns the cancels that USPS accepted (`CANCELED` or `DISPUTED`) in the job or a job of
/// the same name, by row.
pub fn accepted(connection: &Connection, job_id: &str) -> rusqlite::Result<Vec<CancelRecord>> {
    let mut statement = connection.prepare(&format!(
        "SELECT row, tracking_number, status, dispute_id, message FROM label_cancels
         WHERE {SAME_NAME} AND status IN ('CANCELED', 'DISPUTED') ORDER BY row"
    ))?;
    let records = statement.query_map([job_id], record_from_row)?;
    records.collect()
}

/// run over a reordered manifest moves an order's label to another row.
pub fn cancelled_tracking_numbers(
    connection: &Connection,
    job_id: &str,
) -> rusqlite::Result<HashSet<String>> {
    let accepted = accepted(connection, job_id)?;
    Ok(accepted
        .into_iter()
        .map(|record| record.tracking_number)
        .collect())
}

/// Reads a record from a row of `SELECT row, tracking_number, status, dispute_id, message`.
fn record_from_row(found: &rusqlite::Row<'_>) -> rusqlite::Result<CancelRecord> {
    Ok(CancelRecord {
        row: found.get::<_, i64>(0)? as u64,
        tracking_number: found.get(1)?,
        status: found.get(2)?,
        dispute_id: found.get(3)?,
        message: found.get(4)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_accepted_cancels_count() {
        let connection = Connection::open_in_memory().unwrap();
        crate::state::schema::migrate(&connection).unwrap();
        let mut cancel = CancelRecord {
            row: 3,
            tracking_number: "9205".into(),
            status: "failed".into(),
            dispute_id: None,
            message: "HTTP 503".into(),
        };
        record(&connection, "job", &cancel, 0).unwrap();
        assert!(cancelled_tracking_numbers(&connection, "job")
            .unwrap()
            .is_empty());
        cancel.status = "CANCELED".into();
        record(&connection, "job", &cancel, 1).unwrap();
        assert_eq!(
            cancelled_tracking_numbers(&connection, "job").unwrap(),
            HashSet::from(["9205".to_string()])
        );
        assert_eq!(accepted(&connection, "job").unwrap(), [cancel]);
        assert!(find(&connection, "job", "9205").unwrap().unwrap().is_done());
    }
}
