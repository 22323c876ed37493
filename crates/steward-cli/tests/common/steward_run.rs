//! A `steward run` process owned by a Linux test or by the failover benchmark (which includes
//! this file with `#[path]`): started in a directory of its own, signalled, waited for with a
//! deadline, and stopped (SIGTERM, then SIGKILL) when dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// How long a stop may take before the drop guard kills.
const STOP_WAIT: Duration = Duration::from_secs(30);

/// `steward run --config DIR/steward.toml`, state in `DIR/state`, stderr in `DIR/steward.log`.
pub struct StewardRun {
    child: Child,
    dir: PathBuf,
    label: String,
}

impl StewardRun {
    /// Writes `config` to `dir/steward.toml` and starts `steward run` on it; `label` names it
    /// in [`log`](StewardRun::log).
    pub fn start(dir: &Path, label: &str, config: &str) -> StewardRun {
        std::fs::create_dir_all(dir).expect("steward dir");
        let path = dir.join("steward.toml");
        std::fs::write(&path, config).expect("write the config");
        let log = std::fs::File::create(dir.join("steward.log")).expect("steward log");
        let child = Command::new(env!("CARGO_BIN_EXE_steward"))
            .args(["run", "--config"])
            .arg(&path)
            .env("STEWARD_STATE_DIR", dir.join("state"))
            .env("RUST_LOG", "steward=debug,steward_registry=debug,info")
            .env_remove("NOTIFY_SOCKET")
            .env_remove("INVOCATION_ID")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawn steward run");
        StewardRun {
            child,
            dir: dir.to_path_buf(),
            label: label.to_owned(),
        }
    }

    /// steward's PID.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Its stderr so far, under a header naming it.
    pub fn log(&self) -> String {
        let text = std::fs::read_to_string(self.dir.join("steward.log")).unwrap_or_default();
        format!(
            "--- steward {} ({}):\n{text}",
            self.label,
            self.dir.display()
        )
    }

    /// Whether it still runs.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Sends SIGTERM without waiting.
    pub fn terminate(&self) {
        signal("TERM", self.pid());
    }

    /// Waits for the exit; panics with the log after `within`.
    pub fn wait_exit(&mut self, within: Duration) -> ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "steward did not exit\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// SIGTERM, then waits for the exit.
    pub fn stop(&mut self) -> ExitStatus {
        self.terminate();
        self.wait_exit(STOP_WAIT)
    }

    /// SIGKILL, then reaps; returns when the kill was sent.
    pub fn kill9(&mut self) -> Instant {
        let _ = self.child.kill();
        let killed = Instant::now();
        let _ = self.child.wait();
        killed
    }
}

impl Drop for StewardRun {
    fn drop(&mut self) {
        if !self.running() {
            return;
        }
        self.terminate();
        let deadline = Instant::now() + STOP_WAIT;
        while Instant::now() < deadline {
            if !self.running() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        self.kill9();
    }
}

/// Sends signal `name` (`TERM`, `KILL`, ...) to `pid` with kill(1).
pub fn signal(name: &str, pid: u32) {
    let _ = Command::new("kill")
        .args([format!("-{name}"), pid.to_string()])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .status();
}
