//! One run of a job, from the job file to the outputs.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use crate::client::UspsClient;
use crate::exit::Exit;
use crate::job::settings::settings_digest;
use crate::job::{Credentials, Environment, JobConfig, JobKind, SandboxOptions};
use crate::kinds::{kind_for, Kind};
use crate::manifest::{ColumnMap, ManifestReader};
use crate::output::labels::write_label_outputs;
use crate::output::progress::{Progress, ProgressMode};
use crate::output::report::{write_reports, OutputFiles, ReportInput};
use crate::output::summary::Summary;
use crate::output::time::{describe_millis, rfc3339_millis};
use crate::quota::{parse_duration, Quota};
use crate::sandbox::{Sandbox, SandboxConfig};
use crate::scheduler::cancel::mark_cancelled_rows;
use crate::scheduler::dispatch::Dispatcher;
use crate::scheduler::fingerprint::{fingerprint, Fingerprint};
use crate::scheduler::limiter::LimiterConfig;
use crate::scheduler::scan::{scan, ScanInput};
use crate::scheduler::signals;
use crate::scheduler::{Counters, Limiter, Stop, StopFlag};
use crate::state::{credential_hash, jobs, now_millis, rows, CacheLookup, Store};

/// Options of `usps-batch run` that are not part of the job.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub fresh: bool,
    pub retry_errors: bool,
    pub no_cache: bool,
    pub progress: ProgressMode,
}

/// Result of a run.
#[derive(Debug)]
pub struct RunReport {
    pub exit: Exit,
    pub summary: Summary,
    pub files: OutputFiles,
    /// One paragraph for the user: what happened and what to do next.
    pub message: String,
}

/// Returns the id of a job in the state file: its name and a hash of its input's path, so that
/// one job file run on two inputs keeps two sets of checkpoints.
pub fn job_id(config: &JobConfig) -> String {
    let path = std::fs::canonicalize(&config.input).unwrap_or_else(|_| config.input.clone());
    let digest = Sha256::digest(path.to_string_lossy().as_bytes());
    format!("{}-{}", config.name, hex::encode(&digest[..4]))
}

/// Returns the key under which the state file keeps the cache and the quota ledger of the
/// server a job calls. It names the server, not only the environment, so that responses of a
/// sandbox behind `--base-url` never serve a run against USPS, and two sandboxes with
/// different seeds never share responses.
pub fn server_key(config: &JobConfig) -> String {
    server_key_of(&config.environment, &config.sandbox)
}

/// Returns the server key of `environment`; `sandbox` gives the seed of an in-process
/// sandbox.
pub fn server_key_of(environment: &Environment, sandbox: &SandboxOptions) -> String {
    match environment {
        Environment::Sandbox { base_url: None } => {
            let seed = sandbox.seed.unwrap_or(SandboxConfig::default().seed);
            format!("sandbox:in-process:seed={seed}")
        }
        Environment::Sandbox {
            base_url: Some(base_url),
        } => format!("sandbox:{base_url}"),
        Environment::Remote { name, base_url } => format!("{name}:{base_url}"),
    }
}

/// Takes the job's lock beside the state file, so that two runs of one job cannot send the
/// same rows twice. The lock is released when the process ends, however it ends.
pub(crate) fn lock_job(config: &JobConfig, job_id: &str) -> anyhow::Result<std::fs::File> {
    let mut name = config.state.as_os_str().to_owned();
    name.push(format!(".{job_id}.lock"));
    let path = std::path::PathBuf::from(name);
    lock_file(&path, || {
        format!(
            "job {:?} is already running on state file {} (lock {} is held); wait for that run to end",
            config.name,
            config.state.display(),
            path.display()
        )
    })
}

