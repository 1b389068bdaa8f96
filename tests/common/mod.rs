//! Helpers shared by the integration tests: a temporary workspace, the real binary, and a
//! sandbox served over loopback.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

/// Returns the repository root, where `jobs/` and `samples/` live.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A temporary folder with its own state file and output folder.
pub struct Workspace {
    pub dir: TempDir,
}

impl Default for Workspace {
    fn default() -> Self {
        Self::new()
    }
}

impl Workspace {
    pub fn new() -> Workspace {
        Workspace {
            dir: tempfile::tempdir().expect("temporary folder"),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn state(&self) -> PathBuf {
        self.path("state.sqlite")
    }

    pub fn out(&self) -> PathBuf {
        self.path("out")
    }

    pub fn write(&self, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, content).expect("write test file");
        path
    }

    /// Writes a job file `<name>.toml` for `input` with the given extra TOML lines.
    pub fn job(&self, name: &str, kind: &str, input: &Path, extra: &str) -> PathBuf {
        let text = format!(
            "name = {name:?}\nkind = {kind:?}\ninput = {input:?}\noutput_dir = {out:?}\nstate = {state:?}\n{extra}\n",
            input = input.display().to_string(),
            out = self.out().display().to_string(),
            state = self.state().display().to_string(),
        );
        self.write(&format!("{name}.toml"), text)
    }

    /// Runs `usps-batch` with `args` in the workspace.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_env(args, &[])
    }

    pub fn run_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        run_in(self.dir.path(), args, env)
    }

    pub fn summary(&self, job: &str) -> serde_json::Value {
        let path = self.out().join(format!("{job}.summary.json"));
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
        serde_json::from_str(&text).expect("summary is JSON")
    }

    /// Reads `out/<file>` as CSV rows keyed by header.
    pub fn csv(&self, file: &str) -> Vec<HashMap<String, String>> {
        read_csv(&self.out().join(file))
    }
}

/// Runs `usps-batch` with `args` in `dir`, without the caller's USPS credentials.
pub fn run_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = command_in(dir, args);
    for (name, value) in env {
        command.env(name, value);
    }
    Run(command.output().expect("run usps-batch"))
}

/// Builds the `usps-batch` command without running it.
pub fn command_in(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_usps-batch"));
    command
        .args(args)
        .current_dir(dir)
        .env_remove("USPS_CLIENT_ID")
        .env_remove("USPS_CLIENT_SECRET")
        .env_remove("USPS_BATCH_LOG");
    command
}

pub fn read_csv(path: &Path) -> Vec<HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    let headers = reader.headers().expect("header").clone();
    reader
        .records()
        .map(|record| {
            let record = record.expect("record");
            headers
                .iter()
                .zip(record.iter())
                .map(|(name, value)| (name.to_string(), value.to_string()))
                .collect()
        })
        .collect()
}

/// The output of one command.
pub struct Run(pub Output);

impl Run {
    pub fn code(&self) -> i32 {
        self.0.status.code().unwrap_or(-1)
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }

    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }

    /// Asserts the exit code, printing stderr when it differs.
    pub fn expect_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code(),
            code,
            "exit code {} (expected {code})\nstderr:\n{}",
            self.code(),
            self.stderr()
        );
        self
    }
}

/// Starts `usps-batch` with `args` in `dir` once per delay, sends SIGKILL after the delay to
/// a run still going, and returns how many runs were killed.
pub fn kill_runs(dir: &Path, args: &[&str], delays_ms: &[u64]) -> u64 {
    let mut kills = 0;
    for delay in delays_ms {
        let mut child = command_in(dir, args).spawn().expect("spawn");
        std::thread::sleep(std::time::Duration::from_millis(*delay));
        if child.try_wait().expect("poll").is_none() {
            child.kill().expect("SIGKILL");
            kills += 1;
        }
        child.wait().expect("reap");
    }
    kills
}

/// Fetches the stats of a sandbox over HTTP.
pub fn sandbox_stats(base_url: &str) -> serde_json::Value {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        reqwest::get(format!("{base_url}/__sandbox/stats"))
            .await
            .expect("stats request")
            .json()
            .await
            .expect("stats JSON")
    })
}

/// A sandbox served by a runtime of the test's own, on an ephemeral loopback port.
pub struct TestSandbox {
    runtime: tokio::runtime::Runtime,
    sandbox: Option<usps_batch::sandbox::Sandbox>,
    pub base_url: String,
}

impl TestSandbox {
    pub fn start(config: usps_batch::sandbox::SandboxConfig) -> TestSandbox {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let listen = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
        let sandbox = runtime
            .block_on(usps_batch::sandbox::Sandbox::start(config, listen))
            .expect("sandbox starts");
        let base_url = sandbox.base_url();
        TestSandbox {
            runtime,
            sandbox: Some(sandbox),
            base_url,
        }
    }

    pub fn stats(&self) -> usps_batch::sandbox::StatsSnapshot {
        self.sandbox.as_ref().expect("running").stats()
    }

    /// Makes every issued token expired at once.
    pub fn expire_tokens(&self) {
        let url = format!("{}/__sandbox/expire-tokens", self.base_url);
        self.runtime.block_on(async {
            reqwest::Client::new()
                .post(url)
                .send()
                .await
                .expect("expire-tokens request")
                .error_for_status()
                .expect("expire-tokens accepted");
        });
    }
}

