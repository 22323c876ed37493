//! Small helpers of the bench: the directory layout of one manager and polling with a deadline.

use std::collections::HashMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use crate::error::{BenchError, Result};

/// Poll interval of every wait.
const POLL: Duration = Duration::from_millis(10);

fn create_dirs(dirs: &[&Path]) -> Result<()> {
    for dir in dirs {
        fs::create_dir_all(dir)
            .map_err(|e| BenchError::io(format!("creating {}", dir.display()), e))?;
    }
    Ok(())
}

/// The directories of one manager, all under its temporary root.
pub(crate) struct Layout {
    pub(crate) units: PathBuf,
    pub(crate) runtime: PathBuf,
    pub(crate) run_systemd: PathBuf,
    pub(crate) empty: PathBuf,
    pub(crate) home: PathBuf,
    pub(crate) scratch: PathBuf,
    pub(crate) others: Vec<PathBuf>,
}

impl Layout {
    pub(crate) fn new(root: &Path) -> Layout {
        Layout {
            units: root.join("units"),
            runtime: root.join("runtime"),
            run_systemd: root.join("run-systemd"),
            empty: root.join("empty"),
            home: root.join("home"),
            scratch: root.join("tmp"),
            others: ["config", "data", "state", "cache"]
                .iter()
                .map(|d| root.join(d))
                .collect(),
        }
    }

    pub(crate) fn create(&self) -> Result<()> {
        let system = self.run_systemd.join("system");
        let journal = self.run_systemd.join("journal");
        let mut dirs = vec![
            &*self.units,
            &self.runtime,
            &system,
            &journal,
            &self.empty,
            &self.home,
            &self.scratch,
        ];
        dirs.extend(self.others.iter().map(PathBuf::as_path));
        create_dirs(&dirs)?;
        fs::set_permissions(&self.runtime, fs::Permissions::from_mode(0o700))
            .map_err(|e| BenchError::io("making the runtime directory private", e))
    }
}

/// Calls `step` every 10 ms until it yields a value, fails, or `timeout` passes.
pub(crate) fn poll_until<T>(
    what: &str,
    timeout: Duration,
    mut step: impl FnMut() -> Result<Option<T>>,
) -> Result<T> {
    let began = Instant::now();
    loop {
        if let Some(value) = step()? {
            return Ok(value);
        }
        if began.elapsed() >= timeout {
            return Err(BenchError::Timeout {
                what: what.to_owned(),
                waited: timeout,
                last: String::new(),
            });
        }
        thread::sleep(POLL);
    }
}

pub(crate) fn summarize(props: &HashMap<String, String>) -> String {
    const KEYS: [&str; 7] = [
        "LoadState",
        "ActiveState",
        "SubState",
        "Result",
        "NRestarts",
        "ExecMainStatus",
        "StatusText",
    ];
    let parts: Vec<String> = KEYS
        .iter()
        .filter_map(|k| props.get(*k).map(|v| format!("{k}={v}")))
        .collect();
    parts.join(" ")
}
