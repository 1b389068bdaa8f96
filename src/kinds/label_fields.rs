//! The manifest fields of label jobs and the header aliases that map to them.

use crate::manifest::FieldSpec;

/// Builds an optional field with its aliases.
macro_rules! field {
    ($name:expr, [$($alias:expr),* $(,)?]) => {
        FieldSpec { field: $name, required: false, aliases: &[$($alias),*] }
    };
}

/// Fields of a label row. Dotted names follow the nesting of the Labels request, so a
/// `[columns]` entry reads `"toAddress.city" = "Ship City"`. Aliases cover the column names
/// of common shop exports. No field is required at load, because a JSON manifest may nest
/// them in objects that only the row shows. A missing value fails its row instead.
pub const LABEL_FIELDS: &[FieldSpec] = &[
    field!(
        "id",
        [
            "id",
            "order_id",
            "order_number",
            "order",
            "name",
            "record_id"
        ]
    ),
    field!(
        "toAddress.firstName",
        [
            "to_first_name",
            "shipping_first_name",
            "recipient_first_name",
            "first_name"
        ]
    ),
    field!(
        "toAddress.lastName",
        [
            "to_last_name",
            "shipping_last_name",
            "recipient_last_name",
            "last_name"
        ]
    ),
    field!(
        "toAddress.firm",
        [
            "to_company",
            "to_firm",
            "shipping_company",
            "recipient_company",
            "company"
        ]
    ),
    field!(
        "toAddress.streetAddress",
        [
            "to_street",
            "to_address1",
            "shipping_address1",
            "shipping_street",
            "recipient_address",
            "address1",
            "street"
        ]
    ),
    field!(
        "toAddress.secondaryAddress",
        [
            "to_address2",
            "to_street2",
            "shipping_address2",
            "recipient_address2",
            "address2",
            "apartment"
        ]
    ),
    field!(
        "toAddress.city",
        ["to_city", "shipping_city", "recipient_city", "city"]
    ),
    field!(
        "toAddress.state",
        [
            "to_state",
            "shipping_province",
            "shipping_province_code",
            "shipping_state",
            "recipient_state",
            "state",
            "province"
        ]
    ),
    field!(
        "toAddress.ZIPCode",
        [
            "to_zip",
            "shipping_zip",
            "shipping_postal_code",
            "recipient_zip",
            "zip",
            "zip_code",
            "postal_code"
        ]
    ),
    field!(
        "toAddress.ZIPPlus4",
        ["to_zip4", "to_plus4", "shipping_zip4"]
    ),
    field!(
        "toAddress.phone",
        ["to_phone", "shipping_phone", "recipient_phone", "phone"]
    ),
    field!("toAddress.email", ["to_email", "recipient_email", "email"]),
    field!(
        "fromAddress.firstName",
        ["from_first_name", "sender_first_name"]
    ),
    field!(
        "fromAddress.lastName",
        ["from_last_name", "sender_last_name"]
    ),
    field!(
        "fromAddress.firm",
        ["from_company", "from_firm", "sender_company"]
    ),
    field!(
        "fromAddress.streetAddress",
        [
            "from_street",
            "from_address1",
            "sender_address1",
            "sender_street"
        ]
    ),
    field!(
        "fromAddress.secondaryAddress",
        ["from_address2", "from_street2", "sender_address2"]
    ),
    field!("fromAddress.city", ["from_city", "sender_city"]),
    field!("fromAddress.state", ["from_state", "sender_state"]),
    field!(
        "fromAddress.ZIPCode",
        ["from_zip", "sender_zip", "origin_zip"]
    ),
    field!("fromAddress.ZIPPlus4", ["from_zip4", "sender_zip4"]),
    field!("fromAddress.phone", ["from_phone", "sender_phone"]),
    field!(
        "packageDescription.weight",
        [
            "weight",
            "package_weight",
            "shipping_weight",
            "total_weight"
        ]
    ),
    field!("packageDescription.length", ["length", "package_length"]),
    field!("packageDescription.width", ["width", "package_width"]),
    field!("packageDescription.height", ["height", "package_height"]),
    field!(
        "packageDescription.mailClass",
        [
            "mail_class",
            "service",
            "shipping_service",
            "shipping_method",
            "usps_service"
        ]
    ),
    field!(
        "packageDescription.processingCategory",
        ["processing_category"]
    ),
    field!("packageDescription.rateIndicator", ["rate_indicator"]),
    field!(
        "packageDescription.destinationEntryFacilityType",
        ["destination_entry_facility_type", "entry_facility"]
    ),
    field!(
        "packageDescription.mailingDate",
        ["mailing_date", "ship_date"]
    ),
];
