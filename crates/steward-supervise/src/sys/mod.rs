//! The platform seam: spawning, containing, signalling and reaping the program's tree.
//!
//! Both backends export the same items with the same signatures:
//!
//! * `Containment::new()`: per-run setup (Linux: child subreaper, cgroup guardian);
//! * `Containment::spawn(&ProgramSpec) -> io::Result<Child>`;
//!   `Child::{pid, graceful_stop, kill_tree, finish}`;
//! * `Events` (the loop's wait: child exit, wake-up, timeout) and its cloneable `Waker`.

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub(crate) use unix::{Child, Containment, Events, Waker};

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub(crate) use windows::{Child, Containment, Events, Waker};

/// Why the loop's wait returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wakeup {
    /// The program (the spawned process) has exited; it is not reaped yet.
    ChildExited,
    /// A [`Waker`] was used.
    Woken,
    /// The timeout passed.
    Timeout,
}
