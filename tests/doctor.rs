//! `usps-batch doctor` against sandboxes on loopback: good and wrong credentials, an API
//! outside the application's products, a token from another host, and the JSON report.

mod common;

use common::{sandbox_config, spawn_sandbox, TestSandbox, Workspace};
use usps_batch::sandbox::SandboxConfig;

/// Counts the quota ledger's entries in the workspace's state file.
fn ledger_entries(workspace: &Workspace) -> i64 {
    let connection = rusqlite::Connection::open(workspace.state()).unwrap();
    connection
        .query_row("SELECT COUNT(*) FROM ledger", [], |row| row.get(0))
        .unwrap()
}

/// Returns the line of the check `name`, such as `FAIL  token`.
fn check_line<'a>(stdout: &'a str, name: &str) -> &'a str {
    stdout
        .lines()
        .find(|line| {
            let mut words = line.split_whitespace();
            words.next();
            let rest: Vec<&str> = words.collect();
            rest.join(" ").starts_with(name)
        })
        .unwrap_or_else(|| panic!("no check {name:?} in:\n{stdout}"))
}

fn doctor(workspace: &Workspace, base_url: &str, extra: &[&str]) -> common::Run {
    doctor_with_env(workspace, base_url, extra, &[])
}

fn doctor_with_env(
    workspace: &Workspace,
    base_url: &str,
    extra: &[&str],
    env: &[(&str, &str)],
) -> common::Run {
    let state = workspace.state();
    let mut args = vec![
        "doctor",
        "--base-url",
        base_url,
        "--state",
        state.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    workspace.run_with_env(&args, env)
}

#[test]
fn good_credentials_pass() {
    let sandbox = TestSandbox::start(sandbox_config("60/h"));
    let workspace = Workspace::new();
    let run = doctor(&workspace, &sandbox.base_url, &[]);
    run.expect_code(0);
    let stdout = run.stdout();
    assert!(
        check_line(&stdout, "credentials").starts_with("  ok"),
        "{stdout}"
    );
    let token = check_line(&stdout, "token");
    assert!(token.contains("valid for 7h59m"), "{token}");
    assert!(token.contains("products [Public Access I]"), "{token}");
    for api in [
        "addresses",
        "prices",
        "international-prices",
        "service-standards",
        "shipments",
        "locations",
    ] {
        let line = check_line(&stdout, &format!("access {api}"));
        assert!(line.starts_with("  ok"), "{line}");
        assert!(line.contains("answered HTTP 200"), "{line}");
    }
    assert!(
        stdout.contains("doctor made 7 calls (1 token request, 6 API calls)"),
        "{stdout}"
    );
    assert!(stdout.contains("result: ready"), "{stdout}");

    let stats = sandbox.stats();
    assert_eq!(stats.tokens_issued, 1);
    assert_eq!(stats.requests["/locations/v3/post-office-locations"], 1);
    assert_eq!(stats.requests["/addresses/v3/city-state"], 1);
    // Every call, the token request included, is in the quota ledger.
    assert_eq!(ledger_entries(&workspace), 7);
}

#[test]
fn spent_quota_is_reported() {
    let sandbox = TestSandbox::start(sandbox_config("60/h"));
    let workspace = Workspace::new();
    doctor(&workspace, &sandbox.base_url, &[]).expect_code(0);
    let second = doctor(&workspace, &sandbox.base_url, &[]);
    second.expect_code(0);
    let quota = check_line(&second.stdout(), "quota").to_string();
    assert!(
        quota.contains(
            "7 of 60 calls used in the last 1h00m before doctor, 7 by doctor, 46 free now"
        ),
        "{quota}"
    );
}

#[test]
fn wrong_secret_fails_token() {
    let sandbox = TestSandbox::start(sandbox_config("60/h"));
    let workspace = Workspace::new();
    let run = doctor_with_env(
        &workspace,
        &sandbox.base_url,
        &[],
        &[
            ("USPS_CLIENT_ID", "sandbox-client"),
            ("USPS_CLIENT_SECRET", "not-the-secret"),
        ],
    );
    run.expect_code(1);
    let stdout = run.stdout();
    let token = check_line(&stdout, "token");
    assert!(token.starts_with("  FAIL"), "{token}");
    assert!(token.contains("Client authentication failed"), "{token}");
    assert!(
        check_line(&stdout, "access addresses").contains("not checked: no token"),
        "{stdout}"
    );
    assert!(!stdout.contains("not-the-secret"), "{stdout}");
    assert!(!run.stderr().contains("not-the-secret"), "{}", run.stderr());
    assert!(
        stdout.contains("doctor made 1 calls (1 token request, 0 API calls)"),
        "{stdout}"
    );

    let stats = sandbox.stats();
    assert_eq!(stats.tokens_issued, 0);
    assert_eq!(stats.responses["401"], 1);
    assert!(!stats.requests.contains_key("/addresses/v3/city-state"));
}

#[test]
fn quoted_secret_is_pointed_out() {
    let sandbox = TestSandbox::start(sandbox_config("60/h"));
    let workspace = Workspace::new();
    let run = doctor_with_env(
        &workspace,
        &sandbox.base_url,
        &[],
        &[
            ("USPS_CLIENT_ID", "sandbox-client"),
            ("USPS_CLIENT_SECRET", "\"sandbox-secret\" "),
        ],
    );
    run.expect_code(1);
    let stdout = run.stdout();
    let credentials = check_line(&stdout, "credentials");
    assert!(credentials.starts_with("  FAIL"), "{credentials}");
    assert!(
        credentials.contains("USPS_CLIENT_SECRET starts or ends with white space"),
        "{credentials}"
    );
    assert!(
        credentials.contains("USPS_CLIENT_SECRET is wrapped in quotes"),
        "{credentials}"
    );
    assert!(!stdout.contains("sandbox-secret"), "{stdout}");
    // A secret that cannot work costs no call.
    assert!(sandbox.stats().requests.is_empty());
    assert_eq!(ledger_entries(&workspace), 0);
}

#[test]
fn missing_api_access_fails() {
    let config = SandboxConfig {
        disabled_apis: ["locations".to_string()].into(),
        ..sandbox_config("60/h")
    };
    let sandbox = TestSandbox::start(config);
    let workspace = Workspace::new();
    let run = doctor(&workspace, &sandbox.base_url, &[]);
    run.expect_code(1);
    let stdout = run.stdout();
    let token = check_line(&stdout, "token");
    assert!(!token.contains(" locations"), "{token}");
    let locations = check_line(&stdout, "access locations");
    assert!(locations.starts_with("  FAIL"), "{locations}");
    assert!(locations.contains("HTTP 401"), "{locations}");
    assert!(
        stdout.contains("fix: the token's scope does not list locations"),
        "{stdout}"
    );
    assert!(stdout.contains("customer onboarding portal"), "{stdout}");
    assert!(check_line(&stdout, "access addresses").starts_with("  ok"));
    // The 401 is final: no new token and no repeat.
    assert!(
        stdout.contains("doctor made 7 calls (1 token request, 6 API calls)"),
        "{stdout}"
    );
    assert_eq!(sandbox.stats().tokens_issued, 1);
    assert_eq!(sandbox.stats().responses["401"], 1);
}

#[test]
fn sandbox_flag_disables_api() {
    let workspace = Workspace::new();
    let (_sandbox, base_url) = spawn_sandbox(workspace.dir.path(), &["--disable-api", "prices"]);
    let run = doctor(&workspace, &base_url, &[]);
    run.expect_code(1);
    let stdout = run.stdout();
    assert!(
        check_line(&stdout, "access prices").starts_with("  FAIL"),
        "{stdout}"
    );
    assert!(
        check_line(&stdout, "access locations").starts_with("  ok"),
        "{stdout}"
    );
    assert!(
        stdout.contains("the Domestic Prices API belongs to the default Public Access I product"),
        "{stdout}"
    );
}

#[test]
fn job_file_disables_api() {
    let workspace = Workspace::new();
    let input = workspace.write("stores.csv", "id,zip\nS1,62701\n");
    let job = workspace.job(
        "stores",
        "locations",
        &input,
        "[sandbox]\ndisabled_apis = [\"locations\"]\n",
    );
    let state = workspace.state();
    let run = workspace.run(&[
        "doctor",
        job.to_str().unwrap(),
        "--state",
        state.to_str().unwrap(),
    ]);
    run.expect_code(1);
    let stdout = run.stdout();
    assert!(
        stdout.starts_with("usps-batch doctor: env sandbox"),
        "{stdout}"
    );
    assert!(stdout.contains(", job stores"), "{stdout}");
    assert!(
        check_line(&stdout, "access locations").starts_with("  FAIL"),
        "{stdout}"
    );
    // Only the job's API is checked.
    assert!(!stdout.contains("access addresses"), "{stdout}");
    let quota = check_line(&stdout, "quota");
    assert!(
        quota.contains("the job needs 1 calls for 1 rows"),
        "{quota}"
    );

    // A run of the same job stops on the 401 with exit code 1.
    let run = workspace.run(&["run", job.to_str().unwrap(), "--quiet"]);
    run.expect_code(1);
    assert!(run.stderr().contains("HTTP 401"), "{}", run.stderr());
}

#[test]
fn token_from_other_host_is_caught() {
    let api = TestSandbox::start(sandbox_config("60/h"));
    let other = TestSandbox::start(sandbox_config("60/h"));
    let workspace = Workspace::new();
    let run = doctor(&workspace, &api.base_url, &["--token-url", &other.base_url]);
    run.expect_code(1);

    let stdout = run.stdout();
    let host = check_line(&stdout, "host");
    assert!(host.starts_with("  FAIL"), "{host}");
    assert!(
        host.contains(&format!(
            "the token comes from {} but the API calls go to {}",
            other.base_url, api.base_url
        )),
        "{host}"
    );
    assert!(
        check_line(&stdout, "access addresses").starts_with("  FAIL"),
        "{stdout}"
    );
    assert!(
        check_line(&stdout, "access prices").contains("rejected the token of another host"),
        "{stdout}"
    );

    assert_eq!(other.stats().tokens_issued, 1);
    assert_eq!(api.stats().tokens_issued, 0);
    assert_eq!(api.stats().responses["401"], 1);
    assert!(
        stdout.contains("doctor made 2 calls (1 token request, 1 API call)"),
        "{stdout}"
    );
}

#[test]
fn json_report_lists_checks() {
    let sandbox = TestSandbox::start(sandbox_config("60/h"));
    let workspace = Workspace::new();
    let run = doctor(&workspace, &sandbox.base_url, &["--json"]);
    run.expect_code(0);
    let report: serde_json::Value = serde_json::from_str(&run.stdout()).expect("JSON report");
    assert_eq!(report["ok"], true);
    assert_eq!(report["env"], "sandbox");
    assert_eq!(report["base_url"], sandbox.base_url.as_str());

    let names: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|check| check["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "credentials",
            "host",
            "token",
            "access addresses",
            "access prices",
            "access international-prices",
            "access service-standards",
            "access shipments",
            "access locations",
            "quota"
        ]
    );

    assert!(report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .all(|check| check["status"] == "ok"));
    assert_eq!(report["calls_spent"]["token_requests"], 1);
    assert_eq!(report["calls_spent"]["api_calls"], 6);
}

