//! Request bodies and enums of International Prices 3.0 (`/international-prices/v3/...`),
//! with the spec's field names. A 200 has the shape of the domestic responses
//! ([`BaseRatesResponse`](super::prices::BaseRatesResponse) and
//! [`TotalRatesResponse`](super::prices::TotalRatesResponse)), so those types serve both.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::prices::{decimal_number, spec_enum};

spec_enum!(
    /// `mailClass` of International Prices. `GLOBAL_EXPRESS_GUARANTEED` is suspended since
    /// 2024-09-29, as the spec notes.
    InternationalMailClass {
        FirstClassPackageInternationalService = "FIRST-CLASS_PACKAGE_INTERNATIONAL_SERVICE",
        PriorityMailInternational = "PRIORITY_MAIL_INTERNATIONAL",
        PriorityMailExpressInternational = "PRIORITY_MAIL_EXPRESS_INTERNATIONAL",
        GlobalExpressGuaranteed = "GLOBAL_EXPRESS_GUARANTEED",
    }
);

spec_enum!(
    /// `processingCategory` of an international base-rates search. `NON_MACHINABLE` is the
    /// spec's deprecated name of `NONSTANDARD`.
    InternationalProcessingCategory {
        Flats = "FLATS",
        Machinable = "MACHINABLE",
        NonMachinable = "NON_MACHINABLE",
        Nonstandard = "NONSTANDARD",
    }
);

spec_enum!(
    /// `rateIndicator` of an international base-rates search: the container, such as `SP`
    /// (single piece) or `FS` (Small Flat Rate Box).
    InternationalRateIndicator {
        ExpressFlatRateEnvelope = "E4",
        ExpressLegalFlatRateEnvelope = "E6",
        ExpressLegalFlatRateEnvelopeSundayHoliday = "E7",
        LegalFlatRateEnvelope = "FA",
        MediumFlatRateBox = "FB",
        FlatRateEnvelope = "FE",
        PaddedFlatRateEnvelope = "FP",
        SmallFlatRateBox = "FS",
        ExpressSinglePiece = "PA",
        LargeFlatRateBox = "PL",
        SinglePiece = "SP",
        EcomproSinglePiece = "EP",
        EcomproLegalFlatRateEnvelope = "HA",
        EcomproMediumFlatRateBox = "HB",
        EcomproFlatRateEnvelope = "HE",
        EcomproLargeFlatRateBox = "HL",
        EcomproPaddedFlatRateEnvelope = "HP",
        EcomproSmallFlatRateBox = "HS",
        SinglePieceParcel = "LE",
    }
);

spec_enum!(
    /// `destinationEntryFacilityType` of an international search: `NONE`, or the mailer
    /// drops the piece at an International Service Center.
    InternationalEntryFacility {
        None = "NONE",
        InternationalServiceCenter = "INTERNATIONAL_SERVICE_CENTER",
    }
);

spec_enum!(
    /// `priceType` of International Prices (`InternationalPriceType`).
    InternationalPriceType {
        Retail = "RETAIL",
        Commercial = "COMMERCIAL",
        CommercialBase = "COMMERCIAL_BASE",
        CommercialPlus = "COMMERCIAL_PLUS",
        Contract = "CONTRACT",
    }
);

/// Extra service codes of an international total-rates search, from the spec's enum.
pub const EXTRA_SERVICES: &[u16] = &[370, 813, 820, 826, 857, 930, 931, 955];

/// Returns the rate indicators that a mail class takes. Single-piece parcels and the flat
/// rate containers belong to their class: `PA`, `E4` and `E6` to Priority Mail Express
/// International, the `F*` boxes and envelopes and `PL` to Priority Mail International.
// NOTE: the ECOMPRO indicators (EP, H*) and E7 are left to the API: the spec lists them
// without saying which class takes them.
pub fn rate_indicators(mail_class: InternationalMailClass) -> Option<&'static [&'static str]> {
    use InternationalMailClass as Class;
    match mail_class {
        Class::FirstClassPackageInternationalService => Some(&["SP", "LE"]),
        Class::PriorityMailInternational => Some(&["SP", "FE", "FA", "FP", "FS", "FB", "PL"]),
        Class::PriorityMailExpressInternational => Some(&["PA", "E4", "E6"]),
        Class::GlobalExpressGuaranteed => None,
    }
}

/// Checks the rate ingredients of an international search against the combinations that
/// International Prices rejects with error 030002 ("Could not find working sku"). Returns
/// the reason when the combination has no price.
pub fn check_international_combination(
    mail_class: InternationalMailClass,
    rate_indicator: InternationalRateIndicator,
    entry: InternationalEntryFacility,
    price_type: InternationalPriceType,
) -> Result<(), String> {
    if mail_class == InternationalMailClass::GlobalExpressGuaranteed {
        return Err("GLOBAL_EXPRESS_GUARANTEED is suspended since 2024-09-29".to_owned());
    }
    let indicator = rate_indicator.as_str();
    let ecompro = indicator.starts_with('H') || indicator == "EP" || indicator == "E7";
    if let Some(allowed) = rate_indicators(mail_class) {
        if !ecompro && !allowed.contains(&indicator) {
            return Err(format!(
                "{} has no price for rate indicator {indicator}; it takes {}",
                mail_class.as_str(),
                allowed.join(", ")
            ));
        }
    }
    // NOTE: the spec does not say which price types an International Service Center entry
    // takes. Its examples pair it with COMMERCIAL_BASE, and the runner assumes no RETAIL.
    if entry == InternationalEntryFacility::InternationalServiceCenter
        && price_type == InternationalPriceType::Retail
    {
        return Err(
            "INTERNATIONAL_SERVICE_CENTER entry has no RETAIL price; use a commercial price \
             type or entry facility NONE"
                .to_owned(),
        );
    }
    Ok(())
}

