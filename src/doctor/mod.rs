//! `doctor`: walks the USPS onboarding steps for one environment and, with a job file, for
//! what that job needs, and reports one check per step with what to do when it fails.
//!
//! Every call goes through the same [`UspsClient`] and limiter as a run, so it is paced by
//! the quota and recorded in the quota ledger of the state file. Doctor spends one token
//! request and one call per API, and no more: it obtains its token right before the API
//! calls, so a 401 cannot mean an expired token, and the client does not repeat it.

pub mod credentials;
pub mod probes;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::cli::plan::{make_plan, Plan};
use crate::client::{missing_label_scopes, CallResult, UspsClient};
use crate::job::{Environment, JobConfig, QuotaPool, SandboxOptions};
use crate::output::progress::format_eta;
use crate::output::time::describe_millis;
use crate::quota::Quota;
use crate::scheduler::limiter::{LimiterConfig, SHARED_POOL};
use crate::scheduler::run::{connect_to, server_key_of};
use crate::scheduler::{Counters, Limiter, Stop};
use crate::state::{credential_hash, ledger, now_millis, Store};
use crate::usps::paths;
use crate::usps::payments::PaymentAccount;

/// Target of a doctor run: an environment, and optionally a job.
#[derive(Debug, Clone)]
pub struct Target {
    pub environment: Environment,
    pub token_url: Option<String>,
    pub state: PathBuf,
    pub quota: Quota,
    pub quota_pool: QuotaPool,
    pub sandbox: SandboxOptions,
    pub job: Option<JobConfig>,
}

impl Target {
    /// Builds the target of a job file.
    pub fn of_job(config: JobConfig) -> Target {
        Target {
            environment: config.environment.clone(),
            token_url: config.token_url.clone(),
            state: config.state.clone(),
            quota: config.quota,
            quota_pool: config.quota_pool,
            sandbox: config.sandbox.clone(),
            job: Some(config),
        }
    }
}

/// Result of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Ok,
    /// Works, but something needs attention; does not fail doctor.
    Warning,
    Failed,
    /// Not checked, because an earlier check failed.
    Skipped,
}

impl CheckStatus {
    pub fn label(self) -> &'static str {
        match self {
            CheckStatus::Ok => "ok",
            CheckStatus::Warning => "warn",
            CheckStatus::Failed => "FAIL",
            CheckStatus::Skipped => "skip",
        }
    }
}

/// One line of the checklist.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: String,
    pub status: CheckStatus,
    pub detail: String,
    /// Advice for a check that did not pass.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Check {
    fn new(name: impl Into<String>, status: CheckStatus, detail: impl Into<String>) -> Check {
        Check {
            name: name.into(),
            status,
            detail: detail.into(),
            fix: None,
        }
    }

    fn with_fix(mut self, fix: impl Into<String>) -> Check {
        self.fix = Some(fix.into());
        self
    }
}

/// Calls doctor made, all of them recorded in the quota ledger.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct CallsSpent {
    pub token_requests: u64,
    pub api_calls: u64,
}

/// The whole checklist.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub env: String,
    pub base_url: String,
    pub token_url: String,
    pub job: Option<String>,
    pub state_file: String,
    pub checks: Vec<Check>,
    pub calls_spent: CallsSpent,
    /// Whether every check passed or only warned.
    pub ok: bool,
}

