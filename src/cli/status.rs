//! `usps-batch status`: jobs of a state file, their rows by state, and the quota used.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use crate::cli::logging::{self, LogFormat};
use crate::exit::Exit;
use crate::job::{default_state_path, JobConfig, Overrides};
use crate::output::time::{describe_millis, rfc3339_millis};
use crate::scheduler::run::job_id;
use crate::state::{jobs, ledger, now_millis, open_reader, rows};

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Show only this job file's job, and use its state file.
    pub job_file: Option<PathBuf>,
    /// State file to read.
    #[arg(long, value_name = "PATH")]
    pub state: Option<PathBuf>,
    /// Window over which to count spent calls, such as 1h or 1d; defaults to the period of
    /// the job's quota, or one hour.
    #[arg(long, value_parser = crate::cli::run::parse_wait)]
    pub window: Option<std::time::Duration>,
    /// Print the status as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Serialize)]
struct JobStatus {
    job_id: String,
    name: String,
    kind: String,
    input: String,
    input_rows: Option<u64>,
    rows_by_state: BTreeMap<String, u64>,
    last_run: Option<LastRun>,
}

#[derive(Debug, Serialize)]
struct LastRun {
    run_id: i64,
    /// RFC 3339, as in `plan --json`.
    started_at: String,
    #[serde(skip)]
    started_at_ms: i64,
    exit_code: Option<i32>,
    api_calls: Option<u64>,
    message: Option<String>,
}

#[derive(Debug, Serialize)]
struct QuotaUse {
    credential: String,
    pool: String,
    calls: u64,
    token_calls: u64,
    /// When the next call may be sent, in RFC 3339: `None` when the window has room now. Without
    /// a job file the quota is unknown, and this is when the oldest call leaves the window.
    next_free_slot: Option<String>,
    #[serde(skip)]
    next_free_slot_ms: Option<i64>,
}

#[derive(Debug, Serialize)]
struct Status {
    state_file: String,
    jobs: Vec<JobStatus>,
    quota_window: String,
    quota_used: Vec<QuotaUse>,
}

pub async fn run(args: StatusArgs) -> anyhow::Result<Exit> {
    logging::init(LogFormat::Text, 0, false);
    if args.window.is_some_and(|window| window.is_zero()) {
        anyhow::bail!("invalid --window 0: give a period such as 1h or 1d");
    }
    let mut window = args.window.unwrap_or(std::time::Duration::from_secs(3600));
    let mut limit = None;
    let (state, only_job) = match &args.job_file {
        Some(job_file) => {
            let overrides = Overrides {
                state: args.state.clone(),
                ..Overrides::default()
            };
            let config = JobConfig::load(job_file, &overrides)?;
            if let (None, Some(quota)) = (args.window, config.quota.limit) {
                window = quota.period;
                limit = Some(u64::from(quota.calls));
            }
            let id = job_id(&config);
            (config.state, Some(id))
        }
        None => (args.state.clone().unwrap_or_else(default_state_path), None),
    };
    if !state.exists() {
        anyhow::bail!(
            "state file {} does not exist yet; it is created by the first run",
            state.display()
        );
    }
    let connection = open_reader(&state)?;
    let window_ms = window.as_millis() as i64;
    let now = now_millis();

    let mut job_statuses = Vec::new();
    for job in jobs::list_jobs(&connection)? {
        if only_job.as_ref().is_some_and(|id| *id != job.job_id) {
            continue;
        }
        let last_run = jobs::last_run(&connection, &job.job_id)?.map(|run| LastRun {
            run_id: run.run_id,
            started_at: rfc3339_millis(run.started_at),
            started_at_ms: run.started_at,
            exit_code: run.exit_code,
            api_calls: run.api_calls,
            message: run.message,
        });
        job_statuses.push(JobStatus {
            rows_by_state: rows::count_by_state(&connection, &job.job_id)?
                .into_iter()
                .collect(),
            input_rows: jobs::input_rows(&connection, &job.job_id)?,
            job_id: job.job_id,
            name: job.name,
            kind: job.kind,
            input: job.input_path,
            last_run,
        });
    }

    let mut quota_used = Vec::new();
    for (credential, pool, calls, token_calls) in
        ledger::credentials_in_window(&connection, now - window_ms)?
    {
        let used = ledger::window_use(&connection, &credential, &pool, window_ms, now)?;
        let has_room = limit.is_some_and(|limit| calls + token_calls < limit);
        let next_free_slot_ms = used
            .oldest_at
            .filter(|_| !has_room)
            .map(|oldest| oldest + window_ms);
        quota_used.push(QuotaUse {
            credential,
            pool,
            calls,
            token_calls,
            next_free_slot: next_free_slot_ms.map(rfc3339_millis),
            next_free_slot_ms,
        });
    }

    let status = Status {
        state_file: state.display().to_string(),
        jobs: job_statuses,
        quota_window: crate::quota::format_duration(window),
        quota_used,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&status)?);
    } else {
        print_status(&status);
    }
    Ok(Exit::Success)
}

fn print_status(status: &Status) {
    println!("state file {}", status.state_file);
    if status.jobs.is_empty() {
        println!("  no jobs");
    }
    for job in &status.jobs {
        println!("job {} ({}, kind {})", job.name, job.job_id, job.kind);
        println!("  input: {}", job.input);
        if let Some(rows) = job.input_rows {
            println!("  input rows: {rows}");
        }
        let states = job
            .rows_by_state
            .iter()
            .map(|(state, count)| format!("{count} {state}"))
            .collect::<Vec<_>>()
            .join(", ");
        println!(
            "  rows: {}",
            if states.is_empty() {
                "none yet".into()
            } else {
                states
            }
        );
        if let Some(run) = &job.last_run {
            let exit = run
                .exit_code
                .map(|code| code.to_string())
                .unwrap_or_else(|| "none (still running, or killed)".into());
            println!(
                "  last run {}: started {}, exit {exit}, {} API calls",
                run.run_id,
                describe_millis(run.started_at_ms),
                run.api_calls.unwrap_or(0)
            );
        }
    }
    println!("calls in the last {}:", status.quota_window);
    if status.quota_used.is_empty() {
        println!("  none");
    }
    for used in &status.quota_used {
        println!(
            "  credential {} pool {}: {} calls ({} token requests); next free slot {}",
            used.credential,
            used.pool,
            used.calls,
            used.token_calls,
            used.next_free_slot_ms
                .map(describe_millis)
                .unwrap_or_else(|| "now".into())
        );
    }
}
