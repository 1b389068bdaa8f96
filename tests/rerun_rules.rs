//! What a rerun may reuse: finished rows only under the same settings, cached responses only
//! when they came from the API, and retried final errors only from the API. Also the
//! manifest and command-line rules that decide what a rerun sees.

mod common;

use std::time::Duration;

use common::{command_in, sample_rows, sandbox_config, serve_fixed, TestSandbox, Workspace};

fn run_against(
    workspace: &Workspace,
    job: &std::path::Path,
    base_url: &str,
    extra: &[&str],
) -> common::Run {
    let mut args = vec![
        "run",
        job.to_str().unwrap(),
        "--base-url",
        base_url,
        "--quiet",
    ];
    args.extend_from_slice(extra);
    workspace.run(&args)
}

#[test]
fn settings_change_requires_fresh() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("unlimited"));
    let input = workspace.write(
        "in.csv",
        "id,street,city,state,zip\n1,742 Evergreen Ter,Springfield,IL,62704\n2,15 Harvard Ave,Allston,MA,02134\n",
    );
    let job = workspace.job("settings", "address", &input, "quota = \"unlimited\"");
    run_against(&workspace, &job, &sandbox.base_url, &[]).expect_code(0);

    // A setting that only changes pace, or another server of the same environment, keeps the
    // finished rows.
    let faster = workspace.job(
        "settings",
        "address",
        &input,
        "quota = \"unlimited\"\nconcurrency = 2",
    );
    let restarted = TestSandbox::start(sandbox_config("unlimited"));
    run_against(&workspace, &faster, &restarted.base_url, &[]).expect_code(0);
    assert_eq!(workspace.summary("settings")["api_calls"], 0);

    // A mapping change alters the requests.
    let remapped = workspace.job(
        "settings",
        "address",
        &input,
        "quota = \"unlimited\"\n[columns]\nstreetAddress = \"street\"",
    );
    let rejected = run_against(&workspace, &remapped, &sandbox.base_url, &[]);
    rejected.expect_code(1);
    assert!(
        rejected.stderr().contains("--fresh"),
        "{}",
        rejected.stderr()
    );

    // Responses from the sandbox must not stand for responses from USPS.
    let credentials = [
        ("USPS_CLIENT_ID", usps_batch::sandbox::DEFAULT_CLIENT_ID),
        (
            "USPS_CLIENT_SECRET",
            usps_batch::sandbox::DEFAULT_CLIENT_SECRET,
        ),
    ];
    let tem = |extra: &[&str]| {
        let mut args = vec![
            "run",
            job.to_str().unwrap(),
            "--env",
            "tem",
            "--base-url",
            &sandbox.base_url,
            "--quiet",
        ];
        args.extend_from_slice(extra);
        workspace.run_with_env(&args, &credentials)
    };
    let rejected = tem(&[]);
    rejected.expect_code(1);
    assert!(
        rejected.stderr().contains("settings"),
        "{}",
        rejected.stderr()
    );
    assert!(
        rejected.stderr().contains("--fresh"),
        "{}",
        rejected.stderr()
    );
    assert_eq!(sandbox.stats().requests["/addresses/v3/address"], 2);

    tem(&["--fresh"]).expect_code(0);
    assert_eq!(workspace.summary("settings")["api_calls"], 2);
}

#[test]
fn retry_errors_skips_the_cache() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("unlimited"));
    let input = workspace.write(
        "in.csv",
        "id,street,city,state,zip\n1,742 Evergreen Ter,Springfield,IL,62704\n2,12 Nowhere St,Springfield,IL,62704\n",
    );
    let job = workspace.job("retry", "address", &input, "quota = \"unlimited\"");
    run_against(&workspace, &job, &sandbox.base_url, &[]).expect_code(3);
    let rows = workspace.csv("retry.csv");
    assert_eq!(rows[1]["usps_status"], "not_found");

    run_against(&workspace, &job, &sandbox.base_url, &["--retry-errors"]).expect_code(3);
    let summary = workspace.summary("retry");
    assert_eq!(summary["api_calls"], 1, "{summary}");
    assert_eq!(summary["cache_hits"], 0, "{summary}");
    assert_eq!(sandbox.stats().requests["/addresses/v3/address"], 3);
}

