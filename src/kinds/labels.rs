//! Kind `labels`: buys one domestic label per row with `POST /labels/v3/label`, writes the
//! label image to `labels/` in the output folder, and reports tracking number and postage.
//!
//! Labels cost money, so the kind is exactly-once: the dispatcher pins each row's body and a
//! random idempotency key in the state file before the first attempt (see
//! `src/state/pins.rs`), and the kind only reads the key back from the request.

use std::collections::BTreeMap;
use std::path::PathBuf;

pub use super::label_fields::LABEL_FIELDS;

use super::domestic_price::money;
use super::label_address::label_address;
use super::label_nesting::{check_request_keys, flatten_nested, NestingRules};
use super::{Kind, Prepared, RowError, RowOutcome, RowStatus};
use crate::checks::{self, LabelPackage, RowIssue, Units};
use crate::client::{Answer, ApiRequest, Method, LABELS_API};
use crate::job::{JobConfig, JobKind, LabelSettings};
use crate::manifest::{ColumnMap, FieldSpec, Record};
use crate::output::file_names::{safe_file_stem, write_atomic};
use crate::scheduler::Stop;
use crate::usps::addresses::AddressQuery;
use crate::usps::error::parse_error;
use crate::usps::labels::{
    parse_label_response, ImageInfo, LabelAddress, LabelFile, LabelRequest, PackageDescription,
    IDEMPOTENCY_KEY_HEADER,
};
use crate::usps::paths;
use crate::usps::payments::ACCOUNT_CODES;

/// Folder of the label files inside the output folder.
pub const LABELS_DIR: &str = "labels";

/// Result columns, in output order.
pub const COLUMNS: &[&str] = &[
    "usps_tracking_number",
    "usps_postage",
    "usps_sku",
    "usps_zone",
    "usps_commitment",
    "usps_mailing_date",
    "usps_label_file",
    "usps_idempotency_key",
    "usps_cancel_status",
];

/// Index of `usps_postage` in [`COLUMNS`].
pub const POSTAGE_COLUMN: usize = 1;
/// Index of `usps_label_file` in [`COLUMNS`].
pub const LABEL_FILE_COLUMN: usize = 6;
/// Index of `usps_idempotency_key` in [`COLUMNS`].
pub const KEY_COLUMN: usize = 7;
/// Index of `usps_cancel_status` in [`COLUMNS`]: `CANCELED` or `DISPUTED` (a refund request)
/// once `usps-batch cancel` has cancelled the row's label, else empty.
pub const CANCEL_STATUS_COLUMN: usize = 8;

/// Error code of a row that stopped the run because the payer's account cannot pay.
const ACCOUNT_PROBLEM: &str = "account_problem";
/// Labels codes that concern the payment authorization rather than the row: enrolment in
/// USPS Ship and the PAYER role (USPS error inventory, sheet "Domestic Labels Outbound").
const PAYMENT_CODES: &[&str] = &["160302", "160369"];

pub struct LabelsKind {
    settings: LabelSettings,
    units: Units,
    extra_services: Vec<u16>,
    labels_dir: PathBuf,
    /// The job's `[columns]` table, applied again to rows with nested parts.
    explicit_columns: BTreeMap<String, String>,
    /// The manifest, named in messages about nested parts.
    input: PathBuf,
}

impl LabelsKind {
    pub fn new(config: &JobConfig) -> LabelsKind {
        LabelsKind {
            settings: config
                .labels
                .clone()
                .expect("the job file check builds the label settings of label jobs"),
            units: config
                .units
                .expect("the job file check requires [units] for label jobs"),
            extra_services: config.extra_services.clone(),
            labels_dir: config.output_dir.join(LABELS_DIR),
            explicit_columns: config.columns.clone(),
            input: config.input.clone(),
        }
    }

