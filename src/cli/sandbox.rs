//! `usps-batch sandbox`: serve the local USPS sandbox on its own.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;

use crate::cli::logging::{self, LogFormat};
use crate::cli::run::parse_quota;
use crate::exit::Exit;
use crate::quota::Quota;
use crate::sandbox::{Faults, Sandbox, SandboxConfig, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET};

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8787")]
    pub listen: SocketAddr,
    /// Quota per client, token requests included: 60/h, 1000/d, 20/5s, or unlimited.
    #[arg(long, default_value = "60/h", value_parser = parse_quota)]
    pub quota: Quota,
    /// Lifetime of issued tokens, in seconds.
    #[arg(long, default_value_t = 28_799)]
    pub token_ttl: u64,
    /// Delay added to every response, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Seed of the fault draws and of the derived ZIP+4 and carrier route. The in-process
    /// sandbox of a job uses 0 unless its `[sandbox]` table sets `seed`.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Client id that the token endpoint accepts.
    #[arg(long, default_value = DEFAULT_CLIENT_ID)]
    pub client_id: String,
    /// Client secret that the token endpoint accepts.
    #[arg(long, default_value = DEFAULT_CLIENT_SECRET)]
    pub client_secret: String,
    /// Share of API requests that get 500 or 503, from 0 to 1.
    #[arg(long, default_value_t = 0.0)]
    pub error_rate: f64,
    /// Share of API requests whose connection is dropped after processing, from 0 to 1.
    #[arg(long, default_value_t = 0.0)]
    pub drop_rate: f64,
    /// Share of API requests that get a late response, from 0 to 1.
    #[arg(long, default_value_t = 0.0)]
    pub slow_rate: f64,
    /// Delay of late answers, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub slow_ms: u64,
    /// Share of label purchases that are charged and then cut off before the response, from
    /// 0 to 1.
    #[arg(long, default_value_t = 0.0)]
    pub label_drop_rate: f64,
    /// After the first label is charged, answer every label request with 503 for this many
    /// milliseconds; 0 turns the outage off.
    #[arg(long, default_value_t = 0)]
    pub label_outage_ms: u64,
    /// Starting balance of every payer account, in dollars, such as 250.00; unlimited when
    /// left out. Label purchases beyond it fail with insufficient funds.
    #[arg(long)]
    pub balance: Option<rust_decimal::Decimal>,
    /// API the client application has no access to, such as locations or labels: its calls
    /// get a 401 and tokens leave it out of their scope. Repeat for several APIs.
    #[arg(long = "disable-api", value_name = "API")]
    pub disabled_apis: Vec<String>,
    /// Log format on stderr.
    #[arg(long, value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// More log detail: -v for info, -vv for debug.
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

pub async fn run(args: SandboxArgs) -> anyhow::Result<Exit> {
    // The sandbox logs its address and its 429s at info, so that level is its default.
    logging::init(args.log_format, args.verbose.max(1), false);
    let faults = Faults {
        error_rate: args.error_rate,
        drop_rate: args.drop_rate,
        slow_rate: args.slow_rate,
        slow_ms: args.slow_ms,
        label_drop_rate: args.label_drop_rate,
        label_outage_ms: args.label_outage_ms,
    };
    faults.validate()?;
    let config = SandboxConfig {
        client_id: args.client_id,
        client_secret: args.client_secret,
        quota: args.quota,
        token_ttl: Duration::from_secs(args.token_ttl),
        latency: Duration::from_millis(args.latency_ms),
        seed: args.seed,
        faults,
        balance: args.balance,
        disabled_apis: args.disabled_apis.into_iter().collect(),
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(config, args.listen).await?;
    tracing::info!(
        address = %sandbox.local_addr(),
        "sandbox listening on {}; stop it with Ctrl-C",
        sandbox.base_url()
    );
    eprintln!("sandbox listening on {}", sandbox.base_url());
    tokio::signal::ctrl_c().await?;
    tracing::info!("Ctrl-C received; stopping the sandbox");
    sandbox.shutdown().await;
    Ok(Exit::Success)
}
