//! Where a wrapped service's state file lives, so `steward run` (as the service account) writes it
//! and `steward status NAME` (as an admin) finds it from the name alone.
//!
//! The file is `<base>/<name>/state.json`. The base directory is `$STEWARD_STATE_DIR` when set;
//! otherwise:
//!
//! * **Linux**: `$XDG_RUNTIME_DIR/steward` when `run` has a runtime directory (a user manager's
//!   service, a login session), else `/run/steward` (a system service). `<base>/<name>` is what
//!   systemd's `RuntimeDirectory=steward/<name>` creates in either scope.
//! * **Windows**: `<ProgramData>\steward`, the known folder (`C:\ProgramData\steward` when it cannot
//!   be read).
//!
//! `status` looks in the same places: the override alone when it is set; on Linux the scope's
//! directory first (`$XDG_RUNTIME_DIR/steward` with `STEWARD_SYSTEMD_SCOPE=user`, else
//! `/run/steward`), then the other one.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The environment variable that overrides the base directory of state files.
pub const STATE_DIR_ENV: &str = "STEWARD_STATE_DIR";

/// The base directory of system services' state files on Linux.
pub const LINUX_SYSTEM_BASE: &str = "/run/steward";

/// The file name of a state file inside its service's directory.
pub const STATE_FILE_NAME: &str = "state.json";

/// The environment the state file's location depends on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LocationEnv {
    /// `STEWARD_STATE_DIR`.
    pub state_dir: Option<OsString>,
    /// `XDG_RUNTIME_DIR` (Linux).
    pub runtime_dir: Option<OsString>,
    /// `ProgramData` (Windows).
    pub program_data: Option<OsString>,
    /// Whether the control verbs act on a systemd user manager (`STEWARD_SYSTEMD_SCOPE=user`).
    pub user_scope: bool,
}

impl LocationEnv {
    /// Reads the variables from this process's environment (empty values count as unset).
    pub fn from_process() -> Self {
        let var = |key: &str| std::env::var_os(key).filter(|value| !value.is_empty());
        LocationEnv {
            state_dir: var(STATE_DIR_ENV),
            runtime_dir: var("XDG_RUNTIME_DIR"),
            program_data: crate::sys::program_data().or_else(|| var("ProgramData")),
            user_scope: crate::sys::user_scope(),
        }
    }
}

/// The platform conventions the bases follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(
    dead_code,
    reason = "the platform seam picks one variant per target; tests use both"
)]
pub enum Convention {
    /// `/run/steward`, `$XDG_RUNTIME_DIR/steward`.
    Linux,
    /// `%ProgramData%\steward`.
    Windows,
}

/// Where `run` writes its state: the first base directory.
pub fn run_base(convention: Convention, env: &LocationEnv) -> PathBuf {
    if let Some(dir) = &env.state_dir {
        return dir.into();
    }
    match convention {
        Convention::Linux => env.runtime_dir.as_ref().map_or_else(
            || LINUX_SYSTEM_BASE.into(),
            |dir| Path::new(dir).join("steward"),
        ),
        Convention::Windows => windows_base(env),
    }
}

/// Where `status` looks, in order.
pub fn status_bases(convention: Convention, env: &LocationEnv) -> Vec<PathBuf> {
    if let Some(dir) = &env.state_dir {
        return vec![dir.into()];
    }
    match convention {
        Convention::Linux => {
            let system = PathBuf::from(LINUX_SYSTEM_BASE);
            let Some(runtime) = &env.runtime_dir else {
                return vec![system];
            };
            let user = Path::new(runtime).join("steward");
            if env.user_scope {
                vec![user, system]
            } else {
                vec![system, user]
            }
        }
        Convention::Windows => vec![windows_base(env)],
    }
}

