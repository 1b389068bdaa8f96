//! The `rate-shop` kind end to end: the real binary against a sandbox on loopback.

mod common;

use std::collections::HashMap;

use common::{sandbox_config, TestSandbox, Workspace};
use jiff::ToSpan;

const OPTIONS: &str = "/shipments/v3/options/search";
const UNITS: &str = "quota = \"600/m\"\n[units]\nweight = \"oz\"\ndimensions = \"in\"\n";

/// Returns today's date in New York plus `days`, as the runner computes the mailing date
/// of an origin in 10001.
fn day(days: i64) -> String {
    let today = usps_batch::checks::today_at("10001", jiff::Timestamp::now());
    today.checked_add(days.days()).unwrap().to_string()
}

fn run_job(workspace: &Workspace, sandbox: &TestSandbox, name: &str, extra: &str, rows: &str) {
    let input = workspace.write(
        &format!("{name}.csv"),
        format!("id,from_zip,to_zip,weight,length,width,height,deliver_by,max_days\n{rows}"),
    );
    let job = workspace.job(name, "rate-shop", &input, &format!("{extra}{UNITS}"));
    let run = workspace.run(&[
        "run",
        job.to_str().unwrap(),
        "--base-url",
        &sandbox.base_url,
        "--quiet",
    ]);
    assert!(matches!(run.code(), 0 | 3), "{}", run.stderr());
}

fn by_id(rows: Vec<HashMap<String, String>>) -> HashMap<String, HashMap<String, String>> {
    rows.into_iter()
        .map(|row| (row["id"].clone(), row))
        .collect()
}

#[test]
fn cheapest_on_time_service_wins() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("600/m"));
    let rows = format!(
        "R1,10001,19103,48,10,8,4,,\n\
         R2,10001,19103,32,10,8,4,,2\n\
         R3,10001,19103,16,10,8,4,{},\n\
         R4,10001,90210,48,10,8,4,,1\n\
         R5,10001,19103,48,10,8,4,,\n",
        day(1)
    );
    run_job(&workspace, &sandbox, "shop", "", &rows);
    let rows = by_id(workspace.csv("shop.csv"));

    // No deadline, zone 2, 3 lb: Parcel Select 6.50 + 2 × 0.95 + 0.55 is the cheapest.
    let free = &rows["R1"];
    assert_eq!(free["usps_status"], "ok");
    assert_eq!(free["usps_deadline"], "");
    assert_eq!(free["usps_chosen_mail_class"], "PARCEL_SELECT");
    assert_eq!(free["usps_chosen_price"], "8.95");
    assert_eq!(free["usps_chosen_delivery_date"], day(3));
    assert_eq!(free["usps_runner_up_mail_class"], "USPS_GROUND_ADVANTAGE");
    assert_eq!(free["usps_runner_up_price"], "10.30");
    assert_eq!(free["usps_on_time_count"], "4");

    // Two days excludes Parcel Select (3 days): Ground Advantage 7.50 + 1.10 + 0.60.
    let two_days = &rows["R2"];
    assert_eq!(two_days["usps_deadline"], day(2));
    assert_eq!(two_days["usps_chosen_mail_class"], "USPS_GROUND_ADVANTAGE");
    assert_eq!(two_days["usps_chosen_price"], "9.20");
    assert_eq!(two_days["usps_runner_up_mail_class"], "PRIORITY_MAIL");
    assert_eq!(two_days["usps_runner_up_price"], "11.40");

    // Tomorrow leaves the Priority classes: Priority Mail 9.00 + 0.90.
    let tomorrow = &rows["R3"];
    assert_eq!(tomorrow["usps_chosen_mail_class"], "PRIORITY_MAIL");
    assert_eq!(tomorrow["usps_chosen_price"], "9.90");
    assert_eq!(tomorrow["usps_chosen_delivery_date"], day(1));
    assert_eq!(
        tomorrow["usps_runner_up_mail_class"],
        "PRIORITY_MAIL_EXPRESS"
    );
    assert_eq!(tomorrow["usps_runner_up_price"], "30.50");

    // Zone 8 in one day: even Priority Mail Express takes two.
    let late = &rows["R4"];
    assert_eq!(late["usps_status"], "not_found");
    assert_eq!(late["usps_error_code"], "no_service_on_time");
    let expected = format!("PRIORITY_MAIL_EXPRESS on {} for 53.50", day(2));
    assert!(
        late["usps_error"].contains(&expected),
        "{}",
        late["usps_error"]
    );

    assert_eq!(rows["R5"]["usps_chosen_price"], "8.95");

    // One Shipping Options call per distinct shipment, because R5 shares the response to R1.
    let summary = workspace.summary("shop");
    assert_eq!(summary["api_calls"], 4);
    assert_eq!(summary["deduplicated"], 1);
    assert_eq!(summary["calls_per_row"], 0.8);
    assert_eq!(sandbox.stats().requests[OPTIONS], 4);
}

