//! Label jobs against the sandbox: files and the merged PDF, hostile ids, the idempotency
//! key across dropped connections, kills and reruns, and account stops.

mod common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{
    command_in, kill_runs, read_csv, sandbox_config, sandbox_stats, TestSandbox, Workspace,
};
use usps_batch::sandbox::{SandboxConfig, StatsSnapshot};

/// Payer account of the test jobs, as the sandbox's stats name it.
const ACCOUNT: &str = "1000012345";
const LABEL_PATH: &str = "/labels/v3/label";
const PAYMENTS_PATH: &str = "/payments/v3/payment-authorization";

const HEADER: &str = "order_id,shipping_first_name,shipping_last_name,shipping_address1,shipping_city,shipping_province,shipping_zip,shipping_phone,weight,length,width,height,shipping_method";

/// Destinations whose ZIP Codes are in the sandbox's directory.
const DESTINATIONS: &[(&str, &str, &str, &str)] = &[
    ("1600 Pennsylvania Ave NW", "Washington", "DC", "20500"),
    ("101 Independence Ave SE", "Washington", "DC", "20540"),
    ("2400 E Fort Ave", "Baltimore", "MD", "21230"),
    ("1 Dr Carlton B Goodlett Pl", "San Francisco", "CA", "94102"),
    ("121 N LaSalle St", "Chicago", "IL", "60602"),
];

/// Builds a manifest with one order per id, cycling through the destinations.
fn orders(ids: &[String]) -> String {
    let mut text = format!("{HEADER}\n");
    for (index, id) in ids.iter().enumerate() {
        let (street, city, state, zip) = DESTINATIONS[index % DESTINATIONS.len()];
        let ounces = 8 + index % 5 * 6;
        let class = if index % 3 == 0 {
            "Priority Mail"
        } else {
            "USPS Ground Advantage"
        };
        text.push_str(&format!(
            "{id},Ada,Lovelace,{street},{city},{state},{zip},(202) 555-01{:02},{ounces},10,8,4,{class}\n",
            index % 100
        ));
    }
    text
}

fn numbered(count: usize) -> Vec<String> {
    (1..=count)
        .map(|number| format!("#{}", 1000 + number))
        .collect()
}

const LABEL_SETTINGS: &str = r#"
[units]
weight = "oz"
dimensions = "in"

[label]
time_zone = "America/Chicago"

[label.sender]
firm = "Example Fulfilment"
street_address = "4120 Bingham Ave"
city = "Saint Louis"
state = "MO"
zip_code = "63116"

[payment]
crid = "56982563"
mid = "904128936"
account_number = "1000012345"
"#;

fn label_job(workspace: &Workspace, manifest: &str, extra: &str) -> PathBuf {
    let input = workspace.write("orders.csv", manifest);
    workspace.job(
        "labels",
        "labels",
        &input,
        &format!("quota = \"unlimited\"\n{extra}\n{LABEL_SETTINGS}"),
    )
}

/// Writes `lines` as the JSON Lines manifest of a label job, and returns the job file.
fn json_label_job(workspace: &Workspace, lines: &[String], extra: &str) -> PathBuf {
    let input = workspace.write("orders.jsonl", lines.join("\n") + "\n");
    workspace.job(
        "labels",
        "labels",
        &input,
        &format!("quota = \"unlimited\"\n{extra}\n{LABEL_SETTINGS}"),
    )
}

/// Reads the rows of a JSON label job's output, `labels.jsonl`.
fn json_output(workspace: &Workspace) -> Vec<serde_json::Value> {
    let output = std::fs::read_to_string(workspace.out().join("labels.jsonl")).unwrap();
    output
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn run_args<'a>(job: &'a Path, sandbox: &'a TestSandbox) -> [&'a str; 5] {
    [
        "run",
        job.to_str().unwrap(),
        "--base-url",
        &sandbox.base_url,
        "--quiet",
    ]
}

fn account_stats(stats: &StatsSnapshot) -> usps_batch::sandbox::LabelAccountStats {
    stats.labels.get(ACCOUNT).cloned().unwrap_or_default()
}

fn label_requests(stats: &StatsSnapshot) -> u64 {
    stats.requests.get(LABEL_PATH).copied().unwrap_or(0)
}

/// Returns the files of `dir` and its subfolders, relative to `dir`.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                found.push(path.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    found.sort();
    found
}

#[test]
fn label_run_writes_pdfs_and_merge() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("unlimited"));
    // The last two orders are identical but for their id: two labels, two charges.
    let mut manifest = orders(&numbered(6));
    let last = manifest
        .lines()
        .last()
        .unwrap()
        .replacen("#1006", "#1007", 1);
    manifest.push_str(&format!("{last}\n"));
    let job = label_job(&workspace, &manifest, "");

    workspace.run(&run_args(&job, &sandbox)).expect_code(0);

    let rows = workspace.csv("labels.csv");
    assert_eq!(rows.len(), 7);
    let mut tracking_numbers = HashSet::new();
    let mut keys = HashSet::new();
    for row in &rows {
        assert_eq!(row["usps_status"], "ok", "{row:?}");
        assert_eq!(row["usps_tracking_number"].len(), 22, "{row:?}");
        assert!(tracking_numbers.insert(row["usps_tracking_number"].clone()));
        assert!(keys.insert(row["usps_idempotency_key"].clone()));
        let file = workspace.out().join(&row["usps_label_file"]);
        let document = lopdf::Document::load(&file)
            .unwrap_or_else(|error| panic!("{} is no PDF: {error}", file.display()));
        assert_eq!(document.get_pages().len(), 1);
        let text = document.extract_text(&[1]).unwrap();
        assert!(text.contains("ADA LOVELACE"), "{text}");
        assert!(text.contains("EXAMPLE FULFILMENT"), "{text}");
    }
    assert_eq!(
        rows[0]["usps_label_file"].split('-').next(),
        Some("labels/1001")
    );

    let merged = lopdf::Document::load(workspace.out().join("labels.labels.pdf")).unwrap();
    assert_eq!(merged.get_pages().len(), 7);
    // Manifest order: the merged pages show the tracking numbers row by row.
    for (page, row) in rows.iter().enumerate() {
        let text = merged.extract_text(&[page as u32 + 1]).unwrap();
        let grouped = row["usps_tracking_number"]
            .as_bytes()
            .chunks(4)
            .map(|chunk| std::str::from_utf8(chunk).unwrap())
            .collect::<Vec<_>>()
            .join(" ");
        assert!(text.contains(&grouped), "page {}: {text}", page + 1);
    }

    let stats = sandbox.stats();
    let account = account_stats(&stats);
    assert_eq!(account.labels_charged, 7);
    assert_eq!(account.labels_reused, 0);
    let summary = workspace.summary("labels");
    assert_eq!(summary["labels"]["labels_bought"], 7);
    assert_eq!(summary["labels"]["labels_in_doubt"], 0);
    let postage: rust_decimal::Decimal = rows
        .iter()
        .map(|row| {
            row["usps_postage"]
                .parse::<rust_decimal::Decimal>()
                .unwrap()
        })
        .sum();
    assert_eq!(summary["labels"]["total_postage"], postage.to_string());
    assert_eq!(
        account
            .postage_total
            .parse::<rust_decimal::Decimal>()
            .unwrap(),
        postage
    );

    // A rerun finds every row bought and sends nothing.
    workspace.run(&run_args(&job, &sandbox)).expect_code(0);
    assert_eq!(label_requests(&sandbox.stats()), 7);
}