#[test]
fn quota_shortfall_warns() {
    let workspace = Workspace::new();
    let input = common::repo().join("samples/locations.csv");
    let job = workspace.job("stores", "locations", &input, "quota = \"5/h\"\n");
    let state = workspace.state();
    let run = workspace.run(&[
        "doctor",
        job.to_str().unwrap(),
        "--state",
        state.to_str().unwrap(),
    ]);
    // A warning does not fail doctor.
    run.expect_code(0);
    let stdout = run.stdout();
    let quota = check_line(&stdout, "quota");
    assert!(quota.starts_with("  warn"), "{quota}");
    assert!(
        quota
            .contains("0 of 5 calls used in the last 1h00m before doctor, 2 by doctor, 3 free now"),
        "{quota}"
    );
    assert!(
        quota.contains("the job needs 11 calls for 14 rows"),
        "{quota}"
    );
    assert!(quota.contains("(estimate)"), "{quota}");
    assert!(
        stdout.contains("fix: the job needs more calls than the window has free"),
        "{stdout}"
    );
    assert!(stdout.contains("result: ready"), "{stdout}");
}

#[test]
fn remote_env_needs_credentials() {
    let sandbox = TestSandbox::start(sandbox_config("60/h"));
    let workspace = Workspace::new();
    // `--base-url` keeps the `tem` environment on the loopback sandbox.
    let missing = doctor(&workspace, &sandbox.base_url, &["--env", "tem"]);
    missing.expect_code(1);
    let stdout = missing.stdout();
    assert!(stdout.starts_with("usps-batch doctor: env tem"), "{stdout}");
    let credentials = check_line(&stdout, "credentials");
    assert!(
        credentials.contains("USPS_CLIENT_ID and USPS_CLIENT_SECRET not set"),
        "{credentials}"
    );
    assert!(sandbox.stats().requests.is_empty());

    let set = doctor_with_env(
        &workspace,
        &sandbox.base_url,
        &["--env", "tem"],
        &[
            ("USPS_CLIENT_ID", "sandbox-client"),
            ("USPS_CLIENT_SECRET", "sandbox-secret"),
        ],
    );
    set.expect_code(0);
    let credentials = check_line(&set.stdout(), "credentials").to_string();
    assert!(credentials.contains("(values not shown)"), "{credentials}");
    assert!(!set.stdout().contains("sandbox-secret"));
    assert!(!set.stdout().contains("sandbox-client"));
}

