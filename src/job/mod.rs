//! Job files (TOML in `jobs/`) and the checked configuration a run works from.
//!
//! [`JobFile`] is what the user wrote; [`JobConfig`] is the one checked form that later code
//! uses, with relative paths resolved against the job file's folder and command-line
//! overrides applied. Later code does not depend on clap or TOML.

mod environment;
pub mod labels;
pub mod settings;

pub use environment::{Credentials, Environment};
pub use labels::LabelSettings;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::checks::{LengthUnit, Units, WeightUnit};
use crate::manifest::{Encoding, Format};
use crate::quota::{parse_duration, Quota};
use crate::sandbox::Faults;

/// The parts that output file names add after a job's name (`<job>.errors.csv`).
const OUTPUT_SUFFIXES: &[&str] = &[
    "errors",
    "summary",
    "shipments",
    "responses",
    "cancel",
    "in-doubt",
    "labels",
];

/// A job file as written. Unknown keys are rejected so that a typo cannot silently fall back
/// to a default.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobFile {
    pub name: String,
    pub kind: String,
    pub input: PathBuf,
    pub format: Option<String>,
    pub encoding: Option<String>,
    pub output_dir: Option<PathBuf>,
    pub state: Option<PathBuf>,
    pub env: Option<String>,
    pub base_url: Option<String>,
    /// Server of the token requests, when it is not `base_url`.
    pub token_url: Option<String>,
    pub quota: Option<String>,
    pub quota_pool: Option<String>,
    pub burst: Option<u32>,
    pub concurrency: Option<usize>,
    pub max_wait: Option<String>,
    pub cache_ttl: Option<String>,
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
    #[serde(default)]
    pub sandbox: SandboxOptions,
    /// Units of the manifest's weight and dimension columns; required by price jobs.
    pub units: Option<UnitsOptions>,
    /// Extra service codes to price with each package, or to buy with each label.
    pub extra_services: Option<Vec<u16>>,
    /// Kind of location that a locations job searches for; locations jobs only.
    pub locations: Option<LocationsOptions>,
    /// Label settings; label jobs only.
    pub label: Option<labels::LabelOptions>,
    /// The payer and label owner; label jobs only.
    pub payment: Option<crate::usps::payments::PaymentAccount>,
    /// Mail classes a `rate-shop` job compares; every outbound class when absent.
    pub services: Option<Vec<String>>,
}

/// The `[locations]` table as written.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocationsOptions {
    /// `post-office`, `dropoff` or `parcel-locker`.
    #[serde(rename = "type")]
    pub location_type: Option<String>,
    pub count: Option<u32>,
    pub radius: Option<u32>,
}

/// The kind of place a locations job searches for, with its Locations 3.0 endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocationType {
    /// `GET /post-office-locations`, nearest first within the radius.
    PostOffice,
    /// `GET /dropoff-locations`: destination entry facilities of a ZIP Code.
    Dropoff,
    /// `GET /parcel-locker-locations`: parcel lockers of a ZIP Code or city.
    ParcelLocker,
}

impl LocationType {
    pub fn parse(text: &str) -> Option<LocationType> {
        match text {
            "post-office" => Some(LocationType::PostOffice),
            "dropoff" => Some(LocationType::Dropoff),
            "parcel-locker" => Some(LocationType::ParcelLocker),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            LocationType::PostOffice => "post-office",
            LocationType::Dropoff => "dropoff",
            LocationType::ParcelLocker => "parcel-locker",
        }
    }
}

/// The checked `[locations]` settings of a locations job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocationSettings {
    pub location_type: LocationType,
    /// Locations requested per row, each with its own output columns.
    pub count: u32,
    /// Search radius in miles; sent for post offices only, as the other endpoints take none.
    pub radius: u32,
}

impl LocationSettings {
    /// Maximum `count`: each location adds four output columns.
    pub const MAX_COUNT: u32 = 10;
    /// Maximum `radius` in Locations 3.0, in miles.
    pub const MAX_RADIUS: u32 = 100;
    pub const DEFAULT_COUNT: u32 = 3;
    /// Default `radius` of Locations 3.0, in miles.
    pub const DEFAULT_RADIUS: u32 = 20;
}