#[test]
fn two_jobs_keep_their_print_files() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("unlimited"));
    let settings = format!("quota = \"unlimited\"\n{LABEL_SETTINGS}");
    let morning_input = workspace.write("morning.csv", orders(&numbered(3)));
    let evening_ids: Vec<String> = (1..=2).map(|number| format!("E{number}")).collect();
    let evening_input = workspace.write("evening.csv", orders(&evening_ids));
    let morning = workspace.job("morning", "labels", &morning_input, &settings);
    let evening = workspace.job("evening", "labels", &evening_input, &settings);

    let morning_run = workspace.run(&[
        "run",
        morning.to_str().unwrap(),
        "--base-url",
        &sandbox.base_url,
    ]);
    morning_run.expect_code(0);
    workspace.run(&run_args(&evening, &sandbox)).expect_code(0);

    let morning_pdf = workspace.out().join("morning.labels.pdf");
    let evening_pdf = workspace.out().join("evening.labels.pdf");
    let morning_pages = lopdf::Document::load(&morning_pdf)
        .unwrap()
        .get_pages()
        .len();
    let evening_pages = lopdf::Document::load(&evening_pdf)
        .unwrap()
        .get_pages()
        .len();
    assert_eq!(morning_pages, 3);
    assert_eq!(evening_pages, 2);
    assert!(!workspace.out().join("labels.pdf").exists());
    let summary = workspace.summary("morning");
    assert_eq!(
        summary["labels"]["merged_pdf"],
        morning_pdf.display().to_string()
    );
    let printed = format!("print: {}", morning_pdf.display());
    assert!(
        morning_run.stderr().contains(&printed),
        "{}",
        morning_run.stderr()
    );
}

#[test]
fn finished_rerun_sends_nothing() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("unlimited"));
    let ids = numbered(3);
    let job = label_job(&workspace, &orders(&ids), "");
    workspace.run(&run_args(&job, &sandbox)).expect_code(0);
    let before = sandbox_stats(&sandbox.base_url);
    assert_eq!(before["tokens_issued"], 1, "{before}");
    assert_eq!(before["requests"][PAYMENTS_PATH], 1, "{before}");

    // Every row is bought: no token request, no payment authorization, no label request.
    workspace.run(&run_args(&job, &sandbox)).expect_code(0);
    let after = sandbox_stats(&sandbox.base_url);
    assert_eq!(after["tokens_issued"], before["tokens_issued"], "{after}");
    assert_eq!(after["requests"], before["requests"], "{after}");
    let summary = workspace.summary("labels");
    assert_eq!(summary["api_calls"], 0, "{summary}");
    assert_eq!(summary["token_calls"], 0, "{summary}");

    // An appended order is bought after its own preflight.
    let mut more = ids.clone();
    more.push("#2001".into());
    workspace.write("orders.csv", orders(&more));
    workspace.run(&run_args(&job, &sandbox)).expect_code(0);
    let appended = sandbox_stats(&sandbox.base_url);
    assert_eq!(appended["tokens_issued"], 2, "{appended}");
    assert_eq!(appended["requests"][PAYMENTS_PATH], 2, "{appended}");
    assert_eq!(appended["requests"][LABEL_PATH], 4, "{appended}");
    assert_eq!(account_stats(&sandbox.stats()).labels_charged, 4);
}

#[test]
fn deleted_label_files_are_reported() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("unlimited"));
    let job = label_job(&workspace, &orders(&numbered(3)), "");
    workspace.run(&run_args(&job, &sandbox)).expect_code(0);
    let rows = workspace.csv("labels.csv");
    let deleted = rows[1]["usps_label_file"].clone();
    std::fs::remove_file(workspace.out().join(&deleted)).unwrap();
    let before = sandbox_stats(&sandbox.base_url);

    // The rerun writes every output, merges the labels still there, and prints what to do.
    let rerun = workspace.run(&[
        "run",
        job.to_str().unwrap(),
        "--base-url",
        &sandbox.base_url,
    ]);
    rerun.expect_code(1);
    let message = rerun.stderr();
    assert!(message.contains("MISSING: 1 label files"), "{message}");
    assert!(message.contains(&deleted), "{message}");
    assert!(message.contains("--fresh"), "{message}");
    assert_eq!(
        sandbox_stats(&sandbox.base_url)["requests"],
        before["requests"]
    );
    assert_eq!(workspace.csv("labels.csv"), rows);
    let summary = workspace.summary("labels");
    assert_eq!(summary["exit_code"], 1, "{summary}");
    assert_eq!(
        summary["labels"]["missing_label_files"],
        serde_json::json!([deleted]),
        "{summary}"
    );
    let merged = lopdf::Document::load(workspace.out().join("labels.labels.pdf")).unwrap();
    assert_eq!(merged.get_pages().len(), 2);

    // --fresh, as the message advises, fetches the same label again without a new charge.
    let mut fresh = run_args(&job, &sandbox).to_vec();
    fresh.push("--fresh");
    workspace.run(&fresh).expect_code(0);
    assert!(workspace.out().join(&deleted).is_file());
    let account = account_stats(&sandbox.stats());
    assert_eq!(account.labels_charged, 3);
    assert_eq!(account.labels_reused, 3);
    assert_eq!(workspace.csv("labels.csv"), rows);
    let merged = lopdf::Document::load(workspace.out().join("labels.labels.pdf")).unwrap();
    assert_eq!(merged.get_pages().len(), 3);
}

