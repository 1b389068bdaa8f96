//! Mapping from API fields to manifest columns.
//!
//! A job file's `[columns]` table maps an API field to a column by name; every other field
//! is matched through its aliases (see [`crate::manifest::fields`]). Matching is strict in
//! one way: when two columns could feed the same field, the job stops at load with an error
//! that requests a `[columns]` entry, because picking one silently can send the wrong value on every row.
//! Columns that no field reads, including duplicates and empty names, are allowed and stay
//! in each [`Record`] for the output.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

pub use super::fields::{
    normalize_name, FieldSpec, ADDRESS_FIELDS, CITY_STATE_FIELDS, DOMESTIC_PRICE_FIELDS,
    SHIPPING_OPTIONS_FIELDS, ZIPCODE_FIELDS,
};
use super::{Fields, ManifestError, Record};

/// Mapping from API fields to the manifest columns that feed them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMap {
    mappings: Vec<Mapping>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Mapping {
    field: &'static str,
    column: String,
    /// Position in the headers, 0-based.
    index: usize,
}

impl ColumnMap {
    /// Maps each field of `specs` to a column of `headers`.
    ///
    /// `explicit` is the job file's `[columns]` table, API field name to column name. Field
    /// names match case- and punctuation-insensitively. A column name matches exactly, or
    /// else case- and punctuation-insensitively when only one column does. `street#2` picks
    /// the second of several columns named `street`. `file` only serves error messages.
    pub fn resolve(
        specs: &[FieldSpec],
        explicit: &BTreeMap<String, String>,
        headers: &[String],
        file: &Path,
    ) -> Result<ColumnMap, ManifestError> {
        let mut mappings: Vec<Mapping> = Vec::new();
        let mut keys_by_field: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
        for (key, column) in explicit {
            let spec = find_spec(specs, key).ok_or_else(|| ManifestError::UnknownField {
                path: file.to_path_buf(),
                field: key.clone(),
                valid: specs.iter().map(|spec| spec.field).collect(),
            })?;
            keys_by_field
                .entry(spec.field)
                .or_default()
                .push(key.clone());
            let index = find_explicit_column(spec.field, column, headers, file)?;
            mappings.push(Mapping {
                field: spec.field,
                column: headers[index].clone(),
                index,
            });
        }
        if let Some((field, keys)) = keys_by_field.into_iter().find(|(_, keys)| keys.len() > 1) {
            return Err(ManifestError::RepeatedField {
                path: file.to_path_buf(),
                field,
                keys,
            });
        }

        let claimed: Vec<usize> = mappings.iter().map(|mapping| mapping.index).collect();
        for spec in specs {
            if mappings.iter().any(|mapping| mapping.field == spec.field) {
                continue;
            }
            if let Some(index) = find_alias_column(spec, headers, &claimed, file)? {
                mappings.push(Mapping {
                    field: spec.field,
                    column: headers[index].clone(),
                    index,
                });
            }
        }

        // Keep the order of `specs`, so that callers iterate fields in a stable order.
        mappings.sort_by_key(|mapping| {
            specs
                .iter()
                .position(|spec| spec.field == mapping.field)
                .unwrap_or(usize::MAX)
        });
        Ok(ColumnMap { mappings })
    }

