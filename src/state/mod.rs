//! The SQLite state file: row checkpoints, the quota ledger, the response cache, jobs and runs.
//!
//! One thread owns the writing connection ([`Store`]); async code sends it closures and
//! awaits their results. The thread runs every closure that is queued at that moment in one
//! `BEGIN IMMEDIATE` transaction, each inside its own savepoint, and replies only after the
//! commit. A caller that has its answer therefore knows the change is on disk. Readers that
//! stream large tables (the scan and the output writer) open their own connections with
//! [`open_reader`]; WAL mode lets them read while the writer commits.

pub mod cache;
pub mod cancels;
pub mod jobs;
pub mod ledger;
pub mod pins;
pub mod rows;
mod schema;

pub use cache::{CacheEntry, CacheLookup};
pub use ledger::{credential_hash, LedgerUse, Reservation};
pub use pins::Pin;
pub use rows::{RowCursor, RowKey, RowState, StoredRow};

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use tokio::sync::oneshot;

/// A state file problem. These stop a run: without its checkpoints a run cannot promise to
/// resume.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open state file {path}: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("cannot create the folder of state file {path}: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("state file {path}: {source}")]
    Sql {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("state file {path}: commit failed: {message}")]
    Commit { path: PathBuf, message: String },
    #[error("state file {path}: the change was not committed, because the file stayed locked by another process or the writer thread stopped")]
    Closed { path: PathBuf },
}

type Job = Box<dyn FnOnce(&Connection) -> Reply + Send>;

/// Sends a closure's result to its caller once the group's commit is known: `None` when it
/// committed, else the commit error.
type Reply = Box<dyn FnOnce(Option<&str>) + Send>;

/// Handle to the thread that owns the writing connection. Cloning is cheap.
#[derive(Clone)]
pub struct Store {
    sender: mpsc::Sender<Job>,
    path: PathBuf,
}

/// How long a connection waits for another process's write lock before SQLite reports
/// SQLITE_BUSY. Two cron runs on one state file hold the lock only for short transactions.
const BUSY_TIMEOUT: Duration = Duration::from_secs(60);

/// Maximum number of closures committed in one transaction, so that one commit stays short.
const MAX_GROUP: usize = 512;

impl Store {
    /// Opens (creating if needed) the state file and starts its writer thread. A new file is
    /// made readable by its owner only, because it records the client id hash and the
    /// history of the runs.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                path: path.to_path_buf(),
                source,
            })?;
        }
        create_private(path).map_err(|source| StoreError::CreateDir {
            path: path.to_path_buf(),
            source,
        })?;
        let connection = open_connection(path, false)?;
        schema::migrate(&connection).map_err(|source| StoreError::Sql {
            path: path.to_path_buf(),
            source,
        })?;

        let (sender, receiver) = mpsc::channel::<Job>();
        let thread_path = path.to_path_buf();
        thread::Builder::new()
            .name("state-writer".into())
            .spawn(move || writer_loop(connection, receiver, thread_path))
            .map_err(|source| StoreError::CreateDir {
                path: path.to_path_buf(),
                source,
            })?;
        Ok(Store {
            sender,
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `work` on the writer thread inside a savepoint of the current group transaction,
    /// and returns its result once the transaction has committed.
    pub async fn call<R, F>(&self, work: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<R> + Send + 'static,
    {
        self.queue(work).await
    }

    /// Hands `work` to the writer thread at once, like [`Store::call`], and returns a future
    /// of its result, so that the caller can go on while the writer runs and commits it.
    pub fn queue<R, F>(
        &self,
        work: F,
    ) -> impl std::future::Future<Output = Result<R, StoreError>> + Send + 'static
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<R> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let submitted = self.submit(work, reply);
        let path = self.path.clone();
        async move {
            submitted?;
            match answer.await {
                Ok(result) => result,
                Err(_) => Err(StoreError::Closed { path }),
            }
        }
    }

    /// Runs `work` like [`Store::call`], blocking, for code outside the async runtime.
    pub fn call_blocking<R, F>(&self, work: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<R> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        self.submit(work, reply)?;
        match answer.blocking_recv() {
            Ok(result) => result,
            Err(_) => Err(StoreError::Closed {
                path: self.path.clone(),
            }),
        }
    }

    fn submit<R, F>(
        &self,
        work: F,
        reply: oneshot::Sender<Result<R, StoreError>>,
    ) -> Result<(), StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<R> + Send + 'static,
    {
        let path = self.path.clone();
        let job: Job = Box::new(move |connection: &Connection| -> Reply {
            let result = run_in_savepoint(connection, work);
            // The result is held back until the group commits, so that a caller never acts
            // on a change that a failed commit rolled back.
            Box::new(move |commit: Option<&str>| {
                let outcome = match commit {
                    None => result.map_err(|source| StoreError::Sql { path, source }),
                    Some(message) => Err(StoreError::Commit {
                        path,
                        message: message.to_string(),
                    }),
                };
                let _ = reply.send(outcome);
            })
        });
        self.sender.send(job).map_err(|_| StoreError::Closed {
            path: self.path.clone(),
        })
    }
}

fn run_in_savepoint<R>(
    connection: &Connection,
    work: impl FnOnce(&Connection) -> rusqlite::Result<R>,
) -> rusqlite::Result<R> {
    connection.execute_batch("SAVEPOINT job")?;
    match work(connection) {
        Ok(value) => {
            connection.execute_batch("RELEASE job")?;
            Ok(value)
        }
        Err(error) => {
            // Undo only this closure's changes; the rest of the group still commits.
            connection.execute_batch("ROLLBACK TO job; RELEASE job")?;
            Err(error)
        }
    }
}

fn writer_loop(mut connection: Connection, receiver: mpsc::Receiver<Job>, path: PathBuf) {
    while let Ok(first) = receiver.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match receiver.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }

        let (replies, commit) = run_group(&mut connection, group);
        let commit_error = commit.err().map(|error| error.to_string());
        if let Some(error) = &commit_error {
            tracing::error!(state_file = %path.display(), %error, "state file commit failed");
        }
        for reply in replies {
            reply(commit_error.as_deref());
        }
    }
}

