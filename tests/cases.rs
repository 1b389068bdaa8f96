//! Inputs that users of tools like this one reported as failing, run end to end through
//! the binary and a sandbox on loopback. Each test checks the outcome of every row and that
//! rows failing local checks cost no call.

mod common;

use std::collections::HashMap;
use std::path::Path;

use common::{repo, sandbox_config, TestSandbox, Workspace};

type Rows = HashMap<String, HashMap<String, String>>;

struct CaseRun {
    code: i32,
    stderr: String,
    rows: Rows,
    errors: Rows,
    summary: serde_json::Value,
    address_calls: u64,
}

/// Runs an address job over `input` with `extra` job-file lines.
fn run_case(workspace: &Workspace, input: &Path, extra: &str) -> CaseRun {
    let sandbox = TestSandbox::start(sandbox_config("unlimited"));
    let settings = format!("quota = \"unlimited\"\nformat = \"csv\"\n{extra}");
    let job = workspace.job("case", "address", input, &settings);
    let run = workspace.run(&[
        "run",
        job.to_str().unwrap(),
        "--base-url",
        &sandbox.base_url,
        "--quiet",
    ]);
    // Rows are keyed by their `id` column, or by their position when there is none.
    let key = |rows: Vec<HashMap<String, String>>, fallback: &str| -> Rows {
        rows.into_iter()
            .enumerate()
            .map(|(index, row)| {
                let id = match row.get("id").filter(|id| !id.is_empty()) {
                    Some(id) => id.clone(),
                    None => row
                        .get(fallback)
                        .cloned()
                        .unwrap_or_else(|| (index + 1).to_string()),
                };
                (id, row)
            })
            .collect()
    };
    let rows = workspace.out().join("case.csv");
    CaseRun {
        code: run.code(),
        stderr: run.stderr(),
        rows: if rows.exists() {
            key(workspace.csv("case.csv"), "")
        } else {
            Rows::new()
        },
        errors: if rows.exists() {
            key(workspace.csv("case.errors.csv"), "row")
        } else {
            Rows::new()
        },
        summary: if rows.exists() {
            workspace.summary("case")
        } else {
            serde_json::Value::Null
        },
        address_calls: sandbox
            .stats()
            .requests
            .get("/addresses/v3/address")
            .copied()
            .unwrap_or(0),
    }
}

fn case_file(name: &str) -> std::path::PathBuf {
    repo().join("tests/data/cases").join(name)
}

fn status<'a>(run: &'a CaseRun, row: &str) -> &'a str {
    &run.rows[row]["usps_status"]
}

fn code<'a>(run: &'a CaseRun, row: &str) -> &'a str {
    &run.rows[row]["usps_error_code"]
}

