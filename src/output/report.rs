//! The enriched output and the error report, written from the manifest and the row
//! checkpoints after a run.
//!
//! Both files are a function of the input and the stored outcomes alone, so after any number
//! of kills and reruns they are byte-identical to those of an uninterrupted run.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::kinds::{Kind, RowError, RowOutcome, RowStatus};
use crate::manifest::{ColumnMap, Encoding, Fields, Format, ManifestReader, Record};
use crate::output::atomic::AtomicFile;
use crate::output::csv_safe::neutralize;
use crate::output::shipments::{ShipmentTotals, SHIPMENT_FIELD};
use crate::state::{open_reader, RowCursor, RowState};

/// Paths of a job's output files.
#[derive(Debug, Clone)]
pub struct OutputFiles {
    pub output: PathBuf,
    pub errors: PathBuf,
    pub summary: PathBuf,
    /// `<job>.responses.jsonl`, for kinds that keep each row's whole response.
    pub responses: Option<PathBuf>,
    /// Totals of multi-piece shipments, written only by price jobs that map `shipmentId`.
    pub shipments: PathBuf,
}

impl OutputFiles {
    /// `<job>.csv` for CSV input, `<job>.jsonl` for JSON and JSON Lines input, beside
    /// `<job>.errors.csv` and `<job>.summary.json`.
    pub fn for_job(dir: &Path, name: &str, format: Format) -> OutputFiles {
        let extension = match format {
            Format::Csv => "csv",
            Format::Json | Format::Jsonl => "jsonl",
        };
        OutputFiles {
            output: dir.join(format!("{name}.{extension}")),
            errors: dir.join(format!("{name}.errors.csv")),
            summary: dir.join(format!("{name}.summary.json")),
            responses: None,
            shipments: dir.join(format!("{name}.shipments.csv")),
        }
    }

    /// Adds `<job>.responses.jsonl` beside the output when `kind` keeps whole responses.
    pub fn with_responses(mut self, dir: &Path, name: &str, kind: &dyn Kind) -> OutputFiles {
        if kind.writes_responses() {
            self.responses = Some(dir.join(format!("{name}.responses.jsonl")));
        }
        self
    }
}

/// What [`write_reports`] needs.
pub struct ReportInput<'a> {
    pub input: &'a Path,
    pub format: Format,
    pub encoding: Encoding,
    pub columns: &'a BTreeMap<String, String>,
    pub kind: &'a dyn Kind,
    pub state: &'a Path,
    pub job_id: &'a str,
    pub files: &'a OutputFiles,
    /// Code and message written for rows that the run did not reach.
    pub deferred: (&'a str, &'a str),
}

/// Counts of the written rows.
#[derive(Debug, Clone, Default)]
pub struct ReportCounts {
    pub rows: u64,
    pub by_status: BTreeMap<String, u64>,
    pub error_rows: u64,
}

/// An output file that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {path}: {message}")]
pub struct ReportError {
    pub path: PathBuf,
    pub message: String,
}

/// Builds the error of an output that could not be written, or of an input read for it.
fn fail(path: &Path, message: String) -> ReportError {
    ReportError {
        path: path.to_path_buf(),
        message,
    }
}

/// The columns of the error report.
pub const ERROR_COLUMNS: &[&str] = &[
    "row",
    "line",
    "id",
    "field",
    "column",
    "value",
    "code",
    "usps_code",
    "http_status",
    "retryable",
    "message",
    "raw_response",
];

