//! The `international-price` kind end to end: the real binary against a sandbox on loopback.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use common::{repo, sandbox_config, TestSandbox, Workspace};

const BASE_RATES: &str = "/international-prices/v3/base-rates/search";
const TOTAL_RATES: &str = "/international-prices/v3/total-rates/search";

fn run(workspace: &Workspace, job: &Path, base_url: &str) -> common::Run {
    workspace.run(&[
        "run",
        job.to_str().unwrap(),
        "--base-url",
        base_url,
        "--quiet",
    ])
}

fn by_id(rows: Vec<HashMap<String, String>>, id: &str) -> HashMap<String, HashMap<String, String>> {
    rows.into_iter().map(|row| (row[id].clone(), row)).collect()
}

fn sample_job(workspace: &Workspace) -> PathBuf {
    workspace.job(
        "intl",
        "international-price",
        &repo().join("samples/international.csv"),
        "quota = \"600/m\"\n[units]\nweight = \"g\"\ndimensions = \"cm\"\n[columns]\nid = \"order_id\"\n",
    )
}

#[test]
fn sample_prices_match_rate_table() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("600/m"));
    let job = sample_job(&workspace);
    // Exit 3: the sample has invalid rows on purpose.
    run(&workspace, &job, &sandbox.base_url).expect_code(3);

    let rows = by_id(workspace.csv("intl.csv"), "order_id");
    // Canada is price group 1; 1360 g is 2.998 lb, billed as 3 lb: 45.00 + 2 × 3.50.
    let canada = &rows["I0001"];
    assert_eq!(canada["usps_status"], "ok");
    assert_eq!(canada["usps_total_base_price"], "52.00");
    assert_eq!(canada["usps_zone"], "01");
    assert_eq!(canada["usps_sku"], "IPXX0XXXXR01003");
    // 340 g is 12 oz, the 32 oz tier of First-Class Package International Service: 23.50.
    let named = &rows["I0002"];
    assert_eq!(named["usps_total_base_price"], "23.50");
    assert!(named["usps_notes"].contains("`Canada` sent as CA"));
    // Germany is group 6; 2000 g is 4.41 lb, billed as 5 lb: 45.00 + 4 × 3.50 + 5 × 3.00.
    assert_eq!(rows["I0003"]["usps_total_base_price"], "74.00");
    assert_eq!(rows["I0003"]["usps_zone"], "06");
    // Small Flat Rate Box to Japan (group 8), Commercial Base: (38.00 + 7 × 2.50) × 0.95.
    assert_eq!(rows["I0004"]["usps_total_base_price"], "52.73");
    assert_eq!(rows["I0004"]["usps_price_type"], "COMMERCIAL_BASE");
    // 250 g to the United Kingdom (group 5) is 9 oz: 23.50 + 4 × 1.20.
    assert_eq!(rows["I0005"]["usps_total_base_price"], "28.30");
    // 40 × 30 × 30 cm is 2196.9 in³, so 14 lb of dimensional weight beat 11.02 lb:
    // Priority Mail Express International to Mexico (group 2), 60.00 + 13 × 4.50 + 4.00.
    let boxed = &rows["I0006"];
    assert_eq!(boxed["usps_total_base_price"], "122.50");
    assert_eq!(boxed["usps_billed_weight"], "14");
    assert_eq!(boxed["usps_dim_weight_applied"], "Y");

    let summary = workspace.summary("intl");
    assert_eq!(summary["by_status"]["ok"], 27);
    assert_eq!(summary["by_status"]["invalid_input"], 10);
    assert_eq!(summary["local_errors"], 8);
    // I0007 repeats the shipment of I0001.
    assert_eq!(summary["deduplicated"], 1);
    assert_eq!(summary["api_calls"], 28);
    assert_eq!(sandbox.stats().requests[BASE_RATES], 28);
}

