//! Kind `address`: `GET /addresses/v3/address`, one address per call.

use super::{
    generic_error, has_text, incomplete_answer, push_normalized, query_value, text,
    unreadable_answer, zip_plus4, Kind, Prepared, RowError, RowOutcome, RowStatus,
};
use crate::checks::{self, RowIssue};
use crate::client::{Answer, ApiRequest, Method};
use crate::job::JobKind;
use crate::manifest::Record;
use crate::manifest::{ColumnMap, FieldSpec, ADDRESS_FIELDS};
use crate::usps::addresses::{AddressQuery, AddressResponse};
use crate::usps::error::parse_error;
use crate::usps::paths;

pub struct AddressKind;

/// Result columns, in output order.
pub const COLUMNS: &[&str] = &[
    "usps_firm",
    "usps_street_address",
    "usps_secondary_address",
    "usps_city",
    "usps_state",
    "usps_zip_code",
    "usps_zip_plus4",
    "usps_zip",
    "usps_urbanization",
    "usps_urbanization_changed",
    "usps_delivery_point",
    "usps_carrier_route",
    "usps_dpv_confirmation",
    "usps_dpv_cmra",
    "usps_vacant",
    "usps_business",
    "usps_central_delivery_point",
    "usps_match_codes",
    "usps_correction_codes",
    "usps_warnings",
];

impl Kind for AddressKind {
    fn job_kind(&self) -> JobKind {
        JobKind::Address
    }

    fn fields(&self) -> &'static [FieldSpec] {
        ADDRESS_FIELDS
    }

    fn result_columns(&self) -> &'static [&'static str] {
        COLUMNS
    }

    fn prepare(&self, record: &Record, columns: &ColumnMap) -> Result<Prepared, RowIssue> {
        let prepared = checks::prepare_address(record, columns)?;
        Ok(Prepared {
            request: request_for(&prepared.query),
            notes: prepared.notes,
        })
    }

    fn interpret(&self, request: &ApiRequest, answer: &Answer) -> RowOutcome {
        if (200..300).contains(&answer.status) {
            return match serde_json::from_str::<AddressResponse>(&answer.body) {
                Ok(found) if !has_text(&found.address.street_address) => {
                    incomplete_answer(answer, "address.streetAddress")
                }
                Ok(found) => interpret_match(request, &found),
                Err(error) => unreadable_answer(answer, &error),
            };
        }
        interpret_error(request, answer)
    }
}

