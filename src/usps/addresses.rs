//! Addresses 3.0: `GET /address`, `GET /city-state` and `GET /zipcode`.

use serde::{Deserialize, Serialize};

/// Query of `GET /addresses/v3/address`. The spec requires `streetAddress`, `state`, and either
/// `city` or `ZIPCode`; `ZIPCode` is exactly 5 digits and `ZIPPlus4` exactly 4.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firm: Option<String>,
    #[serde(rename = "streetAddress", default)]
    pub street_address: String,
    #[serde(
        rename = "secondaryAddress",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub secondary_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(default)]
    pub state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urbanization: Option<String>,
    #[serde(rename = "ZIPCode", default, skip_serializing_if = "Option::is_none")]
    pub zip_code: Option<String>,
    #[serde(rename = "ZIPPlus4", default, skip_serializing_if = "Option::is_none")]
    pub zip_plus4: Option<String>,
}

/// Query of `GET /addresses/v3/city-state`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CityStateQuery {
    #[serde(rename = "ZIPCode", default)]
    pub zip_code: String,
}

/// Query of `GET /addresses/v3/zipcode`: street, city and state are required.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZipCodeQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firm: Option<String>,
    #[serde(rename = "streetAddress", default)]
    pub street_address: String,
    #[serde(
        rename = "secondaryAddress",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub secondary_address: Option<String>,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub state: String,
    #[serde(rename = "ZIPCode", default, skip_serializing_if = "Option::is_none")]
    pub zip_code: Option<String>,
    #[serde(rename = "ZIPPlus4", default, skip_serializing_if = "Option::is_none")]
    pub zip_plus4: Option<String>,
}

/// `DomesticAddress` of the spec, as returned in answers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomesticAddress {
    #[serde(rename = "streetAddress", default)]
    pub street_address: Option<String>,
    #[serde(rename = "streetAddressAbbreviation", default)]
    pub street_address_abbreviation: Option<String>,
    #[serde(rename = "secondaryAddress", default)]
    pub secondary_address: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(rename = "cityAbbreviation", default)]
    pub city_abbreviation: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(rename = "ZIPCode", default)]
    pub zip_code: Option<String>,
    #[serde(rename = "ZIPPlus4", default)]
    pub zip_plus4: Option<String>,
    #[serde(default)]
    pub urbanization: Option<String>,
}

/// `AddressAdditionalInfo`: delivery point, carrier route and the DPV flags.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdditionalInfo {
    #[serde(rename = "deliveryPoint", default)]
    pub delivery_point: Option<String>,
    #[serde(rename = "carrierRoute", default)]
    pub carrier_route: Option<String>,
    #[serde(rename = "DPVConfirmation", default)]
    pub dpv_confirmation: Option<String>,
    #[serde(rename = "DPVCMRA", default)]
    pub dpv_cmra: Option<String>,
    #[serde(default)]
    pub business: Option<String>,
    #[serde(rename = "centralDeliveryPoint", default)]
    pub central_delivery_point: Option<String>,
    #[serde(default)]
    pub vacant: Option<String>,
}

/// One entry of `corrections` or `matches`. Code 31 is an exact match, 32 a default address
/// that needs a unit, 22 several addresses without a default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeText {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub text: String,
}

/// `AddressResponse` of `GET /address`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressResponse {
    #[serde(default)]
    pub firm: Option<String>,
    #[serde(default)]
    pub address: DomesticAddress,
    #[serde(rename = "additionalInfo", default)]
    pub additional_info: Option<AdditionalInfo>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub corrections: Vec<CodeText>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub matches: Vec<CodeText>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// `CityStateResponse` of `GET /city-state`. The USPS README example omits `ZIPCode`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CityStateResponse {
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(rename = "ZIPCode", default)]
    pub zip_code: Option<String>,
}

/// `ZIPCodeResponse` of `GET /zipcode`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZipCodeResponse {
    #[serde(default)]
    pub firm: Option<String>,
    #[serde(default)]
    pub address: DomesticAddress,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_response_reads_readme_example() {
        let body = r#"{"firm":null,"address":{"streetAddress":"3120 M ST NW",
            "streetAddressAbbreviation":null,"secondaryAddress":null,"city":"WASHINGTON",
            "cityAbbreviation":null,"state":"DC","postalCode":null,"province":null,
            "ZIPCode":"20007","ZIPPlus4":"3704","urbanization":null,"country":null,
            "countryISOCode":null},"additionalInfo":{"deliveryPoint":"20",
            "carrierRoute":"C036","DPVConfirmation":"Y","DPVCMRA":"N","business":"Y",
            "centralDeliveryPoint":"N","vacant":"N"},"corrections":[{"code":"","text":""}],
            "matches":[{"code":"31","text":"Single Response - exact match"}]}"#;
        let answer: AddressResponse = serde_json::from_str(body).unwrap();
        assert_eq!(answer.address.zip_plus4.as_deref(), Some("3704"));
        assert_eq!(answer.matches[0].code, "31");
        let info = answer.additional_info.unwrap();
        assert_eq!(info.dpv_confirmation.as_deref(), Some("Y"));
    }

    #[test]
    fn address_query_uses_spec_names() {
        let query = AddressQuery {
            street_address: "1400 ELM ST # 326".into(),
            state: "IL".into(),
            zip_code: Some("62702".into()),
            ..Default::default()
        };
        let encoded = serde_json::to_value(&query).unwrap();
        assert_eq!(encoded["streetAddress"], "1400 ELM ST # 326");
        assert_eq!(encoded["ZIPCode"], "62702");
        assert!(encoded.get("ZIPPlus4").is_none());
    }
}
