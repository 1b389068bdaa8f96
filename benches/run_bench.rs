//! Throughput and peak memory of `usps-batch run` and `usps-batch plan` on a large generated
//! address manifest, against the in-process sandbox with an unlimited quota.
//!
//! ```text
//! cargo bench --bench run_bench                        # 1,000,000 rows
//! cargo bench --bench run_bench -- --quick             # 100,000 rows
//! cargo bench --bench run_bench -- 250000 --repeats 5  # any row count
//! ```
//!
//! Each phase runs the release binary as a child process, started by a small wrapper process
//! (this binary with `--measure-child`). Wall time runs from the spawn to the child's exit.
//! Peak memory is the child's `ru_maxrss` as `wait4` returns it for that one child.
//! BENCHMARKS.md describes the phases and records the last results.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The binary under test, built by cargo in the bench profile.
const BINARY: &str = env!("CARGO_BIN_EXE_usps-batch");

const DEFAULT_ROWS: u64 = 1_000_000;
const QUICK_ROWS: u64 = 100_000;
const DEFAULT_REPEATS: usize = 3;
/// Above this many rows the first run, which makes one call per distinct address, runs once
/// unless --first-repeats sets another count, so that the bench stays within minutes.
const FIRST_REPEAT_LIMIT: u64 = 200_000;
/// Requests in flight in the first run. The sandbox responds in well under a millisecond, so
/// the run is bound by round trips. On the 2-core machine of BENCHMARKS.md, a 20,000-row first
/// run kept 0.49 cores busy on average at the job default of 4, and 0.88 at 16.
const DEFAULT_CONCURRENCY: usize = 16;

/// One row in this many is an exact copy of an earlier row (5%).
const DUPLICATE_EVERY: u64 = 20;
/// One row in this many fails the local checks (3%), cycling through `INVALID_KINDS`.
const INVALID_EVERY: u64 = 33;
/// Duplicates copy one of this many most recent rows, so that some arrive while the original
/// request is in flight and others after its response is cached.
const RECENT_ROWS: usize = 4096;
/// House numbers run from 1 to this; from 20000 the sandbox finds no address.
const MAX_HOUSE_NUMBER: u64 = 19_998;

/// The targets that BENCHMARKS.md states.
const TARGET_CACHED_ROWS_PER_SECOND: f64 = 100_000.0;
const TARGET_PEAK_MB: f64 = 100.0;

const STREETS: &[&str] = &[
    "Main St",
    "Oak Ave",
    "Maple Dr",
    "Cedar Ln",
    "Elm St",
    "Pine Rd",
    "Washington Blvd",
    "Lake Shore Dr",
    "Park Pl",
    "Hill Ct",
    "River Rd",
    "Church St",
    "Mill Rd",
    "Spring St",
    "Highland Ave",
    "Sunset Blvd",
    "Forest Ave",
    "Walnut St",
    "Chestnut St",
    "Franklin Ave",
    "N Jefferson St",
    "W Madison Ave",
    "S Lincoln Way",
];

/// Ways a generated row fails the local checks, each costing no API call.
const INVALID_KINDS: &[&str] = &[
    "missing state",
    "unknown state code",
    "3-digit ZIP Code",
    "empty street",
    "street longer than 50 characters",
];

const USAGE: &str = "usage: cargo bench --bench run_bench -- [ROWS] [--quick] [--repeats N] [--first-repeats N] [--concurrency N] [--keep]

  ROWS               manifest rows (default 1000000, or 100000 with --quick; env USPS_BENCH_ROWS)
  --quick            use 100000 rows unless ROWS is given
  --repeats N        runs of each phase, medians reported (default 3)
  --first-repeats N  runs of the first run, which calls the sandbox (default: --repeats up to
                     200000 rows, else 1)
  --concurrency N    the job's requests in flight (default 16)
  --sandbox-process  serve the sandbox from a separate `usps-batch sandbox` process on
                     127.0.0.1, so that the figures cover the runner alone
  --keep             keep the temporary folder and print its path";

#[derive(Debug)]
struct Options {
    rows: u64,
    repeats: usize,
    first_repeats: usize,
    concurrency: usize,
    sandbox_process: bool,
    keep: bool,
}

