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

/// Length and hash of a file, or of its first `length` bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    pub length: u64,
    pub hash: Vec<u8>,
}

/// Hashes the whole file, and also its first `prefix` bytes when given, in one pass.
pub fn fingerprint(
    path: &Path,
    prefix: Option<u64>,
) -> std::io::Result<(Fingerprint, Option<Fingerprint>)> {
    let mut file = File::open(path)?;
    let mut whole = Sha256::new();
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
        whole.update(chunk);
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
            length: read_total,
            hash: whole.finalize().to_vec(),
        },
        head_done,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

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
