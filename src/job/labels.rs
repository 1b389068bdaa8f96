//! The `[label]` and `[payment]` tables of a label job, and their checked form.

use serde::Deserialize;

use crate::checks::LabelDefaults;
use crate::usps::labels::LabelAddress;
use crate::usps::payments::PaymentAccount;
use crate::usps::prices::{
    DestinationEntryFacilityType, MailClass, ProcessingCategory, RateIndicator,
};

/// Image types of the Labels spec's `imageInfo.imageType` that produce a file.
pub const IMAGE_TYPES: &[&str] = &[
    "PDF",
    "TIFF",
    "JPG",
    "PNG",
    "GIF",
    "SVG",
    "ZPL203DPI",
    "ZPL300DPI",
    "EPL300DPI",
];
/// Label sizes of the spec's `imageInfo.labelType`.
pub const LABEL_TYPES: &[&str] = &["4X6LABEL", "4X4LABEL", "4X5LABEL", "6X4LABEL", "2X7LABEL"];

/// The `[label]` table as written.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelOptions {
    /// `PDF` (default), `PNG`, `TIFF`, `ZPL203DPI`...
    pub image_type: Option<String>,
    /// `4X6LABEL` (default), `4X4LABEL`...
    pub label_type: Option<String>,
    /// Time zone of the shipper, which decides the day of a mailing date left empty. Default:
    /// the time zone of the sender's ZIP Code.
    pub time_zone: Option<String>,
    /// Mail class of rows whose mail class column is empty.
    pub mail_class: Option<String>,
    pub processing_category: Option<String>,
    pub rate_indicator: Option<String>,
    pub destination_entry_facility_type: Option<String>,
    /// The sender (`fromAddress`) of rows without sender columns.
    pub sender: Option<SenderOptions>,
    /// Validate each destination with the Addresses API before buying its label.
    #[serde(default)]
    pub validate_addresses: bool,
}

/// The `[label.sender]` table.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SenderOptions {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub firm: Option<String>,
    pub street_address: String,
    pub secondary_address: Option<String>,
    pub city: String,
    pub state: String,
    pub zip_code: String,
    pub zip_plus4: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// The checked settings of a label job.
#[derive(Debug, Clone)]
pub struct LabelSettings {
    pub image_type: String,
    pub label_type: String,
    /// `None`: the time zone of each row's sender ZIP Code.
    pub time_zone: Option<jiff::tz::TimeZone>,
    pub defaults: LabelDefaults,
    pub sender: Option<LabelAddress>,
    pub payment: PaymentAccount,
    /// Whether each destination goes through the Addresses API before its label is bought.
    pub validate_addresses: bool,
}

/// Environment variables that supply the payer account when the job file has no `[payment]`.
pub const PAYMENT_VARIABLES: &[&str] = &[
    "USPS_CRID",
    "USPS_MID",
    "USPS_MANIFEST_MID",
    "USPS_ACCOUNT_TYPE",
    "USPS_ACCOUNT_NUMBER",
    "USPS_PERMIT_ZIP",
];

/// Checks the `[label]` and `[payment]` tables. The payer account comes from `[payment]`, or
/// else from the `USPS_CRID`, `USPS_MID` and `USPS_ACCOUNT_NUMBER` variables (with
/// `USPS_MANIFEST_MID`, `USPS_ACCOUNT_TYPE` and `USPS_PERMIT_ZIP` optional).
pub fn check_label_settings(
    label: Option<&LabelOptions>,
    payment: Option<&PaymentAccount>,
) -> Result<LabelSettings, String> {
    let label = label.cloned().unwrap_or_default();
    let image_type = pick(
        label.image_type.as_deref(),
        "PDF",
        IMAGE_TYPES,
        "[label] image_type",
    )?;
    let label_type = pick(
        label.label_type.as_deref(),
        "4X6LABEL",
        LABEL_TYPES,
        "[label] label_type",
    )?;
    let time_zone = match &label.time_zone {
        Some(name) => Some(jiff::tz::TimeZone::get(name).map_err(|error| {
            format!("[label] time_zone {name:?} is not a known IANA time zone ({error}); use a name such as \"America/Chicago\"")
        })?),
        None => None,
    };
    let defaults = LabelDefaults {
        mail_class: label
            .mail_class
            .as_deref()
            .map(|text| parse_named(text, MailClass::parse, "[label] mail_class"))
            .transpose()?,
        processing_category: match label.processing_category.as_deref() {
            Some(text) => parse_named(
                text,
                ProcessingCategory::parse,
                "[label] processing_category",
            )?,
            None => ProcessingCategory::Machinable,
        },
        rate_indicator: match label.rate_indicator.as_deref() {
            Some(text) => parse_named(text, RateIndicator::parse, "[label] rate_indicator")?,
            None => RateIndicator::SinglePiece,
        },
        destination_entry_facility_type: match label.destination_entry_facility_type.as_deref() {
            Some(text) => parse_named(
                text,
                DestinationEntryFacilityType::parse,
                "[label] destination_entry_facility_type",
            )?,
            None => DestinationEntryFacilityType::None,
        },
    };
    let sender = label.sender.as_ref().map(sender_address).transpose()?;
    let payment = match payment {
        Some(payment) => payment.clone(),
        None => payment_from_env()?,
    };
    check_payment(&payment)?;
    Ok(LabelSettings {
        image_type,
        label_type,
        time_zone,
        defaults,
        sender,
        payment,
        validate_addresses: label.validate_addresses,
    })
}