#[test]
fn bom_is_stripped_from_first_header() {
    let workspace = Workspace::new();
    let run = run_case(&workspace, &case_file("bom.csv"), "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(status(&run, "1"), "ok");
    assert_eq!(run.rows["1"]["id"], "1", "header `id` is found");
}

#[test]
fn duplicate_header_stops_unless_mapped() {
    let workspace = Workspace::new();
    let run = run_case(&workspace, &case_file("duplicate-header.csv"), "");
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("duplicate column `street`"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("positions 2 and 6"), "{}", run.stderr);
    assert_eq!(run.address_calls, 0);

    let mapped = Workspace::new();
    let run = run_case(
        &mapped,
        &case_file("duplicate-header.csv"),
        "[columns]\nstreetAddress = \"street#1\"\nsecondaryAddress = \"street#2\"",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.rows["1"]["usps_secondary_address"], "APT 2");
}

#[test]
fn ragged_rows_are_reported_and_others_go_on() {
    let workspace = Workspace::new();
    let run = run_case(&workspace, &case_file("ragged.csv"), "");
    assert_eq!(run.code, 3);
    assert_eq!(
        status(&run, "1"),
        "ok",
        "one empty trailing field is accepted"
    );
    assert_eq!(code(&run, "2"), "wrong_field_count");
    assert_eq!(run.errors["2"]["line"], "3");
    assert!(
        run.errors["2"]["message"].contains("4 of 5"),
        "{:?}",
        run.errors["2"]
    );
    assert_eq!(status(&run, "3"), "ok");
    assert_eq!(run.address_calls, 2, "the ragged row costs no call");
}

#[test]
fn newline_in_field_keeps_records_apart() {
    let workspace = Workspace::new();
    let run = run_case(&workspace, &case_file("newline-in-field.csv"), "");
    assert_eq!(run.rows.len(), 2);
    assert_eq!(run.rows["1"]["usps_secondary_address"], "APT 4B");
    assert!(!run.rows["1"]["usps_street_address"].contains('\n'));
    assert_eq!(status(&run, "2"), "ok");
}

#[test]
fn unterminated_quote_is_reported() {
    let workspace = Workspace::new();
    let run = run_case(&workspace, &case_file("unterminated-quote.csv"), "");
    assert_eq!(run.code, 3);
    assert_eq!(status(&run, "1"), "ok");
    assert_eq!(code(&run, "2"), "unterminated_quote");
    assert_eq!(run.errors["2"]["line"], "3");
    assert_eq!(run.address_calls, 1);
}

#[test]
fn latin1_row_is_reported_or_decoded() {
    let workspace = Workspace::new();
    let run = run_case(&workspace, &case_file("latin1.csv"), "");
    assert_eq!(run.rows.len(), 901);
    assert_eq!(code(&run, "900"), "invalid_utf8");
    assert!(
        run.errors["900"]["message"].contains("latin1"),
        "the fix is named"
    );
    let unreadable = run
        .rows
        .values()
        .filter(|row| row["usps_status"] == "invalid_input")
        .count();
    assert_eq!(unreadable, 1, "every other row is processed");

    let declared = Workspace::new();
    let run = run_case(&declared, &case_file("latin1.csv"), "encoding = \"latin1\"");
    assert_eq!(
        run.rows["900"]["street"], "CALLE PEÑA 12",
        "decoded from Latin-1"
    );
    assert!(run.rows["900"]["usps_notes"].contains("`CALLE PENA 12`"));
    assert!(run
        .rows
        .values()
        .all(|row| row["usps_status"] != "invalid_input"));
}

#[test]
fn header_spelling_maps_without_configuration() {
    let workspace = Workspace::new();
    let run = run_case(&workspace, &case_file("header-spelling.csv"), "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.rows["1"]["usps_zip_code"], "00926");
    assert_eq!(
        run.rows["1"]["Zipcode"], "00926",
        "the leading zero survives"
    );
}

#[test]
fn short_zip_is_padded_only_where_the_state_allows() {
    let workspace = Workspace::new();
    let run = run_case(&workspace, &case_file("short-zip.csv"), "");
    assert_eq!(run.rows["1"]["usps_zip_code"], "02134");
    assert!(run.rows["1"]["usps_notes"].contains("padded"));
    assert_eq!(code(&run, "2"), "zip_too_short");
    assert_eq!(run.address_calls, 1);
}

#[test]
fn zip_plus4_forms_are_split() {
    let workspace = Workspace::new();
    let input = workspace.write(
        "zip4.csv",
        "id,street,city,state,zip\n\
         3,1450 OAK RIDGE DR,GREELEY,CO,80634-1226\n\
         4,1450 OAK RIDGE DR,GREELEY,CO,806341226\n\
         5,1450 OAK RIDGE DR,GREELEY,CO,80634 1226\n\
         6,1450 OAK RIDGE DR,GREELEY,CO,8063412\n",
    );
    let run = run_case(&workspace, &input, "");
    for row in ["3", "4", "5"] {
        assert_eq!(run.rows[row]["usps_zip_code"], "80634", "row {row}");
    }
    assert_eq!(code(&run, "6"), "invalid_zip");
    assert_eq!(run.address_calls, 1, "the three spellings are one request");
    assert_eq!(run.summary["deduplicated"], 2);
}

#[test]
fn missing_state_costs_no_call() {
    let workspace = Workspace::new();
    let input = workspace.write(
        "state.csv",
        "id,street,city,state,zip\n5,742 EVERGREEN TER,SPRINGFIELD,,62704\n",
    );
    let run = run_case(&workspace, &input, "");
    assert_eq!(code(&run, "5"), "missing_state");
    assert_eq!(run.address_calls, 0);
}

#[test]
fn fractional_numbers_survive() {
    let workspace = Workspace::new();
    let input = workspace.write(
        "fraction.csv",
        "id,street,city,state,zip\n\
         6,123 1/2 MAIN ST APT 4B,SPRINGFIELD,IL,62701\n\
         7,123½ MAIN ST,SPRINGFIELD,IL,62701\n",
    );
    let run = run_case(&workspace, &input, "");
    assert_eq!(run.rows["6"]["usps_street_address"], "123 1/2 MAIN ST");
    assert_eq!(run.rows["6"]["usps_secondary_address"], "APT 4B");
    assert_eq!(run.rows["7"]["usps_street_address"], "123 1/2 MAIN ST");
}

#[test]
fn box_and_route_lines_are_sent_unchanged() {
    let workspace = Workspace::new();
    let input = workspace.write(
        "boxes.csv",
        "id,street,city,state,zip\n\
         9,PO BOX 1234,SPRINGFIELD,IL,62705\n\
         10,RR 2 BOX 15,PLEASANT HILL,IL,62366\n\
         11,HC 1 BOX 23,MOUNTAIN VIEW,AR,72560\n",
    );
    let run = run_case(&workspace, &input, "");
    assert_eq!(run.rows["9"]["usps_street_address"], "PO BOX 1234");
    assert_eq!(run.rows["10"]["usps_street_address"], "RR 2 BOX 15");
    assert_eq!(run.rows["11"]["usps_street_address"], "HC 1 BOX 23");
    for row in ["9", "10", "11"] {
        assert_ne!(status(&run, row), "invalid_input", "row {row}");
    }
}

#[test]
fn unit_after_comma_is_kept() {
    let workspace = Workspace::new();
    let input = workspace.write(
        "unit.csv",
        "id,street,street2,city,state,zip\n12,\"221 W HURON ST, 4B\",,CHICAGO,IL,60654\n",
    );
    let run = run_case(&workspace, &input, "");
    assert!(
        run.rows["12"]["usps_secondary_address"].contains("4B"),
        "{:?}",
        run.rows["12"]
    );
    assert!(run.rows["12"]["usps_notes"].contains("moved"));
}

#[test]
fn hash_and_ampersand_arrive_intact() {
    let workspace = Workspace::new();
    let input = workspace.write(
        "encoding.csv",
        "id,street,city,state,zip\n\
         13,1400 ELM ST # 326,SPRINGFIELD,IL,62702\n\
         14,4TH & WALNUT ST,LEBANON,PA,17042\n",
    );
    let run = run_case(&workspace, &input, "");
    // Without encoding, `#` would cut off city, state and ZIP, and `&` would split the
    // street parameter; the sandbox would then answer 400.
    assert!(
        run.rows["13"]["usps_secondary_address"].contains("326"),
        "{:?}",
        run.rows["13"]
    );
    assert_eq!(run.rows["13"]["usps_zip_code"], "62702");
    assert!(
        run.rows["14"]["usps_street_address"].contains('&'),
        "{:?}",
        run.rows["14"]
    );
}

#[test]
fn military_addresses_are_checked() {
    let workspace = Workspace::new();
    let input = workspace.write(
        "military.csv",
        "id,street,city,state,zip\n\
         15,PSC 1234 BOX 5678,APO,AE,09012\n\
         16,UNIT 4501 BOX 22,DPO,AP,96338\n\
         17,PSC 1234 BOX 5678,APO,AE,96338\n\
         18,PSC 1234 BOX 5678,SPRINGFIELD,AE,09012\n",
    );
    let run = run_case(&workspace, &input, "");
    assert_eq!(status(&run, "15"), "ok");
    assert_eq!(run.rows["15"]["usps_state"], "AE");
    assert_ne!(status(&run, "16"), "invalid_input");
    assert_eq!(code(&run, "17"), "invalid_military_address");
    assert_eq!(code(&run, "18"), "invalid_military_address");
    assert_eq!(run.address_calls, 2);
}

#[test]
fn urbanization_is_passed_and_change_marked() {
    let workspace = Workspace::new();
    let input = workspace.write(
        "urb.csv",
        "id,urbanization,street,city,state,zip\n17,\"URB. LAS FLORES\",150 CALLE A,SAN JUAN,PR,00926\n",
    );
    let run = run_case(&workspace, &input, "");
    assert_eq!(run.rows["17"]["usps_urbanization"], "URB LAS FLORES");
    assert_eq!(run.rows["17"]["usps_urbanization_changed"], "Y");
}

#[test]
fn unusual_street_forms_still_reach_the_api() {
    let workspace = Workspace::new();
    let input = workspace.write(
        "east.csv",
        "id,street,city,state,zip\n18,4500 10TH ST EAST 200,LANCASTER,CA,93535\n",
    );
    let run = run_case(&workspace, &input, "");
    assert_ne!(status(&run, "18"), "invalid_input");
    assert_eq!(run.address_calls, 1);
}

#[test]
fn non_ascii_text_is_transliterated_for_the_api_only() {
    let workspace = Workspace::new();
    let run = run_case(&workspace, &case_file("non-ascii.csv"), "");
    assert_eq!(run.rows["19"]["usps_city"], "MAYAGUEZ");
    assert_eq!(run.rows["19"]["usps_street_address"], "123 CALLE PENA");
    assert_eq!(run.rows["19"]["name"], "Zoë Peña", "the input text is kept");
    assert_eq!(run.rows["20"]["name"], "Kim 🏡");
    assert_ne!(status(&run, "20"), "invalid_input");
}

#[test]
fn multiple_matches_are_ambiguous_and_final() {
    let workspace = Workspace::new();
    let input = workspace.write(
        "multi.csv",
        "id,street,city,state,zip\n35,199 MAIN ST,SPRINGFIELD,IL,62701\n",
    );
    let run = run_case(&workspace, &input, "");
    assert_eq!(status(&run, "35"), "ambiguous");
    assert_eq!(code(&run, "35"), "ambiguous_needs_unit");
    assert_eq!(run.errors["35"]["retryable"], "no");
}
