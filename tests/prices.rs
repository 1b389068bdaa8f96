//! The `domestic-price` kind end to end: the real binary against a sandbox on loopback.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;

use common::{repo, sandbox_config, PatchedSandbox, TestSandbox, Workspace};
use rust_decimal::Decimal;

const BASE_RATES: &str = "/prices/v3/base-rates/search";

fn run(workspace: &Workspace, job: &Path, base_url: &str) -> common::Run {
    workspace.run(&[
        "run",
        job.to_str().unwrap(),
        "--base-url",
        base_url,
        "--quiet",
    ])
}

fn units(weight: &str, dimensions: &str) -> String {
    format!("quota = \"600/m\"\n[units]\nweight = \"{weight}\"\ndimensions = \"{dimensions}\"\n")
}

fn by_id(
    rows: Vec<HashMap<String, String>>,
    id_column: &str,
) -> HashMap<String, HashMap<String, String>> {
    rows.into_iter()
        .map(|row| (row[id_column].clone(), row))
        .collect()
}

fn sample_job(workspace: &Workspace) -> std::path::PathBuf {
    let extra = format!("{}[columns]\nid = \"order_id\"\n", units("oz", "in"));
    workspace.job(
        "sample",
        "domestic-price",
        &repo().join("samples/shipments.csv"),
        &extra,
    )
}

#[test]
fn sample_prices_match_rate_table() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("600/m"));
    let job = sample_job(&workspace);
    // Exit 3: the sample has invalid rows on purpose.
    run(&workspace, &job, &sandbox.base_url).expect_code(3);

    let rows = by_id(workspace.csv("sample.csv"), "order_id");
    // 63118 to 33130 is zone 6; 8 oz is billed as 1 lb: 9.00 + 5 × 0.90.
    let first = &rows["S0001"];
    assert_eq!(first["usps_status"], "ok");
    assert_eq!(first["usps_total_base_price"], "13.50");
    assert_eq!(first["usps_zone"], "06");
    assert_eq!(first["usps_sku"], "DPXM0XXXXR06001");
    // 3 oz in a 20 × 12 × 12 in box: 2880 in³ / 166 rounds up to 18 lb, zone 7:
    // 9.00 + 17 × 1.50 + 6 × 0.90.
    let boxed = &rows["S0002"];
    assert_eq!(boxed["usps_total_base_price"], "39.90");
    assert_eq!(boxed["usps_dim_weight_applied"], "Y");
    assert_eq!(boxed["usps_billed_weight"], "18");
    // Ground Advantage, 40 oz is 3 lb, zone 5: 7.50 + 2 × 1.10 + 4 × 0.60.
    assert_eq!(rows["S0003"]["usps_total_base_price"], "12.10");
    assert_eq!(rows["S0003"]["usps_dim_weight_applied"], "N");

    let summary = workspace.summary("sample");
    assert_eq!(summary["by_status"]["ok"], 105);
    assert_eq!(summary["by_status"]["invalid_input"], 10);
    assert_eq!(summary["local_errors"], 9);
    // 106 rows need a call, and six of them repeat an earlier shipment.
    assert_eq!(summary["deduplicated"], 6);
    assert_eq!(summary["api_calls"], 100);
    let stats = sandbox.stats();
    assert_eq!(stats.requests[BASE_RATES], 100, "local errors cost no call");
    assert_eq!(stats.repeated_requests, 0);
}

#[test]
fn local_errors_name_the_fault() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("600/m"));
    let job = sample_job(&workspace);
    run(&workspace, &job, &sandbox.base_url).expect_code(3);

    let errors = by_id(workspace.csv("sample.errors.csv"), "id");
    let expected = [
        ("S0106", "invalid_weight"),
        ("S0107", "invalid_weight"),
        ("S0108", "invalid_weight"),
        ("S0109", "partial_dimensions"),
        ("S0110", "invalid_service_combination"),
        ("S0111", "invalid_service_combination"),
        ("S0112", "invalid_service"),
        ("S0113", "invalid_zip"),
        ("S0114", "invalid_weight"),
    ];
    for (id, code) in expected {
        assert_eq!(errors[id]["code"], code, "{id}");
        assert_eq!(errors[id]["http_status"], "", "{id} was not sent");
    }
    let oversized = &errors["S0115"];
    assert_eq!(oversized["code"], "package_too_large");
    assert_eq!(oversized["usps_code"], "030008");
    assert!(oversized["raw_response"].contains("030008"));
}

