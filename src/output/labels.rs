//! Outputs of a label job beside the enriched output: the in-doubt report, the merged
//! `<job>.labels.pdf` for one print job, and the label totals of the summary.
//!
//! Like the other reports they are rebuilt from the manifest and the state file after every
//! run, so a rerun after a kill writes the same files as an uninterrupted run.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::Context;
use lopdf::{dictionary, Document, Object, ObjectId};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::job::JobConfig;
use crate::kinds::labels::{
    CANCEL_STATUS_COLUMN, KEY_COLUMN, LABELS_DIR, LABEL_FILE_COLUMN, POSTAGE_COLUMN,
};
use crate::kinds::{kind_for, RowOutcome, RowStatus};
use crate::manifest::{ColumnMap, ManifestReader};
use crate::output::atomic::AtomicFile;
use crate::output::csv_safe::neutralize;
use crate::output::file_names::write_atomic;
use crate::state::{cancels, open_reader, pins, RowCursor, RowState};

/// Label counts and the postage total of a job, for the summary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelTotals {
    /// Rows with a label, cancelled ones included.
    pub labels_bought: u64,
    /// Labels whose request was sent more than once with the same idempotency key, after a
    /// retry or a rerun. When an earlier attempt was charged, USPS returned its label.
    pub labels_reused: u64,
    pub labels_in_doubt: u64,
    pub labels_cancelled: u64,
    /// Postage of the labels bought and not cancelled, in dollars.
    pub total_postage: String,
    pub in_doubt_report: String,
    /// The merged PDF; empty when no label is a PDF.
    pub merged_pdf: String,
    /// Label files, relative to the output folder, of labels bought and not cancelled that
    /// are missing from the output folder. The merged PDF leaves them out.
    #[serde(default)]
    pub missing_label_files: Vec<String>,
}

impl LabelTotals {
    /// Builds the warning about missing label files, with what to do, or `None` when every
    /// label file is in place.
    pub fn describe_missing(&self) -> Option<String> {
        let first = self.missing_label_files.first()?;
        let count = self.missing_label_files.len();
        let print_file = if self.merged_pdf.is_empty() {
            "the merged print file".to_string()
        } else {
            self.merged_pdf.clone()
        };
        Some(format!(
            "MISSING: {count} label files of bought labels are not in the output folder (such as {first}), so {print_file} leaves them out. Restore them from a backup, or run the job again with --fresh: each order is then sent again with the idempotency key it was bought with, and USPS returns the label it already sold without a new charge (one API call per row)."
        ))
    }
}

/// The state file that the label outputs read, and the folder and names they are written to.
struct LabelOutputs<'a> {
    state: &'a Path,
    job_id: &'a str,
    output_dir: &'a Path,
    job_name: &'a str,
}

/// Columns of the in-doubt report.
pub const IN_DOUBT_COLUMNS: &[&str] = &[
    "row",
    "line",
    "id",
    "idempotency_key",
    "attempts",
    "message",
];

