//! Kind `service-standard`: the expected delivery date and days of a mail class between two
//! ZIP Codes, by `GET /service-standards/v3/estimates`.

use super::{generic_error, unreadable_answer, Kind, Prepared, RowError, RowOutcome, RowStatus};
use crate::checks::{self, RowIssue, Units};
use crate::client::{Answer, ApiRequest, Method};
use crate::job::JobKind;
use crate::manifest::{ColumnMap, FieldSpec, Record, SERVICE_STANDARD_FIELDS};
use crate::usps::error::parse_error;
use crate::usps::paths;
use crate::usps::service_standards::Estimate;

pub struct ServiceStandardKind {
    units: Option<Units>,
}

impl ServiceStandardKind {
    pub fn new(units: Option<Units>) -> ServiceStandardKind {
        ServiceStandardKind { units }
    }
}

/// Result columns, in output order. The first columns describe one estimate: the only one,
/// or the earliest delivery when USPS returned several (no mail class, or Ground Advantage
/// without a weight). `usps_estimates` lists them all.
pub const COLUMNS: &[&str] = &[
    "usps_mail_class",
    "usps_service_standard_days",
    "usps_service_standard_message",
    "usps_effective_acceptance_date",
    "usps_expected_delivery_date",
    "usps_guaranteed",
    "usps_estimate_count",
    "usps_estimates",
];

impl Kind for ServiceStandardKind {
    fn job_kind(&self) -> JobKind {
        JobKind::ServiceStandard
    }

    fn fields(&self) -> &'static [FieldSpec] {
        SERVICE_STANDARD_FIELDS
    }

    fn result_columns(&self) -> &'static [&'static str] {
        COLUMNS
    }

    fn prepare(&self, record: &Record, columns: &ColumnMap) -> Result<Prepared, RowIssue> {
        let prepared =
            checks::prepare_estimate(record, columns, self.units, jiff::Timestamp::now())?;
        Ok(Prepared {
            request: ApiRequest {
                api: "service-standards",
                method: Method::Get,
                path: paths::SERVICE_STANDARDS,
                query: prepared.query,
                body: None,
                path_filled: None,
                headers: Vec::new(),
                file_stem: None,
            },
            notes: prepared.notes,
        })
    }

    fn check_columns(&self, columns: &ColumnMap) -> Result<(), String> {
        match (columns.column_name("weight"), self.units) {
            (Some(column), None) => Err(format!(
                "column `{column}` maps to the package weight, but the job file has no [units] table to say in which unit; add [units] with weight and dimensions to the job file"
            )),
            _ => Ok(()),
        }
    }

    fn interpret(&self, _request: &ApiRequest, answer: &Answer) -> RowOutcome {
        match answer.status {
            200..=299 => match serde_json::from_str::<Vec<Estimate>>(&answer.body) {
                Ok(estimates) => interpret_estimates(answer, &estimates),
                Err(error) => unreadable_answer(answer, &error),
            },
            400 => {
                let error = parse_error(answer.status, &answer.body);
                let (status, code) = match error.code.as_str() {
                    "040001" => (RowStatus::NotFound, "no_service_standard"),
                    "040002" => (RowStatus::InvalidInput, "invalid_acceptance_date"),
                    "160288" => (RowStatus::InvalidInput, "invalid_service_combination"),
                    _ => (RowStatus::InvalidInput, "invalid_request"),
                };
                generic_error(answer, status, code)
            }
            404 => generic_error(answer, RowStatus::NotFound, "unexpected_status"),
            _ => generic_error(answer, RowStatus::Error, "unexpected_status"),
        }
    }
}

/// Returns the date part of an estimate's delivery date-time, which USPS sends as
/// `YYYY-MM-DDTHH:MM:SS` or as a bare date.
fn delivery_date(estimate: &Estimate) -> Option<&str> {
    let delivery = estimate.delivery.as_ref()?;
    let text = delivery
        .expected_delivery_date_time
        .as_deref()
        .or(delivery.scheduled_delivery_date_time.as_deref())?;
    text.get(..10)
}

