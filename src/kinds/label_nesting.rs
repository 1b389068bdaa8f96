//! Label rows of a JSON manifest that nest parts of the Labels request (`toAddress`,
//! `fromAddress`, `packageDescription`) the way the API does. Each row is flattened to dotted
//! keys, and every key inside a part is read as a label field, honoured, or rejected, so that
//! no key the row gives is dropped without a word.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use super::label_fields::LABEL_FIELDS;
use crate::checks::{LengthUnit, RowIssue, Units, WeightUnit};
use crate::manifest::{ColumnMap, Fields, Record};

/// Parts of the Labels request that a JSON manifest may nest as objects. No alias may
/// normalize to one of these names, or the top-level column map would claim the object.
pub(super) const NESTED_PARTS: &[&str] = &["toAddress", "fromAddress", "packageDescription"];

/// Top-level keys of the Labels request that a manifest in the API's own shape may carry and
/// that usps-batch does not send. A row that sets one would buy a label without it.
const UNSENT_REQUEST_KEYS: &[&str] = &["returnAddress", "senderAddress", "packageOptions"];

/// Maximum characters of a value quoted in a message.
const QUOTED_MAX: usize = 80;

/// A row whose nested parts were flattened to dotted keys.
pub(super) struct NestedRow {
    pub record: Record,
    /// The column map over the flattened keys.
    pub columns: ColumnMap,
    /// The job's units, with the row's own `weightUOM` and `dimensionsUOM` applied.
    pub units: Units,
    /// Notes about the keys that the row sets in place of the job's settings.
    pub notes: Vec<String>,
}

/// The job settings that a nested row is read with, and that some of its keys may restate.
pub(super) struct NestingRules<'a> {
    /// The job's `[columns]` table, applied again to the flattened keys.
    pub explicit_columns: &'a BTreeMap<String, String>,
    /// The manifest, named in messages.
    pub input: &'a Path,
    pub units: Units,
    pub extra_services: &'a [u16],
}

/// Rejects a JSON row that sets a top-level key of the Labels request that usps-batch does not
/// send, and checks a top-level `extraServices` against the job's `extra_services`. Keys that
/// the job maps to a label field are read, so they pass.
pub(super) fn check_request_keys(
    record: &Record,
    columns: &ColumnMap,
    rules: &NestingRules,
) -> Result<(), RowIssue> {
    let Fields::Json(map) = &record.fields else {
        return Ok(());
    };
    let keys = UNSENT_REQUEST_KEYS.iter().chain(["extraServices"].iter());
    for &key in keys {
        let Some(value) = map.get(key).filter(|value| !is_empty(value)) else {
            continue;
        };
        if columns.mapped_columns().any(|(_, column)| column == key) {
            continue;
        }
        let unread = UnreadKey {
            key,
            value,
            input: rules.input,
            row: record.row,
        };
        if key == "extraServices" {
            check_extra_services(&unread, rules.extra_services)?;
        } else {
            return Err(unread.issue(
                "unsupported_label_key",
                "is a part of the Labels request that usps-batch does not send, so the label \
                 would be bought without it. Remove the key, or buy this label another way, and \
                 rerun"
                    .to_string(),
            ));
        }
    }
    Ok(())
}

/// Flattens the nested parts of a JSON record to dotted keys (`toAddress.city`), and checks
/// the keys inside them. Returns `None` when the record nests nothing.
pub(super) fn flatten_nested(
    record: &Record,
    rules: &NestingRules,
) -> Result<Option<NestedRow>, RowIssue> {
    let Fields::Json(map) = &record.fields else {
        return Ok(None);
    };
    let nests = NESTED_PARTS
        .iter()
        .any(|part| map.get(*part).is_some_and(Value::is_object));
    if !nests {
        return Ok(None);
    }
    let mut flat = serde_json::Map::new();
    let mut nested_keys: Vec<String> = Vec::new();
    for (key, value) in map {
        match value {
            Value::Object(inner) if NESTED_PARTS.contains(&key.as_str()) => {
                for (name, inner_value) in inner {
                    let dotted = format!("{key}.{name}");
                    nested_keys.push(dotted.clone());
                    flat.insert(dotted, inner_value.clone());
                }
            }
            _ => {
                flat.insert(key.clone(), value.clone());
            }
        }
    }
    let headers: Vec<String> = flat.keys().cloned().collect();
    let columns = ColumnMap::resolve(LABEL_FIELDS, rules.explicit_columns, &headers, rules.input)
        .map_err(|error| RowIssue {
        code: "invalid_nesting",
        field: None,
        column: None,
        value: None,
        message: format!("the row's nested objects do not map to label fields: {error}"),
    })?;

    let mut units = rules.units;
    let mut notes = Vec::new();
    for key in &nested_keys {
        let read = columns.mapped_columns().any(|(_, column)| column == key);
        let value = &flat[key.as_str()];
        if read || is_empty(value) {
            continue;
        }
        let unread = UnreadKey {
            key,
            value,
            input: rules.input,
            row: record.row,
        };
        match key.as_str() {
            "packageDescription.weightUOM" => {
                units.weight = honour_weight_unit(&unread, rules.units, &mut notes)?;
            }
            "packageDescription.dimensionsUOM" => {
                units.dimensions = honour_length_unit(&unread, rules.units, &mut notes)?;
            }
            "packageDescription.extraServices" => {
                check_extra_services(&unread, rules.extra_services)?;
            }
            _ => return Err(unread.not_read()),
        }
    }

    let mut flattened = record.clone();
    flattened.fields = Fields::Json(flat);
    Ok(Some(NestedRow {
        record: flattened,
        columns,
        units,
        notes,
    }))
}

