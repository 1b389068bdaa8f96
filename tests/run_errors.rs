//! Problems that stop a run before any row is sent: each gives exit code 1 and a message
//! that names the file and the problem.

mod common;

use common::{sample_rows, sandbox_config, TestSandbox, Workspace};

#[test]
fn missing_input_file_is_named() {
    let workspace = Workspace::new();
    let input = workspace.path("no-such-file.csv");
    let job = workspace.job("missing", "address", &input, "");
    let run = workspace.run(&["run", job.to_str().unwrap(), "--quiet"]);
    run.expect_code(1);
    assert!(
        run.stderr().contains("no-such-file.csv"),
        "{}",
        run.stderr()
    );
}

#[test]
fn unknown_job_key_is_named() {
    let workspace = Workspace::new();
    let input = workspace.write("in.csv", sample_rows(2));
    let job = workspace.job("typo", "address", &input, "concurency = 2");
    let run = workspace.run(&["run", job.to_str().unwrap(), "--quiet"]);
    run.expect_code(1);
    assert!(run.stderr().contains("concurency"), "{}", run.stderr());
    assert!(run.stderr().contains("typo.toml"), "{}", run.stderr());
}

#[test]
fn duplicate_header_is_named() {
    let workspace = Workspace::new();
    let input = workspace.write(
        "dup.csv",
        "id,street,city,state,zip,street\n1,742 EVERGREEN TER,SPRINGFIELD,IL,62704,APT 2\n",
    );
    let job = workspace.job("dup", "address", &input, "");
    let run = workspace.run(&["run", job.to_str().unwrap(), "--quiet"]);
    run.expect_code(1);
    let stderr = run.stderr();
    assert!(stderr.contains("dup.csv"), "{stderr}");
    assert!(stderr.contains("duplicate column `street`"), "{stderr}");
    assert!(stderr.contains("positions 2 and 6"), "{stderr}");
}

#[test]
fn missing_required_column_lists_names_tried() {
    let workspace = Workspace::new();
    let input = workspace.write(
        "cols.csv",
        "id,line,town,zip\n1,742 EVERGREEN TER,SPRINGFIELD,62704\n",
    );
    let job = workspace.job("cols", "address", &input, "");
    let run = workspace.run(&["run", job.to_str().unwrap(), "--quiet"]);
    run.expect_code(1);
    let stderr = run.stderr();
    assert!(stderr.contains("cols.csv"), "{stderr}");
    assert!(stderr.contains("streetAddress"), "{stderr}");
    assert!(
        stderr.contains("address1"),
        "the aliases tried are listed: {stderr}"
    );
}

#[test]
fn wrong_credentials_fail_before_any_row() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("100/m"));
    let input = workspace.write("in.csv", sample_rows(5));
    let job = workspace.job("creds", "address", &input, "");
    let run = workspace.run_with_env(
        &[
            "run",
            job.to_str().unwrap(),
            "--base-url",
            &sandbox.base_url,
            "--quiet",
        ],
        &[
            ("USPS_CLIENT_ID", "sandbox-client"),
            ("USPS_CLIENT_SECRET", "wrong-secret"),
        ],
    );
    run.expect_code(1);
    let stderr = run.stderr();
    assert!(stderr.contains("token request"), "{stderr}");
    assert!(
        stderr.contains("USPS_CLIENT_SECRET"),
        "the fix is named: {stderr}"
    );
    assert!(
        !stderr.contains("wrong-secret"),
        "the secret is never printed"
    );
    let stats = sandbox.stats();
    assert_eq!(
        stats.requests.get("/addresses/v3/address"),
        None,
        "no row was sent"
    );
}

#[test]
fn remote_env_without_credentials_fails_early() {
    let workspace = Workspace::new();
    let input = workspace.write("in.csv", sample_rows(2));
    let job = workspace.job("tem", "address", &input, "env = \"tem\"");
    let run = workspace.run(&["run", job.to_str().unwrap(), "--quiet"]);
    run.expect_code(1);
    let stderr = run.stderr();
    assert!(stderr.contains("USPS_CLIENT_ID"), "{stderr}");
    assert!(stderr.contains("USPS_CLIENT_SECRET"), "{stderr}");
}

#[test]
fn usage_error_exits_2() {
    let workspace = Workspace::new();
    workspace.run(&["run"]).expect_code(2);
    workspace
        .run(&["run", "job.toml", "--quota", "sixty"])
        .expect_code(2);
}