/// Runs every check of `target`.
pub async fn diagnose(target: &Target) -> anyhow::Result<Report> {
    tracing::info!(
        env = target.environment.name(),
        job = target.job.as_ref().map(|job| job.name.as_str()),
        "doctor started"
    );
    let mut checks = Vec::new();
    let credentials_ok = check_credentials(&target.environment, &mut checks);

    let connection = match credentials_ok {
        true => Some(
            connect_to(
                &target.environment,
                target.token_url.as_deref(),
                &target.sandbox,
                target.quota,
            )
            .await?,
        ),
        false => None,
    };
    let (base_url, token_url) = match (&connection, &target.environment) {
        (Some(connection), _) => (connection.base_url.clone(), connection.token_url.clone()),
        (None, Environment::Remote { base_url, .. }) => (
            base_url.clone(),
            target.token_url.clone().unwrap_or(base_url.clone()),
        ),
        (None, Environment::Sandbox { base_url }) => {
            let url = base_url.clone().unwrap_or_else(|| "in-process".into());
            (url.clone(), target.token_url.clone().unwrap_or(url))
        }
    };
    let store = Store::open(&target.state)?;
    let server = server_key_of(&target.environment, &target.sandbox);
    let job_id = target
        .job
        .as_ref()
        .map(crate::scheduler::run::job_id)
        .unwrap_or_else(|| "doctor".to_string());
    // A label job's APIs are checked by the label checks, because a test request of the
    // Labels API would buy a label.
    let apis: Vec<&str> = match &target.job {
        Some(job) if job.labels.is_some() => Vec::new(),
        Some(job) => vec![job.kind.api()],
        None => probes::DEFAULT_APIS.to_vec(),
    };

    let counters = Arc::new(Counters::default());
    let mut quota_before = None;
    if let Some(connection) = &connection {
        let credential = credential_hash(&server, &connection.credentials.client_id);
        quota_before = Some(window_use(&store, &credential, target).await?);
        let limiter = Arc::new(Limiter::new(
            store.clone(),
            LimiterConfig {
                credential,
                quota: target.quota,
                pool: target.quota_pool,
                burst: None,
                // Doctor reports a spent quota instead of waiting for it.
                max_wait: Duration::ZERO,
                job_id,
            },
            counters.clone(),
        ));
        let mut client = UspsClient::new(
            connection.base_url.clone(),
            connection.token_url.clone(),
            connection.credentials.clone(),
            limiter,
            counters.clone(),
        )
        .without_token_refresh();
        let labels = target.job.as_ref().and_then(|job| job.labels.as_ref());
        if let Some(labels) = labels {
            client = client.with_payments(labels.payment.roles());
        }
        check_hosts(&base_url, &token_url, &mut checks);
        let scope = check_calls(&client, target, &apis, &base_url, &token_url, &mut checks).await;
        if let Some(labels) = labels {
            check_labels(&client, &labels.payment, scope.as_deref(), &mut checks).await;
        }
    } else {
        checks.push(Check::new(
            "token",
            CheckStatus::Skipped,
            "not requested: fix the credentials first",
        ));
    }

    let calls_spent = CallsSpent {
        token_requests: Counters::get(&counters.token_calls),
        api_calls: Counters::get(&counters.api_calls),
    };
    checks.push(check_quota(target, quota_before, calls_spent).await);

    if let Some(connection) = connection {
        if let Some(sandbox) = connection.sandbox {
            sandbox.shutdown().await;
        }
    }
    let ok = checks
        .iter()
        .all(|check| check.status != CheckStatus::Failed);
    // The checklist itself goes to stdout; the log keeps the outcome of each check.
    for check in &checks {
        tracing::debug!(check = %check.name, status = ?check.status, detail = %check.detail, "doctor check");
    }
    tracing::info!(
        ok,
        token_requests = calls_spent.token_requests,
        api_calls = calls_spent.api_calls,
        "doctor finished"
    );
    Ok(Report {
        env: target.environment.name().to_string(),
        base_url,
        token_url,
        job: target.job.as_ref().map(|job| job.name.clone()),
        state_file: target.state.display().to_string(),
        checks,
        calls_spent,
        ok,
    })
}

