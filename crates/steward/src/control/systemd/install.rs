//! Install: the plan's steps, their execution, and undoing them when a later step fails.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::{Systemd, unit, verbs};
use crate::control::{
    ControlError, InstallMode, InstallRequest, Origin, Plan, PlannedStep, StartType,
};

/// One step of a systemd install plan.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum SystemdAction {
    /// Write the unit file atomically (a temporary file in the same directory, then a rename;
    /// without `replace`, a link that fails if the file appeared meanwhile).
    WriteUnit {
        /// The unit file.
        path: PathBuf,
        /// Its contents.
        contents: String,
        /// Whether an existing file is replaced (update mode).
        replace: bool,
    },
    /// `systemctl daemon-reload`.
    DaemonReload,
    /// `systemctl enable <unit>`: started at boot (or at login, user scope).
    Enable {
        /// The unit.
        unit: String,
    },
    /// `systemctl disable <unit>` (update mode, to `manual` or `disabled`).
    Disable {
        /// The unit.
        unit: String,
    },
}

/// Resolves `request` into steps; reads (never changes) the system to see whether the service
/// exists.
pub(crate) fn plan(
    systemd: &Systemd,
    request: &InstallRequest,
    mode: InstallMode,
) -> Result<Plan<SystemdAction>, ControlError> {
    let contents = systemd.render(request)?;
    let path = systemd.unit_path(&request.name);
    let name = unit::unit_name(&request.name);
    // The manager may know the unit from elsewhere (a package's unit in /usr/lib). Without a
    // reachable manager (e.g. `--print` in a container) the file check alone decides.
    let known = verbs::properties(systemd, &request.name).is_ok_and(|(_, s)| s.installed);
    let exists = path.symlink_metadata().is_ok() || known;
    if exists && mode == InstallMode::CreateOnly {
        return Err(ControlError::AlreadyInstalled(request.name.clone()));
    }
    let mut plan = Plan::new(request.name.clone());
    let verb = if exists { "replace" } else { "write" };
    plan.push(
        Origin::Explicit,
        format!("{verb} unit file {}", path.display()),
        SystemdAction::WriteUnit {
            path,
            contents,
            replace: exists,
        },
    );
    plan.push(
        Origin::Explicit,
        "reload the manager (daemon-reload)",
        SystemdAction::DaemonReload,
    );
    let start = &request.start;
    match start.value {
        StartType::Auto | StartType::Delayed => plan.push(
            start.origin,
            format!("enable {name} (start type {})", start_name(start.value)),
            SystemdAction::Enable { unit: name },
        ),
        StartType::Manual | StartType::Disabled if exists => plan.push(
            start.origin,
            format!("disable {name} (start type {})", start_name(start.value)),
            SystemdAction::Disable { unit: name },
        ),
        StartType::Manual | StartType::Disabled => {}
    }
    Ok(plan)
}

fn start_name(start: StartType) -> &'static str {
    match start {
        StartType::Auto => "auto",
        StartType::Delayed => "delayed",
        StartType::Manual => "manual",
        StartType::Disabled => "disabled",
    }
}

/// What to do to take back a step that succeeded.
#[derive(Debug)]
enum Undo {
    RemoveFile(PathBuf),
    RestoreFile(PathBuf, Vec<u8>),
    Enable(String),
    Disable(String),
}

/// Executes the steps in order; on failure undoes the done ones in reverse and reloads.
pub(crate) fn execute(systemd: &Systemd, plan: &Plan<SystemdAction>) -> Result<(), ControlError> {
    let mut undo = Vec::new();
    for step in &plan.steps {
        if let Err(error) = run_step(systemd, &plan.service, step, &mut undo) {
            rollback(systemd, &plan.service, undo);
            return Err(error);
        }
    }
    Ok(())
}

