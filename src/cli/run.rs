//! `usps-batch run`: run a job file.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::cli::logging::{self, LogFormat};
use crate::exit::Exit;
use crate::job::{JobConfig, Overrides};
use crate::output::progress::ProgressMode;
use crate::quota::{parse_duration, Quota};
use crate::scheduler::run::{run_job, RunOptions};
use crate::scheduler::signals;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The job file (TOML).
    pub job_file: PathBuf,
    /// Manifest to read instead of the job file's `input`.
    #[arg(long, value_name = "PATH")]
    pub input: Option<PathBuf>,
    /// Folder for the output, error report and summary.
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// State file (SQLite) with checkpoints, quota ledger and cache.
    #[arg(long, value_name = "PATH")]
    pub state: Option<PathBuf>,
    /// Environment: the in-process sandbox, the USPS test environment, or production.
    #[arg(long, value_parser = ["sandbox", "tem", "prod"])]
    pub env: Option<String>,
    /// Server to call instead of the environment's host, such as a sandbox started apart.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Server of the token requests, when it is not the API server (such as a proxy).
    #[arg(long, value_name = "URL")]
    pub token_url: Option<String>,
    /// Call quota as a count per period: 60/h, 1000/d, 20/5s, or unlimited.
    #[arg(long, value_name = "N/PERIOD", value_parser = parse_quota)]
    pub quota: Option<Quota>,
    /// Requests in flight at once, from 1 to 64.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: Option<u16>,
    /// Maximum wait for a free quota slot before the run stops with exit code 75, such as
    /// 15m or 2h; 0 never waits.
    #[arg(long, value_name = "DURATION", value_parser = parse_wait)]
    pub max_wait: Option<Duration>,
    /// Forget this job's checkpoints and process every row again (the cache still applies).
    #[arg(long)]
    pub fresh: bool,
    /// Send rows that failed with a final error in an earlier run again. Their requests skip
    /// the cache, which would only return the same response.
    #[arg(long)]
    pub retry_errors: bool,
    /// Ignore responses cached by earlier runs; identical rows of this run still share one call.
    #[arg(long)]
    pub no_cache: bool,
    /// Show no progress, log only errors, and print the closing summary only when the run
    /// failed (an exit code other than 0, 3 and 75), so that cron mails only failures.
    #[arg(long, short)]
    pub quiet: bool,
    /// Log format on stderr.
    #[arg(long, value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// More log detail: -v for info, -vv for debug.
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

pub fn parse_quota(text: &str) -> Result<Quota, String> {
    text.parse::<Quota>().map_err(|error| error.to_string())
}

pub fn parse_wait(text: &str) -> Result<Duration, String> {
    parse_duration(text).map_err(|reason| format!("invalid duration {text:?}: {reason}"))
}

pub async fn run(args: RunArgs) -> anyhow::Result<Exit> {
    signals::install();
    logging::init(args.log_format, args.verbose, args.quiet);
    let overrides = Overrides {
        input: args.input,
        output_dir: args.output_dir,
        state: args.state,
        env: args.env,
        base_url: args.base_url,
        token_url: args.token_url,
        quota: args.quota,
        concurrency: args.concurrency.map(usize::from),
        max_wait: args.max_wait,
    };
    let config = JobConfig::load(&args.job_file, &overrides)?;
    let options = RunOptions {
        fresh: args.fresh,
        retry_errors: args.retry_errors,
        no_cache: args.no_cache,
        progress: ProgressMode::detect(args.quiet),
    };
    let report = run_job(&config, &options).await?;
    // 3 (rows with errors) and 75 (resumable stop) are normal ends of a nightly run, and the
    // summary file has their details.
    let expected_end = matches!(
        report.exit,
        Exit::Success | Exit::RowErrors | Exit::Resumable
    );
    if !(args.quiet && expected_end) {
        match args.log_format {
            // JSON logs stay one JSON object per line.
            LogFormat::Json if expected_end => tracing::info!(
                target: "usps_batch::progress",
                exit_code = report.exit.code(),
                "{}",
                report.message
            ),
            LogFormat::Json => {
                tracing::error!(exit_code = report.exit.code(), "{}", report.message)
            }
            LogFormat::Text => eprintln!("{}", report.message),
        }
    }
    Ok(report.exit)
}
