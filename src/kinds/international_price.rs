//! Kind `international-price`: the postage of one package to another country per call, by
//! `POST /international-prices/v3/base-rates/search`, or by
//! `POST /international-prices/v3/total-rates/search` when the job sets `extra_services`.
//!
//! The responses have the domestic shapes, so the result columns and their interpretation
//! are those of [`super::domestic_price`]. `usps_zone` holds the price group of the
//! destination country, which USPS returns in the `zone` field.

use super::domestic_price::{interpret_price, COLUMNS};
use super::{Kind, Prepared, RowOutcome};
use crate::checks::{self, RowIssue, Units};
use crate::client::{Answer, ApiRequest, Method};
use crate::job::JobKind;
use crate::manifest::{ColumnMap, FieldSpec, Record, INTERNATIONAL_PRICE_FIELDS};
use crate::usps::international_prices::InternationalTotalRatesQuery;
use crate::usps::paths;

pub struct InternationalPriceKind {
    units: Units,
    extra_services: Vec<u16>,
}

impl InternationalPriceKind {
    pub fn new(units: Units, extra_services: Vec<u16>) -> InternationalPriceKind {
        InternationalPriceKind {
            units,
            extra_services,
        }
    }
}

impl Kind for InternationalPriceKind {
    fn job_kind(&self) -> JobKind {
        JobKind::InternationalPrice
    }

    fn fields(&self) -> &'static [FieldSpec] {
        INTERNATIONAL_PRICE_FIELDS
    }

    fn result_columns(&self) -> &'static [&'static str] {
        COLUMNS
    }

    fn prepare(&self, record: &Record, columns: &ColumnMap) -> Result<Prepared, RowIssue> {
        let prepared =
            checks::prepare_international(record, columns, self.units, jiff::Timestamp::now())?;
        let (path, body) = if self.extra_services.is_empty() {
            (
                paths::INTERNATIONAL_BASE_RATES,
                serde_json::to_value(&prepared.query),
            )
        } else {
            checks::check_international_total_rates_fields(record, columns, &prepared.query)?;
            let query =
                InternationalTotalRatesQuery::from_base(&prepared.query, &self.extra_services);
            (
                paths::INTERNATIONAL_TOTAL_RATES,
                serde_json::to_value(&query),
            )
        };
        let body = body.expect("a price query always serializes to JSON");
        Ok(Prepared {
            request: ApiRequest {
                api: "international-prices",
                method: Method::Post,
                path,
                query: Vec::new(),
                body: Some(body),
                path_filled: None,
                headers: Vec::new(),
                file_stem: None,
            },
            notes: prepared.notes,
        })
    }

    fn interpret(&self, request: &ApiRequest, answer: &Answer) -> RowOutcome {
        interpret_price(request, answer)
    }
}
