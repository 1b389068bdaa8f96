//! Cancelling the labels of a label job: `DELETE /labels/v3/label/{trackingNumber}` for the
//! selected rows, each result recorded in the state file so that a stopped cancel resumes
//! where it stopped and never cancels a label twice.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context};
use rusqlite::Connection;

use crate::client::{ApiRequest, CallResult, Method, UspsClient, LABELS_API};
use crate::exit::Exit;
use crate::job::{JobConfig, JobKind};
use crate::kinds::labels::{CANCEL_STATUS_COLUMN, COLUMNS};
use crate::kinds::{kind_for, RowOutcome, RowStatus};
use crate::manifest::{ColumnMap, ManifestReader};
use crate::output::atomic::AtomicFile;
use crate::output::csv_safe::neutralize;
use crate::output::labels::{merged_pdf_path, write_label_outputs, LabelTotals};
use crate::output::report::{write_reports, OutputFiles, ReportInput};
use crate::output::summary::Summary;
use crate::scheduler::run::{
    build_client, compare_with_last_run, connect, job_id, lock_job, lock_outputs, StoppedBy,
};
use crate::scheduler::{Counters, Stop};
use crate::state::cancels::{self, CancelRecord};
use crate::state::{now_millis, open_reader, rows, RowCursor, RowState, Store, StoredRow};
use crate::usps::error::parse_error;
use crate::usps::labels::CancelResponse;
use crate::usps::paths;

/// The rows to cancel.
#[derive(Debug, Clone, Default)]
pub struct CancelSelection {
    /// Record numbers (1-based, as in the error report's `row` column).
    pub rows: Option<BTreeSet<u64>>,
    /// A `usps_status` of the enriched output, such as `ok`.
    pub status: Option<String>,
}

/// Result of a cancel run.
#[derive(Debug)]
pub struct CancelReport {
    pub exit: Exit,
    pub message: String,
}

/// A row whose label is to be cancelled.
struct Target {
    row: u64,
    line: u64,
    id: String,
    tracking_number: String,
}

/// Columns of `<job>.cancel.csv`.
pub const CANCEL_COLUMNS: &[&str] = &[
    "row",
    "line",
    "id",
    "tracking_number",
    "status",
    "dispute_id",
    "message",
];

/// Parses a row list such as `3,7,10-12`.
pub fn parse_rows(text: &str) -> Result<BTreeSet<u64>, String> {
    let mut rows = BTreeSet::new();
    for part in text
        .split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
    {
        let bad = || {
            format!(
                "invalid row list entry {part:?}; write row numbers and ranges such as 3,7,10-12"
            )
        };
        match part.split_once('-') {
            Some((first, last)) => {
                let first: u64 = first.trim().parse().map_err(|_| bad())?;
                let last: u64 = last.trim().parse().map_err(|_| bad())?;
                if first == 0 || last < first {
                    return Err(bad());
                }
                rows.extend(first..=last);
            }
            None => {
                let row: u64 = part.parse().map_err(|_| bad())?;
                if row == 0 {
                    return Err(bad());
                }
                rows.insert(row);
            }
        }
    }
    if rows.is_empty() {
        return Err("the row list is empty; write row numbers such as 3,7,10-12".into());
    }
    Ok(rows)
}