/// Writes `<job>.in-doubt.csv` and `<job>.labels.pdf` of the label job `config`, and returns
/// the totals.
pub fn write_label_outputs(config: &JobConfig, job_id: &str) -> anyhow::Result<LabelTotals> {
    let kind = kind_for(config);
    let mut reader = ManifestReader::open(&config.input, config.format, config.encoding)?;
    let columns = ColumnMap::resolve(
        kind.fields(),
        &config.columns,
        reader.headers(),
        &config.input,
    )?;
    let input = LabelOutputs {
        state: &config.state,
        job_id,
        output_dir: &config.output_dir,
        job_name: &config.name,
    };
    let connection = open_reader(input.state)?;
    let pinned = pins::all(&connection, input.job_id).with_context(|| {
        format!(
            "cannot read the pinned requests in {}",
            input.state.display()
        )
    })?;
    let cancelled = cancels::cancelled_tracking_numbers(&connection, input.job_id)
        .with_context(|| format!("cannot read the cancels in {}", input.state.display()))?;
    let mut cursor = RowCursor::new(&connection, input.job_id);

    let in_doubt_path = input
        .output_dir
        .join(format!("{}.in-doubt.csv", input.job_name));
    let mut in_doubt = csv::Writer::from_writer(AtomicFile::create(&in_doubt_path)?);
    in_doubt.write_record(IN_DOUBT_COLUMNS)?;

    let mut totals = LabelTotals::default();
    let mut postage = Decimal::ZERO;
    let mut pdfs: Vec<PathBuf> = Vec::new();
    while let Some(record) = reader.next_record() {
        let record = record?;
        let Some(stored) = cursor.get(record.row)? else {
            continue;
        };
        let pin = pinned.get(&(record.row, stored.content_hash.to_vec()));
        let outcome = stored
            .result
            .as_deref()
            .and_then(|result| serde_json::from_str::<RowOutcome>(result).ok());
        let status = outcome.as_ref().map(|outcome| outcome.status);

        if status == Some(RowStatus::Ok) {
            let outcome = outcome.as_ref().expect("a status comes from an outcome");
            totals.labels_bought += 1;
            if pin.is_some_and(|pin| pin.attempts > 1) {
                totals.labels_reused += 1;
            }
            let tracking_number = outcome.values.first().map(String::as_str);
            let marked = outcome
                .values
                .get(CANCEL_STATUS_COLUMN)
                .is_some_and(|status| !status.is_empty());
            if marked || tracking_number.is_some_and(|number| cancelled.contains(number)) {
                totals.labels_cancelled += 1;
                continue;
            }
            if let Some(amount) = outcome
                .values
                .get(POSTAGE_COLUMN)
                .and_then(|text| text.parse::<Decimal>().ok())
            {
                postage += amount;
            }
            let file = outcome
                .values
                .get(LABEL_FILE_COLUMN)
                .cloned()
                .unwrap_or_default();
            // A response without a label image leaves the file column empty.
            if file.is_empty() {
                continue;
            }
            let path = input.output_dir.join(&file);
            if !path.is_file() {
                totals.missing_label_files.push(file);
                continue;
            }
            if file.to_ascii_lowercase().ends_with(".pdf") {
                pdfs.push(path);
            }
            continue;
        }

        // Sent at least once and not confirmed either way: the request may have been charged.
        let attempted = pin.is_some_and(|pin| pin.attempts > 0);
        let doubtful =
            status == Some(RowStatus::InDoubt) || (attempted && stored.state == RowState::InFlight);
        if !doubtful {
            continue;
        }
        totals.labels_in_doubt += 1;
        let id = columns
            .value("id", &record)
            .map(|id| id.to_string())
            .unwrap_or_default();
        let key = pin
            .map(|pin| pin.idempotency_key.clone())
            .or_else(|| {
                outcome
                    .as_ref()
                    .and_then(|outcome| outcome.values.get(KEY_COLUMN).cloned())
            })
            .unwrap_or_default();
        let message = outcome
            .as_ref()
            .and_then(|outcome| outcome.error.as_ref())
            .map(|error| error.message.clone())
            .unwrap_or_else(|| {
                "the run ended while the label request was in flight; rerun to resolve it with the same idempotency key".into()
            });
        let attempts = pin.map(|pin| pin.attempts).unwrap_or(0);
        in_doubt.write_record([
            record.row.to_string(),
            record.line.to_string(),
            neutralize(&id).into_owned(),
            key,
            attempts.to_string(),
            neutralize(&message).into_owned(),
        ])?;
    }
    let file = in_doubt
        .into_inner()
        .map_err(|error| anyhow::anyhow!("cannot write {}: {error}", in_doubt_path.display()))?;
    file.commit()
        .with_context(|| format!("cannot write {}", in_doubt_path.display()))?;

    if let Some(first) = totals.missing_label_files.first() {
        tracing::warn!(
            count = totals.missing_label_files.len(),
            first = %first,
            "label files of bought labels are missing from the output folder; the merged PDF leaves them out"
        );
    }
    remove_stale_temporaries(&input.output_dir.join(LABELS_DIR));
    let merged_path = merged_pdf_path(input.output_dir, input.job_name);
    if pdfs.is_empty() {
        // A stale merge of an earlier run would print labels that are now cancelled.
        let _ = std::fs::remove_file(&merged_path);
    } else {
        merge_pdfs(&pdfs, &merged_path)?;
        totals.merged_pdf = merged_path.display().to_string();
    }
    let mut rounded = postage.round_dp(2);
    rounded.rescale(2);
    totals.total_postage = rounded.to_string();
    totals.in_doubt_report = in_doubt_path.display().to_string();
    Ok(totals)
}

/// Returns the path of the merged print file of job `job_name`. It is named after the job, as
/// the other outputs are, so that label jobs sharing an output folder keep their own.
pub fn merged_pdf_path(output_dir: &Path, job_name: &str) -> PathBuf {
    output_dir.join(format!("{job_name}.labels.pdf"))
}

/// Age after which a temporary file in the labels folder counts as left by a killed run. A
/// writer creates, fills and renames its temporary in one step of a few kilobytes, so a
/// temporary this old has no live writer.
const STALE_TEMPORARY_AGE: Duration = Duration::from_secs(3600);

