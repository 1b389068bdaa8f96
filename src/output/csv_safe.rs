//! Protection against spreadsheet formula injection in CSV outputs.

use std::borrow::Cow;

/// Prefixes a value with `'` when a spreadsheet would read it as a formula: values that
/// begin with `=`, `+`, `-`, `@`, a tab or a carriage return. The apostrophe makes Excel,
/// LibreOffice and Google Sheets show the text as typed.
pub fn neutralize(value: &str) -> Cow<'_, str> {
    match value.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => Cow::Owned(format!("'{value}")),
        _ => Cow::Borrowed(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_are_neutralized() {
        for value in [
            "=HYPERLINK(\"http://x\")",
            "+1",
            "-call first",
            "@SUM(A1)",
            "\tx",
            "\rx",
        ] {
            let safe = neutralize(value);
            assert!(safe.starts_with('\''), "{value:?}");
            assert_eq!(&safe[1..], value);
        }
    }

    #[test]
    fn plain_values_are_unchanged() {
        for value in [
            "",
            "1600 PENNSYLVANIA AVE NW",
            "20500-0003",
            "a=b",
            "O'Hare",
        ] {
            assert_eq!(neutralize(value), value);
        }
    }
}