fn run_step(
    systemd: &Systemd,
    service: &str,
    step: &PlannedStep<SystemdAction>,
    undo: &mut Vec<Undo>,
) -> Result<(), ControlError> {
    let ctl = &systemd.systemctl;
    match &step.action {
        SystemdAction::WriteUnit {
            path,
            contents,
            replace,
        } => {
            let previous = if *replace { fs::read(path).ok() } else { None };
            write_unit(path, contents.as_bytes(), *replace)
                .map_err(|e| write_error(service, path, e))?;
            undo.push(match previous {
                Some(old) => Undo::RestoreFile(path.clone(), old),
                None => Undo::RemoveFile(path.clone()),
            });
        }
        SystemdAction::DaemonReload => {
            ctl.run(service, "install", &["daemon-reload"])?;
        }
        SystemdAction::Enable { unit } => {
            let was = enabled(systemd, service);
            ctl.run(service, "install", &["enable", unit])?;
            if !was {
                undo.push(Undo::Disable(unit.clone()));
            }
        }
        SystemdAction::Disable { unit } => {
            let was = enabled(systemd, service);
            ctl.run(service, "install", &["disable", unit])?;
            if was {
                undo.push(Undo::Enable(unit.clone()));
            }
        }
    }
    Ok(())
}

fn enabled(systemd: &Systemd, service: &str) -> bool {
    verbs::properties(systemd, service).is_ok_and(|(p, _)| {
        p.get("UnitFileState")
            .is_some_and(|s| s.starts_with("enabled"))
    })
}

fn write_error(service: &str, path: &Path, e: io::Error) -> ControlError {
    match e.kind() {
        io::ErrorKind::PermissionDenied => ControlError::AccessDenied {
            privileged: "root",
            operation: "install",
            service: service.to_owned(),
        },
        io::ErrorKind::AlreadyExists => ControlError::AlreadyInstalled(service.to_owned()),
        _ => ControlError::Os {
            service: service.to_owned(),
            operation: format!("write unit file {}", path.display()),
            source: e,
        },
    }
}

/// Undoes in reverse order; failures are logged, the original error is what the caller sees.
fn rollback(systemd: &Systemd, service: &str, undo: Vec<Undo>) {
    let ctl = &systemd.systemctl;
    for step in undo.into_iter().rev() {
        let result = match &step {
            Undo::RemoveFile(path) => fs::remove_file(path).map_err(|e| e.to_string()),
            Undo::RestoreFile(path, old) => write_unit(path, old, true).map_err(|e| e.to_string()),
            Undo::Enable(unit) => ctl
                .run(service, "install", &["enable", unit])
                .map(drop)
                .map_err(|e| e.to_string()),
            Undo::Disable(unit) => ctl
                .run(service, "install", &["disable", unit])
                .map(drop)
                .map_err(|e| e.to_string()),
        };
        if let Err(e) = result {
            tracing::warn!(service, ?step, error = %e, "rolling back a systemd install step failed");
        }
    }
    if let Err(e) = ctl.run(service, "install", &["daemon-reload"]) {
        tracing::warn!(service, error = %e, "daemon-reload after rollback failed");
    }
}

/// Writes `contents` to `path` atomically: a temporary file in the same directory, flushed, then
/// renamed over `path` (`replace`) or hard-linked to it, which fails if `path` exists.
pub(crate) fn write_unit(path: &Path, contents: &[u8], replace: bool) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(".{file_name}.steward-{}.tmp", std::process::id()));
    // A fresh user's `~/.config/systemd/user` may not exist yet.
    fs::create_dir_all(dir)?;
    let written = (|| {
        let mut file = fs::File::create(&temp)?;
        file.write_all(contents)?;
        file.sync_all()?;
        if replace {
            fs::rename(&temp, path)
        } else {
            fs::hard_link(&temp, path)
        }
    })();
    // After a rename the temporary name is gone already; after a link it must go.
    let _ = fs::remove_file(&temp);
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(label: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("steward-unit-{label}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("scratch dir");
        dir
    }

    #[test]
    fn writing_a_new_unit_never_replaces_an_existing_one() {
        let dir = scratch("new");
        let path = dir.join("not/yet/a.service");
        write_unit(&path, b"one", false).expect("first write");
        let e = write_unit(&path, b"two", false).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(&path).unwrap(), b"one");
        write_unit(&path, b"three", true).expect("replace");
        assert_eq!(fs::read(&path).unwrap(), b"three");
        let left: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(left.len(), 1, "temporary files left: {left:?}");
        fs::remove_dir_all(&dir).unwrap();
    }
}
