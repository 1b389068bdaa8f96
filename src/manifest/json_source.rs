//! JSON manifests: a top-level array of objects (or objects one after another), and JSON
//! Lines.
//!
//! A JSON array is read one element at a time: a small scanner finds each element's bytes by
//! tracking strings, escapes and nesting depth, and only that element is parsed. The
//! scanner does not validate JSON itself; serde_json does that per element.

use std::collections::HashSet;
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::{Map, Value};

use super::{
    content_hash, decode, invalid_utf8_message, Encoding, Fields, ManifestError, Record,
    RecordProblem, MAX_RECORD_BYTES,
};

/// A record's bytes as stored in the file, with its place.
struct RawElement {
    bytes: Vec<u8>,
    byte: u64,
    line: u64,
}

/// Parses one element or line into a record. A value that is not an object becomes an
/// `invalid_json` problem, and invalid UTF-8 an `invalid_utf8` problem on a lossy copy.
/// Invalid JSON is returned as `Err` with the decoded text, because a JSON array must stop
/// there while JSON Lines only fail that row.
fn parse_record(
    raw: &RawElement,
    row: u64,
    encoding: Encoding,
) -> Result<Record, (serde_json::Error, String)> {
    let (text, invalid_at) = decode(&raw.bytes, encoding);
    let mut problem = invalid_at.map(|offset| {
        RecordProblem::new(
            "invalid_utf8",
            invalid_utf8_message(raw.byte + offset as u64, raw.bytes[offset], None),
        )
    });
    let fields = match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(map)) => {
            // serde_json keeps the last of two equal keys, which would silently drop a value.
            if let Some(key) = first_duplicate_key(&text) {
                problem = problem.or_else(|| {
                    Some(RecordProblem::new(
                        "duplicate_key",
                        format!(
                            "key {key:?} appears more than once in this object, so its value is \
                             ambiguous; keep one {key:?} and rerun"
                        ),
                    ))
                });
            }
            map
        }
        Ok(other) => {
            problem = problem.or_else(|| {
                Some(RecordProblem::new(
                    "invalid_json",
                    format!(
                        "record is a JSON {}, not an object; write each row as an object such \
                         as {{\"street\": \"...\", \"state\": \"IL\"}}",
                        kind_of(&other)
                    ),
                ))
            });
            Map::new()
        }
        Err(error) => return Err((error, text)),
    };
    Ok(Record {
        row,
        line: raw.line,
        byte: raw.byte,
        content_hash: content_hash(&raw.bytes),
        fields: Fields::Json(fields),
        problem,
    })
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// serde_json's message without its trailing " at line L column C", which would count from
/// the start of the element instead of the file.
fn json_message(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rsplit_once(" at line ") {
        Some((message, _)) => message.to_owned(),
        None => text,
    }
}

/// Returns the first key that appears twice at the top level of the JSON object `text`.
fn first_duplicate_key(text: &str) -> Option<String> {
    struct DuplicateKey;

    impl<'de> Visitor<'de> for DuplicateKey {
        type Value = Option<String>;

        fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
            formatter.write_str("a JSON object")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<String>, A::Error> {
            let mut seen = HashSet::new();
            let mut duplicate = None;
            while let Some(key) = map.next_key::<String>()? {
                map.next_value::<IgnoredAny>()?;
                if duplicate.is_none() && seen.contains(&key) {
                    duplicate = Some(key);
                } else {
                    seen.insert(key);
                }
            }
            Ok(duplicate)
        }
    }

    let mut deserializer = serde_json::Deserializer::from_str(text);
    deserializer.deserialize_map(DuplicateKey).ok().flatten()
}

/// Returns the keys of every object in `records`, in the order they first appear. Objects of
/// one manifest often leave out keys they have no value for, so the first object alone would
/// miss columns that later rows fill, and their values would be dropped without a word.
fn all_object_keys(records: impl Iterator<Item = Result<Record, ManifestError>>) -> Vec<String> {
    let mut keys = Vec::new();
    let mut seen = HashSet::new();
    // A manifest error ends the pass; reading the records again reports it at its row.
    for record in records.map_while(Result::ok) {
        if let Fields::Json(map) = &record.fields {
            for key in map.keys() {
                if !seen.contains(key) {
                    seen.insert(key.clone());
                    keys.push(key.clone());
                }
            }
        }
    }
    keys
}

/// Reads a byte at a time from a buffered file, counting offset and lines.
struct ByteScanner {
    reader: BufReader<File>,
    byte: u64,
    line: u64,
}

