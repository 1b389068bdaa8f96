//! Rules of Domestic Prices that decide whether a request has a price: the mail class and
//! processing category pairs, the rate indicators and entry facilities of each class, and
//! the dimensional weight rule. The runner checks them before sending and the sandbox
//! answers by them, so the two agree.

use rust_decimal::Decimal;

use super::prices::{
    DestinationEntryFacilityType, MailClass, PriceType, ProcessingCategory, RateIndicator,
};

/// Checks a mail class against a processing category by the combinations that Domestic
/// Prices rejects with error 030002 ("Could not find working sku"). Returns the reason when
/// the pair has no price. Letters exist only for Priority Mail and Priority Mail Express,
/// Parcel Select takes parcels only (`NON_MACHINABLE` and `IRREGULAR` are the spec's
/// deprecated names of `NONSTANDARD`), and `USPS_RETAIL_GROUND` is no longer priced.
// NOTE: USPS publishes no full table; pairs outside these rules are left to the API.
pub fn check_combination(
    mail_class: MailClass,
    category: ProcessingCategory,
) -> Result<(), String> {
    use ProcessingCategory as Category;
    if mail_class == MailClass::UspsRetailGround {
        return Err("USPS_RETAIL_GROUND is no longer supported by USPS".to_owned());
    }
    let allowed: Option<&[Category]> = match mail_class {
        MailClass::ParcelSelect | MailClass::ParcelSelectLightweight => Some(&[
            Category::Machinable,
            Category::NonMachinable,
            Category::Nonstandard,
            Category::Irregular,
        ]),
        _ => None,
    };
    if let Some(allowed) = allowed {
        if !allowed.contains(&category) {
            return Err(format!(
                "{} has no price for processing category {}; it takes {}",
                mail_class.as_str(),
                category.as_str(),
                allowed
                    .iter()
                    .map(|category| category.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    let letters_class = matches!(
        mail_class,
        MailClass::PriorityMail | MailClass::PriorityMailExpress
    );
    if category == Category::Letters && !letters_class {
        return Err(format!(
            "{} has no price for processing category LETTERS; only PRIORITY_MAIL and \
             PRIORITY_MAIL_EXPRESS take letters",
            mail_class.as_str()
        ));
    }
    Ok(())
}

/// Volume above which the dimensional weight rule applies, in cubic inches (one cubic foot).
pub const DIM_WEIGHT_VOLUME: i64 = 1728;

/// Reports whether the dimensional weight rule applies to a package: Priority Mail, Priority
/// Mail Express, Ground Advantage or Parcel Select (and their return and deprecated names)
/// over one cubic foot. Dimensions are in inches.
pub fn dim_weight_applies(mail_class: MailClass, dimensions: [Decimal; 3]) -> bool {
    let dimensional_class = matches!(
        mail_class,
        MailClass::PriorityMail
            | MailClass::PriorityMailReturnService
            | MailClass::PriorityMailExpress
            | MailClass::PriorityMailExpressReturnService
            | MailClass::UspsGroundAdvantage
            | MailClass::UspsGroundAdvantageReturnService
            | MailClass::FirstClassPackageService
            | MailClass::FirstClassPackageReturnService
            | MailClass::GroundReturnService
            | MailClass::ParcelSelect
            | MailClass::ParcelSelectLightweight
    );
    let [length, width, height] = dimensions;
    dimensional_class && length * width * height > Decimal::from(DIM_WEIGHT_VOLUME)
}

/// Returns the single-piece rate indicator of a package: `DR` (dimensional rectangular) when
/// the dimensional weight rule applies, because USPS then rejects `SP` with error 030007, and
/// `SP` otherwise.
pub fn single_piece_indicator(mail_class: MailClass, dimensions: [Decimal; 3]) -> RateIndicator {
    if dim_weight_applies(mail_class, dimensions) {
        RateIndicator::DimensionalRectangular
    } else {
        RateIndicator::SinglePiece
    }
}

/// Flat rate containers of Priority Mail, by rate indicator.
pub const PRIORITY_FLAT_RATES: &[&str] = &["FE", "FA", "FP", "FS", "FB", "PL", "PM"];
/// Flat rate envelopes of Priority Mail Express, by rate indicator.
pub const EXPRESS_FLAT_RATES: &[&str] = &["E4", "E6", "E7", "FE", "FA", "FP"];
/// Cubic and soft-pack cubic rate indicators, which USPS sells at commercial prices only.
pub const CUBIC_RATES: &[&str] = &[
    "C1", "C2", "C3", "C4", "C5", "CP", "P5", "P6", "P7", "P8", "P9", "Q6", "Q7", "Q8", "Q9", "Q0",
];

/// Checks the rate indicator and the destination entry facility against the mail class and
/// price type, by the combinations that Domestic Prices rejects with error 030002. Flat rate
/// containers belong to Priority Mail and Priority Mail Express, and `PA` to Priority Mail
/// Express. Cubic prices are commercial prices of Priority Mail and Ground Advantage.
/// Destination entry, where the mailer drops the piece at a USPS facility near the
/// recipient, has commercial prices of Parcel Select, USPS Connect and Bound Printed Matter.
// NOTE: USPS publishes no table of valid combinations, so these rules are the runner's
// reading of the rate indicator names in the spec. Presort and other destination rate
// indicators (3D, 5D, DC, DE, DF, BA, BB, BM, NP, PR, O1 to O7, OS, S*, L*, CM, SB) are left
// to the API.
pub fn check_ingredients(
    mail_class: MailClass,
    rate_indicator: RateIndicator,
    entry: DestinationEntryFacilityType,
    price_type: PriceType,
) -> Result<(), String> {
    let class = mail_class.as_str();
    let indicator = rate_indicator.as_str();
    let priority = matches!(
        mail_class,
        MailClass::PriorityMail | MailClass::PriorityMailReturnService
    );
    let express = matches!(
        mail_class,
        MailClass::PriorityMailExpress | MailClass::PriorityMailExpressReturnService
    );
    let flat_ok = (priority && PRIORITY_FLAT_RATES.contains(&indicator))
        || (express && EXPRESS_FLAT_RATES.contains(&indicator));
    let is_flat =
        PRIORITY_FLAT_RATES.contains(&indicator) || EXPRESS_FLAT_RATES.contains(&indicator);
    if is_flat && !flat_ok {
        return Err(format!(
            "{class} has no flat rate price for rate indicator {indicator}; flat rate \
             containers belong to PRIORITY_MAIL ({}) and PRIORITY_MAIL_EXPRESS ({})",
            PRIORITY_FLAT_RATES.join(", "),
            EXPRESS_FLAT_RATES.join(", ")
        ));
    }
    if indicator == "PA" && !express {
        return Err(format!(
            "{class} has no price for rate indicator PA, which is the single piece of \
             PRIORITY_MAIL_EXPRESS"
        ));
    }
    if CUBIC_RATES.contains(&indicator) {
        let cubic_class = priority
            || matches!(
                mail_class,
                MailClass::UspsGroundAdvantage | MailClass::UspsGroundAdvantageReturnService
            );
        if !cubic_class || price_type == PriceType::Retail {
            return Err(format!(
                "cubic rate indicator {indicator} has commercial prices of PRIORITY_MAIL and \
                 USPS_GROUND_ADVANTAGE only, not {class} at {}",
                price_type.as_str()
            ));
        }
    }
    if entry != DestinationEntryFacilityType::None {
        let entry_class = matches!(
            mail_class,
            MailClass::ParcelSelect
                | MailClass::ParcelSelectLightweight
                | MailClass::UspsConnectLocal
                | MailClass::UspsConnectMail
                | MailClass::UspsConnectRegional
                | MailClass::BoundPrintedMatter
        );
        if !entry_class || price_type == PriceType::Retail {
            return Err(format!(
                "destination entry {} has commercial prices of PARCEL_SELECT, USPS Connect \
                 and BOUND_PRINTED_MATTER only, not {class} at {}",
                entry.as_str(),
                price_type.as_str()
            ));
        }
    }
    Ok(())
}