/// Writes the enriched output and the error report.
pub fn write_reports(input: &ReportInput<'_>) -> Result<ReportCounts, ReportError> {
    let files = input.files;
    if let Some(dir) = files.output.parent() {
        std::fs::create_dir_all(dir).map_err(|error| fail(dir, error.to_string()))?;
    }
    let reader = ManifestReader::open(input.input, input.format, input.encoding)
        .map_err(|error| fail(&files.output, error.to_string()))?;
    let columns = ColumnMap::resolve(
        input.kind.fields(),
        input.columns,
        reader.headers(),
        input.input,
    )
    .map_err(|error| fail(&files.output, error.to_string()))?;
    let output_file = AtomicFile::create(&files.output)
        .map_err(|error| fail(&files.output, error.to_string()))?;
    let errors_file = AtomicFile::create(&files.errors)
        .map_err(|error| fail(&files.errors, error.to_string()))?;
    let output = OutputWriter::new(input, reader.headers(), output_file);
    let mut errors = csv::Writer::from_writer(errors_file);
    errors
        .write_record(ERROR_COLUMNS)
        .map_err(|error| fail(&files.errors, error.to_string()))?;
    let responses = match &files.responses {
        Some(path) => Some((
            path,
            AtomicFile::create(path).map_err(|error| fail(path, error.to_string()))?,
        )),
        None => None,
    };

    let mut writers = Writers {
        output,
        errors,
        responses,
        shipments: ShipmentTotals::for_job(input.kind, &columns),
    };
    let mut counts = ReportCounts::default();
    let headers = reader.headers().to_vec();
    // One thread reads the manifest and the checkpoints, the other writes the files, so the
    // parsing and the writing share the two cores.
    std::thread::scope(|scope| -> Result<(), ReportError> {
        let (sender, receiver) = std::sync::mpsc::sync_channel(QUEUED_BATCHES);
        std::thread::Builder::new()
            .name("report-read".into())
            .spawn_scoped(scope, move || read_outcomes(input, reader, sender))
            .map_err(|error| fail(&files.output, format!("cannot start a thread: {error}")))?;
        for batch in receiver {
            for (record, outcome) in batch? {
                write_row(
                    input,
                    &columns,
                    &headers,
                    &record,
                    &outcome,
                    &mut writers,
                    &mut counts,
                )?;
            }
        }
        Ok(())
    })?;

    let Writers {
        output,
        errors,
        responses,
        shipments,
    } = writers;
    output
        .finish()
        .map_err(|error| fail(&files.output, error))?;
    let errors_file = errors
        .into_inner()
        .map_err(|error| fail(&files.errors, error.to_string()))?;
    errors_file
        .commit()
        .map_err(|error| fail(&files.errors, error.to_string()))?;
    if let Some((path, file)) = responses {
        file.commit()
            .map_err(|error| fail(path, error.to_string()))?;
    }
    match shipments {
        Some(totals) => totals
            .write(&files.shipments)
            .map_err(|error| fail(&files.shipments, error))?,
        // A shipments file of an earlier run of this job would no longer match the output.
        None => match std::fs::remove_file(&files.shipments) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                return Err(fail(&files.shipments, error.to_string()))
            }
            _ => {}
        },
    }
    Ok(counts)
}

/// Records with their outcomes that the reading thread hands on at a time.
const BATCH_ROWS: usize = 256;
/// Batches that the reading thread may have queued ahead of the writing one.
const QUEUED_BATCHES: usize = 8;

type Batch = Result<Vec<(Record, RowOutcome)>, ReportError>;

/// Reads the manifest beside the checkpoints and sends each record with its outcome, in
/// order. Stops at the first error, which it sends, or when the writing thread is gone.
fn read_outcomes(
    input: &ReportInput<'_>,
    reader: ManifestReader,
    sender: std::sync::mpsc::SyncSender<Batch>,
) {
    if let Err(error) = send_outcomes(input, reader, &sender) {
        let _ = sender.send(Err(error));
    }
}

