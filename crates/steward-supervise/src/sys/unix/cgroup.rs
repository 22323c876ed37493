//! The cgroup guardian: when the supervisor can create a cgroup (typically as root), the program
//! and all its descendants run in a cgroup of their own, and a tiny guardian process kills that
//! cgroup (`cgroup.kill`) as soon as the supervisor is gone — even after a `SIGKILL`.
//!
//! The guardian is `/bin/sh` blocked reading a pipe whose only write end the supervisor holds
//! (close-on-exec, so no other process inherits it). The kernel closes that end when the
//! supervisor dies for any reason; the read returns, the shell writes `1` to `cgroup.kill` and
//! removes the cgroup. On a normal end the supervisor drops the write end itself, with the same
//! effect on an already empty cgroup.

use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use rustix::pipe::{PipeFlags, pipe_with};

const GUARDIAN: &str = r#"trap '' INT TERM HUP
read _
echo 1 > "$1/cgroup.kill"
i=0
while ! rmdir "$1" 2>/dev/null && [ "$i" -lt 200 ]; do sleep 0.05; i=$((i+1)); done"#;

/// A cgroup for the program's tree and the guardian watching the supervisor.
#[derive(Debug)]
pub(crate) struct CgroupGuard {
    procs: File,
    dir: PathBuf,
    alive: Option<OwnedFd>,
    guardian: Option<Child>,
}

impl CgroupGuard {
    /// Creates the cgroup and starts its guardian; `None` when cgroup v2 with `cgroup.kill` is
    /// not available to this process (not root, no cgroup2 mount, kernel before 5.14).
    pub(crate) fn create() -> Option<Self> {
        let dir = new_cgroup_dir()?;
        match Self::start(&dir) {
            Ok(guard) => Some(guard),
            Err(error) => {
                tracing::debug!("no cgroup guardian in {}: {error}", dir.display());
                let _ = std::fs::remove_dir(&dir);
                None
            }
        }
    }

    fn start(dir: &Path) -> io::Result<Self> {
        if !dir.join("cgroup.kill").exists() {
            return Err(io::Error::other("cgroup.kill is not supported"));
        }
        let procs = File::options().write(true).open(dir.join("cgroup.procs"))?;
        let (read, write) = pipe_with(PipeFlags::CLOEXEC)?;
        let guardian = Command::new("/bin/sh")
            .args(["-c", GUARDIAN, "steward-guardian"])
            .arg(dir)
            .stdin(Stdio::from(read))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        Ok(CgroupGuard {
            procs,
            dir: dir.to_owned(),
            alive: Some(write),
            guardian: Some(guardian),
        })
    }

    /// The open `cgroup.procs`: writing `0` to it (between fork and exec) moves the writer in.
    pub(crate) fn procs_fd(&self) -> RawFd {
        self.procs.as_raw_fd()
    }
}

impl Drop for CgroupGuard {
    fn drop(&mut self) {
        drop(self.alive.take());
        // The guardian now kills the (empty) cgroup, removes it and exits. Reap it off the
        // stop path: a thread waits for this one child (std holds it unreaped, so no other PID
        // can be confused with it).
        let Some(mut guardian) = self.guardian.take() else {
            return;
        };
        let dir = self.dir.clone();
        let reaper = std::thread::Builder::new()
            .name("steward-cgroup-guardian".into())
            .spawn(move || {
                if !guardian.wait().is_ok_and(|status| status.success()) {
                    tracing::warn!("the cgroup guardian for {} failed", dir.display());
                }
            });
        if reaper.is_err() {
            tracing::warn!("cannot reap the cgroup guardian");
        }
    }
}

/// `<cgroup2 mount><our cgroup>/steward-supervise-<pid>-<n>`, created.
fn new_cgroup_dir() -> Option<PathBuf> {
    static COUNT: AtomicU32 = AtomicU32::new(0);
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    let mount = mountinfo.lines().find_map(|line| {
        let (left, right) = line.split_once(" - ")?;
        right
            .starts_with("cgroup2 ")
            .then(|| left.split(' ').nth(4))?
    })?;
    let cgroups = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let ours = cgroups.lines().find_map(|line| line.strip_prefix("0::"))?;
    let n = COUNT.fetch_add(1, Ordering::Relaxed);
    let name = format!("steward-supervise-{}-{n}", std::process::id());
    let dir = Path::new(mount)
        .join(ours.trim_start_matches('/'))
        .join(name);
    std::fs::create_dir(&dir).ok()?;
    Some(dir)
}