/// Reads the options from the command line and `USPS_BENCH_ROWS`. Prints the usage and exits
/// for `--help`.
fn parse_options() -> Result<Options, String> {
    let mut rows = None;
    let mut quick = false;
    let mut repeats = DEFAULT_REPEATS;
    let mut first_repeats = None;
    let mut concurrency = DEFAULT_CONCURRENCY;
    let mut sandbox_process = false;
    let mut keep = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            // cargo bench passes --bench to every bench binary.
            "--bench" => {}
            "--quick" => quick = true,
            "--keep" => keep = true,
            "--sandbox-process" => sandbox_process = true,
            "--repeats" => repeats = parse_count(args.next(), "--repeats")?,
            "--first-repeats" => first_repeats = Some(parse_count(args.next(), "--first-repeats")?),
            "--concurrency" => concurrency = parse_count(args.next(), "--concurrency")?,
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => rows = Some(parse_count(Some(other.to_string()), "ROWS")? as u64),
        }
    }

    if rows.is_none() {
        if let Ok(text) = std::env::var("USPS_BENCH_ROWS") {
            rows = Some(parse_count(Some(text), "USPS_BENCH_ROWS")? as u64);
        }
    }
    let rows = rows.unwrap_or(if quick { QUICK_ROWS } else { DEFAULT_ROWS });

    let first_repeats = first_repeats.unwrap_or(if rows <= FIRST_REPEAT_LIMIT {
        repeats
    } else {
        1
    });
    Ok(Options {
        rows,
        repeats,
        first_repeats,
        concurrency,
        sandbox_process,
        keep,
    })
}

fn parse_count(value: Option<String>, name: &str) -> Result<usize, String> {
    let value = value.ok_or_else(|| format!("{name} needs a value\n\n{USAGE}"))?;
    match value.replace('_', "").parse::<usize>() {
        Ok(count) if count > 0 => Ok(count),
        _ => Err(format!(
            "invalid {name} {value:?}: expected a whole number of at least 1\n\n{USAGE}"
        )),
    }
}

/// A city, state and ZIP Code that the sandbox resolves to a street address.
struct Place {
    city: String,
    state: String,
    zip: String,
}

/// Reads the places of samples/addresses.csv whose 5-digit ZIP Code is an active standard
/// ZIP Code of the row's state and city in the sandbox's directory (the `zipcodes` crate).
/// Keeps one place per ZIP Code, so that no two generated addresses normalize alike.
fn load_places(path: &Path) -> Result<Vec<Place>, String> {
    let mut reader = csv::Reader::from_path(path)
        .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    let headers = reader
        .headers()
        .map_err(|error| format!("cannot read {}: {error}", path.display()))?
        .clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|header| header == name)
            .ok_or_else(|| format!("{} has no column {name:?}", path.display()))
    };
    let (city_column, state_column, zip_column) =
        (column("city")?, column("state")?, column("zip")?);

    let mut seen = HashSet::new();
    let mut places = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|error| format!("cannot read {}: {error}", path.display()))?;
        let city = record.get(city_column).unwrap_or("").trim();
        let state = record.get(state_column).unwrap_or("").trim();
        let zip = record.get(zip_column).unwrap_or("").trim();
        if zip.len() != 5 || !zip.bytes().all(|byte| byte.is_ascii_digit()) {
            continue;
        }
        if is_standard_zip_of(zip, state, city) && seen.insert(zip.to_string()) {
            places.push(Place {
                city: city.to_string(),
                state: state.to_string(),
                zip: zip.to_string(),
            });
        }
    }
    Ok(places)
}

fn is_standard_zip_of(zip: &str, state: &str, city: &str) -> bool {
    zipcodes::database().iter().any(|entry| {
        entry.zip_code == zip
            && entry.active
            && entry.zip_code_type == "STANDARD"
            && entry.state == state
            && std::iter::once(&entry.city)
                .chain(&entry.acceptable_cities)
                .any(|name| name.eq_ignore_ascii_case(city))
    })
}

/// Counts of the generated manifest's rows.
#[derive(Debug, Default)]
struct ManifestCounts {
    rows: u64,
    duplicates: u64,
    invalid: u64,
    /// Distinct rows that pass the local checks: the API calls a first run needs.
    unique_valid: u64,
}

/// A SplitMix64 generator, so that every run of the bench writes the same manifest.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

