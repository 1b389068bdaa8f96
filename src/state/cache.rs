//! The response cache: USPS responses by environment and normalized request, shared by every
//! run and job on the state file.
//!
//! Each entry sits in the `cache` table under a 64-bit slot derived from its environment and
//! request key. The slot is the table's rowid, so the b-tree's interior pages contain only
//! integers. A few hundred of them cover a million entries and stay in SQLite's page cache,
//! so a lookup reads one leaf page from the file. A table keyed by the request itself keeps
//! whole responses in its interior pages, and a lookup there read three to four pages.
//!
//! Two requests whose slots collide take turns in the slot: the later one replaces the
//! earlier, whose next lookup misses and sends its request again. For a million entries the
//! chance of any collision is about 3 in 100 million (n² / 2^65). A lookup compares the
//! environment and the whole request key, so it never returns another request's response.

use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};

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

/// Returns the slot of a request in an environment: the first 8 bytes of a SHA-256 digest of
/// both. The digest keeps it stable across versions and platforms, as a value stored in the
/// state file must be.
pub fn slot(env: &str, key: &[u8]) -> i64 {
    let mut hasher = Sha256::new();
    hasher.update(env.as_bytes());
    // The separator keeps ("ab", "c…") and ("a", "bc…") apart.
    hasher.update([0]);
    hasher.update(key);
    let digest = hasher.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_le_bytes(first)
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
             WHERE slot = ?1 AND env = ?2 AND request_key = ?3 AND created_at > ?4
               AND (?5 IS NULL OR run_id = ?5)",
        )?
        .query_row(
            params![
                slot(env, key),
                env,
                &key[..],
                lookup.fresh_after,
                lookup.only_run
            ],
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
            "INSERT INTO cache (slot, env, request_key, kind, status, body, created_at, run_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (slot) DO UPDATE SET env = excluded.env,
                 request_key = excluded.request_key, kind = excluded.kind,
                 status = excluded.status, body = excluded.body,
                 created_at = excluded.created_at, run_id = excluded.run_id",
        )?
        .execute(params![
            slot(env, key),
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

    fn any() -> CacheLookup {
        CacheLookup {
            fresh_after: 0,
            only_run: None,
        }
    }

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
        assert_eq!(
            get(&connection, "sandbox", &key, any()).unwrap(),
            Some(entry)
        );
        assert_eq!(get(&connection, "prod", &key, any()).unwrap(), None);
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

    #[test]
    fn environments_keep_separate_entries() {
        let connection = Connection::open_in_memory().unwrap();
        crate::state::schema::migrate(&connection).unwrap();
        let key = [9u8; 16];
        for (env, body) in [("sandbox", "from the sandbox"), ("tem", "from TEM")] {
            let entry = CacheEntry {
                status: 200,
                body: body.into(),
                run_id: None,
            };
            put(&connection, env, &key, "address", &entry, 1000, 1).unwrap();
        }
        let bodies: Vec<String> = ["sandbox", "tem"]
            .iter()
            .map(|env| get(&connection, env, &key, any()).unwrap().unwrap().body)
            .collect();
        assert_eq!(bodies, ["from the sandbox", "from TEM"]);
    }

    #[test]
    fn slot_collision_returns_no_other_response() {
        let connection = Connection::open_in_memory().unwrap();
        crate::state::schema::migrate(&connection).unwrap();

        let first = [1u8; 16];
        let second = [2u8; 16];
        let entry = CacheEntry {
            status: 200,
            body: "first".into(),
            run_id: None,
        };
        put(&connection, "sandbox", &first, "address", &entry, 1000, 1).unwrap();
        // Move the first entry into the second request's slot, as a collision would place it.
        connection
            .execute(
                "UPDATE cache SET slot = ?1 WHERE slot = ?2",
                params![slot("sandbox", &second), slot("sandbox", &first)],
            )
            .unwrap();
        assert_eq!(get(&connection, "sandbox", &second, any()).unwrap(), None);

        // The second request then takes the slot over.
        let replacement = CacheEntry {
            body: "second".into(),
            ..entry
        };
        put(
            &connection,
            "sandbox",
            &second,
            "address",
            &replacement,
            1000,
            1,
        )
        .unwrap();
        let found = get(&connection, "sandbox", &second, any())
            .unwrap()
            .unwrap();
        assert_eq!(found.body, "second");

        let count: i64 = connection
            .query_row("SELECT COUNT(*) FROM cache", [], |row| row.get(0))
            .unwrap();
        assert_eq!(count, 1);
    }
}
