//! `usps-batch cancel`: cancel labels of a label job, or request their refund.

use std::collections::BTreeSet;
use std::path::PathBuf;

use clap::Args;

use crate::cli::logging::{self, LogFormat};
use crate::exit::Exit;
use crate::job::{JobConfig, Overrides};
use crate::scheduler::cancel::{cancel_job, parse_rows, CancelSelection};

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("selection").required(true).args(["rows", "status"])))]
pub struct CancelArgs {
    /// The label job's file (TOML).
    pub job_file: PathBuf,
    /// Rows whose labels to cancel, by record number as in the outputs' `row` column, such as
    /// 3,7,10-12.
    #[arg(long, value_name = "LIST", value_parser = parse_rows)]
    pub rows: Option<BTreeSet<u64>>,
    /// Cancel the labels of the rows with this `usps_status`; `ok` selects every bought label.
    #[arg(long, value_name = "STATUS")]
    pub status: Option<String>,
    /// Folder of the job's outputs, where `<job>.cancel.csv` is written.
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// State file (SQLite) of the job.
    #[arg(long, value_name = "PATH")]
    pub state: Option<PathBuf>,
    /// Environment of the labels: the sandbox, the USPS test environment, or production.
    #[arg(long, value_parser = ["sandbox", "tem", "prod"])]
    pub env: Option<String>,
    /// Server to call instead of the environment's host, such as a sandbox started apart.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Log only errors.
    #[arg(long, short)]
    pub quiet: bool,
    /// Log format on stderr.
    #[arg(long, value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// More log detail: -v for info, -vv for debug.
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

pub async fn run(args: CancelArgs) -> anyhow::Result<Exit> {
    logging::init(args.log_format, args.verbose, args.quiet);
    let overrides = Overrides {
        output_dir: args.output_dir,
        state: args.state,
        env: args.env,
        base_url: args.base_url,
        ..Overrides::default()
    };
    let config = JobConfig::load(&args.job_file, &overrides)?;
    let selection = CancelSelection {
        rows: args.rows,
        status: args.status,
    };
    let report = cancel_job(&config, &selection).await?;
    if !args.quiet || report.exit != Exit::Success {
        eprintln!("{}", report.message);
    }
    Ok(report.exit)
}
