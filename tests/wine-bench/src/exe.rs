//! Locating (and building) the workspace's Windows binaries.

use crate::error::BenchError;
use crate::process::{describe, run_ok};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

/// The Rust target triple of the Windows binaries.
pub const WINDOWS_TARGET: &str = "x86_64-pc-windows-gnu";

/// The command that builds every Windows binary of the workspace.
pub const BUILD_COMMAND: &str = "cargo build --workspace --target x86_64-pc-windows-gnu";

/// The workspace root (two levels above this crate).
pub fn workspace_root() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.parent()
        .and_then(|p| p.parent())
        .map(PathBuf::from)
        .unwrap_or(here)
}

/// The cargo target directory: `CARGO_TARGET_DIR` when set, else `<workspace>/target`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                workspace_root().join(dir)
            }
        }
        _ => workspace_root().join("target"),
    }
}

/// `<target>/x86_64-pc-windows-gnu/debug/<name>.exe`, or an error naming the build command.
///
/// # Examples
///
/// ```no_run
/// let probe = steward_wine_bench::windows_exe("wine-probe")?;
/// assert!(probe.ends_with("x86_64-pc-windows-gnu/debug/wine-probe.exe"));
/// # Ok::<(), steward_wine_bench::BenchError>(())
/// ```
pub fn windows_exe(name: &str) -> Result<PathBuf, BenchError> {
    let path = target_dir()
        .join(WINDOWS_TARGET)
        .join("debug")
        .join(format!("{name}.exe"));
    if path.is_file() {
        Ok(path)
    } else {
        Err(BenchError::WindowsExeMissing {
            path,
            build_command: BUILD_COMMAND.into(),
        })
    }
}

/// Builds Windows binaries of the given packages with a nested `cargo build`, so tests never
/// run stale binaries, and returns once they are up to date.
///
/// This works from inside `cargo test`: cargo releases its build-directory lock before it runs
/// test binaries. Pass `&[]` to build the whole workspace.
pub fn build_windows(packages: &[&str]) -> Result<(), BenchError> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace_root())
        .args(["build", "--quiet", "--target", WINDOWS_TARGET]);
    if packages.is_empty() {
        cmd.arg("--workspace");
    }
    for p in packages {
        cmd.args(["-p", p]);
    }
    let text = describe(&cmd);
    run_ok(cmd, Duration::from_secs(900)).map_err(|e| match e {
        BenchError::CommandFailed { status, stderr, .. } => BenchError::CommandFailed {
            command: text,
            status,
            stderr,
        },
        other => other,
    })?;
    Ok(())
}

/// Packages already built by [`fresh_windows_exe`] in this process.
static BUILT: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Builds `package` for Windows (once per process) with [`build_windows`] and returns the path
/// of its binary `bin`, so tests never run a stale binary.
///
/// # Examples
///
/// ```no_run
/// let exe = steward_wine_bench::fresh_windows_exe("wine-probe", "wine-probe")?;
/// # Ok::<(), steward_wine_bench::BenchError>(())
/// ```
pub fn fresh_windows_exe(package: &str, bin: &str) -> Result<PathBuf, BenchError> {
    // Holding the lock while building makes parallel callers wait for one build.
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if !built.iter().any(|p| p == package) {
        build_windows(&[package])?;
        built.push(package.to_string());
    }
    windows_exe(bin)
}
