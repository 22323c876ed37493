//! The bench's error type.

use crate::service::ServiceStatus;
use std::path::PathBuf;

/// The Win32 error `ERROR_SERVICE_DOES_NOT_EXIST`.
pub const ERROR_SERVICE_DOES_NOT_EXIST: u32 = 1060;

/// Everything that can go wrong while setting up or driving the Wine bench.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BenchError {
    /// A Wine program is not installed.
    #[error(
        "`{tool}` not found (looked in PATH and /usr/lib/wine); install Wine with `apt-get install -y wine wine64`"
    )]
    WineMissing {
        /// The missing program.
        tool: String,
    },
    /// The mingw C compiler needed for the ProcessPrng shim is not installed.
    #[error(
        "`x86_64-w64-mingw32-gcc` not found; install it with `apt-get install -y gcc-mingw-w64-x86-64`"
    )]
    MingwMissing,
    /// A Windows binary has not been built.
    #[error("{} not found; build it with `{build_command}`", path.display())]
    WindowsExeMissing {
        /// Where the binary was expected.
        path: PathBuf,
        /// The command that builds it.
        build_command: String,
    },
    /// An I/O operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A helper command (wineboot, gcc, cargo, winepath...) failed.
    #[error("`{command}` failed ({status}): {stderr}")]
    CommandFailed {
        /// The command line.
        command: String,
        /// How it ended.
        status: String,
        /// Its standard error, trimmed.
        stderr: String,
    },
    /// A command or wait did not finish before its deadline.
    #[error("timed out: {what}")]
    Timeout {
        /// What was awaited.
        what: String,
        /// The last service status seen, when waiting for a service state.
        last: Option<Box<ServiceStatus>>,
    },
    /// A service does not exist (Win32 error 1060).
    #[error("service {name} does not exist")]
    ServiceNotFound {
        /// The service key name.
        name: String,
    },
    /// A registry key or value does not exist.
    #[error("{what}")]
    RegistryNotFound {
        /// The key or value and the probe's message.
        what: String,
    },
    /// A Win32 call in wine-probe failed.
    #[error("{operation} failed with Win32 error {code}: {detail}")]
    Win32 {
        /// The failing call, e.g. `ControlService(svc, Stop)`.
        operation: String,
        /// The Win32 error code.
        code: u32,
        /// The system's message for the code.
        detail: String,
    },
    /// wine-probe printed something that is not the expected JSON.
    #[error("unexpected wine-probe output for `{command}`: {output:?}: {source}")]
    Parse {
        /// The probe command line.
        command: String,
        /// The offending output.
        output: String,
        /// The JSON error.
        source: serde_json::Error,
    },
    /// The shared bench failed to start earlier in this process.
    #[error("the shared Wine bench failed to start: {0}")]
    SharedStartFailed(String),
}

impl BenchError {
    /// The Win32 error code, when the error carries one (1060 for [`BenchError::ServiceNotFound`]).
    pub fn win32_code(&self) -> Option<u32> {
        match self {
            BenchError::Win32 { code, .. } => Some(*code),
            BenchError::ServiceNotFound { .. } => Some(ERROR_SERVICE_DOES_NOT_EXIST),
            _ => None,
        }
    }

    /// An [`BenchError::Io`] with context.
    pub(crate) fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> BenchError {
        let what = what.into();
        move |source| BenchError::Io { what, source }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_tools_name_the_setup_command() {
        let wine = BenchError::WineMissing {
            tool: "wine64".into(),
        };
        assert!(wine.to_string().contains("apt-get install -y wine wine64"));
        let exe = BenchError::WindowsExeMissing {
            path: "x.exe".into(),
            build_command: crate::BUILD_COMMAND.into(),
        };
        assert!(
            exe.to_string()
                .contains("cargo build --workspace --target x86_64-pc-windows-gnu")
        );
    }
}