/// Checks that the credentials are set and look as pasted correctly; returns whether a
/// token may be requested with them.
fn check_credentials(environment: &Environment, checks: &mut Vec<Check>) -> bool {
    let read = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
    let id = read("USPS_CLIENT_ID");
    let secret = read("USPS_CLIENT_SECRET");
    let remote = matches!(environment, Environment::Remote { .. });
    let in_process = matches!(environment, Environment::Sandbox { base_url: None });
    // The in-process sandbox accepts only its built-in credentials, so a run uses them
    // whatever the environment holds.
    if in_process || (!remote && id.is_none() && secret.is_none()) {
        checks.push(Check::new(
            "credentials",
            CheckStatus::Ok,
            "the sandbox's built-in credentials",
        ));
        return true;
    }

    let mut missing = Vec::new();
    if id.is_none() {
        missing.push("USPS_CLIENT_ID");
    }
    if secret.is_none() {
        missing.push("USPS_CLIENT_SECRET");
    }
    if !missing.is_empty() && !remote {
        // A sandbox run falls back to the built-in credentials unless both are set.
        checks.push(
            Check::new(
                "credentials",
                CheckStatus::Warning,
                format!(
                    "{} not set, so the sandbox's built-in credentials are used",
                    missing.join(" and ")
                ),
            )
            .with_fix("set both variables to test other credentials, or neither"),
        );
        return true;
    }
    if !missing.is_empty() {
        checks.push(
            Check::new(
                "credentials",
                CheckStatus::Failed,
                format!("{} not set", missing.join(" and ")),
            )
            .with_fix(
                "export USPS_CLIENT_ID and USPS_CLIENT_SECRET with the consumer key and secret \
                 of your app (developer portal, Apps); TEM takes the production credentials",
            ),
        );
        return false;
    }

    let mut problems = credentials::pasting_problems("USPS_CLIENT_ID", id.as_deref().unwrap_or(""));
    problems.extend(credentials::pasting_problems(
        "USPS_CLIENT_SECRET",
        secret.as_deref().unwrap_or(""),
    ));
    if !problems.is_empty() {
        checks.push(
            Check::new("credentials", CheckStatus::Failed, problems.join("; ")).with_fix(
                "set the variable again with the bare value copied from the developer portal, \
                 without quotes or spaces",
            ),
        );
        return false;
    }
    checks.push(Check::new(
        "credentials",
        CheckStatus::Ok,
        "USPS_CLIENT_ID and USPS_CLIENT_SECRET are set (values not shown)",
    ));
    true
}

/// Checks that the token and the API calls go to one host, because any other host rejects a
/// USPS token, with a 401 whose message is often empty.
fn check_hosts(base_url: &str, token_url: &str, checks: &mut Vec<Check>) {
    let origin = |url: &str| -> String {
        reqwest::Url::parse(url)
            .map(|url| url.origin().ascii_serialization())
            .unwrap_or_else(|_| url.to_string())
    };
    if origin(base_url) == origin(token_url) {
        checks.push(Check::new(
            "host",
            CheckStatus::Ok,
            format!(
                "the token and the API calls both go to {}",
                origin(base_url)
            ),
        ));
    } else {
        checks.push(
            Check::new(
                "host",
                CheckStatus::Failed,
                format!(
                    "the token comes from {} but the API calls go to {}; USPS rejects a token \
                     issued by another host",
                    origin(token_url),
                    origin(base_url)
                ),
            )
            .with_fix("remove token_url (or --token-url), or point it at the API host"),
        );
    }
}