/// Writes a CSV manifest of `rows` rows. Row i's address is the place `i mod places`, house
/// number and street derived from the rest of i, so that every generated address is distinct.
fn write_manifest(path: &Path, rows: u64, places: &[Place]) -> std::io::Result<ManifestCounts> {
    let mut file = BufWriter::with_capacity(1 << 20, File::create(path)?);
    writeln!(file, "id,address1,address2,city,state,zip")?;
    let mut random = SplitMix(0x5EED);
    let mut recent: Vec<(String, bool)> = Vec::with_capacity(RECENT_ROWS);
    let mut counts = ManifestCounts::default();
    let mut generated = 0u64;

    for row in 0..rows {
        let (line, invalid) = if row > 0 && random.below(DUPLICATE_EVERY) == 0 {
            counts.duplicates += 1;
            recent[random.below(recent.len() as u64) as usize].clone()
        } else {
            let invalid = random.below(INVALID_EVERY) == 0;
            let line = address_line(generated, places, invalid.then(|| random.next()));
            generated += 1;
            if !invalid {
                counts.unique_valid += 1;
            }
            (line, invalid)
        };
        if invalid {
            counts.invalid += 1;
        }
        file.write_all(line.as_bytes())?;
        if recent.len() < RECENT_ROWS {
            recent.push((line, invalid));
        } else {
            recent[(row as usize) % RECENT_ROWS] = (line, invalid);
        }
    }
    file.flush()?;
    counts.rows = rows;
    Ok(counts)
}

/// Builds the CSV line of the `index`-th distinct address. `fault` picks one of
/// `INVALID_KINDS` to break the row with.
fn address_line(index: u64, places: &[Place], fault: Option<u64>) -> String {
    let count = places.len() as u64;
    let place = &places[(index % count) as usize];
    let within = index / count;
    let house = 1 + within % MAX_HOUSE_NUMBER;
    let block = within / MAX_HOUSE_NUMBER;
    let street_index = (block + index % count + house) % STREETS.len() as u64;
    let mut street = format!("{house} {}", STREETS[street_index as usize]);
    let unit = if house % 10 == 7 {
        format!("Apt {}", house % 40 + 1)
    } else {
        String::new()
    };
    let mut city = place.city.as_str();
    let mut state = place.state.as_str();
    let mut zip = place.zip.as_str();
    if let Some(fault) = fault {
        match fault % INVALID_KINDS.len() as u64 {
            0 => state = "",
            1 => state = "XX",
            2 => zip = &place.zip[..3],
            3 => street.clear(),
            _ => street = format!("{street} Building {}", "Extension ".repeat(4)),
        }
        if fault % INVALID_KINDS.len() as u64 == 2 {
            // A city would let the sandbox find the address without the ZIP Code.
            city = "";
        }
    }
    format!("R{index:08},{street},{unit},\"{city}\",{state},{zip}\n")
}

/// Result of one measured child process.
#[derive(Debug, Clone)]
struct Sample {
    wall: Duration,
    /// Peak resident set size in kilobytes (`ru_maxrss` on Linux).
    max_rss_kb: u64,
    exit_code: i32,
    stdout: String,
    stderr: String,
}

/// First argument that makes this binary a measuring wrapper instead of the bench.
const MEASURE_FLAG: &str = "--measure-child";

/// Runs `command` to its end and returns its wall time and peak memory.
///
/// Linux copies the peak RSS of the spawning process into the child's at `exec`, so a child
/// spawned by this bench, which has loaded the ZIP Code directory, would report at least the
/// bench's RSS. The command is therefore started by a fresh copy of this binary in
/// wrapper mode (see [`measure_main`]), whose own RSS is a few MB, and that wrapper reports
/// the command's figures. `spawn_floor_kb` measures the figure of a command that does
/// nothing, the lowest this method can report.
fn measure(command: &Command, scratch: &Path) -> Result<Sample, String> {
    let stdout_path = scratch.join("child.stdout");
    let stderr_path = scratch.join("child.stderr");
    let wrapper = std::env::current_exe()
        .map_err(|error| format!("cannot find the bench binary: {error}"))?;
    let output = Command::new(wrapper)
        .arg(MEASURE_FLAG)
        .arg(&stdout_path)
        .arg(&stderr_path)
        .arg(command.get_program())
        .args(command.get_args())
        .stdin(Stdio::null())
        .output()
        .map_err(|error| format!("cannot start the measuring wrapper: {error}"))?;
    let report = String::from_utf8_lossy(&output.stdout);
    let fields: Vec<i64> = report
        .split_whitespace()
        .filter_map(|field| field.parse().ok())
        .collect();
    let [wall_ns, max_rss_kb, exit_code] = fields[..] else {
        return Err(format!(
            "the measuring wrapper of {command:?} failed: {}{}",
            report,
            String::from_utf8_lossy(&output.stderr)
        ));
    };
    let read = |path: &Path| std::fs::read_to_string(path).unwrap_or_default();
    Ok(Sample {
        wall: Duration::from_nanos(wall_ns as u64),
        max_rss_kb: max_rss_kb as u64,
        exit_code: exit_code as i32,
        stdout: read(&stdout_path),
        stderr: read(&stderr_path),
    })
}

