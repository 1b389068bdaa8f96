//! Kind `city-state`: `GET /addresses/v3/city-state`, the city and state of a ZIP Code.

use super::{generic_error, Kind, Prepared, RowOutcome, RowStatus};
use crate::checks::{self, RowIssue};
use crate::client::{Answer, ApiRequest, Method};
use crate::job::JobKind;
use crate::manifest::Record;
use crate::manifest::{ColumnMap, FieldSpec, CITY_STATE_FIELDS};
use crate::usps::addresses::CityStateResponse;
use crate::usps::paths;

pub struct CityStateKind;

pub const COLUMNS: &[&str] = &["usps_city", "usps_state", "usps_zip_code"];

impl Kind for CityStateKind {
    fn job_kind(&self) -> JobKind {
        JobKind::CityState
    }

    fn fields(&self) -> &'static [FieldSpec] {
        CITY_STATE_FIELDS
    }

    fn result_columns(&self) -> &'static [&'static str] {
        COLUMNS
    }

    fn prepare(&self, record: &Record, columns: &ColumnMap) -> Result<Prepared, RowIssue> {
        let prepared = checks::prepare_city_state(record, columns)?;
        Ok(Prepared {
            request: ApiRequest {
                api: "addresses",
                method: Method::Get,
                path: paths::CITY_STATE,
                query: vec![("ZIPCode", prepared.query.zip_code.clone())],
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
            200..=299 => match serde_json::from_str::<CityStateResponse>(&answer.body) {
                Ok(found) if !super::has_text(&found.city) => {
                    super::incomplete_answer(answer, "city")
                }
                Ok(found) if !super::has_text(&found.state) => {
                    super::incomplete_answer(answer, "state")
                }
                Ok(found) => {
                    // The USPS README's example omits `ZIPCode`; the request's value stands in.
                    let zip = found.zip_code.clone().unwrap_or_else(|| {
                        request
                            .query
                            .first()
                            .map(|(_, value)| value.clone())
                            .unwrap_or_default()
                    });
                    RowOutcome::success(
                        RowStatus::Ok,
                        vec![
                            found.city.unwrap_or_default(),
                            found.state.unwrap_or_default(),
                            zip,
                        ],
                    )
                }
                Err(error) => super::unreadable_answer(answer, &error),
            },
            // The spec declares no 404 here; USPS and the sandbox send 400 with code 010002
            // for a ZIP Code that does not exist.
            404 => generic_error(answer, RowStatus::NotFound, "zip_not_found"),
            400 if crate::usps::error::parse_error(400, &answer.body).code == "010002" => {
                generic_error(answer, RowStatus::NotFound, "zip_not_found")
            }
            400 => generic_error(answer, RowStatus::InvalidInput, "invalid_request"),
            _ => generic_error(answer, RowStatus::Error, "unexpected_status"),
        }
    }
}
