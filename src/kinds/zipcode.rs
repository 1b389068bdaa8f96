//! Kind `zipcode`: `GET /addresses/v3/zipcode`, the ZIP Code and ZIP+4 of a street address.

use super::{
    generic_error, push_normalized, query_value, text, unreadable_answer, zip_plus4, Kind,
    Prepared, RowOutcome, RowStatus,
};
use crate::checks::{self, RowIssue};
use crate::client::{Answer, ApiRequest, Method};
use crate::job::JobKind;
use crate::manifest::Record;
use crate::manifest::{ColumnMap, FieldSpec, ZIPCODE_FIELDS};
use crate::usps::addresses::ZipCodeResponse;
use crate::usps::paths;

pub struct ZipCodeKind;

pub const COLUMNS: &[&str] = &[
    "usps_firm",
    "usps_street_address",
    "usps_secondary_address",
    "usps_city",
    "usps_state",
    "usps_zip_code",
    "usps_zip_plus4",
    "usps_zip",
];

impl Kind for ZipCodeKind {
    fn job_kind(&self) -> JobKind {
        JobKind::ZipCode
    }

    fn fields(&self) -> &'static [FieldSpec] {
        ZIPCODE_FIELDS
    }

    fn result_columns(&self) -> &'static [&'static str] {
        COLUMNS
    }

    fn prepare(&self, record: &Record, columns: &ColumnMap) -> Result<Prepared, RowIssue> {
        let prepared = checks::prepare_zipcode(record, columns)?;
        let query = &prepared.query;
        let mut pairs: Vec<(&'static str, String)> = Vec::new();
        let mut push = |name, value| push_normalized(&mut pairs, name, value);
        push("firm", query.firm.as_ref());
        push("streetAddress", Some(&query.street_address));
        push("secondaryAddress", query.secondary_address.as_ref());
        push("city", Some(&query.city));
        push("state", Some(&query.state));
        push("ZIPCode", query.zip_code.as_ref());
        push("ZIPPlus4", query.zip_plus4.as_ref());
        Ok(Prepared {
            request: ApiRequest {
                api: "addresses",
                method: Method::Get,
                path: paths::ZIPCODE,
                query: pairs,
                body: None,
                path_filled: None,
                headers: Vec::new(),
                file_stem: None,
            },
            notes: prepared.notes,
        })
    }

    fn interpret(&self, request: &ApiRequest, answer: &Answer) -> RowOutcome {
        match answer.status {
            200..=299 => match serde_json::from_str::<ZipCodeResponse>(&answer.body) {
                Ok(found) if !super::has_text(&found.address.zip_code) => {
                    super::incomplete_answer(answer, "address.ZIPCode")
                }
                Ok(found) => {
                    let address = &found.address;
                    let sent_zip = query_value(request, "ZIPCode").unwrap_or("");
                    let status = if sent_zip == address.zip_code.as_deref().unwrap_or("") {
                        RowStatus::Ok
                    } else {
                        RowStatus::Corrected
                    };
                    RowOutcome::success(
                        status,
                        vec![
                            text(&found.firm),
                            text(&address.street_address),
                            text(&address.secondary_address),
                            text(&address.city),
                            text(&address.state),
                            text(&address.zip_code),
                            text(&address.zip_plus4),
                            zip_plus4(&address.zip_code, &address.zip_plus4),
                        ],
                    )
                }
                Err(error) => unreadable_answer(answer, &error),
            },
            404 => generic_error(answer, RowStatus::NotFound, "address_not_found"),
            400 => generic_error(answer, RowStatus::InvalidInput, "invalid_request"),
            _ => generic_error(answer, RowStatus::Error, "unexpected_status"),
        }
    }
}