/// Runs PROGRAM with its output in the two files and prints its wall time in nanoseconds,
/// its peak RSS in kilobytes and its exit code (-1 when a signal ended it). This is the
/// wrapper mode, `run_bench --measure-child STDOUT STDERR PROGRAM [ARGS...]`.
///
/// `wait4` returns the rusage of that one child, unlike `getrusage(RUSAGE_CHILDREN)`, which
/// keeps the maximum over every child that the caller ever waited for.
fn measure_main(args: &[String]) -> Result<(), String> {
    let [stdout_path, stderr_path, program, rest @ ..] = args else {
        return Err(format!(
            "usage: {MEASURE_FLAG} STDOUT STDERR PROGRAM [ARGS...]"
        ));
    };
    let create =
        |path: &str| File::create(path).map_err(|error| format!("cannot create {path}: {error}"));
    let mut command = Command::new(program);
    command
        .args(rest)
        .stdin(Stdio::null())
        .stdout(create(stdout_path)?)
        .stderr(create(stderr_path)?);

    let started = Instant::now();
    let child = command
        .spawn()
        .map_err(|error| format!("cannot start {program}: {error}"))?;
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero `rusage` is a valid value of this plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `pid` is our child, not waited for yet, and both pointers are valid.
        let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if waited == pid {
            break;
        }
        let error = std::io::Error::last_os_error();
        if error.kind() != std::io::ErrorKind::Interrupted {
            return Err(format!("wait4 on {program} failed: {error}"));
        }
    }
    let wall = started.elapsed();
    // The child is reaped already; dropping the handle neither waits nor kills.
    drop(child);

    let exit_code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    println!("{} {} {exit_code}", wall.as_nanos(), usage.ru_maxrss);
    Ok(())
}

/// Measures the lowest peak RSS that `measure` can report: that of a child which does nothing.
fn spawn_floor_kb(scratch: &Path) -> Result<u64, String> {
    Ok(measure(&Command::new("true"), scratch)?.max_rss_kb)
}

/// A `usps-batch sandbox` process on a free loopback port, stopped when dropped.
struct SandboxProcess {
    child: Child,
    base_url: String,
}