/// Obtains a token, then makes one call per API. Returns the token's scope, or `None` when
/// no token was obtained.
async fn check_calls(
    client: &UspsClient,
    target: &Target,
    apis: &[&str],
    base_url: &str,
    token_url: &str,
    checks: &mut Vec<Check>,
) -> Option<String> {
    let bearer = match client.preflight().await {
        Ok(bearer) => bearer,
        Err(stop) => {
            checks.push(token_failure(&stop, token_url));
            for api in apis {
                checks.push(Check::new(
                    format!("access {api}"),
                    CheckStatus::Skipped,
                    "not checked: no token",
                ));
            }
            return None;
        }
    };
    let scope = bearer.scope.clone().unwrap_or_default();
    checks.push(Check::new(
        "token",
        CheckStatus::Ok,
        format!(
            "obtained from {token_url}, valid for {}; products {}; scope {}",
            format_eta(Duration::from_secs(bearer.expires_in)),
            bearer.api_products.as_deref().unwrap_or("(not given)"),
            if scope.is_empty() { "(empty)" } else { &scope }
        ),
    ));

    let location_type = target
        .job
        .as_ref()
        .and_then(|job| job.locations.map(|settings| settings.location_type));
    let other_host = base_url != token_url;
    let mut token_rejected = false;
    for api in apis {
        let name = format!("access {api}");
        if token_rejected {
            // The API server rejected a token of another server once. Every other API of
            // that server would reject it too, so the calls are saved.
            checks.push(Check::new(
                name,
                CheckStatus::Skipped,
                "not checked: the API server rejected the token of another host",
            ));
            continue;
        }
        let Some(request) = probes::probe(api, location_type) else {
            checks.push(Check::new(
                name,
                CheckStatus::Skipped,
                "usps-batch has no test request for this API",
            ));
            continue;
        };
        let in_scope = scope.split_whitespace().any(|granted| granted == *api);
        let check = match client.call(&request, &[]).await {
            Ok(CallResult::Answer(answer)) if answer.status < 300 => Check::new(
                name,
                CheckStatus::Ok,
                format!("{} answered HTTP {}", request.path, answer.status),
            ),
            // The API read the request, so the application reached it.
            Ok(CallResult::Answer(answer)) => Check::new(
                name,
                CheckStatus::Ok,
                format!(
                    "{} answered HTTP {} to the test request, which shows access",
                    request.path, answer.status
                ),
            ),
            Ok(CallResult::Transient { message, .. }) => {
                Check::new(name, CheckStatus::Failed, message)
                    .with_fix("the API looks unavailable: run doctor again later")
            }
            Err(stop) => {
                token_rejected = other_host && matches!(stop, Stop::Auth { .. });
                access_failure(name, api, &stop, in_scope, base_url, token_url)
            }
        };
        if check.status == CheckStatus::Ok {
            client.note_usable_response();
        }
        checks.push(check);
    }
    Some(scope)
}

/// Checks what a label job needs without buying anything: the payer account of the job,
/// Labels and Payments in the token's scope, and one payment authorization. `scope` is
/// `None` when no token was obtained.
async fn check_labels(
    client: &UspsClient,
    account: &PaymentAccount,
    scope: Option<&str>,
    checks: &mut Vec<Check>,
) {
    checks.push(Check::new(
        "label account",
        CheckStatus::Ok,
        describe_account(account),
    ));
    let Some(scope) = scope else {
        checks.push(Check::new(
            "access labels",
            CheckStatus::Skipped,
            "not checked: no token",
        ));
        checks.push(Check::new(
            "payment authorization",
            CheckStatus::Skipped,
            "not checked: no token",
        ));
        return;
    };

    // A test request of the Labels API would buy a label, so its access is read from the
    // token's scope, as the run's own preflight does.
    let missing = missing_label_scopes(scope);
    let scope_check = if scope.trim().is_empty() {
        Check::new(
            "access labels",
            CheckStatus::Warning,
            "the token has no scope, so only the payment authorization below can show access",
        )
    } else if missing.is_empty() {
        Check::new(
            "access labels",
            CheckStatus::Ok,
            "the token's scope lists labels and payments (no label request is sent)",
        )
    } else {
        Check::new(
            "access labels",
            CheckStatus::Failed,
            format!("the token's scope lacks {}", missing.join(" and ")),
        )
        .with_fix(
            "request Domestic Labels and Payments access for the app from USPS API support, \
             then refresh the app's claims in the customer onboarding portal",
        )
    };
    let scope_failed = scope_check.status == CheckStatus::Failed;
    checks.push(scope_check);
    if scope_failed {
        checks.push(Check::new(
            "payment authorization",
            CheckStatus::Skipped,
            "not requested: the app has no Labels or Payments access",
        ));
        return;
    }

    let check = match client.preflight_payments().await {
        Ok(()) => Check::new(
            "payment authorization",
            CheckStatus::Ok,
            format!(
                "{} accepted the payer and label owner roles; no label was bought",
                paths::PAYMENT_AUTHORIZATION
            ),
        ),
        Err(stop @ Stop::Account { .. }) => Check::new(
            "payment authorization",
            CheckStatus::Failed,
            stop.to_string(),
        )
        .with_fix("fund or fix the payer account in the USPS Business Customer Gateway"),
        Err(stop) => Check::new(
            "payment authorization",
            CheckStatus::Failed,
            stop.to_string(),
        )
        .with_fix(
            "check the [payment] table (CRID, MID, manifest MID, account type and number) \
                 against the Business Customer Gateway, and that the CRID is enrolled in USPS \
                 Ship",
        ),
    };
    checks.push(check);
}