#[test]
fn sample_totals_sum_exactly() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("600/m"));
    let job = sample_job(&workspace);
    run(&workspace, &job, &sandbox.base_url).expect_code(3);

    let mut total = Decimal::ZERO;
    let mut cents: i64 = 0;
    for row in workspace.csv("sample.csv") {
        let price = &row["usps_total_base_price"];
        if price.is_empty() {
            continue;
        }
        let (whole, fraction) = price.split_once('.').expect("two decimals");
        assert_eq!(fraction.len(), 2, "{price}");
        cents += whole.parse::<i64>().unwrap() * 100 + fraction.parse::<i64>().unwrap();
        total += Decimal::from_str(price).unwrap();
    }
    assert_eq!(total, Decimal::new(cents, 2));
}

#[test]
fn units_convert_before_sending() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("600/m"));
    let cases = [
        // 85 g is 0.1874 lb, under 3 oz: the 4 oz tier of Ground Advantage in zone 1.
        ("g", "cm", "85", "", "USPS Ground Advantage", "5.00"),
        // 2 kg is 4.409 lb, billed as 5 lb: 9.00 + 4 × 1.50.
        ("kg", "cm", "2", "", "Priority Mail", "15.00"),
        // 3 oz is 0.1875 lb, not zero: the 4 oz tier.
        ("oz", "in", "3", "", "USPS Ground Advantage", "5.00"),
        // 16 oz is 1 lb; 61 cm is 24.02 in, so the 22 to 30 in fee of 4.00 applies.
        ("oz", "cm", "16", "61", "Priority Mail", "13.00"),
    ];
    for (index, (weight_unit, length_unit, weight, length, service, expected)) in
        cases.iter().enumerate()
    {
        let dimensions = if length.is_empty() {
            ",,".to_string()
        } else {
            format!("{length},10,10")
        };
        let input = workspace.write(
            &format!("units{index}.csv"),
            format!(
                "id,from_zip,to_zip,weight,length,width,height,service\n\
                 R1,10001,10001,{weight},{dimensions},{service}\n"
            ),
        );
        let name = format!("units{index}");
        let job = workspace.job(
            &name,
            "domestic-price",
            &input,
            &units(weight_unit, length_unit),
        );
        run(&workspace, &job, &sandbox.base_url).expect_code(0);
        let rows = workspace.csv(&format!("{name}.csv"));
        assert_eq!(rows[0]["usps_status"], "ok", "{name}: {:?}", rows[0]);
        assert_eq!(rows[0]["usps_total_base_price"], *expected, "{name}");
    }
    let rows = workspace.csv("units3.csv");
    assert_eq!(rows[0]["usps_fees_total"], "4.00");
    assert!(
        rows[0]["usps_notes"].contains("61 cm sent as 24.015749 in"),
        "{:?}",
        rows[0]
    );
}

#[test]
fn rerun_makes_no_calls() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("600/m"));
    let job = sample_job(&workspace);
    run(&workspace, &job, &sandbox.base_url).expect_code(3);
    let first = workspace.csv("sample.csv");

    run(&workspace, &job, &sandbox.base_url).expect_code(3);
    let summary = workspace.summary("sample");
    assert_eq!(summary["api_calls"], 0);
    assert_eq!(summary["resumed_rows"], 115);
    assert_eq!(sandbox.stats().requests[BASE_RATES], 100);
    assert_eq!(
        workspace.csv("sample.csv"),
        first,
        "the rerun writes the same output"
    );
}

/// Starts a sandbox whose base-rates route returns 200 without any price.
fn priceless_sandbox() -> PatchedSandbox {
    use axum::routing::post;
    PatchedSandbox::start(axum::Router::new().route(
        BASE_RATES,
        post(|| async { axum::Json(serde_json::json!({"rates": []})) }),
    ))
}