/// Reads and sends the outcomes for [`read_outcomes`], and returns the first error.
fn send_outcomes(
    input: &ReportInput<'_>,
    mut reader: ManifestReader,
    sender: &std::sync::mpsc::SyncSender<Batch>,
) -> Result<(), ReportError> {
    let connection =
        open_reader(input.state).map_err(|error| fail(input.state, error.to_string()))?;
    let mut cursor = RowCursor::new(&connection, input.job_id);
    // A purchase sent at least once and not finished may have been charged, so its row
    // is in doubt rather than deferred, as the in-doubt report lists it.
    let pins = if input.kind.exactly_once() {
        crate::state::pins::all(&connection, input.job_id)
            .map_err(|error| fail(input.state, error.to_string()))?
    } else {
        Default::default()
    };
    let mut batch = Vec::with_capacity(BATCH_ROWS);
    while let Some(record) = reader.next_record() {
        let record = record.map_err(|error| fail(&input.files.output, error.to_string()))?;
        let stored = cursor
            .get(record.row)
            .map_err(|error| fail(input.state, error.to_string()))?;
        let attempted_pin = stored
            .as_ref()
            .filter(|stored| stored.state == RowState::InFlight)
            .and_then(|stored| pins.get(&(stored.row, stored.content_hash.to_vec())))
            .filter(|pin| pin.attempts > 0);
        let outcome = stored
            .filter(|stored| matches!(stored.state, RowState::Done | RowState::Failed))
            .and_then(|stored| stored.result)
            .and_then(|result| serde_json::from_str::<RowOutcome>(&result).ok())
            .unwrap_or_else(|| match attempted_pin {
                Some(pin) => RowOutcome::transient(
                    "in flight when the run ended".to_string(),
                    None,
                    String::new(),
                )
                .into_in_doubt(&pin.idempotency_key),
                None => deferred_outcome(input.deferred),
            });
        batch.push((record, outcome));
        if batch.len() >= BATCH_ROWS {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH_ROWS));
            if sender.send(Ok(full)).is_err() {
                return Ok(());
            }
        }
    }
    if !batch.is_empty() {
        let _ = sender.send(Ok(batch));
    }
    Ok(())
}

/// The files that [`write_row`] writes to.
struct Writers<'a> {
    output: OutputWriter,
    errors: csv::Writer<AtomicFile>,
    responses: Option<(&'a PathBuf, AtomicFile)>,
    shipments: Option<ShipmentTotals>,
}

/// Writes one record and its outcome to every file, and counts it.
fn write_row(
    input: &ReportInput<'_>,
    columns: &ColumnMap,
    headers: &[String],
    record: &Record,
    outcome: &RowOutcome,
    writers: &mut Writers<'_>,
    counts: &mut ReportCounts,
) -> Result<(), ReportError> {
    let files = input.files;
    writers
        .output
        .write(record, outcome)
        .map_err(|error| fail(&files.output, error))?;
    let id = columns.value("id", record);
    if let Some((path, file)) = writers.responses.as_mut() {
        write_response_line(file, record, id.as_deref(), outcome)
            .map_err(|error| fail(path, error.to_string()))?;
    }
    if let Some(totals) = writers.shipments.as_mut() {
        if let Some(shipment) = columns.value(SHIPMENT_FIELD, record) {
            totals.add(&shipment, record.row, id.as_deref(), outcome);
        }
    }
    counts.rows += 1;
    let status = outcome.status.as_str();
    match counts.by_status.get_mut(status) {
        Some(count) => *count += 1,
        None => {
            counts.by_status.insert(status.to_string(), 1);
        }
    }

    if !outcome.status.is_success() && outcome.status != RowStatus::Deferred {
        let row_error = outcome.error.clone().unwrap_or_else(|| RowError {
            code: outcome.status.as_str().to_string(),
            usps_code: None,
            field: None,
            message: String::new(),
            retryable: false,
            http_status: None,
            raw: None,
        });
        let (column, value) =
            column_and_value(columns, headers, record, row_error.field.as_deref());
        let place = ErrorPlace {
            id: id.as_deref(),
            column: column.unwrap_or(""),
            value: value.as_deref().unwrap_or(""),
        };
        write_error_row(&mut writers.errors, record, &place, &row_error)
            .map_err(|error| fail(&files.errors, error.to_string()))?;
        counts.error_rows += 1;
    }
    Ok(())
}

/// Writes one line of `<job>.responses.jsonl`: the row's number, line, id and status, and
/// the whole answer, or `null` when the row got none. Every input row has a line, so the
/// file lines up with the output.
fn write_response_line(
    file: &mut AtomicFile,
    record: &Record,
    id: Option<&str>,
    outcome: &RowOutcome,
) -> std::io::Result<()> {
    let line = serde_json::json!({
        "row": record.row,
        "line": record.line,
        "id": id,
        "status": outcome.status.as_str(),
        "response": outcome.response,
    });
    serde_json::to_writer(&mut *file, &line)?;
    file.write_all(b"\n")
}