/// The `[units]` table as written: `weight = "oz" | "lb" | "g" | "kg"` and
/// `dimensions = "in" | "cm"`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitsOptions {
    pub weight: Option<String>,
    pub dimensions: Option<String>,
}

/// The `[sandbox]` table: settings of the sandbox that a run starts in-process.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SandboxOptions {
    /// The sandbox's own quota; defaults to the job's quota, so that a runner that keeps its
    /// quota never meets a 429.
    pub quota: Option<String>,
    pub token_ttl: Option<String>,
    pub latency_ms: Option<u64>,
    pub seed: Option<u64>,
    /// APIs the sandbox's client application has no access to, such as `["locations"]`.
    #[serde(default)]
    pub disabled_apis: Vec<String>,
    /// Starting balance of each payer account, in dollars (`"250.00"`); unlimited when absent.
    pub balance: Option<String>,
    #[serde(flatten)]
    pub faults: Faults,
}

/// Kinds of job that the runner implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    Address,
    CityState,
    ZipCode,
    DomesticPrice,
    ShippingOptions,
    InternationalPrice,
    RateShop,
    ServiceStandard,
    Locations,
    Labels,
    Tracking,
}

impl JobKind {
    pub const NAMES: &'static [&'static str] = &[
        "address",
        "city-state",
        "zipcode",
        "domestic-price",
        "shipping-options",
        "international-price",
        "rate-shop",
        "service-standard",
        "locations",
        "labels",
        "tracking",
    ];

    pub fn parse(text: &str) -> Option<JobKind> {
        match text {
            "address" => Some(JobKind::Address),
            "city-state" => Some(JobKind::CityState),
            "zipcode" => Some(JobKind::ZipCode),
            "domestic-price" => Some(JobKind::DomesticPrice),
            "shipping-options" => Some(JobKind::ShippingOptions),
            "international-price" => Some(JobKind::InternationalPrice),
            "rate-shop" => Some(JobKind::RateShop),
            "service-standard" => Some(JobKind::ServiceStandard),
            "locations" => Some(JobKind::Locations),
            "labels" => Some(JobKind::Labels),
            "tracking" => Some(JobKind::Tracking),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            JobKind::Address => "address",
            JobKind::CityState => "city-state",
            JobKind::ZipCode => "zipcode",
            JobKind::DomesticPrice => "domestic-price",
            JobKind::ShippingOptions => "shipping-options",
            JobKind::InternationalPrice => "international-price",
            JobKind::RateShop => "rate-shop",
            JobKind::ServiceStandard => "service-standard",
            JobKind::Locations => "locations",
            JobKind::Labels => "labels",
            JobKind::Tracking => "tracking",
        }
    }

    /// Returns the USPS API this kind calls, by the scope name USPS uses for it.
    pub fn api(self) -> &'static str {
        match self {
            JobKind::Address | JobKind::CityState | JobKind::ZipCode => "addresses",
            JobKind::DomesticPrice => "prices",
            JobKind::ShippingOptions | JobKind::RateShop => "shipments",
            JobKind::InternationalPrice => "international-prices",
            JobKind::ServiceStandard => "service-standards",
            JobKind::Locations => "locations",
            JobKind::Labels => "labels",
            JobKind::Tracking => "tracking",
        }
    }

    /// Returns how long a response of this kind stays valid in the cache. Addresses change
    /// slowly: USPS refreshes its address data monthly. A price or delivery estimate request
    /// carries its mailing date, so a cached response is reused only for the same date, and a
    /// day covers that date. Locations carry opening hours and temporary closures, which
    /// change within a month. A tracking status changes with every scan, so it is reused for
    /// an hour at most.
    pub fn default_cache_ttl(self) -> Duration {
        if self == JobKind::Tracking {
            Duration::from_secs(3_600)
        } else if self.is_shipment() {
            Duration::from_secs(86_400)
        } else if self == JobKind::Locations {
            Duration::from_secs(7 * 86_400)
        } else {
            Duration::from_secs(30 * 86_400)
        }
    }

    /// Reports whether rows of this kind describe a package and its mailing date.
    pub fn is_shipment(self) -> bool {
        matches!(
            self,
            JobKind::DomesticPrice
                | JobKind::ShippingOptions
                | JobKind::InternationalPrice
                | JobKind::RateShop
                | JobKind::ServiceStandard
                | JobKind::Labels
        )
    }
}

