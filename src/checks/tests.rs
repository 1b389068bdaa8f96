use std::collections::BTreeMap;
use std::path::Path;

use super::*;
use crate::manifest::{Fields, ADDRESS_FIELDS, CITY_STATE_FIELDS, ZIPCODE_FIELDS};

const HEADERS: &[&str] = &["id", "street", "city", "state", "zip"];

fn columns(specs: &[crate::manifest::FieldSpec], headers: &[&str]) -> ColumnMap {
    let headers: Vec<String> = headers.iter().map(|name| name.to_string()).collect();
    ColumnMap::resolve(specs, &BTreeMap::new(), &headers, Path::new("orders.csv")).unwrap()
}

fn record(values: &[&str]) -> Record {
    Record {
        row: 1,
        line: 2,
        byte: 0,
        content_hash: [0; 16],
        fields: Fields::Csv(values.iter().map(|value| value.to_string()).collect()),
        problem: None,
    }
}

fn address(values: &[&str]) -> Result<Prepared<AddressQuery>, RowIssue> {
    prepare_address(&record(values), &columns(ADDRESS_FIELDS, HEADERS))
}

#[test]
fn address_plain_row() {
    let prepared = address(&["1", "742 EVERGREEN TER", "SPRINGFIELD", "IL", "62704"]).unwrap();
    let expected = AddressQuery {
        street_address: "742 EVERGREEN TER".into(),
        city: Some("SPRINGFIELD".into()),
        state: "IL".into(),
        zip_code: Some("62704".into()),
        ..Default::default()
    };
    assert_eq!(prepared.query, expected);
    assert!(prepared.notes.is_empty());
}

#[test]
fn short_zip_padded_in_massachusetts() {
    let prepared = address(&["1", "15 HARVARD AVE", "ALLSTON", "MA", "2134"]).unwrap();
    assert_eq!(prepared.query.zip_code.as_deref(), Some("02134"));
    assert_eq!(
        prepared.notes,
        ["column `zip`: ZIP Code 2134 padded to 02134 (MA ZIP Codes start with 0)"]
    );
}

#[test]
fn short_zip_rejected_in_texas() {
    let issue = address(&["2", "900 ELM ST", "DALLAS", "TX", "7520"]).unwrap_err();
    assert_eq!(issue.code, "zip_too_short");
    assert_eq!(issue.field, Some("ZIPCode"));
    assert_eq!(issue.column.as_deref(), Some("zip"));
    assert_eq!(issue.value.as_deref(), Some("7520"));
    assert!(
        issue.message.starts_with("column `zip`: ZIP Code `7520`"),
        "{}",
        issue.message
    );
    assert!(
        issue
            .message
            .contains("07520, which is a NJ ZIP Code, not TX"),
        "{}",
        issue.message
    );
}

#[test]
fn zip_plus4_split() {
    for zip in ["80634-1226", "806341226", "80634 1226"] {
        let prepared = address(&["3", "1450 OAK RIDGE DR", "GREELEY", "CO", zip]).unwrap();
        assert_eq!(prepared.query.zip_code.as_deref(), Some("80634"), "{zip}");
        assert_eq!(prepared.query.zip_plus4.as_deref(), Some("1226"), "{zip}");
    }
}

#[test]
fn zip_other_lengths_invalid() {
    for zip in ["806341", "8063412", "80634122", "8063412260", "8O634"] {
        let issue = address(&["3", "1450 OAK RIDGE DR", "GREELEY", "CO", zip]).unwrap_err();
        assert_eq!(issue.code, "invalid_zip", "{zip}");
        assert!(
            issue.message.contains(&format!("`{zip}`")),
            "{}",
            issue.message
        );
    }
}