fn deferred_outcome((code, message): (&str, &str)) -> RowOutcome {
    RowOutcome {
        status: RowStatus::Deferred,
        values: Vec::new(),
        notes: Vec::new(),
        error: Some(RowError {
            code: code.to_string(),
            usps_code: None,
            field: None,
            message: message.to_string(),
            retryable: true,
            http_status: None,
            raw: None,
        }),
        response: None,
    }
}

/// Place of an error row in the input: the row's id, and the column and value that the error
/// concerns, empty when unknown.
struct ErrorPlace<'a> {
    id: Option<&'a str>,
    column: &'a str,
    value: &'a str,
}

/// Returns the manifest column that an error's `field` names, and the row's value in it.
/// `field` is a column name (local checks), an API field that the job maps (`ZIPCode`), or a
/// JSON pointer into the request body (`/packageDescription/weight`), whose last part is
/// taken as the API field, or a dotted key inside a nested JSON object (`toAddress.city`).
fn column_and_value<'a>(
    columns: &'a ColumnMap,
    headers: &'a [String],
    record: &'a Record,
    field: Option<&'a str>,
) -> (Option<&'a str>, Option<Cow<'a, str>>) {
    let Some(field) = field.filter(|field| !field.is_empty()) else {
        return (None, None);
    };
    let api_field = field.rsplit(['/', '.']).next().unwrap_or(field);
    if let Some(column) = columns.column_name(api_field) {
        return (Some(column), columns.value(api_field, record));
    }
    if let Some(index) = headers.iter().position(|header| header == field) {
        let column = headers[index].as_str();
        let value = match &record.fields {
            Fields::Csv(values) => values.get(index).map(|value| Cow::Borrowed(value.as_str())),
            Fields::Json(map) => map.get(column).map(json_text),
        };
        return (Some(column), value);
    }
    // A key inside a nested object: the dotted path is the column, as the message names it.
    if let (Some((top, path)), Fields::Json(map)) = (field.split_once('.'), &record.fields) {
        let mut nested = map.get(top);
        for key in path.split('.') {
            nested = nested.and_then(|value| value.get(key));
        }
        if let Some(value) = nested {
            return (Some(field), Some(json_text(value)));
        }
    }
    (None, None)
}

/// Returns a JSON value as the error report shows it: a string without its quotes, anything
/// else as JSON.
fn json_text(value: &serde_json::Value) -> Cow<'_, str> {
    match value {
        serde_json::Value::String(text) => Cow::Borrowed(text.as_str()),
        other => Cow::Owned(other.to_string()),
    }
}

fn write_error_row(
    errors: &mut csv::Writer<AtomicFile>,
    record: &Record,
    place: &ErrorPlace<'_>,
    error: &RowError,
) -> csv::Result<()> {
    let row = record.row.to_string();
    let line = record.line.to_string();
    let status = error
        .http_status
        .map(|status| status.to_string())
        .unwrap_or_default();
    let fields = [
        row.as_str(),
        line.as_str(),
        place.id.unwrap_or(""),
        error.field.as_deref().unwrap_or(""),
        place.column,
        place.value,
        error.code.as_str(),
        error.usps_code.as_deref().unwrap_or(""),
        status.as_str(),
        if error.retryable { "yes" } else { "no" },
        error.message.as_str(),
        error.raw.as_deref().unwrap_or(""),
    ];
    errors.write_record(fields.iter().map(|value| Cell(neutralize(value))))
}

/// A CSV cell after [`neutralize`], borrowed from the value unless it had to change, so that
/// writing a row allocates only for the cells that change.
struct Cell<'a>(Cow<'a, str>);

impl AsRef<[u8]> for Cell<'_> {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// Writes the enriched output in the input's format.
enum OutputWriter {
    Csv {
        writer: Box<csv::Writer<AtomicFile>>,
        result_width: usize,
    },
    Jsonl {
        file: AtomicFile,
        columns: Vec<&'static str>,
    },
}

const LEADING: &[&str] = &["usps_status"];
const TRAILING: &[&str] = &["usps_notes", "usps_error_code", "usps_error"];