#[test]
fn empty_success_body_is_retryable() {
    let workspace = Workspace::new();
    let base_url = serve_fixed(200, "application/json", "{}");
    let input = workspace.write("in.csv", sample_rows(3));
    let job = workspace.job(
        "empty",
        "address",
        &input,
        "quota = \"unlimited\"\nconcurrency = 1",
    );
    run_against(&workspace, &job, &base_url, &[]).expect_code(3);
    let rows = workspace.csv("empty.csv");
    assert_eq!(rows.len(), 3);
    for row in &rows {
        assert_eq!(row["usps_status"], "error", "{row:?}");
        assert_eq!(row["usps_error_code"], "invalid_response", "{row:?}");
    }
    // Nothing was cached, so the rerun sends every row again.
    run_against(&workspace, &job, &base_url, &[]).expect_code(3);
    assert_eq!(workspace.summary("empty")["api_calls"], 3);
}

#[test]
fn foreign_404_is_retryable() {
    let workspace = Workspace::new();
    let base_url = serve_fixed(404, "text/html", "<html>404 Not Found</html>");
    let input = workspace.write("in.csv", sample_rows(3));
    let job = workspace.job(
        "proxy",
        "address",
        &input,
        "quota = \"unlimited\"\nconcurrency = 1",
    );
    run_against(&workspace, &job, &base_url, &[]).expect_code(3);
    let summary = workspace.summary("proxy");
    assert_eq!(
        summary["api_calls"], 3,
        "one call per row, no retries: {summary}"
    );
    for row in workspace.csv("proxy.csv") {
        assert_eq!(row["usps_status"], "error", "{row:?}");
        assert_eq!(row["usps_error_code"], "invalid_response", "{row:?}");
    }
    run_against(&workspace, &job, &base_url, &[]).expect_code(3);
    assert_eq!(workspace.summary("proxy")["api_calls"], 3, "not cached");
}

#[test]
fn json_columns_come_from_every_object() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("unlimited"));
    let input = workspace.write(
        "in.jsonl",
        concat!(
            r#"{"id":"1","street":"742 EVERGREEN TER","city":"SPRINGFIELD","state":"IL"}"#,
            "\n",
            r#"{"id":"2","street":"100 MAIN ST","address2":"APT 4B","city":"SPRINGFIELD","state":"IL","zip":"62701"}"#,
            "\n",
            r#"{"id":"3","street":"742 EVERGREEN TER","street":"9 OAK ST","city":"SPRINGFIELD","state":"IL"}"#,
            "\n",
        ),
    );
    let job = workspace.job("keys", "address", &input, "quota = \"unlimited\"");
    run_against(&workspace, &job, &sandbox.base_url, &[]).expect_code(3);
    let text = std::fs::read_to_string(workspace.out().join("keys.jsonl")).unwrap();
    let rows: Vec<serde_json::Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(rows.len(), 3);
    // The unit and ZIP Code of row 2 were sent although row 1 has neither key.
    assert_eq!(rows[1]["address2"], "APT 4B");
    assert_eq!(rows[1]["zip"], "62701");
    assert_ne!(rows[1]["usps_status"], "ambiguous", "{}", rows[1]);
    assert_eq!(rows[2]["usps_status"], "invalid_input", "{}", rows[2]);
    assert_eq!(rows[2]["usps_error_code"], "duplicate_key", "{}", rows[2]);
}

#[test]
fn quiet_run_prints_nothing() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("unlimited"));
    let input = workspace.write(
        "in.csv",
        "id,street,city,state,zip\n1,742 Evergreen Ter,Springfield,IL,62704\n2,1 Main St,Springfield,XX,62704\n",
    );
    let job = workspace.job("quiet", "address", &input, "quota = \"unlimited\"");
    let run = run_against(&workspace, &job, &sandbox.base_url, &[]);
    run.expect_code(3);
    assert_eq!(run.stderr(), "");
    assert_eq!(run.stdout(), "");
}

#[test]
fn invalid_base_url_is_a_job_error() {
    let workspace = Workspace::new();
    let input = workspace.write("in.csv", sample_rows(1));
    let job = workspace.job("url", "address", &input, "");
    for url in ["notaurl", "ftp://127.0.0.1:1", "http://user:pw@127.0.0.1:1"] {
        let run = workspace.run(&["run", job.to_str().unwrap(), "--base-url", url]);
        run.expect_code(1);
        assert!(
            run.stderr().contains("invalid base_url"),
            "{url}: {}",
            run.stderr()
        );
        assert!(!run.stderr().contains("pw@"), "{}", run.stderr());
    }
}