#[test]
fn hostile_ids_stay_in_labels_folder() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("unlimited"));
    let ids: Vec<String> = [
        "../../x",
        "CON",
        "/etc/passwd",
        "..",
        "",
        "a\\..\\..\\b",
        "nul.txt",
    ]
    .iter()
    .map(|id| id.to_string())
    .collect();
    let job = label_job(&workspace, &orders(&ids), "");
    workspace.run(&run_args(&job, &sandbox)).expect_code(0);

    let rows = workspace.csv("labels.csv");
    let files: Vec<PathBuf> = files_under(&workspace.out().join("labels"));
    assert_eq!(files.len(), ids.len(), "{files:?}");
    for file in &files {
        assert_eq!(file.components().count(), 1, "{file:?} is in a subfolder");
        let name = file.to_str().unwrap();
        assert!(!name.starts_with('.'), "{name}");
        let stem = name.split(['-', '.']).next().unwrap().to_ascii_uppercase();
        assert!(
            !["CON", "NUL", "AUX", "PRN"].contains(&stem.as_str()),
            "{name}"
        );
    }
    let names: Vec<&str> = rows
        .iter()
        .map(|row| row["usps_label_file"].as_str())
        .collect();
    assert!(names[0].starts_with("labels/x-"), "{names:?}");
    assert!(names[1].starts_with("labels/CON_-"), "{names:?}");
    assert!(names[2].starts_with("labels/etc_passwd-"), "{names:?}");
    // Ids with nothing usable are named by their tracking number alone.
    assert_eq!(
        names[3],
        format!("labels/{}.pdf", rows[3]["usps_tracking_number"])
    );
    assert_eq!(
        names[4],
        format!("labels/{}.pdf", rows[4]["usps_tracking_number"])
    );
    // Nothing was written beside the output folder.
    assert!(!workspace.path("x").exists());
    assert!(!workspace.out().join("x").exists());
}

#[test]
fn dropped_label_answers_buy_nothing_twice() {
    let workspace = Workspace::new();
    let config = SandboxConfig {
        faults: usps_batch::sandbox::Faults {
            label_drop_rate: 1.0,
            ..Default::default()
        },
        ..sandbox_config("unlimited")
    };
    let sandbox = TestSandbox::start(config);
    let job = label_job(&workspace, &orders(&numbered(5)), "");

    // Every purchase is charged and then cut off; the retry with the same key gets the label.
    workspace.run(&run_args(&job, &sandbox)).expect_code(0);
    let stats = sandbox.stats();
    let account = account_stats(&stats);
    assert_eq!(stats.dropped, 5);
    assert_eq!(account.labels_charged, 5);
    assert_eq!(account.labels_reused, 5);
    assert_eq!(label_requests(&stats), 10);
    let summary = workspace.summary("labels");
    assert_eq!(summary["labels"]["labels_bought"], 5);
    assert_eq!(summary["labels"]["labels_reused"], 5);

    workspace.run(&run_args(&job, &sandbox)).expect_code(0);
    let stats = sandbox.stats();
    assert_eq!(account_stats(&stats).labels_charged, 5);
    assert_eq!(label_requests(&stats), 10);
}

#[test]
fn insufficient_balance_stops_with_75() {
    let workspace = Workspace::new();
    let config = SandboxConfig {
        balance: Some("25.00".parse().unwrap()),
        ..sandbox_config("unlimited")
    };
    let sandbox = TestSandbox::start(config);
    let job = label_job(&workspace, &orders(&numbered(12)), "concurrency = 1");

    let run = workspace.run(&run_args(&job, &sandbox));
    run.expect_code(75);
    let account = account_stats(&sandbox.stats());
    assert!(account.labels_charged >= 1, "{account:?}");
    assert!(account.labels_charged < 12, "{account:?}");
    let rows = workspace.csv("labels.csv");
    let bought = rows.iter().filter(|row| row["usps_status"] == "ok").count() as u64;
    let deferred = rows
        .iter()
        .filter(|row| row["usps_status"] == "deferred")
        .count() as u64;
    assert_eq!(bought, account.labels_charged);
    assert_eq!(bought + deferred, 12);
    let summary = workspace.summary("labels");
    let stopped = summary["stopped"].as_str().unwrap();
    assert!(stopped.contains("insufficient funds"), "{stopped}");

    // The same account, still short: the rerun stops again without buying a row twice.
    workspace.run(&run_args(&job, &sandbox)).expect_code(75);
    assert_eq!(account_stats(&sandbox.stats()).labels_charged, bought);
}

#[test]
fn empty_account_stops_before_any_row() {
    let workspace = Workspace::new();
    let config = SandboxConfig {
        balance: Some(rust_decimal::Decimal::ZERO),
        ..sandbox_config("unlimited")
    };
    let sandbox = TestSandbox::start(config);
    let job = label_job(&workspace, &orders(&numbered(3)), "");

    let run = workspace.run(&run_args(&job, &sandbox));
    run.expect_code(75);
    assert!(run.stderr().contains("100007"), "{}", run.stderr());
    let stats = sandbox.stats();
    assert_eq!(label_requests(&stats), 0);
    let rows = workspace.csv("labels.csv");
    assert!(
        rows.iter().all(|row| row["usps_status"] == "deferred"),
        "{rows:?}"
    );
}