fn run_group(connection: &mut Connection, group: Vec<Job>) -> (Vec<Reply>, rusqlite::Result<()>) {
    // IMMEDIATE takes the write lock up front. A deferred transaction that reads and then
    // writes fails at once with SQLITE_BUSY when another process writes, whatever the busy
    // timeout.
    let transaction = match connection.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(transaction) => transaction,
        Err(error) => {
            // Without a transaction nothing can run; every caller gets the error.
            let message = error.to_string();
            let replies = group
                .into_iter()
                .map(|_| -> Reply {
                    let message = message.clone();
                    Box::new(move |_| drop(message))
                })
                .collect();
            return (replies, Err(error));
        }
    };
    let replies = group.into_iter().map(|job| job(&transaction)).collect();
    (replies, transaction.commit())
}

/// Opens a connection for reading large tables outside the writer thread.
pub fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    open_connection(path, true)
}

fn open_connection(path: &Path, read_only: bool) -> Result<Connection, StoreError> {
    let flags = if read_only {
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
    };
    let open_error = |source| StoreError::Open {
        path: path.to_path_buf(),
        source,
    };
    let connection = Connection::open_with_flags(path, flags).map_err(open_error)?;
    connection.busy_timeout(BUSY_TIMEOUT).map_err(open_error)?;
    if !read_only {
        // WAL lets readers (plan, status, the output writer) work while a run commits;
        // NORMAL sync is durable across process crashes, which is what resume needs.
        enable_wal(&connection).map_err(open_error)?;
        connection
            .execute_batch("PRAGMA synchronous = NORMAL;")
            .map_err(open_error)?;
    }
    Ok(connection)
}

/// Switches the state file to WAL, which it keeps once set. SQLite returns "database is
/// locked" for this switch at once, without waiting out the busy timeout, while another
/// process creates the file's tables, so the switch is tried again for up to that timeout.
fn enable_wal(connection: &Connection) -> rusqlite::Result<()> {
    let started = std::time::Instant::now();
    loop {
        let mode = connection.query_row("PRAGMA journal_mode = WAL", [], |row| {
            row.get::<_, String>(0)
        });
        match mode {
            Ok(_) => return Ok(()),
            Err(rusqlite::Error::SqliteFailure(error, _))
                if error.code == rusqlite::ErrorCode::DatabaseBusy
                    && started.elapsed() < BUSY_TIMEOUT =>
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(error) => return Err(error),
        }
    }
}

#[cfg(unix)]
fn create_private(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(error),
    }
}

#[cfg(not(unix))]
fn create_private(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

/// Milliseconds since the Unix epoch, the time unit of every table.
pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn call_commits_before_reply() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.sqlite");
        let store = Store::open(&path).unwrap();
        store
            .call(|connection| {
                connection.execute("INSERT INTO meta(key, value) VALUES ('probe', '1')", [])
            })
            .await
            .unwrap();
        let reader = open_reader(&path).unwrap();
        let value: String = reader
            .query_row("SELECT value FROM meta WHERE key = 'probe'", [], |row| {
                row.get(0)
            })
            .unwrap();
        assert_eq!(value, "1");
    }

    #[tokio::test]
    async fn failed_call_keeps_others() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("state.sqlite")).unwrap();
        let good = store.call(|connection| {
            connection.execute("INSERT INTO meta(key, value) VALUES ('a', '1')", [])
        });
        let bad = store.call(|connection| connection.execute("INSERT INTO nowhere VALUES (1)", []));
        let (good, bad) = tokio::join!(good, bad);
        assert!(good.is_ok());
        assert!(bad.is_err());
        let count: i64 = store
            .call(|connection| {
                connection.query_row("SELECT COUNT(*) FROM meta WHERE key = 'a'", [], |row| {
                    row.get(0)
                })
            })
            .await
            .unwrap();
        assert_eq!(count, 1);
    }

    #[cfg(unix)]
    #[test]
    fn new_state_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested").join("state.sqlite");
        let _store = Store::open(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "mode {mode:o}");
    }
}
