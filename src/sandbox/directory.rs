//! The ZIP Code directory behind the sandbox: the US ZIP Code data of the `zipcodes` crate
//! (about 42,800 ZIP Codes with their preferred, acceptable and not-acceptable city names),
//! indexed once on first use.
//!
//! Inactive ZIP Codes are left out, so the sandbox treats them as unknown. City names are
//! compared by a key that ignores case, accents and punctuation and treats `SAINT`/`ST`,
//! `FORT`/`FT`, `MOUNT`/`MT` and spelled-out/abbreviated directionals as equal. A name that is
//! not found may still match by edit distance, which is how misspellings get corrected.

use std::collections::HashMap;
use std::sync::LazyLock;

use zipcodes::Zipcode;

use super::standardize::to_ascii_upper;

/// The indexed directory.
pub(crate) struct Directory {
    by_zip: HashMap<&'static str, &'static Zipcode>,
    /// ZIP Codes by state, then by city key, in ascending order. A ZIP Code is listed under
    /// each of its city names.
    by_place: HashMap<&'static str, HashMap<String, Vec<&'static Zipcode>>>,
}

static DIRECTORY: LazyLock<Directory> = LazyLock::new(Directory::build);

/// Returns the directory, building its index on first use.
pub(crate) fn directory() -> &'static Directory {
    &DIRECTORY
}

impl Directory {
    fn build() -> Directory {
        let mut by_zip = HashMap::new();
        let mut by_place: HashMap<&'static str, HashMap<String, Vec<&'static Zipcode>>> =
            HashMap::new();
        for entry in zipcodes::database().iter().filter(|entry| entry.active) {
            by_zip.insert(entry.zip_code.as_str(), entry);
            let mut keys: Vec<String> = city_names(entry).map(city_key).collect();
            keys.sort();
            keys.dedup();
            let cities = by_place.entry(entry.state.as_str()).or_default();
            for key in keys {
                cities.entry(key).or_default().push(entry);
            }
        }
        for zips in by_place.values_mut().flat_map(HashMap::values_mut) {
            zips.sort_by(|a, b| a.zip_code.cmp(&b.zip_code));
        }
        Directory { by_zip, by_place }
    }

    /// Iterates over the active ZIP Codes, in no particular order.
    pub fn entries(&self) -> impl Iterator<Item = &'static Zipcode> + '_ {
        self.by_zip.values().copied()
    }

    /// Returns the active ZIP Code `zip`, if the directory has it.
    pub fn zip(&self, zip: &str) -> Option<&'static Zipcode> {
        self.by_zip.get(zip).copied()
    }

    /// Returns the ZIP Codes of `city` in `state`, in ascending order, matching the name
    /// exactly by key or else by the one closest key within the allowed edit distance. Returns
    /// `None` when nothing matches or two different names match equally well.
    pub fn find_city(&self, state: &str, city: &str) -> Option<&[&'static Zipcode]> {
        let cities = self.by_place.get(state)?;
        let key = city_key(city);
        if let Some(zips) = cities.get(&key) {
            return Some(zips);
        }
        let closest = closest_key(&key, cities.keys().map(String::as_str))?;
        cities.get(closest).map(Vec::as_slice)
    }

    /// Reports whether `city` names `entry`: one of its names matches by key, or by edit
    /// distance closer than any other of its names.
    pub fn city_fits_zip(&self, city: &str, entry: &'static Zipcode) -> bool {
        let key = city_key(city);
        let keys: Vec<String> = city_names(entry).map(city_key).collect();
        keys.contains(&key) || closest_key(&key, keys.iter().map(String::as_str)).is_some()
    }
}

/// Returns the preferred city name of `entry` in the upper case of USPS responses.
pub(crate) fn preferred_city(entry: &Zipcode) -> String {
    entry.city.to_ascii_uppercase()
}

fn city_names(entry: &'static Zipcode) -> impl Iterator<Item = &'static str> {
    std::iter::once(entry.city.as_str())
        .chain(entry.acceptable_cities.iter().map(String::as_str))
        .chain(entry.unacceptable_cities.iter().map(String::as_str))
}

/// Builds the comparison key of a city name, as described in the module documentation.
pub(crate) fn city_key(name: &str) -> String {
    let upper = to_ascii_upper(name);
    let words = upper
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(|word| match word {
            "SAINT" => "ST",
            "FORT" => "FT",
            "MOUNT" => "MT",
            "NORTH" => "N",
            "SOUTH" => "S",
            "EAST" => "E",
            "WEST" => "W",
            other => other,
        });
    words.collect::<Vec<_>>().join(" ")
}

/// Returns the edit distance allowed for a key of `length` characters: none up to 4 characters, so
/// that `APO` never turns into `FPO`, one up to 8 and two beyond.
fn allowed_typos(length: usize) -> usize {
    match length {
        0..=4 => 0,
        5..=8 => 1,
        _ => 2,
    }
}

/// Returns the candidate closest to `key` within the allowed edit distance, or `None` if no
/// candidate is close enough or two are equally close.
fn closest_key<'a>(key: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let allowed = allowed_typos(key.len());
    if allowed == 0 {
        return None;
    }
    let mut best: Option<(usize, &str)> = None;
    let mut tied = false;
    for candidate in candidates {
        if candidate.len().abs_diff(key.len()) > allowed {
            continue;
        }
        let distance = edit_distance(key, candidate);
        if distance > allowed {
            continue;
        }
        match best {
            Some((best_distance, best_key)) if distance == best_distance => {
                tied |= best_key != candidate;
            }
            Some((best_distance, _)) if distance > best_distance => {}
            _ => {
                best = Some((distance, candidate));
                tied = false;
            }
        }
    }
    if tied {
        return None;
    }
    best.map(|(_, candidate)| candidate)
}