#[test]
fn killed_label_runs_charge_each_row_once() {
    let workspace = Workspace::new();
    let mut config = sandbox_config("unlimited");
    config.latency = Duration::from_millis(50);
    let sandbox = TestSandbox::start(config);
    // About 1.5 s of requests in all, so that most kills land while rows are in flight.
    let count = 60;
    let job = label_job(&workspace, &orders(&numbered(count)), "concurrency = 2");
    let args = run_args(&job, &sandbox);

    // Kill moments from a seeded generator, so that a failure repeats.
    let mut seed: u64 = 0x5eed;
    let delays: Vec<u64> = (0..6)
        .map(|_| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            80 + (seed >> 33) % 600
        })
        .collect();
    let kills = kill_runs(workspace.dir.path(), &args, &delays);
    assert!(kills >= 3, "the kills must land mid-run ({kills} did)");
    workspace.run(&args).expect_code(0);

    let rows = workspace.csv("labels.csv");
    assert_eq!(rows.len(), count);
    let tracking: HashSet<&str> = rows
        .iter()
        .map(|row| row["usps_tracking_number"].as_str())
        .collect();
    assert!(
        rows.iter().all(|row| row["usps_status"] == "ok"),
        "{rows:?}"
    );
    assert_eq!(tracking.len(), count, "every row has its own label");
    let account = account_stats(&sandbox.stats());
    assert_eq!(
        account.labels_charged, count as u64,
        "no row was charged twice"
    );
    // A kill during a file write may leave a hidden temporary, which later runs remove once
    // it is old. Every label file is the one its row names.
    let files: Vec<PathBuf> = files_under(&workspace.out().join("labels"))
        .into_iter()
        .filter(|file| !file.to_string_lossy().starts_with('.'))
        .collect();
    let named: Vec<PathBuf> = rows
        .iter()
        .map(|row| PathBuf::from(row["usps_label_file"].strip_prefix("labels/").unwrap()))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(named.len(), count, "every row names its own file");
    assert_eq!(files, named);
    let in_doubt = read_csv(&workspace.out().join("labels.in-doubt.csv"));
    assert!(in_doubt.is_empty(), "{in_doubt:?}");
}

#[test]
fn cancel_records_and_resumes() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("unlimited"));
    let job = label_job(&workspace, &orders(&numbered(5)), "");
    workspace.run(&run_args(&job, &sandbox)).expect_code(0);
    let cancel_path = "/labels/v3/label/{trackingNumber}";
    let cancel_args = |selection: &[&'static str]| -> Vec<String> {
        let mut args: Vec<String> = vec![
            "cancel".into(),
            job.to_str().unwrap().into(),
            "--base-url".into(),
            sandbox.base_url.clone(),
            "--quiet".into(),
        ];
        args.extend(selection.iter().map(|part| part.to_string()));
        args
    };
    let run_cancel = |selection: &[&'static str]| {
        let args = cancel_args(selection);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        workspace.run(&args)
    };

    run_cancel(&["--rows", "2,4"]).expect_code(0);
    let report = workspace.csv("labels.cancel.csv");
    let rows: Vec<&str> = report.iter().map(|row| row["row"].as_str()).collect();
    assert_eq!(rows, ["2", "4"]);
    assert!(
        report.iter().all(|row| row["status"] == "CANCELED"),
        "{report:?}"
    );
    let labels = workspace.csv("labels.csv");
    assert_eq!(
        report[0]["tracking_number"],
        labels[1]["usps_tracking_number"]
    );
    let stats = sandbox.stats();
    assert_eq!(account_stats(&stats).labels_cancelled, 2);
    assert_eq!(stats.requests[cancel_path], 2);
    let merged = lopdf::Document::load(workspace.out().join("labels.labels.pdf")).unwrap();
    assert_eq!(merged.get_pages().len(), 3);

    // Recorded cancels are not sent again.
    run_cancel(&["--rows", "1-5"]).expect_code(0);
    let stats = sandbox.stats();
    assert_eq!(stats.requests[cancel_path], 5);
    assert_eq!(account_stats(&stats).labels_cancelled, 5);
    run_cancel(&["--status", "ok"]).expect_code(0);
    assert_eq!(sandbox.stats().requests[cancel_path], 5);
    assert!(!workspace.out().join("labels.labels.pdf").exists());
    let account = account_stats(&sandbox.stats());
    assert_eq!(account.postage_total, "0");

    // A selection is required, so that no command cancels every label by accident.
    let bare = workspace.run(&["cancel", job.to_str().unwrap()]);
    bare.expect_code(2);
}

#[test]
fn cancel_rewrites_job_outputs() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("unlimited"));
    let manifest = orders(&numbered(5));
    let job = label_job(&workspace, &manifest, "");
    workspace.run(&run_args(&job, &sandbox)).expect_code(0);
    let bought = workspace.csv("labels.csv");
    let cancel = |rows: &str| {
        workspace.run(&[
            "cancel",
            job.to_str().unwrap(),
            "--base-url",
            &sandbox.base_url,
            "--rows",
            rows,
        ])
    };

    let cancelled = cancel("2,4");
    cancelled.expect_code(0);
    let message = cancelled.stderr();
    assert!(message.contains("output: "), "{message}");
    assert!(message.contains("summary: "), "{message}");
    assert!(
        message.contains("labels: 5 bought (2 cancelled)"),
        "{message}"
    );
    let rows = workspace.csv("labels.csv");
    let statuses: Vec<&str> = rows
        .iter()
        .map(|row| row["usps_cancel_status"].as_str())
        .collect();
    assert_eq!(statuses, ["", "CANCELED", "", "CANCELED", ""]);
    for (row, before) in rows.iter().zip(&bought) {
        assert_eq!(row["usps_status"], "ok", "{row:?}");
        assert_eq!(row["usps_tracking_number"], before["usps_tracking_number"]);
    }
    let kept_postage: rust_decimal::Decimal = [0, 2, 4]
        .iter()
        .map(|&index| {
            bought[index]["usps_postage"]
                .parse::<rust_decimal::Decimal>()
                .unwrap()
        })
        .sum();
    let summary = workspace.summary("labels");
    assert_eq!(summary["labels"]["labels_bought"], 5, "{summary}");
    assert_eq!(summary["labels"]["labels_cancelled"], 2, "{summary}");
    assert_eq!(summary["labels"]["total_postage"], kept_postage.to_string());
    let merged = lopdf::Document::load(workspace.out().join("labels.labels.pdf")).unwrap();
    assert_eq!(merged.get_pages().len(), 3);

    // A rerun writes the same outputs from the state file.
    workspace.run(&run_args(&job, &sandbox)).expect_code(0);
    assert_eq!(workspace.csv("labels.csv"), rows);
    let rerun = workspace.summary("labels");
    assert_eq!(rerun["labels"], summary["labels"]);

    // A rewritten manifest no longer matches the checkpoints. The cancel goes through and the
    // print file leaves the label out, but the output stays as it was, as the message states.
    workspace.write("orders.csv", manifest.replace("#1005", "#1095"));
    let partial = cancel("1");
    partial.expect_code(0);
    assert!(
        partial.stderr().contains("were not rewritten"),
        "{}",
        partial.stderr()
    );
    assert_eq!(workspace.csv("labels.csv"), rows);
    assert_eq!(account_stats(&sandbox.stats()).labels_cancelled, 3);
    let merged = lopdf::Document::load(workspace.out().join("labels.labels.pdf")).unwrap();
    assert_eq!(merged.get_pages().len(), 2);

    // Once the manifest is restored, the next run shows that cancel too.
    workspace.write("orders.csv", &manifest);
    workspace.run(&run_args(&job, &sandbox)).expect_code(0);
    let restored = workspace.csv("labels.csv");
    assert_eq!(restored[0]["usps_cancel_status"], "CANCELED");
    assert_eq!(workspace.summary("labels")["labels"]["labels_cancelled"], 3);

    // The same manifest under another path is another job id of the same job: its labels are
    // reused, and the cancels recorded under the first path still count.
    let moved = workspace.write("orders-moved.csv", &manifest);
    let moved_job = workspace.job(
        "labels",
        "labels",
        &moved,
        &format!("quota = \"unlimited\"\n{LABEL_SETTINGS}"),
    );
    let moved_run = |args: &[&str]| {
        let mut all = vec![
            args[0],
            moved_job.to_str().unwrap(),
            "--base-url",
            &sandbox.base_url,
        ];
        all.extend_from_slice(&args[1..]);
        workspace.run(&all)
    };
    moved_run(&["run"]).expect_code(0);
    let statuses: Vec<String> = workspace
        .csv("labels.csv")
        .iter()
        .map(|row| row["usps_cancel_status"].clone())
        .collect();
    assert_eq!(statuses, ["CANCELED", "CANCELED", "", "CANCELED", ""]);
    let merged = lopdf::Document::load(workspace.out().join("labels.labels.pdf")).unwrap();
    assert_eq!(merged.get_pages().len(), 2);
    moved_run(&["cancel", "--rows", "2"]).expect_code(0);
    let account = account_stats(&sandbox.stats());
    assert_eq!(account.labels_cancelled, 3);
    assert_eq!(account.labels_charged, 5);
}

