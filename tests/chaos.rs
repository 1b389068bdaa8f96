//! Crash safety and shared quota: runs killed with SIGKILL at arbitrary moments, and two
//! runs on one state file at once.

mod common;

use std::time::Duration;

use common::{command_in, kill_runs, sample_rows, sandbox_config, TestSandbox, Workspace};

const CONCURRENCY: u64 = 4;

fn job_for(workspace: &Workspace, rows: &str) -> std::path::PathBuf {
    let input = workspace.write("in.csv", rows);
    workspace.job(
        "chaos",
        "address",
        &input,
        &format!("quota = \"unlimited\"\nconcurrency = {CONCURRENCY}"),
    )
}

fn slow_sandbox() -> TestSandbox {
    let mut config = sandbox_config("unlimited");
    config.latency = Duration::from_millis(40);
    TestSandbox::start(config)
}

#[test]
fn killed_runs_resume_to_identical_output() {
    let rows = sample_rows(80);

    // The reference: one uninterrupted run against its own sandbox.
    let reference = Workspace::new();
    let reference_sandbox = slow_sandbox();
    let job = job_for(&reference, &rows);
    reference
        .run(&[
            "run",
            job.to_str().unwrap(),
            "--base-url",
            &reference_sandbox.base_url,
            "--quiet",
        ])
        .expect_code(3);

    // The same job, killed at several moments and rerun each time.
    let workspace = Workspace::new();
    let sandbox = slow_sandbox();
    let job = job_for(&workspace, &rows);
    let args = [
        "run",
        job.to_str().unwrap(),
        "--base-url",
        &sandbox.base_url,
        "--quiet",
    ];
    let kills = kill_runs(workspace.dir.path(), &args, &[120, 350, 60, 500, 230, 700]);
    assert!(kills >= 3, "the kills must land mid-run ({kills} did)");
    workspace.run(&args).expect_code(3);

    for file in ["chaos.csv", "chaos.errors.csv"] {
        let expected = std::fs::read(reference.out().join(file)).unwrap();
        let actual = std::fs::read(workspace.out().join(file)).unwrap();
        assert!(
            expected == actual,
            "{file} differs from the uninterrupted run\nexpected:\n{}\nactual:\n{}",
            String::from_utf8_lossy(&expected),
            String::from_utf8_lossy(&actual)
        );
    }
    let stats = sandbox.stats();
    assert!(
        stats.repeated_requests <= kills * CONCURRENCY,
        "{} repeated requests after {kills} kills at concurrency {CONCURRENCY}",
        stats.repeated_requests
    );
    let reference_stats = reference_sandbox.stats();
    let sent = stats.requests["/addresses/v3/address"];
    let needed = reference_stats.requests["/addresses/v3/address"];
    assert!(
        sent <= needed + kills * CONCURRENCY,
        "{sent} requests for {needed} needed"
    );
}

#[test]
fn concurrent_runs_share_the_quota() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("15/4s"));
    let rows = sample_rows(40);
    let lines: Vec<&str> = rows.lines().collect();
    let header = lines[0];
    let first = workspace.write(
        "first.csv",
        format!("{header}\n{}\n", lines[1..21].join("\n")),
    );
    let second = workspace.write(
        "second.csv",
        format!("{header}\n{}\n", lines[21..].join("\n")),
    );
    let settings = "quota = \"15/4s\"\nmax_wait = \"1m\"";
    let first_job = workspace.job("first", "address", &first, settings);
    let second_job = workspace.job("second", "address", &second, settings);

    let spawn = |job: &std::path::Path| {
        command_in(
            workspace.dir.path(),
            &[
                "run",
                job.to_str().unwrap(),
                "--base-url",
                &sandbox.base_url,
                "--quiet",
            ],
        )
        .spawn()
        .expect("spawn")
    };
    let mut runs = [spawn(&first_job), spawn(&second_job)];
    for run in &mut runs {
        let status = run.wait().expect("wait");
        assert!(matches!(status.code(), Some(0 | 3)), "exit {status:?}");
    }
    let stats = sandbox.stats();
    assert_eq!(
        stats.rate_limited, 0,
        "together the runs stayed inside the quota"
    );
    assert_eq!(stats.requests["/addresses/v3/address"], 40);
    assert_eq!(stats.repeated_requests, 0);
}

#[test]
fn same_job_runs_once_at_a_time() {
    let workspace = Workspace::new();
    let sandbox = slow_sandbox();
    let job = job_for(&workspace, &sample_rows(40));
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
    // Wait until the first run holds its lock and is sending rows.
    while !sandbox
        .stats()
        .requests
        .contains_key("/addresses/v3/address")
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    let second = workspace.run(&args);
    second.expect_code(1);
    assert!(
        second.stderr().contains("already running"),
        "{}",
        second.stderr()
    );
    let status = first.wait().expect("wait");
    assert_eq!(status.code(), Some(3));
    assert_eq!(sandbox.stats().repeated_requests, 0);
}

#[test]
fn interrupt_writes_outputs_and_resumes() {
    let workspace = Workspace::new();
    let sandbox = slow_sandbox();
    let job = job_for(&workspace, &sample_rows(80));
    let args = [
        "run",
        job.to_str().unwrap(),
        "--base-url",
        &sandbox.base_url,
        "--quiet",
    ];
    let mut run = command_in(workspace.dir.path(), &args)
        .spawn()
        .expect("spawn");
    while sandbox
        .stats()
        .requests
        .get("/addresses/v3/address")
        .copied()
        .unwrap_or(0)
        < 8
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    let signal = std::process::Command::new("kill")
        .args(["-INT", &run.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(signal.success());
    let status = run.wait().expect("wait");
    assert_eq!(status.code(), Some(75), "an interrupted run is resumable");
    let summary = workspace.summary("chaos");
    assert!(summary["remaining_rows"].as_u64().unwrap() > 0, "{summary}");
    assert_eq!(workspace.csv("chaos.csv").len(), 80);

    workspace.run(&args).expect_code(3);
    let summary = workspace.summary("chaos");
    assert_eq!(summary["remaining_rows"], 0);
    assert!(sandbox.stats().repeated_requests <= CONCURRENCY);
}
