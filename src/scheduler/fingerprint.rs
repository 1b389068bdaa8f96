//! Detects a changed input between runs.
//!
//! A run records the input's length and SHA-256. The next run hashes the same number of
//! leading bytes of the file: if they match, rows were at most appended, so finished rows
//! keep their checkpoints and new rows are processed. Otherwise the file was rewritten and
//! record numbers may point at other rows, so the run stops and suggests `--fresh`.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

/// Length and hash of a file's complete lines, or of its first `length` bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    pub length: u64,
    pub hash: Vec<u8>,
}

/// Hashes the file up to and including its last line end, and also its first `prefix`
/// bytes when given, in one pass. A last line without a line end may still be being written
/// (an export that grows during the day), so it is left out: completing it later does not
/// count as a rewrite.
pub fn fingerprint(
    path: &Path,
    prefix: Option<u64>,
) -> std::io::Result<(Fingerprint, Option<Fingerprint>)> {
    let mut file = File::open(path)?;
    let mut complete = Sha256::new();
    let mut complete_length = 0u64;
    // Bytes after the last line end seen so far; hashed once a line end follows them.
    let mut pending: Vec<u8> = Vec::new();
    let mut head = Sha256::new();
    let mut read_total = 0u64;
    let mut head_done = None;
    let mut buffer = vec![0u8; 256 * 1024];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        let chunk = &buffer[..read];
        match chunk.iter().rposition(|&byte| byte == b'\n') {
            Some(last) => {
                complete.update(&pending);
                complete.update(&chunk[..=last]);
                complete_length += (pending.len() + last + 1) as u64;
                pending.clear();
                pending.extend_from_slice(&chunk[last + 1..]);
            }
            None => pending.extend_from_slice(chunk),
        }
        if let Some(prefix) = prefix {
            if head_done.is_none() {
                let wanted = prefix.saturating_sub(read_total) as usize;
                if wanted <= read {
                    head.update(&chunk[..wanted]);
                    head_done = Some(Fingerprint {
                        length: prefix,
                        hash: head.clone().finalize().to_vec(),
                    });
                } else {
                    head.update(chunk);
                }
            }
        }
        read_total += read as u64;
    }
    if prefix == Some(0) && head_done.is_none() {
        head_done = Some(Fingerprint {
            length: 0,
            hash: Sha256::new().finalize().to_vec(),
        });
    }
    Ok((
        Fingerprint {
            length: complete_length,
            hash: complete.finalize().to_vec(),
        },
        head_done,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unfinished_last_line_is_left_out() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.csv");
        std::fs::write(&path, "id,zip\n1,62701\n2,627").unwrap();
        let (partial, _) = fingerprint(&path, None).unwrap();
        assert_eq!(partial.length, 15);
        std::fs::write(&path, "id,zip\n1,62701\n2,62702\n").unwrap();
        let (_, prefix) = fingerprint(&path, Some(partial.length)).unwrap();
        assert_eq!(prefix, Some(partial));
    }

    #[test]
    fn appended_file_keeps_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.csv");
        std::fs::write(&path, "id,zip\n1,62701\n").unwrap();
        let (first, _) = fingerprint(&path, None).unwrap();
        std::fs::write(&path, "id,zip\n1,62701\n2,62702\n").unwrap();
        let (_, prefix) = fingerprint(&path, Some(first.length)).unwrap();
        assert_eq!(prefix, Some(first.clone()));
        std::fs::write(&path, "id,zip\n1,62709\n2,62702\n").unwrap();
        let (_, prefix) = fingerprint(&path, Some(first.length)).unwrap();
        assert_ne!(prefix, Some(first.clone()));
        std::fs::write(&path, "id,zip\n").unwrap();
        let (_, prefix) = fingerprint(&path, Some(first.length)).unwrap();
        assert_eq!(prefix, None);
    }
}
