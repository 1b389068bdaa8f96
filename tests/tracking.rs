//! The `tracking` kind end to end: the real binary against a sandbox on loopback.
//!
//! In the sandbox the two digits before an IMpb number's check digit choose its history:
//! 00-04 not yet available, 05-07 another shipper's number, 40-59 in transit, 70-99
//! delivered (docs/sandbox.md has the full table).

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{repo, sandbox_config, PatchedSandbox, TestSandbox, Workspace};
use usps_batch::checks::impb_check_digit;

const BATCH: &str = "/tracking/v3r2/tracking";

/// Builds a 22-digit IMpb number from a serial and the sandbox's scenario digits.
fn impb(serial: u64, scenario: u32) -> String {
    let body = format!("94001{serial:014}{scenario:02}");
    format!("{body}{}", impb_check_digit(&body))
}

/// Writes a manifest of `(id, tracking number)` rows.
fn manifest(workspace: &Workspace, rows: &[(String, String)]) -> PathBuf {
    let mut text = String::from("id,tracking_number\n");
    for (id, number) in rows {
        text.push_str(&format!("{id},{number}\n"));
    }
    workspace.write("in.csv", text)
}

/// Returns `count` rows of distinct numbers with the given scenario digits.
fn rows(count: u64, scenario: u32) -> Vec<(String, String)> {
    (0..count)
        .map(|index| (format!("R{index:03}"), impb(5_000 + index, scenario)))
        .collect()
}

fn run(workspace: &Workspace, job: &Path, base_url: &str) -> common::Run {
    workspace.run(&[
        "run",
        job.to_str().unwrap(),
        "--base-url",
        base_url,
        "--quiet",
    ])
}

fn by_id(rows: Vec<HashMap<String, String>>) -> HashMap<String, HashMap<String, String>> {
    rows.into_iter()
        .map(|row| (row["id"].clone(), row))
        .collect()
}

#[test]
fn batch_calls_are_ceil_of_rows() {
    for (count, calls) in [(35, 1), (36, 2), (71, 3)] {
        let workspace = Workspace::new();
        let sandbox = TestSandbox::start(sandbox_config("600/m"));
        let input = manifest(&workspace, &rows(count, 91));
        let job = workspace.job("batch", "tracking", &input, "quota = \"600/m\"");
        run(&workspace, &job, &sandbox.base_url).expect_code(0);

        let summary = workspace.summary("batch");
        assert_eq!(summary["api_calls"], calls, "{count} rows");
        assert_eq!(summary["by_status"]["ok"], count, "{count} rows");
        let stats = sandbox.stats();
        assert_eq!(stats.requests[BATCH], calls, "{count} rows");
        // Every batch call got a 200, and so did the one token request.
        assert_eq!(stats.responses["200"], calls + 1, "{count} rows");
        assert_eq!(stats.repeated_requests, 0);

        let output = workspace.csv("batch.csv");
        assert_eq!(output.len(), count as usize);
        for row in &output {
            assert_eq!(row["usps_tracking_status"], "Delivered, In/At Mailbox");
            assert_eq!(row["usps_status_category"], "Delivered");
            assert_eq!(row["usps_delivered"], "Y");
            assert_eq!(
                row["usps_expected_delivery"], "",
                "delivered pieces have none"
            );
        }
    }
}

