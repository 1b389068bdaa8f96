//! The digest of a job's request settings: the parts of the job file that change what is
//! sent or how responses are read, so that finished rows are never kept under other settings.

use sha2::{Digest, Sha256};

/// Top-level keys of a job file that change neither the requests nor the results: where files
/// go, how fast calls are made, the server's URL and the sandbox's behaviour. The environment
/// (sandbox, tem or prod) is part of the digest instead, so that responses from a sandbox never
/// stand for responses from USPS. A move between two servers of one environment (a sandbox
/// restarted on another port, a proxy in front of USPS) keeps the finished rows. `input` and
/// `name` are part of the job id.
const OPERATIONAL_KEYS: &[&str] = &[
    "name",
    "input",
    "output_dir",
    "state",
    "env",
    "base_url",
    "token_url",
    "quota",
    "quota_pool",
    "burst",
    "concurrency",
    "max_wait",
    "cache_ttl",
    "sandbox",
];

/// Returns the digest of the request settings of the job file `text` in the environment named
/// `environment`. Keys are compared as parsed TOML, so comments, key order and spacing do not
/// count.
pub fn settings_digest(text: &str, environment: &str) -> Result<[u8; 16], toml::de::Error> {
    let mut table: toml::Table = toml::from_str(text)?;
    for key in OPERATIONAL_KEYS {
        table.remove(*key);
    }
    let mut hasher = Sha256::new();
    hasher.update(environment.as_bytes());
    hasher.update([0]);
    // `toml::Table` keeps keys sorted, so equal settings serialize to equal text.
    hasher.update(table.to_string().as_bytes());
    let mut digest = [0u8; 16];
    digest.copy_from_slice(&hasher.finalize()[..16]);
    Ok(digest)
}

#[cfg(test)]
mod tests {
    use super::*;

    const JOB: &str =
        "name = \"a\"\nkind = \"address\"\ninput = \"x.csv\"\n[columns]\nzip = \"postal\"\n";

    #[test]
    fn digest_ignores_operational_keys() {
        let faster = format!("{JOB}\n# a comment\n");
        let faster = faster.replace(
            "name = \"a\"",
            "name = \"a\"\nconcurrency = 8\nquota = \"1/s\"",
        );
        assert_eq!(
            settings_digest(JOB, "sandbox").unwrap(),
            settings_digest(&faster, "sandbox").unwrap()
        );
    }

    #[test]
    fn digest_ignores_key_order() {
        let reordered =
            "kind = \"address\"\nname = \"a\"\ninput = \"x.csv\"\n[columns]\nzip = \"postal\"\n";
        assert_eq!(
            settings_digest(JOB, "sandbox").unwrap(),
            settings_digest(reordered, "sandbox").unwrap()
        );
    }

    #[test]
    fn digest_changes_with_mapping() {
        let remapped = JOB.replace("postal", "zip_code");
        assert_ne!(
            settings_digest(JOB, "sandbox").unwrap(),
            settings_digest(&remapped, "sandbox").unwrap()
        );
    }

    #[test]
    fn digest_changes_with_environment() {
        assert_ne!(
            settings_digest(JOB, "sandbox").unwrap(),
            settings_digest(JOB, "prod").unwrap()
        );
    }
}
