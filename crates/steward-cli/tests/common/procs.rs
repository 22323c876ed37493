//! Processes seen through `/proc`, for the Linux suites and the failover benchmark (which
//! includes this file with `#[path]`).

use std::collections::BTreeSet;

/// Whether a process with this PID exists (and is not a zombie).
pub fn alive(pid: u64) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| {
            let state = stat
                .rsplit(") ")
                .next()
                .and_then(|rest| rest.chars().next());
            state != Some('Z')
        })
        .unwrap_or(false)
}

/// The parent PID of a live process, from `/proc/<pid>/stat`.
fn parent(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit(") ").next()?.split(' ').nth(1)?.parse().ok()
}

/// PIDs of live processes that have `marker` as one of their arguments, except those whose
/// parent has it too: a shell's forked child carries the shell's command line until it execs,
/// and is part of the same program, not a second one.
pub fn running_programs(marker: &str) -> BTreeSet<u32> {
    let marked = marked_processes(marker);
    marked
        .iter()
        .copied()
        .filter(|pid| parent(*pid).is_none_or(|ppid| !marked.contains(&ppid)))
        .collect()
}

fn marked_processes(marker: &str) -> BTreeSet<u32> {
    let mut found = BTreeSet::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return found;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        if cmdline
            .split(|b| *b == 0)
            .any(|arg| arg == marker.as_bytes())
            && alive(u64::from(pid))
        {
            found.insert(pid);
        }
    }
    found
}
