//! `usps-batch plan`: check a manifest and count the calls a run needs, without any call.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use serde::Serialize;

use crate::cli::logging::{self, LogFormat};
use crate::exit::Exit;
use crate::job::{Credentials, Environment, JobConfig, Overrides};
use crate::kinds::{kind_for, Kind};
use crate::manifest::{ColumnMap, ManifestReader};
use crate::output::time::{describe_millis, rfc3339_millis};
use crate::scheduler::limiter::SHARED_POOL;
use crate::scheduler::run::{compare_with_last_run, job_id, server_key};
use crate::scheduler::scan::{scan, ScanInput, ScanItem};
use crate::scheduler::Counters;
use crate::state::{credential_hash, ledger, now_millis, CacheLookup, Store};

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The job file (TOML).
    pub job_file: PathBuf,
    /// Manifest to read instead of the job file's `input`.
    #[arg(long, value_name = "PATH")]
    pub input: Option<PathBuf>,
    /// State file to look up checkpoints, cache and quota in.
    #[arg(long, value_name = "PATH")]
    pub state: Option<PathBuf>,
    /// Environment whose cache and quota count.
    #[arg(long, value_parser = ["sandbox", "tem", "prod"])]
    pub env: Option<String>,
    /// Print the plan as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// More log detail: -v for info, -vv for debug.
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// The plan of a job.
#[derive(Debug, Serialize)]
pub struct Plan {
    pub job: String,
    pub job_id: String,
    pub rows: u64,
    /// Rows finished by earlier runs.
    pub finished_rows: u64,
    /// Rows that fail local checks, by error code.
    pub invalid_rows: BTreeMap<String, u64>,
    pub cache_hits: u64,
    /// Distinct requests among the rows that need a call.
    pub unique_requests: u64,
    /// Calls a run needs (one per distinct request, or per batch of distinct requests for a
    /// kind that batches), token requests excluded.
    pub calls_needed: u64,
    /// Token requests a run needs: one when it makes calls, which the quota counts too.
    pub token_calls_needed: u64,
    pub quota: String,
    /// Calls still free in the current window, when the quota is limited.
    pub quota_free_now: Option<u64>,
    /// Estimated finish at the quota's pace (RFC 3339, UTC).
    pub expected_finish: Option<String>,
    #[serde(skip)]
    pub expected_finish_at: Option<i64>,
}

pub async fn run(args: PlanArgs) -> anyhow::Result<Exit> {
    logging::init(LogFormat::Text, args.verbose, false);
    let overrides = Overrides {
        input: args.input,
        state: args.state,
        env: args.env,
        ..Overrides::default()
    };
    let config = JobConfig::load(&args.job_file, &overrides)?;
    let plan = make_plan(&config).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&plan)?);
    } else {
        print_plan(&plan);
    }
    Ok(Exit::Success)
}

