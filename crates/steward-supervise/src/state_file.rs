//! The state file: a small JSON document rewritten atomically on every state change, so
//! `steward status` can read it at any time and never sees a half-written file.

use std::io::Write;
use std::path::Path;

use crate::capture::CaptureStats;
use crate::error::SuperviseError;
use crate::machine::{ExitStatus, StateName};

/// What the state file holds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StateRecord {
    /// The supervisor's state.
    pub state: StateName,
    /// The PID of the running program, if any.
    pub pid: Option<u32>,
    /// Restarts since the supervisor started.
    pub restarts: u64,
    /// The exit code of the last exit (`128 + signal` for a signal death).
    pub last_exit_code: Option<u32>,
    /// How the program last ended.
    pub last_exit: Option<ExitStatus>,
    /// When it last ended, in milliseconds since the Unix epoch (wall clock, for display only).
    pub last_exit_unix_ms: Option<u64>,
    /// When this record was written, in milliseconds since the Unix epoch.
    pub updated_unix_ms: u64,
    /// The supervisor's own PID.
    pub supervisor_pid: u32,
    /// The capture of the program's output, when it is captured: counters since the supervisor
    /// started, refreshed at most about once a second while they change. Absent in files
    /// written before capture existed.
    #[serde(default)]
    pub capture: Option<CaptureRecord>,
    /// Why the supervisor itself last killed the program to restart it: a failed liveness
    /// check (`health check "web" failed: ...`), `watchdog missed`, `not ready within 90s`, or
    /// a restart requested over the admin endpoint. Absent when it never did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_restart_reason: Option<String>,
}

/// The capture's counters and health as the state file records them (a copy of
/// [`CaptureStats`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CaptureRecord {
    /// Bytes read from the program's pipes.
    pub bytes_read: u64,
    /// Bytes written to the log files (timestamps, JSON and marker lines included).
    pub bytes_written: u64,
    /// Bytes of the program's output lost (policy `drop`, or a degraded capture's full buffer).
    pub bytes_dropped: u64,
    /// Bytes held in memory because the files cannot be written right now.
    pub bytes_buffered: u64,
    /// The files cannot be written (disk full, directory unwritable); the capture retries.
    pub degraded: bool,
    /// The last write or open error, naming the file.
    pub last_error: Option<String>,
}

impl From<CaptureStats> for CaptureRecord {
    fn from(stats: CaptureStats) -> Self {
        CaptureRecord {
            bytes_read: stats.bytes_read,
            bytes_written: stats.bytes_written,
            bytes_dropped: stats.bytes_dropped,
            bytes_buffered: stats.bytes_buffered,
            degraded: stats.degraded,
            last_error: stats.last_error,
        }
    }
}

/// Reads a state file written by a supervisor (running or not).
pub fn read_state_file(path: &Path) -> Result<StateRecord, SuperviseError> {
    let error = |source| SuperviseError::StateFile {
        path: path.to_owned(),
        source,
    };
    let text = std::fs::read(path).map_err(error)?;
    serde_json::from_slice(&text).map_err(|e| error(std::io::Error::from(e)))
}

/// Writes `record` to `path` atomically: a temporary file in the same directory, then a rename.
pub(crate) fn write_state_file(path: &Path, record: &StateRecord) -> Result<(), SuperviseError> {
    let error = |source| SuperviseError::StateFile {
        path: path.to_owned(),
        source,
    };
    let mut temp_name = path.file_name().unwrap_or_default().to_owned();
    temp_name.push(format!(".tmp{}", std::process::id()));
    let temp = path.with_file_name(temp_name);
    let json = serde_json::to_vec_pretty(record).map_err(|e| error(e.into()))?;
    let mut file = std::fs::File::create(&temp).map_err(error)?;
    file.write_all(&json).map_err(error)?;
    file.write_all(b"\n").map_err(error)?;
    drop(file);
    std::fs::rename(&temp, path).map_err(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_atomic_replace() {
        let dir = std::env::temp_dir().join(format!("steward-state-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("state.json");
        let mut record = StateRecord {
            state: StateName::Running,
            pid: Some(12),
            restarts: 3,
            last_exit_code: Some(137),
            last_exit: Some(ExitStatus::Signal(9)),
            last_exit_unix_ms: Some(1),
            updated_unix_ms: 2,
            supervisor_pid: 1,
            capture: Some(CaptureRecord {
                bytes_written: 5,
                ..CaptureRecord::default()
            }),
            last_restart_reason: None,
        };
        write_state_file(&path, &record).unwrap();
        assert_eq!(read_state_file(&path).unwrap(), record);
        record.state = StateName::Failed;
        write_state_file(&path, &record).unwrap();
        assert_eq!(read_state_file(&path).unwrap().state, StateName::Failed);
        let names: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary file is left behind");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"state\": \"failed\""), "{text}");
        assert!(text.contains("\"bytes_written\": 5"), "{text}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_file_without_capture_still_reads() {
        let old = r#"{"state":"running","pid":1,"restarts":0,"last_exit_code":null,
            "last_exit":null,"last_exit_unix_ms":null,"updated_unix_ms":2,"supervisor_pid":1}"#;
        let record: StateRecord = serde_json::from_str(old).unwrap();
        assert_eq!(record.capture, None);
    }

    #[test]
    fn a_missing_file_names_the_path() {
        let error = read_state_file(Path::new("/nonexistent/state.json")).unwrap_err();
        assert!(
            error.to_string().contains("/nonexistent/state.json"),
            "{error}"
        );
    }
}
