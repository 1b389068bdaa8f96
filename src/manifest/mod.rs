//! Reading input rows from a manifest file (CSV, a JSON array or JSON Lines), one record at a
//! time, and mapping its columns to the fields of the USPS APIs.
//!
//! The reader never keeps the whole file in memory, only one record and a read buffer.
//! A record that cannot be read cleanly (wrong field count, invalid UTF-8, broken quoting,
//! invalid JSON) is still returned, with [`Record::problem`] set, so that it reaches the
//! error report and the output. Only I/O failures and files whose structure is broken as a
//! whole end the stream with a [`ManifestError`].
//!
//! This module does not validate values: that is [`crate::checks`].

pub mod columns;
mod csv_source;
mod error;
pub mod fields;
mod json_source;

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

pub use columns::ColumnMap;
pub use error::ManifestError;
pub use fields::{
    FieldSpec, ADDRESS_FIELDS, CITY_STATE_FIELDS, DOMESTIC_PRICE_FIELDS,
    INTERNATIONAL_PRICE_FIELDS, LOCATIONS_FIELDS, RATE_SHOP_FIELDS, SERVICE_STANDARD_FIELDS,
    SHIPPING_OPTIONS_FIELDS, TRACKING_FIELDS, ZIPCODE_FIELDS,
};

use csv_source::CsvSource;
use json_source::{JsonArraySource, JsonLinesSource};

/// Maximum size in bytes of one field. No Addresses API field is longer than 96 characters, so
/// a field past this size is nearly always a quoting fault that swallowed the lines after it.
pub const MAX_FIELD_BYTES: usize = 4096;

/// Maximum size in bytes of one record, which bounds memory when a quote never closes. A CSV
/// record past it becomes the file's last record, with an `unterminated_quote` problem, and
/// a JSON Lines record a `record_too_large` row. A JSON array element past it ends the read
/// with [`ManifestError::RecordTooLarge`].
pub const MAX_RECORD_BYTES: usize = 1 << 20;

/// Layout of a manifest file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values with a header row (RFC 4180 quoting).
    Csv,
    /// A top-level JSON array of objects, or objects one after another.
    Json,
    /// JSON Lines: one object per line; blank lines are skipped.
    Jsonl,
}

impl Format {
    /// Names accepted by [`Format::parse`].
    pub const NAMES: &'static [&'static str] = &["csv", "json", "jsonl"];

    /// Parses a format name as written in a job file: `csv`, `json`, `jsonl` or `ndjson`
    /// (case-insensitive).
    pub fn parse(name: &str) -> Option<Format> {
        match name.trim().to_ascii_lowercase().as_str() {
            "csv" => Some(Format::Csv),
            "json" => Some(Format::Json),
            "jsonl" | "ndjson" | "jsonlines" => Some(Format::Jsonl),
            _ => None,
        }
    }

    /// Guesses the format from the file extension: `.csv`, `.json`, `.jsonl` or `.ndjson`.
    ///
    /// NOTE: tab-separated files (`.tsv`) are not supported, so they return `None` and the
    /// job file must name a format.
    pub fn from_path(path: &Path) -> Option<Format> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        match extension.as_str() {
            "csv" => Some(Format::Csv),
            "json" => Some(Format::Json),
            "jsonl" | "ndjson" => Some(Format::Jsonl),
            _ => None,
        }
    }
}

/// Character encoding of a manifest file, as declared by the user. The reader never guesses
/// it from a sample, because a sample can look like UTF-8 while a later row is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Encoding {
    /// UTF-8, with or without a byte order mark.
    #[default]
    Utf8,
    /// Windows-1252, the superset of ISO 8859-1 (Latin-1) that Windows programs such as Excel
    /// write in Western European and US locales.
    Latin1,
}

/// One record of a manifest, with its place in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// 1-based record number, header excluded.
    pub row: u64,
    /// 1-based line where the record starts. It differs from `row` once quoted fields hold
    /// newlines or blank lines are skipped.
    pub line: u64,
    /// Byte offset in the file where the record starts.
    pub byte: u64,
    /// First 16 bytes of the SHA-256 of the record's bytes as stored in the file, without
    /// the line terminator. A resumed run uses it to tell whether a row changed.
    pub content_hash: [u8; 16],
    pub fields: Fields,
    /// The reason the record could not be read cleanly, if any.
    pub problem: Option<RecordProblem>,
}

/// Values of a record.
#[derive(Debug, Clone, PartialEq)]
pub enum Fields {
    /// CSV values, always exactly as many as the header has columns: short records are
    /// padded with empty strings and long ones keep their first values (see
    /// [`RecordProblem`]).
    Csv(Vec<String>),
    /// A JSON object; empty when the record is not valid JSON or not an object.
    Json(serde_json::Map<String, serde_json::Value>),
}

/// Reason a record could not be read cleanly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordProblem {
    /// One of `wrong_field_count`, `invalid_utf8`, `unterminated_quote`, `field_too_long`,
    /// `record_too_large`, `invalid_json` or `duplicate_key`.
    pub code: &'static str,
    /// Description of the fault, its place and its fix.
    pub message: String,
}

impl RecordProblem {
    fn new(code: &'static str, message: String) -> RecordProblem {
        RecordProblem { code, message }
    }
}

