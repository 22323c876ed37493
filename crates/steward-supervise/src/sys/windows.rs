//! Windows backend: not implemented yet.
//!
//! The plan (see the issue): a Job Object with `JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE`, the child
//! created `CREATE_SUSPENDED | CREATE_NEW_CONSOLE`, assigned, then resumed; graceful stop through
//! `AttachConsole` + `GenerateConsoleCtrlEvent(CTRL_C_EVENT)`; `.bat`/`.cmd` through an explicit
//! `cmd.exe /c` with safe quoting. Until then [`Containment::new`] refuses, so nothing is ever spawned
//! uncontained.

use std::io;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use super::Wakeup;
use crate::error::SuperviseError;
use crate::machine::ExitStatus;
use crate::spec::ProgramSpec;

const UNSUPPORTED: &str = "the Windows backend (job objects, console control) is not built yet";

/// Per-run containment (the job object, once implemented).
#[derive(Debug)]
pub(crate) struct Containment {
    _private: (),
}

impl Containment {
    /// Refuses: the Windows backend is not implemented.
    pub(crate) fn new() -> Result<Self, SuperviseError> {
        Err(SuperviseError::Unsupported(UNSUPPORTED))
    }

    /// Refuses: the Windows backend is not implemented.
    pub(crate) fn spawn(&self, _spec: &ProgramSpec) -> io::Result<Child> {
        Err(io::Error::new(io::ErrorKind::Unsupported, UNSUPPORTED))
    }
}

/// The spawned program (never constructed yet).
#[derive(Debug)]
pub(crate) struct Child {
    pid: u32,
}

impl Child {
    /// The program's PID.
    pub(crate) fn pid(&self) -> u32 {
        self.pid
    }

    /// Not implemented.
    pub(crate) fn graceful_stop(&self, _signal: i32) -> io::Result<()> {
        Err(io::Error::new(io::ErrorKind::Unsupported, UNSUPPORTED))
    }

    /// Not implemented.
    pub(crate) fn kill_tree(&self) -> io::Result<()> {
        Err(io::Error::new(io::ErrorKind::Unsupported, UNSUPPORTED))
    }

    /// Not implemented.
    pub(crate) fn finish(self) -> io::Result<ExitStatus> {
        Err(io::Error::new(io::ErrorKind::Unsupported, UNSUPPORTED))
    }
}

/// The loop's wait: a flag and a condition variable (no child can exist yet).
#[derive(Debug)]
pub(crate) struct Events {
    woken: Arc<(Mutex<bool>, Condvar)>,
}

/// Wakes the loop from another thread.
#[derive(Debug, Clone)]
pub(crate) struct Waker {
    woken: Arc<(Mutex<bool>, Condvar)>,
}

impl Waker {
    /// Makes the current or next [`Events::wait`] return [`Wakeup::Woken`].
    pub(crate) fn wake(&self) {
        let (flag, changed) = &*self.woken;
        *flag.lock().unwrap_or_else(|p| p.into_inner()) = true;
        changed.notify_all();
    }
}

impl Events {
    /// A new, empty event source.
    pub(crate) fn new() -> Result<Self, SuperviseError> {
        Ok(Events {
            woken: Arc::new((Mutex::new(false), Condvar::new())),
        })
    }

    /// A waker for this event source.
    pub(crate) fn waker(&self) -> Waker {
        Waker {
            woken: Arc::clone(&self.woken),
        }
    }

    /// Waits for a wake-up or the timeout. (No [`Child`] can exist yet; one would be reported
    /// as exited.)
    pub(crate) fn wait(&self, child: Option<&Child>, timeout: Duration) -> io::Result<Wakeup> {
        if child.is_some() {
            return Ok(Wakeup::ChildExited);
        }
        let (flag, changed) = &*self.woken;
        let guard = flag.lock().unwrap_or_else(|p| p.into_inner());
        let (mut guard, _) = changed
            .wait_timeout_while(guard, timeout, |woken| !*woken)
            .unwrap_or_else(|p| p.into_inner());
        if std::mem::take(&mut *guard) {
            Ok(Wakeup::Woken)
        } else {
            Ok(Wakeup::Timeout)
        }
    }
}
