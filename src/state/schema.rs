//! Tables of the state file. Times are milliseconds since the Unix epoch.

use rusqlite::Connection;

const SCHEMA_VERSION: i64 = 1;

/// Creates the tables of a new state file, or checks the version of an existing one. Runs in
/// one immediate transaction, so that two processes that open a new state file at once
/// migrate it one after the other.
pub fn migrate(connection: &Connection) -> rusqlite::Result<()> {
    connection.execute_batch("BEGIN IMMEDIATE")?;
    match create_tables(connection) {
        Ok(()) => connection.execute_batch("COMMIT"),
        Err(error) => {
            let _ = connection.execute_batch("ROLLBACK");
            Err(error)
        }
    }
}

fn create_tables(connection: &Connection) -> rusqlite::Result<()> {
    connection.execute_batch(
        "
        CREATE TABLE IF NOT EXISTS meta (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        -- One row per job: a job file's name and its input file.
        CREATE TABLE IF NOT EXISTS jobs (
            job_id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            kind TEXT NOT NULL,
            input_path TEXT NOT NULL,
            -- Length and hash of the input as last scanned; a rerun whose file starts with
            -- the same bytes only appended rows.
            input_bytes INTEGER NOT NULL DEFAULT 0,
            input_hash BLOB,
            -- Records in the input when a scan last read it to the end.
            input_rows INTEGER,
            -- Digest of the job file's request settings and environment; see
            -- src/job/settings.rs.
            settings_digest BLOB,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS runs (
            run_id INTEGER PRIMARY KEY AUTOINCREMENT,
            job_id TEXT NOT NULL,
            pid INTEGER NOT NULL,
            started_at INTEGER NOT NULL,
            finished_at INTEGER,
            exit_code INTEGER,
            api_calls INTEGER,
            message TEXT
        );
        -- Row checkpoints, keyed by record number; content_hash detects a changed row.
        CREATE TABLE IF NOT EXISTS rows (
            job_id TEXT NOT NULL,
            row INTEGER NOT NULL,
            content_hash BLOB NOT NULL,
            state TEXT NOT NULL,
            retryable INTEGER NOT NULL DEFAULT 0,
            result TEXT,
            updated_at INTEGER NOT NULL,
            PRIMARY KEY (job_id, row)
        ) WITHOUT ROWID;
        -- Every request sent with a credential, token requests included. The credential is
        -- a hash of the environment and client id, never the id itself.
        CREATE TABLE IF NOT EXISTS ledger (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            credential TEXT NOT NULL,
            pool TEXT NOT NULL,
            sent_at INTEGER NOT NULL,
            api TEXT NOT NULL,
            path TEXT NOT NULL,
            is_token INTEGER NOT NULL,
            status INTEGER
        );
        CREATE INDEX IF NOT EXISTS ledger_window ON ledger (credential, pool, sent_at);
        -- Answers by normalized request, shared by every job of an environment.
        CREATE TABLE IF NOT EXISTS cache (
            env TEXT NOT NULL,
            request_key BLOB NOT NULL,
            kind TEXT NOT NULL,
            status INTEGER NOT NULL,
            body TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            run_id INTEGER,
            PRIMARY KEY (env, request_key)
        ) WITHOUT ROWID;
        -- Idempotency key and exact body of each purchase row, committed before its first
        -- attempt; see src/state/pins.rs.
        CREATE TABLE IF NOT EXISTS purchase_pins (
            -- The job's name, the row's content hash and its occurrence among identical rows
            -- identify the order, wherever it sits in the file.
            scope TEXT NOT NULL,
            content_hash BLOB NOT NULL,
            occurrence INTEGER NOT NULL,
            -- Where the row was last seen, for attempt counts and reports.
            job_id TEXT NOT NULL,
            row INTEGER NOT NULL,
            idempotency_key TEXT NOT NULL,
            body TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL,
            -- Order in which pins were placed at their row, latest highest.
            placed INTEGER NOT NULL,
            PRIMARY KEY (scope, content_hash, occurrence)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS purchase_pins_place ON purchase_pins (job_id, row, content_hash);
        -- Results of `usps-batch cancel`, one per row.
        CREATE TABLE IF NOT EXISTS label_cancels (
            job_id TEXT NOT NULL,
            row INTEGER NOT NULL,
            tracking_number TEXT NOT NULL,
            status TEXT NOT NULL,
            dispute_id TEXT,
            message TEXT NOT NULL,
            updated_at INTEGER NOT NULL,
            PRIMARY KEY (job_id, row)
        ) WITHOUT ROWID;
        ",
    )?;
    let version: Option<i64> = connection
        .query_row(
            "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'schema_version'",
            [],
            |row| row.get(0),
        )
        .ok();
    match version {
        None => {
            connection.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?1)",
                [SCHEMA_VERSION.to_string()],
            )?;
        }
        Some(found) if found > SCHEMA_VERSION => {
            return Err(rusqlite::Error::InvalidParameterName(format!(
                "schema version {found} is newer than this usps-batch understands ({SCHEMA_VERSION}); upgrade usps-batch or use another state file"
            )));
        }
        Some(_) => {}
    }
    add_settings_digest(connection)
}

/// Adds `jobs.settings_digest` to state files made before it existed. Their jobs have no
/// digest, and their next run records one without stopping. New state files have the column
/// from the start, so that two runs that create one at once cannot both add it.
fn add_settings_digest(connection: &Connection) -> rusqlite::Result<()> {
    let present: bool = connection.query_row(
        "SELECT COUNT(*) > 0 FROM pragma_table_info('jobs') WHERE name = 'settings_digest'",
        [],
        |row| row.get(0),
    )?;
    if !present {
        // Another process may add the column between the check and this statement.
        match connection.execute_batch("ALTER TABLE jobs ADD COLUMN settings_digest BLOB") {
            Err(error) if error.to_string().contains("duplicate column name") => {}
            other => other?,
        }
    }
    Ok(())
}
