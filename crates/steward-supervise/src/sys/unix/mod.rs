//! Linux backend: process groups, child subreaper, parent-death signal, pidfds.
//!
//! # Never signalling a stranger
//!
//! A PID number is only safe to signal while we hold the process unreaped: until we reap it, the
//! kernel cannot hand its number to a new process. So:
//!
//! * the program is the leader of its own process group (pgid = its pid). We signal the group
//!   only until we have reaped the leader: while the leader (alive or a zombie) is unreaped, its
//!   number, and so the pgid, cannot be reused. The leader's exit is observed through a pidfd,
//!   without reaping, so the group is killed *before* the number is released;
//! * descendants that left the group (`setsid`) and were orphaned are reparented to us because we
//!   are a child subreaper (`PR_SET_CHILD_SUBREAPER`). We signal such a process only while it is
//!   our unreaped child, and only this thread reaps: enumerating, signalling and reaping are never
//!   interleaved with another reaper.
//!
//! "Adopted" children are our children whose process group differs from ours: children the rest
//! of the process spawns (hooks included) stay in our group and are never touched. Hence: one
//! supervisor per process.
//!
//! # When the supervisor itself dies
//!
//! The program gets `PR_SET_PDEATHSIG(SIGKILL)`: it dies with the supervisor's spawning thread.
//! On its own this is a best effort: grandchildren do not inherit it. So when the supervisor can
//! create a cgroup (as root, with cgroup v2 and `cgroup.kill`), the program's tree also runs in a
//! cgroup of its own, killed by a guardian process the moment the supervisor dies (see
//! [`cgroup`]). Under systemd with `KillMode=control-group` (the default) the unit's cgroup is
//! killed as a whole as well. Unprivileged and outside systemd, only the parent-death signal
//! remains.

mod cgroup;

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec, poll};
use rustix::pipe::{PipeFlags, pipe_with};
use rustix::process::{
    Pid, PidfdFlags, Signal, WaitOptions, getpgrp, getpid, getppid, kill_process,
    kill_process_group, pidfd_open, set_child_subreaper, set_parent_process_death_signal,
    setpriority_process, waitpid,
};

use super::{Output, Wakeup};
use crate::error::SuperviseError;
use crate::machine::ExitStatus;
use crate::spec::ProgramSpec;

/// How long `finish` and `kill_tree` keep killing and reaping adopted descendants.
const REAP_DEADLINE: Duration = Duration::from_secs(5);

/// Per-run containment: the child subreaper flag and, when available, the cgroup guardian.
#[derive(Debug)]
pub(crate) struct Containment {
    guard: Option<cgroup::CgroupGuard>,
}

/// The spawned program: its PID and a pidfd, held until [`Child::finish`] reaps it.
#[derive(Debug)]
pub(crate) struct Child {
    pid: Pid,
    pidfd: OwnedFd,
}

impl Containment {
    /// Makes this process a child subreaper, so orphaned descendants of the program become ours,
    /// and sets up the cgroup guardian if this process may.
    pub(crate) fn new() -> Result<Self, SuperviseError> {
        set_child_subreaper(Some(getpid()))
            .map_err(|e| SuperviseError::os("cannot become a child subreaper", e.into()))?;
        let guard = cgroup::CgroupGuard::create();
        if guard.is_none() {
            tracing::debug!("no cgroup: only the parent-death signal covers a killed supervisor");
        }
        Ok(Containment { guard })
    }

