//! Kind `domestic-price`: the postage of one domestic package per call, by
//! `POST /prices/v3/base-rates/search`, or by `POST /prices/v3/total-rates/search` when the
//! job sets `extra_services`.

use rust_decimal::Decimal;

use super::{generic_error, unreadable_answer, Kind, Prepared, RowError, RowOutcome, RowStatus};
use crate::checks::{self, RowIssue, Units};
use crate::client::{Answer, ApiRequest, Method};
use crate::job::JobKind;
use crate::manifest::{ColumnMap, FieldSpec, Record, DOMESTIC_PRICE_FIELDS};
use crate::usps::error::parse_error;
use crate::usps::paths;
use crate::usps::prices::{
    BaseRatesResponse, ExtraServicePrice, RateDetails, TotalRatesQuery, TotalRatesResponse,
};

pub struct DomesticPriceKind {
    units: Units,
    extra_services: Vec<u16>,
}

impl DomesticPriceKind {
    pub fn new(units: Units, extra_services: Vec<u16>) -> DomesticPriceKind {
        DomesticPriceKind {
            units,
            extra_services,
        }
    }
}

/// Result columns, in output order.
pub const COLUMNS: &[&str] = &[
    "usps_total_base_price",
    "usps_fees",
    "usps_fees_total",
    "usps_sku",
    "usps_zone",
    "usps_billed_weight",
    "usps_dim_weight",
    "usps_dim_weight_applied",
    "usps_price_type",
    "usps_description",
    "usps_extra_services",
    "usps_extra_services_total",
    "usps_total_price",
];

impl Kind for DomesticPriceKind {
    fn job_kind(&self) -> JobKind {
        JobKind::DomesticPrice
    }