fn windows_base(env: &LocationEnv) -> PathBuf {
    let program_data = env
        .program_data
        .clone()
        .unwrap_or_else(|| r"C:\ProgramData".into());
    let mut base = PathBuf::from(program_data);
    base.push("steward");
    base
}

/// The state file of service `name` under `base`: `<base>/<name>/state.json`.
pub fn state_file(base: &Path, name: &str) -> PathBuf {
    base.join(name).join(STATE_FILE_NAME)
}

/// Where `run` writes the state file of service `name` in this process's environment.
pub fn run_state_file(name: &str) -> PathBuf {
    state_file(
        &run_base(crate::sys::CONVENTION, &LocationEnv::from_process()),
        name,
    )
}

/// The candidate state files of service `name` for `status`, in the order they are tried.
pub fn status_state_files(name: &str) -> Vec<PathBuf> {
    status_bases(crate::sys::CONVENTION, &LocationEnv::from_process())
        .iter()
        .map(|base| state_file(base, name))
        .collect()
}

/// Creates the directory of `file` if missing and checks that a file can be written there, so a
/// state file that cannot be written is found before the supervisor starts.
pub fn prepare(file: &Path) -> std::io::Result<()> {
    let dir = file.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let probe = dir.join(format!(".probe{}", std::process::id()));
    std::fs::write(&probe, b"")?;
    std::fs::remove_file(&probe)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(state_dir: Option<&str>, runtime_dir: Option<&str>, user_scope: bool) -> LocationEnv {
        LocationEnv {
            state_dir: state_dir.map(Into::into),
            runtime_dir: runtime_dir.map(Into::into),
            program_data: None,
            user_scope,
        }
    }

    #[test]
    fn the_override_wins_everywhere() {
        let env = env(Some("/tmp/s"), Some("/run/user/1000"), true);
        for convention in [Convention::Linux, Convention::Windows] {
            assert_eq!(run_base(convention, &env), Path::new("/tmp/s"));
            assert_eq!(status_bases(convention, &env), [Path::new("/tmp/s")]);
        }
        assert_eq!(
            state_file(Path::new("/tmp/s"), "web"),
            Path::new("/tmp/s/web/state.json")
        );
    }

    #[test]
    fn linux_system_services_use_run_steward() {
        let system = env(None, None, false);
        assert_eq!(
            run_base(Convention::Linux, &system),
            Path::new("/run/steward")
        );
        assert_eq!(
            status_bases(Convention::Linux, &system),
            [Path::new("/run/steward")]
        );
    }

    #[test]
    fn linux_runtime_dir_comes_first_in_user_scope() {
        let user = env(None, Some("/run/user/1000"), true);
        assert_eq!(
            run_base(Convention::Linux, &user),
            Path::new("/run/user/1000/steward")
        );
        assert_eq!(
            status_bases(Convention::Linux, &user),
            [
                Path::new("/run/user/1000/steward"),
                Path::new("/run/steward")
            ]
        );
        let admin = env(None, Some("/run/user/0"), false);
        assert_eq!(
            status_bases(Convention::Linux, &admin),
            [Path::new("/run/steward"), Path::new("/run/user/0/steward")]
        );
    }

    #[test]
    fn windows_uses_program_data() {
        let mut env = env(None, None, false);
        assert_eq!(
            run_base(Convention::Windows, &env),
            PathBuf::from(r"C:\ProgramData").join("steward")
        );
        env.program_data = Some(r"D:\Data".into());
        assert_eq!(
            status_bases(Convention::Windows, &env),
            [PathBuf::from(r"D:\Data").join("steward")]
        );
    }

    #[test]
    fn prepare_creates_the_directory() {
        let dir = std::env::temp_dir().join(format!("steward-cli-state-{}", std::process::id()));
        let file = state_file(&dir, "web");
        prepare(&file).unwrap();
        assert!(file.parent().unwrap().is_dir());
        assert_eq!(
            std::fs::read_dir(file.parent().unwrap()).unwrap().count(),
            0
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