/// Whether one quota pool covers all APIs of a credential or each API has its own. USPS has
/// not settled in public which reading applies, so both are supported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaPool {
    Shared,
    PerApi,
}

/// Command-line values that override the job file.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub input: Option<PathBuf>,
    pub output_dir: Option<PathBuf>,
    pub state: Option<PathBuf>,
    pub env: Option<String>,
    pub base_url: Option<String>,
    pub token_url: Option<String>,
    pub quota: Option<Quota>,
    pub concurrency: Option<usize>,
    pub max_wait: Option<Duration>,
}

/// The checked configuration of one job.
#[derive(Debug, Clone)]
pub struct JobConfig {
    pub name: String,
    pub kind: JobKind,
    pub job_file: PathBuf,
    pub input: PathBuf,
    pub format: Format,
    pub encoding: Encoding,
    pub output_dir: PathBuf,
    pub state: PathBuf,
    pub environment: Environment,
    /// Server of the token requests, when it is not the environment's base URL. USPS
    /// refuses a token from another host, which `doctor` points out.
    pub token_url: Option<String>,
    pub quota: Quota,
    pub quota_pool: QuotaPool,
    pub burst: Option<u32>,
    pub concurrency: usize,
    pub max_wait: Duration,
    pub cache_ttl: Duration,
    pub columns: BTreeMap<String, String>,
    pub sandbox: SandboxOptions,
    /// Units of the weight and dimension columns; set for price jobs only.
    pub units: Option<Units>,
    /// Extra service codes priced with each package, such as 920 (USPS Tracking); empty for
    /// base prices only. Label jobs buy them with each label.
    pub extra_services: Vec<u16>,
    /// Settings of a label job; set for label jobs only.
    pub labels: Option<LabelSettings>,
    /// Mail classes that a `rate-shop` job compares; empty for every outbound class.
    pub services: Vec<String>,
    /// Kind of location to search for; set for locations jobs only.
    pub locations: Option<LocationSettings>,
}

/// A job file that cannot be used. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("cannot read job file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid job file {path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