/// Cancels the selected labels of a label job.
pub async fn cancel_job(
    config: &JobConfig,
    selection: &CancelSelection,
) -> anyhow::Result<CancelReport> {
    if config.kind != JobKind::Labels {
        bail!(
            "job {:?} is a {} job; cancel applies to label jobs only",
            config.name,
            config.kind.name()
        );
    }
    let connection = connect(config).await?;
    let store = Store::open(&config.state)?;
    let job_id = job_id(config);
    let _job_lock = lock_job(config, &job_id)?;
    std::fs::create_dir_all(&config.output_dir).with_context(|| {
        format!(
            "cannot create output folder {}",
            config.output_dir.display()
        )
    })?;
    // The cancel writes its report beside the run's outputs and rewrites them.
    let _output_lock = lock_outputs(config)?;

    let targets = {
        let config = config.clone();
        let job_id = job_id.clone();
        let selection = selection.clone();
        tokio::task::spawn_blocking(move || select_targets(&config, &job_id, &selection))
            .await
            .context("reading the job's rows failed")??
    };
    tracing::info!(job_id = %job_id, rows = targets.len(), "cancel started");

    let counters = Arc::new(Counters::default());
    let (_, client) = build_client(config, &store, &connection, &job_id, &counters);

    let mut results: Vec<(Target, CancelRecord)> = Vec::new();
    let mut stop = None;
    for target in targets {
        // A recorded cancel is found by the label's tracking number. After a --fresh run over
        // a reordered manifest the row may hold another order's label, and a run of the job
        // on its input under another path has another job id.
        let recorded = {
            let job_id = job_id.clone();
            let tracking_number = target.tracking_number.clone();
            store
                .call(move |connection| cancels::find(connection, &job_id, &tracking_number))
                .await?
        };
        if let Some(record) = recorded.filter(CancelRecord::is_done) {
            let record = CancelRecord {
                row: target.row,
                ..record
            };
            results.push((target, record));
            continue;
        }
        let record = match cancel_one(&client, &target).await {
            Ok(record) => record,
            Err(reason) => {
                stop = Some(reason);
                break;
            }
        };
        if !record.is_done() {
            tracing::warn!(row = target.row, tracking = %target.tracking_number, error = %record.message, "cancel failed");
        }
        let job_id = job_id.clone();
        let stored = record.clone();
        store
            .call(move |connection| cancels::record(connection, &job_id, &stored, now_millis()))
            .await?;
        results.push((target, record));
    }

    let report_path = config
        .output_dir
        .join(format!("{}.cancel.csv", config.name));
    write_cancel_report(&report_path, &results)?;
    {
        let job_id = job_id.clone();
        store
            .call(move |connection| mark_cancelled_rows(connection, &job_id))
            .await?;
    }
    let refreshed = refresh_outputs(config, &store, &job_id).await;
    if let Some(sandbox) = connection.sandbox {
        sandbox.shutdown().await;
    }

    let done = results
        .iter()
        .filter(|(_, record)| record.is_done())
        .count();
    let failed = results.len() - done;
    let mut message = format!(
        "{}: {done} labels cancelled or refund requested, {failed} failed.\n  report: {}",
        config.name,
        report_path.display()
    );
    message.push_str(&refreshed.describe(config));
    let mut exit = match &stop {
        Some(reason) => {
            message.push_str(&format!(
                "\nStopped: {reason}. Run the same command again to continue; recorded cancels are kept."
            ));
            if reason.is_resumable() {
                Exit::Resumable
            } else {
                Exit::Fatal
            }
        }
        None if failed > 0 => Exit::RowErrors,
        None => Exit::Success,
    };
    // A print file that may still contain cancelled labels needs a person.
    if refreshed.labels.is_err() && matches!(exit, Exit::Success | Exit::RowErrors) {
        exit = Exit::Fatal;
    }
    tracing::info!(job_id = %job_id, done, failed, exit_code = exit.code(), "cancel finished");
    Ok(CancelReport { exit, message })
}

/// The job's outputs after a cancel: each group rewritten, or left as it was and why.
struct Refreshed {
    /// The label totals and the merged print file, or why they were not rewritten.
    labels: Result<LabelTotals, String>,
    /// The enriched output, the error report and whether the summary got the new label
    /// totals, or why they were not rewritten.
    reports: Result<(OutputFiles, bool), String>,
}

impl Refreshed {
    /// Builds the part of the closing message about the job's outputs.
    fn describe(&self, config: &JobConfig) -> String {
        let mut text = String::new();
        match &self.reports {
            Ok((files, summary_updated)) => {
                text.push_str(&format!(
                    "\n  output: {}\n  errors: {}",
                    files.output.display(),
                    files.errors.display()
                ));
                if *summary_updated {
                    text.push_str(&format!("\n  summary: {}", files.summary.display()));
                }
            }
            Err(reason) => text.push_str(&format!(
                "\nThe output, error report and summary of job {:?} in {} were not rewritten, so they still show the cancelled labels as bought: {reason}. The cancels are recorded in the state file, and the next run of the job writes them into these files.",
                config.name,
                config.output_dir.display()
            )),
        }
        match &self.labels {
            Ok(totals) => {
                text.push_str(&format!(
                    "\n  labels: {} bought ({} cancelled), total postage ${}",
                    totals.labels_bought, totals.labels_cancelled, totals.total_postage
                ));
                if !totals.merged_pdf.is_empty() {
                    text.push_str(&format!("\n  print: {}", totals.merged_pdf));
                }
                if let Some(missing) = totals.describe_missing() {
                    text.push_str(&format!("\n  {missing}"));
                }
            }
            Err(reason) => text.push_str(&format!(
                "\nThe merged print file {} was not rewritten and may still contain the cancelled labels, so do not print it before a run of the job has rewritten it: {reason}",
                merged_pdf_path(&config.output_dir, &config.name).display()
            )),
        }
        text
    }
}