#[test]
fn early_sigterm_stops_cleanly() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(usps_batch::sandbox::SandboxConfig {
        latency: Duration::from_millis(200),
        ..sandbox_config("unlimited")
    });
    let input = workspace.write("in.csv", sample_rows(40));
    let job = workspace.job(
        "term",
        "address",
        &input,
        "quota = \"unlimited\"\nconcurrency = 1",
    );
    let args = [
        "run",
        job.to_str().unwrap(),
        "--base-url",
        &sandbox.base_url,
        "--quiet",
    ];

    let mut child = command_in(workspace.dir.path(), &args)
        .spawn()
        .expect("spawn");
    // As soon as the process catches SIGTERM (bit 15 of SigCgt in /proc), which it does
    // before it opens the job, so that the signal arrives during start-up.
    let status_path = format!("/proc/{}/status", child.id());
    let catches_sigterm = || {
        std::fs::read_to_string(&status_path)
            .ok()
            .and_then(|status| {
                let mask = status
                    .lines()
                    .find_map(|line| line.strip_prefix("SigCgt:"))?;
                u64::from_str_radix(mask.trim(), 16).ok()
            })
            .is_some_and(|mask| mask & (1 << 14) != 0)
    };
    let waited = std::time::Instant::now();
    while !catches_sigterm() && waited.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(2));
    }
    let signal = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(signal.success());

    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(75), "a stopped run is resumable");
    assert_eq!(workspace.csv("term.csv").len(), 40);
}

#[test]
fn two_inputs_share_output_lock() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(usps_batch::sandbox::SandboxConfig {
        latency: Duration::from_millis(100),
        ..sandbox_config("unlimited")
    });
    let first_input = workspace.write("a.csv", sample_rows(30));
    let second_input = workspace.write("b.csv", sample_rows(3));
    let job = workspace.job(
        "shared",
        "address",
        &first_input,
        "quota = \"unlimited\"\nconcurrency = 1",
    );
    let args = [
        "run",
        job.to_str().unwrap(),
        "--base-url",
        &sandbox.base_url,
        "--quiet",
    ];
    let mut first = command_in(workspace.dir.path(), &args)
        .spawn()
        .expect("spawn");
    while !sandbox
        .stats()
        .requests
        .contains_key("/addresses/v3/address")
    {
        std::thread::sleep(Duration::from_millis(20));
    }

    let mut second_args = args.to_vec();
    second_args.extend_from_slice(&["--input", second_input.to_str().unwrap()]);
    let second = workspace.run(&second_args);
    second.expect_code(1);
    assert!(
        second
            .stderr()
            .contains("another run is writing the outputs"),
        "{}",
        second.stderr()
    );

    let status = first.wait().expect("wait");
    assert!(matches!(status.code(), Some(0 | 3)), "{status}");
    assert_eq!(workspace.csv("shared.csv").len(), 30);
}

#[test]
fn failed_output_write_closes_run() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("unlimited"));
    let input = workspace.write("in.csv", sample_rows(2));
    let job = workspace.job("blocked", "address", &input, "quota = \"unlimited\"");
    // A folder where the output file belongs makes the output write fail after the calls.
    std::fs::create_dir_all(workspace.out().join("blocked.csv")).unwrap();
    let run = run_against(&workspace, &job, &sandbox.base_url, &[]);
    run.expect_code(1);
    assert!(run.stderr().contains("blocked.csv"), "{}", run.stderr());

    let state = workspace.state().display().to_string();
    let status = workspace.run(&["status", "--state", &state, "--json"]);
    status.expect_code(0);
    let status: serde_json::Value = serde_json::from_str(&status.stdout()).unwrap();
    let last_run = &status["jobs"][0]["last_run"];
    assert_eq!(last_run["exit_code"], 1, "{last_run}");
    assert_eq!(last_run["api_calls"], 2, "{last_run}");
}

#[test]
fn plan_and_run_reject_truncated_input() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("unlimited"));
    let rows = sample_rows(3);
    let input = workspace.write("in.csv", &rows);
    let job = workspace.job("cut", "address", &input, "quota = \"unlimited\"");
    let first = run_against(&workspace, &job, &sandbox.base_url, &[]);
    assert!(matches!(first.code(), 0 | 3), "{}", first.stderr());

    let shorter: Vec<&str> = rows.lines().take(3).collect();
    workspace.write("in.csv", shorter.join("\n") + "\n");
    let plan = workspace.run(&["plan", job.to_str().unwrap()]);
    plan.expect_code(1);
    assert!(plan.stderr().contains("shorter"), "{}", plan.stderr());
    let run = run_against(&workspace, &job, &sandbox.base_url, &[]);
    run.expect_code(1);
    assert!(run.stderr().contains("shorter"), "{}", run.stderr());
    assert!(run.stderr().contains("--fresh"), "{}", run.stderr());
}