    /// Spawns the program as the leader of a new process group, with a parent-death signal,
    /// inside the guarded cgroup when there is one. With `capture`, its stdout and stderr are
    /// pipes whose read ends are returned (close-on-exec on our side); otherwise it inherits
    /// ours.
    pub(crate) fn spawn(
        &self,
        spec: &ProgramSpec,
        capture: bool,
    ) -> io::Result<(Child, Option<Output>)> {
        let mut command = Command::new(&spec.command);
        let output = || {
            if capture {
                Stdio::piped()
            } else {
                Stdio::inherit()
            }
        };
        command
            .args(&spec.args)
            .envs(spec.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(output())
            .stderr(output())
            .process_group(0);
        if let Some(dir) = &spec.cwd {
            command.current_dir(dir);
        }
        let parent = getpid();
        let nice = spec.priority.map(|p| p.nice());
        let procs = self.guard.as_ref().map(cgroup::CgroupGuard::procs_fd);
        // SAFETY: the closure runs between fork and exec and only makes raw system calls
        // (prctl, getppid, setpriority, write) through rustix: no allocation, no locks,
        // async-signal-safe. `procs` is a descriptor the guard keeps open during the spawn.
        unsafe {
            command.pre_exec(move || {
                if let Some(fd) = procs {
                    rustix::io::write(BorrowedFd::borrow_raw(fd), b"0")?;
                }
                set_parent_process_death_signal(Some(Signal::KILL))?;
                // The supervisor may have died before the prctl: then nobody would kill us.
                if getppid() != Some(parent) {
                    return Err(io::Error::other("the supervisor exited during spawn"));
                }
                if let Some(nice) = nice {
                    setpriority_process(None, nice)?;
                }
                Ok(())
            });
        }
        let mut child = command.spawn()?;
        let pid = Pid::from_raw(child.id() as i32).ok_or_else(|| io::Error::other("pid 0"))?;
        let output = match (child.stdout.take(), child.stderr.take()) {
            (Some(stdout), Some(stderr)) => Some(Output {
                stdout: OwnedFd::from(stdout).into(),
                stderr: OwnedFd::from(stderr).into(),
            }),
            _ => None,
        };
        // std's `Child` neither waits nor kills on drop; from here on we own the reaping.
        drop(child);
        // The child is unreaped, so its PID is still ours to open.
        let pidfd = pidfd_open(pid, PidfdFlags::empty())?;
        Ok((Child { pid, pidfd }, output))
    }
}

impl Child {
    /// The program's PID.
    pub(crate) fn pid(&self) -> u32 {
        self.pid.as_raw_nonzero().get() as u32
    }

    /// Sends `signal` to the program's group and to adopted descendants outside it.
    pub(crate) fn graceful_stop(&self, signal: i32) -> io::Result<()> {
        let signal = Signal::from_named_raw(signal).unwrap_or(Signal::TERM);
        self.signal_tree(signal)
    }

    /// Sends `SIGKILL` to the program's group and to adopted descendants outside it. The
    /// program's exit is then reported by [`Events::wait`].
    pub(crate) fn kill_tree(&self) -> io::Result<()> {
        self.signal_tree(Signal::KILL)
    }