/// Builds the query with the spec's parameter names; empty values are left out.
pub fn request_for(query: &AddressQuery) -> ApiRequest {
    let mut pairs: Vec<(&'static str, String)> = Vec::new();
    let mut push = |name, value| push_normalized(&mut pairs, name, value);
    push("firm", query.firm.as_ref());
    push("streetAddress", Some(&query.street_address));
    push("secondaryAddress", query.secondary_address.as_ref());
    push("city", query.city.as_ref());
    push("state", Some(&query.state));
    push("urbanization", query.urbanization.as_ref());
    push("ZIPCode", query.zip_code.as_ref());
    push("ZIPPlus4", query.zip_plus4.as_ref());
    ApiRequest {
        api: "addresses",
        method: Method::Get,
        path: paths::ADDRESS,
        path_filled: None,
        query: pairs,
        body: None,
        headers: Vec::new(),
        file_stem: None,
    }
}

fn interpret_match(request: &ApiRequest, found: &AddressResponse) -> RowOutcome {
    let address = &found.address;
    let info = found.additional_info.clone().unwrap_or_default();
    let codes = |entries: &[crate::usps::addresses::CodeText]| {
        entries
            .iter()
            .filter(|entry| !entry.code.is_empty())
            .map(|entry| entry.code.clone())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let match_codes = codes(&found.matches);
    let correction_codes = codes(&found.corrections);
    let urbanization_changed = match (
        query_value(request, "urbanization"),
        address.urbanization.as_deref(),
    ) {
        (None, None) => String::new(),
        (sent, returned) => {
            let changed = sent.unwrap_or("") != returned.unwrap_or("");
            if changed { "Y" } else { "N" }.to_string()
        }
    };
    let values = vec![
        text(&found.firm),
        text(&address.street_address),
        text(&address.secondary_address),
        text(&address.city),
        text(&address.state),
        text(&address.zip_code),
        text(&address.zip_plus4),
        zip_plus4(&address.zip_code, &address.zip_plus4),
        text(&address.urbanization),
        urbanization_changed,
        text(&info.delivery_point),
        text(&info.carrier_route),
        text(&info.dpv_confirmation),
        text(&info.dpv_cmra),
        text(&info.vacant),
        text(&info.business),
        text(&info.central_delivery_point),
        match_codes,
        correction_codes.clone(),
        found.warnings.join("; "),
    ];

    // DPV D and S, and correction 32, confirm the building but not the unit: the address
    // is usable only after a person adds or fixes the unit.
    let dpv = info.dpv_confirmation.as_deref().unwrap_or("");
    let review = match dpv {
        "D" => Some((
            "default_match_needs_unit",
            "USPS matched the building but the unit (apartment, suite or box) is missing; add it",
        )),
        "S" => Some((
            "secondary_not_confirmed",
            "USPS matched the building but could not confirm the unit; check the unit number",
        )),
        "N" => Some((
            "dpv_not_confirmed",
            "USPS standardized the address but could not confirm it as a delivery point",
        )),
        _ if correction_codes.split(' ').any(|code| code == "32") => Some((
            "default_match_needs_unit",
            "USPS matched a default address; add the apartment, suite or box number",
        )),
        _ => None,
    };
    if let Some((code, message)) = review {
        let status = if code == "dpv_not_confirmed" {
            RowStatus::NotFound
        } else {
            RowStatus::Ambiguous
        };
        return RowOutcome {
            status,
            values,
            notes: Vec::new(),
            error: Some(RowError {
                code: code.into(),
                usps_code: None,
                field: Some("secondaryAddress".into()),
                message: message.into(),
                retryable: false,
                http_status: None,
                raw: None,
            }),
            response: None,
        };
    }

    let same = |name: &str, returned: &Option<String>| {
        query_value(request, name).unwrap_or("") == returned.as_deref().unwrap_or("")
    };
    // A ZIP+4 counts only when the input had one; filling it in is standardization.
    let plus4_changed =
        query_value(request, "ZIPPlus4").is_some() && !same("ZIPPlus4", &address.zip_plus4);
    let corrected = !same("ZIPCode", &address.zip_code)
        || !same("city", &address.city)
        || !same("state", &address.state)
        || plus4_changed;
    let status = if corrected {
        RowStatus::Corrected
    } else {
        RowStatus::Ok
    };
    RowOutcome::success(status, values)
}

fn interpret_error(request: &ApiRequest, answer: &Answer) -> RowOutcome {
    if !matches!(answer.status, 400 | 404) {
        return generic_error(answer, RowStatus::Error, "unexpected_status");
    }
    let error = parse_error(answer.status, &answer.body);
    let message = error.message.to_ascii_lowercase();
    // "Multiple addresses" is documented both as 400 (code 010006) and as 404.
    if error.code == "010006" || message.contains("more than one") || message.contains("multiple") {
        return generic_error(answer, RowStatus::Ambiguous, "ambiguous_needs_unit");
    }
    let military = matches!(query_value(request, "state"), Some("AA" | "AE" | "AP"));
    let not_found_code = match error.code.as_str() {
        _ if military => "military_unverified",
        "010002" => "invalid_zip",
        "010003" => "invalid_state",
        "010004" => "invalid_city",
        _ if message.contains("city") => "invalid_city",
        _ => "address_not_found",
    };
    let resolution_failure = answer.status == 404
        || matches!(
            error.code.as_str(),
            "010001" | "010002" | "010003" | "010004" | "010005"
        );
    if resolution_failure {
        generic_error(answer, RowStatus::NotFound, not_found_code)
    } else {
        // Schema validation: the request itself broke a rule of the spec.
        generic_error(answer, RowStatus::InvalidInput, "invalid_request")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(pairs: &[(&'static str, &str)]) -> ApiRequest {
        ApiRequest {
            api: "addresses",
            method: Method::Get,
            path: paths::ADDRESS,
            path_filled: None,
            query: pairs.iter().map(|(k, v)| (*k, v.to_string())).collect(),
            body: None,
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

    #[test]
    fn exact_match_is_ok() {
        let request = request(&[
            ("streetAddress", "3120 M ST NW"),
            ("city", "WASHINGTON"),
            ("state", "DC"),
            ("ZIPCode", "20007"),
        ]);
        let body = r#"{"address":{"streetAddress":"3120 M ST NW","city":"WASHINGTON","state":"DC",
            "ZIPCode":"20007","ZIPPlus4":"3704"},"additionalInfo":{"deliveryPoint":"20",
            "carrierRoute":"C036","DPVConfirmation":"Y","DPVCMRA":"N","business":"Y",
            "centralDeliveryPoint":"N","vacant":"N"},"matches":[{"code":"31","text":"x"}]}"#;
        let outcome = AddressKind.interpret(&request, &answer(200, body));
        assert_eq!(outcome.status, RowStatus::Ok);
        let zip = COLUMNS.iter().position(|c| *c == "usps_zip").unwrap();
        assert_eq!(outcome.values[zip], "20007-3704");
    }

    #[test]
    fn filled_zip_is_corrected() {
        let request = request(&[
            ("streetAddress", "3120 M ST NW"),
            ("city", "WASHINGTON"),
            ("state", "DC"),
        ]);
        let body = r#"{"address":{"streetAddress":"3120 M ST NW","city":"WASHINGTON","state":"DC",
            "ZIPCode":"20007","ZIPPlus4":"3704"},"additionalInfo":{"DPVConfirmation":"Y"}}"#;
        let outcome = AddressKind.interpret(&request, &answer(200, body));
        assert_eq!(outcome.status, RowStatus::Corrected);
    }

    #[test]
    fn multiple_addresses_is_ambiguous_as_400_or_404() {
        let request = request(&[("streetAddress", "100 MAIN ST"), ("state", "IL")]);
        for (status, body) in [
            (
                400,
                r#"{"error":{"code":"400","message":"Multiple addresses were found for the information you entered, and no default exists.","errors":[{"code":"010006"}]}}"#,
            ),
            (
                404,
                r#"{"error":{"code":"404","message":"More than one address was found matching the requested address."}}"#,
            ),
        ] {
            let outcome = AddressKind.interpret(&request, &answer(status, body));
            assert_eq!(outcome.status, RowStatus::Ambiguous, "{status}");
            let error = outcome.error.unwrap();
            assert_eq!(error.code, "ambiguous_needs_unit");
            assert!(!error.retryable);
            assert_eq!(error.raw.as_deref(), Some(body));
        }
    }

    #[test]
    fn military_not_found_is_unverified() {
        let request = request(&[("streetAddress", "PSC 1234 BOX 5678"), ("state", "AE")]);
        let body =
            r#"{"error":{"code":"404","message":"There is no match for the address requested."}}"#;
        let outcome = AddressKind.interpret(&request, &answer(404, body));
        assert_eq!(outcome.status, RowStatus::NotFound);
        assert_eq!(outcome.error.unwrap().code, "military_unverified");
    }

    #[test]
    fn default_match_needs_review() {
        let request = request(&[("streetAddress", "100 MAIN ST"), ("state", "IL")]);
        let body = r#"{"address":{"streetAddress":"100 MAIN ST"},"additionalInfo":{"DPVConfirmation":"D"},
            "corrections":[{"code":"32","text":"Default address"}]}"#;
        let outcome = AddressKind.interpret(&request, &answer(200, body));
        assert_eq!(outcome.status, RowStatus::Ambiguous);
        assert_eq!(outcome.error.unwrap().code, "default_match_needs_unit");
    }

    #[test]
    fn query_values_are_normalized() {
        let query = AddressQuery {
            street_address: "1400  elm st # 326".into(),
            state: "il".into(),
            zip_code: Some("62702".into()),
            ..Default::default()
        };
        let request = request_for(&query);
        assert_eq!(
            query_value(&request, "streetAddress"),
            Some("1400 ELM ST # 326")
        );
        assert_eq!(query_value(&request, "state"), Some("IL"));
        assert_eq!(query_value(&request, "city"), None);
    }
}