impl ByteScanner {
    fn new(file: File) -> ByteScanner {
        ByteScanner {
            reader: BufReader::with_capacity(64 * 1024, file),
            byte: 0,
            line: 1,
        }
    }

    fn peek(&mut self) -> io::Result<Option<u8>> {
        Ok(self.reader.fill_buf()?.first().copied())
    }

    fn next(&mut self) -> io::Result<Option<u8>> {
        let byte = self.peek()?;
        if let Some(value) = byte {
            self.reader.consume(1);
            self.byte += 1;
            if value == b'\n' {
                self.line += 1;
            }
        }
        Ok(byte)
    }

    /// Skips whitespace and returns the next byte without consuming it.
    fn skip_whitespace(&mut self) -> io::Result<Option<u8>> {
        while let Some(byte) = self.peek()? {
            if !matches!(byte, b' ' | b'\t' | b'\r' | b'\n') {
                return Ok(Some(byte));
            }
            self.next()?;
        }
        Ok(None)
    }

    fn skip_bom(&mut self) -> io::Result<()> {
        if self.reader.fill_buf()?.starts_with(b"\xEF\xBB\xBF") {
            self.reader.consume(3);
            self.byte += 3;
        }
        Ok(())
    }
}

/// Top-level layout of a JSON manifest.
#[derive(Clone, Copy, PartialEq)]
enum Layout {
    /// `[ {...}, {...} ]`
    Array,
    /// `{...} {...}` with only whitespace between objects.
    Objects,
}

pub(super) struct JsonArraySource {
    path: PathBuf,
    encoding: Encoding,
    scanner: ByteScanner,
    layout: Layout,
    headers: Vec<String>,
    rows: u64,
    done: bool,
}

impl JsonArraySource {
    /// Opens the manifest and reads it once to the end to find its columns: the keys of all
    /// its objects.
    pub(super) fn open(path: &Path, encoding: Encoding) -> Result<JsonArraySource, ManifestError> {
        let mut source = JsonArraySource::open_records(path, encoding)?;
        let mut scout = JsonArraySource::open_records(path, encoding)?;
        source.headers = all_object_keys(std::iter::from_fn(|| scout.next_record()));
        Ok(source)
    }

