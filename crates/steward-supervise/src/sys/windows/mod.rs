//! Windows backend: a Job Object per program, Ctrl-C through the program's own console.
//!
//! # Containment
//!
//! Each program is created `CREATE_SUSPENDED | CREATE_NEW_CONSOLE`, assigned to a fresh
//! anonymous Job Object with `JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE` (its handle never
//! inheritable), then resumed: it cannot start a process before it is in the job, and all its
//! descendants, detached or not, are in the job too. When the supervisor ends by any means
//! (even `TerminateProcess`), the kernel closes the job handle and kills the whole tree.
//!
//! We wait on, and read the exit code from, the process handle we hold: no PID is ever looked
//! up again, so a reused PID can never make us touch a stranger.
//!
//! # Stopping
//!
//! A graceful stop sends Ctrl-C to the program's console (see [`console`]); Wine 8 cannot
//! generate Ctrl-Break. The hard stop is `TerminateJobObject`: the whole tree at once. After the
//! program exits, whatever is left in its job is killed too.
//!
//! # Batch files
//!
//! `.bat`/`.cmd` programs run through an explicit `cmd.exe` with quoting we control, and unsafe
//! arguments are refused (see `windows_args`).

mod console;
mod handle;
mod job;
mod pipes;
mod spawn;

use std::io;
use std::sync::Arc;
use std::time::Duration;

use windows_sys::Win32::Foundation::{WAIT_FAILED, WAIT_OBJECT_0, WAIT_TIMEOUT};
use windows_sys::Win32::System::Threading::{
    CreateEventW, GetExitCodeProcess, INFINITE, SetEvent, WaitForMultipleObjects,
};

use self::handle::{OwnedHandle, check};
use self::job::Job;
use super::{Output, Wakeup};
use crate::error::SuperviseError;
use crate::machine::ExitStatus;
use crate::spec::ProgramSpec;

/// How long `finish` waits for the rest of the tree to die after the program exited.
const REAP_DEADLINE: Duration = Duration::from_secs(5);

/// Refuses a program whose command line cannot be built safely (for example an argument of a
/// `.bat` file containing `&`), before anything runs.
pub(crate) fn check_program(spec: &ProgramSpec) -> Result<(), SuperviseError> {
    spawn::command_line(spec)
        .map(drop)
        .map_err(|e| SuperviseError::InvalidSpec(e.to_string()))
}

/// Per-run setup: our console control handler (see [`console`]). Each program gets its own job.
#[derive(Debug)]
pub(crate) struct Containment {
    _private: (),
}

impl Containment {
    /// Installs the handler that keeps our own Ctrl-C from ending the supervisor.
    pub(crate) fn new() -> Result<Self, SuperviseError> {
        console::install_handler()
            .map_err(|e| SuperviseError::os("cannot install a console control handler", e))?;
        Ok(Containment { _private: () })
    }

    /// Spawns the program inside a new kill-on-close job, on a console of its own; with
    /// `capture`, its stdout and stderr are pipes whose read ends are returned.
    pub(crate) fn spawn(
        &self,
        spec: &ProgramSpec,
        capture: bool,
    ) -> io::Result<(Child, Option<Output>)> {
        let spawned = spawn::spawn(spec, capture)?;
        let child = Child {
            pid: spawned.pid,
            process: spawned.process,
            job: spawned.job,
        };
        Ok((child, spawned.output))
    }
}

/// The spawned program: its process handle (held until [`Child::finish`]) and its job.
#[derive(Debug)]
pub(crate) struct Child {
    pid: u32,
    process: OwnedHandle,
    job: Job,
}

impl Child {
    /// The program's PID.
    pub(crate) fn pid(&self) -> u32 {
        self.pid
    }

    /// Sends Ctrl-C to the program's console. (`_signal` is the Unix stop signal.)
    ///
    /// A program that cannot receive it (it exited meanwhile, or has no console: a GUI
    /// program, or one that called `FreeConsole`) is not an error: the hard stop follows at
    /// `stop_timeout` and kills the whole job.
    pub(crate) fn graceful_stop(&self, _signal: i32) -> io::Result<()> {
        if let Err(error) = console::send_ctrl_c(self.pid) {
            tracing::warn!(
                "cannot send ctrl-c to pid {}: {error}; the tree is killed at the stop timeout",
                self.pid
            );
        }
        Ok(())
    }

    /// Kills the whole tree (`TerminateJobObject`). The program's exit is then reported by
    /// [`Events::wait`].
    pub(crate) fn kill_tree(&self) -> io::Result<()> {
        self.job.terminate()
    }

    /// After the program exited: kills what is left of its job and returns the exit code.
    pub(crate) fn finish(self) -> io::Result<ExitStatus> {
        let mut code = 0u32;
        // SAFETY: the process handle is open and `code` is a live u32.
        check(unsafe { GetExitCodeProcess(self.process.raw(), &mut code) })?;
        self.job.terminate_and_wait(REAP_DEADLINE)?;
        Ok(ExitStatus::Code(code))
    }
}

/// The loop's wait: an auto-reset event for wake-ups plus the program's process handle.
#[derive(Debug)]
pub(crate) struct Events {
    event: Arc<OwnedHandle>,
}

/// Wakes the loop from another thread.
#[derive(Debug, Clone)]
pub(crate) struct Waker {
    event: Arc<OwnedHandle>,
}

impl Waker {
    /// Makes the current or next [`Events::wait`] return [`Wakeup::Woken`].
    pub(crate) fn wake(&self) {
        // SAFETY: the event handle is open while any Waker or Events holds the Arc. Failing
        // would need a closed handle, which the Arc rules out.
        unsafe { SetEvent(self.event.raw()) };
    }
}

impl Events {
    /// A new, empty event source.
    pub(crate) fn new() -> Result<Self, SuperviseError> {
        // SAFETY: an unnamed, auto-reset, initially unset event with default security (not
        // inheritable).
        let raw = unsafe { CreateEventW(std::ptr::null(), 0, 0, std::ptr::null()) };
        let event = OwnedHandle::from_raw(raw)
            .map_err(|e| SuperviseError::os("cannot create the wake-up event", e))?;
        Ok(Events {
            event: Arc::new(event),
        })
    }

    /// A waker for this event source.
    pub(crate) fn waker(&self) -> Waker {
        Waker {
            event: Arc::clone(&self.event),
        }
    }

    /// Waits for the program's exit, a wake-up, or the timeout. Wake-ups take precedence.
    pub(crate) fn wait(&self, child: Option<&Child>, timeout: Duration) -> io::Result<Wakeup> {
        let mut handles = vec![self.event.raw()];
        handles.extend(child.map(|c| c.process.raw()));
        // Round up so a sub-millisecond remainder does not spin; stay below INFINITE.
        let ms = timeout
            .as_micros()
            .div_ceil(1000)
            .min(u128::from(INFINITE - 1)) as u32;
        // SAFETY: every handle in the array is open for the call (the event via the Arc, the
        // process via the borrowed Child).
        let result =
            unsafe { WaitForMultipleObjects(handles.len() as u32, handles.as_ptr(), 0, ms) };
        match result {
            WAIT_OBJECT_0 => Ok(Wakeup::Woken),
            r if r == WAIT_OBJECT_0 + 1 => Ok(Wakeup::ChildExited),
            WAIT_TIMEOUT => Ok(Wakeup::Timeout),
            WAIT_FAILED => Err(io::Error::last_os_error()),
            other => Err(io::Error::other(format!("unexpected wait result {other}"))),
        }
    }
}
