//! The platform seam: tokens-file permissions and process metrics. Both backends have the same
//! signatures.

/// Resource use of the supervised program.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ProcessStats {
    /// Resident set size in bytes.
    pub rss_bytes: u64,
    /// User plus system CPU time in seconds.
    pub cpu_seconds: f64,
}

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub(crate) use unix::{check_private, process_stats};

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub(crate) use windows::{check_private, process_stats};