fn pick(
    value: Option<&str>,
    default: &str,
    allowed: &[&str],
    name: &str,
) -> Result<String, String> {
    let value = value.unwrap_or(default).trim().to_ascii_uppercase();
    if allowed.contains(&value.as_str()) {
        Ok(value)
    } else {
        Err(format!(
            "{name} {value:?} is not valid; use one of: {}",
            allowed.join(", ")
        ))
    }
}

fn parse_named<T>(text: &str, parse: fn(&str) -> Option<T>, name: &str) -> Result<T, String> {
    let normalized = text.trim().to_ascii_uppercase().replace([' ', '-'], "_");
    parse(text.trim())
        .or_else(|| parse(&normalized))
        .ok_or_else(|| format!("{name} {text:?} is not a value of the USPS spec; use its spelling, such as USPS_GROUND_ADVANTAGE"))
}

fn sender_address(sender: &SenderOptions) -> Result<LabelAddress, String> {
    let zip_ok =
        sender.zip_code.len() == 5 && sender.zip_code.bytes().all(|byte| byte.is_ascii_digit());
    if !zip_ok {
        return Err(format!(
            "[label.sender] zip_code {:?} is not a 5-digit ZIP Code; put the ZIP+4 in zip_plus4",
            sender.zip_code
        ));
    }
    if !crate::usps::is_state_code(&sender.state.to_ascii_uppercase()) {
        return Err(format!(
            "[label.sender] state {:?} is not a two-letter USPS state code",
            sender.state
        ));
    }
    let upper = |text: &Option<String>| text.as_ref().map(|text| crate::kinds::normalize(text));
    Ok(LabelAddress {
        first_name: upper(&sender.first_name),
        last_name: upper(&sender.last_name),
        firm: upper(&sender.firm),
        street_address: crate::kinds::normalize(&sender.street_address),
        secondary_address: upper(&sender.secondary_address),
        city: crate::kinds::normalize(&sender.city),
        state: sender.state.to_ascii_uppercase(),
        zip_code: sender.zip_code.clone(),
        zip_plus4: sender.zip_plus4.clone(),
        phone: sender.phone.clone(),
        email: sender.email.clone(),
    })
}

fn payment_from_env() -> Result<PaymentAccount, String> {
    let read = |name: &str| {
        std::env::var(name)
            .ok()
            .filter(|value| !value.trim().is_empty())
    };
    match (read("USPS_CRID"), read("USPS_MID"), read("USPS_ACCOUNT_NUMBER")) {
        (Some(crid), Some(mid), Some(account_number)) => Ok(PaymentAccount {
            crid,
            mid,
            manifest_mid: read("USPS_MANIFEST_MID"),
            account_type: read("USPS_ACCOUNT_TYPE"),
            account_number,
            permit_zip: read("USPS_PERMIT_ZIP"),
        }),
        _ => Err("a labels job needs the payer account: add a [payment] table with crid, mid and account_number, or set USPS_CRID, USPS_MID and USPS_ACCOUNT_NUMBER".into()),
    }
}

fn check_payment(payment: &PaymentAccount) -> Result<(), String> {
    let digits = |text: &str| !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit());
    let mid_ok = |mid: &str| digits(mid) && (mid.len() == 6 || mid.len() == 9);
    if !(2..=18).contains(&payment.crid.len()) {
        return Err(format!(
            "[payment] crid {:?} must have 2 to 18 characters",
            payment.crid
        ));
    }
    if !mid_ok(&payment.mid) {
        return Err(format!(
            "[payment] mid {:?} must be a Mailer ID of 6 or 9 digits",
            payment.mid
        ));
    }
    if let Some(manifest_mid) = &payment.manifest_mid {
        if !mid_ok(manifest_mid) {
            return Err(format!(
                "[payment] manifest_mid {manifest_mid:?} must be a Mailer ID of 6 or 9 digits"
            ));
        }
    }
    match payment.account_type.as_deref().unwrap_or("EPS") {
        "EPS" => {}
        "PERMIT" if payment.permit_zip.is_some() => {}
        "PERMIT" => return Err("[payment] account_type \"PERMIT\" needs permit_zip, the ZIP Code of the permit's post office".into()),
        other => return Err(format!("[payment] account_type {other:?} is not supported; use \"EPS\" or \"PERMIT\"")),
    }
    if payment.account_number.trim().is_empty() {
        return Err("[payment] account_number is empty".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account() -> PaymentAccount {
        PaymentAccount {
            crid: "56982563".into(),
            mid: "904128936".into(),
            manifest_mid: None,
            account_type: None,
            account_number: "1000012345".into(),
            permit_zip: None,
        }
    }

    #[test]
    fn defaults_apply() {
        let settings = check_label_settings(None, Some(&account())).unwrap();
        assert_eq!(settings.image_type, "PDF");
        assert_eq!(settings.label_type, "4X6LABEL");
        assert_eq!(settings.defaults.rate_indicator, RateIndicator::SinglePiece);
        assert!(settings.sender.is_none());
    }

    #[test]
    fn bad_values_are_named() {
        let options = LabelOptions {
            image_type: Some("BMP".into()),
            ..LabelOptions::default()
        };
        let error = check_label_settings(Some(&options), Some(&account())).unwrap_err();
        assert!(error.contains("image_type \"BMP\""), "{error}");
        let mut short_mid = account();
        short_mid.mid = "123".into();
        let error = check_label_settings(None, Some(&short_mid)).unwrap_err();
        assert!(error.contains("mid \"123\""), "{error}");
    }
}
