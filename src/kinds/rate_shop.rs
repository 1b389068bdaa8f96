//! Kind `rate-shop`: for each shipment, the cheapest of the job's services that meets the
//! row's deadline, from one `POST /shipments/v3/options/search` per row.
//!
//! Shipping Options quotes every outbound class in one call, so the choice costs one call
//! whatever the number of services compared. The deadline is a `deliverBy` date or
//! `maxDays` calendar days after the mailing date. It is not sent: it travels in the
//! request's query, which a POST never sends and which is no part of the request key. Rows
//! with the same package therefore share one call, and each gets the choice for its own
//! deadline.

use std::str::FromStr;

use jiff::civil::Date;
use rust_decimal::Decimal;

use super::domestic_price::money;
use super::{generic_error, unreadable_answer, Kind, Prepared, RowError, RowOutcome, RowStatus};
use crate::checks::{self, RowIssue, Units};
use crate::client::{Answer, ApiRequest, Method};
use crate::job::JobKind;
use crate::manifest::{ColumnMap, FieldSpec, Record, RATE_SHOP_FIELDS};
use crate::usps::paths;
use crate::usps::shipping_options::DomesticOptionsResponse;

/// Name of the request value that carries the row's deadline, `YYYY-MM-DD`.
const DEADLINE: &str = "deliverBy";

pub struct RateShopKind {
    units: Units,
    /// Mail classes compared; empty for every class that Shipping Options quotes.
    services: Vec<String>,
}

impl RateShopKind {
    pub fn new(units: Units, services: Vec<String>) -> RateShopKind {
        RateShopKind { units, services }
    }

    /// Returns the `mailClass` to request: the one service, or the group that contains the
    /// services.
    fn requested_class(&self) -> String {
        match self.services.as_slice() {
            [one] => one.clone(),
            services
                if !services.is_empty()
                    && services
                        .iter()
                        .all(|class| class.ends_with("RETURN_SERVICE")) =>
            {
                "ALL_RETURNS".to_owned()
            }
            _ => "ALL_OUTBOUND".to_owned(),
        }
    }

    fn allows(&self, mail_class: &str) -> bool {
        self.services.is_empty() || self.services.iter().any(|class| class == mail_class)
    }
}

/// Result columns, in output order.
pub const COLUMNS: &[&str] = &[
    "usps_deadline",
    "usps_on_time_count",
    "usps_chosen_mail_class",
    "usps_chosen_price",
    "usps_chosen_delivery_date",
    "usps_runner_up_mail_class",
    "usps_runner_up_price",
    "usps_runner_up_delivery_date",
];

impl Kind for RateShopKind {
    fn job_kind(&self) -> JobKind {
        JobKind::RateShop
    }

    fn fields(&self) -> &'static [FieldSpec] {
        RATE_SHOP_FIELDS
    }

    fn result_columns(&self) -> &'static [&'static str] {
        COLUMNS
    }

    fn prepare(&self, record: &Record, columns: &ColumnMap) -> Result<Prepared, RowIssue> {
        let mut prepared =
            checks::prepare_options(record, columns, self.units, jiff::Timestamp::now())?;
        prepared.query.package_description.mail_class = self.requested_class();
        let mailing_date: Date = prepared
            .query
            .package_description
            .mailing_date
            .as_deref()
            .and_then(|date| date.parse().ok())
            .expect("prepare_options sets a valid mailing date");
        let deadline = checks::prepare_deadline(record, columns, mailing_date)?;
        let body = serde_json::to_value(&prepared.query)
            .expect("an options request always serializes to JSON");
        Ok(Prepared {
            request: ApiRequest {
                api: "shipments",
                method: Method::Post,
                path: paths::SHIPPING_OPTIONS,
                query: deadline
                    .map(|date| vec![(DEADLINE, date.to_string())])
                    .unwrap_or_default(),
                body: Some(body),
                path_filled: None,
                headers: Vec::new(),
                file_stem: None,
            },
            notes: prepared.notes,
        })
    }

    fn interpret(&self, request: &ApiRequest, answer: &Answer) -> RowOutcome {
        match answer.status {
            200..=299 => match serde_json::from_str::<DomesticOptionsResponse>(&answer.body) {
                Ok(found) => self.choose(request, answer, &found),
                Err(error) => unreadable_answer(answer, &error),
            },
            400 => super::domestic_price::interpret_error(answer),
            404 => generic_error(answer, RowStatus::NotFound, "unexpected_status"),
            _ => generic_error(answer, RowStatus::Error, "unexpected_status"),
        }
    }
}

