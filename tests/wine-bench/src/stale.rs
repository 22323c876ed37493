//! Removing prefixes that benches of killed test processes left behind.
//!
//! A prefix is about 700 MB. `Drop` and the `atexit` handler remove it, but a test binary
//! killed with SIGKILL cannot; its holder still exits (its stdin closes) and Wine then shuts
//! down, so only the directory is left. Each bench records its process id in `owner.pid`, and
//! a new bench removes directories whose owner is gone.

use std::path::Path;

/// Name prefix of bench directories in the temporary directory.
pub(crate) const DIR_PREFIX: &str = "steward-wine-";
/// File in a bench directory holding the owning process id.
const OWNER_FILE: &str = "owner.pid";

/// Writes this process's id into `root/owner.pid`.
pub(crate) fn mark_owner(root: &Path) -> std::io::Result<()> {
    std::fs::write(root.join(OWNER_FILE), std::process::id().to_string())
}

/// Whether a process with this id exists.
fn alive(pid: i32) -> bool {
    // SAFETY: signal 0 performs only the existence and permission check; nothing is sent.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

/// Removes bench directories in `tmp` whose owner process no longer exists. Best effort.
pub(crate) fn sweep(tmp: &Path) {
    let Ok(entries) = std::fs::read_dir(tmp) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let is_bench = entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.starts_with(DIR_PREFIX));
        if !is_bench {
            continue;
        }
        let owner = std::fs::read_to_string(path.join(OWNER_FILE))
            .ok()
            .and_then(|s| s.trim().parse::<i32>().ok());
        if owner.is_some_and(|pid| pid > 0 && !alive(pid)) {
            // Another bench may be sweeping the same directory; either removal is fine.
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sweeps_only_dead_owners() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dead = tmp.path().join(format!("{DIR_PREFIX}dead"));
        let live = tmp.path().join(format!("{DIR_PREFIX}live"));
        let other = tmp.path().join("unrelated");
        for d in [&dead, &live, &other] {
            std::fs::create_dir(d).expect("mkdir");
        }
        // No process has pid i32::MAX (pid_max is at most 2^22).
        std::fs::write(dead.join(OWNER_FILE), i32::MAX.to_string()).expect("write");
        mark_owner(&live).expect("write");
        std::fs::write(other.join(OWNER_FILE), i32::MAX.to_string()).expect("write");
        sweep(tmp.path());
        assert!(!dead.exists());
        assert!(live.exists());
        assert!(other.exists());
    }
}