#[test]
fn multi_status_splits_per_row() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("600/m"));
    let input = manifest(
        &workspace,
        &[
            ("transit".into(), impb(1, 47)),
            ("delivered".into(), impb(2, 91)),
            ("new".into(), impb(3, 2)),
            ("foreign".into(), impb(4, 6)),
        ],
    );
    let job = workspace.job("mixed", "tracking", &input, "quota = \"600/m\"");
    // Exit 3: two rows are errors.
    run(&workspace, &job, &sandbox.base_url).expect_code(3);

    let stats = sandbox.stats();
    assert_eq!(stats.requests[BATCH], 1);
    assert_eq!(stats.responses["207"], 1);

    let rows = by_id(workspace.csv("mixed.csv"));
    let transit = &rows["transit"];
    assert_eq!(transit["usps_status"], "ok");
    assert_eq!(transit["usps_tracking_number"], impb(1, 47));
    assert_eq!(
        transit["usps_tracking_status"],
        "In Transit to Next Facility"
    );
    assert_eq!(transit["usps_status_category"], "In Transit");
    assert_eq!(transit["usps_delivered"], "N");
    // The sandbox expects delivery three days after the label date.
    assert_eq!(transit["usps_expected_delivery"].len(), 10);
    assert!(transit["usps_expected_delivery"].starts_with("2026-"));
    // "In Transit to Next Facility" has no place.
    assert_eq!(transit["usps_event_city"], "");

    let delivered = &rows["delivered"];
    assert_eq!(delivered["usps_status_category"], "Delivered");
    assert_eq!(delivered["usps_delivered"], "Y");
    assert_eq!(delivered["usps_event_zip"].len(), 5);
    assert!(!delivered["usps_event_city"].is_empty());
    assert!(delivered["usps_event_time"].starts_with("2026-"));

    let new = &rows["new"];
    assert_eq!(new["usps_status"], "not_found");
    assert_eq!(new["usps_error_code"], "not_yet_trackable");
    let foreign = &rows["foreign"];
    assert_eq!(foreign["usps_status"], "not_found");
    assert_eq!(foreign["usps_error_code"], "tracking_not_found");

    let errors = by_id(workspace.csv("mixed.errors.csv"));
    assert_eq!(errors["new"]["retryable"], "yes");
    assert_eq!(errors["new"]["usps_code"], "150002");
    assert_eq!(errors["foreign"]["retryable"], "no");
    assert_eq!(errors["foreign"]["usps_code"], "150010");
    assert_eq!(errors["foreign"]["column"], "tracking_number");
    assert_eq!(errors["foreign"]["value"], impb(4, 6));
}

#[test]
fn not_yet_known_is_retried_next_run() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("600/m"));
    let mut manifest_rows = rows(40, 91);
    manifest_rows.push(("new1".into(), impb(9_001, 0)));
    manifest_rows.push(("new2".into(), impb(9_002, 4)));
    let input = manifest(&workspace, &manifest_rows);
    let job = workspace.job("later", "tracking", &input, "quota = \"600/m\"");

    run(&workspace, &job, &sandbox.base_url).expect_code(3);
    let summary = workspace.summary("later");
    assert_eq!(summary["api_calls"], 2);
    assert_eq!(summary["by_status"]["ok"], 40);
    assert_eq!(summary["by_status"]["not_found"], 2);

    // The next run sends only the two unknown numbers, in one call, and does not take their
    // responses from the cache.
    run(&workspace, &job, &sandbox.base_url).expect_code(3);
    let summary = workspace.summary("later");
    assert_eq!(summary["api_calls"], 1);
    assert_eq!(summary["cache_hits"], 0);
    assert_eq!(summary["resumed_rows"], 40);
    let stats = sandbox.stats();
    assert_eq!(stats.requests[BATCH], 3);
    let output = by_id(workspace.csv("later.csv"));
    assert_eq!(output["new1"]["usps_error_code"], "not_yet_trackable");
    assert_eq!(
        output["R000"]["usps_status"], "ok",
        "finished rows keep their result"
    );
}

#[test]
fn invalid_check_digit_costs_no_call() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("600/m"));
    let good = impb(77, 91);
    let last = good.chars().last().unwrap().to_digit(10).unwrap();
    let wrong_digit = format!("{}{}", &good[..21], (last + 1) % 10);
    let input = manifest(
        &workspace,
        &[
            ("impb".into(), wrong_digit.clone()),
            ("s10".into(), "EA123456784US".into()),
            ("short".into(), good[..19].to_string()),
        ],
    );
    let job = workspace.job("bad", "tracking", &input, "quota = \"600/m\"");
    run(&workspace, &job, &sandbox.base_url).expect_code(3);

    let summary = workspace.summary("bad");
    assert_eq!(summary["api_calls"], 0);
    assert_eq!(summary["local_errors"], 3);
    assert_eq!(sandbox.stats().requests.get(BATCH), None);

    let errors = by_id(workspace.csv("bad.errors.csv"));
    assert_eq!(errors["impb"]["code"], "invalid_check_digit");
    assert!(
        errors["impb"]["message"].contains(&format!("should be {last}")),
        "{}",
        errors["impb"]["message"]
    );
    assert!(errors["impb"]["message"].contains(&wrong_digit));
    assert!(errors["impb"]["message"].contains("column `tracking_number`"));
    assert_eq!(errors["s10"]["code"], "invalid_check_digit");
    assert!(errors["s10"]["message"].contains("should be 5"));
    assert_eq!(errors["short"]["code"], "invalid_tracking_length");
    assert!(errors["short"]["message"].contains("19 digits"));
}

