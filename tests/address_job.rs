//! The address job end to end: the real binary, the sample manifest, the in-process sandbox
//! over loopback, a real state file and real output files.

mod common;

use std::collections::HashMap;

use common::{read_csv, repo, Workspace};

fn run_sample(workspace: &Workspace) -> common::Run {
    let job = repo().join("jobs/address-cleanse.toml");
    let state = workspace.state();
    let out = workspace.out();
    workspace.run(&[
        "run",
        job.to_str().unwrap(),
        "--state",
        state.to_str().unwrap(),
        "--output-dir",
        out.to_str().unwrap(),
        "--quiet",
    ])
}

fn by_id(rows: &[HashMap<String, String>]) -> HashMap<String, HashMap<String, String>> {
    rows.iter()
        .map(|row| (row["id"].clone(), row.clone()))
        .collect()
}

#[test]
fn sample_job_covers_every_row() {
    let workspace = Workspace::new();
    run_sample(&workspace).expect_code(3);

    let input = read_csv(&repo().join("samples/addresses.csv"));
    let output = workspace.csv("address-cleanse.csv");
    assert_eq!(output.len(), input.len(), "one output row per input row");
    for (input_row, output_row) in input.iter().zip(&output) {
        assert_eq!(input_row["id"], output_row["id"], "input order is kept");
        for (column, value) in input_row {
            let written = &output_row[column];
            let neutralized = format!("'{value}");
            assert!(
                written == value || *written == neutralized,
                "row {}: column {column} changed from {value:?} to {written:?}",
                input_row["id"]
            );
        }
    }

    let errors = workspace.csv("address-cleanse.errors.csv");
    let failed: Vec<&String> = output
        .iter()
        .filter(|row| !matches!(row["usps_status"].as_str(), "ok" | "corrected"))
        .map(|row| &row["id"])
        .collect();
    let reported: Vec<&String> = errors.iter().map(|row| &row["id"]).collect();
    assert_eq!(
        failed, reported,
        "every failed row is in the error report once"
    );

    // The report names the column and value behind a local check and an API error.
    let errors_by_id = by_id(&errors);
    let bad_state = &errors_by_id["A0072"];
    assert_eq!(bad_state["field"], "state");
    assert_eq!(bad_state["column"], "state");
    assert_eq!(bad_state["value"], "XX");
    let unknown_zip = &errors_by_id["A0078"];
    assert_eq!(unknown_zip["field"], "ZIPCode");
    assert_eq!(unknown_zip["column"], "zip");
    assert_eq!(unknown_zip["value"], "22121");

    let summary = workspace.summary("address-cleanse");
    assert_eq!(summary["rows"], input.len() as u64);
    let by_status: u64 = summary["by_status"]
        .as_object()
        .unwrap()
        .values()
        .map(|count| count.as_u64().unwrap())
        .sum();
    assert_eq!(by_status, input.len() as u64);
    assert!(summary["api_calls"].as_u64().unwrap() > 0);
    assert_eq!(summary["token_calls"], 1);
    assert_eq!(summary["rate_limited"], 0);
    for key in ["retries", "elapsed_seconds", "state_file", "job_id"] {
        assert!(summary.get(key).is_some(), "summary has {key}");
    }
}

#[test]
fn rerun_makes_no_calls() {
    let workspace = Workspace::new();
    run_sample(&workspace).expect_code(3);
    let first = std::fs::read(workspace.out().join("address-cleanse.csv")).unwrap();
    run_sample(&workspace).expect_code(3);
    let summary = workspace.summary("address-cleanse");
    assert_eq!(summary["api_calls"], 0);
    assert_eq!(summary["token_calls"], 0);
    let second = std::fs::read(workspace.out().join("address-cleanse.csv")).unwrap();
    assert_eq!(first, second, "the rerun writes the same output");
}