#[test]
fn nested_json_orders_buy_labels() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("unlimited"));
    let lines = [
        r#"{"id": "N1", "toAddress": {"firstName": "Ada", "streetAddress": "1600 Pennsylvania Ave NW", "city": "Washington", "state": "DC", "ZIPCode": "20500"}, "packageDescription": {"weight": 12, "length": 10, "width": 8, "height": 4, "mailClass": "PRIORITY_MAIL"}, "tags": ["gift"]}"#,
        r#"{"id": "N2", "toAddress": {"streetAddress": "2400 E Fort Ave", "city": "Baltimore", "state": "MD", "ZIPCode": "21230"}, "fromAddress": {"firm": "Other Sender", "streetAddress": "121 N LaSalle St", "city": "Chicago", "state": "IL", "ZIPCode": "60602"}, "packageDescription": {"weight": 20, "length": 10, "width": 8, "height": 4, "mailClass": "USPS_GROUND_ADVANTAGE"}}"#,
        r#"{"id": "N3", "toAddress": {"city": "Baltimore", "state": "MD", "ZIPCode": "21230"}, "packageDescription": {"weight": 20, "length": 10, "width": 8, "height": 4}}"#,
        r#"{"id": "N4", "toAddress": {"streetAddress": "2400 E Fort Ave", "city": ["Baltimore"], "state": "MD", "ZIPCode": "21230"}, "packageDescription": {"weight": 20, "length": 10, "width": 8, "height": 4, "mailClass": "PRIORITY_MAIL"}}"#,
    ];
    let lines: Vec<String> = lines.iter().map(|line| line.to_string()).collect();
    let job = json_label_job(&workspace, &lines, "");
    workspace.run(&run_args(&job, &sandbox)).expect_code(3);

    let rows = json_output(&workspace);
    assert_eq!(rows[0]["usps_status"], "ok", "{}", rows[0]);
    assert_eq!(rows[0]["tags"], serde_json::json!(["gift"]));
    assert_eq!(rows[1]["usps_status"], "ok", "{}", rows[1]);
    assert_eq!(rows[2]["usps_status"], "invalid_input", "{}", rows[2]);
    // A nested value that is not text is rejected as at the top level, not sent as JSON.
    assert_eq!(rows[3]["usps_status"], "invalid_input", "{}", rows[3]);
    assert_eq!(rows[3]["usps_error_code"], "invalid_value", "{}", rows[3]);
    let second = workspace
        .out()
        .join(rows[1]["usps_label_file"].as_str().unwrap());
    let text = lopdf::Document::load(&second)
        .unwrap()
        .extract_text(&[1])
        .unwrap();
    assert!(text.contains("OTHER SENDER"), "{text}");
    assert!(text.contains("60602"), "{text}");
    assert_eq!(account_stats(&sandbox.stats()).labels_charged, 2);
}