/// Returns the optimal string alignment distance of two ASCII strings: insertions, deletions,
/// substitutions and transpositions of neighbours each cost 1.
fn edit_distance(a: &str, b: &str) -> usize {
    let a = a.as_bytes();
    let b = b.as_bytes();
    let width = b.len() + 1;
    let mut rows = vec![0usize; (a.len() + 1) * width];
    for (j, cell) in rows.iter_mut().take(width).enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        rows[i * width] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut value = (rows[(i - 1) * width + j] + 1)
                .min(rows[i * width + j - 1] + 1)
                .min(rows[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                value = value.min(rows[(i - 2) * width + j - 2] + 1);
            }
            rows[i * width + j] = value;
        }
    }
    rows[a.len() * width + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_has_test_zips() {
        let dir = directory();
        for (zip, city, state) in [
            ("00926", "SAN JUAN", "PR"),
            ("00680", "MAYAGUEZ", "PR"),
            ("09012", "APO", "AE"),
            ("96338", "APO", "AP"),
            ("02134", "ALLSTON", "MA"),
            ("62701", "SPRINGFIELD", "IL"),
            ("62702", "SPRINGFIELD", "IL"),
            ("62703", "SPRINGFIELD", "IL"),
            ("62704", "SPRINGFIELD", "IL"),
            ("20007", "WASHINGTON", "DC"),
        ] {
            let entry = dir.zip(zip).unwrap_or_else(|| panic!("{zip} is missing"));
            assert_eq!(preferred_city(entry), city, "{zip}");
            assert_eq!(entry.state, state, "{zip}");
        }
        assert!(dir.zip("00000").is_none());
    }

    #[test]
    fn find_city_matches_names() {
        let dir = directory();
        let springfield = dir.find_city("IL", "Springfield").unwrap();
        assert!(springfield.iter().any(|entry| entry.zip_code == "62701"));
        assert!(springfield
            .windows(2)
            .all(|pair| pair[0].zip_code < pair[1].zip_code));
        // An acceptable name (Boston for 02134) and a misspelling both match.
        assert!(dir
            .find_city("MA", "Boston")
            .unwrap()
            .iter()
            .any(|entry| entry.zip_code == "02134"));
        assert!(dir.find_city("IL", "Sprinfield").is_some());
        assert!(dir.find_city("PR", "Mayagüez").is_some());
        assert!(dir.find_city("IL", "Atlantis").is_none());
        assert!(dir.find_city("XX", "Springfield").is_none());
    }

    #[test]
    fn short_names_need_exact_match() {
        let dir = directory();
        assert!(dir.find_city("AE", "APO").is_some());
        assert!(dir.find_city("AE", "XPO").is_none());
    }

    #[test]
    fn city_fits_zip_checks_names() {
        let dir = directory();
        let allston = dir.zip("02134").unwrap();
        assert!(dir.city_fits_zip("Boston", allston));
        assert!(dir.city_fits_zip("Alston", allston));
        assert!(!dir.city_fits_zip("Chicago", allston));
    }

    #[test]
    fn city_key_normalizes() {
        assert_eq!(city_key("Saint Louis"), "ST LOUIS");
        assert_eq!(city_key("St. Louis"), "ST LOUIS");
        assert_eq!(city_key("North  Las-Vegas"), "N LAS VEGAS");
        assert_eq!(city_key("Mayagüez"), "MAYAGUEZ");
    }

    #[test]
    fn edit_distance_counts_transpositions() {
        assert_eq!(edit_distance("SPRINGFIELD", "SPRINGFIELD"), 0);
        assert_eq!(edit_distance("SPRINGFIELD", "SPRINFIELD"), 1);
        assert_eq!(edit_distance("SPRINGFIELD", "SPRIGNFIELD"), 1);
        assert_eq!(edit_distance("ABC", ""), 3);
    }
}