#[test]
fn undated_row_keeps_own_choice() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("600/m"));
    // The first row of the shared request has a deadline and the second none.
    let rows = "E1,10001,19103,48,10,8,4,,1\nE2,10001,19103,48,10,8,4,,\n";
    run_job(&workspace, &sandbox, "undated", "", rows);
    let rows = by_id(workspace.csv("undated.csv"));
    assert_eq!(rows["E1"]["usps_deadline"], day(1));
    assert_eq!(rows["E1"]["usps_chosen_mail_class"], "PRIORITY_MAIL");
    assert_eq!(rows["E2"]["usps_deadline"], "");
    assert_eq!(rows["E2"]["usps_chosen_mail_class"], "PARCEL_SELECT");
    assert_eq!(rows["E2"]["usps_chosen_price"], "8.95");
    assert_eq!(workspace.summary("undated")["api_calls"], 1);
}

#[test]
fn deadlines_share_one_call() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("600/m"));
    let rows = format!(
        "D1,10001,19103,48,10,8,4,,\n\
         D2,10001,19103,48,10,8,4,,2\n\
         D3,10001,19103,48,10,8,4,{},\n",
        day(1)
    );
    run_job(&workspace, &sandbox, "shared", "", &rows);
    let rows = by_id(workspace.csv("shared.csv"));

    // One package, three deadlines: Parcel Select, Ground Advantage, Priority Mail.
    assert_eq!(rows["D1"]["usps_chosen_mail_class"], "PARCEL_SELECT");
    assert_eq!(
        rows["D2"]["usps_chosen_mail_class"],
        "USPS_GROUND_ADVANTAGE"
    );
    assert_eq!(rows["D3"]["usps_chosen_mail_class"], "PRIORITY_MAIL");
    assert_eq!(rows["D3"]["usps_chosen_price"], "12.90");
    let summary = workspace.summary("shared");
    assert_eq!(summary["api_calls"], 1);
    assert_eq!(summary["deduplicated"], 2);
    assert_eq!(sandbox.stats().requests[OPTIONS], 1);
}

#[test]
fn services_limit_the_choice() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("600/m"));
    run_job(
        &workspace,
        &sandbox,
        "priority",
        "services = [\"Priority Mail\", \"PRIORITY_MAIL_EXPRESS\"]\n",
        "R1,10001,19103,48,10,8,4,,\n",
    );
    let row = &workspace.csv("priority.csv")[0];
    // Zone 2, 3 lb: Priority Mail 9.00 + 2 × 1.50 + 0.90 against Express 38.50.
    assert_eq!(row["usps_chosen_mail_class"], "PRIORITY_MAIL");
    assert_eq!(row["usps_chosen_price"], "12.90");
    assert_eq!(row["usps_runner_up_price"], "38.50");
    assert_eq!(row["usps_on_time_count"], "2");
}

#[test]
fn bad_deadlines_cost_no_call() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("600/m"));
    let rows = format!(
        "B1,10001,19103,48,10,8,4,{},2\n\
         B2,10001,19103,48,10,8,4,,abc\n\
         B3,10001,19103,48,10,8,4,{},\n\
         B4,10001,19103,48,10,8,4,2026-02-30,\n",
        day(3),
        day(-1)
    );
    run_job(&workspace, &sandbox, "bad", "", &rows);
    let errors = by_id(workspace.csv("bad.errors.csv"));
    assert_eq!(errors["B1"]["code"], "conflicting_deadline");
    assert_eq!(errors["B2"]["code"], "invalid_deadline");
    assert_eq!(errors["B3"]["code"], "invalid_deadline");
    assert!(errors["B3"]["message"].contains("before the mailing date"));
    assert_eq!(errors["B4"]["code"], "invalid_deadline");
    assert!(!sandbox.stats().requests.contains_key(OPTIONS));
}

#[test]
fn rerun_moves_stale_default_date() {
    let workspace = Workspace::new();
    let sandbox = TestSandbox::start(sandbox_config("600/m"));
    let rows = "R1,10001,19103,48,10,8,4,,\nR2,10001,19103,32,10,8,4,,\n";
    run_job(&workspace, &sandbox, "again", "", rows);
    assert_eq!(workspace.csv("again.csv")[0]["usps_notes"], "");

    // Make row 1 look like a retryable failure that a run checkpointed two days ago.
    let two_days_ago = jiff::Timestamp::now().as_millisecond() - 2 * 86_400_000;
    let connection = rusqlite::Connection::open(workspace.state()).unwrap();
    let changed = connection
        .execute(
            "UPDATE rows SET state = 'failed', retryable = 1, updated_at = ?1 WHERE row = 1",
            [two_days_ago],
        )
        .unwrap();
    assert_eq!(changed, 1);
    drop(connection);

    run_job(&workspace, &sandbox, "again", "", rows);
    let rows = workspace.csv("again.csv");
    let expected = format!("mailing date {} sent", day(0));
    assert!(
        rows[0]["usps_notes"].contains(&expected),
        "{}",
        rows[0]["usps_notes"]
    );
    assert!(
        rows[0]["usps_notes"].contains(&day(-2)),
        "{}",
        rows[0]["usps_notes"]
    );
    assert_eq!(rows[1]["usps_notes"], "", "a finished row is not redone");
    assert_eq!(rows[0]["usps_chosen_price"], "8.95");
}