#[test]
fn separate_plus4_column() {
    let headers = ["street", "city", "state", "zip", "zip4"];
    let map = columns(ADDRESS_FIELDS, &headers);
    let row = record(&["1450 OAK RIDGE DR", "GREELEY", "CO", "80634", "1226"]);
    let prepared = prepare_address(&row, &map).unwrap();
    assert_eq!(prepared.query.zip_plus4.as_deref(), Some("1226"));

    let bad = record(&["1450 OAK RIDGE DR", "GREELEY", "CO", "80634", "226"]);
    let issue = prepare_address(&bad, &map).unwrap_err();
    assert_eq!(issue.code, "invalid_zip_plus4");
    assert_eq!(issue.column.as_deref(), Some("zip4"));

    let conflict = record(&["1450 OAK RIDGE DR", "GREELEY", "CO", "80634-1226", "1227"]);
    let issue = prepare_address(&conflict, &map).unwrap_err();
    assert_eq!(issue.code, "invalid_zip_plus4");
    assert!(issue.message.contains("disagrees"), "{}", issue.message);
}

#[test]
fn missing_state_costs_no_call() {
    let issue = address(&["5", "742 EVERGREEN TER", "SPRINGFIELD", "", "62704"]).unwrap_err();
    assert_eq!(issue.code, "missing_state");
    assert_eq!(issue.column.as_deref(), Some("state"));
    assert!(
        issue.message.starts_with("column `state`: is empty"),
        "{}",
        issue.message
    );
}

#[test]
fn state_name_repaired() {
    let prepared = address(&["5", "742 EVERGREEN TER", "SPRINGFIELD", "Illinois", ""]).unwrap();
    assert_eq!(prepared.query.state, "IL");
    assert_eq!(prepared.notes, ["column `state`: `Illinois` sent as IL"]);
}

#[test]
fn invalid_state_rejected() {
    let issue = address(&["5", "742 EVERGREEN TER", "SPRINGFIELD", "XX", "62704"]).unwrap_err();
    assert_eq!(issue.code, "invalid_state");
}

#[test]
fn missing_street_rejected() {
    let issue = address(&["5", "", "SPRINGFIELD", "IL", "62704"]).unwrap_err();
    assert_eq!(issue.code, "missing_street");
    assert_eq!(issue.field, Some("streetAddress"));
}

#[test]
fn city_or_zip_required() {
    let issue = address(&["5", "742 EVERGREEN TER", "", "IL", ""]).unwrap_err();
    assert_eq!(issue.code, "missing_city_or_zip");
    assert!(
        issue.message.contains("columns `city` and `zip` are empty"),
        "{}",
        issue.message
    );
    let city_only = address(&["5", "742 EVERGREEN TER", "SPRINGFIELD", "IL", ""]).unwrap();
    assert_eq!(city_only.query.zip_code, None);
    let zip_only = address(&["5", "742 EVERGREEN TER", "", "IL", "62704"]).unwrap();
    assert_eq!(zip_only.query.city, None);
}

#[test]
fn fractional_house_numbers() {
    let intact = address(&["6", "123 1/2 MAIN ST APT 4B", "SPRINGFIELD", "IL", "62701"]).unwrap();
    assert_eq!(intact.query.street_address, "123 1/2 MAIN ST APT 4B");
    let spelled = address(&["7", "123½ MAIN ST", "SPRINGFIELD", "IL", "62701"]).unwrap();
    assert_eq!(spelled.query.street_address, "123 1/2 MAIN ST");
    assert_eq!(
        spelled.notes,
        ["column `street`: `123½ MAIN ST` sent as `123 1/2 MAIN ST` (spelled out fractions)"]
    );
}

#[test]
fn box_and_route_lines_unchanged() {
    let rows = [
        ["9", "PO BOX 1234", "SPRINGFIELD", "IL", "62705"],
        ["10", "RR 2 BOX 15", "PLEASANT HILL", "IL", "62366"],
        ["11", "HC 1 BOX 23", "MOUNTAIN VIEW", "AR", "72560"],
    ];
    for row in rows {
        let prepared = address(&row).unwrap();
        assert_eq!(prepared.query.street_address, row[1]);
        assert_eq!(prepared.query.secondary_address, None);
        assert!(prepared.notes.is_empty(), "{:?}", prepared.notes);
    }
}

