//! The response cache: USPS responses by environment and normalized request, shared by every
//! run and job on the state file.

use rusqlite::{params, Connection, OptionalExtension};

/// A cached response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheEntry {
    pub status: u16,
    pub body: String,
    /// The run that fetched the response. [`put`] ignores it.
    pub run_id: Option<i64>,
}

/// Limits on the cache entries a lookup may use.
#[derive(Debug, Clone, Copy)]
pub struct CacheLookup {
    /// Entries created before this time (milliseconds) are stale.
    pub fresh_after: i64,
    /// With `--no-cache`, only answers fetched by this run count, so identical rows of one
    /// manifest still share one request.
    pub only_run: Option<i64>,
}

pub fn get(
    connection: &Connection,
    env: &str,
    key: &[u8; 16],
    lookup: CacheLookup,
) -> rusqlite::Result<Option<CacheEntry>> {
    connection
        .prepare_cached(
            "SELECT status, body, run_id FROM cache
             WHERE env = ?1 AND request_key = ?2 AND created_at > ?3
               AND (?4 IS NULL OR run_id = ?4)",
        )?
        .query_row(
            params![env, &key[..], lookup.fresh_after, lookup.only_run],
            |row| {
                Ok(CacheEntry {
                    status: row.get(0)?,
                    body: row.get(1)?,
                    run_id: row.get(2)?,
                })
            },
        )
        .optional()
}

#[allow(clippy::too_many_arguments)]
pub fn put(
    connection: &Connection,
    env: &str,
    key: &[u8; 16],
    kind: &str,
    entry: &CacheEntry,
    now: i64,
    run_id: i64,
) -> rusqlite::Result<()> {
    connection
        .prepare_cached(
            "INSERT INTO cache (env, request_key, kind, status, body, created_at, run_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (env, request_key) DO UPDATE SET kind = excluded.kind,
                 status = excluded.status, body = excluded.body,
                 created_at = excluded.created_at, run_id = excluded.run_id",
        )?
        .execute(params![
            env,
            &key[..],
            kind,
            entry.status,
            entry.body,
            now,
            run_id
        ])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_honours_ttl_and_run() {
        let connection = Connection::open_in_memory().unwrap();
        crate::state::schema::migrate(&connection).unwrap();
        let key = [7u8; 16];
        let entry = CacheEntry {
            status: 200,
            body: "{}".into(),
            run_id: Some(1),
        };
        put(&connection, "sandbox", &key, "address", &entry, 1000, 1).unwrap();
        let any = CacheLookup {
            fresh_after: 0,
            only_run: None,
        };
        assert_eq!(get(&connection, "sandbox", &key, any).unwrap(), Some(entry));
        assert_eq!(get(&connection, "prod", &key, any).unwrap(), None);
        let stale = CacheLookup {
            fresh_after: 1000,
            only_run: None,
        };
        assert_eq!(get(&connection, "sandbox", &key, stale).unwrap(), None);
        let other_run = CacheLookup {
            fresh_after: 0,
            only_run: Some(2),
        };
        assert_eq!(get(&connection, "sandbox", &key, other_run).unwrap(), None);
    }
}
