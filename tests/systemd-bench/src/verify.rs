//! Offline checks of unit files with `systemd-analyze verify`, for snapshot tests of generated
//! units. No manager is needed.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::error::{BenchError, Result};

/// Which manager a unit file is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The system manager (`/etc/systemd/system`).
    System,
    /// A user manager (`systemctl --user`).
    User,
}

/// Checks a unit file with `systemd-analyze [--user] verify --man=no <path>`.
///
/// Strict: besides a non-zero exit status, any diagnostic on standard error is an error, because
/// `systemd-analyze` only *warns* (and exits 0) about unknown keys and unparsable values. The file
/// name must be a valid unit name (`hello.service`), and programs named in `Exec*=` must exist and
/// be executable. Dependencies must be loadable (a `Requires=` on a unit that does not exist fails).
/// For [`Scope::User`] a throw-away private `XDG_RUNTIME_DIR` is provided.
///
/// # Examples
///
/// ```no_run
/// use steward_systemd_bench::{Scope, verify_unit_file};
///
/// verify_unit_file("target/snapshots/hello.service".as_ref(), Scope::System).unwrap();
/// ```
pub fn verify_unit_file(path: &Path, scope: Scope) -> Result<()> {
    let mut cmd = Command::new("systemd-analyze");
    let runtime = std::env::temp_dir().join(format!(
        "{}verify-{}-{}",
        crate::cgroup::PREFIX,
        std::process::id(),
        crate::next_global_id()
    ));
    if scope == Scope::User {
        fs::create_dir(&runtime)
            .map_err(|e| BenchError::io(format!("creating {}", runtime.display()), e))?;
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&runtime, fs::Permissions::from_mode(0o700))
            .map_err(|e| BenchError::io("making the runtime directory private", e))?;
        cmd.arg("--user").env("XDG_RUNTIME_DIR", &runtime);
    }
    cmd.args(["verify", "--man=no"])
        .arg(path)
        .env_remove("SYSTEMD_UNIT_PATH")
        .stdin(Stdio::null());
    let output = cmd.output();
    if scope == Scope::User {
        let _ = fs::remove_dir_all(&runtime);
    }
    let output = output.map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => BenchError::Missing {
            what: "systemd-analyze",
            path: "$PATH".into(),
            hint: "apt-get install -y systemd",
        },
        _ => BenchError::io("running systemd-analyze", e),
    })?;
    let stderr = String::from_utf8_lossy(&output.stderr).trim().to_owned();
    if output.status.success() && stderr.is_empty() {
        return Ok(());
    }
    Err(BenchError::Verify {
        path: path.to_path_buf(),
        status: output.status,
        diagnostics: stderr,
    })
}
