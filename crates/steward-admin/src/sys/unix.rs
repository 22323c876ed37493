//! Unix backend: mode bits of the tokens file; process metrics from `/proc` (Linux).

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use super::ProcessStats;
use crate::AdminError;

/// Refuses a tokens file that group or others may read, write or execute.
pub(crate) fn check_private(path: &Path) -> Result<(), AdminError> {
    let meta = std::fs::metadata(path).map_err(|source| AdminError::TokensRead {
        path: path.to_owned(),
        source,
    })?;
    let mode = meta.mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(AdminError::TokensPermissions {
            path: path.to_owned(),
            mode,
        });
    }
    Ok(())
}

/// RSS and CPU seconds of `pid` from `/proc/PID/stat` (Linux); `None` if unavailable.
#[cfg(target_os = "linux")]
pub(crate) fn process_stats(pid: u32) -> Option<ProcessStats> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&stat, ticks_per_second()?, page_size()?)
}

/// Not implemented on Unix systems other than Linux.
#[cfg(not(target_os = "linux"))]
pub(crate) fn process_stats(_pid: u32) -> Option<ProcessStats> {
    None
}

#[cfg(target_os = "linux")]
fn ticks_per_second() -> Option<f64> {
    // SAFETY: sysconf has no preconditions; it returns -1 for unknown names.
    let v = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    (v > 0).then_some(v as f64)
}

#[cfg(target_os = "linux")]
fn page_size() -> Option<u64> {
    // SAFETY: sysconf has no preconditions; it returns -1 for unknown names.
    let v = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    u64::try_from(v).ok().filter(|v| *v > 0)
}

/// Parses `/proc/PID/stat`: fields after the `(comm)` (which may hold spaces and parentheses).
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn parse_stat(stat: &str, ticks: f64, page: u64) -> Option<ProcessStats> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // rest starts at field 3 (state): utime is field 14, stime 15, rss 24 (1-based).
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    let rss_pages: u64 = fields.get(21)?.parse().ok()?;
    Some(ProcessStats {
        rss_bytes: rss_pages * page,
        cpu_seconds: (utime + stime) as f64 / ticks,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_with_odd_command_name() {
        let line = "42 (a) b (c) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 1 0 100 10000000 300 18446744073709551615";
        let s = parse_stat(line, 100.0, 4096).unwrap();
        assert_eq!(s.rss_bytes, 300 * 4096);
        assert!((s.cpu_seconds - 3.0).abs() < 1e-9);
    }
}