    /// Opens the manifest for reading its records, without columns.
    fn open_records(path: &Path, encoding: Encoding) -> Result<JsonArraySource, ManifestError> {
        let file = File::open(path).map_err(|source| ManifestError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        let mut source = JsonArraySource {
            path: path.to_path_buf(),
            encoding,
            scanner: ByteScanner::new(file),
            layout: Layout::Array,
            headers: Vec::new(),
            rows: 0,
            done: false,
        };
        source
            .scanner
            .skip_bom()
            .map_err(|error| source.io_error(error))?;
        match source
            .scanner
            .skip_whitespace()
            .map_err(|error| source.io_error(error))?
        {
            Some(b'[') => {
                source
                    .scanner
                    .next()
                    .map_err(|error| source.io_error(error))?;
            }
            Some(b'{') => source.layout = Layout::Objects,
            // An empty file contains no records, which is not an error.
            None => source.done = true,
            Some(other) => {
                return Err(source.syntax_error(format!(
                    "expected `[` (an array of objects) but found `{}`",
                    char::from(other).escape_default()
                )))
            }
        }
        Ok(source)
    }

    pub(super) fn headers(&self) -> &[String] {
        &self.headers
    }

    pub(super) fn next_record(&mut self) -> Option<Result<Record, ManifestError>> {
        self.read_record().transpose()
    }

    fn read_record(&mut self) -> Result<Option<Record>, ManifestError> {
        let Some(raw) = self.next_element()? else {
            return Ok(None);
        };
        self.rows += 1;
        parse_record(&raw, self.rows, self.encoding)
            .map(Some)
            .map_err(|(error, _)| ManifestError::InvalidJson {
                path: self.path.clone(),
                line: raw.line + error.line().saturating_sub(1) as u64,
                column: error.column() as u64,
                message: json_message(&error),
            })
    }

    /// Finds the bytes of the next element, consuming the separator after it.
    fn next_element(&mut self) -> Result<Option<RawElement>, ManifestError> {
        if self.done {
            return Ok(None);
        }
        let next = self
            .scanner
            .skip_whitespace()
            .map_err(|e| self.io_error(e))?;
        match (self.layout, next) {
            (Layout::Array, Some(b']')) if self.rows == 0 => return self.finish_array(),
            (Layout::Array, Some(b']')) => {
                return Err(self.syntax_error("trailing comma before `]`".to_owned()))
            }
            (Layout::Array, None) => {
                return Err(self
                    .syntax_error("the file ends inside the array; it may be cut off".to_owned()))
            }
            (Layout::Objects, None) => {
                self.done = true;
                return Ok(None);
            }
            (Layout::Objects, Some(b'{')) => {}
            (Layout::Objects, Some(other)) => {
                return Err(self.syntax_error(format!(
                    "expected `{{` (the next object) but found `{}`",
                    char::from(other).escape_default()
                )))
            }
            (Layout::Array, Some(_)) => {}
        }

        let element = self.scan_element()?;
        if self.layout == Layout::Array {
            match self
                .scanner
                .skip_whitespace()
                .map_err(|e| self.io_error(e))?
            {
                Some(b',') => {
                    self.scanner.next().map_err(|e| self.io_error(e))?;
                }
                Some(b']') => {
                    self.finish_array()?;
                }
                Some(other) => {
                    return Err(self.syntax_error(format!(
                        "expected `,` or `]` after the element that starts on line {} but \
                         found `{}`",
                        element.line,
                        char::from(other).escape_default()
                    )))
                }
                None => {
                    return Err(self.syntax_error(
                        "the file ends inside the array; it may be cut off".to_owned(),
                    ))
                }
            }
        }
        Ok(Some(element))
    }

    /// Consumes the closing `]` and checks that only whitespace follows.
    fn finish_array(&mut self) -> Result<Option<RawElement>, ManifestError> {
        self.scanner.next().map_err(|e| self.io_error(e))?;
        self.done = true;
        match self
            .scanner
            .skip_whitespace()
            .map_err(|e| self.io_error(e))?
        {
            None => Ok(None),
            Some(other) => Err(self.syntax_error(format!(
                "unexpected `{}` after the closing `]`",
                char::from(other).escape_default()
            ))),
        }
    }

    /// Reads one element: an object or array up to its matching bracket, a string up to its
    /// closing quote, or a bare value up to the next `,`, `]` or whitespace.
    fn scan_element(&mut self) -> Result<RawElement, ManifestError> {
        let start_byte = self.scanner.byte;
        let start_line = self.scanner.line;
        let mut bytes = Vec::new();
        let mut depth = 0usize;
        let mut in_string = false;
        let mut escaped = false;
        loop {
            let peeked = self.scanner.peek().map_err(|e| self.io_error(e))?;
            let Some(byte) = peeked else {
                if depth == 0 && !in_string && !bytes.is_empty() {
                    break;
                }
                return Err(self.syntax_error(format!(
                    "the file ends inside the record that starts on line {start_line}; it may \
                     be cut off"
                )));
            };
            let bare_value_ends = depth == 0
                && !in_string
                && !bytes.is_empty()
                && bytes[0] != b'"'
                && matches!(byte, b',' | b']' | b' ' | b'\t' | b'\r' | b'\n');
            if bare_value_ends {
                break;
            }
            self.scanner.next().map_err(|e| self.io_error(e))?;
            bytes.push(byte);
            if bytes.len() > MAX_RECORD_BYTES {
                return Err(ManifestError::RecordTooLarge {
                    path: self.path.clone(),
                    row: self.rows + 1,
                    line: start_line,
                    limit: MAX_RECORD_BYTES,
                });
            }
            if in_string {
                match (escaped, byte) {
                    (true, _) => escaped = false,
                    (false, b'\\') => escaped = true,
                    (false, b'"') => in_string = false,
                    _ => {}
                }
                if !in_string && depth == 0 {
                    break;
                }
                continue;
            }
            match byte {
                b'"' => in_string = true,
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        break;
                    }
                }
                _ => {}
            }
        }
        Ok(RawElement {
            bytes,
            byte: start_byte,
            line: start_line,
        })
    }

    fn io_error(&self, source: io::Error) -> ManifestError {
        ManifestError::Read {
            path: self.path.clone(),
            line: self.scanner.line,
            source,
        }
    }

    fn syntax_error(&self, message: String) -> ManifestError {
        ManifestError::InvalidJson {
            path: self.path.clone(),
            line: self.scanner.line,
            column: 0,
            message,
        }
    }
}

pub(super) struct JsonLinesSource {
    path: PathBuf,
    encoding: Encoding,
    reader: BufReader<File>,
    headers: Vec<String>,
    line_buffer: Vec<u8>,
    byte: u64,
    line: u64,
    rows: u64,
}