/// Scans the manifest as a run would, counting instead of calling.
pub async fn make_plan(config: &JobConfig) -> anyhow::Result<Plan> {
    let kind: Arc<dyn Kind> = Arc::from(kind_for(config));
    let rows_per_call = kind
        .batching()
        .map_or(1, |batching| batching.max_rows() as u64);
    let reader = ManifestReader::open(&config.input, config.format, config.encoding)?;
    let columns = ColumnMap::resolve(
        kind.fields(),
        &config.columns,
        reader.headers(),
        &config.input,
    )?;
    kind.check_columns(&columns)
        .map_err(|reason| anyhow::anyhow!("job file {}: {reason}", config.job_file.display()))?;
    // Opening the store creates the state file if needed, so the scan's reader can open it.
    let store = Store::open(&config.state)?;
    let job_id = job_id(config);
    // A rewritten input or changed settings stop `run` before any call, and so stop the plan.
    compare_with_last_run(&store, config, &job_id, false).await?;
    let counters = Arc::new(Counters::default());
    let env = server_key(config);
    let input = ScanInput {
        reader,
        columns,
        kind: kind.clone(),
        state_path: config.state.clone(),
        job_id: job_id.clone(),
        env: env.clone(),
        run_id: -1,
        cache: CacheLookup {
            fresh_after: now_millis() - config.cache_ttl.as_millis() as i64,
            only_run: None,
        },
        retry_errors: false,
        rescan_from_byte: u64::MAX,
        counters: counters.clone(),
    };
    let (sender, mut receiver) = tokio::sync::mpsc::channel(1024);
    let scanner = tokio::task::spawn_blocking(move || scan(input, sender));

    let mut invalid_rows: BTreeMap<String, u64> = BTreeMap::new();
    let mut unique = DistinctKeys::new()?;
    while let Some(item) = receiver.recv().await {
        match item {
            ScanItem::Fatal(message) => anyhow::bail!("{}: {message}", config.input.display()),
            ScanItem::Resolved { outcome, .. } => {
                let local = outcome
                    .error
                    .as_ref()
                    .filter(|error| error.http_status.is_none());
                if let Some(error) = local {
                    *invalid_rows.entry(error.code.clone()).or_default() += 1;
                }
            }
            // A cached response needs no call, and only its interpretation could fail.
            ScanItem::Cached(_) => {}
            ScanItem::Work(work) => {
                unique.insert(&work.key)?;
                // A label job that validates addresses first sends one lookup per distinct
                // destination. NOTE: lookups that the cache would answer are counted too.
                if let Some(check) = kind.check_request(&work.request) {
                    unique.insert(&check.key())?;
                }
            }
        }
    }
    scanner.await?;

    let client_id = match &config.environment {
        Environment::Sandbox { .. } => Credentials::sandbox().client_id,
        Environment::Remote { .. } => Credentials::from_env()
            .map(|credentials| credentials.client_id)
            .unwrap_or_default(),
    };
    let credential = credential_hash(&env, &client_id);
    let unique_requests = unique.finish()?;
    let calls_needed = unique_requests.div_ceil(rows_per_call);
    let token_calls_needed = u64::from(calls_needed > 0);
    let quota_calls = calls_needed + token_calls_needed;
    let (quota_free_now, expected_finish) = match config.quota.limit {
        None => (None, None),
        Some(limit) => {
            let window = limit.period.as_millis() as i64;
            let now = now_millis();
            let used = store
                .call(move |connection| {
                    ledger::window_use(connection, &credential, SHARED_POOL, window, now)
                })
                .await?;
            let free = (limit.calls as u64).saturating_sub(used.calls);
            let finish = if quota_calls <= free {
                now
            } else {
                // Each later window grants `calls` more; the first frees when the oldest
                // call of the current one leaves it. An estimate: retries and the token
                // requests of later runs are not counted.
                let windows = (quota_calls - free).div_ceil(limit.calls as u64) as i64;
                used.oldest_at.unwrap_or(now) + window * windows
            };
            (Some(free), Some(finish))
        }
    };

    Ok(Plan {
        job: config.name.clone(),
        job_id,
        rows: Counters::get(&counters.rows_read),
        finished_rows: Counters::get(&counters.rows_skipped),
        invalid_rows,
        cache_hits: Counters::get(&counters.cache_hits),
        unique_requests,
        calls_needed,
        token_calls_needed,
        quota: config.quota.to_string(),
        quota_free_now,
        expected_finish: expected_finish.map(rfc3339_millis),
        expected_finish_at: expected_finish,
    })
}

/// Counts distinct request keys in a temporary SQLite database, which spills to disk, so
/// that `plan` keeps bounded memory however many distinct requests a manifest has.
struct DistinctKeys {
    connection: rusqlite::Connection,
    count: u64,
    pending: u64,
}

/// Keys inserted per transaction.
const KEYS_PER_TRANSACTION: u64 = 10_000;

impl DistinctKeys {
    fn new() -> rusqlite::Result<DistinctKeys> {
        // An empty path opens a private temporary database on disk.
        let connection = rusqlite::Connection::open("")?;
        connection
            .execute_batch("CREATE TABLE keys (key BLOB PRIMARY KEY) WITHOUT ROWID; BEGIN;")?;
        Ok(DistinctKeys {
            connection,
            count: 0,
            pending: 0,
        })
    }

    fn insert(&mut self, key: &[u8; 16]) -> rusqlite::Result<()> {
        let added = self
            .connection
            .prepare_cached("INSERT OR IGNORE INTO keys (key) VALUES (?1)")?
            .execute([&key[..]])?;
        self.count += added as u64;
        self.pending += 1;
        if self.pending >= KEYS_PER_TRANSACTION {
            self.connection.execute_batch("COMMIT; BEGIN;")?;
            self.pending = 0;
        }
        Ok(())
    }

    fn finish(self) -> rusqlite::Result<u64> {
        self.connection.execute_batch("COMMIT;")?;
        Ok(self.count)
    }
}

fn print_plan(plan: &Plan) {
    println!("job {} ({})", plan.job, plan.job_id);
    println!("  rows:            {}", plan.rows);
    println!("  finished before: {}", plan.finished_rows);
    let invalid: u64 = plan.invalid_rows.values().sum();
    println!("  invalid rows:    {invalid}");
    for (code, count) in &plan.invalid_rows {
        println!("    {code}: {count}");
    }
    println!("  cache hits:      {}", plan.cache_hits);
    println!("  unique requests: {}", plan.unique_requests);
    let plural = if plan.token_calls_needed == 1 {
        ""
    } else {
        "s"
    };
    println!(
        "  calls needed:    {} (and {} token request{plural})",
        plan.calls_needed, plan.token_calls_needed
    );
    println!("  quota:           {}", plan.quota);
    if let Some(free) = plan.quota_free_now {
        println!("  free now:        {free}");
    }
    if let Some(finish) = plan.expected_finish_at {
        println!("  expected finish: {} (estimate)", describe_millis(finish));
    }
}