/// Removes the temporary files that killed runs left in the labels folder. The job's lock
/// keeps other runs of this job out, but another label job with the same output folder may
/// be writing its labels there, so only temporaries older than [`STALE_TEMPORARY_AGE`] go.
fn remove_stale_temporaries(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let now = SystemTime::now();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with('.') || !name.ends_with(".tmp") {
            continue;
        }
        let age = entry
            .metadata()
            .and_then(|metadata| metadata.modified())
            .ok()
            .and_then(|modified| now.duration_since(modified).ok());
        if age.is_some_and(|age| age >= STALE_TEMPORARY_AGE) {
            if let Err(error) = std::fs::remove_file(entry.path()) {
                tracing::warn!(file = %entry.path().display(), %error, "cannot remove a stale temporary label file");
            }
        }
    }
}

/// Merges the PDFs at `paths` into one document at `target`, their pages in order.
pub fn merge_pdfs(paths: &[PathBuf], target: &Path) -> anyhow::Result<()> {
    let mut merged = Document::with_version("1.5");
    let mut max_id = 1;
    let mut kids: Vec<ObjectId> = Vec::new();
    let mut objects: HashMap<ObjectId, Object> = HashMap::new();

    for path in paths {
        let mut document = Document::load(path)
            .with_context(|| format!("cannot read label {}", path.display()))?;
        // Pages may inherit their size and resources from the page tree, which the merge
        // replaces, so each page gets its own copy first.
        for page_id in document.get_pages().into_values() {
            let page = own_page_attributes(&document, page_id)
                .with_context(|| format!("label {} has an unusable page", path.display()))?;
            document.objects.insert(page_id, Object::Dictionary(page));
        }
        document.renumber_objects_with(max_id);
        max_id = document.max_id + 1;
        kids.extend(document.get_pages().into_values());
        for (id, object) in document.objects {
            let skip = matches!(
                object.as_dict().ok().and_then(|dict| dict.get(b"Type").ok()),
                Some(Object::Name(name)) if name == b"Catalog" || name == b"Pages"
            );
            if !skip {
                objects.insert(id, object);
            }
        }
    }

    merged.max_id = max_id;
    let pages_id = merged.new_object_id();
    for id in &kids {
        if let Some(Object::Dictionary(page)) = objects.get_mut(id) {
            page.set("Parent", pages_id);
        }
    }
    merged.objects.extend(objects);
    let count = kids.len() as i64;
    merged.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => kids.into_iter().map(Object::Reference).collect::<Vec<_>>(),
            "Count" => count,
        }),
    );
    let catalog_id = merged.add_object(dictionary! {
        "Type" => "Catalog",
        "Pages" => pages_id,
    });
    merged.trailer.set("Root", catalog_id);

    let mut bytes = Vec::new();
    merged
        .save_to(&mut bytes)
        .with_context(|| format!("cannot build {}", target.display()))?;
    write_atomic(target, &bytes).with_context(|| format!("cannot write {}", target.display()))?;
    Ok(())
}