/// Rewrites the job's outputs from the manifest and the state file, as a run writes them.
/// The merged print file and the label totals are always rewritten, so that the cancelled
/// labels leave the print file at once. The enriched output, the error report and the
/// summary are skipped, with the reason, when the manifest or the job's settings changed
/// since the last run, because the checkpoints would then no longer match the rows.
async fn refresh_outputs(config: &JobConfig, store: &Store, job_id: &str) -> Refreshed {
    let labels = {
        let config = config.clone();
        let job_id = job_id.to_string();
        let written =
            tokio::task::spawn_blocking(move || write_label_outputs(&config, &job_id)).await;
        match written {
            Ok(Ok(totals)) => Ok(totals),
            Ok(Err(error)) => Err(format!("{error:#}")),
            Err(error) => Err(format!("the label output writer failed: {error}")),
        }
    };
    if let Err(reason) = &labels {
        tracing::error!(error = %reason, "cannot rewrite the label outputs after the cancel");
    }
    if let Err(error) = compare_with_last_run(store, config, job_id, false).await {
        return Refreshed {
            labels,
            reports: Err(format!("{error:#}")),
        };
    }

    let totals = labels.as_ref().ok().cloned();
    let config = config.clone();
    let job_id = job_id.to_string();
    let written =
        tokio::task::spawn_blocking(move || rewrite_reports(&config, &job_id, totals)).await;
    let reports = match written {
        Ok(Ok(written)) => Ok(written),
        Ok(Err(error)) => Err(format!("{error:#}")),
        Err(error) => Err(format!("the output writer failed: {error}")),
    };
    if let Err(reason) = &reports {
        tracing::error!(error = %reason, "cannot rewrite the job's outputs after the cancel");
    }
    Refreshed { labels, reports }
}

/// Rewrites the enriched output and the error report, and puts `totals` into the summary of
/// the job's last run when there is one. Returns the files and whether the summary changed.
fn rewrite_reports(
    config: &JobConfig,
    job_id: &str,
    totals: Option<LabelTotals>,
) -> anyhow::Result<(OutputFiles, bool)> {
    let kind = kind_for(config);
    let files = OutputFiles::for_job(&config.output_dir, &config.name, config.format)
        .with_responses(&config.output_dir, &config.name, kind.as_ref());
    let summary = read_summary(&files.summary);
    let stopped_by = summary
        .as_ref()
        .map(StoppedBy::from_summary)
        .unwrap_or(StoppedBy::Other);
    let (deferred_code, deferred_message) = stopped_by.deferred_reason();
    let input = ReportInput {
        input: &config.input,
        format: config.format,
        encoding: config.encoding,
        columns: &config.columns,
        kind: kind.as_ref(),
        state: &config.state,
        job_id,
        files: &files,
        deferred: (deferred_code, &deferred_message),
    };
    write_reports(&input)?;

    let summary_updated = match (summary, totals) {
        (Some(mut summary), Some(totals)) => {
            summary.labels = Some(totals);
            summary
                .write(&files.summary)
                .with_context(|| format!("cannot write {}", files.summary.display()))?;
            true
        }
        _ => false,
    };
    Ok((files, summary_updated))
}

/// Reads the summary of the job's last run, or `None` when there is none or it does not
/// parse, such as one written by another version.
fn read_summary(path: &Path) -> Option<Summary> {
    let text = std::fs::read_to_string(path).ok()?;
    match serde_json::from_str(&text) {
        Ok(summary) => Some(summary),
        Err(error) => {
            tracing::warn!(file = %path.display(), %error, "the summary does not parse; its label totals are not updated");
            None
        }
    }
}

