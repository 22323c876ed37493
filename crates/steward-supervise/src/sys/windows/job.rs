//! The Job Object that holds the program's whole tree.

use std::io;
use std::ptr::null;
use std::time::{Duration, Instant};

use windows_sys::Win32::System::JobObjects::{
    AssignProcessToJobObject, CreateJobObjectW, JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE,
    JOBOBJECT_BASIC_ACCOUNTING_INFORMATION, JOBOBJECT_EXTENDED_LIMIT_INFORMATION,
    JobObjectBasicAccountingInformation, JobObjectExtendedLimitInformation,
    QueryInformationJobObject, SetInformationJobObject, TerminateJobObject,
};

use super::handle::{OwnedHandle, check};

/// The exit code processes get when the job is terminated.
pub(crate) const KILLED_EXIT_CODE: u32 = 1;

/// An anonymous job with `JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE`: when its last handle closes
/// (our drop, or the death of this process by any means) every process in it is killed. The
/// handle is never inheritable, so no child can keep the job alive.
#[derive(Debug)]
pub(crate) struct Job {
    handle: OwnedHandle,
}

impl Job {
    /// Creates the job with kill-on-close.
    pub(crate) fn new() -> io::Result<Self> {
        // SAFETY: null security attributes (so the handle is not inheritable) and no name.
        let handle = OwnedHandle::from_raw(unsafe { CreateJobObjectW(null(), null()) })?;
        let mut limits = JOBOBJECT_EXTENDED_LIMIT_INFORMATION::default();
        limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
        // SAFETY: the handle is an open job; `limits` is a live structure of the stated size.
        check(unsafe {
            SetInformationJobObject(
                handle.raw(),
                JobObjectExtendedLimitInformation,
                (&raw const limits).cast(),
                size_of::<JOBOBJECT_EXTENDED_LIMIT_INFORMATION>() as u32,
            )
        })?;
        Ok(Job { handle })
    }

    /// Puts a (suspended) process into the job; its future children follow it.
    pub(crate) fn assign(&self, process: &OwnedHandle) -> io::Result<()> {
        // SAFETY: both handles are open for the duration of the call.
        check(unsafe { AssignProcessToJobObject(self.handle.raw(), process.raw()) })
    }

    /// Kills every process in the job.
    pub(crate) fn terminate(&self) -> io::Result<()> {
        // SAFETY: the job handle is open; only processes in our job are affected.
        check(unsafe { TerminateJobObject(self.handle.raw(), KILLED_EXIT_CODE) })
    }

    /// The number of live processes in the job, if the system can tell.
    pub(crate) fn active_processes(&self) -> Option<u32> {
        let mut info = JOBOBJECT_BASIC_ACCOUNTING_INFORMATION::default();
        // SAFETY: `info` is a live structure of the stated size; the length out-pointer may be
        // null.
        let ok = unsafe {
            QueryInformationJobObject(
                self.handle.raw(),
                JobObjectBasicAccountingInformation,
                (&raw mut info).cast(),
                size_of::<JOBOBJECT_BASIC_ACCOUNTING_INFORMATION>() as u32,
                std::ptr::null_mut(),
            )
        };
        (ok != 0).then_some(info.ActiveProcesses)
    }

    /// Terminates the job and polls until it is empty (or `limit` passes, or the system cannot
    /// count): when this returns, the tree is gone as far as the system can tell.
    pub(crate) fn terminate_and_wait(&self, limit: Duration) -> io::Result<()> {
        self.terminate()?;
        let deadline = Instant::now() + limit;
        let mut pause = Duration::from_millis(1);
        while self.active_processes().is_some_and(|n| n > 0) {
            if Instant::now() >= deadline {
                tracing::warn!("processes of the job still alive after {limit:?}");
                break;
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(20));
        }
        Ok(())
    }
}