#[test]
fn half_set_credentials_warn_on_sandbox() {
    let sandbox = TestSandbox::start(sandbox_config("60/h"));
    let workspace = Workspace::new();
    let run = doctor_with_env(
        &workspace,
        &sandbox.base_url,
        &[],
        &[("USPS_CLIENT_ID", "sandbox-client")],
    );
    // A run falls back to the built-in credentials, so doctor does too.
    run.expect_code(0);
    let credentials = check_line(&run.stdout(), "credentials").to_string();
    assert!(credentials.starts_with("  warn"), "{credentials}");
    assert!(
        credentials
            .contains("USPS_CLIENT_SECRET not set, so the sandbox's built-in credentials are used"),
        "{credentials}"
    );
    assert_eq!(sandbox.stats().tokens_issued, 1);
}

/// The settings of `jobs/labels.toml` after its top-level keys.
const LABEL_SETTINGS: &str = r#"quota = "600/m"
[units]
weight = "oz"
dimensions = "in"
[label]
mail_class = "USPS_GROUND_ADVANTAGE"
[label.sender]
firm = "Example Fulfilment"
street_address = "4120 Bingham Ave"
city = "Saint Louis"
state = "MO"
zip_code = "63116"
[payment]
crid = "56982563"
mid = "904128936"
account_type = "EPS"
account_number = "1000012345"
"#;