#[test]
fn nested_keys_without_field_rejected() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("unlimited"));
    let to = r#""toAddress": {"firstName": "Ada", "streetAddress": "2400 E Fort Ave", "city": "Baltimore", "state": "MD", "ZIPCode": "21230"}"#;
    let package = |weight: &str, extra: &str| {
        format!(
            r#""packageDescription": {{"weight": {weight}, "length": 10, "width": 8, "height": 4, "mailClass": "PRIORITY_MAIL"{extra}}}"#
        )
    };
    let lines = [
        format!(r#"{{"id": "K1", {to}, {}}}"#, package("32", "")),
        format!(
            r#"{{"id": "K2", {to}, {}}}"#,
            package("2", r#", "weightUOM": "lb", "dimensionsUOM": "in""#)
        ),
        format!(
            r#"{{"id": "K3", {to}, {}}}"#,
            package("32", r#", "weightUOM": "kg""#)
        ),
        format!(
            r#"{{"id": "K4", {to}, {}}}"#,
            package("32", r#", "extraServices": [930]"#)
        ),
        format!(
            r#"{{"id": "K5", {to}, {}}}"#,
            package("32", r#", "extraServices": [920], "packageOptions": {}"#)
        ),
        format!(
            r#"{{"id": "K6", {to}, "fromAddress": {{"firm": "Other Sender"}}, {}}}"#,
            package("32", "")
        ),
        format!(
            r#"{{"id": "K7", "toAddress": {{"streetAddress": "2400 E Fort Ave", "city": "Baltimore", "state": "MD", "ZIPCode": "21230", "zip": "21231"}}, {}}}"#,
            package("32", "")
        ),
        format!(
            r#"{{"id": "K8", {to}, {}}}"#,
            package("32", r#", "packageOptions": {"packageValue": 100}"#)
        ),
    ];
    let job = json_label_job(&workspace, &lines, "extra_services = [920]");
    workspace.run(&run_args(&job, &sandbox)).expect_code(3);

    let rows = json_output(&workspace);
    let codes: Vec<&str> = rows
        .iter()
        .map(|row| row["usps_error_code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "",
            "",
            "invalid_weight_unit",
            "unsupported_extra_services",
            "",
            "incomplete_sender",
            "unsupported_label_key",
            "unsupported_label_key",
        ]
    );
    // 2 lb with weightUOM `lb` is the same package as 32 oz in the job's unit.
    assert_eq!(rows[1]["usps_postage"], rows[0]["usps_postage"]);
    let notes = rows[1]["usps_notes"].as_str().unwrap();
    assert!(notes.contains("weight read in lb"), "{notes}");
    assert_eq!(account_stats(&sandbox.stats()).labels_charged, 3);

    let errors = workspace.csv("labels.errors.csv");
    let by_row = |row: &str| {
        errors
            .iter()
            .find(|error| error["row"] == row)
            .unwrap_or_else(|| panic!("row {row} is in the error report: {errors:?}"))
    };
    let input_name = workspace.path("orders.jsonl").display().to_string();
    let cases = [
        ("3", "packageDescription.weightUOM", "kg"),
        ("4", "packageDescription.extraServices", "[930]"),
        ("6", "fromAddress.firm", "Other Sender"),
        ("7", "toAddress.zip", "21231"),
        (
            "8",
            "packageDescription.packageOptions",
            r#"{"packageValue":100}"#,
        ),
    ];
    // The report names a nested key by its dotted path as the field and the column, with its
    // value, and the message names the file, row, key and value.
    for (row, key, value) in cases {
        let error = by_row(row);
        assert_eq!(error["field"], key, "{error:?}");
        assert_eq!(error["column"], key, "{error:?}");
        assert_eq!(error["value"], value, "{error:?}");
        let message = &error["message"];
        assert!(message.contains(&input_name), "{message}");
        assert!(message.contains(&format!("row {row}")), "{message}");
        assert!(message.contains(&format!("`{key}`")), "{message}");
        assert!(message.contains(&format!("`{value}`")), "{message}");
        assert!(message.contains("rerun"), "{message}");
    }
}

#[test]
fn validated_addresses_gate_purchases() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("unlimited"));
    let manifest = format!(
        "{HEADER}\n\
         V1,Ada,Lovelace,121 N LaSalle St,Chicago,IL,60602,,8,10,8,4,Priority Mail\n\
         V2,Ada,Lovelace,12 Nowhere St,Baltimore,MD,21230,,8,10,8,4,Priority Mail\n\
         V3,Ada,Lovelace,2499 E Fort Ave,Baltimore,MD,21230,,8,10,8,4,Priority Mail\n\
         V4,Ada,Lovelace,121 N LaSalle St,Chicago,IL,60602,,8,10,8,4,Priority Mail\n"
    );
    let input = workspace.write("orders.csv", &manifest);
    let settings = LABEL_SETTINGS.replace("[label]\n", "[label]\nvalidate_addresses = true\n");
    let job = workspace.job(
        "labels",
        "labels",
        &input,
        &format!("quota = \"unlimited\"\nconcurrency = 1\n{settings}"),
    );
    // Four labels and three distinct destinations to look up.
    let plan = workspace.run(&["plan", job.to_str().unwrap(), "--json"]);
    plan.expect_code(0);
    let plan: serde_json::Value = serde_json::from_str(&plan.stdout()).unwrap();
    assert_eq!(plan["calls_needed"], 7, "{plan}");

    workspace.run(&run_args(&job, &sandbox)).expect_code(3);

    let rows = workspace.csv("labels.csv");
    let statuses: Vec<&str> = rows.iter().map(|row| row["usps_status"].as_str()).collect();
    assert_eq!(statuses, ["ok", "not_found", "ambiguous", "ok"]);
    assert!(
        rows[1]["usps_error"].contains("label not bought"),
        "{:?}",
        rows[1]
    );
    assert_eq!(rows[1]["usps_tracking_number"], "");
    let stats = sandbox.stats();
    assert_eq!(account_stats(&stats).labels_charged, 2);
    // The fourth row's destination comes from the cache of the first.
    assert_eq!(stats.requests["/addresses/v3/address"], 3);

    // The label carries the ZIP+4 that the Addresses API returned.
    let file = workspace.out().join(&rows[0]["usps_label_file"]);
    let text = lopdf::Document::load(&file)
        .unwrap()
        .extract_text(&[1])
        .unwrap();
    let plus4 = text
        .split_whitespace()
        .find(|word| word.starts_with("60602-"))
        .unwrap_or_else(|| panic!("no ZIP+4 on the label: {text}"));
    assert_eq!(plus4.len(), 10, "{plus4}");

    // Rows the Addresses API ruled out are final: a rerun sends nothing.
    workspace.run(&run_args(&job, &sandbox)).expect_code(3);
    let again = sandbox.stats();
    assert_eq!(again.requests["/addresses/v3/address"], 3);
    assert_eq!(label_requests(&again), 2);
}

#[test]
fn expired_tokens_renew_both_tokens() {
    let workspace = Workspace::new();
    let mut config = sandbox_config("unlimited");
    config.latency = Duration::from_millis(30);
    let sandbox = TestSandbox::start(config);
    let count = 20;
    let job = label_job(&workspace, &orders(&numbered(count)), "concurrency = 1");
    let args = run_args(&job, &sandbox);
    let mut child = command_in(workspace.dir.path(), &args)
        .spawn()
        .expect("spawn");
    while label_requests(&sandbox.stats()) < 3 {
        std::thread::sleep(Duration::from_millis(10));
    }
    sandbox.expire_tokens();
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(0));

    let stats = sandbox.stats();
    assert_eq!(stats.tokens_issued, 2);
    assert_eq!(stats.requests["/payments/v3/payment-authorization"], 2);
    assert_eq!(stats.responses["401"], 1);
    assert_eq!(account_stats(&stats).labels_charged, count as u64);
    let rows = workspace.csv("labels.csv");
    assert!(rows.iter().all(|row| row["usps_status"] == "ok"));
}

#[test]
fn payment_token_is_never_written() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("unlimited"));
    let job = label_job(&workspace, &orders(&numbered(3)), "");
    let run = workspace.run(&[
        "run",
        job.to_str().unwrap(),
        "--base-url",
        &sandbox.base_url,
        "-vv",
    ]);
    run.expect_code(0);

    // The sandbox's payment tokens read `sandbox.<32 hex>.<32 hex>`.
    let looks_like_token = |text: &str| {
        text.match_indices("sandbox.").any(|(at, _)| {
            let rest = &text[at + "sandbox.".len()..];
            rest.len() >= 32 && rest[..32].bytes().all(|byte| byte.is_ascii_hexdigit())
        })
    };
    assert!(run
        .stderr()
        .contains("payment authorization token obtained"));
    assert!(!looks_like_token(&run.stderr()), "{}", run.stderr());
    for file in files_under(workspace.dir.path()) {
        let bytes = std::fs::read(workspace.dir.path().join(&file)).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !looks_like_token(&text),
            "{} contains a payment token",
            file.display()
        );
    }
}

