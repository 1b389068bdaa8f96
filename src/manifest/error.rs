//! Errors that stop reading a manifest, or stop a job before its first row.

use std::path::PathBuf;

/// A manifest failure that stops the job. Each message names the file, the place in it where
/// one exists, and what to do.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("cannot open manifest {}: {source}; check the `input` path of the job", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("failed to read manifest {} near line {line}: {source}", path.display())]
    Read {
        path: PathBuf,
        line: u64,
        #[source]
        source: std::io::Error,
    },

    #[error("manifest {} is empty: a CSV manifest needs a header row", path.display())]
    Empty { path: PathBuf },

    #[error(
        "header row of {} is not valid UTF-8 (byte 0x{value:02X} at byte offset {byte}); if the \
         file was saved as Windows-1252 or Latin-1, set encoding = \"latin1\" in the job file",
        path.display()
    )]
    HeaderEncoding { path: PathBuf, byte: u64, value: u8 },

    #[error(
        "record {row} of {}, starting on line {line}, is larger than {limit} bytes, so reading \
         stopped there to bound memory: a quote that never closes, or a field that is not \
         address data; fix that record and rerun (finished rows are kept)",
        path.display()
    )]
    RecordTooLarge {
        path: PathBuf,
        row: u64,
        line: u64,
        limit: usize,
    },

    #[error(
        "invalid JSON in {} at line {line}, column {column}: {message}; fix the file, or write \
         one object per line and set format = \"jsonl\" so that one bad line fails only its row",
        path.display()
    )]
    InvalidJson {
        path: PathBuf,
        line: u64,
        column: u64,
        message: String,
    },

    #[error(
        "duplicate column `{name}` in {} at positions {first} and {second}; rename one, or \
         pick one under [columns] in the job file, for example `{field} = \"{name}#2\"`",
        path.display()
    )]
    DuplicateColumn {
        path: PathBuf,
        name: String,
        /// 1-based positions of the first two columns with this name.
        first: usize,
        second: usize,
        /// API field that would read the column.
        field: &'static str,
    },

    #[error(
        "columns {} of {} all match the API field `{field}`; pick one under [columns] in the \
         job file, for example `{field} = \"{example}\"`",
        columns.join(", "), path.display()
    )]
    AmbiguousColumn {
        path: PathBuf,
        field: &'static str,
        /// The matching columns, each written as `name` (position N).
        columns: Vec<String>,
        example: String,
    },

    #[error(
        "no column of {} maps to the required API field `{field}`: tried {} (case, spaces and \
         punctuation ignored) but found {}; add `{field} = \"<column name>\"` under [columns] in \
         the job file",
        path.display(), quoted(tried), list_or_none(headers)
    )]
    MissingColumn {
        path: PathBuf,
        field: &'static str,
        tried: Vec<String>,
        headers: Vec<String>,
    },

    #[error(
        "[columns] maps `{field}` to `{column}`, but {} has no such column; columns found: {}",
        path.display(), list_or_none(headers)
    )]
    UnknownColumn {
        path: PathBuf,
        field: &'static str,
        column: String,
        headers: Vec<String>,
    },

    #[error(
        "[columns] maps `{field}` to `{column}#{occurrence}`, but {} has only {count} column(s) \
         named `{column}`",
        path.display()
    )]
    ColumnOccurrence {
        path: PathBuf,
        field: &'static str,
        column: String,
        occurrence: usize,
        count: usize,
    },

    #[error(
        "[columns] names the API field `{field}`, which this job does not use (manifest {}); \
         valid fields: {}",
        path.display(), valid.join(", ")
    )]
    UnknownField {
        path: PathBuf,
        field: String,
        valid: Vec<&'static str>,
    },

    #[error(
        "[columns] maps the API field `{field}` more than once (as {}) for manifest {}; keep          one entry",
        quoted(keys), path.display()
    )]
    RepeatedField {
        path: PathBuf,
        field: &'static str,
        keys: Vec<String>,
    },
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn list_or_none(names: &[String]) -> String {
    if names.is_empty() {
        return "no columns".to_owned();
    }
    quoted(names)
}