/// Streaming reader of a manifest file.
pub struct ManifestReader {
    path: PathBuf,
    format: Format,
    headers: Vec<String>,
    source: Source,
    finished: bool,
}

enum Source {
    Csv(Box<CsvSource>),
    Json(Box<JsonArraySource>),
    Jsonl(Box<JsonLinesSource>),
}

impl ManifestReader {
    /// Opens `path` and reads its header: the header row of a CSV file, or the keys of all
    /// JSON objects, which takes one pass over a JSON file.
    pub fn open(
        path: &Path,
        format: Format,
        encoding: Encoding,
    ) -> Result<ManifestReader, ManifestError> {
        let (source, headers) = match format {
            Format::Csv => {
                let source = CsvSource::open(path, encoding)?;
                let headers = source.headers().to_vec();
                (Source::Csv(Box::new(source)), headers)
            }
            Format::Json => {
                let source = JsonArraySource::open(path, encoding)?;
                let headers = source.headers().to_vec();
                (Source::Json(Box::new(source)), headers)
            }
            Format::Jsonl => {
                let source = JsonLinesSource::open(path, encoding)?;
                let headers = source.headers().to_vec();
                (Source::Jsonl(Box::new(source)), headers)
            }
        };
        Ok(ManifestReader {
            path: path.to_path_buf(),
            format,
            headers,
            source,
            finished: false,
        })
    }

    /// Column names. For CSV, the header row with the byte order mark removed and each name
    /// trimmed; empty names stay empty. For JSON and JSON Lines, the keys of every object, in
    /// the order they first appear.
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn format(&self) -> Format {
        self.format
    }

    /// Reads the next record. Returns `Err` only when the file cannot be read further: an
    /// I/O failure, a JSON array element over [`MAX_RECORD_BYTES`], or broken JSON array
    /// syntax. After an `Err` it returns `None`.
    pub fn next_record(&mut self) -> Option<Result<Record, ManifestError>> {
        if self.finished {
            return None;
        }
        let next = match &mut self.source {
            Source::Csv(source) => source.next_record(),
            Source::Json(source) => source.next_record(),
            Source::Jsonl(source) => source.next_record(),
        };
        if !matches!(next, Some(Ok(_))) {
            self.finished = true;
        }
        next
    }
}

impl Iterator for ManifestReader {
    type Item = Result<Record, ManifestError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_record()
    }
}

/// Computes [`Record::content_hash`] from the record's bytes.
fn content_hash(bytes: &[u8]) -> [u8; 16] {
    let digest = Sha256::digest(bytes);
    let mut hash = [0u8; 16];
    hash.copy_from_slice(&digest[..16]);
    hash
}

/// Decodes bytes in the declared encoding. For UTF-8, returns the offset of the first invalid
/// byte alongside a lossy decoding (invalid sequences become U+FFFD).
fn decode(bytes: &[u8], encoding: Encoding) -> (String, Option<usize>) {
    match encoding {
        Encoding::Utf8 => match std::str::from_utf8(bytes) {
            Ok(text) => (text.to_owned(), None),
            Err(error) => (
                String::from_utf8_lossy(bytes).into_owned(),
                Some(error.valid_up_to()),
            ),
        },
        Encoding::Latin1 => {
            let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
            (text.into_owned(), None)
        }
    }
}

/// Message of an `invalid_utf8` problem, with the file offset of the first bad byte.
fn invalid_utf8_message(offset: u64, byte: u8, column: Option<&str>) -> String {
    let place = match column {
        Some(name) => format!(" in column `{name}`"),
        None => String::new(),
    };
    format!(
        "invalid UTF-8 at byte offset {offset}{place} (byte 0x{byte:02X}); the value is kept \
         with U+FFFD in its place. If the file was saved as Windows-1252 or Latin-1, set \
         encoding = \"latin1\" in the job file and rerun"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_from_path_extensions() {
        assert_eq!(Format::from_path(Path::new("a/b.CSV")), Some(Format::Csv));
        assert_eq!(Format::from_path(Path::new("b.json")), Some(Format::Json));
        assert_eq!(Format::from_path(Path::new("b.jsonl")), Some(Format::Jsonl));
        assert_eq!(
            Format::from_path(Path::new("b.ndjson")),
            Some(Format::Jsonl)
        );
        assert_eq!(Format::from_path(Path::new("b.tsv")), None);
        assert_eq!(Format::from_path(Path::new("noextension")), None);
    }

    #[test]
    fn format_parse_names() {
        assert_eq!(Format::parse("CSV"), Some(Format::Csv));
        assert_eq!(Format::parse("ndjson"), Some(Format::Jsonl));
        assert_eq!(Format::parse("xml"), None);
    }

    #[test]
    fn decode_reports_first_invalid_byte() {
        let (text, bad) = decode(b"PE\xD1A", Encoding::Utf8);
        assert_eq!(text, "PE\u{FFFD}A");
        assert_eq!(bad, Some(2));
    }

    #[test]
    fn decode_latin1_uses_windows_1252() {
        let (text, bad) = decode(b"PE\xD1A \x93x\x94", Encoding::Latin1);
        assert_eq!(text, "PE\u{D1}A \u{201C}x\u{201D}");
        assert_eq!(bad, None);
    }
}
