//! How wine-probe reports failure: one JSON line on stderr and a documented exit status.

use serde_json::json;

/// Exit status when a `wait` times out or a registry key or value is missing.
pub const EXIT_NOT_REACHED: i32 = 1;
/// Exit status for a usage error, or when not running on Windows.
pub const EXIT_USAGE: i32 = 2;
/// Exit status when a Win32 call fails.
pub const EXIT_WIN32: i32 = 3;
/// Exit status of `console-run` when the child exited before it was ready (its exit code is in
/// the stdout line).
pub const EXIT_CHILD_EXITED: i32 = 4;

/// A failed probe command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// What failed, e.g. `OpenServiceW(foo)`.
    pub message: String,
    /// The Win32 error code, when a Win32 call failed.
    pub win32_error: Option<u32>,
    /// The process exit status to use.
    pub exit_code: i32,
}

impl Failure {
    /// A failed Win32 call; `EXIT_NOT_REACHED` for "not found" codes of the registry.
    pub fn win32(what: impl Into<String>, code: u32) -> Self {
        Failure {
            message: what.into(),
            win32_error: Some(code),
            exit_code: EXIT_WIN32,
        }
    }

    /// A failure that is an expected negative answer (timeout, missing key).
    pub fn not_reached(what: impl Into<String>, code: Option<u32>) -> Self {
        Failure {
            message: what.into(),
            win32_error: code,
            exit_code: EXIT_NOT_REACHED,
        }
    }

    /// The single stderr line: `{"error":..,"win32_error":..,"detail":..}`.
    pub fn to_line(&self) -> String {
        let detail = self
            .win32_error
            .map(|c| std::io::Error::from_raw_os_error(c as i32).to_string());
        json!({
            "error": self.message,
            "win32_error": self.win32_error,
            "detail": detail,
        })
        .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_carries_code() {
        let line = Failure::win32("OpenServiceW(x)", 1060).to_line();
        assert!(line.contains("\"win32_error\":1060"), "{line}");
    }
}