/// A key inside a nested part that no label field reads, with the file and row that
/// messages about it name.
struct UnreadKey<'a> {
    key: &'a str,
    value: &'a Value,
    input: &'a Path,
    row: u64,
}

impl UnreadKey<'_> {
    /// Returns the value as it reads in the manifest, shortened for messages.
    fn quoted(&self) -> String {
        let text = match self.value {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        if text.chars().count() <= QUOTED_MAX {
            return text;
        }
        let mut short: String = text.chars().take(QUOTED_MAX).collect();
        short.push('…');
        short
    }

    /// Builds the issue of this key. `detail` continues the sentence that names the key.
    fn issue(&self, code: &'static str, detail: String) -> RowIssue {
        let part = self.key.split('.').next().unwrap_or(self.key);
        RowIssue {
            code,
            field: NESTED_PARTS.iter().copied().find(|known| *known == part),
            column: Some(self.key.to_string()),
            value: Some(self.quoted()),
            message: format!(
                "{}, row {}: key `{}` = `{}` {detail}",
                self.input.display(),
                self.row,
                self.key,
                self.quoted()
            ),
        }
    }

    /// Builds the issue of a key that the runner does not send, with the keys of its part
    /// that it does send.
    fn not_read(&self) -> RowIssue {
        let part = self.key.split('.').next().unwrap_or(self.key);
        let prefix = format!("{part}.");
        let read: Vec<&str> = LABEL_FIELDS
            .iter()
            .filter_map(|spec| spec.field.strip_prefix(prefix.as_str()))
            .collect();
        self.issue(
            "unsupported_label_key",
            format!(
                "is not read by usps-batch, so the label would be bought without it. In {part} usps-batch reads {}. Remove the key, or buy this label another way, and rerun",
                read.join(", ")
            ),
        )
    }
}

/// Returns whether a value carries nothing to send: `null`, an empty string, array or object.
fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(text) => text.trim().is_empty(),
        Value::Array(items) => items.is_empty(),
        Value::Object(fields) => fields.is_empty(),
        _ => false,
    }
}

/// Reads the row's `weightUOM`. The Labels spec allows `lb` only, and a row that states it
/// has its weight read in pounds whatever the job's `[units] weight` sets.
fn honour_weight_unit(
    unread: &UnreadKey,
    job_units: Units,
    notes: &mut Vec<String>,
) -> Result<WeightUnit, RowIssue> {
    let is_pound = unread
        .value
        .as_str()
        .is_some_and(|text| text.trim().eq_ignore_ascii_case("lb"));
    if !is_pound {
        return Err(unread.issue(
            "invalid_weight_unit",
            "is not a weight unit of the Labels API, which takes `lb` only. Write the weight in pounds with weightUOM `lb`, or remove weightUOM to read the weight in the job's [units] weight unit, and rerun".to_string(),
        ));
    }
    if job_units.weight != WeightUnit::Pound {
        notes.push(format!(
            "key `{}`: weight read in lb, not in the job's [units] weight unit ({})",
            unread.key,
            job_units.weight.name()
        ));
    }
    Ok(WeightUnit::Pound)
}

/// Reads the row's `dimensionsUOM`. The Labels spec allows `in` only, and a row that states
/// it has its dimensions read in inches whatever the job's `[units] dimensions` sets.
fn honour_length_unit(
    unread: &UnreadKey,
    job_units: Units,
    notes: &mut Vec<String>,
) -> Result<LengthUnit, RowIssue> {
    let is_inch = unread
        .value
        .as_str()
        .is_some_and(|text| text.trim().eq_ignore_ascii_case("in"));
    if !is_inch {
        return Err(unread.issue(
            "invalid_dimensions_unit",
            "is not a length unit of the Labels API, which takes `in` only. Write the dimensions in inches with dimensionsUOM `in`, or remove dimensionsUOM to read them in the job's [units] dimensions unit, and rerun".to_string(),
        ));
    }
    if job_units.dimensions != LengthUnit::Inch {
        notes.push(format!(
            "key `{}`: dimensions read in in, not in the job's [units] dimensions unit (cm)",
            unread.key
        ));
    }
    Ok(LengthUnit::Inch)
}

/// Accepts the row's `extraServices` only when they are the job's `extra_services`, which
/// every label of the job is bought with.
fn check_extra_services(unread: &UnreadKey, job_codes: &[u16]) -> Result<(), RowIssue> {
    let codes: Option<Vec<u64>> = unread.value.as_array().and_then(|items| {
        items
            .iter()
            .map(|item| match item {
                Value::Number(number) => number.as_u64(),
                Value::String(text) => text.trim().parse().ok(),
                _ => None,
            })
            .collect()
    });
    let mut job: Vec<u64> = job_codes.iter().map(|&code| u64::from(code)).collect();
    job.sort_unstable();
    job.dedup();
    if let Some(mut codes) = codes {
        codes.sort_unstable();
        codes.dedup();
        if codes == job {
            return Ok(());
        }
    }
    let job_list = job
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    Err(unread.issue(
        "unsupported_extra_services",
        format!(
            "differs from the job's extra_services [{job_list}], which usps-batch buys with every label of the job. Remove the key, or move the row to a job whose extra_services lists these codes, and rerun"
        ),
    ))
}