    /// Builds the request of a flat row: one column (or key) per field, read in `units`.
    fn prepare_flat(
        &self,
        record: &Record,
        columns: &ColumnMap,
        units: Units,
    ) -> Result<Prepared, RowIssue> {
        let to_columns = columns.scoped("toAddress.");
        let to_address = checks::prepare_address(record, &to_columns)?;
        let mut notes = to_address.notes;
        let to = label_address(
            to_address.query,
            &to_columns,
            record,
            "toAddress",
            &mut notes,
        )?;
        let from = self.sender(record, columns, &mut notes)?;

        let today = self.today(&from.zip_code);
        let package = checks::prepare_label_package(
            record,
            &columns.scoped("packageDescription."),
            units,
            self.settings.defaults,
            &to.zip_code,
            today,
        )?;
        notes.extend(package.notes);
        let body = LabelRequest {
            image_info: ImageInfo {
                image_type: self.settings.image_type.clone(),
                label_type: self.settings.label_type.clone(),
                receipt_option: Some("NONE".into()),
            },
            to_address: to,
            from_address: from,
            package_description: package_description(&package.query, &self.extra_services),
        };
        let body = serde_json::to_value(&body).expect("a label request serializes to JSON");
        let file_stem = columns
            .value("id", record)
            .and_then(|id| safe_file_stem(&id));
        Ok(Prepared {
            request: ApiRequest {
                api: LABELS_API,
                method: Method::Post,
                path: paths::LABEL,
                path_filled: None,
                query: Vec::new(),
                headers: Vec::new(),
                body: Some(body),
                file_stem,
            },
            notes,
        })
    }

    /// Returns the shipper's date: in the job's time zone, or the sender ZIP Code's.
    fn today(&self, sender_zip: &str) -> jiff::civil::Date {
        let now = jiff::Timestamp::now();
        match &self.settings.time_zone {
            Some(zone) => now.to_zoned(zone.clone()).date(),
            None => checks::today_at(sender_zip, now),
        }
    }

    fn sender(
        &self,
        record: &Record,
        columns: &ColumnMap,
        notes: &mut Vec<String>,
    ) -> Result<LabelAddress, RowIssue> {
        let from_columns = columns.scoped("fromAddress.");
        let has_sender_columns = from_columns.value("streetAddress", record).is_some();
        if !has_sender_columns {
            // A sender part without its street cannot replace [label.sender], and dropping it
            // would print the job's sender on a label the row meant to send from elsewhere.
            let sender_value = from_columns.mapped_columns().find_map(|(field, column)| {
                from_columns
                    .value(field, record)
                    .map(|value| (column.to_string(), value.into_owned()))
            });
            if let Some((column, value)) = sender_value {
                return Err(RowIssue {
                    code: "incomplete_sender",
                    field: Some("fromAddress"),
                    message: format!(
                        "{}, row {}: `{column}` is `{value}` but the sender's streetAddress is empty. Give the sender's streetAddress, city, state and ZIPCode, or leave every sender field empty to use [label.sender], and rerun",
                        self.input.display(),
                        record.row
                    ),
                    column: Some(column),
                    value: Some(value),
                });
            }
        }
        if has_sender_columns {
            let prepared = checks::prepare_address(record, &from_columns)?;
            notes.extend(prepared.notes);
            return label_address(prepared.query, &from_columns, record, "fromAddress", notes);
        }
        self.settings.sender.clone().ok_or_else(|| RowIssue {
            code: "missing_sender",
            field: Some("fromAddress"),
            column: None,
            value: None,
            message: "the row has no sender street and the job file has no [label.sender]; add one of them and rerun".into(),
        })
    }