#[test]
fn invalid_rows_name_the_fault() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("600/m"));
    let job = sample_job(&workspace);
    run(&workspace, &job, &sandbox.base_url).expect_code(3);

    let errors = by_id(workspace.csv("intl.errors.csv"), "id");
    let local = [
        ("I0028", "invalid_country", "country"),
        ("I0029", "domestic_destination", "country"),
        ("I0030", "invalid_postal_code", "postal_code"),
        ("I0031", "invalid_weight", "weight"),
        ("I0032", "invalid_service_combination", "rate_indicator"),
        ("I0033", "invalid_service_combination", "service"),
        ("I0034", "invalid_country", "country"),
        ("I0035", "invalid_weight", "weight"),
    ];
    for (id, code, column) in local {
        assert_eq!(errors[id]["code"], code, "{id}");
        assert_eq!(errors[id]["field"], column, "{id}");
        assert_eq!(errors[id]["http_status"], "", "{id} was not sent");
    }
    assert!(errors["I0034"]["message"].contains("KP, KR"));
    let no_group = &errors["I0036"];
    assert_eq!(no_group["code"], "no_price_group");
    assert_eq!(no_group["usps_code"], "030013");
    let oversized = &errors["I0037"];
    assert_eq!(oversized["code"], "package_too_large");
    assert_eq!(oversized["usps_code"], "030008");
}

#[test]
fn extra_services_use_total_rates() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("600/m"));
    let input = workspace.write(
        "in.csv",
        "id,from_zip,country,weight,service\nR1,10001,CA,3,Priority Mail International\n",
    );
    let job = workspace.job(
        "extras",
        "international-price",
        &input,
        "quota = \"600/m\"\nextra_services = [370]\n[units]\nweight = \"lb\"\ndimensions = \"in\"\n",
    );
    run(&workspace, &job, &sandbox.base_url).expect_code(0);

    let row = &workspace.csv("extras.csv")[0];
    assert_eq!(row["usps_total_base_price"], "52.00");
    assert_eq!(
        row["usps_extra_services"],
        "370 USPS Delivery Duties Paid Fee: 4.00"
    );
    assert_eq!(row["usps_total_price"], "56.00");
    let stats = sandbox.stats();
    assert_eq!(stats.requests[TOTAL_RATES], 1);
    assert!(!stats.requests.contains_key(BASE_RATES));
}

#[test]
fn insurance_is_rejected_in_job_file() {
    let workspace = Workspace::new();
    let input = workspace.write("in.csv", "id,from_zip,country,weight,service\n");
    let job = workspace.job(
        "insured",
        "international-price",
        &input,
        "extra_services = [930]\n[units]\nweight = \"lb\"\ndimensions = \"in\"\n",
    );
    let run = workspace.run(&["run", job.to_str().unwrap(), "--quiet"]);
    assert_ne!(run.code(), 0);
    assert!(run.stderr().contains("930"), "{}", run.stderr());
    assert!(run.stderr().contains("item value"), "{}", run.stderr());
}

#[test]
fn quota_stop_resumes_without_repeats() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("600/m"));
    let job = workspace.job(
        "resume",
        "international-price",
        &repo().join("samples/international.csv"),
        "quota = \"10/h\"\nmax_wait = \"0\"\n[units]\nweight = \"g\"\ndimensions = \"cm\"\n\
         [columns]\nid = \"order_id\"\n",
    );
    // Exit 75: the quota of ten calls (one of them the token) stops the run early.
    run(&workspace, &job, &sandbox.base_url).expect_code(75);
    let first = workspace.summary("resume");
    assert_eq!(first["api_calls"], 9);
    assert!(first["remaining_rows"].as_u64().unwrap() > 0);

    let resumed = workspace.run(&[
        "run",
        job.to_str().unwrap(),
        "--base-url",
        &sandbox.base_url,
        "--quota",
        "600/m",
        "--quiet",
    ]);
    resumed.expect_code(3);
    let second = workspace.summary("resume");
    assert_eq!(second["remaining_rows"], 0);
    assert_eq!(second["by_status"]["ok"], 27);
    // Every distinct request is sent once over both runs.
    let stats = sandbox.stats();
    assert_eq!(stats.requests[BASE_RATES], 28);
    assert_eq!(stats.repeated_requests, 0);
    let rows = by_id(workspace.csv("resume.csv"), "order_id");
    assert_eq!(rows["I0003"]["usps_total_base_price"], "74.00");
}

