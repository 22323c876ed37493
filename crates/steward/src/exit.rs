//! How a service ends: the documented exit codes, the error type the service's code returns, and
//! the final outcome handed back to `main`.

use std::fmt;
use std::process::{ExitCode, Termination};

/// The exit codes a steward service ends with.
///
/// On Windows a non-zero code is reported to the service manager as
/// `ERROR_SERVICE_SPECIFIC_ERROR` (1066) with this code as the service-specific exit code, so the
/// recovery actions configured for the service fire. On Unix it is the process exit status.
///
/// | code | meaning |
/// |------|---------|
/// | 0    | the service's code returned `Ok` |
/// | 1    | the service's code returned an error without its own code ([`FAILURE`]) |
/// | n    | the service's code returned [`Failure::with_exit_code`]`(n)` |
/// | 101  | the service's code panicked ([`PANICKED`]) |
/// | 124  | a stop was requested and the code did not return within the grace period ([`GRACE_EXPIRED`]) |
/// | 125  | the runtime itself could not run the service ([`RUNTIME_ERROR`]) |
pub mod exit_code {
    /// Clean stop.
    pub const SUCCESS: u32 = 0;
    /// The service's code returned an error that carries no code of its own.
    pub const FAILURE: u32 = 1;
    /// The service's code panicked.
    pub const PANICKED: u32 = 101;
    /// The shutdown grace period ran out before the service's code returned.
    pub const GRACE_EXPIRED: u32 = 124;
    /// The runtime could not run the service (for example the service manager refused to register
    /// its control handler).
    pub const RUNTIME_ERROR: u32 = 125;
}

/// The error a service's code returns: any error, with an optional exit code.
///
/// Every `std::error::Error` converts into it, so `?` works in the service's code.
///
/// # Examples
///
/// ```
/// use steward::Failure;
///
/// fn load() -> Result<(), Failure> {
///     let text = std::fs::read_to_string("/nonexistent/config").map_err(|e| Failure::from(e).with_exit_code(3))?;
///     # let _ = text;
///     Ok(())
/// }
/// assert_eq!(load().unwrap_err().exit_code(), 3);
/// ```
pub struct Failure {
    error: Box<dyn std::error::Error + Send + Sync + 'static>,
    exit_code: u32,
}

impl Failure {
    /// A failure with just a message.
    pub fn msg(message: impl Into<String>) -> Self {
        Failure {
            error: message.into().into(),
            exit_code: exit_code::FAILURE,
        }
    }

    /// Sets the exit code the service ends with. Zero is not a failure and becomes
    /// [`exit_code::FAILURE`].
    pub fn with_exit_code(mut self, code: u32) -> Self {
        self.exit_code = if code == 0 { exit_code::FAILURE } else { code };
        self
    }

    /// The exit code the service ends with.
    pub fn exit_code(&self) -> u32 {
        self.exit_code
    }

    /// The underlying error.
    pub fn error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        &*self.error
    }
}

impl<E: std::error::Error + Send + Sync + 'static> From<E> for Failure {
    fn from(error: E) -> Self {
        Failure {
            error: Box::new(error),
            exit_code: exit_code::FAILURE,
        }
    }
}

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Failure")
            .field("error", &self.error)
            .field("exit_code", &self.exit_code)
            .finish()
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.error)?;
        let mut source = self.error.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

/// How a service run ended. Returned by [`run`](crate::run); return it from `main` so the process
/// exits with the documented code and a one-line cause on stderr when it failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    /// The service's code returned `Ok`.
    Clean,
    /// The service's code returned an error.
    Failed {
        /// The exit code (see [`exit_code`]).
        code: u32,
        /// The error, rendered as one line.
        message: String,
    },
    /// The service's code panicked.
    Panicked {
        /// The panic message, when it was a string.
        message: String,
    },
    /// The grace period ran out during a stop.
    GraceExpired,
    /// The runtime could not run the service.
    RuntimeError {
        /// What went wrong.
        message: String,
    },
}

impl Exit {
    /// The exit code for this outcome (see [`exit_code`]).
    pub fn code(&self) -> u32 {
        match self {
            Exit::Clean => exit_code::SUCCESS,
            Exit::Failed { code, .. } => *code,
            Exit::Panicked { .. } => exit_code::PANICKED,
            Exit::GraceExpired => exit_code::GRACE_EXPIRED,
            Exit::RuntimeError { .. } => exit_code::RUNTIME_ERROR,
        }
    }

    /// Whether the service ended cleanly.
    pub fn is_clean(&self) -> bool {
        matches!(self, Exit::Clean)
    }

    /// The process exit code: the code itself where it fits, otherwise 1 (Unix keeps 8 bits).
    pub fn process_exit_code(&self) -> u8 {
        u8::try_from(self.code()).unwrap_or(1)
    }
}

impl fmt::Display for Exit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Exit::Clean => write!(f, "stopped cleanly"),
            Exit::Failed { code, message } => write!(f, "failed with exit code {code}: {message}"),
            Exit::Panicked { message } => {
                write!(f, "panicked (exit code {}): {message}", exit_code::PANICKED)
            }
            Exit::GraceExpired => write!(
                f,
                "did not stop within its grace period (exit code {})",
                exit_code::GRACE_EXPIRED
            ),
            Exit::RuntimeError { message } => write!(
                f,
                "could not run (exit code {}): {message}",
                exit_code::RUNTIME_ERROR
            ),
        }
    }
}

impl Termination for Exit {
    fn report(self) -> ExitCode {
        if !self.is_clean() {
            eprintln!("error: service {self}");
        }
        ExitCode::from(self.process_exit_code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_from_io_error_defaults_to_code_one() {
        let failure = Failure::from(std::io::Error::other("disk gone"));
        assert_eq!(failure.exit_code(), exit_code::FAILURE);
        assert_eq!(failure.to_string(), "disk gone");
    }

    #[test]
    fn zero_exit_code_is_not_a_success() {
        assert_eq!(Failure::msg("x").with_exit_code(0).exit_code(), 1);
        assert_eq!(Failure::msg("x").with_exit_code(42).exit_code(), 42);
    }

    #[test]
    fn exit_codes_are_the_documented_ones() {
        assert_eq!(Exit::Clean.code(), 0);
        assert_eq!(
            Exit::Panicked {
                message: String::new()
            }
            .code(),
            101
        );
        assert_eq!(Exit::GraceExpired.code(), 124);
        assert_eq!(
            Exit::Failed {
                code: 300,
                message: String::new()
            }
            .process_exit_code(),
            1
        );
    }
}