#[test]
fn quota_stop_resumes_remaining_batch() {
    let workspace = Workspace::new();
    // One token request and two batch calls fill the window of three.
    let sandbox = TestSandbox::start(sandbox_config("3/5s"));
    let input = manifest(&workspace, &rows(100, 47));
    // One request at a time, so the two calls that fit carry the first 70 rows.
    let job = workspace.job(
        "resume",
        "tracking",
        &input,
        "quota = \"3/5s\"\nmax_wait = \"0\"\nconcurrency = 1",
    );

    run(&workspace, &job, &sandbox.base_url).expect_code(75);
    let summary = workspace.summary("resume");
    assert_eq!(summary["token_calls"], 1);
    assert_eq!(summary["api_calls"], 2);
    assert_eq!(summary["remaining_rows"], 30);
    let output = workspace.csv("resume.csv");
    assert_eq!(output.len(), 100, "every row is in the output");
    let deferred = output
        .iter()
        .filter(|row| row["usps_status"] == "deferred")
        .count();
    assert_eq!(deferred, 30);

    std::thread::sleep(Duration::from_millis(5300));
    run(&workspace, &job, &sandbox.base_url).expect_code(0);
    let summary = workspace.summary("resume");
    assert_eq!(summary["api_calls"], 1, "only the remaining rows are sent");
    assert_eq!(summary["resumed_rows"], 70);
    assert_eq!(summary["by_status"]["ok"], 100);
    let stats = sandbox.stats();
    assert_eq!(stats.requests[BATCH], 3);
    assert_eq!(stats.rate_limited, 0, "the runner never exceeded the quota");
    assert_eq!(stats.repeated_requests, 0, "no number was requested twice");
}

#[test]
fn sample_job_runs() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("600/m"));
    let job = workspace.job(
        "sample",
        "tracking",
        &repo().join("samples/tracking.csv"),
        "quota = \"600/m\"\n[columns]\nid = \"order_id\"\n",
    );
    let plan = workspace.run(&["plan", job.to_str().unwrap(), "--json"]);
    plan.expect_code(0);
    let plan: serde_json::Value = serde_json::from_str(&plan.stdout()).unwrap();
    assert_eq!(plan["unique_requests"], 95);
    assert_eq!(plan["calls_needed"], 3, "95 numbers fit in 3 batches of 35");

    // Exit 3: the sample has invalid and unknown numbers on purpose.
    run(&workspace, &job, &sandbox.base_url).expect_code(3);

    let summary = workspace.summary("sample");
    assert_eq!(summary["rows"], 102);
    assert_eq!(summary["local_errors"], 6);
    assert_eq!(summary["deduplicated"], 1);
    // 96 rows pass the local checks; one repeats another, so 95 numbers take 3 calls.
    assert_eq!(summary["api_calls"], 3);
    assert_eq!(sandbox.stats().requests[BATCH], 3);

    let rows = by_id_order(workspace.csv("sample.csv"));
    // Written with spaces on the label; sent compacted.
    assert_eq!(
        rows["T0005"]["usps_tracking_number"],
        "9400100000048213028479"
    );
    let routed = &rows["T0092"];
    assert_eq!(routed["usps_tracking_number"], "9400100000077100001912");
    assert!(routed["usps_notes"].contains("routing code 42062701 removed"));
    // The destination ZIP Code of the manifest is where the sandbox delivers.
    assert_eq!(routed["usps_event_zip"], "62701");
    assert_eq!(routed["usps_event_city"], "SPRINGFIELD");
    assert_eq!(
        rows["T0094"]["usps_status"], "ok",
        "S10 numbers are tracked"
    );
    assert_eq!(rows["T0102"]["usps_error_code"], "invalid_mailing_date");
}