    /// Returns the value of `field` in `record`, trimmed; `None` when the field is not mapped, the
    /// record lacks it, or it is empty after trimming. JSON numbers and booleans come back as
    /// their JSON text (`2134`, `true`), JSON `null` as `None`, and arrays and objects as
    /// compact JSON text so that checks can show them in messages.
    pub fn value<'a>(&self, field: &str, record: &'a Record) -> Option<Cow<'a, str>> {
        let mapping = self.mapping(field)?;
        let value = match &record.fields {
            Fields::Csv(values) => Cow::Borrowed(values.get(mapping.index)?.trim()),
            Fields::Json(map) => match map.get(&mapping.column)? {
                Value::Null => return None,
                Value::String(text) => Cow::Borrowed(text.trim()),
                other => Cow::Owned(other.to_string()),
            },
        };
        (!value.is_empty()).then_some(value)
    }

    /// Name of the column mapped to `field`.
    pub fn column_name(&self, field: &str) -> Option<&str> {
        self.mapping(field).map(|mapping| mapping.column.as_str())
    }

    /// 0-based position in the headers of the column mapped to `field`.
    pub fn column_index(&self, field: &str) -> Option<usize> {
        self.mapping(field).map(|mapping| mapping.index)
    }

    /// Mapped fields and their column names, in the order of the field specs.
    pub fn mapped_columns(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.mappings
            .iter()
            .map(|mapping| (mapping.field, mapping.column.as_str()))
    }

    /// Builds the map of the fields named `prefix` + name, keyed by the name alone, so that
    /// the checks written for `streetAddress` can read `toAddress.streetAddress`.
    pub fn scoped(&self, prefix: &str) -> ColumnMap {
        let mappings = self
            .mappings
            .iter()
            .filter_map(|mapping| {
                let field = mapping.field.strip_prefix(prefix)?;
                Some(Mapping {
                    field,
                    column: mapping.column.clone(),
                    index: mapping.index,
                })
            })
            .collect();
        ColumnMap { mappings }
    }

    fn mapping(&self, field: &str) -> Option<&Mapping> {
        self.mappings.iter().find(|mapping| mapping.field == field)
    }
}

fn find_spec<'a>(specs: &'a [FieldSpec], key: &str) -> Option<&'a FieldSpec> {
    specs.iter().find(|spec| spec.field == key).or_else(|| {
        let expected = normalize_name(key);
        specs
            .iter()
            .find(|spec| normalize_name(spec.field) == expected)
    })
}

/// Finds the column that a `[columns]` entry names.
fn find_explicit_column(
    field: &'static str,
    column: &str,
    headers: &[String],
    file: &Path,
) -> Result<usize, ManifestError> {
    let name = column.trim();
    let unknown = || ManifestError::UnknownColumn {
        path: file.to_path_buf(),
        field,
        column: column.to_owned(),
        headers: headers.to_vec(),
    };
    if name.is_empty() {
        return Err(unknown());
    }

    let exact = positions(headers, |header| header == name);
    if !exact.is_empty() {
        return single_or_duplicate(field, name, &exact, file);
    }

    // `street#2`: the second column named `street`. Checked after the exact match so that a
    // header that itself contains `#` still matches as written.
    if let Some((base, occurrence)) = split_occurrence(name) {
        let same = positions(headers, |header| header == base);
        if same.is_empty() {
            return Err(unknown());
        }
        return match occurrence.checked_sub(1).and_then(|k| same.get(k)) {
            Some(&index) => Ok(index),
            None => Err(ManifestError::ColumnOccurrence {
                path: file.to_path_buf(),
                field,
                column: base.to_owned(),
                occurrence,
                count: same.len(),
            }),
        };
    }

    let expected = normalize_name(name);
    let loose = positions(headers, |header| {
        !expected.is_empty() && normalize_name(header) == expected
    });
    match loose.len() {
        0 => Err(unknown()),
        1 => Ok(loose[0]),
        _ => Err(ambiguous(field, headers, &loose, file)),
    }
}

/// Finds the one column whose name is the field name or one of its aliases, ignoring columns
/// that `[columns]` already assigned.
fn find_alias_column(
    spec: &FieldSpec,
    headers: &[String],
    claimed: &[usize],
    file: &Path,
) -> Result<Option<usize>, ManifestError> {
    let names = alias_names(spec);
    let matches: Vec<usize> = positions(headers, |header| {
        let normalized = normalize_name(header);
        !normalized.is_empty() && names.contains(&normalized)
    })
    .into_iter()
    .filter(|index| !claimed.contains(index))
    .collect();

    match matches.len() {
        0 if spec.required => Err(ManifestError::MissingColumn {
            path: file.to_path_buf(),
            field: spec.field,
            tried: names,
            headers: headers.to_vec(),
        }),
        0 => Ok(None),
        1 => Ok(Some(matches[0])),
        _ if matches.iter().all(|&i| headers[i] == headers[matches[0]]) => {
            single_or_duplicate(spec.field, &headers[matches[0]], &matches, file).map(Some)
        }
        _ => Err(ambiguous(spec.field, headers, &matches, file)),
    }
}

