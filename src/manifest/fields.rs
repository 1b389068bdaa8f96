//! The API fields each job kind reads from a manifest, with the column names that map to
//! them without configuration.
//!
//! Aliases are compared after [`normalize_name`], so `Zip Code`, `zip_code` and `ZIPCode`
//! are the same name. `name` is deliberately not an alias of `firm`, because in most
//! manifests it contains a person's name, and sending that as the firm changes the match.

/// One API field, whether the job cannot run without it, and the column names that map to it
/// without a `[columns]` entry, besides the field name itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    pub field: &'static str,
    pub required: bool,
    pub aliases: &'static [&'static str],
}

const ID: FieldSpec = FieldSpec {
    field: "id",
    required: false,
    aliases: &[
        "id",
        "order_id",
        "record_id",
        "customer_id",
        "row_id",
        "external_id",
    ],
};

const FIRM: FieldSpec = FieldSpec {
    field: "firm",
    required: false,
    aliases: &[
        "firm",
        "firm_name",
        "company",
        "company_name",
        "business",
        "business_name",
        "organization",
        "organisation",
    ],
};

const STREET: &[&str] = &[
    "street_address",
    "street",
    "address",
    "address1",
    "address_line_1",
    "addr1",
    "line1",
    "street1",
    "street_line_1",
    "delivery_address",
];

const SECONDARY: FieldSpec = FieldSpec {
    field: "secondaryAddress",
    required: false,
    aliases: &[
        "secondary_address",
        "secondary",
        "address2",
        "address_line_2",
        "addr2",
        "line2",
        "street2",
        "street_line_2",
        "unit",
        "apt",
        "apartment",
        "suite",
    ],
};

const CITY: &[&str] = &["city", "city_name", "town", "locality"];

const STATE: &[&str] = &[
    "state",
    "st",
    "state_code",
    "state_province",
    "province",
    "region",
];

const URBANIZATION: FieldSpec = FieldSpec {
    field: "urbanization",
    required: false,
    aliases: &["urbanization", "urbanizacion", "urb"],
};

const ZIP: &[&str] = &[
    "zip_code",
    "zip",
    "zipcode",
    "zip5",
    "postal_code",
    "postalcode",
    "postcode",
    "postal",
    "zip_or_postal_code",
    "zip_postal_code",
];

const ZIP_PLUS4: FieldSpec = FieldSpec {
    field: "ZIPPlus4",
    required: false,
    aliases: &[
        "zip_plus4",
        "zip_plus_4",
        "zip4",
        "zip_4",
        "plus4",
        "plus_4",
    ],
};

/// Fields of `GET /addresses/v3/address`.
pub const ADDRESS_FIELDS: &[FieldSpec] = &[
    FIRM,
    FieldSpec {
        field: "streetAddress",
        required: true,
        aliases: STREET,
    },
    SECONDARY,
    FieldSpec {
        field: "city",
        required: false,
        aliases: CITY,
    },
    FieldSpec {
        field: "state",
        required: true,
        aliases: STATE,
    },
    URBANIZATION,
    FieldSpec {
        field: "ZIPCode",
        required: false,
        aliases: ZIP,
    },
    ZIP_PLUS4,
    ID,
];

/// Fields of the Locations 3.0 searches. None is required on its own: a row needs a ZIP
/// Code, a city and state, or a street address, as its search type allows.
pub const LOCATIONS_FIELDS: &[FieldSpec] = &[
    FieldSpec {
        field: "streetAddress",
        required: false,
        aliases: STREET,
    },
    SECONDARY,
    FieldSpec {
        field: "city",
        required: false,
        aliases: CITY,
    },
    FieldSpec {
        field: "state",
        required: false,
        aliases: STATE,
    },
    URBANIZATION,
    FieldSpec {
        field: "ZIPCode",
        required: false,
        aliases: ZIP,
    },
    ZIP_PLUS4,
    ID,
];

/// Fields of `GET /addresses/v3/city-state`.
pub const CITY_STATE_FIELDS: &[FieldSpec] = &[
    FieldSpec {
        field: "ZIPCode",
        required: true,
        aliases: ZIP,
    },
    ID,
];

/// Fields of `GET /addresses/v3/zipcode`.
pub const ZIPCODE_FIELDS: &[FieldSpec] = &[
    FIRM,
    FieldSpec {
        field: "streetAddress",
        required: true,
        aliases: STREET,
    },
    SECONDARY,
    FieldSpec {
        field: "city",
        required: true,
        aliases: CITY,
    },
    FieldSpec {
        field: "state",
        required: true,
        aliases: STATE,
    },
    FieldSpec {
        field: "ZIPCode",
        required: false,
        aliases: ZIP,
    },
    ZIP_PLUS4,
    ID,
];