fn by_id_order(rows: Vec<HashMap<String, String>>) -> HashMap<String, HashMap<String, String>> {
    rows.into_iter()
        .map(|row| (row["order_id"].clone(), row))
        .collect()
}

/// Starts a sandbox whose batch route rejects every call with `status` and the standard
/// error body, as USPS does for an application without access to it.
fn rejecting_sandbox(status: u16) -> PatchedSandbox {
    use axum::http::StatusCode;
    use axum::routing::post;
    let rejection = move || async move {
        let body = serde_json::json!({
            "apiVersion": "/tracking/v3r2",
            "error": {"code": status.to_string(), "message": "Access denied.", "errors": []}
        });
        (StatusCode::from_u16(status).unwrap(), axum::Json(body))
    };
    PatchedSandbox::start(axum::Router::new().route(BATCH, post(rejection)))
}

const SINGLE: &str = "/tracking/v3/tracking/{trackingNumber}";

#[test]
fn rejected_batch_falls_back_to_single() {
    // A 403 rejects the endpoint for the whole run, and a 404 rejects only that batch.
    for (status, batch_calls) in [(403, 1), (404, 2)] {
        let workspace = Workspace::new();
        let server = rejecting_sandbox(status);
        let mut manifest_rows = rows(39, 47);
        manifest_rows.push(("new".into(), impb(9_003, 1)));
        let input = manifest(&workspace, &manifest_rows);
        // One request at a time, so the second batch starts after the first was rejected.
        let job = workspace.job(
            "fallback",
            "tracking",
            &input,
            "quota = \"600/m\"\nconcurrency = 1",
        );
        run(&workspace, &job, &server.base_url).expect_code(3);

        let summary = workspace.summary("fallback");
        assert_eq!(summary["api_calls"], batch_calls + 40, "status {status}");
        assert_eq!(summary["by_status"]["ok"], 39, "status {status}");
        let stats = server.state.stats();
        assert_eq!(stats.requests[SINGLE], 40, "status {status}");
        assert_eq!(stats.requests.get(BATCH), None, "status {status}");

        let output = by_id(workspace.csv("fallback.csv"));
        let first = &output["R000"];
        assert_eq!(first["usps_tracking_number"], impb(5_000, 47));
        assert_eq!(first["usps_status_category"], "In Transit");
        assert_eq!(first["usps_tracking_status"], "In Transit to Next Facility");
        assert!(first["usps_expected_delivery"].starts_with("2026-"));
        // The single endpoint returns 400 with code 150002 for a number it has no scan of yet.
        assert_eq!(output["new"]["usps_error_code"], "not_yet_trackable");
    }
}

#[test]
fn json_number_loses_digits() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("600/m"));
    let number = impb(88, 91);
    let input = workspace.write(
        "in.jsonl",
        format!(
            "{{\"id\":\"as_number\",\"tracking_number\":{number}}}\n\
             {{\"id\":\"as_text\",\"tracking_number\":\"{number}\"}}\n"
        ),
    );
    let job = workspace.job("json", "tracking", &input, "quota = \"600/m\"");
    run(&workspace, &job, &sandbox.base_url).expect_code(3);

    let errors = by_id(workspace.csv("json.errors.csv"));
    assert_eq!(errors.len(), 1);
    let error = &errors["as_number"];
    assert_eq!(error["code"], "invalid_tracking_number");
    assert!(
        error["message"].contains("scientific notation"),
        "{}",
        error["message"]
    );
    assert_eq!(workspace.summary("json")["by_status"]["ok"], 1);
}

#[test]
fn unusable_batch_is_retried() {
    use axum::routing::post;
    let workspace = Workspace::new();
    // A gateway error page served with 200, which no spec allows.
    let sandbox = PatchedSandbox::start(
        axum::Router::new().route(BATCH, post(|| async { "<html>Service Unavailable</html>" })),
    );
    let input = manifest(&workspace, &rows(3, 91));
    let job = workspace.job("broken", "tracking", &input, "quota = \"600/m\"");
    run(&workspace, &job, &sandbox.base_url).expect_code(3);

    assert_eq!(workspace.summary("broken")["api_calls"], 1);
    let errors = workspace.csv("broken.errors.csv");
    assert_eq!(errors.len(), 3);
    for error in &errors {
        assert_eq!(error["code"], "invalid_response");
        assert_eq!(error["retryable"], "yes");
        assert_eq!(error["http_status"], "200");
    }
}