/// Returns the normalized field name and aliases, without repeats, in priority order.
fn alias_names(spec: &FieldSpec) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for name in std::iter::once(spec.field).chain(spec.aliases.iter().copied()) {
        let normalized = normalize_name(name);
        if !names.contains(&normalized) {
            names.push(normalized);
        }
    }
    names
}

fn positions(headers: &[String], matches: impl Fn(&str) -> bool) -> Vec<usize> {
    headers
        .iter()
        .enumerate()
        .filter(|(_, header)| matches(header))
        .map(|(index, _)| index)
        .collect()
}

fn single_or_duplicate(
    field: &'static str,
    name: &str,
    found: &[usize],
    file: &Path,
) -> Result<usize, ManifestError> {
    match found {
        [index] => Ok(*index),
        [first, second, ..] => Err(ManifestError::DuplicateColumn {
            path: file.to_path_buf(),
            name: name.to_owned(),
            first: first + 1,
            second: second + 1,
            field,
        }),
        [] => unreachable!("callers pass at least one position"),
    }
}

fn ambiguous(
    field: &'static str,
    headers: &[String],
    found: &[usize],
    file: &Path,
) -> ManifestError {
    ManifestError::AmbiguousColumn {
        path: file.to_path_buf(),
        field,
        columns: found
            .iter()
            .map(|&index| format!("`{}` (position {})", headers[index], index + 1))
            .collect(),
        example: headers[found[0]].clone(),
    }
}