/// Describes a payer account for the checklist. The account number is shortened to its
/// last four digits, as on a statement.
fn describe_account(account: &PaymentAccount) -> String {
    let number = &account.account_number;
    let tail = &number[number.len().saturating_sub(4)..];
    let manifest_mid = account.manifest_mid.as_deref().unwrap_or(&account.mid);
    format!(
        "CRID {}, MID {}, manifest MID {manifest_mid}, {} account ending {tail}",
        account.crid,
        account.mid,
        account.account_type.as_deref().unwrap_or("EPS")
    )
}

fn token_failure(stop: &Stop, token_url: &str) -> Check {
    let check = Check::new("token", CheckStatus::Failed, stop.to_string());
    match stop {
        Stop::Auth { .. } => check.with_fix(
            "check USPS_CLIENT_ID and USPS_CLIENT_SECRET (the consumer key and secret of the app \
             in the developer portal), and that --env or --base-url names the host the app was \
             registered for",
        ),
        Stop::QuotaExhausted { next_free_at } => check.with_fix(format!(
            "the quota is spent; run doctor again after {}, or give the app's quota with \
             --quota (or a job file whose `quota` is set) when it is not the USPS default of \
             60/h",
            describe_millis(*next_free_at)
        )),
        _ => check.with_fix(format!(
            "check that {token_url} is reachable from this machine, then run doctor again"
        )),
    }
}

fn access_failure(
    name: String,
    api: &str,
    stop: &Stop,
    in_scope: bool,
    base_url: &str,
    token_url: &str,
) -> Check {
    let check = Check::new(name, CheckStatus::Failed, stop.to_string());
    let product = probes::product_name(api);
    match stop {
        Stop::Auth { .. } if base_url != token_url => check.with_fix(format!(
            "the token came from {token_url}, which {base_url} does not accept: use one host \
             for both"
        )),
        Stop::Auth { .. } => {
            let scope_note = if in_scope {
                format!("the token's scope lists {api}, but USPS grants access by product")
            } else {
                format!("the token's scope does not list {api}")
            };
            let request = if probes::in_public_access(api) {
                format!(
                    "the {product} API belongs to the default Public Access I product: refresh \
                     the app's claims in the customer onboarding portal, or ask USPS API \
                     support to add the product"
                )
            } else {
                format!(
                    "request access to the {product} API from USPS API support, then refresh \
                     the app's claims in the customer onboarding portal"
                )
            };
            check.with_fix(format!("{scope_note}; {request}"))
        }
        Stop::QuotaExhausted { next_free_at } => check.with_fix(format!(
            "the quota is spent; run doctor again after {}, or give the app's quota with \
             --quota (or a job file whose `quota` is set) when it is not the USPS default of \
             60/h",
            describe_millis(*next_free_at)
        )),
        _ => check.with_fix("the API looks unavailable: run doctor again later"),
    }
}

/// Calls of the credential in the current window, by the pool that paces them.
#[derive(Debug, Clone, Copy)]
struct QuotaUse {
    calls: u64,
}