fn label_job(workspace: &Workspace) -> std::path::PathBuf {
    let input = common::repo().join("samples/orders.csv");
    workspace.job("labels", "labels", &input, LABEL_SETTINGS)
}

#[test]
fn label_job_authorizes_without_buying() {
    let sandbox = TestSandbox::start(sandbox_config("600/m"));
    let workspace = Workspace::new();
    let job = label_job(&workspace);
    let run = doctor(&workspace, &sandbox.base_url, &[job.to_str().unwrap()]);
    run.expect_code(0);
    let stdout = run.stdout();
    let account = check_line(&stdout, "label account");
    assert!(
        account.contains(
            "CRID 56982563, MID 904128936, manifest MID 904128936, EPS account ending 2345"
        ),
        "{account}"
    );
    // The whole account number is not shown.
    assert!(!stdout.contains("1000012345"), "{stdout}");
    assert!(
        check_line(&stdout, "access labels").starts_with("  ok"),
        "{stdout}"
    );
    let payment = check_line(&stdout, "payment authorization");
    assert!(payment.starts_with("  ok"), "{payment}");
    assert!(payment.contains("no label was bought"), "{payment}");
    assert!(
        stdout.contains("doctor made 2 calls (1 token request, 1 API call)"),
        "{stdout}"
    );

    let stats = sandbox.stats();
    assert_eq!(stats.requests["/payments/v3/payment-authorization"], 1);
    assert!(
        !stats
            .requests
            .keys()
            .any(|path| path.starts_with("/labels/")),
        "{:?}",
        stats.requests
    );
}

