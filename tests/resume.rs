//! Resume after a quota stop, 429s that never become row errors, token refresh, and the
//! response cache.

mod common;

use std::time::Duration;

use common::{read_csv, run_in, sample_rows, sandbox_config, TestSandbox, Workspace};

fn run_job(
    workspace: &Workspace,
    job: &std::path::Path,
    sandbox: &TestSandbox,
    extra: &[&str],
) -> common::Run {
    let mut args = vec![
        "run",
        job.to_str().unwrap(),
        "--base-url",
        &sandbox.base_url,
        "--quiet",
    ];
    args.extend_from_slice(extra);
    workspace.run(&args)
}

#[test]
fn quota_stop_resumes_without_repeats() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("20/5s"));
    let input = workspace.write("in.csv", sample_rows(30));
    let job = workspace.job(
        "quota",
        "address",
        &input,
        "quota = \"20/5s\"\nmax_wait = \"0\"",
    );

    // Without --quiet, because --quiet prints nothing for a resumable stop.
    let first = workspace.run(&[
        "run",
        job.to_str().unwrap(),
        "--base-url",
        &sandbox.base_url,
    ]);
    first.expect_code(75);
    assert!(first.stderr().contains("rows remain"), "{}", first.stderr());
    let summary = workspace.summary("quota");
    assert_eq!(summary["exit_code"], 75);
    // One token request and 19 address calls fill the window of 20.
    assert_eq!(summary["token_calls"], 1);
    assert_eq!(summary["api_calls"], 19);
    assert_eq!(summary["remaining_rows"], 11);
    assert!(summary["quota_free_at"].is_string());
    let output = workspace.csv("quota.csv");
    assert_eq!(output.len(), 30, "every row is in the output");
    let deferred = output
        .iter()
        .filter(|row| row["usps_status"] == "deferred")
        .count();
    assert_eq!(deferred, 11);
    assert!(output
        .iter()
        .filter(|row| row["usps_status"] == "deferred")
        .all(|row| row["usps_error_code"] == "deferred_quota"));
    let errors = workspace.csv("quota.errors.csv");
    assert!(
        errors.iter().all(|row| row["code"] != "deferred_quota"),
        "deferred rows are not errors"
    );

    std::thread::sleep(Duration::from_millis(5300));
    // Exit 3: some sample rows need a unit number and go to the error report.
    run_job(&workspace, &job, &sandbox, &[]).expect_code(3);
    let summary = workspace.summary("quota");
    assert_eq!(summary["api_calls"], 11, "only the remaining rows are sent");
    assert_eq!(summary["resumed_rows"], 19);
    let stats = sandbox.stats();
    assert_eq!(stats.rate_limited, 0, "the runner never exceeded the quota");
    assert_eq!(stats.repeated_requests, 0, "no row was requested twice");
    assert_eq!(stats.requests["/addresses/v3/address"], 30);
}

#[test]
fn server_429_is_not_row_error() {
    let workspace = Workspace::new();
    // The server allows less than the runner believes, as when another app shares the quota.
    let sandbox = TestSandbox::start(sandbox_config("8/2s"));
    let input = workspace.write("in.csv", sample_rows(12));
    let job = workspace.job(
        "limited",
        "address",
        &input,
        "quota = \"unlimited\"\nmax_wait = \"30s\"",
    );
    run_job(&workspace, &job, &sandbox, &[]).expect_code(3);
    let summary = workspace.summary("limited");
    assert!(summary["rate_limited"].as_u64().unwrap() > 0, "{summary}");
    let output = workspace.csv("limited.csv");
    assert_eq!(output.len(), 12);
    for row in &output {
        assert!(
            !matches!(row["usps_status"].as_str(), "error" | "deferred"),
            "row {} has status {}",
            row["id"],
            row["usps_status"]
        );
    }
    let errors = workspace.csv("limited.errors.csv");
    assert!(errors.iter().all(|row| row["http_status"] != "429"));
}

#[test]
fn expired_token_is_refreshed_mid_run() {
    let workspace = Workspace::new();
    let mut config = sandbox_config("unlimited");
    config.latency = Duration::from_millis(100);
    let sandbox = TestSandbox::start(config);
    let input = workspace.write("in.csv", sample_rows(40));
    let job = workspace.job(
        "token",
        "address",
        &input,
        "quota = \"unlimited\"\nconcurrency = 4",
    );

    let workspace_path = workspace.dir.path().to_path_buf();
    let base_url = sandbox.base_url.clone();
    let job_path = job.clone();
    let runner = std::thread::spawn(move || {
        run_in(
            &workspace_path,
            &[
                "run",
                job_path.to_str().unwrap(),
                "--base-url",
                &base_url,
                "--quiet",
            ],
            &[],
        )
    });
    // Expire the token once the run is well under way, while four workers hold it.
    let address_calls = || {
        sandbox
            .stats()
            .requests
            .get("/addresses/v3/address")
            .copied()
            .unwrap_or(0)
    };
    while address_calls() < 8 {
        std::thread::sleep(Duration::from_millis(20));
    }
    sandbox.expire_tokens();
    let run = runner.join().unwrap();
    run.expect_code(3);
    let summary = workspace.summary("token");
    assert_eq!(
        summary["token_calls"], 2,
        "one refresh after the 401: {summary}"
    );
    let output = workspace.csv("token.csv");
    assert!(output
        .iter()
        .all(|row| row["usps_status"] != "error" && row["usps_status"] != "deferred"));
}

