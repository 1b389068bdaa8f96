//! Checks of the credentials in the environment, which never print them.

/// Returns what looks wrong with the value of the variable `name`, as pasted from the USPS
/// developer portal: surrounding quotes, spaces or line breaks. USPS consumer keys and
/// secrets are letters and digits, so any of these makes the token request fail.
pub fn pasting_problems(name: &str, value: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let trimmed = value.trim();
    if trimmed.len() != value.len() {
        problems.push(format!(
            "{name} starts or ends with white space ({} characters with it, {} without)",
            value.chars().count(),
            trimmed.chars().count()
        ));
    }
    let quoted = ['"', '\''].iter().any(|quote| {
        trimmed.len() >= 2 && trimmed.starts_with(*quote) && trimmed.ends_with(*quote)
    });
    if quoted {
        problems.push(format!(
            "{name} is wrapped in quotes, which became part of the value"
        ));
    }
    let inner = trimmed.trim_matches(['"', '\'']);
    if inner.contains(['\n', '\r']) {
        problems.push(format!("{name} contains a line break"));
    } else if inner.contains(char::is_whitespace) {
        problems.push(format!("{name} contains a space"));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_value_has_no_problems() {
        assert!(pasting_problems("USPS_CLIENT_SECRET", "Ab12Cd34").is_empty());
    }

    #[test]
    fn quotes_and_spaces_are_named() {
        let quoted = pasting_problems("USPS_CLIENT_SECRET", "\"Ab12Cd34\"");
        assert_eq!(
            quoted,
            vec!["USPS_CLIENT_SECRET is wrapped in quotes, which became part of the value"]
        );
        let padded = pasting_problems("USPS_CLIENT_ID", " Ab12 ");
        assert_eq!(
            padded,
            vec![
                "USPS_CLIENT_ID starts or ends with white space (6 characters with it, 4 without)"
            ]
        );
        let inner = pasting_problems("USPS_CLIENT_SECRET", "Ab12 Cd34");
        assert_eq!(inner, vec!["USPS_CLIENT_SECRET contains a space"]);
    }

    #[test]
    fn problems_never_contain_the_value() {
        for problem in pasting_problems("USPS_CLIENT_SECRET", "'s3cr3t value'\n") {
            assert!(!problem.contains("s3cr3t"), "{problem}");
        }
    }
}