/// Builds the quota limiter and the HTTP client of a job, with payment authorization for a
/// label job.
pub(crate) fn build_client(
    config: &JobConfig,
    store: &Store,
    connection: &Connection,
    job_id: &str,
    counters: &Arc<Counters>,
) -> (Arc<Limiter>, UspsClient) {
    let env = server_key(config);
    let limiter = Arc::new(Limiter::new(
        store.clone(),
        LimiterConfig {
            credential: credential_hash(&env, &connection.credentials.client_id),
            quota: config.quota,
            pool: config.quota_pool,
            burst: config.burst,
            max_wait: config.max_wait,
            job_id: job_id.to_string(),
        },
        counters.clone(),
    ));
    let mut client = UspsClient::new(
        connection.base_url.clone(),
        connection.token_url.clone(),
        connection.credentials.clone(),
        limiter.clone(),
        counters.clone(),
    );
    if let Some(labels) = &config.labels {
        client = client.with_payments(labels.payment.roles());
    }
    (limiter, client)
}

/// Takes the lock of the job's output files. Runs of one job file on two inputs are two jobs
/// in the state file, but they write the same output files.
pub(crate) fn lock_outputs(config: &JobConfig) -> anyhow::Result<std::fs::File> {
    let path = config.output_dir.join(format!(".{}.lock", config.name));
    lock_file(&path, || {
        format!(
            "another run is writing the outputs of job {:?} in {} (lock {} is held); wait for it to end, or give this run another --output-dir",
            config.name,
            config.output_dir.display(),
            path.display()
        )
    })
}

/// Creates `path` and locks it, or fails with `busy()` while another process holds it.
fn lock_file(
    path: &std::path::Path,
    busy: impl FnOnce() -> String,
) -> anyhow::Result<std::fs::File> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .with_context(|| format!("cannot create lock file {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(anyhow::Error::msg(busy())),
        Err(std::fs::TryLockError::Error(error)) => {
            Err(error).with_context(|| format!("cannot lock {}", path.display()))
        }
    }
}