#[test]
fn dedupe_and_cache_across_jobs() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("unlimited"));
    let input = workspace.write(
        "dupes.csv",
        "id,street,city,state,zip\n\
         1,742 Evergreen Ter,Springfield,IL,62704\n\
         2,742  EVERGREEN TER,springfield,il,62704\n\
         3,742 evergreen ter,SPRINGFIELD,IL,62704\n\
         4,15 Harvard Ave,Allston,MA,02134\n",
    );
    let job = workspace.job("dedupe", "address", &input, "quota = \"unlimited\"");
    run_job(&workspace, &job, &sandbox, &[]).expect_code(0);
    let summary = workspace.summary("dedupe");
    assert_eq!(summary["api_calls"], 2, "{summary}");
    assert_eq!(summary["deduplicated"], 2, "{summary}");
    assert_eq!(sandbox.stats().requests["/addresses/v3/address"], 2);

    // Another job on the same rows is served from the cache.
    let other = workspace.job("other", "address", &input, "quota = \"unlimited\"");
    run_job(&workspace, &other, &sandbox, &[]).expect_code(0);
    let summary = workspace.summary("other");
    assert_eq!(summary["api_calls"], 0, "{summary}");
    assert_eq!(summary["cache_hits"], 4, "{summary}");
    assert_eq!(sandbox.stats().requests["/addresses/v3/address"], 2);

    // --no-cache requests again, still once per distinct request.
    run_job(&workspace, &other, &sandbox, &["--fresh", "--no-cache"]).expect_code(0);
    let summary = workspace.summary("other");
    assert_eq!(summary["api_calls"], 2, "{summary}");
    assert_eq!(summary["cache_hits"], 0, "{summary}");
    let rows = read_csv(&workspace.out().join("other.csv"));
    assert!(rows
        .iter()
        .all(|row| row["usps_status"] == "ok" || row["usps_status"] == "corrected"));
}

#[test]
fn appended_rows_are_processed_and_rewritten_input_stops() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("unlimited"));
    let rows = sample_rows(6);
    let mut lines: Vec<&str> = rows.lines().collect();
    let appended = lines.split_off(5);
    let input = workspace.write("grow.csv", lines.join("\n") + "\n");
    let job = workspace.job("grow", "address", &input, "quota = \"unlimited\"");
    run_job(&workspace, &job, &sandbox, &[]).expect_code(3);

    workspace.write(
        "grow.csv",
        format!("{}\n{}\n", lines.join("\n"), appended.join("\n")),
    );
    run_job(&workspace, &job, &sandbox, &[]);
    let summary = workspace.summary("grow");
    assert_eq!(summary["resumed_rows"], 4);
    assert_eq!(summary["api_calls"], 2);

    // Rewriting a processed row is detected.
    let rewritten = std::fs::read_to_string(&input)
        .unwrap()
        .replacen("Washington", "Baltimore", 1);
    workspace.write("grow.csv", rewritten);
    let run = run_job(&workspace, &job, &sandbox, &[]);
    run.expect_code(1);
    assert!(run.stderr().contains("--fresh"), "{}", run.stderr());
    run_job(&workspace, &job, &sandbox, &["--fresh"]);
    assert_eq!(workspace.summary("grow")["rows"], 6);
}

#[test]
fn per_api_pools_pace_separately() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("unlimited"));
    let input = workspace.write("in.csv", sample_rows(4));
    let settings = "quota = \"3/m\"\nquota_pool = \"per-api\"\nmax_wait = \"0\"";
    let job = workspace.job("pools", "address", &input, settings);
    // The token request is in its own pool, so three address calls fit in the window.
    run_job(&workspace, &job, &sandbox, &[]).expect_code(75);
    let summary = workspace.summary("pools");
    assert_eq!(summary["api_calls"], 3, "{summary}");
    assert_eq!(summary["token_calls"], 1);
    assert_eq!(summary["remaining_rows"], 1);
}

#[test]
fn file_caught_mid_write_resumes_when_complete() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("unlimited"));
    let rows = sample_rows(3);
    let lines: Vec<&str> = rows.lines().collect();
    // The export is caught while its last line is half written.
    let (head, tail) = lines[3].split_at(12);
    let input = workspace.write(
        "grow.csv",
        format!("{}\n{}\n{}\n{head}", lines[0], lines[1], lines[2]),
    );
    let job = workspace.job("midwrite", "address", &input, "quota = \"unlimited\"");
    run_job(&workspace, &job, &sandbox, &[]).expect_code(3);
    let output = workspace.csv("midwrite.csv");
    assert_eq!(output[2]["usps_error_code"], "wrong_field_count");

    workspace.write(
        "grow.csv",
        format!("{}\n{}\n{}\n{head}{tail}\n", lines[0], lines[1], lines[2]),
    );
    run_job(&workspace, &job, &sandbox, &[]);
    let summary = workspace.summary("midwrite");
    assert_eq!(summary["resumed_rows"], 2, "{summary}");
    assert_eq!(summary["api_calls"], 1, "{summary}");
    let output = workspace.csv("midwrite.csv");
    assert_ne!(output[2]["usps_status"], "invalid_input");
}

#[test]
fn quota_stop_names_when_window_frees() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("unlimited"));
    let input = workspace.write("in.csv", sample_rows(5));
    let job = workspace.job(
        "window",
        "address",
        &input,
        "quota = \"3/30s\"\nmax_wait = \"0\"",
    );
    run_job(&workspace, &job, &sandbox, &[]).expect_code(75);
    let summary = workspace.summary("window");
    let parse = |key: &str| -> jiff::Timestamp { summary[key].as_str().unwrap().parse().unwrap() };
    let free_in = parse("quota_free_at").duration_since(parse("finished_at"));
    // The token and two calls fill the window of 30 s; the pace alone would give 10 s.
    assert!(
        free_in.as_secs() >= 25,
        "the quota frees {free_in:?} after the stop: {summary}"
    );
}