#[test]
fn killed_runs_resume_identically() {
    // 210 distinct numbers in transit, delivered or just labelled: six full batches.
    let manifest_rows: Vec<(String, String)> = (0..210u64)
        .map(|index| {
            let scenario = [47, 91, 12][(index % 3) as usize];
            (format!("K{index:03}"), impb(7_000 + index, scenario))
        })
        .collect();
    let slow_sandbox = || {
        let mut config = sandbox_config("unlimited");
        config.latency = Duration::from_millis(150);
        TestSandbox::start(config)
    };
    let job_for = |workspace: &Workspace| {
        let input = manifest(workspace, &manifest_rows);
        workspace.job(
            "killed",
            "tracking",
            &input,
            "quota = \"unlimited\"\nconcurrency = 1",
        )
    };

    let reference = Workspace::new();
    let reference_sandbox = slow_sandbox();
    let job = job_for(&reference);
    run(&reference, &job, &reference_sandbox.base_url).expect_code(0);
    assert_eq!(reference_sandbox.stats().requests[BATCH], 6);

    let workspace = Workspace::new();
    let sandbox = slow_sandbox();
    let job = job_for(&workspace);
    let args = [
        "run",
        job.to_str().unwrap(),
        "--base-url",
        &sandbox.base_url,
        "--quiet",
    ];
    let mut kills = 0u64;
    for delay in [250, 450, 350, 600] {
        let mut child = common::command_in(workspace.dir.path(), &args)
            .spawn()
            .expect("spawn");
        std::thread::sleep(Duration::from_millis(delay));
        if child.try_wait().expect("poll").is_none() {
            child.kill().expect("SIGKILL");
            kills += 1;
        }
        child.wait().expect("reap");
    }
    assert!(kills >= 2, "the kills must land mid-run ({kills} did)");
    workspace.run(&args).expect_code(0);

    let expected = std::fs::read(reference.out().join("killed.csv")).unwrap();
    let actual = std::fs::read(workspace.out().join("killed.csv")).unwrap();
    assert!(
        expected == actual,
        "the output differs from the uninterrupted run\nexpected:\n{}\nactual:\n{}",
        String::from_utf8_lossy(&expected),
        String::from_utf8_lossy(&actual)
    );
    // With one request at a time, each kill can lose at most the one batch in flight.
    let sent = sandbox.stats().requests[BATCH];
    assert!(sent <= 6 + kills, "{sent} batch calls after {kills} kills");
}

#[test]
fn server_errors_stop_as_outage() {
    let workspace = Workspace::new();
    let mut config = sandbox_config("600/m");
    config.faults.error_rate = 1.0;
    let sandbox = TestSandbox::start(config);
    let input = manifest(&workspace, &rows(40, 91));
    let job = workspace.job(
        "faulty",
        "tracking",
        &input,
        "quota = \"600/m\"\nconcurrency = 1",
    );
    // Exit 75: eight failed calls in a row count as an outage, and a rerun resumes.
    run(&workspace, &job, &sandbox.base_url).expect_code(75);

    // The first batch is tried four times and gives up; the fourth attempt of the second
    // batch is the eighth failure in a row, so the run stops with those rows still pending.
    let summary = workspace.summary("faulty");
    assert_eq!(summary["api_calls"], 8);
    assert_eq!(sandbox.stats().requests[BATCH], 8);
    let errors = workspace.csv("faulty.errors.csv");
    assert_eq!(errors.len(), 35);
    for error in &errors {
        assert_eq!(error["code"], "upstream_5xx");
        assert_eq!(error["retryable"], "yes");
    }
    let deferred = workspace
        .csv("faulty.csv")
        .into_iter()
        .filter(|row| row["usps_status"] == "deferred")
        .count();
    assert_eq!(deferred, 5);
}
