//! Platform backends for the fixture.

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub use unix::{detach, ignore_stop, kill, monotonic_ns, notify, notify_once, pid_alive};

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub use windows::{detach, ignore_stop, kill, monotonic_ns, notify, notify_once, pid_alive};
