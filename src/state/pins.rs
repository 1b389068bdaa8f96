//! Pinned requests of exactly-once kinds (label purchases): each row's idempotency key and
//! exact request body, committed before the row's first attempt and reused unchanged on every
//! retry and rerun. Pins are never deleted, `--fresh` included, so that a row is never bought
//! again under a new key. A changed row (another content hash) is another purchase and gets
//! its own pin.

use rusqlite::{params, Connection, OptionalExtension};

use super::RowKey;

/// A row's pinned request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    pub idempotency_key: String,
    /// The request body as JSON text, sent byte for byte on every attempt.
    pub body: String,
    /// Attempts recorded, each committed before its request was sent. Zero means the request
    /// never left the runner.
    pub attempts: u64,
}

/// Returns the row's pin, creating it from `key` and `body` when the row has none. A pin that
/// was never attempted takes the new body, so that a date filled in on an earlier day is
/// replaced by today's; its key stays.
pub fn pin(
    connection: &Connection,
    job_id: &str,
    row: RowKey,
    key: &str,
    body: &str,
    now: i64,
) -> rusqlite::Result<Pin> {
    let existing = get(connection, job_id, row)?;
    match existing {
        Some(pin) if pin.attempts > 0 => Ok(pin),
        Some(pin) => {
            connection.execute(
                "UPDATE pinned_requests SET body = ?4 WHERE job_id = ?1 AND row = ?2 AND content_hash = ?3",
                params![job_id, row.row as i64, &row.content_hash[..], body],
            )?;
            Ok(Pin {
                body: body.to_string(),
                ..pin
            })
        }
        None => {
            connection.execute(
                "INSERT INTO pinned_requests (job_id, row, content_hash, idempotency_key, body, attempts, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6)",
                params![job_id, row.row as i64, &row.content_hash[..], key, body, now],
            )?;
            Ok(Pin {
                idempotency_key: key.to_string(),
                body: body.to_string(),
                attempts: 0,
            })
        }
    }
}

/// Returns the row's pin, if any.
pub fn get(connection: &Connection, job_id: &str, row: RowKey) -> rusqlite::Result<Option<Pin>> {
    connection
        .prepare_cached(
            "SELECT idempotency_key, body, attempts FROM pinned_requests
             WHERE job_id = ?1 AND row = ?2 AND content_hash = ?3",
        )?
        .query_row(
            params![job_id, row.row as i64, &row.content_hash[..]],
            |found| {
                Ok(Pin {
                    idempotency_key: found.get(0)?,
                    body: found.get(1)?,
                    attempts: found.get::<_, i64>(2)? as u64,
                })
            },
        )
        .optional()
}

/// Counts an attempt of each row that has a pin. Called in the transaction that marks the rows
/// in flight, before the request is sent.
pub fn count_attempt(
    connection: &Connection,
    job_id: &str,
    rows: &[RowKey],
) -> rusqlite::Result<()> {
    let mut statement = connection.prepare_cached(
        "UPDATE pinned_requests SET attempts = attempts + 1
         WHERE job_id = ?1 AND row = ?2 AND content_hash = ?3",
    )?;
    for key in rows {
        statement.execute(params![job_id, key.row as i64, &key.content_hash[..]])?;
    }
    Ok(())
}

/// Deletes the row's pin when its one and only attempt was rejected, so that the next
/// attempt gets a new key and today's date. Returns whether it deleted the pin.
///
/// Only a single rejected attempt proves that the key bought nothing. After several
/// attempts, an earlier one may have been charged and its answer lost, and a server may
/// check the body (a mailing date now past) before it looks up the key, so the pin stays.
pub fn forget_rejected(
    connection: &Connection,
    job_id: &str,
    row: RowKey,
) -> rusqlite::Result<bool> {
    let deleted = connection.execute(
        "DELETE FROM pinned_requests
         WHERE job_id = ?1 AND row = ?2 AND content_hash = ?3 AND attempts = 1",
        params![job_id, row.row as i64, &row.content_hash[..]],
    )?;
    Ok(deleted > 0)
}

/// Returns every pin of a job by row number, for the reports.
pub fn all(
    connection: &Connection,
    job_id: &str,
) -> rusqlite::Result<std::collections::HashMap<(u64, Vec<u8>), Pin>> {
    let mut statement = connection.prepare(
        "SELECT row, content_hash, idempotency_key, body, attempts FROM pinned_requests WHERE job_id = ?1",
    )?;
    let rows = statement.query_map([job_id], |found| {
        Ok((
            (found.get::<_, i64>(0)? as u64, found.get::<_, Vec<u8>>(1)?),
            Pin {
                idempotency_key: found.get(2)?,
                body: found.get(3)?,
                attempts: found.get::<_, i64>(4)? as u64,
            },
        ))
    })?;
    rows.collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(row: u64) -> RowKey {
        RowKey {
            row,
            content_hash: [row as u8; 16],
        }
    }

    #[test]
    fn attempted_pin_keeps_key_and_body() {
        let connection = Connection::open_in_memory().unwrap();
        crate::state::schema::migrate(&connection).unwrap();
        let first = pin(&connection, "job", key(1), "k1", "{\"d\":1}", 0).unwrap();
        assert_eq!(first.idempotency_key, "k1");
        assert_eq!(first.attempts, 0);

        // Not sent yet: a later day's body replaces the first one, the key stays.
        let moved = pin(&connection, "job", key(1), "k2", "{\"d\":2}", 0).unwrap();
        assert_eq!(moved.idempotency_key, "k1");
        assert_eq!(moved.body, "{\"d\":2}");

        count_attempt(&connection, "job", &[key(1)]).unwrap();
        let kept = pin(&connection, "job", key(1), "k3", "{\"d\":3}", 0).unwrap();
        assert_eq!(kept.idempotency_key, "k1");
        assert_eq!(kept.body, "{\"d\":2}");
        assert_eq!(kept.attempts, 1);
    }

    #[test]
    fn only_single_rejections_are_forgotten() {
        let connection = Connection::open_in_memory().unwrap();
        crate::state::schema::migrate(&connection).unwrap();
        pin(&connection, "job", key(1), "k1", "{}", 0).unwrap();
        pin(&connection, "job", key(2), "k2", "{}", 0).unwrap();
        count_attempt(&connection, "job", &[key(1), key(2), key(2)]).unwrap();
        assert!(forget_rejected(&connection, "job", key(1)).unwrap());
        assert!(!forget_rejected(&connection, "job", key(2)).unwrap());
        assert!(get(&connection, "job", key(1)).unwrap().is_none());
        assert_eq!(
            get(&connection, "job", key(2)).unwrap().unwrap().attempts,
            2
        );
    }

    #[test]
    fn changed_row_gets_its_own_pin() {
        let connection = Connection::open_in_memory().unwrap();
        crate::state::schema::migrate(&connection).unwrap();
        pin(&connection, "job", key(1), "k1", "{}", 0).unwrap();
        let changed = RowKey {
            row: 1,
            content_hash: [9; 16],
        };
        let other = pin(&connection, "job", changed, "k2", "{}", 0).unwrap();
        assert_eq!(other.idempotency_key, "k2");
        assert_eq!(all(&connection, "job").unwrap().len(), 2);
    }
}
