//! Secrets stay out of logs, outputs and the state file; outages stop a run resumably.

mod common;

use common::{sample_rows, sandbox_config, serve_fixed, PatchedSandbox, TestSandbox, Workspace};

/// Reads every file below `dir` as bytes.
fn all_files(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(all_files(&path));
        } else {
            files.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
    files
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

#[test]
fn secrets_never_reach_logs_or_files() {
    let workspace = Workspace::new();
    let mut config = sandbox_config("unlimited");
    config.client_id = "client-for-test".into();
    config.client_secret = "s3cret-value-for-test".into();
    let sandbox = TestSandbox::start(config);
    let input = workspace.write("in.csv", sample_rows(5));
    let job = workspace.job("secrets", "address", &input, "quota = \"unlimited\"");
    for format in ["text", "json"] {
        let run = workspace.run_with_env(
            &[
                "run",
                job.to_str().unwrap(),
                "--base-url",
                &sandbox.base_url,
                "--fresh",
                "--no-cache",
                "-vv",
                "--log-format",
                format,
            ],
            &[
                ("USPS_CLIENT_ID", "client-for-test"),
                ("USPS_CLIENT_SECRET", "s3cret-value-for-test"),
            ],
        );
        run.expect_code(3);
        let stderr = run.stderr();
        assert!(
            stderr.contains("run started"),
            "debug logs were on: {stderr}"
        );
        assert!(
            !stderr.contains("s3cret-value-for-test"),
            "secret in the {format} log"
        );
        // Access tokens are JWTs, whose base64url header starts with `eyJ`.
        assert!(!stderr.contains("eyJ"), "token in the {format} log");
    }
    for (path, bytes) in all_files(workspace.dir.path()) {
        assert!(
            !contains(&bytes, b"s3cret-value-for-test"),
            "secret in {}",
            path.display()
        );
        assert!(
            !contains(&bytes, b"client-for-test"),
            "client id in {}",
            path.display()
        );
        assert!(!contains(&bytes, b"eyJ"), "token in {}", path.display());
    }
}

#[test]
fn echoed_token_request_is_redacted() {
    // A token endpoint that rejects the request and echoes its body in the error, as some
    // gateways do. The 400 stops the run, and the 500 is retried and then ends it as an
    // outage. Both messages go to the log, the summary and the state file.
    for status in [400u16, 500] {
        let workspace = Workspace::new();
        let echo = move |body: String| async move {
            let error = serde_json::json!({
                "error": "invalid_client",
                "error_description": format!("bad request: {body}"),
            });
            (
                axum::http::StatusCode::from_u16(status).unwrap(),
                axum::Json(error),
            )
        };
        let sandbox = PatchedSandbox::start(
            axum::Router::new().route("/oauth2/v3/token", axum::routing::post(echo)),
        );
        let input = workspace.write("in.csv", sample_rows(3));
        let job = workspace.job("echo", "address", &input, "quota = \"unlimited\"");
        let run = workspace.run_with_env(
            &[
                "run",
                job.to_str().unwrap(),
                "--base-url",
                &sandbox.base_url,
                "-vv",
            ],
            &[
                ("USPS_CLIENT_ID", "client-for-echo"),
                ("USPS_CLIENT_SECRET", "Se\"cret/for+echo"),
            ],
        );
        assert_ne!(run.code(), 0, "{}", run.stderr());
        let stderr = run.stderr();
        assert!(stderr.contains("<redacted>"), "{stderr}");
        for needle in [
            "Se\"cret/for+echo",
            "Se\\\"cret/for+echo",
            "client-for-echo",
        ] {
            assert!(!stderr.contains(needle), "{needle} in the log: {stderr}");
            for (path, bytes) in all_files(workspace.dir.path()) {
                assert!(
                    !contains(&bytes, needle.as_bytes()),
                    "{needle} in {}",
                    path.display()
                );
            }
        }
    }
}

#[test]
fn outage_stops_resumably_and_rerun_finishes() {
    let workspace = Workspace::new();
    let mut config = sandbox_config("unlimited");
    config.faults.error_rate = 1.0;
    let failing = TestSandbox::start(config);
    let input = workspace.write("in.csv", sample_rows(20));
    let job = workspace.job(
        "outage",
        "address",
        &input,
        "quota = \"unlimited\"\nconcurrency = 2",
    );
    let run = workspace.run(&[
        "run",
        job.to_str().unwrap(),
        "--base-url",
        &failing.base_url,
        "--quiet",
    ]);
    run.expect_code(75);
    assert!(run.stderr().contains("unavailable"), "{}", run.stderr());
    let summary = workspace.summary("outage");
    let calls = summary["api_calls"].as_u64().unwrap();
    assert!(
        calls <= 10,
        "an outage must not burn the quota on retries ({calls} calls)"
    );
    let output = workspace.csv("outage.csv");
    assert_eq!(output.len(), 20);
    assert!(output
        .iter()
        .any(|row| row["usps_error_code"] == "deferred_outage"));

    // The API is back: the rerun finishes every row, the failed ones included.
    let healthy = TestSandbox::start(sandbox_config("unlimited"));
    workspace
        .run(&[
            "run",
            job.to_str().unwrap(),
            "--base-url",
            &healthy.base_url,
            "--quiet",
        ])
        .expect_code(3);
    let output = workspace.csv("outage.csv");
    assert!(output
        .iter()
        .all(|row| !matches!(row["usps_status"].as_str(), "error" | "deferred")));
}

#[test]
fn retryable_errors_are_retried_and_final_ones_only_on_request() {
    let workspace = Workspace::new();
    // Most requests fail, so some rows run out of attempts and end as retryable errors.
    let mut config = sandbox_config("unlimited");
    config.faults.error_rate = 0.6;
    config.seed = 11;
    let flaky = TestSandbox::start(config);
    let input = workspace.write("in.csv", sample_rows(12));
    let job = workspace.job(
        "flaky",
        "address",
        &input,
        "quota = \"unlimited\"\nconcurrency = 1",
    );
    workspace.run(&[
        "run",
        job.to_str().unwrap(),
        "--base-url",
        &flaky.base_url,
        "--quiet",
    ]);

    let healthy = TestSandbox::start(sandbox_config("unlimited"));
    let run = workspace.run(&[
        "run",
        job.to_str().unwrap(),
        "--base-url",
        &healthy.base_url,
        "--quiet",
    ]);
    run.expect_code(3);
    let output = workspace.csv("flaky.csv");
    assert!(
        output.iter().all(|row| row["usps_status"] != "error"),
        "retryable rows were retried"
    );
    let final_errors = output
        .iter()
        .filter(|row| row["usps_status"] == "ambiguous")
        .count() as u64;
    assert!(final_errors > 0);

    // Final errors stay until --retry-errors. Then each is sent again, or answered from the
    // cache when this server answered it before.
    workspace.run(&[
        "run",
        job.to_str().unwrap(),
        "--base-url",
        &healthy.base_url,
        "--quiet",
    ]);
    assert_eq!(workspace.summary("flaky")["api_calls"], 0);
    workspace.run(&[
        "run",
        job.to_str().unwrap(),
        "--base-url",
        &healthy.base_url,
        "--quiet",
        "--retry-errors",
    ]);
    let summary = workspace.summary("flaky");
    let redone = summary["cache_hits"].as_u64().unwrap() + summary["api_calls"].as_u64().unwrap();
    assert_eq!(redone, final_errors, "{summary}");
    assert_eq!(summary["resumed_rows"].as_u64().unwrap(), 12 - final_errors);
}

#[test]
fn unusable_success_bodies_count_as_outage() {
    let workspace = Workspace::new();
    let base_url = serve_fixed(
        200,
        "text/html",
        "<html><body>Service Unavailable</body></html>",
    );
    let input = workspace.write("in.csv", sample_rows(20));
    let job = workspace.job(
        "html",
        "address",
        &input,
        "quota = \"unlimited\"\nconcurrency = 1",
    );
    let run = workspace.run(&[
        "run",
        job.to_str().unwrap(),
        "--base-url",
        &base_url,
        "--quiet",
    ]);
    run.expect_code(75);
    let summary = workspace.summary("html");
    assert_eq!(summary["api_calls"], 8, "{summary}");
    let output = workspace.csv("html.csv");
    assert_eq!(output.len(), 20);
    let errors = output
        .iter()
        .filter(|row| row["usps_error_code"] == "invalid_response")
        .count();
    assert_eq!(errors, 7, "the eighth stops the run and stays pending");
}