/// Creates the output folder and checks that files can be written there, before any call
/// is spent.
fn check_output_dir(dir: &std::path::Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create output folder {}", dir.display()))?;
    let probe = dir.join(format!(".usps-batch-probe-{}", std::process::id()));
    std::fs::write(&probe, b"").with_context(|| {
        format!(
            "cannot write to output folder {}; choose another with --output-dir",
            dir.display()
        )
    })?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// The server a run talks to, and the sandbox it started, if any.
pub struct Connection {
    pub base_url: String,
    /// Server of the token requests: `base_url` unless the job sets `token_url`.
    pub token_url: String,
    pub credentials: Credentials,
    pub sandbox: Option<Sandbox>,
}

/// Resolves the environment: starts the in-process sandbox, or reads the credentials of a
/// remote environment. Fails before any row is read when credentials are missing.
pub async fn connect(config: &JobConfig) -> anyhow::Result<Connection> {
    connect_to(
        &config.environment,
        config.token_url.as_deref(),
        &config.sandbox,
        config.quota,
    )
    .await
}

/// Resolves `environment` as [`connect`] does, for callers without a job: `sandbox` and
/// `quota` configure an in-process sandbox.
pub async fn connect_to(
    environment: &Environment,
    token_url: Option<&str>,
    sandbox: &SandboxOptions,
    quota: Quota,
) -> anyhow::Result<Connection> {
    let token_url_or = |base_url: &str| token_url.unwrap_or(base_url).to_string();
    match environment {
        Environment::Sandbox {
            base_url: Some(base_url),
        } => Ok(Connection {
            base_url: base_url.clone(),
            token_url: token_url_or(base_url),
            credentials: sandbox_credentials(),
            sandbox: None,
        }),
        Environment::Sandbox { base_url: None } => {
            // Nothing reads this sandbox's stats, and a run served from the cache needs no ZIP
            // Code index. Both would count in the runner's memory, so neither is kept.
            let sandbox_config = SandboxConfig {
                record_repeats: false,
                build_index_at_start: false,
                ..sandbox_config_of(sandbox, quota)?
            };
            let listen = SocketAddr::from(([127, 0, 0, 1], 0));
            let sandbox = Sandbox::start(sandbox_config, listen)
                .await
                .context("cannot start the in-process sandbox")?;
            tracing::info!(address = %sandbox.local_addr(), "sandbox started in-process");
            Ok(Connection {
                base_url: sandbox.base_url(),
                token_url: token_url_or(&sandbox.base_url()),
                credentials: Credentials::sandbox(),
                sandbox: Some(sandbox),
            })
        }
        Environment::Remote { base_url, .. } => {
            let credentials = Credentials::from_env().map_err(anyhow::Error::msg)?;
            Ok(Connection {
                base_url: base_url.clone(),
                token_url: token_url_or(base_url),
                credentials,
                sandbox: None,
            })
        }
    }
}

/// Returns the sandbox credentials: those in the environment when set, for a sandbox
/// started apart with other credentials, else the built-in ones.
fn sandbox_credentials() -> Credentials {
    Credentials::from_env().unwrap_or_else(|_| Credentials::sandbox())
}

/// Builds the in-process sandbox's settings from the job's `[sandbox]` table. Its quota
/// defaults to the job's, so a runner that keeps its quota meets no 429.
pub fn sandbox_config(config: &JobConfig) -> anyhow::Result<SandboxConfig> {
    sandbox_config_of(&config.sandbox, config.quota)
}

/// Builds an in-process sandbox's settings from a `[sandbox]` table and the job's quota.
pub fn sandbox_config_of(
    options: &SandboxOptions,
    job_quota: Quota,
) -> anyhow::Result<SandboxConfig> {
    let defaults = SandboxConfig::default();
    let quota = match &options.quota {
        Some(text) => text.parse::<Quota>()?,
        None => job_quota,
    };
    let token_ttl = match &options.token_ttl {
        Some(text) => parse_duration(text).map_err(anyhow::Error::msg)?,
        None => defaults.token_ttl,
    };
    Ok(SandboxConfig {
        quota,
        token_ttl,
        latency: options
            .latency_ms
            .map(Duration::from_millis)
            .unwrap_or(defaults.latency),
        seed: options.seed.unwrap_or(defaults.seed),
        faults: options.faults.clone(),
        disabled_apis: options.disabled_apis.iter().cloned().collect(),
        balance: options
            .balance
            .as_deref()
            .map(|text| text.trim().parse())
            .transpose()
            .context("invalid [sandbox] balance")?,
        ..defaults
    })
}

/// Runs a job to its end or to a stop, and writes its outputs.
pub async fn run_job(config: &JobConfig, options: &RunOptions) -> anyhow::Result<RunReport> {
    let started = Instant::now();
    let kind: Arc<dyn Kind> = Arc::from(kind_for(config));

    // Everything that can be checked without a call is checked first: the manifest's
    // header and mapping, the credentials, and the state file.
    let reader = ManifestReader::open(&config.input, config.format, config.encoding)?;
    let columns = ColumnMap::resolve(
        kind.fields(),
        &config.columns,
        reader.headers(),
        &config.input,
    )?;
    kind.check_columns(&columns)
        .map_err(|reason| anyhow::anyhow!("job file {}: {reason}", config.job_file.display()))?;
    check_output_dir(&config.output_dir)?;
    let connection = connect(config).await?;
    let store = Store::open(&config.state)?;
    let job_id = job_id(config);
    let _job_lock = lock_job(config, &job_id)?;
    let _output_lock = lock_outputs(config)?;
    let rescan_from_byte =
        check_input(&store, config, &job_id, kind.as_ref(), options.fresh).await?;
    let run_id = {
        let job_id = job_id.clone();
        store
            .call(move |connection| jobs::start_run(connection, &job_id, now_millis()))
            .await?
    };
    tracing::info!(
        job = %config.name,
        job_id = %job_id,
        run_id,
        kind = config.kind.name(),
        input = %config.input.display(),
        env = config.environment.name(),
        quota = %config.quota,
        "run started"
    );

    let counters = Arc::new(Counters::default());
    let env = server_key(config);
    let (limiter, client) = build_client(config, &store, &connection, &job_id, &counters);
    // A label job checks its access and payment account before its first call, so that a
    // missing scope or an account without funds stops the run with every row untouched. A
    // rerun with nothing to buy makes no call and so runs no preflight.
    let client = match &config.labels {
        Some(_) => client.with_label_preflight(),
        None => client,
    };
    let client = Arc::new(client);
    let stop = Arc::new(StopFlag::new(limiter));
    let signals = tokio::spawn(stop_on_signal(stop.clone()));

    let cache = CacheLookup {
        fresh_after: now_millis() - config.cache_ttl.as_millis() as i64,
        // A retried final error would only get its cached response back, so --retry-errors
        // reads the cache as --no-cache does.
        only_run: (options.no_cache || options.retry_errors).then_some(run_id),
    };
    let progress = Progress::start(options.progress, counters.clone(), config.quota);
    let (sender, receiver) = mpsc::channel(1024);
    let scan_input = ScanInput {
        reader,
        columns,
        kind: kind.clone(),
        state_path: config.state.clone(),
        job_id: job_id.clone(),
        env: env.clone(),
        run_id,
        cache,
        retry_errors: options.retry_errors,
        rescan_from_byte,
        counters: counters.clone(),
    };
    let dispatcher = Dispatcher {
        store: store.clone(),
        client,
        kind: kind.clone(),
        counters: counters.clone(),
        job_id: job_id.clone(),
        job_name: config.name.clone(),
        env,
        run_id,
        cache,
        concurrency: config.concurrency,
        stop,
    };
    let scanner = tokio::task::spawn_blocking(move || scan(scan_input, sender));
    let end = dispatcher.run(receiver).await;
    scanner.await.context("the manifest scan failed")?;
    signals.abort();
    progress.finish().await;

    if let Some(fatal) = end.fatal {
        finish_run(&store, run_id, Exit::Fatal, &counters, &fatal).await;
        if let Some(sandbox) = connection.sandbox {
            sandbox.shutdown().await;
        }
        anyhow::bail!("{}: {fatal}", config.input.display());
    }
    if end.stop.is_none() {
        let total = Counters::get(&counters.rows_read);
        let job_id = job_id.clone();
        store
            .call(move |connection| jobs::set_input_rows(connection, &job_id, total))
            .await?;
    }

    // Outputs cover every row: finished ones with their results, the rest as deferred.
    let files = OutputFiles::for_job(&config.output_dir, &config.name, config.format)
        .with_responses(&config.output_dir, &config.name, kind.as_ref());
    let stopped_by = match &end.stop {
        Some(Stop::QuotaExhausted { next_free_at }) => StoppedBy::Quota(*next_free_at),
        Some(Stop::Outage { .. }) => StoppedBy::Outage,
        _ => StoppedBy::Other,
    };
    let (deferred_code, deferred_message) = stopped_by.deferred_reason();
    if config.kind == JobKind::Labels {
        // The output shows a cancel through its row's outcome. Cancels that earlier versions
        // recorded, and cancelled labels that a --fresh run fetched again, get it here.
        let job_id = job_id.clone();
        let marked = store
            .call(move |connection| mark_cancelled_rows(connection, &job_id))
            .await;
        if let Err(error) = marked {
            let message = format!("cannot record the cancels in the row outcomes: {error}");
            finish_run(&store, run_id, Exit::Fatal, &counters, &message).await;
            return Err(anyhow::anyhow!(message));
        }
    }
    let counts = {
        let report_input = ReportInputOwned {
            config: config.clone(),
            job_id: job_id.clone(),
            files: files.clone(),
            deferred: (deferred_code.to_string(), deferred_message.clone()),
        };
        let written = tokio::task::spawn_blocking(move || report_input.write())
            .await
            .context("writing the outputs failed")
            .and_then(|written| written);
        match written {
            Ok(counts) => counts,
            Err(error) => {
                // The run record must not stay open: status would show it as still running.
                let message = format!("{error:#}");
                finish_run(&store, run_id, Exit::Fatal, &counters, &message).await;
                return Err(error);
            }
        }
    };
    let label_totals = match config.kind {
        JobKind::Labels => {
            let config = config.clone();
            let job_id = job_id.clone();
            let written =
                tokio::task::spawn_blocking(move || write_label_outputs(&config, &job_id))
                    .await
                    .context("writing the label outputs failed")
                    .and_then(|written| written);
            match written {
                Ok(totals) => Some(totals),
                Err(error) => {
                    // As for the other outputs, the run record must not stay open.
                    let message = format!("{error:#}");
                    finish_run(&store, run_id, Exit::Fatal, &counters, &message).await;
                    return Err(error);
                }
            }
        }
        _ => None,
    };

    let failed_rows = counts.error_rows;
    let remaining = counts.by_status.get("deferred").copied().unwrap_or(0);
    let mut exit = match &end.stop {
        Some(stop) if stop.is_resumable() => Exit::Resumable,
        Some(_) => Exit::Fatal,
        None if failed_rows > 0 => Exit::RowErrors,
        None => Exit::Success,
    };
    // Bought labels whose files are gone need a person before the print file is complete.
    let missing_files = label_totals
        .as_ref()
        .is_some_and(|totals| !totals.missing_label_files.is_empty());
    if missing_files && matches!(exit, Exit::Success | Exit::RowErrors) {
        exit = Exit::Fatal;
    }
    let quota_free_at = match &end.stop {
        Some(Stop::QuotaExhausted { next_free_at }) => Some(*next_free_at),
        _ => None,
    };
    let api_calls = Counters::get(&counters.api_calls);
    let answered_rows = counts
        .rows
        .saturating_sub(Counters::get(&counters.local_errors))
        .saturating_sub(Counters::get(&counters.cache_hits))
        .saturating_sub(Counters::get(&counters.rows_skipped))
        .saturating_sub(remaining);
    // Three decimals are enough to tell 1 call per row from a retry every few hundred rows.
    let calls_per_row = (answered_rows > 0)
        .then(|| (api_calls as f64 / answered_rows as f64 * 1000.0).round() / 1000.0);
    let summary = Summary {
        job: config.name.clone(),
        job_id: job_id.clone(),
        kind: config.kind.name().to_string(),
        run_id,
        exit_code: exit.code(),
        rows: counts.rows,
        by_status: counts.by_status.clone(),
        api_calls,
        calls_per_row,
        token_calls: Counters::get(&counters.token_calls),
        retries: Counters::get(&counters.retries),
        rate_limited: Counters::get(&counters.rate_limited),
        cache_hits: Counters::get(&counters.cache_hits),
        deduplicated: Counters::get(&counters.deduplicated),
        local_errors: Counters::get(&counters.local_errors),
        resumed_rows: Counters::get(&counters.rows_skipped),
        remaining_rows: remaining,
        elapsed_seconds: (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
        finished_at: rfc3339_millis(now_millis()),
        stopped: end.stop.as_ref().map(|stop| stop.to_string()),
        quota_free_at: quota_free_at.map(rfc3339_millis),
        quota: config.quota.to_string(),
        state_file: config.state.display().to_string(),
        output: files.output.display().to_string(),
        error_report: files.errors.display().to_string(),
        responses: files
            .responses
            .as_ref()
            .map(|path| path.display().to_string()),
        labels: label_totals,
    };
    summary
        .write(&files.summary)
        .with_context(|| format!("cannot write {}", files.summary.display()))?;

    let mut message = describe_end(&summary, end.stop.as_ref(), remaining, &files);
    if let Some(totals) = &summary.labels {
        message.push_str(&describe_labels(totals));
    }
    finish_run(&store, run_id, exit, &counters, &message).await;
    tracing::info!(
        job_id = %job_id,
        run_id,
        exit_code = exit.code(),
        rows = summary.rows,
        api_calls = summary.api_calls,
        "run finished"
    );
    if let Some(sandbox) = connection.sandbox {
        sandbox.shutdown().await;
    }
    Ok(RunReport {
        exit,
        summary,
        files,
        message,
    })
}

/// Stops the run on the first Ctrl-C or SIGTERM: requests in flight finish and are
/// committed, and the outputs are written, as for a quota stop. A second signal exits at
/// once; the checkpoints already committed still let the next run resume.
async fn stop_on_signal(stop: Arc<StopFlag>) {
    signals::install();
    signals::received(1).await;
    tracing::warn!(
        target: "usps_batch::progress",
        "interrupted: finishing the requests in flight and writing the outputs; interrupt again to quit at once"
    );
    stop.set(Stop::Interrupted);
    signals::received(2).await;
    std::process::exit(130);
}

/// The reason a run left rows unprocessed, which sets the code and message of its deferred
/// rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StoppedBy {
    /// The quota is spent until this time, in milliseconds since the epoch.
    Quota(i64),
    Outage,
    Other,
}

impl StoppedBy {
    /// Reads the reason back from the summary of the run, for commands that rewrite the
    /// outputs after it, such as `cancel`.
    pub(crate) fn from_summary(summary: &Summary) -> StoppedBy {
        let free_at = summary
            .quota_free_at
            .as_deref()
            .and_then(|text| text.parse::<jiff::Timestamp>().ok());
        if let Some(free_at) = free_at {
            return StoppedBy::Quota(free_at.as_millisecond());
        }
        let outage = Stop::Outage {
            message: String::new(),
        }
        .to_string();
        let outage_prefix = outage.trim_end_matches([':', ' ']);
        match &summary.stopped {
            Some(stopped) if stopped.starts_with(outage_prefix) => StoppedBy::Outage,
            _ => StoppedBy::Other,
        }
    }

    /// Returns the error code and message of the rows that the run did not reach.
    pub(crate) fn deferred_reason(self) -> (&'static str, String) {
        match self {
            StoppedBy::Quota(next_free_at) => (
                "deferred_quota",
                format!(
                    "not processed yet: the quota is spent until {}; rerun to continue",
                    describe_millis(next_free_at)
                ),
            ),
            StoppedBy::Outage => (
                "deferred_outage",
                "not processed yet: the API was unavailable; rerun to continue".to_string(),
            ),
            StoppedBy::Other => (
                "deferred",
                "not processed yet: the run stopped early; rerun to continue".to_string(),
            ),
        }
    }
}

/// Owned inputs of the report writer, which runs on a blocking thread.
struct ReportInputOwned {
    config: JobConfig,
    job_id: String,
    files: OutputFiles,
    deferred: (String, String),
}

impl ReportInputOwned {
    fn write(self) -> anyhow::Result<crate::output::report::ReportCounts> {
        let kind = kind_for(&self.config);
        let input = ReportInput {
            input: &self.config.input,
            format: self.config.format,
            encoding: self.config.encoding,
            columns: &self.config.columns,
            kind: kind.as_ref(),
            state: &self.config.state,
            job_id: &self.job_id,
            files: &self.files,
            deferred: (&self.deferred.0, &self.deferred.1),
        };
        Ok(write_reports(&input)?)
    }
}

/// Reads the job file again and returns the digest of its request settings in the job's
/// environment.
fn read_settings_digest(config: &JobConfig) -> anyhow::Result<[u8; 16]> {
    let text = std::fs::read_to_string(&config.job_file)
        .with_context(|| format!("cannot read job file {}", config.job_file.display()))?;
    settings_digest(&text, config.environment.name())
        .with_context(|| format!("invalid job file {}", config.job_file.display()))
}

/// Result of [`compare_with_last_run`].
pub struct InputCheck {
    /// Bytes of the input that the last scan read, when the rows may be resumed.
    prefix: Option<u64>,
    whole: Fingerprint,
    settings: [u8; 16],
}

/// Compares the input and the job's settings with those of the job's last run. Fails, with
/// what to do, when finished rows would no longer match them because the file was rewritten
/// rather than appended to, or because a setting that changes requests was changed. `plan`
/// runs the same comparison, so that it predicts what `run` does.
pub async fn compare_with_last_run(
    store: &Store,
    config: &JobConfig,
    job_id: &str,
    fresh: bool,
) -> anyhow::Result<InputCheck> {
    let recorded = {
        let job_id = job_id.to_string();
        store
            .call(move |connection| jobs::get_job(connection, &job_id))
            .await?
    };
    let prefix = recorded
        .as_ref()
        .filter(|_| !fresh)
        .and_then(|job| job.input_hash.as_ref().map(|_| job.input_bytes));
    let input = config.input.clone();
    let (whole, head) = tokio::task::spawn_blocking(move || fingerprint(&input, prefix))
        .await?
        .with_context(|| format!("cannot read {}", config.input.display()))?;

    let settings = read_settings_digest(config)?;
    if let Some(recorded) = recorded.as_ref().filter(|_| !fresh) {
        // A job recorded before digests were kept has none, and takes this run's.
        if recorded
            .settings_digest
            .as_ref()
            .is_some_and(|digest| digest[..] != settings[..])
        {
            anyhow::bail!(
                "the settings of job {:?} changed since its last run (kind, columns, units, environment or another setting that changes requests or results), so the finished rows no longer match them. Run again with --fresh to process every row with the new settings (answers to unchanged requests still come from the cache), or restore the earlier settings to resume",
                config.name
            );
        }
    }

    if let (Some(job), Some(length)) = (&recorded, prefix) {
        if whole.length < length {
            anyhow::bail!(
                "{} is shorter than at the last run of job {:?} ({} bytes, was {length}), so rows were removed or rewritten, not only appended. Run again with --fresh to start over, or restore the file to resume",
                config.input.display(),
                config.name,
                whole.length
            );
        }
        let unchanged = head
            .as_ref()
            .is_some_and(|head| Some(&head.hash) == job.input_hash.as_ref());
        if !unchanged {
            anyhow::bail!(
                "{} changed since the last run of job {:?}: its first {length} bytes differ, so rows were rewritten, not only appended. Run again with --fresh to start over, or restore the file to resume",
                config.input.display(),
                config.name
            );
        }
        if whole.length > length {
            tracing::info!(
                added_bytes = whole.length - length,
                "the input grew since the last run; appended rows will be processed"
            );
        }
    }
    Ok(InputCheck {
        prefix,
        whole,
        settings,
    })
}

/// Runs [`compare_with_last_run`] and records the input and settings of this run, after
/// deleting the job's checkpoints for `--fresh`. Returns the byte offset from which rows
/// must be scanned again (see `fingerprint`).
async fn check_input(
    store: &Store,
    config: &JobConfig,
    job_id: &str,
    kind: &dyn Kind,
    fresh: bool,
) -> anyhow::Result<u64> {
    let InputCheck {
        prefix,
        whole,
        settings,
    } = compare_with_last_run(store, config, job_id, fresh).await?;
    let record = jobs::JobRecord {
        job_id: job_id.to_string(),
        name: config.name.clone(),
        kind: kind.job_kind().name().to_string(),
        input_path: std::fs::canonicalize(&config.input)
            .unwrap_or_else(|_| config.input.clone())
            .display()
            .to_string(),
        input_bytes: whole.length,
        input_hash: Some(whole.hash),
        settings_digest: Some(settings.to_vec()),
    };
    let job_id = job_id.to_string();
    store
        .call(move |connection| {
            if fresh {
                let deleted = rows::delete_job_rows(connection, &job_id)?;
                tracing::info!(rows = deleted, "--fresh: checkpoints of the job deleted");
            }
            jobs::upsert_job(connection, &record, now_millis())
        })
        .await?;
    Ok(prefix.unwrap_or(0))
}

async fn finish_run(store: &Store, run_id: i64, exit: Exit, counters: &Counters, message: &str) {
    let calls = Counters::get(&counters.api_calls);
    let code = exit.code();
    let message = message.to_string();
    let result = store
        .call(move |connection| {
            jobs::finish_run(connection, run_id, code, calls, &message, now_millis())
        })
        .await;
    if let Err(error) = result {
        tracing::error!(run_id, %error, "cannot record the end of the run");
    }
}

/// Builds the label part of the closing message.
fn describe_labels(totals: &crate::output::labels::LabelTotals) -> String {
    let mut message = format!(
        "\n  labels: {} bought ({} cancelled), total postage ${}",
        totals.labels_bought, totals.labels_cancelled, totals.total_postage
    );
    if !totals.merged_pdf.is_empty() {
        message.push_str(&format!("\n  print: {}", totals.merged_pdf));
    }
    if let Some(missing) = totals.describe_missing() {
        message.push_str(&format!("\n  {missing}"));
    }
    if totals.labels_in_doubt > 0 {
        message.push_str(&format!(
            "\n  IN DOUBT: {} labels may or may not have been bought; see {}. Run the same command again to resolve them with their idempotency keys; never delete the state file before that.",
            totals.labels_in_doubt, totals.in_doubt_report
        ));
    }
    message
}

/// Builds the closing message: counts, files, and what to do next.
fn describe_end(
    summary: &Summary,
    stop: Option<&Stop>,
    remaining: u64,
    files: &OutputFiles,
) -> String {
    let statuses = summary
        .by_status
        .iter()
        .map(|(status, count)| format!("{count} {status}"))
        .collect::<Vec<_>>()
        .join(", ");
    let per_row = summary
        .calls_per_row
        .map(|calls| format!(" ({calls:.2} per row)"))
        .unwrap_or_default();
    let mut message = format!(
        "{}: {} rows ({statuses}); {} API calls{per_row}, {} from cache, {} shared.\n  output: {}\n  errors: {}\n  summary: {}",
        summary.job,
        summary.rows,
        summary.api_calls,
        summary.cache_hits,
        summary.deduplicated,
        files.output.display(),
        files.errors.display(),
        files.summary.display()
    );
    if let Some(responses) = &files.responses {
        message.push_str(&format!("\n  responses: {}", responses.display()));
    }
    match stop {
        Some(Stop::QuotaExhausted { next_free_at }) => {
            // A 429 means the server's count ran out, whatever the job's own quota allows.
            let whose = if summary.rate_limited > 0 || summary.quota == "unlimited" {
                "the server's quota (it answered 429)".to_string()
            } else {
                format!("the quota ({})", summary.quota)
            };
            message.push_str(&format!(
                "\nStopped: {whose} is spent. {remaining} rows remain; the quota frees up at {}. Run the same command again then; finished rows are kept.",
                describe_millis(*next_free_at)
            ))
        }
        Some(Stop::Interrupted) => message.push_str(&format!(
            "\nStopped: interrupted. {remaining} rows remain; run the same command again to continue; finished rows are kept."
        )),
        Some(Stop::Outage { message: detail }) => message.push_str(&format!(
            "\nStopped: the API looks unavailable ({detail}). {remaining} rows remain; run the same command again later; finished rows are kept."
        )),
        Some(other) => message.push_str(&format!(
            "\nStopped: {other}. {remaining} rows remain; finished rows are kept."
        )),
        None => {}
    }
    message
}