impl OutputWriter {
    fn new(input: &ReportInput<'_>, headers: &[String], file: AtomicFile) -> OutputWriter {
        let result_columns: Vec<&'static str> = LEADING
            .iter()
            .chain(input.kind.result_columns())
            .chain(TRAILING)
            .copied()
            .collect();
        match input.format {
            Format::Csv => {
                let mut writer = csv::Writer::from_writer(file);
                // An input column named like a result column (an output fed back in) keeps
                // its data under `input_<name>`, so the header stays unique.
                let mut header: Vec<String> = headers
                    .iter()
                    .map(|name| {
                        if result_columns.contains(&name.as_str()) {
                            format!("input_{name}")
                        } else {
                            name.clone()
                        }
                    })
                    .collect();
                header.extend(result_columns.iter().map(|name| name.to_string()));
                let _ =
                    writer.write_record(header.iter().map(|name| neutralize(name).into_owned()));
                OutputWriter::Csv {
                    writer: Box::new(writer),
                    result_width: result_columns.len(),
                }
            }
            Format::Json | Format::Jsonl => OutputWriter::Jsonl {
                file,
                columns: result_columns,
            },
        }
    }

    fn write(&mut self, record: &Record, outcome: &RowOutcome) -> Result<(), String> {
        let results = result_values(outcome, self.kind_width());
        match self {
            OutputWriter::Csv {
                writer,
                result_width,
            } => {
                let input_values: &[String] = match &record.fields {
                    Fields::Csv(values) => values,
                    Fields::Json(_) => &[],
                };
                debug_assert_eq!(results.len(), *result_width);
                writer
                    .write_record(
                        input_values
                            .iter()
                            .map(String::as_str)
                            .chain(results.iter().map(|value| value.as_ref()))
                            .map(|value| Cell(neutralize(value))),
                    )
                    .map_err(|error| error.to_string())
            }
            OutputWriter::Jsonl { file, columns } => {
                let mut object = match &record.fields {
                    Fields::Json(object) => object.clone(),
                    Fields::Csv(_) => serde_json::Map::new(),
                };
                for (name, value) in columns.iter().zip(results) {
                    object.insert(
                        name.to_string(),
                        serde_json::Value::String(value.into_owned()),
                    );
                }
                serde_json::to_writer(&mut *file, &object).map_err(|error| error.to_string())?;
                file.write_all(b"\n").map_err(|error| error.to_string())
            }
        }
    }

    /// Number of the kind's own result columns.
    fn kind_width(&self) -> usize {
        let all = match self {
            OutputWriter::Csv { result_width, .. } => *result_width,
            OutputWriter::Jsonl { columns, .. } => columns.len(),
        };
        all - LEADING.len() - TRAILING.len()
    }

    fn finish(self) -> Result<(), String> {
        let file = match self {
            OutputWriter::Csv { writer, .. } => {
                writer.into_inner().map_err(|error| error.to_string())?
            }
            OutputWriter::Jsonl { file, .. } => file,
        };
        file.commit().map_err(|error| error.to_string())
    }
}

/// Builds the result columns of a row: status, the kind's `width` values (empty when the row
/// has none), notes, error code and message. Only joined notes are copied, and the other
/// columns borrow from `outcome`.
fn result_values(outcome: &RowOutcome, width: usize) -> Vec<Cow<'_, str>> {
    let mut values: Vec<Cow<'_, str>> = Vec::with_capacity(width + LEADING.len() + TRAILING.len());
    values.push(Cow::Borrowed(outcome.status.as_str()));
    values.extend(
        outcome
            .values
            .iter()
            .map(|value| Cow::Borrowed(value.as_str()))
            .chain(std::iter::repeat(Cow::Borrowed("")))
            .take(width),
    );
    values.push(match outcome.notes.as_slice() {
        [] => Cow::Borrowed(""),
        [note] => Cow::Borrowed(note.as_str()),
        notes => Cow::Owned(notes.join("; ")),
    });
    let (code, message) = match &outcome.error {
        Some(error) => (error.code.as_str(), error.message.as_str()),
        None => ("", ""),
    };
    values.push(Cow::Borrowed(code));
    values.push(Cow::Borrowed(message));
    values
}