#[test]
fn answer_without_price_is_missing_price() {
    let workspace = Workspace::new();
    let server = priceless_sandbox();
    let input = workspace.write(
        "in.csv",
        "id,from_zip,to_zip,weight,service\nR1,10001,19103,12,Priority Mail\n",
    );
    let job = workspace.job("priceless", "domestic-price", &input, &units("oz", "in"));
    run(&workspace, &job, &server.base_url).expect_code(3);
    let rows = workspace.csv("priceless.csv");
    assert_eq!(rows[0]["usps_status"], "error");
    assert_eq!(rows[0]["usps_error_code"], "missing_price");
    assert_eq!(rows[0]["usps_total_base_price"], "", "no price is not 0.00");
}

#[test]
fn extra_services_use_total_rates() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("600/m"));
    let input = workspace.write(
        "in.csv",
        "id,from_zip,to_zip,weight,service\nR1,10001,10001,48,Priority Mail\n",
    );
    let extra = format!("extra_services = [415, 921]\n{}", units("oz", "in"));
    let job = workspace.job("extras", "domestic-price", &input, &extra);
    run(&workspace, &job, &sandbox.base_url).expect_code(0);

    let rows = workspace.csv("extras.csv");
    // 3 lb Priority Mail in zone 1 is 12.00; Label Delivery 1.25 and Signature
    // Confirmation 3.65 make 16.90.
    assert_eq!(rows[0]["usps_total_base_price"], "12.00");
    assert_eq!(rows[0]["usps_extra_services_total"], "4.90");
    assert_eq!(rows[0]["usps_total_price"], "16.90");
    assert_eq!(
        rows[0]["usps_extra_services"],
        "415 USPS Label Delivery: 1.25; 921 Signature Confirmation: 3.65"
    );
    let stats = sandbox.stats();
    assert_eq!(stats.requests["/prices/v3/total-rates/search"], 1);
    assert!(!stats.requests.contains_key(BASE_RATES));
}

#[test]
fn extra_services_reject_rate_ingredients() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("600/m"));
    // The total-rates search takes no rate indicator, processing category or entry facility.
    let input = workspace.write(
        "in.csv",
        "id,from_zip,to_zip,weight,service,rate_indicator,entry_facility,price_type\n\
         F1,10001,10001,160,Priority Mail,FE,,\n\
         F2,10001,10001,160,Parcel Select,,DESTINATION_DELIVERY_UNIT,COMMERCIAL\n",
    );
    let extra = format!(
        "extra_services = [921]\n{}[columns]\nrateIndicator = \"rate_indicator\"\n\
         destinationEntryFacilityType = \"entry_facility\"\npriceType = \"price_type\"\n",
        units("oz", "in")
    );
    let job = workspace.job("mixed", "domestic-price", &input, &extra);
    run(&workspace, &job, &sandbox.base_url).expect_code(3);

    let errors = workspace.csv("mixed.errors.csv");
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[0]["code"], "invalid_service_combination");
    assert_eq!(errors[0]["column"], "rate_indicator");
    assert_eq!(errors[0]["value"], "FE");
    assert_eq!(errors[1]["code"], "invalid_service_combination");
    assert_eq!(errors[1]["column"], "entry_facility");
    assert_eq!(workspace.summary("mixed")["api_calls"], 0);
}

#[test]
fn quota_stop_defers_without_price() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("5/5s"));
    let mut text = String::from("id,from_zip,to_zip,weight,service\n");
    for (index, zip) in [
        "10001", "19103", "02134", "20007", "33130", "60601", "75201", "80202",
    ]
    .iter()
    .enumerate()
    {
        text.push_str(&format!("R{index},22407,{zip},12,Priority Mail\n"));
    }
    let input = workspace.write("in.csv", text);
    let extra = format!("max_wait = \"0\"\n{}", units("oz", "in")).replace("600/m", "5/5s");
    let job = workspace.job("quota", "domestic-price", &input, &extra);
    // Exit 75: rows remain for a later run.
    run(&workspace, &job, &sandbox.base_url).expect_code(75);

    let rows = workspace.csv("quota.csv");
    let deferred: Vec<_> = rows
        .iter()
        .filter(|row| row["usps_status"] == "deferred")
        .collect();
    // One token request and four price calls fill the window of five.
    assert_eq!(deferred.len(), 4);
    for row in deferred {
        assert_eq!(row["usps_error_code"], "deferred_quota");
        assert_eq!(
            row["usps_total_base_price"], "",
            "a deferred row has no price"
        );
    }
    assert_eq!(sandbox.stats().rate_limited, 0);
}

