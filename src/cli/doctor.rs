//! `usps-batch doctor`: check credentials, token, API access and quota before a first run.

use std::path::PathBuf;

use clap::Args;

use crate::cli::logging::{self, LogFormat};
use crate::doctor::{diagnose, Report, Target};
use crate::exit::Exit;
use crate::job::{default_state_path, Environment, JobConfig, Overrides, QuotaPool};
use crate::quota::Quota;

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Job file whose API, quota and manifest to check; without one, the default Public
    /// Access APIs that usps-batch calls are checked.
    pub job_file: Option<PathBuf>,
    /// Environment to check: the in-process sandbox, the USPS test environment, or
    /// production.
    #[arg(long, value_parser = ["sandbox", "tem", "prod"])]
    pub env: Option<String>,
    /// Server to call instead of the environment's host, such as a sandbox started apart.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Server of the token requests, when it is not the API server.
    #[arg(long, value_name = "URL")]
    pub token_url: Option<String>,
    /// State file whose quota ledger records doctor's calls.
    #[arg(long, value_name = "PATH")]
    pub state: Option<PathBuf>,
    /// Call quota of the app, as in a job file: 60/h (the USPS default), 600/m, unlimited.
    /// A job file's `quota` wins over the default, and this option over both.
    #[arg(long, value_name = "N/PERIOD", value_parser = super::run::parse_quota)]
    pub quota: Option<Quota>,
    /// Print the checklist as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// More log detail: -v for info, -vv for debug.
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

pub async fn run(args: DoctorArgs) -> anyhow::Result<Exit> {
    logging::init(LogFormat::Text, args.verbose, false);
    let target = match &args.job_file {
        Some(job_file) => {
            let overrides = Overrides {
                state: args.state.clone(),
                env: args.env.clone(),
                base_url: args.base_url.clone(),
                token_url: args.token_url.clone(),
                quota: args.quota,
                ..Overrides::default()
            };
            Target::of_job(JobConfig::load(job_file, &overrides)?)
        }
        None => Target {
            environment: Environment::parse(
                args.env.as_deref().unwrap_or("sandbox"),
                args.base_url.as_deref(),
            )
            .map_err(anyhow::Error::msg)?,
            token_url: args
                .token_url
                .as_ref()
                .map(|url| url.trim_end_matches('/').to_string()),
            state: args.state.clone().unwrap_or_else(default_state_path),
            quota: args.quota.unwrap_or(Quota::USPS_DEFAULT),
            quota_pool: QuotaPool::Shared,
            sandbox: Default::default(),
            job: None,
        },
    };
    let report = diagnose(&target).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
    }
    Ok(if report.ok {
        Exit::Success
    } else {
        Exit::Fatal
    })
}

fn print_report(report: &Report) {
    let job = report
        .job
        .as_ref()
        .map(|job| format!(", job {job}"))
        .unwrap_or_default();
    println!(
        "usps-batch doctor: env {}, API {}{job}",
        report.env, report.base_url
    );
    let width = report
        .checks
        .iter()
        .map(|check| check.name.len())
        .max()
        .unwrap_or(0);
    for check in &report.checks {
        println!(
            "  {:<4}  {:<width$}  {}",
            check.status.label(),
            check.name,
            check.detail
        );
        if let Some(fix) = &check.fix {
            println!("        {:<width$}  fix: {fix}", "");
        }
    }
    let spent = report.calls_spent;
    println!(
        "doctor made {} calls ({} token {}, {} API {}), recorded in the quota ledger of {}",
        spent.token_requests + spent.api_calls,
        spent.token_requests,
        plural(spent.token_requests, "request", "requests"),
        spent.api_calls,
        plural(spent.api_calls, "call", "calls"),
        report.state_file
    );
    let failed = report
        .checks
        .iter()
        .filter(|check| check.status == crate::doctor::CheckStatus::Failed)
        .count();
    match failed {
        0 => println!("result: ready"),
        1 => println!("result: 1 check failed"),
        _ => println!("result: {failed} checks failed"),
    }
}

fn plural(count: u64, singular: &'static str, plural: &'static str) -> &'static str {
    if count == 1 {
        singular
    } else {
        plural
    }
}
