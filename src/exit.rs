//! Exit codes of the `usps-batch` command, one value per outcome that a script may act on.

/// How a command ended. The numbers are part of the interface: cron wrappers test for 75.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Every row succeeded.
    Success = 0,
    /// Configuration, manifest, credentials or state file problem; nothing more can be done
    /// until a person fixes it.
    Fatal = 1,
    /// The command line was invalid (clap's own exit code).
    Usage = 2,
    /// The job finished and some rows are in the error report.
    RowErrors = 3,
    /// The run stopped early but can resume: the quota ran out or the API went away. The value
    /// is `EX_TEMPFAIL` from sysexits.h, which schedulers read as "try again later".
    Resumable = 75,
}

impl Exit {
    pub fn code(self) -> i32 {
        self as i32
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> Self {
        std::process::ExitCode::from(exit as u8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_documentation() {
        assert_eq!(Exit::Success.code(), 0);
        assert_eq!(Exit::Fatal.code(), 1);
        assert_eq!(Exit::Usage.code(), 2);
        assert_eq!(Exit::RowErrors.code(), 3);
        assert_eq!(Exit::Resumable.code(), 75);
    }
}
