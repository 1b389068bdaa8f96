//! Clean-up of free text before it is sent to USPS: ASCII only, one line, single spaces.
//!
//! USPS matches and prints ASCII; other characters are rejected or printed as `?` on labels.
//! Letters are transliterated with deunicode (`Ñ` to `N`, `ß` to `ss`), vulgar fractions are
//! spelled out (`123½` to `123 1/2`) so that the house number keeps its fraction, and emoji
//! and other symbols are dropped. The record keeps the original text for the output.

/// Result of [`clean_text`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cleaned {
    pub text: String,
    /// Descriptions of the changes, for a note; empty when only spaces changed.
    pub changes: Vec<&'static str>,
}

/// Fractions that a house number may carry, as USPS writes them.
const FRACTIONS: &[(char, &str)] = &[
    ('½', "1/2"),
    ('⅓', "1/3"),
    ('⅔', "2/3"),
    ('¼', "1/4"),
    ('¾', "3/4"),
    ('⅕', "1/5"),
    ('⅖', "2/5"),
    ('⅗', "3/5"),
    ('⅘', "4/5"),
    ('⅙', "1/6"),
    ('⅚', "5/6"),
    ('⅛', "1/8"),
    ('⅜', "3/8"),
    ('⅝', "5/8"),
    ('⅞', "7/8"),
];

/// Converts `raw` to the ASCII text sent to USPS and lists what changed.
pub(crate) fn clean_text(raw: &str) -> Cleaned {
    let mut joined_lines = false;
    let mut spelled_fractions = false;
    let mut transliterated = false;
    let mut removed = false;
    let mut text = String::with_capacity(raw.len());

    for c in raw.chars() {
        if matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}') {
            joined_lines = true;
            text.push(' ');
        } else if c.is_ascii() {
            if c.is_ascii_control() {
                // Tabs and other control bytes are never part of an address.
                text.push(' ');
            } else {
                text.push(c);
            }
        } else if let Some((_, spelled)) = FRACTIONS.iter().find(|(f, _)| *f == c) {
            spelled_fractions = true;
            text.push(' ');
            text.push_str(spelled);
        } else if c.is_whitespace() {
            text.push(' ');
        } else {
            match transliterate(c) {
                Some(ascii) => {
                    transliterated = true;
                    text.push_str(ascii);
                }
                None => removed = true,
            }
        }
    }

    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut changes = Vec::new();
    if joined_lines {
        changes.push("joined lines");
    }
    if spelled_fractions {
        changes.push("spelled out fractions");
    }
    if transliterated {
        changes.push("transliterated to ASCII");
    }
    if removed {
        changes.push("removed symbols");
    }
    Cleaned { text, changes }
}

/// ASCII for one non-ASCII character, or `None` when it should be dropped. Letters and
/// digits always transliterate. Punctuation keeps its ASCII form (`’` to `'`, `—` to `--`),
/// but a symbol whose form is a word (`©` to `(c)`, an emoji to its name) is dropped, so that
/// no invented words reach the address.
fn transliterate(c: char) -> Option<&'static str> {
    let ascii = deunicode::deunicode_char(c)?;
    if ascii.trim().is_empty() {
        return None;
    }
    if c.is_alphanumeric() || !ascii.bytes().any(|byte| byte.is_ascii_alphabetic()) {
        Some(ascii)
    } else {
        None
    }
}

/// Writes `text` on one line for a note, showing line breaks as `\n`.
pub(crate) fn one_line(text: &str) -> String {
    text.replace("\r\n", "\\n").replace(['\n', '\r'], "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_text_transliterates_letters() {
        let cleaned = clean_text("123 CALLE PEÑA");
        assert_eq!(cleaned.text, "123 CALLE PENA");
        assert_eq!(cleaned.changes, ["transliterated to ASCII"]);
        assert_eq!(clean_text("MAYAGÜEZ").text, "MAYAGUEZ");
        assert_eq!(clean_text("Zoë Straße").text, "Zoe Strasse");
    }

    #[test]
    fn clean_text_spells_out_half() {
        let cleaned = clean_text("123½ MAIN ST");
        assert_eq!(cleaned.text, "123 1/2 MAIN ST");
        assert_eq!(cleaned.changes, ["spelled out fractions"]);
        assert_eq!(clean_text("208 ¼ W ELM").text, "208 1/4 W ELM");
    }

    #[test]
    fn clean_text_keeps_ascii_fraction() {
        let cleaned = clean_text("123 1/2 MAIN ST APT 4B");
        assert_eq!(cleaned.text, "123 1/2 MAIN ST APT 4B");
        assert!(cleaned.changes.is_empty());
    }

    #[test]
    fn clean_text_drops_emoji_and_symbols() {
        let cleaned = clean_text("742 EVERGREEN TER 🏡");
        assert_eq!(cleaned.text, "742 EVERGREEN TER");
        assert_eq!(cleaned.changes, ["removed symbols"]);
        assert_eq!(clean_text("ACME© 👨‍👩‍👧 INC").text, "ACME INC");
    }

    #[test]
    fn clean_text_keeps_punctuation() {
        assert_eq!(clean_text("O’BRIEN — REAR").text, "O'BRIEN -- REAR");
    }

    #[test]
    fn clean_text_joins_lines() {
        let cleaned = clean_text("123 MAIN ST\r\nAPT 4B");
        assert_eq!(cleaned.text, "123 MAIN ST APT 4B");
        assert_eq!(cleaned.changes, ["joined lines"]);
    }

    #[test]
    fn clean_text_spaces_are_not_changes() {
        let cleaned = clean_text("  1400  ELM\u{A0}ST\t# 326 ");
        assert_eq!(cleaned.text, "1400 ELM ST # 326");
        assert!(cleaned.changes.is_empty());
    }

    #[test]
    fn clean_text_reserved_characters_untouched() {
        assert_eq!(clean_text("4TH & WALNUT ST").text, "4TH & WALNUT ST");
        assert_eq!(clean_text("1400 ELM ST # 326").text, "1400 ELM ST # 326");
    }
}
