//! Row checkpoints. A row moves from pending to in_flight to done or failed. Each move is
//! committed before the runner acts on it, so a killed run repeats at most the requests in
//! flight.

use std::collections::VecDeque;

use rusqlite::{params, Connection};

/// State of a row in its life cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowState {
    /// Not requested yet, or stopped before its request (quota, outage).
    Pending,
    /// Its request may have been sent; a rerun sends it again.
    InFlight,
    /// Finished with a result that needs no rerun.
    Done,
    /// Finished with an error. A rerun tries again when `retryable` is set.
    Failed,
}

impl RowState {
    pub fn as_str(self) -> &'static str {
        match self {
            RowState::Pending => "pending",
            RowState::InFlight => "in_flight",
            RowState::Done => "done",
            RowState::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> RowState {
        match text {
            "in_flight" => RowState::InFlight,
            "done" => RowState::Done,
            "failed" => RowState::Failed,
            _ => RowState::Pending,
        }
    }
}

/// Identifies a row of a job's manifest: its record number and content hash.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct RowKey {
    pub row: u64,
    pub content_hash: [u8; 16],
}

impl std::fmt::Debug for RowKey {
    // Logs name rows by number; the hash adds nothing a reader can use.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.row)
    }
}

/// Marks rows as in flight: their request is about to be sent.
pub fn mark_in_flight(
    connection: &Connection,
    job_id: &str,
    rows: &[RowKey],
    now: i64,
) -> rusqlite::Result<()> {
    let mut statement = connection.prepare_cached(
        "INSERT INTO rows (job_id, row, content_hash, state, retryable, result, updated_at)
         VALUES (?1, ?2, ?3, 'in_flight', 0, NULL, ?4)
         ON CONFLICT (job_id, row) DO UPDATE SET state = 'in_flight', updated_at = excluded.updated_at",
    )?;
    for key in rows {
        statement.execute(params![job_id, key.row as i64, &key.content_hash[..], now])?;
    }
    // A pinned purchase counts the attempt in the same commit, before the request is sent.
    super::pins::count_attempt(connection, job_id, rows)
}

/// A row's checkpoint as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRow {
    pub row: u64,
    pub content_hash: [u8; 16],
    pub state: RowState,
    pub retryable: bool,
    /// The row's outcome as JSON, for done and failed rows.
    pub result: Option<String>,
    /// When the checkpoint was written, in Unix milliseconds. Reads fill it in; a write
    /// stamps its own time and ignores it.
    pub updated_at: i64,
}

/// Writes checkpoints of `job_id`, replacing earlier ones of the same rows.
pub fn upsert_rows(
    connection: &Connection,
    job_id: &str,
    rows: &[StoredRow],
    now: i64,
) -> rusqlite::Result<()> {
    let mut statement = connection.prepare_cached(
        "INSERT INTO rows (job_id, row, content_hash, state, retryable, result, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (job_id, row) DO UPDATE SET content_hash = excluded.content_hash,
             state = excluded.state, retryable = excluded.retryable,
             result = excluded.result, updated_at = excluded.updated_at",
    )?;
    for row in rows {
        statement.execute(params![
            job_id,
            row.row as i64,
            &row.content_hash[..],
            row.state.as_str(),
            row.retryable,
            row.result,
            now
        ])?;
    }
    Ok(())
}

/// Counts of a job's rows by state.
pub fn count_by_state(
    connection: &Connection,
    job_id: &str,
) -> rusqlite::Result<Vec<(String, u64)>> {
    let mut statement = connection.prepare(
        "SELECT state, COUNT(*) FROM rows WHERE job_id = ?1 GROUP BY state ORDER BY state",
    )?;
    let counts = statement.query_map([job_id], |row| {
        Ok((row.get(0)?, row.get::<_, i64>(1)? as u64))
    })?;
    counts.collect()
}

/// Deletes a job's checkpoints, for `--fresh`, and returns how many it deleted.
pub fn delete_job_rows(connection: &Connection, job_id: &str) -> rusqlite::Result<usize> {
    // When no other job has checkpoints, as with a state file per job, a DELETE without a
    // WHERE clause lets SQLite free the table's pages whole (its truncate optimization)
    // instead of deleting and rebalancing row by row. The caller's write transaction keeps
    // other processes from adding rows between the check and the delete.
    let other_jobs: bool = connection.query_row(
        "SELECT EXISTS (SELECT 1 FROM rows WHERE job_id < ?1)
             OR EXISTS (SELECT 1 FROM rows WHERE job_id > ?1)",
        [job_id],
        |row| row.get(0),
    )?;
    if other_jobs {
        connection.execute("DELETE FROM rows WHERE job_id = ?1", [job_id])
    } else {
        connection.execute("DELETE FROM rows", [])
    }
}

/// Reads a job's checkpoints in row order, in pages, so that a scan of a large manifest can
/// walk them beside the file without holding them all.
pub struct RowCursor<'c> {
    connection: &'c Connection,
    job_id: String,
    buffer: VecDeque<StoredRow>,
    after: i64,
    exhausted: bool,
}

const PAGE: i64 = 4096;