#[test]
fn unconfirmed_purchase_resolves_on_rerun() {
    let workspace = Workspace::new();
    // The first run stops after eight failures in a row, four attempts each for rows 1 and 2.
    // Their backoff waits up to 0.5, 1 and 2 s, each doubled at most by jitter, so the run
    // may take 14 s and more. The outage must outlast it, or row 2 is bought in that run.
    let outage = Duration::from_secs(25);
    let config = SandboxConfig {
        faults: usps_batch::sandbox::Faults {
            label_drop_rate: 1.0,
            label_outage_ms: outage.as_millis() as u64,
            ..Default::default()
        },
        ..sandbox_config("unlimited")
    };
    let sandbox = TestSandbox::start(config);
    let job = label_job(&workspace, &orders(&numbered(3)), "concurrency = 1");
    let started = std::time::Instant::now();

    // The first label is charged and its answer lost, then every retry meets the outage. The
    // run is not quiet, so that it prints its closing message.
    let first = workspace.run(&[
        "run",
        job.to_str().unwrap(),
        "--base-url",
        &sandbox.base_url,
    ]);
    assert!(
        matches!(first.code(), 3 | 75),
        "exit {}: {}",
        first.code(),
        first.stderr()
    );
    assert!(first.stderr().contains("IN DOUBT"), "{}", first.stderr());
    let in_doubt = read_csv(&workspace.out().join("labels.in-doubt.csv"));
    assert_eq!(in_doubt[0]["id"], "#1001", "{in_doubt:?}");
    let key = in_doubt[0]["idempotency_key"].clone();
    assert_eq!(key.len(), 36, "{key}");
    let rows = workspace.csv("labels.csv");
    assert_eq!(rows[0]["usps_status"], "in_doubt", "{:?}", rows[0]);
    assert_eq!(rows[0]["usps_idempotency_key"], key);
    // Every row of the in-doubt report is in doubt in the output too, not deferred.
    for doubtful in &in_doubt {
        let row = rows
            .iter()
            .find(|row| row["order_id"] == doubtful["id"])
            .expect("the row is in the output");
        assert_eq!(row["usps_status"], "in_doubt", "{row:?}");
    }
    let summary = workspace.summary("labels");
    assert_eq!(
        summary["by_status"]["in_doubt"].as_u64(),
        Some(in_doubt.len() as u64),
        "{summary}"
    );
    assert_eq!(account_stats(&sandbox.stats()).labels_charged, 1);

    // After the outage the rerun sends the same key and gets the label already bought.
    if let Some(left) = outage.checked_sub(started.elapsed()) {
        std::thread::sleep(left + Duration::from_millis(300));
    }
    workspace.run(&run_args(&job, &sandbox)).expect_code(0);
    let rows = workspace.csv("labels.csv");
    assert!(
        rows.iter().all(|row| row["usps_status"] == "ok"),
        "{rows:?}"
    );
    assert_eq!(rows[0]["usps_idempotency_key"], key);
    // Row 1 is returned without a charge. Rows 2 and 3 are charged, their answers dropped
    // too, and their retries return the labels: three reuses, three charges.
    let account = account_stats(&sandbox.stats());
    assert_eq!(account.labels_charged, 3);
    assert_eq!(account.labels_reused, 3);
    assert!(read_csv(&workspace.out().join("labels.in-doubt.csv")).is_empty());
}

#[test]
fn token_without_label_scope_stops_first() {
    let workspace = Workspace::new();
    let config = SandboxConfig {
        token_scope: Some("addresses prices shipments".into()),
        ..sandbox_config("unlimited")
    };
    let sandbox = TestSandbox::start(config);
    let job = label_job(&workspace, &orders(&numbered(3)), "");

    let run = workspace.run(&run_args(&job, &sandbox));
    run.expect_code(1);
    assert!(
        run.stderr().contains("lacks labels and payments"),
        "{}",
        run.stderr()
    );
    let stats = sandbox.stats();
    assert_eq!(label_requests(&stats), 0);
    assert!(!stats
        .requests
        .contains_key("/payments/v3/payment-authorization"));
    let rows = workspace.csv("labels.csv");
    assert!(
        rows.iter().all(|row| row["usps_status"] == "deferred"),
        "{rows:?}"
    );
}

#[test]
fn bundled_label_job_runs() {
    let workspace = Workspace::new();
    let job = common::repo().join("jobs/labels.toml");
    let out = workspace.out();
    let state = workspace.state();
    let run = workspace.run(&[
        "run",
        job.to_str().unwrap(),
        "--output-dir",
        out.to_str().unwrap(),
        "--state",
        state.to_str().unwrap(),
        "--quiet",
    ]);
    // Order #1011 has a company name over the 50 characters USPS accepts.
    run.expect_code(3);

    let rows = workspace.csv("labels.csv");
    assert_eq!(rows.len(), 54);
    let bought: Vec<_> = rows
        .iter()
        .filter(|row| row["usps_status"] == "ok")
        .collect();
    assert_eq!(bought.len(), 53);
    assert_eq!(rows[10]["usps_error_code"], "firm_too_long");
    // The identical orders #1053 and #1054 are two labels.
    assert_ne!(
        rows[52]["usps_tracking_number"],
        rows[53]["usps_tracking_number"]
    );
    let merged = lopdf::Document::load(out.join("labels.labels.pdf")).unwrap();
    assert_eq!(merged.get_pages().len(), 53);
    let summary = workspace.summary("labels");
    assert_eq!(summary["labels"]["labels_bought"], 53);
}