/// Writes the status of each cancel that USPS accepted into the stored outcome of the row
/// whose label it cancelled, where the enriched output shows it as `usps_cancel_status`.
/// Rows are found by tracking number, because a `--fresh` run over a reordered manifest moves
/// a label to another row. Returns how many rows changed.
pub(crate) fn mark_cancelled_rows(
    connection: &Connection,
    job_id: &str,
) -> rusqlite::Result<usize> {
    let accepted = cancels::accepted(connection, job_id)?;
    if accepted.is_empty() {
        return Ok(0);
    }
    let status_by_tracking: HashMap<String, String> = accepted
        .into_iter()
        .map(|record| (record.tracking_number, record.status))
        .collect();
    let mut changed = Vec::new();
    let mut cursor = RowCursor::new(connection, job_id);
    while let Some(stored) = cursor.next_row()? {
        if stored.state != RowState::Done {
            continue;
        }
        let outcome = stored
            .result
            .as_deref()
            .and_then(|result| serde_json::from_str::<RowOutcome>(result).ok());
        let Some(mut outcome) = outcome.filter(|outcome| outcome.status == RowStatus::Ok) else {
            continue;
        };
        let status = outcome
            .values
            .first()
            .and_then(|tracking_number| status_by_tracking.get(tracking_number));
        let Some(status) = status.cloned() else {
            continue;
        };
        if outcome.values.get(CANCEL_STATUS_COLUMN) == Some(&status) {
            continue;
        }
        outcome.values.resize(COLUMNS.len(), String::new());
        outcome.values[CANCEL_STATUS_COLUMN] = status;
        changed.push(StoredRow {
            result: Some(serde_json::to_string(&outcome).expect("outcomes serialize")),
            ..stored
        });
    }
    rows::upsert_rows(connection, job_id, &changed, now_millis())?;
    Ok(changed.len())
}

/// Sends the cancel of one label and returns its result. A stop of the whole command (quota,
/// outage, credentials) comes back as `Err`.
async fn cancel_one(client: &UspsClient, target: &Target) -> Result<CancelRecord, Stop> {
    let request = ApiRequest {
        api: LABELS_API,
        method: Method::Delete,
        path: paths::LABEL_BY_TRACKING,
        path_filled: Some(format!("/labels/v3/label/{}", target.tracking_number)),
        query: Vec::new(),
        headers: Vec::new(),
        body: None,
        file_stem: None,
    };
    // No row keys: a cancel must not move the row's purchase checkpoint.
    let record = |status: &str, dispute_id: Option<String>, message: String| CancelRecord {
        row: target.row,
        tracking_number: target.tracking_number.clone(),
        status: status.to_string(),
        dispute_id,
        message,
    };
    let result = client.call(&request, &[]).await?;
    if matches!(result, CallResult::Answer(_)) {
        client.note_usable_response();
    }
    Ok(match result {
        CallResult::Answer(answer) if (200..300).contains(&answer.status) => {
            match serde_json::from_str::<CancelResponse>(&answer.body) {
                Ok(response) => record(&response.status, response.dispute_id, String::new()),
                Err(error) => record("failed", None, format!("the cancel response does not match the USPS spec: {error}; check the label in the USPS portal before cancelling again")),
            }
        }
        CallResult::Answer(answer) => {
            let error = parse_error(answer.status, &answer.body);
            record("failed", None, format!("HTTP {} ({}): {}", answer.status, error.code, error.message))
        }
        CallResult::Transient { message, .. } => record("failed", None, format!("{message}; rerun the cancel")),
    })
}

/// Reads the manifest and the checkpoints, and returns the bought labels of the selected rows.
fn select_targets(
    config: &JobConfig,
    job_id: &str,
    selection: &CancelSelection,
) -> anyhow::Result<Vec<Target>> {
    if let Some(wanted) = selection.status.as_deref() {
        if !RowStatus::ALL
            .iter()
            .any(|status| status.as_str() == wanted)
        {
            let names: Vec<&str> = RowStatus::ALL
                .iter()
                .map(|status| status.as_str())
                .collect();
            bail!(
                "--status {wanted:?} is not a row status; use one of: {} (`ok` selects every bought label)",
                names.join(", ")
            );
        }
    }
    let kind = kind_for(config);
    let mut reader = ManifestReader::open(&config.input, config.format, config.encoding)?;
    let columns = ColumnMap::resolve(
        kind.fields(),
        &config.columns,
        reader.headers(),
        &config.input,
    )?;
    let connection = open_reader(&config.state)?;
    let mut cursor = RowCursor::new(&connection, job_id);
    let mut targets = Vec::new();
    let mut last_row = 0;
    while let Some(record) = reader.next_record() {
        let record = record?;
        last_row = record.row;
        if selection
            .rows
            .as_ref()
            .is_some_and(|rows| !rows.contains(&record.row))
        {
            continue;
        }
        let outcome = cursor
            .get(record.row)?
            .and_then(|stored| stored.result)
            .and_then(|result| serde_json::from_str::<RowOutcome>(&result).ok());
        let status = outcome
            .as_ref()
            .map_or("deferred", |outcome| outcome.status.as_str());
        if selection
            .status
            .as_deref()
            .is_some_and(|wanted| wanted != status)
        {
            continue;
        }
        let Some(outcome) = outcome.filter(|outcome| outcome.status == RowStatus::Ok) else {
            continue;
        };
        let tracking_number = outcome.values.first().cloned().unwrap_or_default();
        if tracking_number.is_empty() {
            continue;
        }
        targets.push(Target {
            row: record.row,
            line: record.line,
            id: columns
                .value("id", &record)
                .map(|id| id.to_string())
                .unwrap_or_default(),
            tracking_number,
        });
    }
    let beyond: Vec<String> = selection
        .rows
        .iter()
        .flatten()
        .filter(|&&row| row > last_row)
        .map(u64::to_string)
        .collect();
    if !beyond.is_empty() {
        bail!(
            "--rows names rows past the last row of {1} ({last_row}): {0}; rows are record numbers from 1, as in the `row` column of the error report",
            beyond.join(", "),
            config.input.display()
        );
    }
    Ok(targets)
}