/// Returns the page's dictionary with `MediaBox`, `Resources` and `Rotate` copied from the page
/// tree when the page inherits them.
fn own_page_attributes(document: &Document, page_id: ObjectId) -> lopdf::Result<lopdf::Dictionary> {
    let mut page = document.get_dictionary(page_id)?.clone();
    for key in [b"MediaBox".as_slice(), b"Resources", b"Rotate", b"CropBox"] {
        if page.has(key) {
            continue;
        }
        let mut parent = page.get(b"Parent").and_then(Object::as_reference).ok();
        // The depth limit guards against a cycle in a malformed page tree.
        for _ in 0..32 {
            let Some(id) = parent else { break };
            let node = document.get_dictionary(id)?;
            if let Ok(value) = node.get(key) {
                page.set(key.to_vec(), value.clone());
                break;
            }
            parent = node.get(b"Parent").and_then(Object::as_reference).ok();
        }
    }
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::Overrides;
    use crate::kinds::RowError;
    use crate::state::{pins, rows, RowKey, Store, StoredRow};

    const JOB: &str = r#"
name = "labels"
kind = "labels"
input = "orders.csv"
output_dir = "out"
state = "state.sqlite"
[units]
weight = "oz"
dimensions = "in"
[label.sender]
street_address = "4120 Bingham Ave"
city = "Saint Louis"
state = "MO"
zip_code = "63116"
[payment]
crid = "56982563"
mid = "904128936"
account_number = "1000012345"
"#;

    const ORDERS: &str =
        "order_id,shipping_address1,shipping_city,shipping_province,shipping_zip,weight\n\
        A,1 Main St,Washington,DC,20500,8\n\
        B,2 Main St,Washington,DC,20500,8\n\
        C,3 Main St,Washington,DC,20500,8\n\
        D,4 Main St,Washington,DC,20500,8\n";

    fn stored(key: RowKey, state: RowState, outcome: Option<RowOutcome>) -> StoredRow {
        StoredRow {
            row: key.row,
            content_hash: key.content_hash,
            state,
            retryable: true,
            result: outcome.map(|outcome| serde_json::to_string(&outcome).unwrap()),
            updated_at: 0,
        }
    }

    #[test]
    fn only_old_temporaries_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join(".A-9205.pdf.111.tmp");
        let fresh = dir.path().join(".B-9206.pdf.222.tmp");
        let label = dir.path().join("C-9207.pdf");
        for path in [&old, &fresh, &label] {
            std::fs::write(path, b"%PDF").unwrap();
        }
        let two_hours_ago = SystemTime::now() - Duration::from_secs(7200);
        std::fs::File::options()
            .write(true)
            .open(&old)
            .unwrap()
            .set_modified(two_hours_ago)
            .unwrap();

        remove_stale_temporaries(dir.path());

        assert!(!old.exists(), "a temporary of a killed run is removed");
        assert!(fresh.exists(), "a temporary being written is kept");
        assert!(label.exists(), "a label file is kept");
    }

    #[tokio::test]
    async fn in_doubt_report_lists_unconfirmed_rows() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("orders.csv"), ORDERS).unwrap();
        std::fs::write(dir.path().join("job.toml"), JOB).unwrap();
        let config = JobConfig::load(&dir.path().join("job.toml"), &Overrides::default()).unwrap();
        std::fs::create_dir_all(&config.output_dir).unwrap();
        let mut reader =
            ManifestReader::open(&config.input, config.format, config.encoding).unwrap();
        let mut keys = Vec::new();
        while let Some(record) = reader.next_record() {
            let record = record.unwrap();
            keys.push(RowKey {
                row: record.row,
                content_hash: record.content_hash,
            });
        }

        // A bought label, a row that failed after its request, a row killed in flight, and a
        // row pinned but never sent.
        let mut bought = RowOutcome::success(RowStatus::Ok, vec![String::new(); 8]);
        bought.values[0] = "9205500000000000000017".into();
        bought.values[POSTAGE_COLUMN] = "7.10".into();
        bought.values[LABEL_FILE_COLUMN] = "labels/A-9205500000000000000017.png".into();
        let doubtful = RowOutcome::failure(
            RowStatus::Error,
            RowError {
                code: "upstream_5xx".into(),
                usps_code: None,
                field: None,
                message: "HTTP 503".into(),
                retryable: true,
                http_status: Some(503),
                raw: None,
            },
        )
        .into_in_doubt("k2");
        let store = Store::open(&config.state).unwrap();
        let checkpoints = vec![
            stored(keys[0], RowState::Done, Some(bought)),
            stored(keys[1], RowState::Failed, Some(doubtful)),
            stored(keys[2], RowState::InFlight, None),
            stored(keys[3], RowState::Pending, None),
        ];
        let job_id = crate::scheduler::run::job_id(&config);
        let id = job_id.clone();
        store
            .call(move |connection| {
                for (index, key) in keys.iter().enumerate() {
                    let body = format!("{{\"row\":{index}}}");
                    let identity = pins::PinIdentity {
                        scope: "labels",
                        occurrence: 1,
                    };
                    let number = format!("k{}", index + 1);
                    pins::pin(connection, &id, *key, identity, &number, &body, 0)?;
                }
                pins::count_attempt(connection, &id, &[keys[0], keys[1], keys[1], keys[2]])?;
                rows::upsert_rows(connection, &id, &checkpoints, 0)
            })
            .await
            .unwrap();

        let totals = write_label_outputs(&config, &job_id).unwrap();

        assert_eq!(totals.labels_bought, 1);
        assert_eq!(totals.labels_in_doubt, 2);
        assert_eq!(totals.labels_reused, 0);
        assert_eq!(totals.total_postage, "7.10");
        assert_eq!(totals.merged_pdf, "");
        let mut report =
            csv::Reader::from_path(config.output_dir.join("labels.in-doubt.csv")).unwrap();
        let lines: Vec<Vec<String>> = report
            .records()
            .map(|record| record.unwrap().iter().map(str::to_string).collect())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0][..5], ["2", "3", "B", "k2", "2"]);
        assert!(
            lines[0][5].contains("rerun to resolve it"),
            "{:?}",
            lines[0]
        );
        assert_eq!(lines[1][..5], ["3", "4", "C", "k3", "1"]);
        assert!(lines[1][5].contains("in flight"), "{:?}", lines[1]);
    }
}
