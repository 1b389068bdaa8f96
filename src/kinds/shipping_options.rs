//! Kind `shipping-options`: `POST /shipments/v3/options/search`, every way to ship one
//! domestic package, reduced to the cheapest and the fastest option.

use rust_decimal::Decimal;

use super::domestic_price::money;
use super::{generic_error, unreadable_answer, Kind, Prepared, RowError, RowOutcome, RowStatus};
use crate::checks::{self, RowIssue, Units};
use crate::client::{Answer, ApiRequest, Method};
use crate::job::JobKind;
use crate::manifest::{ColumnMap, FieldSpec, Record, SHIPPING_OPTIONS_FIELDS};
use crate::usps::paths;
use crate::usps::shipping_options::DomesticOptionsResponse;

pub struct ShippingOptionsKind {
    units: Units,
}

impl ShippingOptionsKind {
    pub fn new(units: Units) -> ShippingOptionsKind {
        ShippingOptionsKind { units }
    }
}

/// Result columns, in output order.
pub const COLUMNS: &[&str] = &[
    "usps_option_count",
    "usps_cheapest_mail_class",
    "usps_cheapest_price",
    "usps_cheapest_delivery_date",
    "usps_fastest_mail_class",
    "usps_fastest_price",
    "usps_fastest_delivery_date",
    "usps_options",
];

impl Kind for ShippingOptionsKind {
    fn job_kind(&self) -> JobKind {
        JobKind::ShippingOptions
    }

    fn fields(&self) -> &'static [FieldSpec] {
        SHIPPING_OPTIONS_FIELDS
    }

    fn result_columns(&self) -> &'static [&'static str] {
        COLUMNS
    }

    fn prepare(&self, record: &Record, columns: &ColumnMap) -> Result<Prepared, RowIssue> {
        let prepared =
            checks::prepare_options(record, columns, self.units, jiff::Timestamp::now())?;
        let body = serde_json::to_value(&prepared.query)
            .expect("an options request always serializes to JSON");
        Ok(Prepared {
            request: ApiRequest {
                api: "shipments",
                method: Method::Post,
                path: paths::SHIPPING_OPTIONS,
                query: Vec::new(),
                body: Some(body),
                path_filled: None,
                headers: Vec::new(),
                file_stem: None,
            },
            notes: prepared.notes,
        })
    }

    fn interpret(&self, _request: &ApiRequest, answer: &Answer) -> RowOutcome {
        match answer.status {
            200..=299 => match serde_json::from_str::<DomesticOptionsResponse>(&answer.body) {
                Ok(found) => interpret_options(answer, &found),
                Err(error) => unreadable_answer(answer, &error),
            },
            400 => super::domestic_price::interpret_error(answer),
            404 => generic_error(answer, RowStatus::NotFound, "unexpected_status"),
            _ => generic_error(answer, RowStatus::Error, "unexpected_status"),
        }
    }
}

/// One priced option, flattened from the response.
struct Choice {
    mail_class: String,
    price: Decimal,
    /// `YYYY-MM-DD`, empty when USPS sent no commitment.
    delivery_date: String,
}