impl JsonLinesSource {
    /// Opens the manifest and reads it once to the end to find its columns: the keys of all
    /// its objects.
    pub(super) fn open(path: &Path, encoding: Encoding) -> Result<JsonLinesSource, ManifestError> {
        let mut source = JsonLinesSource::open_records(path, encoding)?;
        let mut scout = JsonLinesSource::open_records(path, encoding)?;
        source.headers = all_object_keys(std::iter::from_fn(|| scout.next_record()));
        Ok(source)
    }

    /// Opens the manifest for reading its records, without columns.
    fn open_records(path: &Path, encoding: Encoding) -> Result<JsonLinesSource, ManifestError> {
        let file = File::open(path).map_err(|source| ManifestError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        let source = JsonLinesSource {
            path: path.to_path_buf(),
            encoding,
            reader: BufReader::with_capacity(64 * 1024, file),
            headers: Vec::new(),
            line_buffer: Vec::new(),
            byte: 0,
            line: 0,
            rows: 0,
        };
        Ok(source)
    }

    pub(super) fn headers(&self) -> &[String] {
        &self.headers
    }

    pub(super) fn next_record(&mut self) -> Option<Result<Record, ManifestError>> {
        self.read_record().transpose()
    }

    /// Reads lines until one is not blank and parses it.
    fn read_record(&mut self) -> Result<Option<Record>, ManifestError> {
        loop {
            let line_start = self.byte;
            self.line_buffer.clear();
            let limit = MAX_RECORD_BYTES as u64 + 1;
            let count = (&mut self.reader)
                .take(limit)
                .read_until(b'\n', &mut self.line_buffer)
                .map_err(|source| ManifestError::Read {
                    path: self.path.clone(),
                    line: self.line + 1,
                    source,
                })?;
            if count == 0 {
                return Ok(None);
            }
            self.line += 1;
            self.byte += count as u64;
            if count as u64 == limit && !self.line_buffer.ends_with(b"\n") {
                // Each line is a record of its own, so the rest of this one is skipped
                // without keeping it, and the line becomes one error row.
                let skipped =
                    self.reader
                        .skip_until(b'\n')
                        .map_err(|source| ManifestError::Read {
                            path: self.path.clone(),
                            line: self.line,
                            source,
                        })?;
                self.byte += skipped as u64;
                self.rows += 1;
                return Ok(Some(Record {
                    row: self.rows,
                    line: self.line,
                    byte: line_start,
                    content_hash: content_hash(&self.line_buffer),
                    fields: Fields::Json(Map::new()),
                    problem: Some(RecordProblem::new(
                        "record_too_large",
                        format!(
                            "line {} is {} bytes long, more than the {MAX_RECORD_BYTES} bytes a \
                             record may have; shorten it or split it into several rows",
                            self.line,
                            count + skipped
                        ),
                    )),
                }));
            }

            let mut content = self.line_buffer.as_slice();
            let mut start = line_start;
            if line_start == 0 && content.starts_with(b"\xEF\xBB\xBF") {
                content = &content[3..];
                start += 3;
            }
            let first = content.iter().position(|b| !b.is_ascii_whitespace());
            let last = content.iter().rposition(|b| !b.is_ascii_whitespace());
            let (Some(first), Some(last)) = (first, last) else {
                continue;
            };
            let raw = RawElement {
                bytes: content[first..=last].to_vec(),
                byte: start + first as u64,
                line: self.line,
            };
            self.rows += 1;
            let record =
                parse_record(&raw, self.rows, self.encoding).unwrap_or_else(|(error, text)| {
                    Record {
                        row: self.rows,
                        line: raw.line,
                        byte: raw.byte,
                        content_hash: content_hash(&raw.bytes),
                        fields: Fields::Json(Map::new()),
                        problem: Some(RecordProblem::new(
                            "invalid_json",
                            format!(
                            "invalid JSON at column {}: {}; the line starts `{}`. Fix the line \
                             and rerun",
                            error.column() + first,
                            json_message(&error),
                            excerpt(&text)
                        ),
                        )),
                    }
                });
            return Ok(Some(record));
        }
    }
}

/// Returns the first 40 characters of a line, for messages.
fn excerpt(text: &str) -> String {
    let mut short: String = text.chars().take(40).collect();
    if short.len() < text.len() {
        short.push_str("...");
    }
    short
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_message_drops_position() {
        let error = serde_json::from_str::<Value>("{\"a\": tru}").unwrap_err();
        assert_eq!(json_message(&error), "expected ident");
    }

    #[test]
    fn excerpt_shortens_long_lines() {
        assert_eq!(excerpt("short"), "short");
        assert_eq!(excerpt(&"x".repeat(50)), format!("{}...", "x".repeat(40)));
    }
}