impl JobConfig {
    /// Reads and checks a job file, then applies the command-line overrides.
    pub fn load(path: &Path, overrides: &Overrides) -> Result<JobConfig, JobError> {
        let text = std::fs::read_to_string(path).map_err(|source| JobError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let file: JobFile = toml::from_str(&text).map_err(|error| JobError::Invalid {
            path: path.to_path_buf(),
            message: error.to_string().trim_end().replace('\n', " "),
        })?;
        JobConfig::from_file(path, file, overrides)
    }

    fn from_file(path: &Path, file: JobFile, overrides: &Overrides) -> Result<JobConfig, JobError> {
        let invalid = |message: String| JobError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        let base = path.parent().unwrap_or(Path::new("."));
        let resolve = |relative: &Path| -> PathBuf {
            if relative.is_absolute() {
                relative.to_path_buf()
            } else {
                clean_path(&base.join(relative))
            }
        };

        // The name becomes the output file names, so it must not leave the output folder.
        let name_is_safe = !file.name.is_empty()
            && !file.name.starts_with('.')
            && file
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !name_is_safe {
            return Err(invalid(format!(
                "name {:?} is not usable as a file name; use letters, digits, '-', '_' and '.', not starting with '.'",
                file.name
            )));
        }
        // A job named `nightly.errors` would write `nightly.errors.csv` as its output, which
        // is the error report of a job named `nightly` in the same folder.
        if let Some(suffix) = OUTPUT_SUFFIXES
            .iter()
            .find(|suffix| file.name.ends_with(&format!(".{suffix}")))
        {
            return Err(invalid(format!(
                "name {:?} ends in `.{suffix}`, which the output files of another job's name use; choose a name without it",
                file.name
            )));
        }
        let kind = JobKind::parse(&file.kind).ok_or_else(|| {
            invalid(format!(
                "unknown kind {:?}; use one of: {}",
                file.kind,
                JobKind::NAMES.join(", ")
            ))
        })?;

        // Command-line paths are relative to the working folder, job-file paths to the job
        // file's folder, as a user expects from each.
        let input = match &overrides.input {
            Some(input) => input.clone(),
            None => resolve(&file.input),
        };
        let format = match &file.format {
            Some(text) => Format::parse(text).ok_or_else(|| {
                invalid(format!("unknown format {text:?}; use csv, json or jsonl"))
            })?,
            None => Format::from_path(&input).ok_or_else(|| {
                invalid(format!(
                    "cannot tell the format of {} from its extension; set format = \"csv\", \"json\" or \"jsonl\"",
                    input.display()
                ))
            })?,
        };
        let encoding = match file.encoding.as_deref() {
            None | Some("utf-8") | Some("utf8") => Encoding::Utf8,
            Some("latin1") | Some("latin-1") | Some("windows-1252") | Some("cp1252") => {
                Encoding::Latin1
            }
            Some(other) => {
                return Err(invalid(format!(
                    "unknown encoding {other:?}; use \"utf-8\" or \"latin1\""
                )))
            }
        };
        let output_dir = match &overrides.output_dir {
            Some(dir) => dir.clone(),
            None => resolve(file.output_dir.as_deref().unwrap_or(Path::new("out"))),
        };
        let state = match (&overrides.state, &file.state) {
            (Some(state), _) => state.clone(),
            (None, Some(state)) => resolve(state),
            (None, None) => default_state_path(),
        };

        let env_name = overrides
            .env
            .clone()
            .or(file.env.clone())
            .unwrap_or_else(|| "sandbox".into());
        let base_url = overrides.base_url.clone().or(file.base_url.clone());
        let environment = Environment::parse(&env_name, base_url.as_deref()).map_err(invalid)?;
        let token_url = overrides
            .token_url
            .clone()
            .or(file.token_url.clone())
            .map(|url| url.trim_end_matches('/').to_string());

        let quota = match (&overrides.quota, &file.quota) {
            (Some(quota), _) => *quota,
            (None, Some(text)) => text.parse().map_err(|error| invalid(format!("{error}")))?,
            (None, None) => Quota::USPS_DEFAULT,
        };
        let quota_pool = match file.quota_pool.as_deref() {
            None | Some("shared") => QuotaPool::Shared,
            Some("per-api") => QuotaPool::PerApi,
            Some(other) => {
                return Err(invalid(format!(
                    "unknown quota_pool {other:?}; use \"shared\" or \"per-api\""
                )))
            }
        };
        if file.burst == Some(0) {
            return Err(invalid("`burst` must be at least 1".into()));
        }
        let concurrency = overrides.concurrency.or(file.concurrency).unwrap_or(4);
        if concurrency == 0 || concurrency > 64 {
            return Err(invalid(format!(
                "concurrency {concurrency} is out of range; use 1 to 64"
            )));
        }
        let max_wait = match (overrides.max_wait, &file.max_wait) {
            (Some(wait), _) => wait,
            (None, Some(text)) => parse_duration(text)
                .map_err(|reason| invalid(format!("invalid max_wait {text:?}: {reason}")))?,
            (None, None) => Duration::from_secs(15 * 60),
        };
        let cache_ttl = match &file.cache_ttl {
            Some(text) => parse_duration(text)
                .map_err(|reason| invalid(format!("invalid cache_ttl {text:?}: {reason}")))?,
            None => kind.default_cache_ttl(),
        };
        if let Some(text) = &file.sandbox.quota {
            text.parse::<Quota>()
                .map_err(|error| invalid(format!("[sandbox] {error}")))?;
        }
        if let Some(text) = &file.sandbox.token_ttl {
            parse_duration(text).map_err(|reason| {
                invalid(format!("invalid [sandbox] token_ttl {text:?}: {reason}"))
            })?;
        }

        let disabled: std::collections::BTreeSet<String> =
            file.sandbox.disabled_apis.iter().cloned().collect();
        crate::sandbox::access::validate(&disabled)
            .map_err(|error| invalid(format!("[sandbox] {error}")))?;

        let units = check_units(kind, file.units.as_ref()).map_err(invalid)?;
        let extra_services = file.extra_services.unwrap_or_default();
        check_extra_services(kind, &extra_services).map_err(invalid)?;
        let services = check_services(kind, file.services).map_err(invalid)?;

        let locations = check_locations(kind, file.locations.as_ref()).map_err(invalid)?;
        if let Some(text) = &file.sandbox.balance {
            text.trim().parse::<rust_decimal::Decimal>().map_err(|_| {
                invalid(format!(
                    "invalid [sandbox] balance {text:?}: write dollars as a decimal, such as \"250.00\""
                ))
            })?;
        }
        let labels = if kind == JobKind::Labels {
            Some(
                labels::check_label_settings(file.label.as_ref(), file.payment.as_ref())
                    .map_err(invalid)?,
            )
        } else {
            if file.label.is_some() || file.payment.is_some() {
                return Err(invalid(format!(
                    "`[label]` and `[payment]` apply to label jobs only; remove them from this {} job",
                    kind.name()
                )));
            }
            None
        };

        Ok(JobConfig {
            name: file.name,
            kind,
            job_file: path.to_path_buf(),
            input,
            format,
            encoding,
            output_dir,
            state,
            environment,
            token_url,
            quota,
            quota_pool,
            burst: file.burst,
            concurrency,
            max_wait,
            cache_ttl,
            columns: file.columns,
            sandbox: file.sandbox,
            units,
            extra_services,
            labels,
            services,
            locations,
        })
    }
}

/// Checks the `[locations]` table: a locations job takes it, with defaults for missing keys,
/// and other kinds reject it.
fn check_locations(
    kind: JobKind,
    options: Option<&LocationsOptions>,
) -> Result<Option<LocationSettings>, String> {
    if kind != JobKind::Locations {
        return match options {
            Some(_) => Err(format!(
                "`[locations]` applies to locations jobs only; remove it from this {} job",
                kind.name()
            )),
            None => Ok(None),
        };
    }
    let options = options.cloned().unwrap_or_default();
    let location_type = match options.location_type.as_deref() {
        None => LocationType::PostOffice,
        Some(text) => LocationType::parse(text).ok_or_else(|| {
            format!(
                "unknown [locations] type {text:?}; use \"post-office\", \"dropoff\" or \"parcel-locker\""
            )
        })?,
    };
    let count = options.count.unwrap_or(LocationSettings::DEFAULT_COUNT);
    if !(1..=LocationSettings::MAX_COUNT).contains(&count) {
        return Err(format!(
            "[locations] count {count} is out of range; use 1 to {}",
            LocationSettings::MAX_COUNT
        ));
    }
    let radius = options.radius.unwrap_or(LocationSettings::DEFAULT_RADIUS);
    if !(1..=LocationSettings::MAX_RADIUS).contains(&radius) {
        return Err(format!(
            "[locations] radius {radius} is out of range; use 1 to {} miles",
            LocationSettings::MAX_RADIUS
        ));
    }
    if options.radius.is_some() && location_type != LocationType::PostOffice {
        return Err(format!(
            "[locations] radius applies to type \"post-office\" only; the {} search of \
             Locations 3.0 takes no radius, so remove it",
            location_type.name()
        ));
    }
    Ok(Some(LocationSettings {
        location_type,
        count,
        radius,
    }))
}

/// Checks `extra_services`: price jobs only, three-digit codes, and for international jobs
/// the codes of the International Prices spec that the runner can send.
fn check_extra_services(kind: JobKind, codes: &[u16]) -> Result<(), String> {
    if codes.is_empty() {
        return Ok(());
    }
    if !matches!(
        kind,
        JobKind::DomesticPrice | JobKind::InternationalPrice | JobKind::Labels
    ) {
        return Err(format!(
            "`extra_services` applies to price and label jobs only; remove it from this {} job",
            kind.name()
        ));
    }
    if let Some(code) = codes.iter().find(|code| !(100..=999).contains(*code)) {
        return Err(format!(
            "extra service code {code} is invalid; USPS codes have three digits, such as \
             920 for USPS Tracking"
        ));
    }
    if kind == JobKind::InternationalPrice {
        use crate::usps::international_prices::EXTRA_SERVICES;
        if let Some(code) = codes.iter().find(|code| !EXTRA_SERVICES.contains(code)) {
            return Err(format!(
                "extra service code {code} is not an international extra service; use one of \
                 370, 813, 820, 826, 857"
            ));
        }
        // Insurance is priced on the declared value, and Return Receipt is no longer sold.
        if let Some(code) = codes.iter().find(|code| [930, 931, 955].contains(*code)) {
            return Err(format!(
                "extra service code {code} is not supported: insurance (930, 931) needs an \
                 item value per row, which the runner does not send, and Return Receipt (955) \
                 is unsupported by USPS since 2025-01-19"
            ));
        }
    }
    Ok(())
}

/// Checks `services`: `rate-shop` jobs only, each a mail class that Shipping Options quotes.
fn check_services(kind: JobKind, services: Option<Vec<String>>) -> Result<Vec<String>, String> {
    use crate::usps::shipping_options::MAIL_CLASSES;
    let Some(services) = services else {
        return Ok(Vec::new());
    };
    if kind != JobKind::RateShop {
        return Err(format!(
            "`services` applies to rate-shop jobs only; remove it from this {} job",
            kind.name()
        ));
    }
    let mut checked = Vec::new();
    for service in services {
        let known = crate::usps::find_spec_name(&service, MAIL_CLASSES)
            .filter(|class| !class.starts_with("ALL"));
        match known {
            Some(class) => checked.push(class.to_owned()),
            None => {
                return Err(format!(
                    "unknown service {service:?} in `services`; use mail classes such as \
                     \"USPS_GROUND_ADVANTAGE\", \"PRIORITY_MAIL\" or \"PRIORITY_MAIL_EXPRESS\""
                ))
            }
        }
    }
    if checked.is_empty() {
        return Err(
            "`services` is empty; list the mail classes to compare, or remove it to compare \
             every outbound class"
                .into(),
        );
    }
    Ok(checked)
}

/// Checks the `[units]` table: jobs that price a package need both units, service-standard
/// jobs may have them (for their optional weight column), other kinds none.
fn check_units(kind: JobKind, units: Option<&UnitsOptions>) -> Result<Option<Units>, String> {
    if kind == JobKind::ServiceStandard && units.is_none() {
        return Ok(None);
    }
    if !kind.is_shipment() {
        return match units {
            Some(_) => Err(format!(
                "`[units]` applies to price jobs only; remove it from this {} job",
                kind.name()
            )),
            None => Ok(None),
        };
    }
    let units = units.cloned().unwrap_or_default();
    let weight = match units.weight.as_deref() {
        Some(text) => WeightUnit::parse(text).ok_or_else(|| {
            format!("unknown [units] weight {text:?}; use \"oz\", \"lb\", \"g\" or \"kg\"")
        })?,
        None => {
            return Err(format!(
                "a {} job needs the unit of its weight column: add [units] with weight = \
                 \"oz\", \"lb\", \"g\" or \"kg\"",
                kind.name()
            ))
        }
    };
    let dimensions = match units.dimensions.as_deref() {
        Some(text) => LengthUnit::parse(text)
            .ok_or_else(|| format!("unknown [units] dimensions {text:?}; use \"in\" or \"cm\""))?,
        None => {
            return Err(format!(
                "a {} job needs the unit of its length, width and height columns: add \
                 dimensions = \"in\" or \"cm\" to [units]",
                kind.name()
            ))
        }
    };
    Ok(Some(Units { weight, dimensions }))
}

/// Removes `.` and `name/..` from a path without touching the file system, so that
/// messages show `out/job.csv` rather than `jobs/../out/job.csv`.
fn clean_path(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut cleaned = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(cleaned.components().next_back(), Some(Component::Normal(_))) =>
            {
                cleaned.pop();
            }
            other => cleaned.push(other),
        }
    }
    if cleaned.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        cleaned
    }
}

