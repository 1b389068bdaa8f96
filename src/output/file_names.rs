//! File names from row data, and files written whole or not at all, for the label images
//! that a label job writes into its output folder.

use std::path::Path;

use crate::output::atomic::AtomicFile;

/// Device names that Windows reserves whatever the extension.
const RESERVED_NAMES: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];
/// Maximum length of a file stem taken from a row id, in characters.
const MAX_STEM: usize = 64;

/// Turns a row id into a file stem that stays inside the labels folder on any file system.
/// Only ASCII letters, digits, `-` and `_` remain, because each run of other characters
/// (dots and slashes included) becomes one `_`. Reserved Windows device names get a `_`
/// suffix. Returns `None` when nothing usable remains.
pub fn safe_file_stem(id: &str) -> Option<String> {
    let mut stem = String::new();
    for c in id.chars() {
        if c.is_ascii_alphanumeric() || c == '-' {
            stem.push(c);
        } else if !stem.ends_with('_') {
            stem.push('_');
        }
    }
    let stem: String = stem
        .trim_matches(['_', '-'])
        .chars()
        .take(MAX_STEM)
        .collect();
    if stem.is_empty() {
        return None;
    }
    if RESERVED_NAMES.contains(&stem.to_ascii_uppercase().as_str()) {
        return Some(format!("{stem}_"));
    }
    Some(stem)
}

/// Writes `bytes` to `path` through a temporary file, so that a reader never sees half a file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = AtomicFile::create(path)?;
    file.write_all(bytes)?;
    file.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_ids_stay_in_the_folder() {
        assert_eq!(safe_file_stem("../../x").as_deref(), Some("x"));
        assert_eq!(
            safe_file_stem("..\\..\\windows\\system32").as_deref(),
            Some("windows_system32")
        );
        assert_eq!(safe_file_stem("CON").as_deref(), Some("CON_"));
        assert_eq!(safe_file_stem("lpt1").as_deref(), Some("lpt1_"));
        assert_eq!(safe_file_stem("/etc/passwd").as_deref(), Some("etc_passwd"));
        assert_eq!(safe_file_stem("#1001 José").as_deref(), Some("1001_Jos"));
        assert_eq!(safe_file_stem("...").as_deref(), None);
        assert_eq!(safe_file_stem("").as_deref(), None);
        assert_eq!(safe_file_stem(&"a".repeat(200)).unwrap().len(), MAX_STEM);
    }
}