/// Groups the pieces of a multi-piece shipment in a price manifest; not sent to USPS.
const SHIPMENT: FieldSpec = FieldSpec {
    field: "shipmentId",
    required: false,
    aliases: &["shipment_id", "shipment", "consignment_id"],
};

/// Fields of `POST /prices/v3/base-rates/search`. Weight and dimensions are in the units of
/// the job file's `[units]` table; the enums default to `MACHINABLE`, `SP`, `NONE` and
/// `RETAIL` when their column is absent or empty.
pub const DOMESTIC_PRICE_FIELDS: &[FieldSpec] = &[
    FieldSpec {
        field: "originZIPCode",
        required: true,
        aliases: &[
            "origin_zip",
            "from_zip",
            "ship_from_zip",
            "origin_zip_code",
            "sender_zip",
        ],
    },
    FieldSpec {
        field: "destinationZIPCode",
        required: true,
        aliases: &[
            "destination_zip",
            "to_zip",
            "ship_to_zip",
            "destination_zip_code",
            "recipient_zip",
        ],
    },
    FieldSpec {
        field: "weight",
        required: true,
        aliases: &["weight", "package_weight", "shipping_weight"],
    },
    FieldSpec {
        field: "length",
        required: false,
        aliases: &["length", "package_length"],
    },
    FieldSpec {
        field: "width",
        required: false,
        aliases: &["width", "package_width"],
    },
    FieldSpec {
        field: "height",
        required: false,
        aliases: &["height", "package_height"],
    },
    FieldSpec {
        field: "mailClass",
        required: true,
        aliases: &["mail_class", "service", "shipping_service", "usps_service"],
    },
    FieldSpec {
        field: "processingCategory",
        required: false,
        aliases: &["processing_category", "category"],
    },
    FieldSpec {
        field: "rateIndicator",
        required: false,
        aliases: &["rate_indicator"],
    },
    FieldSpec {
        field: "destinationEntryFacilityType",
        required: false,
        aliases: &["destination_entry_facility_type", "entry_facility"],
    },
    FieldSpec {
        field: "priceType",
        required: false,
        aliases: &["price_type"],
    },
    FieldSpec {
        field: "mailingDate",
        required: false,
        aliases: &["mailing_date", "ship_date"],
    },
    SHIPMENT,
    ID,
];

/// Fields of `POST /shipments/v3/options/search`: the domestic price fields without the
/// rate ingredients that Shipping Options does not take. `mailClass` may be empty, which
/// requests every outbound class.
pub const SHIPPING_OPTIONS_FIELDS: &[FieldSpec] = &[
    DOMESTIC_PRICE_FIELDS[0],
    DOMESTIC_PRICE_FIELDS[1],
    DOMESTIC_PRICE_FIELDS[2],
    DOMESTIC_PRICE_FIELDS[3],
    DOMESTIC_PRICE_FIELDS[4],
    DOMESTIC_PRICE_FIELDS[5],
    FieldSpec {
        field: "mailClass",
        required: false,
        aliases: &["mail_class", "service", "shipping_service", "usps_service"],
    },
    FieldSpec {
        field: "priceType",
        required: false,
        aliases: &["price_type"],
    },
    FieldSpec {
        field: "mailingDate",
        required: false,
        aliases: &["mailing_date", "ship_date"],
    },
    ID,
];

/// Fields of `POST /international-prices/v3/base-rates/search`. The enums default to
/// `MACHINABLE`, the class's single-piece rate indicator, `NONE` and `RETAIL`.
pub const INTERNATIONAL_PRICE_FIELDS: &[FieldSpec] = &[
    DOMESTIC_PRICE_FIELDS[0],
    FieldSpec {
        field: "destinationCountryCode",
        required: true,
        aliases: &[
            "country",
            "country_code",
            "destination_country",
            "destination_country_code",
            "to_country",
            "ship_to_country",
        ],
    },
    FieldSpec {
        field: "foreignPostalCode",
        required: false,
        aliases: &[
            "foreign_postal_code",
            "postal_code",
            "postcode",
            "to_postal_code",
            "ship_to_postal_code",
        ],
    },
    DOMESTIC_PRICE_FIELDS[2],
    DOMESTIC_PRICE_FIELDS[3],
    DOMESTIC_PRICE_FIELDS[4],
    DOMESTIC_PRICE_FIELDS[5],
    DOMESTIC_PRICE_FIELDS[6],
    DOMESTIC_PRICE_FIELDS[7],
    DOMESTIC_PRICE_FIELDS[8],
    DOMESTIC_PRICE_FIELDS[9],
    DOMESTIC_PRICE_FIELDS[10],
    DOMESTIC_PRICE_FIELDS[11],
    SHIPMENT,
    ID,
];