fn write_cancel_report(
    path: &std::path::Path,
    results: &[(Target, CancelRecord)],
) -> anyhow::Result<()> {
    let file =
        AtomicFile::create(path).with_context(|| format!("cannot write {}", path.display()))?;
    let mut writer = csv::Writer::from_writer(file);
    writer.write_record(CANCEL_COLUMNS)?;
    for (target, record) in results {
        writer.write_record([
            target.row.to_string(),
            target.line.to_string(),
            neutralize(&target.id).into_owned(),
            record.tracking_number.clone(),
            record.status.clone(),
            record.dispute_id.clone().unwrap_or_default(),
            neutralize(&record.message).into_owned(),
        ])?;
    }
    let file = writer
        .into_inner()
        .map_err(|error| anyhow::anyhow!("cannot write {}: {error}", path.display()))?;
    file.commit()
        .with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary_after(stop: Option<Stop>, quota_free_at: Option<&str>) -> Summary {
        let summary = serde_json::json!({
            "job": "labels", "job_id": "labels-0", "kind": "labels", "run_id": 1,
            "exit_code": 75, "rows": 2, "by_status": {"ok": 1, "deferred": 1},
            "api_calls": 1, "calls_per_row": 1.0, "token_calls": 1, "retries": 0,
            "rate_limited": 0, "cache_hits": 0, "deduplicated": 0, "local_errors": 0,
            "resumed_rows": 0, "remaining_rows": 1, "elapsed_seconds": 0.5,
            "finished_at": "2026-12-03T14:00:00Z",
            "stopped": stop.map(|stop| stop.to_string()),
            "quota_free_at": quota_free_at, "quota": "60/h", "state_file": "state.sqlite",
            "output": "out/labels.csv", "error_report": "out/labels.errors.csv"
        });
        serde_json::from_value(summary).unwrap()
    }

    #[test]
    fn deferred_reason_read_from_summary() {
        let outage = Stop::Outage {
            message: "8 failures in a row".into(),
        };
        let summary = summary_after(Some(outage), None);
        assert_eq!(StoppedBy::from_summary(&summary), StoppedBy::Outage);
        assert_eq!(
            StoppedBy::from_summary(&summary).deferred_reason().0,
            "deferred_outage"
        );

        let free_at = 1_796_313_600_000;
        let quota = Stop::QuotaExhausted {
            next_free_at: free_at,
        };
        let summary = summary_after(Some(quota), Some("2026-12-03T16:00:00Z"));
        assert_eq!(StoppedBy::from_summary(&summary), StoppedBy::Quota(free_at));

        let summary = summary_after(Some(Stop::Interrupted), None);
        assert_eq!(StoppedBy::from_summary(&summary), StoppedBy::Other);
        let summary = summary_after(None, None);
        assert_eq!(StoppedBy::from_summary(&summary), StoppedBy::Other);
    }

    #[test]
    fn row_lists_parse() {
        assert_eq!(
            parse_rows("3,7,10-12").unwrap(),
            BTreeSet::from([3, 7, 10, 11, 12])
        );
        assert_eq!(parse_rows(" 1 , 2 ").unwrap(), BTreeSet::from([1, 2]));
        assert!(parse_rows("0").is_err());
        assert!(parse_rows("5-2").is_err());
        assert!(parse_rows("a").is_err());
        assert!(parse_rows("").is_err());
    }
}