    /// Writes the label image (and a separate receipt, if any) and returns the label's path
    /// relative to the output folder.
    fn write_files(
        &self,
        stem: Option<&str>,
        tracking_number: &str,
        label: &LabelFile,
        receipt: Option<&LabelFile>,
    ) -> std::io::Result<String> {
        std::fs::create_dir_all(&self.labels_dir)?;
        let safe_tracking = safe_file_stem(tracking_number).unwrap_or_else(|| "label".into());
        let base = match stem {
            Some(stem) => format!("{stem}-{safe_tracking}"),
            None => safe_tracking,
        };
        let name = format!("{base}.{}", label.extension(&self.settings.image_type));
        write_atomic(&self.labels_dir.join(&name), &label.bytes)?;
        if let Some(receipt) = receipt {
            let receipt_name = format!(
                "{base}-receipt.{}",
                receipt.extension(&self.settings.image_type)
            );
            write_atomic(&self.labels_dir.join(receipt_name), &receipt.bytes)?;
        }
        Ok(format!("{LABELS_DIR}/{name}"))
    }

    fn interpret_label(&self, request: &ApiRequest, answer: &Answer, key: &str) -> RowOutcome {
        let parsed = parse_label_response(answer.content_type.as_deref(), answer.body.as_bytes());
        let response = match parsed {
            Ok(response) => response,
            Err(message) => {
                // A 2xx means USPS may have charged: the row is in doubt, and a rerun with the
                // same key returns the label without a new charge.
                tracing::warn!(idempotency_key = %key, error = %message, "label response does not parse");
                let failed = RowOutcome::failure(
                    RowStatus::Error,
                    RowError {
                        code: "invalid_response".into(),
                        usps_code: None,
                        field: None,
                        message: format!(
                            "the label response does not match the USPS spec: {message}"
                        ),
                        retryable: true,
                        http_status: Some(answer.status),
                        raw: None,
                    },
                );
                return in_doubt(failed, key);
            }
        };
        let metadata = &response.metadata;
        let file = match &response.label {
            Some(label) => self.write_files(
                request.file_stem.as_deref(),
                &metadata.tracking_number,
                label,
                response.receipt.as_ref(),
            ),
            None => Ok(String::new()),
        };
        let file = match file {
            Ok(file) => file,
            Err(error) => {
                tracing::error!(tracking = %metadata.tracking_number, %error, "cannot write the label file");
                let failed = RowOutcome::failure(
                    RowStatus::Error,
                    RowError {
                        code: "label_file_not_written".into(),
                        usps_code: None,
                        field: None,
                        message: format!(
                            "label {} was bought but its file could not be written to {}: {error}; free disk space or fix permissions and rerun, which fetches the same label without a new charge",
                            metadata.tracking_number,
                            self.labels_dir.display()
                        ),
                        retryable: true,
                        http_status: Some(answer.status),
                        raw: None,
                    },
                );
                return in_doubt(failed, key);
            }
        };
        let values = vec![
            metadata.tracking_number.clone(),
            money(metadata.postage),
            metadata.sku.clone().unwrap_or_default(),
            metadata.zone.clone().unwrap_or_default(),
            metadata
                .commitment
                .as_ref()
                .and_then(|commitment| commitment.name.clone())
                .unwrap_or_default(),
            metadata.mailing_date.clone().unwrap_or_default(),
            file,
            key.to_string(),
            String::new(),
        ];
        RowOutcome::success(RowStatus::Ok, values)
    }
}

impl Kind for LabelsKind {
    fn job_kind(&self) -> JobKind {
        JobKind::Labels
    }

