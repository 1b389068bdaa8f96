//! Jobs and runs recorded in the state file.

use rusqlite::{params, Connection, OptionalExtension};

/// A job as recorded: its identity and the input it last scanned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRecord {
    pub job_id: String,
    pub name: String,
    pub kind: String,
    pub input_path: String,
    pub input_bytes: u64,
    pub input_hash: Option<Vec<u8>>,
    /// Digest of the request settings the rows were processed with; `None` for jobs recorded
    /// before the state file kept it.
    pub settings_digest: Option<Vec<u8>>,
}

/// One run of a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRecord {
    pub run_id: i64,
    pub job_id: String,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    pub exit_code: Option<i32>,
    pub api_calls: Option<u64>,
    pub message: Option<String>,
}

pub fn get_job(connection: &Connection, job_id: &str) -> rusqlite::Result<Option<JobRecord>> {
    connection
        .query_row(
            "SELECT job_id, name, kind, input_path, input_bytes, input_hash, settings_digest
             FROM jobs WHERE job_id = ?1",
            [job_id],
            read_job,
        )
        .optional()
}

pub fn list_jobs(connection: &Connection) -> rusqlite::Result<Vec<JobRecord>> {
    let mut statement = connection.prepare(
        "SELECT job_id, name, kind, input_path, input_bytes, input_hash, settings_digest
         FROM jobs ORDER BY job_id",
    )?;
    let jobs = statement.query_map([], read_job)?;
    jobs.collect()
}

fn read_job(row: &rusqlite::Row<'_>) -> rusqlite::Result<JobRecord> {
    Ok(JobRecord {
        job_id: row.get(0)?,
        name: row.get(1)?,
        kind: row.get(2)?,
        input_path: row.get(3)?,
        input_bytes: row.get::<_, i64>(4)? as u64,
        input_hash: row.get(5)?,
        settings_digest: row.get(6)?,
    })
}

pub fn upsert_job(connection: &Connection, job: &JobRecord, now: i64) -> rusqlite::Result<()> {
    connection.execute(
        "INSERT INTO jobs (job_id, name, kind, input_path, input_bytes, input_hash,
             settings_digest, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?8, ?7, ?7)
         ON CONFLICT (job_id) DO UPDATE SET name = excluded.name, kind = excluded.kind,
             input_path = excluded.input_path, input_bytes = excluded.input_bytes,
             input_hash = excluded.input_hash, settings_digest = excluded.settings_digest,
             updated_at = excluded.updated_at",
        params![
            job.job_id,
            job.name,
            job.kind,
            job.input_path,
            job.input_bytes as i64,
            job.input_hash,
            now,
            job.settings_digest
        ],
    )?;
    Ok(())
}

/// Records how many rows the input held when a scan read it to the end.
pub fn set_input_rows(connection: &Connection, job_id: &str, rows: u64) -> rusqlite::Result<()> {
    connection.execute(
        "UPDATE jobs SET input_rows = ?2 WHERE job_id = ?1",
        params![job_id, rows as i64],
    )?;
    Ok(())
}

/// Rows of the input at the last complete scan, if one finished.
pub fn input_rows(connection: &Connection, job_id: &str) -> rusqlite::Result<Option<u64>> {
    let rows: Option<Option<i64>> = connection
        .query_row(
            "SELECT input_rows FROM jobs WHERE job_id = ?1",
            [job_id],
            |row| row.get(0),
        )
        .optional()?;
    Ok(rows.flatten().map(|rows| rows as u64))
}

pub fn start_run(connection: &Connection, job_id: &str, now: i64) -> rusqlite::Result<i64> {
    connection.execute(
        "INSERT INTO runs (job_id, pid, started_at) VALUES (?1, ?2, ?3)",
        params![job_id, std::process::id(), now],
    )?;
    Ok(connection.last_insert_rowid())
}

pub fn finish_run(
    connection: &Connection,
    run_id: i64,
    exit_code: i32,
    api_calls: u64,
    message: &str,
    now: i64,
) -> rusqlite::Result<()> {
    connection.execute(
        "UPDATE runs SET finished_at = ?2, exit_code = ?3, api_calls = ?4, message = ?5
         WHERE run_id = ?1",
        params![run_id, now, exit_code, api_calls as i64, message],
    )?;
    Ok(())
}

pub fn last_run(connection: &Connection, job_id: &str) -> rusqlite::Result<Option<RunRecord>> {
    connection
        .query_row(
            "SELECT run_id, job_id, started_at, finished_at, exit_code, api_calls, message
             FROM runs WHERE job_id = ?1 ORDER BY run_id DESC LIMIT 1",
            [job_id],
            |row| {
                Ok(RunRecord {
                    run_id: row.get(0)?,
                    job_id: row.get(1)?,
                    started_at: row.get(2)?,
                    finished_at: row.get(3)?,
                    exit_code: row.get(4)?,
                    api_calls: row.get::<_, Option<i64>>(5)?.map(|calls| calls as u64),
                    message: row.get(6)?,
                })
            },
        )
        .optional()
}
