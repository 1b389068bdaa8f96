//! CSV manifests: the header row, then one [`Record`] per CSV record.
//!
//! The csv crate parses, with `flexible(true)` so that a ragged record becomes a problem of
//! that record instead of an error for the whole file. Parsing runs on raw bytes, and each
//! field is decoded afterwards in the declared encoding. Both supported encodings are ASCII
//! supersets, so commas, quotes and line breaks are found correctly either way, and byte
//! offsets stay offsets into the file.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use super::{
    content_hash, decode, invalid_utf8_message, Encoding, Fields, ManifestError, Record,
    RecordProblem, MAX_FIELD_BYTES, MAX_RECORD_BYTES,
};

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Copied bytes before the current record are dropped in batches of this size, so that the
/// read-ahead after each record is not moved on every record.
const DISCARD_BATCH: usize = 64 * 1024;

pub(super) struct CsvSource {
    path: PathBuf,
    encoding: Encoding,
    reader: csv::Reader<RawCopy<File>>,
    record: csv::ByteRecord,
    headers: Vec<String>,
    rows: u64,
    /// Set after a record outgrew the size limit: the csv crate cannot find where the next
    /// record starts, so reading ends there.
    ended: bool,
}

impl CsvSource {
    pub(super) fn open(path: &Path, encoding: Encoding) -> Result<CsvSource, ManifestError> {
        let file = File::open(path).map_err(|source| ManifestError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(RawCopy::new(file));
        let mut source = CsvSource {
            path: path.to_path_buf(),
            encoding,
            reader,
            record: csv::ByteRecord::new(),
            headers: Vec::new(),
            rows: 0,
            ended: false,
        };
        source.read_headers()?;
        Ok(source)
    }

    pub(super) fn headers(&self) -> &[String] {
        &self.headers
    }

    fn read_headers(&mut self) -> Result<(), ManifestError> {
        if !self.read_raw_record()? {
            return Err(ManifestError::Empty {
                path: self.path.clone(),
            });
        }
        let end = self.reader.position().byte();
        for (index, field) in self.record.iter().enumerate() {
            // csv 1.4 already drops a UTF-8 byte order mark; this also covers Latin-1, where
            // the mark would otherwise decode to "ï»¿".
            let field = match index {
                0 => field.strip_prefix(UTF8_BOM).unwrap_or(field),
                _ => field,
            };
            let (name, invalid_at) = decode(field, self.encoding);
            if invalid_at.is_some() {
                let raw = self.reader.get_ref().slice(0, end);
                let offset = first_invalid_utf8(raw).unwrap_or(0);
                return Err(ManifestError::HeaderEncoding {
                    path: self.path.clone(),
                    byte: offset as u64,
                    value: raw.get(offset).copied().unwrap_or(0),
                });
            }
            self.headers.push(name.trim().to_owned());
        }
        self.reader.get_mut().discard_before(end);
        Ok(())
    }

    /// Reads one CSV record into `self.record`; `false` at the end of the file.
    fn read_raw_record(&mut self) -> Result<bool, ManifestError> {
        let start = self.reader.position().clone();
        self.reader.get_mut().mark_record_start(start.byte());
        match self.reader.read_byte_record(&mut self.record) {
            Ok(more) => Ok(more),
            Err(error) => {
                let (_, line) = self.record_start(&start);
                if self.reader.get_ref().over_limit {
                    return Err(ManifestError::RecordTooLarge {
                        path: self.path.clone(),
                        row: self.rows + 1,
                        line,
                        limit: MAX_RECORD_BYTES,
                    });
                }
                let source = match error.into_kind() {
                    csv::ErrorKind::Io(source) => source,
                    other => io::Error::other(format!("{other:?}")),
                };
                Err(ManifestError::Read {
                    path: self.path.clone(),
                    line,
                    source,
                })
            }
        }
    }

    pub(super) fn next_record(&mut self) -> Option<Result<Record, ManifestError>> {
        if self.ended {
            return None;
        }
        match self.read_raw_record() {
            Ok(true) => Some(Ok(self.build_record())),
            Ok(false) => None,
            Err(ManifestError::RecordTooLarge { line, .. }) => {
                Some(Ok(self.oversized_record(line)))
            }
            Err(error) => Some(Err(error)),
        }
    }

    /// Returns the last record of the file: one that outgrew [`MAX_RECORD_BYTES`] from `line`
    /// on. Almost always a quote that never closes has joined the rest of the file into one
    /// field, so the rows after it are reported with it instead of being lost without a word.
    fn oversized_record(&mut self, line: u64) -> Record {
        self.ended = true;
        self.rows += 1;
        let copy = self.reader.get_ref();
        let byte = copy.record_start;
        let content = copy.slice(byte, byte + MAX_RECORD_BYTES as u64);
        Record {
            row: self.rows,
            line,
            byte,
            content_hash: content_hash(content),
            fields: Fields::Csv(vec![String::new(); self.headers.len()]),
            problem: Some(RecordProblem::new(
                "unterminated_quote",
                format!(
                    "the row starting on line {line} is larger than {MAX_RECORD_BYTES} bytes, \
                     so a quote that never closes probably joined the rest of the file into \
                     one field; no rows after line {line} were read. Fix the quoting and rerun"
                ),
            )),
        }
    }

    fn build_record(&mut self) -> Record {
        self.rows += 1;
        let position = self
            .record
            .position()
            .cloned()
            .unwrap_or_else(csv::Position::new);
        let end = self.reader.position().byte();
        let (byte, line) = self.record_start(&position);
        let raw = self.reader.get_ref().slice(byte, end);
        let content = trim_line_end(raw);

        let shape = RawShape::scan(raw, line);
        let mut values = Vec::with_capacity(self.record.len());
        let mut invalid_column = None;
        for (index, field) in self.record.iter().enumerate() {
            let (value, invalid_at) = decode(field, self.encoding);
            if invalid_at.is_some() && invalid_column.is_none() {
                invalid_column = Some(index);
            }
            values.push(value);
        }
        // Delimiters, quotes and line breaks are ASCII, so the first invalid byte of the raw
        // record is the first invalid byte of the first invalid field.
        let invalid_utf8 = invalid_column.map(|index| {
            let within = first_invalid_utf8(raw).unwrap_or(0);
            let value = raw.get(within).copied().unwrap_or(0);
            (index, byte + within as u64, value)
        });

        // Checked before fitting to the header, which may drop the field that is too long.
        let quoting = self.quoting_problem(&shape, &values);
        let encoding = invalid_utf8.map(|(index, offset, value)| {
            let column = self.headers.get(index).map(String::as_str);
            RecordProblem::new("invalid_utf8", invalid_utf8_message(offset, value, column))
        });
        let field_count = self.fit_to_header(&mut values);
        let problem = quoting.or(encoding).or(field_count);

        let record = Record {
            row: self.rows,
            line,
            byte,
            content_hash: content_hash(content),
            fields: Fields::Csv(values),
            problem,
        };
        self.reader.get_mut().discard_before(end);
        record
    }

    /// Returns the byte offset and line where a record that the csv crate places at
    /// `position` really starts. After a CRLF line the csv crate starts the next record at
    /// the LF, on the line before it, and blank lines are skipped the same way, so leading
    /// line terminators are passed over here.
    fn record_start(&self, position: &csv::Position) -> (u64, u64) {
        let ahead = self.reader.get_ref().slice(position.byte(), u64::MAX);
        let skipped = ahead
            .iter()
            .take_while(|byte| matches!(byte, b'\r' | b'\n'))
            .count();
        let lines = ahead[..skipped].iter().filter(|&&b| b == b'\n').count() as u64;
        (position.byte() + skipped as u64, position.line() + lines)
    }

    /// Detects a quote that never closes, which the csv crate accepts silently by reading the
    /// rest of the file as one field, and fields too long to be real values.
    fn quoting_problem(&self, shape: &RawShape, values: &[String]) -> Option<RecordProblem> {
        if let Some(open_line) = shape.unclosed_quote_line {
            let lines = line_span(open_line, shape.last_line);
            return Some(RecordProblem::new(
                "unterminated_quote",
                format!(
                    "quote opened on line {open_line} never closes, so {lines} were read as one \
                     field and the rows there were not processed; fix the quoting and rerun"
                ),
            ));
        }
        if let Some(index) = values.iter().position(|value| self.contains_rows(value)) {
            let lines = line_span(shape.first_line, shape.last_line);
            return Some(RecordProblem::new(
                "unterminated_quote",
                format!(
                    "{} spans {lines}, and its lines look like rows (they have as many commas \
                     as the header); a stray quote probably joined them into one field. Fix \
                     the quoting and rerun",
                    self.column_label(index)
                ),
            ));
        }
        let (index, value) = values
            .iter()
            .enumerate()
            .find(|(_, value)| value.len() > MAX_FIELD_BYTES)?;
        let column = self.column_label(index);
        if value.contains('\n') {
            let lines = line_span(shape.first_line, shape.last_line);
            return Some(RecordProblem::new(
                "unterminated_quote",
                format!(
                    "{column} is {} bytes long and spans {lines}, so a stray quote probably \
                     joined those lines into one field; fix the quoting and rerun",
                    value.len()
                ),
            ));
        }
        Some(RecordProblem::new(
            "field_too_long",
            format!(
                "{column} is {} bytes long, more than the {MAX_FIELD_BYTES} bytes a manifest \
                 field may have; shorten it or drop the column",
                value.len()
            ),
        ))
    }

    /// Reports whether a quoted value contains lines that look like whole CSV records: a line after the
    /// first with at least as many commas as the header has separators (and at least two).
    /// A multi-line address (`123 MAIN ST` / `APT 4B`) has few or no commas.
    ///
    /// NOTE: this is a heuristic. A legitimate multi-line field with many commas per line
    /// is reported too, and a stray quote that swallows only rows with fewer commas is not.
    fn contains_rows(&self, value: &str) -> bool {
        let threshold = self.headers.len().saturating_sub(1).max(2);
        value
            .split('\n')
            .skip(1)
            .any(|line| line.matches(',').count() >= threshold)
    }

    /// Pads or truncates `values` to the header length. Exactly one extra empty field is
    /// accepted without a problem, because many exporters end every line with a comma.
    fn fit_to_header(&self, values: &mut Vec<String>) -> Option<RecordProblem> {
        let expected = self.headers.len();
        let found = values.len();
        if found == expected + 1 && values[expected].is_empty() {
            values.truncate(expected);
            return None;
        }
        if found == expected {
            return None;
        }
        let problem = if found < expected {
            let missing: Vec<String> = (found..expected).map(|i| self.column_label(i)).collect();
            format!(
                "{found} of {expected} fields: {} missing; the row was not processed. Add the \
                 missing values (or empty ones) and rerun",
                missing.join(", ")
            )
        } else {
            let extra: Vec<&str> = values[expected..].iter().map(String::as_str).collect();
            format!(
                "{found} fields where the header has {expected}; the extra values {:?} have \
                 no column, and an unquoted comma may have shifted the others. Quote values \
                 that contain commas and rerun",
                extra
            )
        };
        values.resize(expected, String::new());
        Some(RecordProblem::new("wrong_field_count", problem))
    }

    fn column_label(&self, index: usize) -> String {
        match self.headers.get(index) {
            Some(name) if !name.is_empty() => format!("column `{name}`"),
            _ => format!("column {}", index + 1),
        }
    }
}

/// Quote layout of a raw CSV record, computed by a small state machine that follows the csv
/// crate's rules. A quote opens a quoted field only at the start of a field, and `""` inside
/// one is an escaped quote.
struct RawShape {
    first_line: u64,
    /// Line of the last character that is not part of the final line terminator.
    last_line: u64,
    /// Line of the opening quote when the record ends inside a quoted field.
    unclosed_quote_line: Option<u64>,
}

impl RawShape {
    fn scan(raw: &[u8], first_line: u64) -> RawShape {
        #[derive(Clone, Copy, PartialEq)]
        enum State {
            FieldStart,
            Unquoted,
            Quoted,
            QuoteInQuoted,
        }
        let mut state = State::FieldStart;
        let mut line = first_line;
        let mut open_line = first_line;
        for &byte in raw {
            state = match (state, byte) {
                (State::Quoted, b'"') => State::QuoteInQuoted,
                (State::Quoted, _) => State::Quoted,
                (State::FieldStart, b'"') => {
                    open_line = line;
                    State::Quoted
                }
                (State::QuoteInQuoted, b'"') => State::Quoted,
                (_, b',' | b'\r' | b'\n') => State::FieldStart,
                _ => State::Unquoted,
            };
            if byte == b'\n' {
                line += 1;
            }
        }
        let content_lines = trim_line_end(raw)
            .iter()
            .filter(|&&byte| byte == b'\n')
            .count() as u64;
        RawShape {
            first_line,
            last_line: first_line + content_lines,
            unclosed_quote_line: (state == State::Quoted).then_some(open_line),
        }
    }
}

fn line_span(first: u64, last: u64) -> String {
    if first == last {
        format!("line {first}")
    } else {
        format!("lines {first}-{last}")
    }
}

fn trim_line_end(raw: &[u8]) -> &[u8] {
    let end = raw
        .iter()
        .rposition(|&byte| !matches!(byte, b'\r' | b'\n'))
        .map_or(0, |last| last + 1);
    &raw[..end]
}

/// Returns the offset of the first byte that is not valid UTF-8.
fn first_invalid_utf8(bytes: &[u8]) -> Option<usize> {
    std::str::from_utf8(bytes)
        .err()
        .map(|error| error.valid_up_to())
}

/// A reader that keeps a copy of the bytes it passes on, from the start of the current
/// record, so that each record's raw bytes can be hashed and checked for quoting after the
/// csv crate has parsed them. It fails once a record grows past [`MAX_RECORD_BYTES`].
struct RawCopy<R> {
    inner: R,
    /// Copied bytes; `copied[0]` is at file offset `copied_from`.
    copied: Vec<u8>,
    copied_from: u64,
    record_start: u64,
    over_limit: bool,
}

impl<R> RawCopy<R> {
    fn new(inner: R) -> RawCopy<R> {
        RawCopy {
            inner,
            copied: Vec::new(),
            copied_from: 0,
            record_start: 0,
            over_limit: false,
        }
    }

