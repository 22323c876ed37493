//! Linux (and other Unix): systemd conventions.

use crate::state::Convention;

/// State files under `/run/steward` or `$XDG_RUNTIME_DIR/steward`.
pub const CONVENTION: Convention = Convention::Linux;

/// Whether `STEWARD_SYSTEMD_SCOPE=user` selects the calling user's systemd manager.
pub fn user_scope() -> bool {
    std::env::var(steward::control::systemd::SCOPE_ENV).as_deref() == Ok("user")
}

/// No ProgramData on Unix.
pub fn program_data() -> Option<std::ffi::OsString> {
    None
}

/// The notify socket of service `name`: `notify.sock` in its runtime directory.
pub fn notify_path(_name: &str, runtime_dir: &std::path::Path) -> std::path::PathBuf {
    runtime_dir.join("notify.sock")
}