#[test]
fn sample_rows_have_expected_results() {
    let workspace = Workspace::new();
    run_sample(&workspace).expect_code(3);
    let rows = by_id(&workspace.csv("address-cleanse.csv"));
    let errors = by_id(&workspace.csv("address-cleanse.errors.csv"));

    let check = |id: &str, column: &str, expected: &str| {
        let row = rows.get(id).unwrap_or_else(|| panic!("row {id} missing"));
        assert_eq!(row[column], expected, "row {id} column {column}");
    };

    // Spelled-out suffix and directional are standardized. The sandbox treats primary
    // numbers ending in 00 as buildings with units, so the White House needs one.
    check("A0001", "usps_status", "ambiguous");
    check("A0001", "usps_street_address", "1600 PENNSYLVANIA AVE NW");
    check("A0001", "usps_dpv_confirmation", "D");
    check("A0001", "usps_correction_codes", "32");
    check("A0001", "usps_error_code", "default_match_needs_unit");

    // An exact match keeps its ZIP Code; the ZIP+4 written in the input is replaced by
    // the one USPS returns, which makes the row corrected.
    check("A0002", "usps_status", "corrected");
    check("A0002", "usps_street_address", "101 INDEPENDENCE AVE SE");
    check("A0002", "usps_zip_code", "20540");
    check("A0002", "usps_match_codes", "31");
    assert_eq!(
        rows["A0002"]["usps_zip"].len(),
        10,
        "ZIP+4 written with a dash"
    );
    assert_eq!(rows["A0002"]["usps_delivery_point"].len(), 2);

    // A 4-digit Massachusetts ZIP is padded, and the repair is noted.
    check("A0029", "usps_zip_code", "02134");
    assert!(rows["A0029"]["usps_notes"].contains("padded to 02134"));

    // A fractional house number is kept; the row is an exact match.
    check("A0034", "usps_status", "ok");
    check("A0034", "usps_street_address", "10 1/2 BEACON ST");
    check("A0034", "usps_dpv_confirmation", "Y");

    // A state that does not match the ZIP Code is corrected.
    check("A0110", "usps_status", "corrected");
    check("A0110", "usps_state", "FL");

    // A misspelt city without ZIP Code is corrected and the ZIP Code filled in.
    check("A0147", "usps_status", "corrected");
    check("A0147", "usps_city", "SPRINGFIELD");
    assert_eq!(rows["A0147"]["usps_zip_code"].len(), 5);

    // Puerto Rico: urbanization passed and echoed; accents transliterated and noted.
    check("A0256", "usps_urbanization", "URB PUERTO NUEVO");
    check("A0256", "usps_urbanization_changed", "N");
    check("A0258", "usps_city", "BAYAMON");
    assert!(rows["A0258"]["usps_notes"].contains("transliterated"));
    assert_eq!(rows["A0258"]["city"], "Bayamón", "the input text is kept");

    // ZIP+4 written as nine digits or with a space is split.
    check("A0152", "usps_zip_code", "55155");

    // Missing state: a local error that costs no call.
    check("A0020", "usps_status", "invalid_input");
    check("A0020", "usps_error_code", "missing_state");
    assert_eq!(errors["A0020"]["code"], "missing_state");
    assert_eq!(errors["A0020"]["retryable"], "no");

    // Missing street.
    check("A0054", "usps_error_code", "missing_street");
    // State XX.
    check("A0072", "usps_error_code", "invalid_state");
    // A 4-digit Texas ZIP is not padded.
    check("A0199", "usps_error_code", "zip_too_short");
    // A 7-digit ZIP.
    check("A0125", "usps_error_code", "invalid_zip");
    // A street over the spec's 50 characters.
    check("A0233", "usps_error_code", "street_too_long");
    // APO AE with an AP ZIP.
    check("A0185", "usps_error_code", "invalid_military_address");

    // House number 0 and a NOWHERE street are not found by USPS.
    check("A0118", "usps_status", "not_found");
    check("A0171", "usps_status", "not_found");
    assert_eq!(errors["A0171"]["http_status"], "404");

    // A misspelt city without ZIP in a state that has no such city.
    check("A0241", "usps_status", "not_found");

    // The military address is accepted.
    check("A0158", "usps_state", "AE");
    check("A0158", "usps_city", "APO");

    // Formula-like notes are neutralized.
    assert!(rows["A0095"]["notes"].starts_with("'="));
    assert!(rows["A0114"]["notes"].starts_with("'-"));
    assert!(rows["A0081"]["notes"].starts_with("'@"));
}
