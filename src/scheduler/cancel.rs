//! Cancelling the labels of a label job: `DELETE /labels/v3/label/{trackingNumber}` for the
//! selected rows, each result recorded in the state file so that a stopped cancel resumes
//! where it stopped and never cancels a label twice.

use std::collections::BTreeSet;
use std::sync::Arc;

use anyhow::{bail, Context};

use crate::client::{ApiRequest, CallResult, Method, UspsClient, LABELS_API};
use crate::exit::Exit;
use crate::job::{JobConfig, JobKind};
use crate::kinds::{kind_for, RowOutcome, RowStatus};
use crate::manifest::{ColumnMap, ManifestReader};
use crate::output::atomic::AtomicFile;
use crate::output::csv_safe::neutralize;
use crate::output::labels::write_label_outputs;
use crate::scheduler::run::{build_client, connect, job_id, lock_job, lock_outputs};
use crate::scheduler::{Counters, Stop};
use crate::state::cancels::{self, CancelRecord};
use crate::state::{now_millis, open_reader, RowCursor, Store};
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
    // The cancel rewrites the merged print file and writes its report beside the run's outputs.
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
        let recorded = {
            let job_id = job_id.clone();
            let row = target.row;
            store
                .call(move |connection| cancels::get(connection, &job_id, row))
                .await?
        };
        if let Some(record) = recorded.filter(CancelRecord::is_done) {
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
    // The print file and the postage total leave out the cancelled labels from now on.
    {
        let config = config.clone();
        let job_id = job_id.clone();
        tokio::task::spawn_blocking(move || write_label_outputs(&config, &job_id))
            .await
            .context("writing the label outputs failed")??;
    }
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
    let exit = match &stop {
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
    tracing::info!(job_id = %job_id, done, failed, exit_code = exit.code(), "cancel finished");
    Ok(CancelReport { exit, message })
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
    while let Some(record) = reader.next_record() {
        let record = record?;
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
