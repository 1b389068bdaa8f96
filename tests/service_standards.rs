//! The `service-standard` kind end to end: the real binary against a sandbox on loopback.

mod common;

use std::collections::HashMap;

use common::{repo, sandbox_config, TestSandbox, Workspace};
use jiff::ToSpan;

const ESTIMATES: &str = "/service-standards/v3/estimates";

fn day(origin: &str, days: i64) -> String {
    let today = usps_batch::checks::today_at(origin, jiff::Timestamp::now());
    today.checked_add(days.days()).unwrap().to_string()
}

fn by_id(rows: Vec<HashMap<String, String>>, id: &str) -> HashMap<String, HashMap<String, String>> {
    rows.into_iter().map(|row| (row[id].clone(), row)).collect()
}

#[test]
fn days_follow_zone_and_class() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("600/m"));
    let input = workspace.write(
        "in.csv",
        format!(
            "id,from_zip,to_zip,service,weight,ship_date\n\
             E1,10001,90210,Priority Mail,,\n\
             E2,10001,90210,Priority Mail Express,,\n\
             E3,10001,19103,USPS Ground Advantage,8,\n\
             E4,10001,19103,USPS Ground Advantage,,\n\
             E5,10001,19103,,,{}\n\
             E6,10001,00000,Priority Mail,,\n\
             E7,10001,19103,Priority Mail,,{}\n\
             E8,10001,19103,Priority Mail,,{}\n",
            day("10001", 2),
            day("10001", -3),
            day("10001", 31),
        ),
    );
    let job = workspace.job(
        "standards",
        "service-standard",
        &input,
        "quota = \"600/m\"\n[units]\nweight = \"oz\"\ndimensions = \"in\"\n",
    );
    let run = workspace.run(&[
        "run",
        job.to_str().unwrap(),
        "--base-url",
        &sandbox.base_url,
        "--quiet",
    ]);
    run.expect_code(3);
    let rows = by_id(workspace.csv("standards.csv"), "id");

    // New York to Beverly Hills is zone 8: Priority Mail takes 3 days, Express 2.
    let priority = &rows["E1"];
    assert_eq!(priority["usps_status"], "ok");
    assert_eq!(priority["usps_mail_class"], "PRIORITY_MAIL");
    assert_eq!(priority["usps_service_standard_days"], "3");
    assert_eq!(priority["usps_service_standard_message"], "3 Days");
    assert_eq!(priority["usps_effective_acceptance_date"], day("10001", 0));
    assert_eq!(priority["usps_expected_delivery_date"], day("10001", 3));
    assert_eq!(priority["usps_guaranteed"], "N");
    let express = &rows["E2"];
    assert_eq!(express["usps_service_standard_days"], "2");
    assert_eq!(express["usps_guaranteed"], "Y");
    // A weight selects one Ground Advantage estimate; without it USPS returns two.
    assert_eq!(rows["E3"]["usps_estimate_count"], "1");
    assert_eq!(rows["E3"]["usps_expected_delivery_date"], day("10001", 2));
    assert_eq!(rows["E4"]["usps_estimate_count"], "2");
    assert!(rows["E4"]["usps_estimates"].contains("WEIGHT_LESS_THAN_1_POUND"));
    // No class: every class, and the columns show the earliest delivery (zone 2, 1 day).
    let all = &rows["E5"];
    assert_eq!(all["usps_estimate_count"], "5");
    assert_eq!(all["usps_mail_class"], "PRIORITY_MAIL_EXPRESS");
    assert_eq!(all["usps_expected_delivery_date"], day("10001", 3));

    let unknown = &rows["E6"];
    assert_eq!(unknown["usps_status"], "not_found");
    assert_eq!(unknown["usps_error_code"], "no_service_standard");
    // A past acceptance date is moved to today, and the move is noted.
    let past = &rows["E7"];
    assert_eq!(past["usps_effective_acceptance_date"], day("10001", 0));
    assert!(
        past["usps_notes"].contains("in the past"),
        "{}",
        past["usps_notes"]
    );
    // More than 30 days ahead costs no call.
    assert_eq!(rows["E8"]["usps_error_code"], "invalid_acceptance_date");
    assert_eq!(sandbox.stats().requests[ESTIMATES], 7);
}

#[test]
fn shipment_sample_runs() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("600/m"));
    let job = workspace.job(
        "sample",
        "service-standard",
        &repo().join("samples/shipments.csv"),
        "quota = \"600/m\"\n[units]\nweight = \"oz\"\ndimensions = \"in\"\n[columns]\nid = \"order_id\"\n",
    );
    let run = workspace.run(&[
        "run",
        job.to_str().unwrap(),
        "--base-url",
        &sandbox.base_url,
        "--quiet",
    ]);
    run.expect_code(3);
    let rows = by_id(workspace.csv("sample.csv"), "order_id");
    // 63118 to 33130 is zone 6: Priority Mail takes 3 days.
    assert_eq!(rows["S0001"]["usps_service_standard_days"], "3");
    let summary = workspace.summary("sample");
    assert_eq!(summary["by_status"]["ok"], 109);
    assert_eq!(summary["local_errors"], 6);
}

#[test]
fn weight_without_units_stops_run() {
    let workspace = Workspace::new();
    let input = workspace.write(
        "in.csv",
        "id,from_zip,to_zip,service,weight\nE1,10001,90210,Priority Mail,8\n",
    );
    let job = workspace.job("nounits", "service-standard", &input, "");
    for command in ["run", "plan"] {
        let run = workspace.run(&[command, job.to_str().unwrap()]);
        run.expect_code(1);
        assert!(run.stderr().contains("[units]"), "{}", run.stderr());
        assert!(run.stderr().contains("`weight`"), "{}", run.stderr());
    }
    assert!(!workspace.out().join("nounits.csv").exists());
}
