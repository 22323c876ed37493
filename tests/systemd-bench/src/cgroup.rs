//! The bench's own cgroups: creating them, emptying them and removing them, and cleaning up the
//! ones a crashed earlier run left behind.
//!
//! Every cgroup (and temporary directory) the bench creates is named
//! `steward-bench-<pid>-<starttime>-<seq>`, where `<pid>` and `<starttime>` identify the test process
//! that created it (start time in clock ticks since boot, from `/proc/<pid>/stat`, so a recycled PID
//! does not make a dead owner look alive). A name whose owner is gone is stale.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use crate::error::{BenchError, Result};

/// Prefix of every cgroup and temporary directory the bench creates.
pub(crate) const PREFIX: &str = "steward-bench-";

/// The cgroup hierarchies a manager must be moved into, in order.
///
/// Hybrid layout (this machine): the named `systemd` v1 hierarchy and the `unified` cgroup2 one;
/// pure cgroup2: the root; legacy v1 without cgroup2: the named `systemd` hierarchy alone.
pub(crate) fn hierarchies() -> Result<Vec<PathBuf>> {
    let root = Path::new("/sys/fs/cgroup");
    if root.join("cgroup.controllers").exists() {
        return Ok(vec![root.to_path_buf()]);
    }
    let named = root.join("systemd");
    if !named.join("cgroup.procs").exists() {
        return Err(BenchError::Cgroups(format!(
            "neither {}/cgroup.controllers (cgroup2) nor {}/cgroup.procs (name=systemd) exists",
            root.display(),
            named.display()
        )));
    }
    let mut found = vec![named];
    let unified = root.join("unified");
    if unified.join("cgroup.procs").exists() {
        found.push(unified);
    }
    Ok(found)
}

/// A process identity that survives PID reuse: its PID and its start time.
pub(crate) fn process_identity(pid: u32) -> Option<(u32, u64)> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Field 2 (comm) may contain spaces and parentheses: parse after the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    // After comm: field 3 (state) is index 0, field 22 (starttime) is index 19.
    let start = rest.split_whitespace().nth(19)?.parse().ok()?;
    Some((pid, start))
}

/// Whether the owner encoded in a bench name (`steward-bench-<pid>-<start>-...`) is still running.
/// Names that do not parse are treated as alive, so they are never touched.
pub(crate) fn owner_alive(name: &str) -> bool {
    let mut parts = name.strip_prefix(PREFIX).unwrap_or_default().split('-');
    let pid = parts.next().and_then(|p| p.parse::<u32>().ok());
    let start = parts.next().and_then(|s| s.parse::<u64>().ok());
    match (pid, start) {
        (Some(pid), Some(start)) => process_identity(pid) == Some((pid, start)),
        _ => true,
    }
}

/// One cgroup per hierarchy, all with the same name.
#[derive(Debug)]
pub(crate) struct Cgroups {
    dirs: Vec<PathBuf>,
}

impl Cgroups {
    /// Creates `<hierarchy>/<name>` in every hierarchy.
    pub(crate) fn create(hierarchies: &[PathBuf], name: &str) -> Result<Cgroups> {
        let mut created = Cgroups { dirs: Vec::new() };
        for h in hierarchies {
            let dir = h.join(name);
            fs::create_dir(&dir)
                .map_err(|e| BenchError::io(format!("creating cgroup {}", dir.display()), e))?;
            created.dirs.push(dir);
        }
        Ok(created)
    }

    /// The `cgroup.procs` files the manager's launcher writes itself into.
    pub(crate) fn procs_files(&self) -> Vec<PathBuf> {
        self.dirs.iter().map(|d| d.join("cgroup.procs")).collect()
    }

    /// The cgroup in the first hierarchy (for messages).
    pub(crate) fn describe(&self) -> String {
        let names: Vec<String> = self.dirs.iter().map(|d| d.display().to_string()).collect();
        names.join(", ")
    }

    /// Every PID in these cgroups and their descendants.
    pub(crate) fn pids(&self) -> Vec<i32> {
        let mut pids = Vec::new();
        for dir in &self.dirs {
            collect_pids(dir, &mut pids);
        }
        pids.sort_unstable();
        pids.dedup();
        pids
    }

    /// Kills whatever is still inside (SIGKILL, repeatedly, until the cgroups are empty or the
    /// deadline passes), then removes the cgroups depth-first.
    pub(crate) fn remove(&self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            let pids = self.pids();
            if pids.is_empty() {
                break;
            }
            if Instant::now() >= deadline {
                return Err(BenchError::Timeout {
                    what: format!("cgroups {} to become empty", self.describe()),
                    waited: timeout,
                    last: format!("pids still inside: {pids:?}"),
                });
            }
            for pid in pids {
                // SAFETY: kill(2) has no memory-safety preconditions; the PIDs come from our own
                // cgroups, which only hold the manager and the units it started.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
            thread::sleep(Duration::from_millis(10));
        }
        for dir in &self.dirs {
            remove_tree(dir, deadline)?;
        }
        Ok(())
    }
}

fn collect_pids(dir: &Path, out: &mut Vec<i32>) {
    if let Ok(text) = fs::read_to_string(dir.join("cgroup.procs")) {
        out.extend(text.lines().filter_map(|l| l.trim().parse::<i32>().ok()));
    }
    if let Ok(entries) = fs::read_dir(dir) {
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                collect_pids(&entry.path(), out);
            }
        }
    }
}

/// Removes a cgroup and its children, deepest first. A cgroup whose last process just died can be
/// briefly busy (EBUSY): retry until the deadline.
fn remove_tree(dir: &Path, deadline: Instant) -> Result<()> {
    if let Ok(entries) = fs::read_dir(dir) {
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                remove_tree(&entry.path(), deadline)?;
            }
        }
    }
    loop {
        match fs::remove_dir(dir) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) if Instant::now() < deadline && e.raw_os_error() == Some(libc::EBUSY) => {
                thread::sleep(Duration::from_millis(10));
            }
            Err(e) => {
                return Err(BenchError::io(
                    format!("removing cgroup {}", dir.display()),
                    e,
                ));
            }
        }
    }
}

/// Removes what crashed earlier runs left: cgroups (killing any process still in them, such as an
/// orphaned manager) and temporary directories whose owner process is gone. Returns what it removed.
pub(crate) fn clean_stale(hierarchies: &[PathBuf], temp_root: &Path) -> Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    for h in hierarchies {
        for name in stale_names(h) {
            let cg = Cgroups {
                dirs: vec![h.join(&name)],
            };
            cg.remove(Duration::from_secs(10))?;
            removed.extend(cg.dirs);
        }
    }
    for name in stale_names(temp_root) {
        let dir = temp_root.join(name);
        match fs::remove_dir_all(&dir) {
            Ok(()) => removed.push(dir),
            // Another bench in this process or a parallel one got there first.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(BenchError::io(
                    format!("removing stale {}", dir.display()),
                    e,
                ));
            }
        }
    }
    Ok(removed)
}

fn stale_names(dir: &Path) -> Vec<String> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.starts_with(PREFIX) && !owner_alive(n))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_identity_is_alive_and_a_dead_one_is_not() {
        let (pid, start) = process_identity(std::process::id()).expect("own /proc stat");
        assert!(owner_alive(&format!("{PREFIX}{pid}-{start}-0")));
        assert!(!owner_alive(&format!("{PREFIX}{pid}-{}-0", start + 1)));
        assert!(owner_alive(&format!("{PREFIX}not-a-name")));
    }
}