#[test]
fn unit_after_comma_moves() {
    let headers = ["id", "street", "street2", "city", "state", "zip"];
    let map = columns(ADDRESS_FIELDS, &headers);
    let row = record(&["12", "221 W HURON ST, 4B", "", "CHICAGO", "IL", "60654"]);
    let prepared = prepare_address(&row, &map).unwrap();
    assert_eq!(prepared.query.street_address, "221 W HURON ST");
    assert_eq!(prepared.query.secondary_address.as_deref(), Some("4B"));
    assert_eq!(prepared.notes.len(), 1);
}

#[test]
fn reserved_url_characters_untouched() {
    let hash = address(&["13", "1400 ELM ST # 326", "SPRINGFIELD", "IL", "62702"]).unwrap();
    assert_eq!(hash.query.street_address, "1400 ELM ST # 326");
    let ampersand = address(&["14", "4TH & WALNUT ST", "LEBANON", "PA", "17042"]).unwrap();
    assert_eq!(ampersand.query.street_address, "4TH & WALNUT ST");
}

#[test]
fn military_addresses_accepted() {
    let apo = address(&["15", "PSC 1234 BOX 5678", "APO", "AE", "09012"]).unwrap();
    assert_eq!(apo.query.state, "AE");
    assert_eq!(apo.query.street_address, "PSC 1234 BOX 5678");
    let dpo = address(&["16", "UNIT 4501 BOX 22", "DPO", "AP", "96338"]).unwrap();
    assert_eq!(dpo.query.city.as_deref(), Some("DPO"));
    let padded = address(&["15", "PSC 1234 BOX 5678", "APO", "AE", "9012"]).unwrap();
    assert_eq!(padded.query.zip_code.as_deref(), Some("09012"));
}

#[test]
fn military_mismatches_rejected() {
    let rows = [
        ["15", "PSC 1234 BOX 5678", "BERLIN", "AE", "09012"],
        ["16", "UNIT 4501 BOX 22", "DPO", "AP", "09012"],
        ["17", "UNIT 4501 BOX 22", "APO", "AA", "96338"],
        ["18", "PSC 1234 BOX 5678", "APO", "CA", "96338"],
    ];
    for row in rows {
        let issue = address(&row).unwrap_err();
        assert_eq!(issue.code, "invalid_military_address", "{row:?}");
    }
    let wrong_city = address(&rows[0]).unwrap_err();
    assert_eq!(wrong_city.column.as_deref(), Some("city"));
    let wrong_zip = address(&rows[1]).unwrap_err();
    assert!(
        wrong_zip.message.contains("962-966"),
        "{}",
        wrong_zip.message
    );
    let wrong_state = address(&rows[3]).unwrap_err();
    assert_eq!(wrong_state.column.as_deref(), Some("state"));
}

#[test]
fn urbanization_passed_through() {
    let headers = ["id", "urbanization", "street", "city", "state", "zip"];
    let map = columns(ADDRESS_FIELDS, &headers);
    let row = record(&[
        "17",
        "URB. LAS FLORES",
        "150 CALLE A",
        "SAN JUAN",
        "PR",
        "00926",
    ]);
    let prepared = prepare_address(&row, &map).unwrap();
    assert_eq!(
        prepared.query.urbanization.as_deref(),
        Some("URB. LAS FLORES")
    );
    assert!(prepared.notes.is_empty());
}