async fn window_use(store: &Store, credential: &str, target: &Target) -> anyhow::Result<QuotaUse> {
    let Some(limit) = target.quota.limit else {
        return Ok(QuotaUse { calls: 0 });
    };
    let credential = credential.to_string();
    let window = limit.period.as_millis() as i64;
    // With one pool per API, the count is the sum of every pool. That is what USPS would
    // count under the shared reading, and the stricter number of the two.
    let per_api = target.quota_pool == QuotaPool::PerApi;
    let used = store
        .call(move |connection| {
            if per_api {
                let since = now_millis() - window;
                let pools = ledger::credentials_in_window(connection, since)?;
                let calls = pools
                    .iter()
                    .filter(|(owner, ..)| *owner == credential)
                    .map(|(_, _, calls, _)| *calls)
                    .sum();
                Ok(ledger::WindowUse {
                    calls,
                    token_calls: 0,
                    oldest_at: None,
                })
            } else {
                ledger::window_use(connection, &credential, SHARED_POOL, window, now_millis())
            }
        })
        .await?;
    Ok(QuotaUse { calls: used.calls })
}

/// Reports the quota spent before doctor, what doctor spent, and what the job needs.
async fn check_quota(target: &Target, before: Option<QuotaUse>, spent: CallsSpent) -> Check {
    let spent_total = spent.token_requests + spent.api_calls;
    let mut free = None;
    let mut detail = match target.quota.limit {
        None => format!("unlimited; doctor spent {spent_total} calls"),
        Some(limit) => {
            let used_before = before.map(|used| used.calls).unwrap_or(0);
            let free_now = u64::from(limit.calls).saturating_sub(used_before + spent_total);
            free = Some(free_now);
            format!(
                "{used_before} of {} calls used in the last {} before doctor, {spent_total} by \
                 doctor, {free_now} free now",
                limit.calls,
                format_eta(limit.period)
            )
        }
    };
    let Some(job) = &target.job else {
        return Check::new("quota", CheckStatus::Ok, detail);
    };

    let plan: Plan = match make_plan(job).await {
        Ok(plan) => plan,
        Err(error) => {
            return Check::new(
                "quota",
                CheckStatus::Failed,
                format!("{detail}; the job's manifest cannot be planned: {error:#}"),
            )
            .with_fix("fix the manifest or the job file, then run `usps-batch plan` on it");
        }
    };
    detail.push_str(&format!(
        "; the job needs {} calls for {} rows ({} finished before, {} from cache)",
        plan.calls_needed, plan.rows, plan.finished_rows, plan.cache_hits
    ));
    if free.is_none_or(|free| plan.calls_needed <= free) {
        return Check::new("quota", CheckStatus::Ok, detail);
    }

    if let Some(finish) = plan.expected_finish_at {
        detail.push_str(&format!(
            ", so it finishes around {} (estimate)",
            describe_millis(finish)
        ));
    }
    Check::new("quota", CheckStatus::Warning, detail).with_fix(
        "the job needs more calls than the window has free: run it from cron with --max-wait 0 \
         so that each run spends the free calls and exits 75, or ask USPS for a higher quota",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn denied() -> Stop {
        Stop::Auth {
            message: "HTTP 401 from the API".to_string(),
            status: Some(401),
        }
    }

    #[test]
    fn extra_product_fix_names_service_request() {
        let url = "https://apis-tem.usps.com";
        let check = access_failure(
            "access tracking".into(),
            "tracking",
            &denied(),
            true,
            url,
            url,
        );
        assert_eq!(check.status, CheckStatus::Failed);
        assert_eq!(
            check.fix.as_deref(),
            Some(
                "the token's scope lists tracking, but USPS grants access by product; request \
                 access to the Tracking API from USPS API support, then refresh the app's \
                 claims in the customer onboarding portal"
            )
        );
    }

    #[test]
    fn other_host_fix_names_both_hosts() {
        let check = access_failure(
            "access addresses".into(),
            "addresses",
            &denied(),
            true,
            "http://127.0.0.1:1",
            "http://127.0.0.1:2",
        );
        assert_eq!(
            check.fix.as_deref(),
            Some(
                "the token came from http://127.0.0.1:2, which http://127.0.0.1:1 does not \
                 accept: use one host for both"
            )
        );
    }
}