#[test]
fn rate_ingredients_set_the_price() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("600/m"));
    let input = workspace.write(
        "in.csv",
        "id,from_zip,to_zip,weight,service,rate_indicator,entry_facility,price_type\n\
         F1,10001,90210,20,PRIORITY_MAIL,FS,,\n\
         D1,10001,90210,3,PARCEL_SELECT,,DESTINATION_DELIVERY_UNIT,COMMERCIAL\n\
         X1,10001,90210,3,USPS_GROUND_ADVANTAGE,FS,,\n\
         X2,10001,90210,3,PRIORITY_MAIL,,DESTINATION_DELIVERY_UNIT,COMMERCIAL\n\
         X3,10001,90210,3,PARCEL_SELECT,,DESTINATION_DELIVERY_UNIT,RETAIL\n",
    );
    let job = workspace.job("ingredients", "domestic-price", &input, &units("lb", "in"));
    run(&workspace, &job, &sandbox.base_url).expect_code(3);

    let rows = by_id(workspace.csv("ingredients.csv"), "id");
    // A Small Flat Rate Box costs 10.40 in every zone.
    assert_eq!(rows["F1"]["usps_total_base_price"], "10.40");
    assert_eq!(rows["F1"]["usps_zone"], "08");
    // Parcel Select entered at the delivery unit: zone 00, 3.50 + 2 × 0.30.
    assert_eq!(rows["D1"]["usps_total_base_price"], "4.10");
    assert_eq!(rows["D1"]["usps_zone"], "00");
    for id in ["X1", "X2", "X3"] {
        assert_eq!(
            rows[id]["usps_error_code"], "invalid_service_combination",
            "{id}"
        );
    }
    assert_eq!(
        sandbox.stats().requests[BASE_RATES],
        2,
        "invalid rows cost no call"
    );
}

#[test]
fn large_box_gets_dimensional_rate() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("600/m"));
    let input = workspace.write(
        "in.csv",
        "id,from_zip,to_zip,weight,length,width,height,service,rate_indicator\n\
         L1,10001,10001,3,20,12,12,PRIORITY_MAIL,\n\
         L2,10001,10001,3,20,12,12,PRIORITY_MAIL,SP\n\
         L3,10001,10001,3,20,12,12,MEDIA_MAIL,\n",
    );
    let job = workspace.job("large", "domestic-price", &input, &units("lb", "in"));
    run(&workspace, &job, &sandbox.base_url).expect_code(3);

    let rows = by_id(workspace.csv("large.csv"), "id");
    // 2880 in³ / 166 rounds up to 18 lb, zone 1: 9.00 + 17 × 1.50.
    let defaulted = &rows["L1"];
    assert_eq!(defaulted["usps_total_base_price"], "34.50");
    assert_eq!(defaulted["usps_dim_weight_applied"], "Y");
    assert!(
        defaulted["usps_notes"].contains("DR was sent"),
        "{}",
        defaulted["usps_notes"]
    );
    assert_eq!(rows["L2"]["usps_error_code"], "dimensional_rate_required");
    // Media Mail has no dimensional weight: 3 lb is 4.00 + 2 × 0.75.
    assert_eq!(rows["L3"]["usps_total_base_price"], "5.50");
    assert_eq!(rows["L3"]["usps_dim_weight_applied"], "N");
    assert_eq!(
        sandbox.stats().requests[BASE_RATES],
        2,
        "the SP row cost no call"
    );
}