/// Splits `street#2` into (`street`, 2); `None` unless the part after the last `#` is a
/// number.
fn split_occurrence(name: &str) -> Option<(&str, usize)> {
    let (base, digits) = name.rsplit_once('#')?;
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    Some((base.trim(), digits.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Fields;

    fn headers(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| name.to_string()).collect()
    }

    fn explicit(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(field, column)| (field.to_string(), column.to_string()))
            .collect()
    }

    fn resolve(names: &[&str], pairs: &[(&str, &str)]) -> Result<ColumnMap, ManifestError> {
        ColumnMap::resolve(
            ADDRESS_FIELDS,
            &explicit(pairs),
            &headers(names),
            Path::new("orders.csv"),
        )
    }

    fn record(values: &[&str]) -> Record {
        Record {
            row: 1,
            line: 2,
            byte: 0,
            content_hash: [0; 16],
            fields: Fields::Csv(values.iter().map(|value| value.to_string()).collect()),
            problem: None,
        }
    }

    #[test]
    fn aliases_match_any_spelling() {
        let map = resolve(&["Zipcode", "City", "State", "Street"], &[]).unwrap();
        assert_eq!(map.column_name("ZIPCode"), Some("Zipcode"));
        assert_eq!(map.column_name("streetAddress"), Some("Street"));
        assert_eq!(map.column_name("state"), Some("State"));
        assert_eq!(map.column_name("firm"), None);
    }

    #[test]
    fn mapped_columns_follow_spec_order() {
        let map = resolve(&["zip", "state", "address_line_1", "order id"], &[]).unwrap();
        let fields: Vec<&str> = map.mapped_columns().map(|(field, _)| field).collect();
        assert_eq!(fields, ["streetAddress", "state", "ZIPCode", "id"]);
    }

    #[test]
    fn duplicate_column_names_positions() {
        let error = resolve(&["id", "street", "city", "state", "zip", "street"], &[]);
        let message = error.unwrap_err().to_string();
        assert!(message.contains("duplicate column `street`"), "{message}");
        assert!(message.contains("at positions 2 and 6"), "{message}");
    }

    #[test]
    fn duplicate_column_picked_by_occurrence() {
        let names = ["id", "street", "city", "state", "zip", "street"];
        let map = resolve(&names, &[("streetAddress", "street#2")]).unwrap();
        assert_eq!(map.column_index("streetAddress"), Some(5));
        let row = record(&["1", "742 EVERGREEN TER", "X", "IL", "62704", "APT 2"]);
        assert_eq!(map.value("streetAddress", &row).as_deref(), Some("APT 2"));
    }

    #[test]
    fn occurrence_out_of_range() {
        let names = ["street", "state", "street"];
        let error = resolve(&names, &[("streetAddress", "street#3")]).unwrap_err();
        assert!(matches!(
            error,
            ManifestError::ColumnOccurrence { count: 2, .. }
        ));
    }

    #[test]
    fn unused_duplicates_are_allowed() {
        let map = resolve(&["street", "state", "notes", "notes"], &[]).unwrap();
        assert_eq!(map.column_name("streetAddress"), Some("street"));
    }

    #[test]
    fn two_aliases_are_ambiguous() {
        let error = resolve(&["address", "street", "state"], &[]).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("`address` (position 1)"), "{message}");
        assert!(message.contains("`street` (position 2)"), "{message}");
        assert!(message.contains("streetAddress = \"address\""), "{message}");
    }

    #[test]
    fn explicit_entry_settles_ambiguity() {
        let map = resolve(
            &["address", "street", "state"],
            &[("streetAddress", "street")],
        );
        assert_eq!(map.unwrap().column_name("streetAddress"), Some("street"));
    }

    #[test]
    fn missing_required_column_lists_names() {
        let error = resolve(&["id", "city", "state"], &[]).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("`streetAddress`"), "{message}");
        assert!(message.contains("`address1`"), "{message}");
        assert!(message.contains("found `id`, `city`, `state`"), "{message}");
        assert!(message.contains("[columns]"), "{message}");
    }

    #[test]
    fn explicit_unknown_column_lists_headers() {
        let error = resolve(&["addr", "state"], &[("streetAddress", "Street 1")]).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("`Street 1`"), "{message}");
        assert!(message.contains("`addr`, `state`"), "{message}");
    }

    #[test]
    fn explicit_column_matches_loosely() {
        let map = resolve(&["Street 1", "state"], &[("streetAddress", "street_1")]).unwrap();
        assert_eq!(map.column_name("streetAddress"), Some("Street 1"));
    }

    #[test]
    fn explicit_field_name_is_case_insensitive() {
        let map = resolve(&["line", "state"], &[("streetaddress", "line")]).unwrap();
        assert_eq!(map.column_name("streetAddress"), Some("line"));
    }

    #[test]
    fn unknown_explicit_field_lists_valid() {
        let error = resolve(&["street", "state"], &[("country", "x")]).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("`country`"), "{message}");
        assert!(
            message.contains("streetAddress, secondaryAddress"),
            "{message}"
        );
    }

    #[test]
    fn repeated_explicit_field_rejected() {
        let pairs = [("ZIPCode", "zip"), ("zipcode", "zip")];
        let error = resolve(&["street", "state", "zip"], &pairs).unwrap_err();
        assert!(matches!(
            error,
            ManifestError::RepeatedField {
                field: "ZIPCode",
                ..
            }
        ));
    }

    #[test]
    fn header_with_hash_matches_as_written() {
        let map = resolve(
            &["street", "state", "apt#2"],
            &[("secondaryAddress", "apt#2")],
        );
        assert_eq!(map.unwrap().column_index("secondaryAddress"), Some(2));
    }

    #[test]
    fn empty_header_names_never_match() {
        let map = resolve(&["", "street", "state", ""], &[]).unwrap();
        assert_eq!(map.mapped_columns().count(), 2);
    }

    #[test]
    fn value_trims_and_drops_empty() {
        let map = resolve(&["street", "state", "zip"], &[]).unwrap();
        let row = record(&["  1 MAIN ST ", "IL", "   "]);
        assert_eq!(
            map.value("streetAddress", &row).as_deref(),
            Some("1 MAIN ST")
        );
        assert_eq!(map.value("ZIPCode", &row), None);
        assert_eq!(map.value("city", &row), None);
    }

    #[test]
    fn value_renders_json_numbers_as_text() {
        let map = resolve(&["street", "state", "zip"], &[]).unwrap();
        let object = serde_json::json!({"street": "1 MAIN ST", "state": null, "zip": 2134});
        let mut row = record(&[]);
        row.fields = Fields::Json(object.as_object().unwrap().clone());
        assert_eq!(map.value("ZIPCode", &row).as_deref(), Some("2134"));
        assert_eq!(map.value("state", &row), None);
        assert_eq!(
            map.value("streetAddress", &row).as_deref(),
            Some("1 MAIN ST")
        );
    }
}