/// One priced option of an allowed service.
#[derive(Debug, Clone)]
struct Candidate {
    mail_class: String,
    price: Decimal,
    delivery_date: Option<Date>,
}

impl RateShopKind {
    /// Collects the priced options of the allowed services.
    fn candidates(&self, found: &DomesticOptionsResponse) -> Vec<Candidate> {
        let mut candidates = Vec::new();
        let options = found
            .pricing_options
            .iter()
            .flat_map(|pricing| &pricing.shipping_options)
            .filter(|option| self.allows(&option.mail_class));
        for option in options {
            for rate in &option.rate_options {
                // An option without a price cannot be compared, and 0.00 would win.
                let Some(price) = rate.total_price.or(rate.total_base_price) else {
                    continue;
                };
                let delivery_date = rate.commitment.as_ref().and_then(|commitment| {
                    let text = commitment
                        .expected_delivery_date
                        .as_deref()
                        .or(commitment.schedule_delivery_date.as_deref())?;
                    Date::from_str(text.get(..10).unwrap_or(text)).ok()
                });
                candidates.push(Candidate {
                    mail_class: option.mail_class.clone(),
                    price,
                    delivery_date,
                });
            }
        }
        candidates
    }

    /// Chooses the cheapest on-time option and the runner-up.
    fn choose(
        &self,
        request: &ApiRequest,
        answer: &Answer,
        found: &DomesticOptionsResponse,
    ) -> RowOutcome {
        let deadline: Option<Date> =
            super::query_value(request, DEADLINE).and_then(|text| text.parse().ok());
        let candidates = self.candidates(found);
        if candidates.is_empty() {
            return failure(
                answer,
                RowStatus::Error,
                "missing_price",
                "USPS returned no priced option for the job's services; check `services` in \
                 the job file, or rerun with --retry-errors to ask USPS again"
                    .to_owned(),
            );
        }

        // Without a deadline every option qualifies. With one, an option qualifies only if
        // its commitment date is known and not later.
        let mut on_time: Vec<&Candidate> = candidates
            .iter()
            .filter(|candidate| match deadline {
                None => true,
                Some(deadline) => candidate.delivery_date.is_some_and(|date| date <= deadline),
            })
            .collect();
        on_time.sort_by(|a, b| {
            a.price
                .cmp(&b.price)
                .then(a.delivery_date.cmp(&b.delivery_date))
        });
        let Some(chosen) = on_time.first() else {
            return none_on_time(answer, deadline, &candidates);
        };

        let runner_up = on_time.get(1);
        let values = vec![
            deadline.map(|date| date.to_string()).unwrap_or_default(),
            on_time.len().to_string(),
            chosen.mail_class.clone(),
            money(chosen.price),
            date_text(chosen),
            runner_up.map(|r| r.mail_class.clone()).unwrap_or_default(),
            runner_up.map(|r| money(r.price)).unwrap_or_default(),
            runner_up.map(|r| date_text(r)).unwrap_or_default(),
        ];
        RowOutcome::success(RowStatus::Ok, values)
    }
}

fn date_text(candidate: &Candidate) -> String {
    candidate
        .delivery_date
        .map(|date| date.to_string())
        .unwrap_or_default()
}

/// Builds the outcome of a row whose deadline no allowed service meets, naming the fastest.
fn none_on_time(answer: &Answer, deadline: Option<Date>, candidates: &[Candidate]) -> RowOutcome {
    let fastest = candidates
        .iter()
        .filter(|candidate| candidate.delivery_date.is_some())
        .min_by(|a, b| {
            a.delivery_date
                .cmp(&b.delivery_date)
                .then(a.price.cmp(&b.price))
        });
    let fastest = match fastest {
        Some(fastest) => format!(
            "the fastest is {} on {} for {}",
            fastest.mail_class,
            date_text(fastest),
            money(fastest.price)
        ),
        None => "USPS gave no delivery date for any of them".to_owned(),
    };
    let deadline = deadline.map(|date| date.to_string()).unwrap_or_default();
    failure(
        answer,
        RowStatus::NotFound,
        "no_service_on_time",
        format!(
            "no allowed service delivers by {deadline}: {fastest}. Move the deadline or the \
             mailing date, or allow faster services, and rerun"
        ),
    )
}