#[test]
fn non_ascii_transliterated() {
    let headers = ["id", "name", "street", "city", "state", "zip"];
    let map = columns(ADDRESS_FIELDS, &headers);
    let values = [
        "19",
        "Zoë Peña",
        "123 CALLE PEÑA",
        "MAYAGÜEZ",
        "PR",
        "00680",
    ];
    let row = record(&values);
    let prepared = prepare_address(&row, &map).unwrap();
    assert_eq!(prepared.query.street_address, "123 CALLE PENA");
    assert_eq!(prepared.query.city.as_deref(), Some("MAYAGUEZ"));
    assert_eq!(prepared.query.firm, None);
    assert_eq!(
        prepared.notes,
        [
            "column `street`: `123 CALLE PEÑA` sent as `123 CALLE PENA` (transliterated to ASCII)",
            "column `city`: `MAYAGÜEZ` sent as `MAYAGUEZ` (transliterated to ASCII)",
        ]
    );
    // The record keeps the original text for the output.
    assert_eq!(
        row.fields,
        Fields::Csv(values.iter().map(|v| v.to_string()).collect())
    );
}

#[test]
fn emoji_removed_from_firm() {
    let headers = ["company", "street", "city", "state", "zip"];
    let map = columns(ADDRESS_FIELDS, &headers);
    let row = record(&["Kim 🏡", "742 EVERGREEN TER", "SPRINGFIELD", "IL", "62704"]);
    let prepared = prepare_address(&row, &map).unwrap();
    assert_eq!(prepared.query.firm.as_deref(), Some("Kim"));
    assert_eq!(
        prepared.notes,
        ["column `company`: `Kim 🏡` sent as `Kim` (removed symbols)"]
    );
}

#[test]
fn newline_in_street_never_sent() {
    let headers = ["id", "name", "street", "city", "state", "zip"];
    let map = columns(ADDRESS_FIELDS, &headers);
    let row = record(&[
        "1",
        "Jo Rivera",
        "123 MAIN ST\nAPT 4B",
        "SPRINGFIELD",
        "IL",
        "62701",
    ]);
    let prepared = prepare_address(&row, &map).unwrap();
    assert_eq!(prepared.query.street_address, "123 MAIN ST");
    assert_eq!(prepared.query.secondary_address.as_deref(), Some("APT 4B"));
}

#[test]
fn long_city_and_firm_rejected() {
    let headers = ["firm", "street", "city", "state", "zip"];
    let map = columns(ADDRESS_FIELDS, &headers);
    let long_city = "LLANFAIRPWLLGWYNGYLLGOGERYCHWYRNDROBWLL";
    let row = record(&["", "1 MAIN ST", long_city, "IL", "62704"]);
    assert_eq!(
        prepare_address(&row, &map).unwrap_err().code,
        "city_too_long"
    );
    let long_firm = "A".repeat(51);
    let row = record(&[&long_firm, "1 MAIN ST", "SPRINGFIELD", "IL", "62704"]);
    assert_eq!(
        prepare_address(&row, &map).unwrap_err().code,
        "firm_too_long"
    );
}

#[test]
fn city_state_needs_five_digits() {
    let map = columns(CITY_STATE_FIELDS, &["id", "zip"]);
    let prepared = prepare_city_state(&record(&["1", "62704-1234"]), &map).unwrap();
    assert_eq!(prepared.query.zip_code, "62704");
    let short = prepare_city_state(&record(&["1", "2134"]), &map).unwrap_err();
    assert_eq!(short.code, "zip_too_short");
    assert!(short.message.contains("no state"), "{}", short.message);
    let missing = prepare_city_state(&record(&["1", ""]), &map).unwrap_err();
    assert_eq!(missing.code, "missing_zip");
}

#[test]
fn zipcode_lookup_needs_city() {
    let map = columns(ZIPCODE_FIELDS, HEADERS);
    let row = record(&["1", "742 EVERGREEN TER", "SPRINGFIELD", "IL", ""]);
    let prepared = prepare_zipcode(&row, &map).unwrap();
    assert_eq!(prepared.query.city, "SPRINGFIELD");
    assert_eq!(prepared.query.zip_code, None);
    let no_city = record(&["1", "742 EVERGREEN TER", "", "IL", "62704"]);
    assert_eq!(
        prepare_zipcode(&no_city, &map).unwrap_err().code,
        "missing_city"
    );
}
