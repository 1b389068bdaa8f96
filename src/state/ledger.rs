//! The quota ledger: every request sent with a credential, shared by all runs on the file.
//!
//! A request's slot is reserved in the same transaction that checks the window, so two
//! processes on one state file together never exceed the quota.

use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};

use crate::quota::QuotaLimit;
use crate::state::rows::{mark_in_flight, RowKey};

/// Purpose of a reservation: the credential, pool, API and path it counts against.
#[derive(Debug, Clone)]
pub struct LedgerUse {
    /// [`credential_hash`] of the environment and client id.
    pub credential: String,
    /// `all` when one pool covers every API, else the API's name.
    pub pool: String,
    /// The API the request belongs to (`addresses`, `oauth`), logged with 429s.
    pub api: String,
    pub path: String,
    pub is_token: bool,
    pub limit: Option<QuotaLimit>,
    /// Extra time added to the window, because USPS counts a request when it arrives,
    /// a little after the slot was reserved here.
    pub margin_ms: i64,
}

/// Result of a reservation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// The slot is recorded under this ledger id.
    Granted { id: i64 },
    /// The window is full until `next_free_at` (milliseconds since the epoch).
    Full { next_free_at: i64 },
}

/// Hashes the environment and client id, so that the state file can tell credentials apart
/// without storing the id.
pub fn credential_hash(environment: &str, client_id: &str) -> String {
    let digest = Sha256::digest(format!("{environment}\n{client_id}").as_bytes());
    hex::encode(&digest[..8])
}

/// Reserves one slot at `now` if the window has room, and marks `rows` of `job_id` as in
/// flight in the same transaction.
pub fn reserve(
    connection: &Connection,
    usage: &LedgerUse,
    now: i64,
    job_id: &str,
    rows: &[RowKey],
) -> rusqlite::Result<Reservation> {
    if let Some(limit) = usage.limit {
        if let Some(next_free_at) = next_free_at(connection, usage, limit, now)? {
            return Ok(Reservation::Full { next_free_at });
        }
    }
    connection.execute(
        "INSERT INTO ledger (credential, pool, sent_at, api, path, is_token)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            usage.credential,
            usage.pool,
            now,
            usage.api,
            usage.path,
            usage.is_token
        ],
    )?;
    let id = connection.last_insert_rowid();
    mark_in_flight(connection, job_id, rows, now)?;
    Ok(Reservation::Granted { id })
}

/// Returns when the next slot frees up, or `None` when one is free at `now`.
pub fn next_free_at(
    connection: &Connection,
    usage: &LedgerUse,
    limit: QuotaLimit,
    now: i64,
) -> rusqlite::Result<Option<i64>> {
    let window = limit.period.as_millis() as i64 + usage.margin_ms;
    let since = now - window;
    let used: i64 = connection
        .prepare_cached(
            "SELECT COUNT(*) FROM ledger WHERE credential = ?1 AND pool = ?2 AND sent_at > ?3",
        )?
        .query_row(params![usage.credential, usage.pool, since], |row| {
            row.get(0)
        })?;
    if used < limit.calls as i64 {
        return Ok(None);
    }
    // The slot frees when enough of the oldest calls leave the window.
    let blocking: Option<i64> = connection
        .prepare_cached(
            "SELECT sent_at FROM ledger WHERE credential = ?1 AND pool = ?2 AND sent_at > ?3
             ORDER BY sent_at LIMIT 1 OFFSET ?4",
        )?
        .query_row(
            params![
                usage.credential,
                usage.pool,
                since,
                used - limit.calls as i64
            ],
            |row| row.get(0),
        )
        .optional()?;
    Ok(Some(blocking.map_or(now, |sent_at| sent_at + window + 1)))
}

/// Records the HTTP status of a ledger entry once the response came (none for a transport
/// failure).
pub fn record_status(
    connection: &Connection,
    id: i64,
    status: Option<u16>,
) -> rusqlite::Result<()> {
    connection
        .prepare_cached("UPDATE ledger SET status = ?2 WHERE id = ?1")?
        .execute(params![id, status])?;
    Ok(())
}

