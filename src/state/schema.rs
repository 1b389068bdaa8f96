//! Tables of the state file. Times are milliseconds since the Unix epoch.

use rusqlite::Connection;

/// Version 2 keys the cache by slot (see src/state/cache.rs). Version 1 keyed it by
/// environment and request.
const SCHEMA_VERSION: i64 = 2;

/// The cache table: responses by normalized request, shared by every job of an environment.
/// `slot` is a digest of `env` and `request_key`, as src/state/cache.rs explains.
const CREATE_CACHE: &str = "
    CREATE TABLE IF NOT EXISTS cache (
        slot INTEGER PRIMARY KEY,
        env TEXT NOT NULL,
        request_key BLOB NOT NULL,
        kind TEXT NOT NULL,
        status INTEGER NOT NULL,
        body TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        run_id INTEGER
    );
";

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
            connection.execute_batch(CREATE_CACHE)?;
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
        Some(found) => {
            if found < 2 {
                upgrade_cache(connection)?;
            }
            if found < SCHEMA_VERSION {
                connection.execute(
                    "UPDATE meta SET value = ?1 WHERE key = 'schema_version'",
                    [SCHEMA_VERSION.to_string()],
                )?;
            }
        }
    }
    add_settings_digest(connection)
}

/// Moves the cache of a version 1 state file into the slotted table. Each cached response is
/// a call already spent from the quota, so they are moved, not dropped. It runs once, inside
/// the migration's transaction, and a million entries took 20 to 30 seconds on a 2-core
/// machine.
fn upgrade_cache(connection: &Connection) -> rusqlite::Result<()> {
    tracing::info!("upgrading the state file's cache to schema version 2");
    connection.execute_batch("ALTER TABLE cache RENAME TO cache_version_1")?;
    connection.execute_batch(CREATE_CACHE)?;
    {
        let mut read = connection.prepare(
            "SELECT env, request_key, kind, status, body, created_at, run_id
             FROM cache_version_1",
        )?;
        // Of two entries whose slots collide, one is kept. The other request is sent again
        // when a row needs it.
        let mut write = connection.prepare(
            "INSERT OR REPLACE INTO cache
                 (slot, env, request_key, kind, status, body, created_at, run_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        let mut entries = read.query([])?;
        while let Some(entry) = entries.next()? {
            let env: String = entry.get(0)?;
            let key: Vec<u8> = entry.get(1)?;
            write.execute(rusqlite::params![
                super::cache::slot(&env, &key),
                env,
                key,
                entry.get::<_, String>(2)?,
                entry.get::<_, i64>(3)?,
                entry.get::<_, String>(4)?,
                entry.get::<_, i64>(5)?,
                entry.get::<_, Option<i64>>(6)?,
            ])?;
        }
    }
    connection.execute_batch("DROP TABLE cache_version_1")
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::cache::{self, CacheEntry, CacheLookup};

    #[test]
    fn version_1_cache_entries_survive_the_upgrade() {
        let connection = Connection::open_in_memory().unwrap();
        connection
            .execute_batch(
                "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                 INSERT INTO meta VALUES ('schema_version', '1');
                 CREATE TABLE cache (
                     env TEXT NOT NULL,
                     request_key BLOB NOT NULL,
                     kind TEXT NOT NULL,
                     status INTEGER NOT NULL,
                     body TEXT NOT NULL,
                     created_at INTEGER NOT NULL,
                     run_id INTEGER,
                     PRIMARY KEY (env, request_key)
                 ) WITHOUT ROWID;
                 INSERT INTO cache VALUES ('sandbox', x'07070707070707070707070707070707',
                     'address', 400, '{\"error\":{}}', 1000, 3);
                 INSERT INTO cache VALUES ('tem', x'07070707070707070707070707070707',
                     'address', 200, '{}', 2000, NULL);",
            )
            .unwrap();
        migrate(&connection).unwrap();

        let version: String = connection
            .query_row(
                "SELECT value FROM meta WHERE key = 'schema_version'",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION.to_string());
        let any = CacheLookup {
            fresh_after: 0,
            only_run: None,
        };
        let key = [7u8; 16];
        assert_eq!(
            cache::get(&connection, "sandbox", &key, any).unwrap(),
            Some(CacheEntry {
                status: 400,
                body: "{\"error\":{}}".into(),
                run_id: Some(3),
            })
        );
        assert_eq!(
            cache::get(&connection, "tem", &key, any).unwrap(),
            Some(CacheEntry {
                status: 200,
                body: "{}".into(),
                run_id: None,
            })
        );
        // A second migration finds the new layout and leaves it alone.
        migrate(&connection).unwrap();
        assert!(cache::get(&connection, "tem", &key, any).unwrap().is_some());
    }
}