/// Body of `POST /international-prices/v3/base-rates/search` (`BaseRatesQuery`). Weight is
/// in pounds and dimensions in inches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InternationalBaseRatesQuery {
    #[serde(rename = "originZIPCode")]
    pub origin_zip_code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub foreign_postal_code: Option<String>,
    /// ISO 3166-1 alpha-2 code, such as `CA`.
    pub destination_country_code: String,
    #[serde(with = "decimal_number")]
    pub weight: Decimal,
    #[serde(with = "decimal_number")]
    pub length: Decimal,
    #[serde(with = "decimal_number")]
    pub width: Decimal,
    #[serde(with = "decimal_number")]
    pub height: Decimal,
    pub mail_class: InternationalMailClass,
    pub processing_category: InternationalProcessingCategory,
    pub rate_indicator: InternationalRateIndicator,
    pub destination_entry_facility_type: InternationalEntryFacility,
    pub price_type: InternationalPriceType,
    /// `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mailing_date: Option<String>,
}

/// Body of `POST /international-prices/v3/total-rates/search` (`TotalRatesQuery`): the
/// package of an [`InternationalBaseRatesQuery`] without the rate ingredients that the
/// spec's `InternationalRateListQuery` does not take, plus the extra services to price.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InternationalTotalRatesQuery {
    #[serde(rename = "originZIPCode")]
    pub origin_zip_code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub foreign_postal_code: Option<String>,
    pub destination_country_code: String,
    #[serde(with = "decimal_number")]
    pub weight: Decimal,
    #[serde(with = "decimal_number")]
    pub length: Decimal,
    #[serde(with = "decimal_number")]
    pub width: Decimal,
    #[serde(with = "decimal_number")]
    pub height: Decimal,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail_class: Option<InternationalMailClass>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_type: Option<InternationalPriceType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mailing_date: Option<String>,
    /// Declared value in dollars, which insurance prices depend on.
    #[serde(
        default,
        with = "decimal_number::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub item_value: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra_services: Vec<u16>,
}

impl InternationalTotalRatesQuery {
    /// Builds the total-rates body for the package of `base` with `extra_services`.
    pub fn from_base(
        base: &InternationalBaseRatesQuery,
        extra_services: &[u16],
    ) -> InternationalTotalRatesQuery {
        InternationalTotalRatesQuery {
            origin_zip_code: base.origin_zip_code.clone(),
            foreign_postal_code: base.foreign_postal_code.clone(),
            destination_country_code: base.destination_country_code.clone(),
            weight: base.weight,
            length: base.length,
            width: base.width,
            height: base.height,
            mail_class: Some(base.mail_class),
            price_type: Some(base.price_type),
            mailing_date: base.mailing_date.clone(),
            item_value: None,
            extra_services: extra_services.to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combinations_follow_the_class() {
        use InternationalEntryFacility as Entry;
        use InternationalMailClass as Class;
        use InternationalPriceType as Price;
        use InternationalRateIndicator as Indicator;
        let check = |class, indicator, entry, price| {
            check_international_combination(class, indicator, entry, price)
        };
        let pmi = Class::PriorityMailInternational;
        assert!(check(pmi, Indicator::SmallFlatRateBox, Entry::None, Price::Retail).is_ok());
        let error = check(
            pmi,
            Indicator::ExpressSinglePiece,
            Entry::None,
            Price::Retail,
        );
        assert!(error.unwrap_err().contains("rate indicator PA"));
        let fcpis = Class::FirstClassPackageInternationalService;
        assert!(check(
            fcpis,
            Indicator::FlatRateEnvelope,
            Entry::None,
            Price::Retail
        )
        .is_err());
        let gxg = Class::GlobalExpressGuaranteed;
        assert!(check(gxg, Indicator::SinglePiece, Entry::None, Price::Retail).is_err());
        let isc = Entry::InternationalServiceCenter;
        assert!(check(pmi, Indicator::SinglePiece, isc, Price::Retail).is_err());
        assert!(check(pmi, Indicator::SinglePiece, isc, Price::CommercialBase).is_ok());
    }

    #[test]
    fn base_query_serializes_spec_names() {
        let query = InternationalBaseRatesQuery {
            origin_zip_code: "10001".into(),
            foreign_postal_code: Some("K1A 0B1".into()),
            destination_country_code: "CA".into(),
            weight: Decimal::new(1875, 4),
            length: Decimal::ZERO,
            width: Decimal::ZERO,
            height: Decimal::ZERO,
            mail_class: InternationalMailClass::FirstClassPackageInternationalService,
            processing_category: InternationalProcessingCategory::Machinable,
            rate_indicator: InternationalRateIndicator::SinglePiece,
            destination_entry_facility_type: InternationalEntryFacility::None,
            price_type: InternationalPriceType::Retail,
            mailing_date: None,
        };
        let value = serde_json::to_value(&query).unwrap();
        assert_eq!(value["destinationCountryCode"], "CA");
        assert_eq!(value["foreignPostalCode"], "K1A 0B1");
        assert_eq!(value["weight"].to_string(), "0.1875");
        assert_eq!(
            value["mailClass"],
            "FIRST-CLASS_PACKAGE_INTERNATIONAL_SERVICE"
        );
        assert!(value.get("destinationZIPCode").is_none());
    }
}