    fn fields(&self) -> &'static [FieldSpec] {
        LABEL_FIELDS
    }

    fn result_columns(&self) -> &'static [&'static str] {
        COLUMNS
    }

    fn prepare(&self, record: &Record, columns: &ColumnMap) -> Result<Prepared, RowIssue> {
        let rules = NestingRules {
            explicit_columns: &self.explicit_columns,
            input: &self.input,
            units: self.units,
            extra_services: &self.extra_services,
        };
        check_request_keys(record, columns, &rules)?;
        if let Some(nested) = flatten_nested(record, &rules)? {
            // The scan checked the top-level keys only, and a nested part is an object.
            checks::check_json_values(&nested.record, &nested.columns)?;
            let mut prepared = self.prepare_flat(&nested.record, &nested.columns, nested.units)?;
            prepared.notes.extend(nested.notes);
            return Ok(prepared);
        }
        self.prepare_flat(record, columns, self.units)
    }

    fn interpret(&self, request: &ApiRequest, answer: &Answer) -> RowOutcome {
        let key = idempotency_key(request);
        if (200..300).contains(&answer.status) {
            return self.interpret_label(request, answer, key);
        }
        let error = parse_error(answer.status, &answer.body);
        let account_problem = ACCOUNT_CODES.contains(&error.code.as_str())
            || PAYMENT_CODES.contains(&error.code.as_str());
        let (status, code) = if account_problem {
            (RowStatus::Error, ACCOUNT_PROBLEM)
        } else if answer.status == 400 {
            (RowStatus::InvalidInput, "label_rejected")
        } else {
            (RowStatus::Error, "label_failed")
        };
        // An account problem stops the run with its own message; a row error says what to do.
        let message = if account_problem {
            error.message
        } else {
            super::with_next_step(error.message, status)
        };
        let mut outcome = RowOutcome::failure(
            status,
            RowError {
                code: code.into(),
                usps_code: Some(error.code),
                field: super::parameter_of(&answer.body),
                message,
                retryable: account_problem,
                http_status: Some(answer.status),
                raw: Some(answer.body.clone()),
            },
        );
        outcome.values = vec![String::new(); COLUMNS.len()];
        outcome.values[KEY_COLUMN] = key.to_string();
        outcome
    }

    fn exactly_once(&self) -> bool {
        true
    }

    /// With `validate_addresses`, returns the Addresses API lookup of the destination, the
    /// same request (and cache entry) that an address job sends for it.
    fn check_request(&self, request: &ApiRequest) -> Option<ApiRequest> {
        if !self.settings.validate_addresses {
            return None;
        }
        let to = &request.body.as_ref()?["toAddress"];
        let text = |key: &str| to[key].as_str().map(str::to_string);
        let query = AddressQuery {
            firm: text("firm"),
            street_address: text("streetAddress")?,
            secondary_address: text("secondaryAddress"),
            city: text("city"),
            state: text("state")?,
            urbanization: None,
            zip_code: text("ZIPCode"),
            zip_plus4: None,
        };
        Some(super::address::request_for(&query))
    }

    /// Buys the label for a deliverable destination only, with the ZIP Code and ZIP+4 that
    /// USPS returned. `ignoreBadAddress` is never set: a row USPS cannot confirm is reported.
    fn apply_check(
        &self,
        request: &mut ApiRequest,
        check: &ApiRequest,
        answer: &Answer,
    ) -> Option<RowOutcome> {
        let checked = super::address::AddressKind.interpret(check, answer);
        if !checked.status.is_success() {
            let mut outcome = checked;
            outcome.values = vec![String::new(); COLUMNS.len()];
            if let Some(error) = outcome.error.as_mut() {
                error.message = format!(
                    "label not bought: the Addresses API did not confirm the destination ({}); correct the address and rerun",
                    error.message
                );
            }
            return Some(outcome);
        }
        let found = serde_json::from_str::<crate::usps::addresses::AddressResponse>(&answer.body)
            .ok()
            .map(|found| found.address);
        if let (Some(address), Some(body)) = (found, request.body.as_mut()) {
            let to = &mut body["toAddress"];
            if let Some(zip) = address.zip_code.filter(|zip| zip.len() == 5) {
                to["ZIPCode"] = serde_json::Value::String(zip);
            }
            if let Some(plus4) = address.zip_plus4.filter(|plus4| plus4.len() == 4) {
                to["ZIPPlus4"] = serde_json::Value::String(plus4);
            }
        }
        None
    }

    /// Fills an empty mailing date with the shipper's date of today. The dispatcher pins the
    /// result, so a sent row keeps that date on every retry.
    fn complete_request(&self, request: &mut ApiRequest) {
        let Some(body) = request.body.as_mut() else {
            return;
        };
        let sender_zip = body["fromAddress"]["ZIPCode"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let package = &mut body["packageDescription"];
        if package.get("mailingDate").is_none_or(|date| date.is_null()) {
            package["mailingDate"] = serde_json::Value::String(self.today(&sender_zip).to_string());
        }
    }

    fn transient_outcome(&self, request: &ApiRequest, outcome: RowOutcome) -> RowOutcome {
        in_doubt(outcome, idempotency_key(request))
    }

    fn stop_reason(&self, outcome: &RowOutcome) -> Option<Stop> {
        let error = outcome
            .error
            .as_ref()
            .filter(|error| error.code == ACCOUNT_PROBLEM)?;
        Some(Stop::Account {
            message: format!(
                "the payer account cannot pay for labels ({}: {}); fund or fix the account, then rerun: rows not yet bought stay pending with their idempotency keys",
                error.usps_code.as_deref().unwrap_or(""),
                error.message
            ),
        })
    }
}