#[test]
fn moved_orders_are_not_bought_again() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("unlimited"));
    let ids = numbered(6);
    let manifest = orders(&ids);
    let job = label_job(&workspace, &manifest, "");
    workspace.run(&run_args(&job, &sandbox)).expect_code(0);
    assert_eq!(account_stats(&sandbox.stats()).labels_charged, 6);

    // The same orders in reverse order, one removed: --fresh reuses every key.
    let mut lines: Vec<&str> = manifest.lines().skip(1).collect();
    lines.reverse();
    lines.pop();
    workspace.write("orders.csv", format!("{HEADER}\n{}\n", lines.join("\n")));
    let mut fresh = run_args(&job, &sandbox).to_vec();
    fresh.push("--fresh");
    workspace.run(&fresh).expect_code(0);
    assert_eq!(account_stats(&sandbox.stats()).labels_charged, 6);

    // The same file at another path is the same orders of the same job.
    let copy = workspace.write("copy.csv", &manifest);
    let mut elsewhere = run_args(&job, &sandbox).to_vec();
    elsewhere.extend(["--input", copy.to_str().unwrap()]);
    workspace.run(&elsewhere).expect_code(0);
    assert_eq!(account_stats(&sandbox.stats()).labels_charged, 6);
    let output = read_csv(&workspace.out().join("labels.csv"));
    assert_eq!(output.len(), 6);
    assert!(output.iter().all(|row| row["usps_status"] == "ok"));
}

#[test]
fn label_names_transliterated_to_ascii() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("unlimited"));
    let manifest = format!(
        "{HEADER}\n\
         #2001,Zoë,Peña,1600 Pennsylvania Ave NW,Washington,DC,20500,,8,10,8,4,Priority Mail\n\
         #2002,Kim 🏡,Lee,1600 Pennsylvania Ave NW,Washington,DC,20500,,8,10,8,4,Priority Mail\n\
         #2003,Иван,Петров,1600 Pennsylvania Ave NW,Washington,DC,20500,,8,10,8,4,Priority Mail\n\
         #2004,Ada,🏡,1600 Pennsylvania Ave NW,Washington,DC,20500,,8,10,8,4,Priority Mail\n"
    );
    let job = label_job(&workspace, &manifest, "");
    workspace.run(&run_args(&job, &sandbox)).expect_code(3);

    let rows = workspace.csv("labels.csv");
    let printed = |index: usize| {
        let file = workspace.out().join(&rows[index]["usps_label_file"]);
        lopdf::Document::load(&file)
            .unwrap()
            .extract_text(&[1])
            .unwrap()
    };
    for (index, name) in [(0, "ZOE PENA"), (1, "KIM LEE"), (2, "IVAN PETROV")] {
        assert_eq!(rows[index]["usps_status"], "ok", "{:?}", rows[index]);
        let text = printed(index);
        assert!(text.contains(name), "{name} not in {text}");
        assert!(
            rows[index]["usps_notes"].contains("sent as"),
            "{:?}",
            rows[index]
        );
    }
    // The original text stays in the output.
    assert_eq!(rows[0]["shipping_first_name"], "Zoë");
    // A name with nothing printable is held back instead of printing `?`.
    assert_eq!(
        rows[3]["usps_error_code"], "unprintable_name",
        "{:?}",
        rows[3]
    );
    assert_eq!(account_stats(&sandbox.stats()).labels_charged, 3);
}

#[test]
fn cancel_rejects_unknown_rows_and_statuses() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("unlimited"));
    let job = label_job(&workspace, &orders(&numbered(2)), "");
    workspace.run(&run_args(&job, &sandbox)).expect_code(0);
    let cancel = |selection: &[&str]| {
        let mut args = vec![
            "cancel",
            job.to_str().unwrap(),
            "--base-url",
            &sandbox.base_url,
        ];
        args.extend_from_slice(selection);
        workspace.run(&args)
    };

    let past = cancel(&["--rows", "2,9"]);
    past.expect_code(1);
    assert!(
        past.stderr().contains("past the last row"),
        "{}",
        past.stderr()
    );
    assert!(past.stderr().contains(": 9;"), "{}", past.stderr());
    let unknown = cancel(&["--status", "bogus"]);
    unknown.expect_code(1);
    assert!(
        unknown.stderr().contains("not a row status"),
        "{}",
        unknown.stderr()
    );
    assert_eq!(account_stats(&sandbox.stats()).labels_cancelled, 0);
}

#[test]
fn unsent_request_keys_rejected() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("unlimited"));
    let to = r#""toAddress": {"streetAddress": "2400 E Fort Ave", "city": "Baltimore", "state": "MD", "ZIPCode": "21230"}, "packageDescription": {"weight": 20, "length": 10, "width": 8, "height": 4, "mailClass": "PRIORITY_MAIL"}"#;
    let lines = [
        format!(r#"{{"id": "K1", {to}}}"#),
        format!(
            r#"{{"id": "K2", {to}, "returnAddress": {{"streetAddress": "1 Main St", "city": "Chicago", "state": "IL", "ZIPCode": "60602"}}}}"#
        ),
        format!(r#"{{"id": "K3", {to}, "packageOptions": {{"packageValue": 100}}}}"#),
        format!(r#"{{"id": "K4", {to}, "extraServices": [930]}}"#),
        format!(r#"{{"id": "K5", {to}, "returnAddress": null}}"#),
    ];
    let job = json_label_job(&workspace, &lines, "");
    workspace.run(&run_args(&job, &sandbox)).expect_code(3);

    let codes: Vec<String> = json_output(&workspace)
        .iter()
        .map(|row| row["usps_error_code"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        codes,
        [
            "",
            "unsupported_label_key",
            "unsupported_label_key",
            "unsupported_extra_services",
            ""
        ]
    );
    let errors = workspace.csv("labels.errors.csv");
    assert_eq!(errors[0]["column"], "returnAddress", "{errors:?}");
    assert!(
        errors[0]["message"].contains("row 2: key `returnAddress`"),
        "{errors:?}"
    );
    assert_eq!(account_stats(&sandbox.stats()).labels_charged, 2);
}