/// Calls of a credential's pool inside the window ending at `now`, and when the oldest of
/// them leaves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowUse {
    pub calls: u64,
    pub token_calls: u64,
    pub oldest_at: Option<i64>,
}

pub fn window_use(
    connection: &Connection,
    credential: &str,
    pool: &str,
    window_ms: i64,
    now: i64,
) -> rusqlite::Result<WindowUse> {
    connection.query_row(
        "SELECT COUNT(*), COALESCE(SUM(is_token), 0), MIN(sent_at) FROM ledger
         WHERE credential = ?1 AND pool = ?2 AND sent_at > ?3",
        params![credential, pool, now - window_ms],
        |row| {
            Ok(WindowUse {
                calls: row.get::<_, i64>(0)? as u64,
                token_calls: row.get::<_, i64>(1)? as u64,
                oldest_at: row.get(2)?,
            })
        },
    )
}

/// Lists every pool of every credential with calls inside its window, for `status`.
pub fn credentials_in_window(
    connection: &Connection,
    since: i64,
) -> rusqlite::Result<Vec<(String, String, u64, u64)>> {
    let mut statement = connection.prepare(
        "SELECT credential, pool, COUNT(*), COALESCE(SUM(is_token), 0) FROM ledger
         WHERE sent_at > ?1 GROUP BY credential, pool ORDER BY credential, pool",
    )?;
    let rows = statement.query_map([since], |row| {
        Ok((
            row.get(0)?,
            row.get(1)?,
            row.get::<_, i64>(2)? as u64,
            row.get::<_, i64>(3)? as u64,
        ))
    })?;
    rows.collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn connection() -> Connection {
        let connection = Connection::open_in_memory().unwrap();
        crate::state::schema::migrate(&connection).unwrap();
        connection
    }

    fn usage(calls: u32, period_ms: u64) -> LedgerUse {
        LedgerUse {
            credential: credential_hash("sandbox", "client"),
            pool: "all".into(),
            api: "addresses".into(),
            path: "/addresses/v3/address".into(),
            is_token: false,
            limit: Some(QuotaLimit {
                calls,
                period: Duration::from_millis(period_ms),
            }),
            margin_ms: 0,
        }
    }

    #[test]
    fn window_never_exceeds_quota() {
        let connection = connection();
        let usage = usage(3, 1000);
        for now in [0, 10, 20] {
            assert!(matches!(
                reserve(&connection, &usage, now, "job", &[]).unwrap(),
                Reservation::Granted { .. }
            ));
        }
        // The fourth call must wait until the first leaves the window.
        assert_eq!(
            reserve(&connection, &usage, 500, "job", &[]).unwrap(),
            Reservation::Full { next_free_at: 1001 }
        );
        assert!(matches!(
            reserve(&connection, &usage, 1001, "job", &[]).unwrap(),
            Reservation::Granted { .. }
        ));
        assert_eq!(
            reserve(&connection, &usage, 1002, "job", &[]).unwrap(),
            Reservation::Full { next_free_at: 1011 }
        );
    }

    #[test]
    fn pools_and_credentials_are_separate() {
        let connection = connection();
        let first = usage(1, 1000);
        let mut other_pool = first.clone();
        other_pool.pool = "prices".into();
        let mut other_credential = first.clone();
        other_credential.credential = credential_hash("tem", "client");
        for usage in [&first, &other_pool, &other_credential] {
            assert!(matches!(
                reserve(&connection, usage, 0, "job", &[]).unwrap(),
                Reservation::Granted { .. }
            ));
        }
        let counted = window_use(&connection, &first.credential, "all", 1000, 10).unwrap();
        assert_eq!(counted.calls, 1);
    }

    #[test]
    fn credential_hash_hides_id() {
        let hash = credential_hash("prod", "my-consumer-key");
        assert!(!hash.contains("my-consumer-key"));
        assert_eq!(hash.len(), 16);
    }
}