impl<'c> RowCursor<'c> {
    pub fn new(connection: &'c Connection, job_id: &str) -> RowCursor<'c> {
        RowCursor {
            connection,
            job_id: job_id.to_string(),
            buffer: VecDeque::new(),
            after: 0,
            exhausted: false,
        }
    }

    /// Returns the checkpoint of `row`, if any. Calls must come in increasing row order.
    pub fn get(&mut self, row: u64) -> rusqlite::Result<Option<StoredRow>> {
        loop {
            while let Some(front) = self.buffer.front() {
                if front.row < row {
                    self.buffer.pop_front();
                } else if front.row == row {
                    return Ok(self.buffer.pop_front());
                } else {
                    return Ok(None);
                }
            }
            if self.exhausted {
                return Ok(None);
            }
            self.fill()?;
        }
    }

    /// Returns the next checkpoint in row order, for a walk over every row of the job. Do not
    /// mix with [`RowCursor::get`] on one cursor.
    pub fn next_row(&mut self) -> rusqlite::Result<Option<StoredRow>> {
        if self.buffer.is_empty() && !self.exhausted {
            self.fill()?;
        }
        Ok(self.buffer.pop_front())
    }

    fn fill(&mut self) -> rusqlite::Result<()> {
        let mut statement = self.connection.prepare_cached(
            "SELECT row, content_hash, state, retryable, result, updated_at FROM rows
             WHERE job_id = ?1 AND row > ?2 ORDER BY row LIMIT ?3",
        )?;
        let page = statement.query_map(params![self.job_id, self.after, PAGE], |row| {
            let hash: Vec<u8> = row.get(1)?;
            let mut content_hash = [0u8; 16];
            let length = hash.len().min(16);
            content_hash[..length].copy_from_slice(&hash[..length]);
            Ok(StoredRow {
                row: row.get::<_, i64>(0)? as u64,
                content_hash,
                state: RowState::parse(&row.get::<_, String>(2)?),
                retryable: row.get(3)?,
                result: row.get(4)?,
                updated_at: row.get(5)?,
            })
        })?;
        let mut fetched = 0;
        for stored in page {
            let stored = stored?;
            self.after = stored.row as i64;
            self.buffer.push_back(stored);
            fetched += 1;
        }
        if fetched < PAGE {
            self.exhausted = true;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_walks_sparse_rows() {
        let connection = Connection::open_in_memory().unwrap();
        crate::state::schema::migrate(&connection).unwrap();
        let rows: Vec<StoredRow> = (1..=10_000u64)
            .filter(|row| row % 3 == 0)
            .map(|row| StoredRow {
                row,
                content_hash: [row as u8; 16],
                state: RowState::Done,
                retryable: false,
                result: Some(format!("{{\"row\":{row}}}")),
                updated_at: 0,
            })
            .collect();
        upsert_rows(&connection, "job", &rows, 0).unwrap();
        let mut cursor = RowCursor::new(&connection, "job");
        let mut found = 0;
        for row in 1..=10_001u64 {
            let stored = cursor.get(row).unwrap();
            assert_eq!(stored.is_some(), row % 3 == 0 && row <= 10_000, "row {row}");
            if let Some(stored) = stored {
                assert_eq!(stored.row, row);
                found += 1;
            }
        }
        assert_eq!(found, 3333);

        // A walk returns the same rows in order, across pages, and other jobs' rows never.
        upsert_rows(&connection, "other", &rows[..2], 0).unwrap();
        let mut walk = RowCursor::new(&connection, "job");
        let mut walked = Vec::new();
        while let Some(stored) = walk.next_row().unwrap() {
            walked.push(stored.row);
        }
        let expected: Vec<u64> = rows.iter().map(|row| row.row).collect();
        assert_eq!(walked, expected);
    }

    fn stored(row: u64) -> StoredRow {
        StoredRow {
            row,
            content_hash: [1; 16],
            state: RowState::Done,
            retryable: false,
            result: None,
            updated_at: 0,
        }
    }

    fn count_rows(connection: &Connection, job_id: &str) -> i64 {
        connection
            .query_row(
                "SELECT COUNT(*) FROM rows WHERE job_id = ?1",
                [job_id],
                |row| row.get(0),
            )
            .unwrap()
    }

    #[test]
    fn delete_keeps_other_jobs() {
        let connection = Connection::open_in_memory().unwrap();
        crate::state::schema::migrate(&connection).unwrap();
        let rows: Vec<StoredRow> = (1..=5).map(stored).collect();
        for job_id in ["a", "b", "c"] {
            upsert_rows(&connection, job_id, &rows, 0).unwrap();
        }
        assert_eq!(delete_job_rows(&connection, "b").unwrap(), 5);
        assert_eq!(count_rows(&connection, "a"), 5);
        assert_eq!(count_rows(&connection, "b"), 0);
        assert_eq!(count_rows(&connection, "c"), 5);
    }

    #[test]
    fn delete_of_only_job_counts_rows() {
        let connection = Connection::open_in_memory().unwrap();
        crate::state::schema::migrate(&connection).unwrap();
        let rows: Vec<StoredRow> = (1..=7).map(stored).collect();
        upsert_rows(&connection, "only", &rows, 0).unwrap();
        assert_eq!(delete_job_rows(&connection, "only").unwrap(), 7);
        assert_eq!(count_rows(&connection, "only"), 0);
        assert_eq!(delete_job_rows(&connection, "only").unwrap(), 0);
    }
}
