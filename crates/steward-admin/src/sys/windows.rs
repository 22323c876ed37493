//! Windows backend. The tokens file's protection is the ACL of steward's install directory
//! (writable and readable only by Administrators, SYSTEM and the service account); steward does
//! not inspect ACLs yet, so `check_private` accepts any readable file. Process metrics are not
//! implemented yet (planned: `GetProcessMemoryInfo` and `GetProcessTimes` on the job's process).

use std::path::Path;

use super::ProcessStats;
use crate::AdminError;

/// Accepts the file: ACL inspection is not implemented yet (see the module docs).
pub(crate) fn check_private(path: &Path) -> Result<(), AdminError> {
    std::fs::metadata(path)
        .map(|_| ())
        .map_err(|source| AdminError::TokensRead {
            path: path.to_owned(),
            source,
        })
}

/// Not implemented on Windows yet: the process metrics are left out of `/metrics`.
pub(crate) fn process_stats(_pid: u32) -> Option<ProcessStats> {
    None
}
