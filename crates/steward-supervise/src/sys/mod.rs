//! The platform seam: spawning, containing, signalling and reaping the program's tree.
//!
//! Both backends export the same items with the same signatures:
//!
//! * `check_program(&ProgramSpec)`: refuses, before anything runs, a program the platform
//!   cannot start safely (Windows: unsafe arguments of a `.bat`/`.cmd` file);
//! * `Containment::new()`: per-run setup (Linux: child subreaper, cgroup guardian; Windows: a
//!   console control handler);
//! * `Containment::spawn(&ProgramSpec, capture: bool) -> io::Result<(Child, Option<Output>)>`:
//!   with `capture`, the program's stdout and stderr are pipes, inherited by the program only,
//!   and their read ends are returned;
//!   `Child::{pid, graceful_stop, kill_tree, finish}`;
//! * `Events` (the loop's wait: child exit, wake-up, timeout) and its cloneable `Waker`.

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub(crate) use unix::{Child, Containment, Events, Waker};

/// Unix starts programs with `execve` and an argument vector: nothing to refuse.
#[cfg(unix)]
pub(crate) fn check_program(
    _spec: &crate::spec::ProgramSpec,
) -> Result<(), crate::error::SuperviseError> {
    Ok(())
}

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub(crate) use windows::{Child, Containment, Events, Waker, check_program};

// Windows command lines are built by plain code, compiled and unit-tested on every platform.
#[cfg_attr(
    not(windows),
    allow(
        dead_code,
        reason = "used by the Windows backend, unit-tested everywhere"
    )
)]
mod windows_args;

/// The read ends of the program's stdout and stderr pipes (the write ends are the program's
/// alone: the supervisor keeps none, so a read ends when the program's tree has closed them).
#[derive(Debug)]
pub(crate) struct Output {
    /// The program's standard output.
    pub(crate) stdout: std::io::PipeReader,
    /// The program's standard error.
    pub(crate) stderr: std::io::PipeReader,
}

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