    fn signal_tree(&self, signal: Signal) -> io::Result<()> {
        // The leader is unreaped (we reap only in `finish`), so the pgid is still ours.
        let group = kill_process_group(self.pid, signal);
        for pid in adopted(Some(self.pid)) {
            // Our unreaped child: its PID cannot have been reused.
            let _ = kill_process(pid, signal);
        }
        match group {
            Err(rustix::io::Errno::SRCH) | Ok(()) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// After the program exited: kills what is left of its tree, reaps the program and every
    /// adopted descendant, and returns how the program ended.
    pub(crate) fn finish(self) -> io::Result<ExitStatus> {
        // Kill the rest of the group while the zombie leader still pins the pgid.
        let _ = kill_process_group(self.pid, Signal::KILL);
        let status = loop {
            match waitpid(Some(self.pid), WaitOptions::empty()) {
                Ok(Some((_, status))) => break status,
                Ok(None) => continue,
                Err(rustix::io::Errno::INTR) => continue,
                Err(e) => return Err(e.into()),
            }
        };
        reap_adopted(true, None);
        Ok(match (status.exit_status(), status.terminating_signal()) {
            (Some(code), _) => ExitStatus::Code(code as u32),
            (None, Some(signal)) => ExitStatus::Signal(signal),
            (None, None) => ExitStatus::Code(status.as_raw() as u32),
        })
    }
}

/// Our children outside our own process group, except `leader`.
fn adopted(leader: Option<Pid>) -> Vec<Pid> {
    let me = getpid().as_raw_nonzero().get();
    let our_group = getpgrp().as_raw_nonzero().get();
    let leader = leader.map(|p| p.as_raw_nonzero().get());
    let mut found = Vec::new();
    for pid in candidate_children() {
        let Some((ppid, pgrp)) = parent_and_group(pid) else {
            continue;
        };
        if ppid == me && pgrp != our_group && Some(pid) != leader {
            found.extend(Pid::from_raw(pid));
        }
    }
    found
}

/// Our children from `/proc/self/task/*/children` when the kernel has it
/// (`CONFIG_PROC_CHILDREN`), else every PID in `/proc` (filtered by the caller).
fn candidate_children() -> Vec<i32> {
    let mut pids = Vec::new();
    let mut have_children_files = false;
    if let Ok(tasks) = std::fs::read_dir("/proc/self/task") {
        for task in tasks.flatten() {
            if let Ok(list) = std::fs::read_to_string(task.path().join("children")) {
                have_children_files = true;
                pids.extend(
                    list.split_whitespace()
                        .filter_map(|p| p.parse::<i32>().ok()),
                );
            }
        }
    }
    if have_children_files {
        return pids;
    }
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return pids;
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse().ok()))
        .collect()
}

/// `(ppid, pgrp)` from `/proc/<pid>/stat`, read into a stack buffer (this runs on every exit).
fn parent_and_group(pid: i32) -> Option<(i32, i32)> {
    use std::io::Read;
    let mut buf = [0u8; 512];
    let mut file = std::fs::File::open(format!("/proc/{pid}/stat")).ok()?;
    let len = file.read(&mut buf).ok()?;
    let stat = &buf[..len];
    // "pid (comm) state ppid pgrp ..." — comm may contain spaces or parentheses.
    let close = stat.iter().rposition(|&b| b == b')')?;
    let rest = std::str::from_utf8(&stat[close + 1..]).ok()?;
    let mut fields = rest.split_whitespace().skip(1);
    let ppid = fields.next()?.parse().ok()?;
    let pgrp = fields.next()?.parse().ok()?;
    Some((ppid, pgrp))
}

/// Reaps adopted children that have exited. With `kill`, first kills all of them and keeps going
/// (their own orphans are reparented to us as they die) until none is left or the deadline passes.
///
/// `leader` is the program while it is still unreaped: it is never touched here. It too is our
/// child outside our group, and reaping it here would lose its exit status (its `finish` would
/// then fail with `ECHILD`) and free its PID, and so its pgid, while its group may still be
/// signalled.
pub(crate) fn reap_adopted(kill: bool, leader: Option<Pid>) {
    let deadline = Instant::now() + REAP_DEADLINE;
    let mut pause = Duration::from_micros(100);
    loop {
        let pids = adopted(leader);
        if pids.is_empty() {
            return;
        }
        for &pid in &pids {
            if kill {
                // Our unreaped child: its PID cannot have been reused.
                let _ = kill_process(pid, Signal::KILL);
            }
            let _ = waitpid(Some(pid), WaitOptions::NOHANG);
        }
        if !kill || Instant::now() >= deadline {
            return;
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(10));
    }
}

/// The loop's wait: a self-pipe for wake-ups plus the program's pidfd.
#[derive(Debug)]
pub(crate) struct Events {
    read: OwnedFd,
    write: Arc<OwnedFd>,
}

/// Wakes the loop from another thread.
#[derive(Debug, Clone)]
pub(crate) struct Waker {
    write: Arc<OwnedFd>,
}

impl Waker {
    /// Makes the current or next [`Events::wait`] return [`Wakeup::Woken`].
    pub(crate) fn wake(&self) {
        // A full pipe already means "woken"; nothing else can go wrong worth reporting.
        let _ = rustix::io::write(&*self.write, &[1]);
    }
}

impl Events {
    /// A new, empty event source.
    pub(crate) fn new() -> Result<Self, SuperviseError> {
        let (read, write) = pipe_with(PipeFlags::CLOEXEC | PipeFlags::NONBLOCK)
            .map_err(|e| SuperviseError::os("cannot create the wake-up pipe", e.into()))?;
        Ok(Events {
            read,
            write: Arc::new(write),
        })
    }

    /// A waker for this event source.
    pub(crate) fn waker(&self) -> Waker {
        Waker {
            write: Arc::clone(&self.write),
        }
    }

    /// Waits for the program's exit, a wake-up, or the timeout. Wake-ups take precedence.
    pub(crate) fn wait(&self, child: Option<&Child>, timeout: Duration) -> io::Result<Wakeup> {
        let timeout = Timespec::try_from(timeout).unwrap_or(Timespec {
            tv_sec: i64::MAX,
            tv_nsec: 0,
        });
        let mut fds = vec![PollFd::new(&self.read, PollFlags::IN)];
        if let Some(child) = child {
            fds.push(PollFd::from_borrowed_fd(child.pidfd.as_fd(), PollFlags::IN));
        }
        match poll(&mut fds, Some(&timeout)) {
            Ok(_) | Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
        let woken = !fds[0].revents().is_empty();
        let exited = fds.get(1).is_some_and(|fd| !fd.revents().is_empty());
        if woken {
            let mut buf = [0u8; 64];
            while matches!(rustix::io::read(&self.read, &mut buf), Ok(n) if n > 0) {}
            return Ok(Wakeup::Woken);
        }
        if exited {
            return Ok(Wakeup::ChildExited);
        }
        // Between ticks, reap adopted descendants that exited on their own. The program may
        // have exited since the poll returned: only `Child::finish` reaps it.
        reap_adopted(false, child.map(|c| c.pid));
        Ok(Wakeup::Timeout)
    }
}

#[cfg(test)]
mod tests;