/// Returns the idempotency key that the dispatcher pinned on the request.
fn idempotency_key(request: &ApiRequest) -> &str {
    request
        .headers
        .iter()
        .find(|(name, _)| *name == IDEMPOTENCY_KEY_HEADER)
        .map(|(_, value)| value.as_str())
        .unwrap_or_default()
}

/// Marks a failed purchase in doubt, with its key in the key column of the output.
fn in_doubt(outcome: RowOutcome, key: &str) -> RowOutcome {
    let mut outcome = outcome.into_in_doubt(key);
    outcome.values = vec![String::new(); COLUMNS.len()];
    outcome.values[KEY_COLUMN] = key.to_string();
    outcome
}

fn package_description(package: &LabelPackage, extra_services: &[u16]) -> PackageDescription {
    PackageDescription {
        weight_uom: "lb".into(),
        weight: package.weight,
        dimensions_uom: "in".into(),
        length: package.length,
        width: package.width,
        height: package.height,
        mail_class: package.mail_class.as_str().into(),
        processing_category: package.processing_category.as_str().into(),
        rate_indicator: package.rate_indicator.as_str().into(),
        destination_entry_facility_type: package.destination_entry_facility_type.as_str().into(),
        mailing_date: package.mailing_date.map(|date| date.to_string()),
        extra_services: extra_services.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::ManifestReader;
    use std::path::Path;

    fn kind_in(dir: &Path) -> LabelsKind {
        let job = "name = \"labels\"\nkind = \"labels\"\ninput = \"orders.csv\"\n\
                   output_dir = \"out\"\n[units]\nweight = \"oz\"\ndimensions = \"in\"\n\
                   [label.sender]\nstreet_address = \"4120 Bingham Ave\"\n\
                   city = \"Saint Louis\"\nstate = \"MO\"\nzip_code = \"63116\"\n\
                   [payment]\ncrid = \"56982563\"\nmid = \"904128936\"\n\
                   account_number = \"1000012345\"\n";
        std::fs::write(dir.join("job.toml"), job).unwrap();
        let config =
            JobConfig::load(&dir.join("job.toml"), &crate::job::Overrides::default()).unwrap();
        LabelsKind::new(&config)
    }

    fn label_request(key: &str) -> ApiRequest {
        ApiRequest {
            api: LABELS_API,
            method: Method::Post,
            path: paths::LABEL,
            path_filled: None,
            query: Vec::new(),
            headers: vec![(IDEMPOTENCY_KEY_HEADER, key.to_string())],
            body: None,
            file_stem: Some("A1".into()),
        }
    }

    #[test]
    fn created_status_and_quoted_boundary_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let kind = kind_in(dir.path());
        let image = crate::usps::labels::encode_base64(b"%PDF-1.4 test label");
        let body = format!(
            "--b 1\r\nContent-Type: application/json\r\nContent-Disposition: form-data; name=\"labelMetadata\"\r\n\r\n\
             {{\"trackingNumber\":\"9205500000000000000017\",\"postage\":7.1,\"SKU\":\"DUXP\",\"zone\":\"04\"}}\r\n\
             --b 1\r\nContent-Type: image/png\r\nContent-Disposition: form-data; name=\"labelImage\"; filename=\"labelImage.png\"\r\n\r\n{image}\r\n\
             --b 1--\r\n"
        );
        let answer = Answer {
            status: 201,
            body,
            content_type: Some("multipart/mixed; boundary=\"b 1\"".into()),
        };
        let outcome = kind.interpret(&label_request("k-1"), &answer);
        assert_eq!(outcome.status, RowStatus::Ok, "{outcome:?}");
        assert_eq!(outcome.values[0], "9205500000000000000017");
        assert_eq!(outcome.values[POSTAGE_COLUMN], "7.10");
        assert_eq!(
            outcome.values[LABEL_FILE_COLUMN],
            "labels/A1-9205500000000000000017.png"
        );
        assert_eq!(outcome.values[KEY_COLUMN], "k-1");
        let written =
            std::fs::read(dir.path().join("out/labels/A1-9205500000000000000017.png")).unwrap();
        assert_eq!(written, b"%PDF-1.4 test label");
    }

    #[test]
    fn partial_sender_columns_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let kind = kind_in(dir.path());
        let manifest = "order_id,shipping_address1,shipping_city,shipping_province,shipping_zip,\
                        weight,length,width,height,from_company,from_street\n\
                        A1,1 Main St,Washington,DC,20500,8,10,8,4,Other Sender,\n";
        let path = dir.path().join("orders.csv");
        std::fs::write(&path, manifest).unwrap();
        let mut reader =
            ManifestReader::open(&path, crate::manifest::Format::Csv, Default::default()).unwrap();
        let columns =
            ColumnMap::resolve(LABEL_FIELDS, &BTreeMap::new(), reader.headers(), &path).unwrap();
        let record = reader.next_record().unwrap().unwrap();

        let issue = kind.prepare(&record, &columns).unwrap_err();

        assert_eq!(issue.code, "incomplete_sender");
        assert_eq!(issue.column.as_deref(), Some("from_company"));
        assert_eq!(issue.value.as_deref(), Some("Other Sender"));
        assert!(
            issue.message.contains("orders.csv, row 1"),
            "{}",
            issue.message
        );
        assert!(
            issue.message.contains("[label.sender]"),
            "{}",
            issue.message
        );
    }

    #[test]
    fn unparsable_success_is_in_doubt() {
        let dir = tempfile::tempdir().unwrap();
        let kind = kind_in(dir.path());
        let answer = Answer {
            status: 200,
            body: "<html>gateway</html>".into(),
            content_type: Some("text/html".into()),
        };
        let outcome = kind.interpret(&label_request("k-2"), &answer);
        assert_eq!(outcome.status, RowStatus::InDoubt);
        assert_eq!(outcome.values[KEY_COLUMN], "k-2");
        let error = outcome.error.unwrap();
        assert!(error.retryable);
        assert!(error.message.contains("k-2"), "{}", error.message);
    }

    #[test]
    fn insufficient_funds_stops_the_run() {
        let dir = tempfile::tempdir().unwrap();
        let kind = kind_in(dir.path());
        let answer = Answer {
            status: 400,
            body: r#"{"apiVersion":"/labels/v3","error":{"code":"400","message":"Bad Request","errors":[{"code":"100007","detail":"insufficient funds"}]}}"#.into(),
            content_type: Some("application/json".into()),
        };
        let outcome = kind.interpret(&label_request("k-3"), &answer);
        assert!(matches!(
            kind.stop_reason(&outcome),
            Some(Stop::Account { .. })
        ));
        let rejected = Answer {
            status: 400,
            body: r#"{"error":{"code":"400","message":"Bad Request","errors":[{"code":"160001","detail":"mailingDate"}]}}"#.into(),
            content_type: None,
        };
        let outcome = kind.interpret(&label_request("k-4"), &rejected);
        assert_eq!(outcome.status, RowStatus::InvalidInput);
        assert!(kind.stop_reason(&outcome).is_none());
    }
}