#[test]
fn shipment_needs_every_piece_priced() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("600/m"));
    let input = workspace.write(
        "in.csv",
        "id,shipment_id,from_zip,to_zip,weight,service\n\
         A1,A,10001,10001,3,PRIORITY_MAIL\n\
         A2,A,10001,10001,1,PRIORITY_MAIL\n\
         B1,B,10001,10001,3,PRIORITY_MAIL\n\
         B2,B,10001,10001,0,PRIORITY_MAIL\n\
         B3,B,10001,00000,3,PRIORITY_MAIL\n\
         C1,,10001,10001,3,PRIORITY_MAIL\n",
    );
    let job = workspace.job("pieces", "domestic-price", &input, &units("lb", "in"));
    run(&workspace, &job, &sandbox.base_url).expect_code(3);

    let shipments = by_id(workspace.csv("pieces.shipments.csv"), "shipment_id");
    assert_eq!(shipments.len(), 2, "C1 belongs to no shipment");
    // Zone 1: 12.00 for 3 lb and 9.00 for 1 lb.
    let complete = &shipments["A"];
    assert_eq!(complete["pieces"], "2");
    assert_eq!(complete["usps_status"], "ok");
    assert_eq!(complete["usps_total_price"], "21.00");
    // B2 fails locally and B3 has no zone, so B is not priced from B1 alone.
    let partial = &shipments["B"];
    assert_eq!(partial["pieces"], "3");
    assert_eq!(partial["priced_pieces"], "1");
    assert_eq!(partial["usps_status"], "incomplete_quote");
    assert_eq!(partial["usps_total_price"], "");
    assert_eq!(partial["unpriced_pieces"], "row 4 (B2); row 5 (B3)");

    // Without the shipment column, a fresh run leaves no stale shipments file behind.
    workspace.write(
        "in.csv",
        "id,from_zip,to_zip,weight,service
A1,10001,10001,3,PRIORITY_MAIL
",
    );
    workspace
        .run(&[
            "run",
            job.to_str().unwrap(),
            "--base-url",
            &sandbox.base_url,
            "--fresh",
            "--quiet",
        ])
        .expect_code(0);
    assert!(!workspace.out().join("pieces.shipments.csv").exists());
}

#[test]
fn exponent_weight_matches_decimal_text() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("600/m"));
    // serde_json writes both 1e-7 and 0.0000001 as 1e-7; a CSV manifest has the digits.
    let json = workspace.write(
        "in.jsonl",
        "{\"id\": \"J1\", \"from_zip\": \"10001\", \"to_zip\": \"19103\", \"weight\": 1e-7, \"length\": 1.25e1, \"width\": 8, \"height\": 4, \"service\": \"Priority Mail\"}\n\
         {\"id\": \"J2\", \"from_zip\": \"10001\", \"to_zip\": \"19103\", \"weight\": 0.0000001, \"length\": 12.5, \"width\": 8, \"height\": 4, \"service\": \"Priority Mail\"}\n",
    );
    let csv = workspace.write(
        "in.csv",
        "id,from_zip,to_zip,weight,length,width,height,service\n\
         C1,10001,19103,0.0000001,12.5,8,4,Priority Mail\n",
    );
    let json_job = workspace.job("from-json", "domestic-price", &json, &units("lb", "in"));
    let csv_job = workspace.job("from-csv", "domestic-price", &csv, &units("lb", "in"));
    run(&workspace, &json_job, &sandbox.base_url).expect_code(0);
    run(&workspace, &csv_job, &sandbox.base_url).expect_code(0);

    let output = std::fs::read_to_string(workspace.out().join("from-json.jsonl")).unwrap();
    let json_rows: Vec<serde_json::Value> = output
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let csv_rows = workspace.csv("from-csv.csv");
    assert_eq!(csv_rows[0]["usps_status"], "ok", "{:?}", csv_rows[0]);
    for row in &json_rows {
        assert_eq!(row["usps_status"], "ok", "{row}");
        for column in ["usps_total_base_price", "usps_billed_weight", "usps_notes"] {
            assert_eq!(row[column], csv_rows[0][column].as_str(), "{column}: {row}");
        }
    }
    // The three rows are one package, so they share one call.
    assert_eq!(sandbox.stats().requests[BASE_RATES], 1);
}