#[test]
fn missing_label_access_fails() {
    let config = SandboxConfig {
        disabled_apis: ["labels".to_string(), "payments".to_string()].into(),
        ..sandbox_config("600/m")
    };
    let sandbox = TestSandbox::start(config);
    let workspace = Workspace::new();
    let job = label_job(&workspace);
    let run = doctor(&workspace, &sandbox.base_url, &[job.to_str().unwrap()]);
    run.expect_code(1);
    let stdout = run.stdout();
    let access = check_line(&stdout, "access labels");
    assert!(access.starts_with("  FAIL"), "{access}");
    assert!(
        access.contains("the token's scope lacks labels and payments"),
        "{access}"
    );
    assert!(
        stdout.contains("fix: request Domestic Labels and Payments access"),
        "{stdout}"
    );
    assert!(
        check_line(&stdout, "payment authorization").starts_with("  skip"),
        "{stdout}"
    );
    // Only the token request is spent.
    assert!(!sandbox
        .stats()
        .requests
        .contains_key("/payments/v3/payment-authorization"));
    assert_eq!(sandbox.stats().tokens_issued, 1);
}

#[test]
fn payer_without_funds_fails() {
    let config = SandboxConfig {
        balance: Some("0".parse().unwrap()),
        ..sandbox_config("600/m")
    };
    let sandbox = TestSandbox::start(config);
    let workspace = Workspace::new();
    let job = label_job(&workspace);
    let run = doctor(&workspace, &sandbox.base_url, &[job.to_str().unwrap()]);
    run.expect_code(1);
    let stdout = run.stdout();
    let payment = check_line(&stdout, "payment authorization");
    assert!(payment.starts_with("  FAIL"), "{payment}");
    assert!(payment.contains("100007"), "{payment}");
    assert!(
        stdout.contains("fix: fund or fix the payer account"),
        "{stdout}"
    );
}

#[test]
fn tracking_job_checks_tracking() {
    let sandbox = TestSandbox::start(sandbox_config("60/h"));
    let workspace = Workspace::new();
    let job = common::repo().join("jobs/tracking.toml");
    let run = doctor(&workspace, &sandbox.base_url, &[job.to_str().unwrap()]);
    run.expect_code(0);
    let stdout = run.stdout();
    let line = check_line(&stdout, "access tracking");
    assert!(line.starts_with("  ok"), "{line}");
    assert!(line.contains("/tracking/v3r2/tracking"), "{line}");
    assert!(
        stdout.contains("doctor made 2 calls (1 token request, 1 API call)"),
        "{stdout}"
    );
}

#[test]
fn quota_option_replaces_default() {
    let sandbox = TestSandbox::start(sandbox_config("unlimited"));
    let workspace = Workspace::new();
    // Spend more than the default 60 calls an hour on the sandbox credential.
    let input = workspace.write("in.csv", common::sample_rows(70));
    let job = workspace.job("spend", "address", &input, "quota = \"unlimited\"");
    workspace
        .run(&[
            "run",
            job.to_str().unwrap(),
            "--base-url",
            &sandbox.base_url,
        ])
        .expect_code(3);
    let state = workspace.state();
    let doctor = |extra: &[&str]| {
        let mut args = vec![
            "doctor",
            "--base-url",
            &sandbox.base_url,
            "--state",
            state.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        workspace.run(&args)
    };

    let spent = doctor(&[]);
    spent.expect_code(1);
    assert!(spent.stdout().contains("--quota"), "{}", spent.stdout());
    doctor(&["--quota", "unlimited"]).expect_code(0);
}