/// Fields of a `rate-shop` row: the package of a Shipping Options search, without the mail
/// class (the job file lists the services to compare), plus an optional deadline as a date
/// (`deliverBy`) or as days after mailing (`maxDays`).
pub const RATE_SHOP_FIELDS: &[FieldSpec] = &[
    DOMESTIC_PRICE_FIELDS[0],
    DOMESTIC_PRICE_FIELDS[1],
    DOMESTIC_PRICE_FIELDS[2],
    DOMESTIC_PRICE_FIELDS[3],
    DOMESTIC_PRICE_FIELDS[4],
    DOMESTIC_PRICE_FIELDS[5],
    FieldSpec {
        field: "priceType",
        required: false,
        aliases: &["price_type"],
    },
    FieldSpec {
        field: "mailingDate",
        required: false,
        aliases: &["mailing_date", "ship_date"],
    },
    FieldSpec {
        field: "deliverBy",
        required: false,
        aliases: &["deliver_by", "deadline", "due_date", "need_by"],
    },
    FieldSpec {
        field: "maxDays",
        required: false,
        aliases: &["max_days", "max_transit_days"],
    },
    ID,
];

/// Fields of `GET /service-standards/v3/estimates`. An empty mail class requests every
/// class; the weight matters for Ground Advantage, whose standard differs under one pound.
pub const SERVICE_STANDARD_FIELDS: &[FieldSpec] = &[
    DOMESTIC_PRICE_FIELDS[0],
    DOMESTIC_PRICE_FIELDS[1],
    FieldSpec {
        field: "mailClass",
        required: false,
        aliases: &["mail_class", "service", "shipping_service", "usps_service"],
    },
    FieldSpec {
        field: "acceptanceDate",
        required: false,
        aliases: &["acceptance_date", "mailing_date", "ship_date"],
    },
    FieldSpec {
        field: "weight",
        required: false,
        aliases: &["weight", "package_weight", "shipping_weight"],
    },
    ID,
];

/// Fields of the `tracking` kind. The mailing date and destination ZIP Code are optional;
/// USPS uses them to tell apart pieces that share one tracking number.
pub const TRACKING_FIELDS: &[FieldSpec] = &[
    FieldSpec {
        field: "trackingNumber",
        required: true,
        aliases: &[
            "tracking_number",
            "tracking",
            "tracking_no",
            "tracking_id",
            "tracking_code",
            "impb",
            "barcode",
        ],
    },
    FieldSpec {
        field: "mailingDate",
        required: false,
        aliases: &["mailing_date", "ship_date"],
    },
    FieldSpec {
        field: "destinationZIPCode",
        required: false,
        aliases: &["destination_zip", "destination_zip_code", "to_zip"],
    },
    ID,
];

/// Lowercases a column name and drops everything that is not a letter or digit, so that
/// `ZIP Code`, `zip_code` and `Zip-Code` compare equal.
pub fn normalize_name(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_name_ignores_case_and_punctuation() {
        assert_eq!(normalize_name("ZIP Code"), "zipcode");
        assert_eq!(normalize_name("zip_code"), "zipcode");
        assert_eq!(normalize_name("ZIP+4"), "zip4");
        assert_eq!(normalize_name("  "), "");
    }

    #[test]
    fn aliases_do_not_overlap_between_fields() {
        for specs in [
            ADDRESS_FIELDS,
            CITY_STATE_FIELDS,
            ZIPCODE_FIELDS,
            DOMESTIC_PRICE_FIELDS,
            SHIPPING_OPTIONS_FIELDS,
            INTERNATIONAL_PRICE_FIELDS,
            RATE_SHOP_FIELDS,
            SERVICE_STANDARD_FIELDS,
            TRACKING_FIELDS,
        ] {
            let mut seen: Vec<(String, &str)> = Vec::new();
            for spec in specs {
                let names = std::iter::once(spec.field).chain(spec.aliases.iter().copied());
                for name in names {
                    let normalized = normalize_name(name);
                    if let Some((_, owner)) = seen.iter().find(|(n, _)| *n == normalized) {
                        assert_eq!(*owner, spec.field, "alias {name} is shared");
                    }
                    seen.push((normalized, spec.field));
                }
            }
        }
    }

    #[test]
    fn name_is_not_a_firm_alias() {
        assert!(!FIRM
            .aliases
            .iter()
            .any(|alias| normalize_name(alias) == "name"));
    }
}