fn failure(answer: &Answer, status: RowStatus, code: &str, message: String) -> RowOutcome {
    RowOutcome::failure(
        status,
        RowError {
            code: code.to_owned(),
            usps_code: None,
            field: None,
            message,
            retryable: false,
            http_status: Some(answer.status),
            raw: Some(answer.body.clone()),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::{LengthUnit, WeightUnit};

    fn kind(services: &[&str]) -> RateShopKind {
        RateShopKind::new(
            Units {
                weight: WeightUnit::Pound,
                dimensions: LengthUnit::Inch,
            },
            services.iter().map(|s| s.to_string()).collect(),
        )
    }

    fn request(deadline: Option<&str>) -> ApiRequest {
        ApiRequest {
            api: "shipments",
            method: Method::Post,
            path: paths::SHIPPING_OPTIONS,
            query: deadline
                .map(|d| vec![(DEADLINE, d.to_string())])
                .unwrap_or_default(),
            body: None,
            path_filled: None,
            headers: Vec::new(),
            file_stem: None,
        }
    }

    const BODY: &str = r#"{"pricingOptions": [{"shippingOptions": [
        {"mailClass": "USPS_GROUND_ADVANTAGE", "rateOptions": [{"totalBasePrice": 7.5,
            "commitment": {"name": "5 Days", "expectedDeliveryDate": "2026-03-15"}}]},
        {"mailClass": "PRIORITY_MAIL", "rateOptions": [{"totalBasePrice": 9,
            "commitment": {"name": "2 Days", "expectedDeliveryDate": "2026-03-12"}}]},
        {"mailClass": "PRIORITY_MAIL_EXPRESS", "rateOptions": [{"totalBasePrice": 30,
            "commitment": {"name": "1 Day", "expectedDeliveryDate": "2026-03-11"}}]}
    ]}]}"#;

    fn answer() -> Answer {
        Answer {
            status: 200,
            body: BODY.to_owned(),
            content_type: None,
        }
    }

    fn column(outcome: &RowOutcome, name: &str) -> String {
        let index = COLUMNS.iter().position(|column| *column == name).unwrap();
        outcome.values[index].clone()
    }

    #[test]
    fn deadline_excludes_late_services() {
        let outcome = kind(&[]).interpret(&request(Some("2026-03-12")), &answer());
        assert_eq!(column(&outcome, "usps_chosen_mail_class"), "PRIORITY_MAIL");
        assert_eq!(column(&outcome, "usps_chosen_price"), "9.00");
        assert_eq!(
            column(&outcome, "usps_runner_up_mail_class"),
            "PRIORITY_MAIL_EXPRESS"
        );
        assert_eq!(column(&outcome, "usps_on_time_count"), "2");
    }

    #[test]
    fn services_limit_the_choice() {
        let outcome =
            kind(&["PRIORITY_MAIL", "PRIORITY_MAIL_EXPRESS"]).interpret(&request(None), &answer());
        assert_eq!(column(&outcome, "usps_chosen_mail_class"), "PRIORITY_MAIL");
        assert_eq!(column(&outcome, "usps_deadline"), "");
    }

    #[test]
    fn nothing_on_time_names_the_fastest() {
        let outcome = kind(&[]).interpret(&request(Some("2026-03-10")), &answer());
        assert_eq!(outcome.status, RowStatus::NotFound);
        let error = outcome.error.unwrap();
        assert_eq!(error.code, "no_service_on_time");
        assert!(
            error
                .message
                .contains("PRIORITY_MAIL_EXPRESS on 2026-03-11 for 30.00"),
            "{}",
            error.message
        );
    }

    #[test]
    fn requested_class_covers_services() {
        assert_eq!(kind(&[]).requested_class(), "ALL_OUTBOUND");
        assert_eq!(kind(&["MEDIA_MAIL"]).requested_class(), "MEDIA_MAIL");
        assert_eq!(
            kind(&[
                "PRIORITY_MAIL_RETURN_SERVICE",
                "USPS_GROUND_ADVANTAGE_RETURN_SERVICE"
            ])
            .requested_class(),
            "ALL_RETURNS"
        );
    }
}
