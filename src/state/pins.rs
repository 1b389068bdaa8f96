//! Pinned requests of exactly-once kinds (label purchases): each purchase's idempotency key
//! and exact request body, committed before its first attempt and reused unchanged on every
//! retry and rerun. Pins are never deleted, `--fresh` included, so that an order is never
//! bought again under a new key.
//!
//! A pin belongs to the order, not to a line of one file. It is found by the job's name, the
//! row's content hash and the row's occurrence among identical rows of the manifest, so the
//! second of two identical orders is a second purchase. An order therefore keeps its key when
//! the file is reordered, shortened, rewritten around it or read from another path. A changed
//! row is another purchase and gets its own pin. The pin also records where its row was last
//! seen (job id and row number), which the attempt count and the reports use.

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

/// Identity of a purchase apart from the row's content hash: the job's name and the row's
/// occurrence (1 for the first row with its content, 2 for the next identical one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinIdentity<'a> {
    pub scope: &'a str,
    pub occurrence: u32,
}

/// Returns the purchase's pin, creating it from `key` and `body` when it has none, and records
/// `row` of `job_id` as its place. A pin that was never attempted takes the new body, so that
/// a date filled in on an earlier day is replaced by today's, and its key stays.
pub fn pin(
    connection: &Connection,
    job_id: &str,
    row: RowKey,
    identity: PinIdentity<'_>,
    key: &str,
    body: &str,
    now: i64,
) -> rusqlite::Result<Pin> {
    let hash = &row.content_hash[..];
    let existing = get(connection, identity, row.content_hash)?;
    if existing.is_some() {
        connection.execute(
            "UPDATE purchase_pins SET job_id = ?4, row = ?5,
                 placed = (SELECT COALESCE(MAX(placed), 0) + 1 FROM purchase_pins)
             WHERE scope = ?1 AND content_hash = ?2 AND occurrence = ?3",
            params![
                identity.scope,
                hash,
                identity.occurrence,
                job_id,
                row.row as i64
            ],
        )?;
    }
    match existing {
        Some(pin) if pin.attempts > 0 => Ok(pin),
        Some(pin) => {
            connection.execute(
                "UPDATE purchase_pins SET body = ?4
                 WHERE scope = ?1 AND content_hash = ?2 AND occurrence = ?3",
                params![identity.scope, hash, identity.occurrence, body],
            )?;
            Ok(Pin {
                body: body.to_string(),
                ..pin
            })
        }
        None => {
            connection.execute(
                "INSERT INTO purchase_pins (scope, content_hash, occurrence, job_id, row,
                     idempotency_key, body, attempts, created_at, placed)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, ?8,
                     (SELECT COALESCE(MAX(placed), 0) + 1 FROM purchase_pins))",
                params![
                    identity.scope,
                    hash,
                    identity.occurrence,
                    job_id,
                    row.row as i64,
                    key,
                    body,
                    now
                ],
            )?;
            Ok(Pin {
                idempotency_key: key.to_string(),
                body: body.to_string(),
                attempts: 0,
            })
        }
    }
}