fn interpret_estimates(answer: &Answer, estimates: &[Estimate]) -> RowOutcome {
    let dated: Vec<&Estimate> = estimates
        .iter()
        .filter(|estimate| delivery_date(estimate).is_some())
        .collect();
    // Dates as YYYY-MM-DD sort in calendar order.
    let Some(first) = dated.iter().min_by_key(|estimate| delivery_date(estimate)) else {
        return RowOutcome::failure(
            RowStatus::Error,
            RowError {
                code: "missing_delivery_date".into(),
                usps_code: None,
                field: Some("expectedDeliveryDateTime".into()),
                message: "USPS returned 200 without any estimate that has a delivery date; \
                          rerun with --retry-errors to ask USPS again, or report the raw answer to USPS"
                    .into(),
                retryable: false,
                http_status: Some(answer.status),
                raw: Some(answer.body.clone()),
            },
        );
    };
    let listed = dated
        .iter()
        .map(|estimate| {
            let notes = match estimate.notes.as_deref() {
                Some(notes) => format!(" ({notes})"),
                None => String::new(),
            };
            format!(
                "{}{notes}: {} by {}",
                estimate.mail_class,
                estimate.service_standard_message.as_deref().unwrap_or(""),
                delivery_date(estimate).unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    let guaranteed = match first
        .delivery
        .as_ref()
        .and_then(|delivery| delivery.guaranteed_delivery)
    {
        Some(true) => "Y",
        Some(false) => "N",
        None => "",
    };
    let values = vec![
        first.mail_class.clone(),
        first
            .service_standard
            .as_deref()
            .map(str::trim)
            .unwrap_or_default()
            .to_owned(),
        first.service_standard_message.clone().unwrap_or_default(),
        first.effective_acceptance_date.clone().unwrap_or_default(),
        delivery_date(first).unwrap_or_default().to_owned(),
        guaranteed.to_owned(),
        dated.len().to_string(),
        listed,
    ];
    RowOutcome::success(RowStatus::Ok, values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> Answer {
        Answer {
            status,
            body: body.to_owned(),
            content_type: None,
        }
    }

    fn request() -> ApiRequest {
        ApiRequest {
            api: "service-standards",
            method: Method::Get,
            path: paths::SERVICE_STANDARDS,
            query: Vec::new(),
            body: None,
            path_filled: None,
            headers: Vec::new(),
            file_stem: None,
        }
    }

    #[test]
    fn earliest_estimate_fills_columns() {
        let body = r#"[
            {"mailClass": "USPS_GROUND_ADVANTAGE", "serviceStandard": " 4",
             "serviceStandardMessage": "4 Days", "effectiveAcceptanceDate": "2026-03-10",
             "delivery": {"expectedDeliveryDateTime": "2026-03-14T18:00:00"}},
            {"mailClass": "PRIORITY_MAIL", "serviceStandard": " 2",
             "serviceStandardMessage": "2 Days", "effectiveAcceptanceDate": "2026-03-10",
             "delivery": {"expectedDeliveryDateTime": "2026-03-12T18:00:00",
                 "guaranteedDelivery": false}}]"#;
        let outcome = ServiceStandardKind::new(None).interpret(&request(), &answer(200, body));
        assert_eq!(outcome.status, RowStatus::Ok);
        assert_eq!(outcome.values[0], "PRIORITY_MAIL");
        assert_eq!(outcome.values[1], "2");
        assert_eq!(outcome.values[4], "2026-03-12");
        assert_eq!(outcome.values[5], "N");
        assert_eq!(outcome.values[6], "2");
    }

    #[test]
    fn unknown_pair_is_not_found() {
        let body = r#"{"error": {"code": "400", "message": "A Commitment or Service Standard is not available for this ZIP Code pair.", "errors": [{"code": "040001"}]}}"#;
        let outcome = ServiceStandardKind::new(None).interpret(&request(), &answer(400, body));
        assert_eq!(outcome.status, RowStatus::NotFound);
        assert_eq!(outcome.error.unwrap().code, "no_service_standard");
    }
}
