//! The `plan`, `status` and `sandbox` commands, and JSON Lines input.

mod common;

use common::{repo, sample_rows, Workspace};

fn sample_args<'a>(workspace: &'a Workspace, command: &'a str, job: &'a str) -> Vec<String> {
    vec![
        command.to_string(),
        repo().join(job).display().to_string(),
        "--state".to_string(),
        workspace.state().display().to_string(),
    ]
}

fn run_strings(workspace: &Workspace, args: &[String]) -> common::Run {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    workspace.run(&args)
}

#[test]
fn plan_counts_calls_without_making_any() {
    let workspace = Workspace::new();
    let mut args = sample_args(&workspace, "plan", "jobs/address-cleanse.toml");
    args.push("--json".into());
    let run = run_strings(&workspace, &args);
    run.expect_code(0);
    let plan: serde_json::Value = serde_json::from_str(&run.stdout()).expect("plan JSON");
    assert_eq!(plan["rows"], 264);
    assert_eq!(plan["finished_rows"], 0);
    let invalid: u64 = plan["invalid_rows"]
        .as_object()
        .unwrap()
        .values()
        .map(|count| count.as_u64().unwrap())
        .sum();
    assert_eq!(invalid, 8);
    assert_eq!(plan["invalid_rows"]["invalid_zip"], 2);
    assert_eq!(plan["calls_needed"], 256);
    assert_eq!(plan["quota_free_now"], 600);
    assert!(plan["expected_finish"].is_string());

    // After a run, the plan needs no calls.
    let mut run_args = sample_args(&workspace, "run", "jobs/address-cleanse.toml");
    run_args.extend([
        "--output-dir".into(),
        workspace.out().display().to_string(),
        "--quiet".into(),
    ]);
    run_strings(&workspace, &run_args).expect_code(3);
    let run = run_strings(&workspace, &args);
    let plan: serde_json::Value = serde_json::from_str(&run.stdout()).expect("plan JSON");
    assert_eq!(plan["finished_rows"], 264);
    assert_eq!(plan["calls_needed"], 0);
    assert_eq!(plan["quota_free_now"], 600 - 256 - 1);
}

#[test]
fn status_lists_jobs_and_quota() {
    let workspace = Workspace::new();
    let mut run_args = sample_args(&workspace, "run", "jobs/address-cleanse.toml");
    run_args.extend([
        "--output-dir".into(),
        workspace.out().display().to_string(),
        "--quiet".into(),
    ]);
    run_strings(&workspace, &run_args).expect_code(3);

    let state = workspace.state().display().to_string();
    let run = workspace.run(&["status", "--state", &state, "--json"]);
    run.expect_code(0);
    let status: serde_json::Value = serde_json::from_str(&run.stdout()).expect("status JSON");
    let job = &status["jobs"][0];
    assert_eq!(job["name"], "address-cleanse");
    assert_eq!(job["input_rows"], 264);
    assert_eq!(job["last_run"]["exit_code"], 3);
    assert_eq!(job["last_run"]["api_calls"], 256);
    let used = &status["quota_used"][0];
    assert_eq!(used["calls"], 257);
    assert_eq!(used["token_calls"], 1);
    assert!(used["next_free_slot"].is_string());
    assert_eq!(job["rows_by_state"]["done"], 205);
    assert_eq!(job["rows_by_state"]["failed"], 59);
    let started = job["last_run"]["started_at"].as_str().unwrap();
    assert!(
        started.parse::<jiff::Timestamp>().is_ok(),
        "RFC 3339: {started}"
    );

    // With the job file the quota is known (600/m), and 257 calls leave room now.
    let job_file = repo().join("jobs/address-cleanse.toml");
    let run = workspace.run(&[
        "status",
        job_file.to_str().unwrap(),
        "--state",
        &state,
        "--json",
    ]);
    run.expect_code(0);
    let status: serde_json::Value = serde_json::from_str(&run.stdout()).expect("status JSON");
    assert!(
        status["quota_used"][0]["next_free_slot"].is_null(),
        "{status}"
    );

    let text = workspace.run(&["status", "--state", &state]);
    assert!(
        text.stdout().contains("job address-cleanse"),
        "{}",
        text.stdout()
    );
    assert!(text.stdout().contains("exit 3"), "{}", text.stdout());
}

