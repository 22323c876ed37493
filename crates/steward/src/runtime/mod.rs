//! The platform seam: picks the backend that connects the driver to the service manager.
//!
//! Both backends have the same signature; everything above this module is platform-independent.

use crate::driver::ServiceFn;
use crate::exit::Exit;
use crate::spec::ServiceSpec;

#[cfg(unix)]
mod unix;
#[cfg(unix)]
use unix as platform;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
use windows as platform;

/// How the process was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mode {
    /// Run as a service if the service manager started the process, otherwise in the foreground.
    /// On Windows the SCM dispatcher is tried first; when the process was not started by the SCM
    /// (error 1063) it runs in the console instead, so a user never sees that error. On Unix there is
    /// no difference: signals are handled, and sd_notify is used when `NOTIFY_SOCKET` is set.
    Auto,
    /// Run in the foreground: Ctrl-C, Ctrl-Break and closing the console (Windows) or SIGINT and
    /// SIGTERM (Unix) stop the service gracefully.
    Console,
}

/// Runs the service's code under the platform backend.
pub(crate) fn run(spec: ServiceSpec, mode: Mode, service: ServiceFn) -> Exit {
    platform::run(spec, mode, service)
}