    fn mark_record_start(&mut self, offset: u64) {
        self.record_start = offset;
    }

    /// Returns the copied bytes between two file offsets, clamped to what is still copied.
    fn slice(&self, from: u64, to: u64) -> &[u8] {
        let start = from.saturating_sub(self.copied_from) as usize;
        let end = (to.saturating_sub(self.copied_from) as usize).min(self.copied.len());
        &self.copied[start.min(end)..end]
    }

    fn discard_before(&mut self, offset: u64) {
        let count = offset.saturating_sub(self.copied_from) as usize;
        if count >= DISCARD_BATCH {
            self.copied.drain(..count.min(self.copied.len()));
            self.copied_from += count as u64;
        }
    }
}

impl<R: Read> Read for RawCopy<R> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let copied_end = self.copied_from + self.copied.len() as u64;
        if copied_end.saturating_sub(self.record_start) > MAX_RECORD_BYTES as u64 {
            self.over_limit = true;
            return Err(io::Error::other("record larger than the size limit"));
        }
        let count = self.inner.read(buffer)?;
        self.copied.extend_from_slice(&buffer[..count]);
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(raw: &str) -> RawShape {
        RawShape::scan(raw.as_bytes(), 10)
    }

    #[test]
    fn raw_shape_closed_quotes() {
        let closed = shape("1,\"A \"\"B\"\"\nC\",D\n");
        assert_eq!(closed.unclosed_quote_line, None);
        assert_eq!(closed.last_line, 11);
    }

    #[test]
    fn raw_shape_unclosed_quote() {
        let open = shape("2,\"88 LAKE\n3,9 OAK ST\n");
        assert_eq!(open.unclosed_quote_line, Some(10));
        assert_eq!(open.last_line, 11);
    }

    #[test]
    fn raw_shape_quote_inside_unquoted_field_is_literal() {
        let literal = shape("1,12\" PIPE ST,X\n");
        assert_eq!(literal.unclosed_quote_line, None);
    }

    #[test]
    fn raw_copy_slices_by_file_offset() {
        let mut copy = RawCopy::new(&b"abcdef"[..]);
        let mut buffer = [0u8; 4];
        copy.read_exact(&mut buffer).unwrap();
        assert_eq!(copy.slice(1, 3), b"bc");
        assert_eq!(copy.slice(2, 100), b"cd");
    }

    #[test]
    fn trim_line_end_keeps_content() {
        assert_eq!(trim_line_end(b"a,b\r\n"), b"a,b");
        assert_eq!(trim_line_end(b"\n"), b"");
    }
}