/// Returns the purchase's pin, if any.
pub fn get(
    connection: &Connection,
    identity: PinIdentity<'_>,
    content_hash: [u8; 16],
) -> rusqlite::Result<Option<Pin>> {
    connection
        .prepare_cached(
            "SELECT idempotency_key, body, attempts FROM purchase_pins
             WHERE scope = ?1 AND content_hash = ?2 AND occurrence = ?3",
        )?
        .query_row(
            params![identity.scope, &content_hash[..], identity.occurrence],
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
        "UPDATE purchase_pins SET attempts = attempts + 1
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
/// attempts, an earlier one may have been charged and its response lost, and a server may
/// check the body (a mailing date now past) before it looks up the key, so the pin stays.
pub fn forget_rejected(
    connection: &Connection,
    identity: PinIdentity<'_>,
    content_hash: [u8; 16],
) -> rusqlite::Result<bool> {
    let deleted = connection.execute(
        "DELETE FROM purchase_pins
         WHERE scope = ?1 AND content_hash = ?2 AND occurrence = ?3 AND attempts = 1",
        params![identity.scope, &content_hash[..], identity.occurrence],
    )?;
    Ok(deleted > 0)
}

/// Returns every pin of a job by row number, for the reports.
pub fn all(
    connection: &Connection,
    job_id: &str,
) -> rusqlite::Result<std::collections::HashMap<(u64, Vec<u8>), Pin>> {
    let mut statement = connection.prepare(
        // The pin placed last wins where two recorded the same place, which only a reordered
        // file can leave behind until its rows are pinned again.
        "SELECT row, content_hash, idempotency_key, body, attempts FROM purchase_pins
         WHERE job_id = ?1 ORDER BY placed",
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

    fn first(scope: &str) -> PinIdentity<'_> {
        PinIdentity {
            scope,
            occurrence: 1,
        }
    }

    #[test]
    fn attempted_pin_keeps_key_and_body() {
        let connection = Connection::open_in_memory().unwrap();
        crate::state::schema::migrate(&connection).unwrap();
        let id = first("job");
        let created = pin(&connection, "job-1", key(1), id, "k1", "{\"d\":1}", 0).unwrap();
        assert_eq!(created.idempotency_key, "k1");
        assert_eq!(created.attempts, 0);

        // Not sent yet: a later day's body replaces the first one, the key stays.
        let moved = pin(&connection, "job-1", key(1), id, "k2", "{\"d\":2}", 0).unwrap();
        assert_eq!(moved.idempotency_key, "k1");
        assert_eq!(moved.body, "{\"d\":2}");

        count_attempt(&connection, "job-1", &[key(1)]).unwrap();
        let kept = pin(&connection, "job-1", key(1), id, "k3", "{\"d\":3}", 0).unwrap();
        assert_eq!(kept.idempotency_key, "k1");
        assert_eq!(kept.body, "{\"d\":2}");
        assert_eq!(kept.attempts, 1);
    }

    #[test]
    fn only_single_rejections_are_forgotten() {
        let connection = Connection::open_in_memory().unwrap();
        crate::state::schema::migrate(&connection).unwrap();
        pin(&connection, "job-1", key(1), first("job"), "k1", "{}", 0).unwrap();
        pin(&connection, "job-1", key(2), first("job"), "k2", "{}", 0).unwrap();
        count_attempt(&connection, "job-1", &[key(1), key(2), key(2)]).unwrap();
        assert!(forget_rejected(&connection, first("job"), key(1).content_hash).unwrap());
        assert!(!forget_rejected(&connection, first("job"), key(2).content_hash).unwrap());
        assert!(get(&connection, first("job"), key(1).content_hash)
            .unwrap()
            .is_none());
        let kept = get(&connection, first("job"), key(2).content_hash).unwrap();
        assert_eq!(kept.unwrap().attempts, 2);
    }

    #[test]
    fn changed_row_gets_its_own_pin() {
        let connection = Connection::open_in_memory().unwrap();
        crate::state::schema::migrate(&connection).unwrap();
        pin(&connection, "job-1", key(1), first("job"), "k1", "{}", 0).unwrap();
        let changed = RowKey {
            row: 1,
            content_hash: [9; 16],
        };
        let other = pin(&connection, "job-1", changed, first("job"), "k2", "{}", 0).unwrap();
        assert_eq!(other.idempotency_key, "k2");
        assert_eq!(all(&connection, "job-1").unwrap().len(), 2);
    }

    #[test]
    fn moved_order_keeps_its_key() {
        let connection = Connection::open_in_memory().unwrap();
        crate::state::schema::migrate(&connection).unwrap();
        pin(&connection, "job-1", key(1), first("job"), "k1", "{}", 0).unwrap();
        count_attempt(&connection, "job-1", &[key(1)]).unwrap();

        // The same order on row 7 of a file at another path (another job id).
        let moved = RowKey {
            row: 7,
            content_hash: key(1).content_hash,
        };
        let found = pin(&connection, "job-2", moved, first("job"), "k9", "{}", 0).unwrap();
        assert_eq!(found.idempotency_key, "k1");
        assert_eq!(found.attempts, 1);
        assert!(all(&connection, "job-2")
            .unwrap()
            .contains_key(&(7, vec![1; 16])));

        // A second identical order is a second purchase.
        let second = PinIdentity {
            scope: "job",
            occurrence: 2,
        };
        let again = pin(&connection, "job-2", key(8), second, "k8", "{}", 0).unwrap();
        assert_eq!(again.idempotency_key, "k8");
    }
}
