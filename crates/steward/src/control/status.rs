//! What `status` reports about an installed service, on any platform. Serialized as the stable,
//! documented `--json` schema (see `docs/status-json.md`).

use std::path::PathBuf;

use super::request::{Account, StartType};

/// The state of a service as its manager sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceState {
    /// Not running.
    Stopped,
    /// Starting (`START_PENDING`; systemd `activating`).
    StartPending,
    /// Running (`RUNNING`; systemd `active`).
    Running,
    /// Stopping (`STOP_PENDING`; systemd `deactivating`).
    StopPending,
    /// Pausing.
    PausePending,
    /// Paused.
    Paused,
    /// Continuing after a pause.
    ContinuePending,
    /// Failed (systemd `failed`; on Windows a stopped service with a non-zero exit code).
    Failed,
}

/// Everything `status` shows about one service. Secrets (passwords, environment values) never
/// appear here.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ServiceStatus {
    /// The service's key name.
    pub name: String,
    /// Whether the service is installed; when `false` every other field is empty.
    pub installed: bool,
    /// Current state.
    pub state: Option<ServiceState>,
    /// Process id while it runs.
    pub pid: Option<u32>,
    /// How it starts.
    pub start_type: Option<StartType>,
    /// The account it runs as, as the manager spells it (e.g. `NT AUTHORITY\LocalService`).
    pub account: Option<String>,
    /// The executable the manager runs.
    pub binary_path: Option<PathBuf>,
    /// The full command line as registered (Windows `ImagePath`, systemd `ExecStart`).
    pub command_line: Option<String>,
    /// Last Win32 exit code (Windows) or 0.
    pub win32_exit_code: Option<u32>,
    /// Last service-specific exit code (Windows) or the main process's exit status (systemd).
    pub service_exit_code: Option<u32>,
}

impl ServiceStatus {
    /// The status of a service that is not installed.
    pub fn not_installed(name: impl Into<String>) -> Self {
        ServiceStatus {
            name: name.into(),
            installed: false,
            state: None,
            pid: None,
            start_type: None,
            account: None,
            binary_path: None,
            command_line: None,
            win32_exit_code: None,
            service_exit_code: None,
        }
    }
}

/// Renders an account the way Windows names it; used by status output on every platform.
pub fn account_name(account: &Account, service: &str) -> String {
    match account {
        Account::LocalSystem => "LocalSystem".into(),
        Account::LocalService => r"NT AUTHORITY\LocalService".into(),
        Account::NetworkService => r"NT AUTHORITY\NetworkService".into(),
        Account::Virtual => format!(r"NT SERVICE\{service}"),
        Account::User(name) => name.clone(),
    }
}