    fn fields(&self) -> &'static [FieldSpec] {
        DOMESTIC_PRICE_FIELDS
    }

    fn result_columns(&self) -> &'static [&'static str] {
        COLUMNS
    }

    fn prepare(&self, record: &Record, columns: &ColumnMap) -> Result<Prepared, RowIssue> {
        let prepared = checks::prepare_price(record, columns, self.units, jiff::Timestamp::now())?;
        let (path, body) = if self.extra_services.is_empty() {
            (paths::BASE_RATES, serde_json::to_value(&prepared.query))
        } else {
            checks::check_total_rates_fields(record, columns, &prepared.query)?;
            let query = TotalRatesQuery::from_base(&prepared.query, &self.extra_services);
            (paths::TOTAL_RATES, serde_json::to_value(&query))
        };
        let body = body.expect("a price query always serializes to JSON");
        Ok(Prepared {
            request: ApiRequest {
                api: "prices",
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

/// Interprets a base-rates or total-rates response of Domestic or International Prices, which
/// share their response shapes and error codes.
pub(super) fn interpret_price(request: &ApiRequest, answer: &Answer) -> RowOutcome {
    if !(200..300).contains(&answer.status) {
        return interpret_error(answer);
    }
    if request.path.ends_with("/total-rates/search") {
        return match serde_json::from_str::<TotalRatesResponse>(&answer.body) {
            Ok(found) => interpret_total_rates(request, answer, &found),
            Err(error) => unreadable_answer(answer, &error),
        };
    }
    match serde_json::from_str::<BaseRatesResponse>(&answer.body) {
        Ok(found) => {
            let priced = Priced {
                total_base_price: found.total_base_price,
                rates: &found.rates,
                extra_services: &[],
                total_price: None,
            };
            interpret_rates(answer, &priced)
        }
        Err(error) => unreadable_answer(answer, &error),
    }
}

/// Formats an amount of money with exactly two decimals, rounding a half cent up as postage
/// prices are, not to even.
pub(super) fn money(amount: Decimal) -> String {
    let mut rounded =
        amount.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    rounded.rescale(2);
    rounded.to_string()
}

/// Parts of a base-rates or total-rates response that fill the result columns.
struct Priced<'a> {
    total_base_price: Option<Decimal>,
    rates: &'a [RateDetails],
    extra_services: &'a [ExtraServicePrice],
    total_price: Option<Decimal>,
}

/// Uses the first rate option of a total-rates response. USPS may list several options for one
/// mail class (one per entry facility, for example), so the choice is noted.
fn interpret_total_rates(
    request: &ApiRequest,
    answer: &Answer,
    found: &TotalRatesResponse,
) -> RowOutcome {
    let Some(option) = found.rate_options.first() else {
        return missing_price(answer);
    };
    // A total without one of the requested services would under-quote the shipment.
    let requested = requested_extra_services(request);
    let missing: Vec<String> = requested
        .iter()
        .map(u64::to_string)
        .filter(|code| {
            !option
                .extra_services
                .iter()
                .any(|extra| extra.extra_service == *code && extra.price.is_some())
        })
        .collect();
    if !missing.is_empty() {
        return incomplete_quote(
            answer,
            format!(
                "USPS returned no price for extra service {}; the total would be too low. \
                 Check that the services apply to this mail class, or remove them from \
                 extra_services, and rerun",
                missing.join(", ")
            ),
        );
    }
    let priced = Priced {
        total_base_price: option.total_base_price,
        rates: &option.rates,
        extra_services: &option.extra_services,
        total_price: option.total_price,
    };
    let mut outcome = interpret_rates(answer, &priced);
    let count = found.rate_options.len();
    if count > 1 && outcome.status.is_success() {
        outcome.notes.push(format!(
            "USPS returned {count} rate options; the first one is in the result columns"
        ));
    }
    outcome
}

/// Extra service codes in a total-rates request body.
fn requested_extra_services(request: &ApiRequest) -> Vec<u64> {
    request
        .body
        .as_ref()
        .and_then(|body| body["extraServices"].as_array())
        .map(|codes| codes.iter().filter_map(serde_json::Value::as_u64).collect())
        .unwrap_or_default()
}

fn incomplete_quote(answer: &Answer, message: String) -> RowOutcome {
    RowOutcome::failure(
        RowStatus::Error,
        RowError {
            code: "incomplete_quote".into(),
            usps_code: None,
            field: None,
            message,
            retryable: false,
            http_status: Some(answer.status),
            raw: Some(answer.body.clone()),
        },
    )
}

fn missing_price(answer: &Answer) -> RowOutcome {
    RowOutcome::failure(
        RowStatus::Error,
        RowError {
            code: "missing_price".into(),
            usps_code: None,
            field: Some("totalBasePrice".into()),
            message: "USPS returned 200 without totalBasePrice or a rate price; the row has \
                      no price. Rerun with --retry-errors to ask USPS again, or report the raw answer to USPS"
                .into(),
            retryable: false,
            http_status: Some(answer.status),
            raw: Some(answer.body.clone()),
        },
    )
}

fn interpret_rates(answer: &Answer, found: &Priced) -> RowOutcome {
    let rate = found.rates.first();
    // A total of 0.00 would be read as free postage, so a 200 without any price is an error.
    // Without totalBasePrice the rates are summed, but only when every rate has a price.
    let rate_prices: Vec<Option<Decimal>> = found.rates.iter().map(|rate| rate.price).collect();
    let priced_count = rate_prices.iter().flatten().count();
    // A rate or fee without a price means USPS priced only part of the shipment; a total
    // over the rest would under-quote it, whatever totalBasePrice reports.
    let unpriced_fee = found
        .rates
        .iter()
        .flat_map(|rate| &rate.fees)
        .find(|fee| fee.price.is_none());
    if priced_count > 0 && priced_count < rate_prices.len() {
        return incomplete_quote(
            answer,
            "USPS returned a rate without a price; the total would under-quote the shipment. \
             Rerun with --retry-errors to ask USPS again, or report the raw answer to USPS"
                .to_owned(),
        );
    }
    if let Some(fee) = unpriced_fee {
        return incomplete_quote(
            answer,
            format!(
                "USPS returned the fee {:?} without a price; the total would under-quote the \
                 shipment. Rerun with --retry-errors to ask USPS again, or report the raw answer to USPS",
                fee.name
            ),
        );
    }
    let negative = found
        .total_base_price
        .into_iter()
        .chain(rate_prices.iter().flatten().copied())
        .any(|price| price < Decimal::ZERO);
    if negative {
        let mut outcome = incomplete_quote(
            answer,
            "USPS returned a negative price, which no shipment has; report the raw answer to \
             USPS"
                .to_owned(),
        );
        if let Some(error) = outcome.error.as_mut() {
            error.code = "invalid_price".into();
        }
        return outcome;
    }
    let total = match found.total_base_price {
        Some(total) => total,
        None if priced_count == 0 => return missing_price(answer),
        None if priced_count < rate_prices.len() => {
            return incomplete_quote(
                answer,
                "USPS returned no totalBasePrice and a rate without a price; summing the \
                 others would under-quote. Rerun with --retry-errors to ask USPS again, or report the raw answer to USPS"
                    .to_owned(),
            )
        }
        None => rate_prices.into_iter().flatten().sum(),
    };
    let fees: Vec<_> = found.rates.iter().flat_map(|rate| &rate.fees).collect();
    let fees_text = fees
        .iter()
        .map(|fee| match fee.price {
            Some(price) => format!("{}: {}", fee.name, money(price)),
            None => fee.name.clone(),
        })
        .collect::<Vec<_>>()
        .join("; ");
    let fees_total: Decimal = fees.iter().filter_map(|fee| fee.price).sum();
    let text = |value: Option<&String>| value.cloned().unwrap_or_default();
    let dim_weight = rate.and_then(|rate| rate.dim_weight);
    let dim_applied = match dim_weight {
        Some(weight) if weight > Decimal::ZERO => "Y",
        Some(_) => "N",
        None => "",
    };
    let mut values = vec![
        money(total),
        fees_text,
        money(fees_total),
        text(rate.and_then(|rate| rate.sku.as_ref())),
        text(rate.and_then(|rate| rate.zone.as_ref())),
        rate.and_then(|rate| rate.weight)
            .map(|weight| weight.normalize().to_string())
            .unwrap_or_default(),
        dim_weight
            .map(|weight| weight.normalize().to_string())
            .unwrap_or_default(),
        dim_applied.to_owned(),
        text(rate.and_then(|rate| rate.price_type.as_ref())),
        text(rate.and_then(|rate| rate.description.as_ref())),
    ];
    let extras_text = found
        .extra_services
        .iter()
        .map(|extra| {
            let price = extra.price.map(money).unwrap_or_default();
            format!("{} {}: {price}", extra.extra_service, extra.name)
        })
        .collect::<Vec<_>>()
        .join("; ");
    let extras_total: Decimal = found
        .extra_services
        .iter()
        .filter_map(|extra| extra.price)
        .sum();
    let has_extras = !found.extra_services.is_empty();
    values.push(extras_text);
    values.push(if has_extras {
        money(extras_total)
    } else {
        String::new()
    });
    // Without extra services the total is the base price. With them it is USPS's
    // totalPrice, or the sum when USPS left it out.
    let total_price = match found.total_price {
        Some(total_price) => total_price,
        None => total + extras_total,
    };
    values.push(money(total_price));
    let mut outcome = RowOutcome::success(RowStatus::Ok, values);
    // A warning can change what the price means: a contract rate that was not found comes
    // back as the published rate with warning 001.
    for warning in found.rates.iter().flat_map(|rate| &rate.warnings) {
        outcome.notes.push(describe_warning(warning));
    }
    if has_extras && money(total_price) != money(total + extras_total) {
        outcome.notes.push(format!(
            "USPS totalPrice {} differs from the base price plus extra services {}; check the \
             raw answer before billing",
            money(total_price),
            money(total + extras_total)
        ));
    }
    outcome
}

/// Describes a rate's warning (`warningCode` and `warningDescription` in the USPS responses)
/// for the row's notes.
fn describe_warning(warning: &serde_json::Value) -> String {
    let field = |name: &str| warning.get(name).and_then(serde_json::Value::as_str);
    match (field("warningCode"), field("warningDescription")) {
        (Some(code), Some(description)) => format!("USPS warning {code}: {description}"),
        (None, Some(description)) => format!("USPS warning: {description}"),
        _ => format!("USPS warning: {warning}"),
    }
}

/// Interprets an error response of the Prices and Shipping Options APIs, which share the
/// 030xxx codes of the USPS error inventory.
pub(super) fn interpret_error(answer: &Answer) -> RowOutcome {
    if answer.status != 400 {
        let status = if answer.status == 404 {
            RowStatus::NotFound
        } else {
            RowStatus::Error
        };
        return generic_error(answer, status, "unexpected_status");
    }
    let error = parse_error(answer.status, &answer.body);
    let code = match error.code.as_str() {
        "030001" => "zone_not_found",
        "030002" => "invalid_service_combination",
        "030003" => "unsupported_mailing_date",
        "030004" | "030009" => "invalid_weight",
        "030007" => "dimensional_rate_required",
        "030008" | "030023" => "package_too_large",
        "030013" => "no_price_group",
        "030020" | "030022" => "no_rate",
        "030021" => "invalid_extra_service",
        "030024" => "item_value_required",
        "160211" => "past_mailing_date",
        _ => "invalid_request",
    };
    generic_error(answer, RowStatus::InvalidInput, code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::{LengthUnit, WeightUnit};

    fn answer(status: u16, body: &str) -> Answer {
        Answer {
            status,
            body: body.to_string(),
            content_type: None,
        }
    }

    fn kind() -> DomesticPriceKind {
        DomesticPriceKind::new(
            Units {
                weight: WeightUnit::Pound,
                dimensions: LengthUnit::Inch,
            },
            Vec::new(),
        )
    }

    fn request() -> ApiRequest {
        ApiRequest {
            api: "prices",
            method: Method::Post,
            path: paths::BASE_RATES,
            query: Vec::new(),
            body: None,
            path_filled: None,
            headers: Vec::new(),
            file_stem: None,
        }
    }

    fn column(outcome: &RowOutcome, name: &str) -> String {
        let index = COLUMNS.iter().position(|column| *column == name).unwrap();
        outcome.values[index].clone()
    }

    #[test]
    fn unpriced_parts_are_incomplete() {
        let unpriced_rate = r#"{"totalBasePrice": 5, "rates": [{"price": 5}, {"price": null}]}"#;
        let unpriced_fee = r#"{"totalBasePrice": 5, "rates": [{"price": 5,
            "fees": [{"name": "Nonstandard Length fee", "price": null}]}]}"#;
        for body in [unpriced_rate, unpriced_fee] {
            let outcome = kind().interpret(&request(), &answer(200, body));
            assert_eq!(outcome.status, RowStatus::Error, "{body}");
            assert_eq!(outcome.error.unwrap().code, "incomplete_quote", "{body}");
        }
    }

    #[test]
    fn negative_price_is_invalid() {
        let body = r#"{"totalBasePrice": -1, "rates": [{"price": -1}]}"#;
        let outcome = kind().interpret(&request(), &answer(200, body));
        assert_eq!(outcome.error.unwrap().code, "invalid_price");
    }

    #[test]
    fn half_cents_round_up() {
        assert_eq!(money(Decimal::new(12345, 3)), "12.35");
        assert_eq!(money(Decimal::new(12005, 3)), "12.01");
        assert_eq!(money(Decimal::new(5, 0)), "5.00");
    }

    #[test]
    fn rates_fill_columns() {
        let body = r#"{"totalBasePrice": 12.1, "rates": [{"SKU": "DPXX0XXXXR05002",
            "description": "Priority Mail", "priceType": "RETAIL", "price": 8.1,
            "weight": 2, "dimWeight": 0, "zone": "05",
            "fees": [{"name": "Nonstandard Length", "SKU": "X", "price": 4},
                     {"name": "Other", "price": 0.01}]}]}"#;
        let outcome = kind().interpret(&request(), &answer(200, body));
        assert_eq!(outcome.status, RowStatus::Ok);
        assert_eq!(column(&outcome, "usps_total_base_price"), "12.10");
        assert_eq!(
            column(&outcome, "usps_fees"),
            "Nonstandard Length: 4.00; Other: 0.01"
        );
        assert_eq!(column(&outcome, "usps_fees_total"), "4.01");
        assert_eq!(column(&outcome, "usps_zone"), "05");
        assert_eq!(column(&outcome, "usps_dim_weight_applied"), "N");
        assert_eq!(column(&outcome, "usps_billed_weight"), "2");
        assert_eq!(column(&outcome, "usps_extra_services"), "");
        assert_eq!(column(&outcome, "usps_total_price"), "12.10");
    }

    #[test]
    fn total_rates_add_extra_services() {
        let mut request = request();
        request.path = paths::TOTAL_RATES;
        let body = r#"{"rateOptions": [{"totalBasePrice": 4.59, "totalPrice": 5.84,
            "rates": [{"price": 4.59, "zone": "00", "SKU": "DVXP0XXUXC00070"}],
            "extraServices": [{"extraService": "415", "name": "Label Delivery", "price": 1.25}]},
            {"totalBasePrice": 7.86, "totalPrice": 9.11, "rates": [{"price": 7.86}]}]}"#;
        let outcome = kind().interpret(&request, &answer(200, body));
        assert_eq!(outcome.status, RowStatus::Ok);
        assert_eq!(column(&outcome, "usps_total_base_price"), "4.59");
        assert_eq!(
            column(&outcome, "usps_extra_services"),
            "415 Label Delivery: 1.25"
        );
        assert_eq!(column(&outcome, "usps_extra_services_total"), "1.25");
        assert_eq!(column(&outcome, "usps_total_price"), "5.84");
        assert_eq!(outcome.notes.len(), 1, "two options are noted");

        let empty = kind().interpret(&request, &answer(200, r#"{"rateOptions": []}"#));
        assert_eq!(empty.error.unwrap().code, "missing_price");
    }

    #[test]
    fn missing_extra_service_is_incomplete() {
        let mut request = request();
        request.path = paths::TOTAL_RATES;
        request.body = Some(serde_json::json!({"extraServices": [415, 921]}));
        let body = r#"{"rateOptions": [{"totalBasePrice": 4.59, "totalPrice": 5.84,
            "rates": [{"price": 4.59}],
            "extraServices": [{"extraService": "415", "name": "Label Delivery", "price": 1.25}]}]}"#;
        let outcome = kind().interpret(&request, &answer(200, body));
        assert_eq!(outcome.status, RowStatus::Error);
        assert!(outcome.values.is_empty());
        let error = outcome.error.unwrap();
        assert_eq!(error.code, "incomplete_quote");
        assert!(error.message.contains("921"), "{}", error.message);
    }

    #[test]
    fn rates_without_total_are_summed_only_when_complete() {
        let complete = r#"{"rates": [{"price": 4.59}, {"price": 1.01}]}"#;
        let outcome = kind().interpret(&request(), &answer(200, complete));
        assert_eq!(column(&outcome, "usps_total_base_price"), "5.60");
        let partial = r#"{"rates": [{"price": 4.59}, {"SKU": "X"}]}"#;
        let outcome = kind().interpret(&request(), &answer(200, partial));
        assert_eq!(outcome.error.unwrap().code, "incomplete_quote");
    }

    #[test]
    fn answer_without_price_is_missing_price() {
        for body in [
            r#"{"rates": []}"#,
            r#"{"rates": [{"SKU": "DPXX0XXXXR05002", "zone": "05"}]}"#,
        ] {
            let outcome = kind().interpret(&request(), &answer(200, body));
            assert_eq!(outcome.status, RowStatus::Error, "{body}");
            assert!(outcome.values.is_empty(), "no 0.00 price for {body}");
            let error = outcome.error.unwrap();
            assert_eq!(error.code, "missing_price");
            assert_eq!(error.raw.as_deref(), Some(body));
        }
    }

    #[test]
    fn invalid_combination_keeps_usps_code() {
        let body = r#"{"apiVersion":"/prices/v3/","error":{"code":"400",
            "message":"Could not find working sku from SSF ingredients",
            "errors":[{"status":"400","code":"030002","title":"Could not find working sku from SSF ingredients"}]}}"#;
        let outcome = kind().interpret(&request(), &answer(400, body));
        assert_eq!(outcome.status, RowStatus::InvalidInput);
        let error = outcome.error.unwrap();
        assert_eq!(error.code, "invalid_service_combination");
        assert_eq!(error.usps_code.as_deref(), Some("030002"));
        assert!(!error.retryable);
        assert_eq!(error.raw.as_deref(), Some(body));
    }

    #[test]
    fn past_date_code_is_named() {
        let body = r#"{"error":{"code":"400","message":"must be a date in the present or in the future",
            "errors":[{"code":"160211"}]}}"#;
        let outcome = kind().interpret(&request(), &answer(400, body));
        assert_eq!(outcome.error.unwrap().code, "past_mailing_date");
    }
}