impl Drop for TestSandbox {
    fn drop(&mut self) {
        if let Some(sandbox) = self.sandbox.take() {
            self.runtime.block_on(sandbox.shutdown());
        }
    }
}

/// Returns the header and the first `count` rows of the sample manifest that USPS resolves,
/// as CSV text. Rows are taken in order, skipping those that fail local checks or the sandbox.
pub fn sample_rows(count: usize) -> String {
    // Ids of sample rows that are invalid or that the sandbox does not confirm.
    const SKIP: &[&str] = &[
        "A0013", "A0020", "A0054", "A0072", "A0078", "A0090", "A0118", "A0125", "A0129", "A0140",
        "A0171", "A0185", "A0199", "A0233", "A0234", "A0241",
    ];
    let text = std::fs::read_to_string(repo().join("samples/addresses.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(reader.headers().unwrap()).unwrap();
    let mut taken = 0;
    for record in reader.records() {
        let record = record.unwrap();
        if SKIP.contains(&&record[0]) {
            continue;
        }
        writer.write_record(&record).unwrap();
        taken += 1;
        if taken == count {
            break;
        }
    }
    assert_eq!(taken, count, "the sample has enough rows");
    String::from_utf8(writer.into_inner().unwrap()).unwrap()
}

/// Sandbox settings for tests: the given quota, no latency, a fixed seed.
pub fn sandbox_config(quota: &str) -> usps_batch::sandbox::SandboxConfig {
    usps_batch::sandbox::SandboxConfig {
        quota: quota.parse().unwrap(),
        seed: 7,
        ..Default::default()
    }
}

/// A sandbox in which the routes of `overrides` replace the sandbox's own. Every other path
/// goes to the real sandbox, so tokens, quota and stats work as usual. It imitates USPS
/// responses that the sandbox never sends, such as a 200 without a price.
pub struct PatchedSandbox {
    runtime: tokio::runtime::Runtime,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    /// The real sandbox's state, whose stats count the calls that reach it.
    pub state: usps_batch::sandbox::SandboxState,
    pub base_url: String,
}

impl PatchedSandbox {
    pub fn start(overrides: axum::Router) -> PatchedSandbox {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let state = usps_batch::sandbox::SandboxState::new(sandbox_config("600/m")).unwrap();
        let app = overrides.fallback_service(usps_batch::sandbox::router(state.clone()));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let base_url = runtime.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let address = listener.local_addr().unwrap();
            tokio::spawn(async move {
                axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await
                    .unwrap();
            });
            format!("http://{address}")
        });
        PatchedSandbox {
            runtime,
            stop: Some(stop),
            state,
            base_url,
        }
    }
}

impl Drop for PatchedSandbox {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.runtime.block_on(tokio::task::yield_now());
    }
}

/// Kills a child process when dropped, also when a test panics: a sandbox left running
/// would keep the test's output pipe open and hang the test run.
pub struct KillOnDrop(pub std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `usps-batch sandbox` with `args` on an ephemeral loopback port, and returns the
/// process with the base URL it printed.
pub fn spawn_sandbox(dir: &Path, args: &[&str]) -> (KillOnDrop, String) {
    use std::io::{BufRead, BufReader};
    let mut all = vec!["sandbox", "--listen", "127.0.0.1:0"];
    all.extend_from_slice(args);
    let mut sandbox = KillOnDrop(
        command_in(dir, &all)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn sandbox"),
    );
    let stderr = sandbox.0.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let base_url = loop {
        let line = lines
            .next()
            .expect("the sandbox prints its address")
            .unwrap();
        if let Some(url) = line.strip_prefix("sandbox listening on ") {
            break url.trim().to_string();
        }
    };
    // Keep reading the sandbox's log, so that its writes never meet a closed pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (sandbox, base_url)
}

/// Serves HTTP on loopback the way a proxy or a wrong host might: a valid-looking token for
/// `POST /oauth2/v3/token`, and `status` with `body` of `content_type` for every other
/// request. Returns the base URL. The server lives until the test process ends.
pub fn serve_fixed(status: u16, content_type: &'static str, body: &'static str) -> String {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut writer = stream;
                loop {
                    let mut request_line = String::new();
                    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
                        return;
                    }
                    let mut length = 0;
                    loop {
                        let mut header = String::new();
                        reader.read_line(&mut header).unwrap();
                        if header == "\r\n" {
                            break;
                        }
                        let lower = header.to_ascii_lowercase();
                        if let Some(value) = lower.strip_prefix("content-length:") {
                            length = value.trim().parse().unwrap();
                        }
                    }
                    let mut request_body = vec![0; length];
                    reader.read_exact(&mut request_body).unwrap();
                    let (status, content_type, answer) = if request_line
                        .contains("/oauth2/v3/token")
                    {
                        (
                            200,
                            "application/json",
                            r#"{"access_token":"aGVhZA.cGF5bG9hZA.c2ln","token_type":"Bearer","expires_in":28799}"#,
                        )
                    } else {
                        (status, content_type, body)
                    };
                    let response = format!(
                        "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\r\n{answer}",
                        answer.len()
                    );
                    if writer.write_all(response.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    base_url
}