#[test]
fn contract_fallback_is_noted() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("600/m"));
    let input = workspace.write(
        "in.csv",
        "order_id,from_zip,country,weight,service,price_type\n\
         C1,10001,DE,2000,Priority Mail International,CONTRACT\n",
    );
    let job = workspace.job(
        "contract",
        "international-price",
        &input,
        "quota = \"600/m\"\n[units]\nweight = \"g\"\ndimensions = \"cm\"\n[columns]\nid = \"order_id\"\n",
    );
    run(&workspace, &job, &sandbox.base_url).expect_code(0);
    let rows = workspace.csv("contract.csv");
    // No contract rate: USPS returns the published Commercial Base price and warning 001.
    assert_eq!(rows[0]["usps_price_type"], "COMMERCIAL_BASE");
    assert!(
        rows[0]["usps_notes"].contains("USPS warning 001"),
        "{}",
        rows[0]["usps_notes"]
    );
}

#[test]
fn territories_and_canadian_letters_fail_locally() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("600/m"));
    let input = workspace.write(
        "in.csv",
        "id,from_zip,country,postal_code,weight,service\n\
         T1,10001,U.S. Virgin Islands,00802,500,Priority Mail International\n\
         T2,10001,USVI,00802,500,Priority Mail International\n\
         T3,10001,CNMI,96950,500,Priority Mail International\n\
         T4,10001,Federated States of Micronesia,96941,500,Priority Mail International\n\
         T5,10001,Canada,D1A 1A1,500,Priority Mail International\n\
         T6,10001,Canada,W5V 2T6,500,Priority Mail International\n\
         T7,10001,Canada,K1O 0B1,500,Priority Mail International\n\
         T8,10001,Canada,K1A 0B1,500,Priority Mail International\n",
    );
    let job = workspace.job(
        "places",
        "international-price",
        &input,
        "quota = \"600/m\"\n[units]\nweight = \"g\"\ndimensions = \"cm\"\n",
    );
    run(&workspace, &job, &sandbox.base_url).expect_code(3);

    let errors = by_id(workspace.csv("places.errors.csv"), "id");
    let expected = [
        (
            "T1",
            "domestic_destination",
            "country",
            "U.S. Virgin Islands",
        ),
        ("T2", "domestic_destination", "country", "USVI"),
        ("T3", "domestic_destination", "country", "CNMI"),
        (
            "T4",
            "domestic_destination",
            "country",
            "Federated States of Micronesia",
        ),
        ("T5", "invalid_postal_code", "postal_code", "D1A 1A1"),
        ("T6", "invalid_postal_code", "postal_code", "W5V 2T6"),
        ("T7", "invalid_postal_code", "postal_code", "K1O 0B1"),
    ];
    for (id, code, column, value) in expected {
        let error = &errors[id];
        assert_eq!(error["code"], code, "{id}: {error:?}");
        assert_eq!(error["column"], column, "{id}: {error:?}");
        assert_eq!(error["value"], value, "{id}: {error:?}");
        assert_eq!(error["http_status"], "", "{id} was not sent");
    }
    assert!(errors["T5"]["message"].contains("starts with D"));
    assert!(errors["T6"]["message"].contains("starts with W"));
    assert!(errors["T7"]["message"].contains("letter O"));
    assert!(!errors.contains_key("T8"), "{errors:?}");
    assert_eq!(sandbox.stats().requests[BASE_RATES], 1);
}