#[test]
fn sandbox_command_serves_a_run() {
    let workspace = Workspace::new();
    let (_sandbox, base_url) = common::spawn_sandbox(workspace.dir.path(), &["--quota", "100/m"]);

    let input = workspace.write("in.csv", sample_rows(3));
    let job = workspace.job("apart", "address", &input, "quota = \"100/m\"");
    // Exit 3: one of the rows needs a unit number.
    workspace
        .run(&[
            "run",
            job.to_str().unwrap(),
            "--base-url",
            &base_url,
            "--quiet",
        ])
        .expect_code(3);
    let stats = common::sandbox_stats(&base_url);
    assert_eq!(stats["requests"]["/addresses/v3/address"], 3);
    assert_eq!(stats["tokens_issued"], 1);
}

#[test]
fn jsonl_input_gives_jsonl_output() {
    let workspace = Workspace::new();
    let mut args = sample_args(&workspace, "run", "jobs/address-cleanse-jsonl.toml");
    args.extend([
        "--output-dir".into(),
        workspace.out().display().to_string(),
        "--quiet".into(),
    ]);
    run_strings(&workspace, &args).expect_code(3);

    let input = std::fs::read_to_string(repo().join("samples/addresses.jsonl")).unwrap();
    let output =
        std::fs::read_to_string(workspace.out().join("address-cleanse-jsonl.jsonl")).unwrap();
    let inputs: Vec<serde_json::Value> = input
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let outputs: Vec<serde_json::Value> = output
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(inputs.len(), outputs.len());
    for (input, output) in inputs.iter().zip(&outputs) {
        for (key, value) in input.as_object().unwrap() {
            assert_eq!(&output[key], value, "key {key} is carried through");
        }
        assert!(output["usps_status"].is_string());
    }
    let summary = workspace.summary("address-cleanse-jsonl");
    assert_eq!(summary["rows"], inputs.len() as u64);
}

#[test]
fn json_objects_in_fields_cost_no_call() {
    let workspace = Workspace::new();
    let input = workspace.write(
        "in.jsonl",
        "{\"id\":\"1\",\"street\":{\"a\":1},\"city\":\"SPRINGFIELD\",\"state\":\"IL\",\"zip\":\"62704\"}\n\
         {\"id\":\"2\",\"street\":\"742 EVERGREEN TER\",\"city\":\"SPRINGFIELD\",\"state\":\"IL\",\"zip\":62704}\n",
    );
    let job = workspace.job("objects", "address", &input, "quota = \"unlimited\"");
    workspace
        .run(&["run", job.to_str().unwrap(), "--quiet"])
        .expect_code(3);
    let errors = workspace.csv("objects.errors.csv");
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["code"], "invalid_value");
    assert_eq!(errors[0]["field"], "street");
    let summary = workspace.summary("objects");
    assert_eq!(
        summary["api_calls"], 1,
        "a numeric ZIP is sent as text; the object is not"
    );
}

#[test]
fn sandbox_survives_closed_stderr() {
    let workspace = Workspace::new();
    let mut sandbox = common::KillOnDrop(
        common::command_in(
            workspace.dir.path(),
            &[
                "sandbox",
                "--listen",
                "127.0.0.1:0",
                "--disable-api",
                "prices",
            ],
        )
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn sandbox"),
    );
    let stderr = sandbox.0.stderr.take().unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stderr));
    let base_url = loop {
        let line = lines
            .next()
            .expect("the sandbox prints its address")
            .unwrap();
        if let Some(url) = line.strip_prefix("sandbox listening on ") {
            break url.trim().to_string();
        }
    };
    // Closing the read end makes every later log line of the sandbox fail to write.
    drop(lines);

    // The 401 of a disabled API is logged at info, the sandbox's default level.
    let state = workspace.state();
    let run = workspace.run(&[
        "doctor",
        "--base-url",
        &base_url,
        "--state",
        state.to_str().unwrap(),
    ]);
    let stdout = run.stdout();
    let prices = stdout
        .lines()
        .find(|line| line.contains("access prices"))
        .unwrap_or_else(|| panic!("no prices check in:\n{stdout}"));
    assert!(prices.contains("HTTP 401"), "{prices}");
    assert!(stdout.contains("doctor made 7 calls"), "{stdout}");
}