impl SandboxProcess {
    fn start(scratch: &Path) -> Result<SandboxProcess, String> {
        // The port is free when probed; another process taking it before the sandbox binds
        // it makes the readiness check below fail with a clear message.
        let port = TcpListener::bind(("127.0.0.1", 0))
            .and_then(|listener| listener.local_addr())
            .map_err(|error| format!("cannot find a free loopback port: {error}"))?
            .port();
        let log_path = scratch.join("sandbox.log");
        let log = File::create(&log_path)
            .map_err(|error| format!("cannot create {}: {error}", log_path.display()))?;
        let child = Command::new(BINARY)
            .args(["sandbox", "--quota", "unlimited", "--listen"])
            .arg(format!("127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|error| format!("cannot start the sandbox: {error}"))?;
        let sandbox = SandboxProcess {
            child,
            base_url: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                return Err(format!(
                    "the sandbox did not listen on 127.0.0.1:{port} within 30 s; see {}",
                    log_path.display()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(sandbox)
    }

    /// Returns the sandbox's peak RSS so far in kilobytes (`VmHWM`), if /proc shows it.
    fn peak_kb(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
        line["VmHWM:".len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Paths of one benchmark workspace.
struct Workspace {
    dir: PathBuf,
    manifest: PathBuf,
    job: PathBuf,
    state: PathBuf,
    output: PathBuf,
    /// URL of a sandbox process that runs call instead of starting one in-process, if any.
    base_url: Option<String>,
}

impl Workspace {
    fn new(dir: &Path) -> Workspace {
        Workspace {
            dir: dir.to_path_buf(),
            manifest: dir.join("manifest.csv"),
            job: dir.join("bench.toml"),
            state: dir.join("state.sqlite"),
            output: dir.join("out"),
            base_url: None,
        }
    }

    fn write_job(&self, concurrency: usize) -> std::io::Result<()> {
        let text = format!(
            "name = \"bench\"\n\
             kind = \"address\"\n\
             input = {input:?}\n\
             output_dir = {output:?}\n\
             state = {state:?}\n\
             env = \"sandbox\"\n\
             quota = \"unlimited\"\n\
             concurrency = {concurrency}\n\
             \n\
             [sandbox]\n\
             quota = \"unlimited\"\n",
            input = self.manifest.display().to_string(),
            output = self.output.display().to_string(),
            state = self.state.display().to_string(),
        );
        std::fs::write(&self.job, text)
    }

    /// Removes the state file and its WAL files, for a first run from nothing.
    fn remove_state(&self, state: &Path) {
        for suffix in ["", "-wal", "-shm"] {
            let mut path = state.as_os_str().to_owned();
            path.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(path));
        }
    }

    fn run_command(&self, extra: &[&str]) -> Command {
        let mut command = Command::new(BINARY);
        command
            .arg("run")
            .arg(&self.job)
            .args(["--quota", "unlimited", "--quiet"])
            .args(extra);
        if let Some(base_url) = &self.base_url {
            command.args(["--base-url", base_url]);
        }
        command
    }

    fn summary(&self) -> Result<Value, String> {
        let path = self.output.join("bench.summary.json");
        let text = std::fs::read_to_string(&path)
            .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
        serde_json::from_str(&text).map_err(|error| format!("invalid {}: {error}", path.display()))
    }
}

/// The measured phases, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    First,
    Rerun,
    Fresh,
    Plan,
}

impl Phase {
    const ALL: [Phase; 4] = [Phase::First, Phase::Rerun, Phase::Fresh, Phase::Plan];

    fn label(self) -> &'static str {
        match self {
            Phase::First => "first run (calls the sandbox)",
            Phase::Rerun => "rerun (every row finished)",
            Phase::Fresh => "--fresh rerun (answers cached)",
            Phase::Plan => "plan (empty state file)",
        }
    }
}

/// Runs one phase once, checks what it did, and returns its sample.
fn run_phase(
    phase: Phase,
    workspace: &Workspace,
    counts: &ManifestCounts,
) -> Result<Sample, String> {
    let scratch = &workspace.dir;
    let (sample, summary) = match phase {
        Phase::First => {
            workspace.remove_state(&workspace.state);
            let sample = measure(&workspace.run_command(&[]), scratch)?;
            (sample, Some(workspace.summary()?))
        }
        Phase::Rerun => {
            let sample = measure(&workspace.run_command(&[]), scratch)?;
            (sample, Some(workspace.summary()?))
        }
        Phase::Fresh => {
            let sample = measure(&workspace.run_command(&["--fresh"]), scratch)?;
            (sample, Some(workspace.summary()?))
        }
        Phase::Plan => {
            let plan_state = workspace.dir.join("plan.sqlite");
            workspace.remove_state(&plan_state);
            let mut command = Command::new(BINARY);
            command
                .arg("plan")
                .arg(&workspace.job)
                .arg("--state")
                .arg(&plan_state)
                .arg("--json");
            (measure(&command, scratch)?, None)
        }
    };

    // A run exits 3 because the manifest contains invalid rows on purpose.
    let expected_exit = if phase == Phase::Plan { 0 } else { 3 };
    if sample.exit_code != expected_exit {
        return Err(format!(
            "{} exited with {} instead of {expected_exit}; stderr:\n{}",
            phase.label(),
            sample.exit_code,
            sample.stderr
        ));
    }
    match summary {
        Some(summary) => check_summary(phase, &summary, counts)?,
        None => check_plan(&sample.stdout, counts)?,
    }
    Ok(sample)
}

fn check_summary(phase: Phase, summary: &Value, counts: &ManifestCounts) -> Result<(), String> {
    let field = |name: &str| summary[name].as_u64().unwrap_or(u64::MAX);
    let valid_rows = counts.rows - counts.invalid;
    let mut expected = vec![("rows", counts.rows), ("remaining_rows", 0)];
    match phase {
        Phase::First => expected.extend([
            ("api_calls", counts.unique_valid),
            ("local_errors", counts.invalid),
            ("cache_hits", 0),
            ("deduplicated", valid_rows - counts.unique_valid),
        ]),
        Phase::Rerun => expected.extend([
            ("api_calls", 0),
            ("resumed_rows", counts.rows),
            ("local_errors", 0),
        ]),
        // Every valid row, duplicates included, finds its response cached by an earlier run.
        Phase::Fresh => expected.extend([
            ("api_calls", 0),
            ("cache_hits", valid_rows),
            ("deduplicated", 0),
            ("local_errors", counts.invalid),
        ]),
        Phase::Plan => {}
    }
    for (name, value) in expected {
        if field(name) != value {
            return Err(format!(
                "{}: summary field {name} is {}, expected {value}; summary:\n{summary:#}",
                phase.label(),
                summary[name]
            ));
        }
    }
    Ok(())
}

fn check_plan(stdout: &str, counts: &ManifestCounts) -> Result<(), String> {
    let plan: Value = serde_json::from_str(stdout)
        .map_err(|error| format!("plan --json printed invalid JSON ({error}):\n{stdout}"))?;
    let rows = plan["rows"].as_u64();
    let calls = plan["calls_needed"].as_u64();
    if rows != Some(counts.rows) || calls != Some(counts.unique_valid) {
        return Err(format!(
            "plan reports {rows:?} rows and {calls:?} calls needed, expected {} and {}",
            counts.rows, counts.unique_valid
        ));
    }
    Ok(())
}

/// Median wall time and peak memory of one phase's runs.
struct PhaseResult {
    phase: Phase,
    runs: usize,
    wall: Duration,
    /// Median of the runs' peak RSS, in kilobytes.
    max_rss_kb: u64,
    /// Highest of the runs' peak RSS, in kilobytes.
    highest_rss_kb: u64,
    walls: Vec<Duration>,
}

fn median<T: Copy + Ord>(values: &[T]) -> T {
    let mut sorted = values.to_vec();
    sorted.sort();
    sorted[sorted.len() / 2]
}

fn megabytes(kilobytes: u64) -> f64 {
    kilobytes as f64 / 1024.0
}

fn rows_per_second(rows: u64, wall: Duration) -> f64 {
    rows as f64 / wall.as_secs_f64()
}

fn describe_machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split_once(':'))
                .map(|(_, name)| name.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|line| line.starts_with("MemTotal:"))
                .map(|line| line["MemTotal:".len()..].trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism().map_or(0, |cores| cores.get());
    format!("{cores} cores, {cpu}, memory {memory}")
}

/// Returns the 1, 5 and 15 minute load averages from /proc/loadavg, which show whether other
/// work competed for the cores during the bench.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|| "unknown".into())
}

fn print_results(results: &[PhaseResult], rows: u64, floor_kb: u64) {
    println!();
    println!(
        "{:<32} {:>5} {:>10} {:>12} {:>10} {:>10}   runs (s)",
        "phase", "runs", "median s", "rows/s", "peak MB", "max MB"
    );
    for result in results {
        let walls: Vec<String> = result
            .walls
            .iter()
            .map(|wall| format!("{:.2}", wall.as_secs_f64()))
            .collect();
        println!(
            "{:<32} {:>5} {:>10.2} {:>12.0} {:>10.1} {:>10.1}   {}",
            result.phase.label(),
            result.runs,
            result.wall.as_secs_f64(),
            rows_per_second(rows, result.wall),
            megabytes(result.max_rss_kb),
            megabytes(result.highest_rss_kb),
            walls.join(" ")
        );
    }
    println!(
        "peak MB is the median of the runs' ru_maxrss and max MB the highest; no figure can be below the spawn floor of {:.1} MB",
        megabytes(floor_kb)
    );

    let wall = |phase: Phase| {
        results
            .iter()
            .find(|result| result.phase == phase)
            .map(|result| result.wall.as_secs_f64())
    };
    if let Some(first) = wall(Phase::First) {
        println!();
        for phase in [Phase::Rerun, Phase::Fresh, Phase::Plan] {
            if let Some(other) = wall(phase) {
                println!(
                    "speed of {} relative to the first run: {:.1}x",
                    phase.label(),
                    first / other
                );
            }
        }
    }

    println!();
    if let Some(fresh) = results.iter().find(|result| result.phase == Phase::Fresh) {
        let speed = rows_per_second(rows, fresh.wall);
        println!(
            "target: cached rerun above {TARGET_CACHED_ROWS_PER_SECOND:.0} rows/s: {} ({speed:.0} rows/s)",
            verdict(speed > TARGET_CACHED_ROWS_PER_SECOND)
        );
    }
    let peak = results
        .iter()
        .map(|result| result.highest_rss_kb)
        .max()
        .unwrap_or(0);
    println!(
        "target: peak memory under {TARGET_PEAK_MB:.0} MB in every run: {} (highest {:.1} MB)",
        verdict(megabytes(peak) < TARGET_PEAK_MB),
        megabytes(peak)
    );
}

fn verdict(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "MISSED"
    }
}

fn run(options: &Options) -> Result<(), String> {
    let temp = tempfile::Builder::new()
        .prefix("usps-batch-bench-")
        .tempdir()
        .map_err(|error| format!("cannot create a temporary folder: {error}"))?;
    let mut workspace = Workspace::new(temp.path());

    println!("machine: {}", describe_machine());
    println!("load average at start: {}", load_average());
    println!("binary: {BINARY}");
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/addresses.csv");
    let places = load_places(&samples)?;
    if places.is_empty() {
        return Err(format!(
            "{} has no usable city/state/ZIP",
            samples.display()
        ));
    }

    let started = Instant::now();
    let counts = write_manifest(&workspace.manifest, options.rows, &places)
        .map_err(|error| format!("cannot write {}: {error}", workspace.manifest.display()))?;
    workspace
        .write_job(options.concurrency)
        .map_err(|error| format!("cannot write {}: {error}", workspace.job.display()))?;
    let manifest_bytes = std::fs::metadata(&workspace.manifest).map_or(0, |meta| meta.len());
    println!(
        "manifest: {} rows ({} exact duplicates, {} invalid, {} distinct valid addresses over {} places), {:.1} MB, written in {:.1} s",
        counts.rows,
        counts.duplicates,
        counts.invalid,
        counts.unique_valid,
        places.len(),
        manifest_bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    let sandbox = if options.sandbox_process {
        let sandbox = SandboxProcess::start(&workspace.dir)?;
        workspace.base_url = Some(sandbox.base_url.clone());
        Some(sandbox)
    } else {
        None
    };
    let sandbox_place = match &sandbox {
        Some(sandbox) => format!("a separate process at {}", sandbox.base_url),
        None => "in-process".to_string(),
    };
    println!(
        "job: kind address, quota unlimited (runner and sandbox), concurrency {}, sandbox {sandbox_place}",
        options.concurrency
    );
    let floor_kb = spawn_floor_kb(&workspace.dir)?;

    let mut results = Vec::new();
    for phase in Phase::ALL {
        let runs = match phase {
            Phase::First => options.first_repeats,
            _ => options.repeats,
        };
        let mut walls = Vec::new();
        let mut peaks = Vec::new();
        for attempt in 1..=runs {
            // The rerun and the --fresh rerun need the state of a completed first run. The
            // first run's repeats each start from nothing, so its last one leaves that state.
            let sample = run_phase(phase, &workspace, &counts)?;
            println!(
                "{} #{attempt}: {:.2} s, {:.0} rows/s, peak {:.1} MB",
                phase.label(),
                sample.wall.as_secs_f64(),
                rows_per_second(counts.rows, sample.wall),
                megabytes(sample.max_rss_kb)
            );
            walls.push(sample.wall);
            peaks.push(sample.max_rss_kb);
        }
        results.push(PhaseResult {
            phase,
            runs,
            wall: median(&walls),
            max_rss_kb: median(&peaks),
            highest_rss_kb: peaks.iter().copied().max().unwrap_or(0),
            walls,
        });
    }
    print_results(&results, counts.rows, floor_kb);
    println!("load average at end: {}", load_average());
    if let Some(peak) = sandbox.as_ref().and_then(SandboxProcess::peak_kb) {
        println!(
            "the sandbox process peaked at {:.1} MB (VmHWM), not counted above",
            megabytes(peak)
        );
    }

    if options.keep {
        let kept_dir = temp.keep();
        println!("kept {}", kept_dir.display());
    }
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some(MEASURE_FLAG) {
        if let Err(message) = measure_main(&args[2..]) {
            eprintln!("error: {message}");
            std::process::exit(1);
        }
        return;
    }
    let options = match parse_options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    if let Err(message) = run(&options) {
        eprintln!("error: {message}");
        std::process::exit(1);
    }
}
