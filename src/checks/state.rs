//! State codes: the codes the Addresses API accepts, full names, and the rules for military
//! (APO, FPO, DPO) addresses.

use super::zip::{military_prefix_state, military_prefixes};
use super::{Input, RowIssue};
use crate::manifest::fields::normalize_name;
use crate::usps::is_state_code;

/// Full names accepted in place of a code, normalized by [`normalize_name`].
const STATE_NAMES: &[(&str, &str)] = &[
    ("alabama", "AL"),
    ("alaska", "AK"),
    ("arizona", "AZ"),
    ("arkansas", "AR"),
    ("california", "CA"),
    ("colorado", "CO"),
    ("connecticut", "CT"),
    ("delaware", "DE"),
    ("districtofcolumbia", "DC"),
    ("washingtondc", "DC"),
    ("florida", "FL"),
    ("georgia", "GA"),
    ("hawaii", "HI"),
    ("idaho", "ID"),
    ("illinois", "IL"),
    ("indiana", "IN"),
    ("iowa", "IA"),
    ("kansas", "KS"),
    ("kentucky", "KY"),
    ("louisiana", "LA"),
    ("maine", "ME"),
    ("maryland", "MD"),
    ("massachusetts", "MA"),
    ("michigan", "MI"),
    ("minnesota", "MN"),
    ("mississippi", "MS"),
    ("missouri", "MO"),
    ("montana", "MT"),
    ("nebraska", "NE"),
    ("nevada", "NV"),
    ("newhampshire", "NH"),
    ("newjersey", "NJ"),
    ("newmexico", "NM"),
    ("newyork", "NY"),
    ("northcarolina", "NC"),
    ("northdakota", "ND"),
    ("ohio", "OH"),
    ("oklahoma", "OK"),
    ("oregon", "OR"),
    ("pennsylvania", "PA"),
    ("rhodeisland", "RI"),
    ("southcarolina", "SC"),
    ("southdakota", "SD"),
    ("tennessee", "TN"),
    ("texas", "TX"),
    ("utah", "UT"),
    ("vermont", "VT"),
    ("virginia", "VA"),
    ("washington", "WA"),
    ("westvirginia", "WV"),
    ("wisconsin", "WI"),
    ("wyoming", "WY"),
    ("americansamoa", "AS"),
    ("guam", "GU"),
    ("northernmarianaislands", "MP"),
    ("puertorico", "PR"),
    ("virginislands", "VI"),
    ("usvirginislands", "VI"),
    ("federatedstatesofmicronesia", "FM"),
    ("micronesia", "FM"),
    ("marshallislands", "MH"),
    ("palau", "PW"),
    ("armedforcesamericas", "AA"),
    ("armedforceseurope", "AE"),
    ("armedforcesafrica", "AE"),
    ("armedforcescanada", "AE"),
    ("armedforcesmiddleeast", "AE"),
    ("armedforcespacific", "AP"),
];

const MILITARY_STATES: &[&str] = &["AA", "AE", "AP"];
const MILITARY_CITIES: &[&str] = &["APO", "FPO", "DPO"];

/// Returns the two-letter code for a state column value, accepting any case, dots (`P.R.`)
/// and full names (`Illinois` becomes `IL`, noted as a repair).
pub(super) fn prepare_state(input: &Input, notes: &mut Vec<String>) -> Result<String, RowIssue> {
    let Some(value) = input.value.as_deref() else {
        return Err(input.issue(
            "missing_state",
            "is empty, and the Addresses API requires a state: fill in the two-letter code \
             (for example IL) and rerun"
                .to_owned(),
        ));
    };
    let code = value.replace('.', "").trim().to_ascii_uppercase();
    if is_state_code(&code) {
        return Ok(code);
    }
    let name = normalize_name(value);
    if let Some((_, code)) = STATE_NAMES.iter().find(|(known, _)| *known == name) {
        notes.push(format!("{}: `{value}` sent as {code}", input.place()));
        return Ok((*code).to_owned());
    }
    Err(input.issue(
        "invalid_state",
        format!(
            "`{value}` is not a US state, territory or military state code; use the \
             two-letter code (for example IL, PR or AE) and rerun"
        ),
    ))
}

/// Checks the rules of military mail: states AA, AE and AP need the city APO, FPO or DPO
/// and a ZIP Code of that state's range, and those cities need a military state.
pub(super) fn check_military(
    state: &str,
    state_input: &Input,
    city: Option<&str>,
    city_input: &Input,
    zip5: Option<&str>,
    zip_input: &Input,
) -> Result<(), RowIssue> {
    let military_state = MILITARY_STATES.contains(&state);
    let military_city = city.is_some_and(|city| MILITARY_CITIES.contains(&city));
    let code = "invalid_military_address";

    if military_state {
        if let Some(city) = city.filter(|_| !military_city) {
            return Err(city_input.issue(
                code,
                format!(
                    "`{city}` is not APO, FPO or DPO, but state {state} is a military state \
                     whose city must be one of those; fix the city or the state and rerun"
                ),
            ));
        }
        if let Some(zip5) = zip5 {
            if military_prefix_state(zip5) != Some(state) {
                let range = military_prefixes(state).unwrap_or_default();
                return Err(zip_input.issue(
                    code,
                    format!(
                        "ZIP Code {zip5} does not belong to military state {state}, whose ZIP \
                         Codes start with {range}; fix the ZIP Code or the state and rerun"
                    ),
                ));
            }
        }
    } else if military_city {
        let city = city.unwrap_or_default();
        return Err(state_input.issue(
            code,
            format!(
                "`{state}` is not a military state, but city {city} is a military post office; \
                 use state AA (Americas), AE (Europe, Middle East, Africa, Canada) or AP \
                 (Pacific) and rerun"
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    fn input(value: Option<&str>) -> Input<'static> {
        Input {
            field: "state",
            column: Some("state"),
            value: value.map(|text| Cow::Owned(text.to_owned())),
        }
    }

    #[test]
    fn prepare_state_accepts_codes() {
        let mut notes = Vec::new();
        assert_eq!(prepare_state(&input(Some("il")), &mut notes).unwrap(), "IL");
        assert_eq!(prepare_state(&input(Some("AE")), &mut notes).unwrap(), "AE");
        assert_eq!(
            prepare_state(&input(Some("P.R.")), &mut notes).unwrap(),
            "PR"
        );
        assert!(notes.is_empty());
    }

    #[test]
    fn prepare_state_accepts_names() {
        let mut notes = Vec::new();
        let code = prepare_state(&input(Some("Illinois")), &mut notes).unwrap();
        assert_eq!(code, "IL");
        assert_eq!(notes, ["column `state`: `Illinois` sent as IL"]);
        let code = prepare_state(&input(Some("new york")), &mut notes).unwrap();
        assert_eq!(code, "NY");
    }

    #[test]
    fn prepare_state_missing_and_invalid() {
        let mut notes = Vec::new();
        let missing = prepare_state(&input(None), &mut notes).unwrap_err();
        assert_eq!(missing.code, "missing_state");
        assert_eq!(missing.column.as_deref(), Some("state"));
        let invalid = prepare_state(&input(Some("Ilinois")), &mut notes).unwrap_err();
        assert_eq!(invalid.code, "invalid_state");
        assert_eq!(invalid.value.as_deref(), Some("Ilinois"));
        assert!(invalid.message.contains("`Ilinois`"), "{}", invalid.message);
    }
}