/// Returns the state file used when neither the job file nor the command line names one: the XDG
/// state folder (`~/.local/state/usps-batch/state.sqlite` on Linux), falling back to the
/// local data folder on systems without one.
pub fn default_state_path() -> PathBuf {
    let base = dirs::state_dir()
        .or_else(dirs::data_local_dir)
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("usps-batch").join("state.sqlite")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str) -> Result<JobConfig, JobError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("job.toml");
        std::fs::write(&path, text).unwrap();
        JobConfig::load(&path, &Overrides::default())
    }

    #[test]
    fn unknown_key_is_named() {
        let error =
            load_text("name = \"a\"\nkind = \"address\"\ninput = \"x.csv\"\nqouta = \"60/h\"\n")
                .unwrap_err()
                .to_string();
        assert!(error.contains("qouta"), "{error}");
        assert!(error.contains("job.toml"), "{error}");
    }

    #[test]
    fn relative_paths_resolve_against_job_folder() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("job.toml");
        std::fs::write(
            &path,
            "name = \"a\"\nkind = \"address\"\ninput = \"../samples/x.csv\"\noutput_dir = \"out\"\n",
        )
        .unwrap();
        let config = JobConfig::load(&path, &Overrides::default()).unwrap();
        assert_eq!(
            config.input,
            dir.path().parent().unwrap().join("samples/x.csv")
        );
        assert_eq!(config.output_dir, dir.path().join("out"));
        assert_eq!(config.format, Format::Csv);
        assert_eq!(config.quota, Quota::USPS_DEFAULT);
    }

    #[test]
    fn clean_path_drops_dot_segments() {
        assert_eq!(clean_path(Path::new("jobs/../out")), PathBuf::from("out"));
        assert_eq!(
            clean_path(Path::new("./jobs/./a.csv")),
            PathBuf::from("jobs/a.csv")
        );
        assert_eq!(clean_path(Path::new("../x")), PathBuf::from("../x"));
        assert_eq!(clean_path(Path::new("jobs/..")), PathBuf::from("."));
    }

    #[test]
    fn name_must_stay_inside_output_folder() {
        for name in ["../../etc/evil", "a/b", "", ".hidden", "a b"] {
            let text = format!("name = {name:?}\nkind = \"address\"\ninput = \"x.csv\"\n");
            let error = load_text(&text).unwrap_err().to_string();
            assert!(
                error.contains("not usable as a file name"),
                "{name}: {error}"
            );
        }
        assert!(
            load_text("name = \"nightly-2026.v1\"\nkind = \"address\"\ninput = \"x.csv\"\n")
                .is_ok()
        );
    }

    #[test]
    fn name_with_output_suffix_rejected() {
        for name in ["nightly.errors", "a.summary", "b.labels", "c.in-doubt"] {
            let text = format!("name = {name:?}\nkind = \"address\"\ninput = \"x.csv\"\n");
            let error = load_text(&text).unwrap_err().to_string();
            assert!(error.contains("output files"), "{name}: {error}");
        }
        assert!(load_text("name = \"errors\"\nkind = \"address\"\ninput = \"x.csv\"\n").is_ok());
    }

    #[test]
    fn unknown_kind_lists_kinds() {
        let error = load_text("name = \"a\"\nkind = \"label\"\ninput = \"x.csv\"\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("address, city-state, zipcode"), "{error}");
    }

    #[test]
    fn price_job_needs_units() {
        let base = "name = \"a\"\nkind = \"domestic-price\"\ninput = \"x.csv\"\n";
        let error = load_text(base).unwrap_err().to_string();
        assert!(error.contains("[units]"), "{error}");
        let error = load_text(&format!("{base}[units]\nweight = \"stone\"\n"))
            .unwrap_err()
            .to_string();
        assert!(error.contains("\"stone\""), "{error}");
        let config = load_text(&format!(
            "{base}[units]\nweight = \"oz\"\ndimensions = \"cm\"\n"
        ))
        .unwrap();
        let units = config.units.unwrap();
        assert_eq!(units.weight, WeightUnit::Ounce);
        assert_eq!(units.dimensions, LengthUnit::Centimeter);
    }

    #[test]
    fn locations_table_is_checked() {
        let base = "name = \"a\"\nkind = \"locations\"\ninput = \"x.csv\"\n";
        let settings = load_text(base).unwrap().locations.unwrap();
        assert_eq!(settings.location_type, LocationType::PostOffice);
        assert_eq!(settings.count, 3);
        assert_eq!(settings.radius, 20);
        let error = load_text(&format!("{base}[locations]\ncount = 11\n"))
            .unwrap_err()
            .to_string();
        assert!(error.contains("count 11 is out of range"), "{error}");
        let error = load_text(&format!(
            "{base}[locations]\ntype = \"dropoff\"\nradius = 5\n"
        ))
        .unwrap_err()
        .to_string();
        assert!(error.contains("takes no radius"), "{error}");
        let address = "name = \"a\"\nkind = \"address\"\ninput = \"x.csv\"\n";
        let error = load_text(&format!("{address}[locations]\ncount = 2\n"))
            .unwrap_err()
            .to_string();
        assert!(error.contains("locations jobs only"), "{error}");
    }

    #[test]
    fn bundled_job_files_load() {
        let jobs = Path::new(env!("CARGO_MANIFEST_DIR")).join("jobs");
        let mut kinds = Vec::new();
        for entry in std::fs::read_dir(&jobs).unwrap() {
            let path = entry.unwrap().path();
            let config = JobConfig::load(&path, &Overrides::default())
                .unwrap_or_else(|error| panic!("{error}"));
            assert!(config.input.exists(), "{}", config.input.display());
            kinds.push(config.kind.name());
        }
        for kind in [
            "domestic-price",
            "international-price",
            "shipping-options",
            "rate-shop",
            "service-standard",
            "locations",
        ] {
            assert!(kinds.contains(&kind), "no job file of kind {kind}");
        }
    }

    #[test]
    fn rate_shop_services_are_checked() {
        let base = "name = \"a\"\nkind = \"rate-shop\"\ninput = \"x.csv\"\n";
        let units = "[units]\nweight = \"oz\"\ndimensions = \"in\"\n";
        let config = load_text(&format!("{base}services = [\"Priority Mail\"]\n{units}")).unwrap();
        assert_eq!(config.services, vec!["PRIORITY_MAIL"]);
        let error = load_text(&format!("{base}services = [\"ALL\"]\n{units}"))
            .unwrap_err()
            .to_string();
        assert!(error.contains("unknown service \"ALL\""), "{error}");
        let error = load_text(&format!("{base}services = []\n{units}"))
            .unwrap_err()
            .to_string();
        assert!(error.contains("`services` is empty"), "{error}");
        let address = "name = \"a\"\nkind = \"address\"\ninput = \"x.csv\"\n";
        let error = load_text(&format!("{address}services = [\"PRIORITY_MAIL\"]\n"))
            .unwrap_err()
            .to_string();
        assert!(error.contains("rate-shop jobs only"), "{error}");
    }

    #[test]
    fn extra_services_are_checked() {
        let price = "name = \"a\"\nkind = \"domestic-price\"\ninput = \"x.csv\"\n";
        let units = "[units]\nweight = \"oz\"\ndimensions = \"in\"\n";
        let config = load_text(&format!("{price}extra_services = [920]\n{units}")).unwrap();
        assert_eq!(config.extra_services, vec![920]);
        let error = load_text(&format!("{price}extra_services = [92]\n{units}"))
            .unwrap_err()
            .to_string();
        assert!(error.contains("92 is invalid"), "{error}");
        let address = "name = \"a\"\nkind = \"address\"\ninput = \"x.csv\"\n";
        let error = load_text(&format!("{address}extra_services = [920]\n"))
            .unwrap_err()
            .to_string();
        assert!(error.contains("price and label jobs only"), "{error}");
    }
}