fn interpret_options(answer: &Answer, found: &DomesticOptionsResponse) -> RowOutcome {
    let mut choices = Vec::new();
    for pricing in &found.pricing_options {
        for option in &pricing.shipping_options {
            for rate in &option.rate_options {
                // An option without a price cannot be compared, and 0.00 would win every time.
                let Some(price) = rate.total_price.or(rate.total_base_price) else {
                    continue;
                };
                let delivery_date = rate
                    .commitment
                    .as_ref()
                    .and_then(|commitment| {
                        commitment
                            .expected_delivery_date
                            .clone()
                            .or_else(|| commitment.schedule_delivery_date.clone())
                    })
                    .unwrap_or_default();
                choices.push(Choice {
                    mail_class: option.mail_class.clone(),
                    price,
                    delivery_date,
                });
            }
        }
    }
    let cheapest = choices.iter().min_by_key(|choice| choice.price);
    // Options without a delivery date sort last.
    let fastest = choices
        .iter()
        .filter(|choice| !choice.delivery_date.is_empty())
        .min_by(|a, b| {
            a.delivery_date
                .cmp(&b.delivery_date)
                .then(a.price.cmp(&b.price))
        });
    let Some(cheapest) = cheapest else {
        return RowOutcome::failure(
            RowStatus::Error,
            RowError {
                code: "missing_price".into(),
                usps_code: None,
                field: Some("totalPrice".into()),
                message: "USPS returned 200 without any priced shipping option; rerun with \
                          --retry-errors to ask USPS again, or report the raw answer to USPS"
                    .into(),
                retryable: false,
                http_status: Some(answer.status),
                raw: Some(answer.body.clone()),
            },
        );
    };
    let listed = choices
        .iter()
        .map(|choice| {
            let date = if choice.delivery_date.is_empty() {
                String::new()
            } else {
                format!(" by {}", choice.delivery_date)
            };
            format!("{} {}{date}", choice.mail_class, money(choice.price))
        })
        .collect::<Vec<_>>()
        .join("; ");
    let values = vec![
        choices.len().to_string(),
        cheapest.mail_class.clone(),
        money(cheapest.price),
        cheapest.delivery_date.clone(),
        fastest.map(|f| f.mail_class.clone()).unwrap_or_default(),
        fastest.map(|f| money(f.price)).unwrap_or_default(),
        fastest.map(|f| f.delivery_date.clone()).unwrap_or_default(),
        listed,
    ];
    RowOutcome::success(RowStatus::Ok, values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::{LengthUnit, WeightUnit};

    fn kind() -> ShippingOptionsKind {
        ShippingOptionsKind::new(Units {
            weight: WeightUnit::Pound,
            dimensions: LengthUnit::Inch,
        })
    }

    fn request() -> ApiRequest {
        ApiRequest {
            api: "shipments",
            method: Method::Post,
            path: paths::SHIPPING_OPTIONS,
            query: Vec::new(),
            body: None,
            path_filled: None,
            headers: Vec::new(),
            file_stem: None,
        }
    }

    fn answer(status: u16, body: &str) -> Answer {
        Answer {
            status,
            body: body.to_string(),
            content_type: None,
        }
    }

    fn column(outcome: &RowOutcome, name: &str) -> String {
        let index = COLUMNS.iter().position(|column| *column == name).unwrap();
        outcome.values[index].clone()
    }

    #[test]
    fn cheapest_and_fastest_are_picked() {
        let body = r#"{"pricingOptions": [{"shippingOptions": [
            {"mailClass": "USPS_GROUND_ADVANTAGE", "rateOptions": [{"totalBasePrice": 7.5,
                "commitment": {"name": "5 Days", "expectedDeliveryDate": "2026-03-15"}}]},
            {"mailClass": "PRIORITY_MAIL", "rateOptions": [{"totalBasePrice": 9,
                "commitment": {"name": "2 Days", "scheduleDeliveryDate": "2026-03-12"}}]},
            {"mailClass": "MEDIA_MAIL", "rateOptions": [{"commitment": {"name": "8 Days"}}]}
        ]}]}"#;
        let outcome = kind().interpret(&request(), &answer(200, body));
        assert_eq!(outcome.status, RowStatus::Ok);
        assert_eq!(column(&outcome, "usps_option_count"), "2");
        assert_eq!(
            column(&outcome, "usps_cheapest_mail_class"),
            "USPS_GROUND_ADVANTAGE"
        );
        assert_eq!(column(&outcome, "usps_cheapest_price"), "7.50");
        assert_eq!(column(&outcome, "usps_fastest_mail_class"), "PRIORITY_MAIL");
        assert_eq!(column(&outcome, "usps_fastest_price"), "9.00");
        assert_eq!(column(&outcome, "usps_fastest_delivery_date"), "2026-03-12");
    }

    #[test]
    fn no_priced_option_is_missing_price() {
        let body = r#"{"pricingOptions": [{"shippingOptions": []}]}"#;
        let outcome = kind().interpret(&request(), &answer(200, body));
        assert_eq!(outcome.error.unwrap().code, "missing_price");
    }
}
