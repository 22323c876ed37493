//! Helpers shared by the Linux end-to-end suites of the `steward` binary: the bench's systemd
//! user manager, `steward` pointed at it, configs, and polling with a deadline.
#![allow(dead_code)] // each suite uses a different subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use steward_systemd_bench::{UserManager, shared};

pub mod procs;
pub mod steward_run;
#[allow(unused_imports)] // each suite uses a different subset
pub use procs::alive;

/// Deadline of every wait.
pub const WAIT: Duration = Duration::from_secs(30);

/// The manager shared by the suite's tests.
pub fn bench() -> &'static UserManager {
    shared().unwrap_or_else(|e| panic!("cannot start the systemd user manager: {e}"))
}

/// `steward`, acting on the bench's user manager (`STEWARD_SYSTEMD_SCOPE=user` plus its
/// environment), with `XDG_CONFIG_HOME` set so the unit directory steward writes to
/// (`$XDG_CONFIG_HOME/systemd/user`) is the one the manager loads units from.
pub fn steward() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_steward"));
    bench().apply_env(&mut command);
    command
        .env("STEWARD_SYSTEMD_SCOPE", "user")
        .env("XDG_CONFIG_HOME", config_home())
        .env_remove("STEWARD_STATE_DIR");
    command
}

/// A config home whose `systemd/user` is the bench's unit directory (a symlink), made once.
pub fn config_home() -> PathBuf {
    static HOME: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    HOME.get_or_init(|| {
        let home = bench().temp_dir("config-home").expect("temp dir");
        std::fs::create_dir_all(home.join("systemd")).unwrap();
        std::os::unix::fs::symlink(bench().units_dir(), home.join("systemd/user")).unwrap();
        home
    })
    .clone()
}

/// Runs `command`, asserting it succeeds, and returns its stdout.
pub fn ok(command: &mut Command) -> String {
    let output = command.output().expect("running steward");
    assert!(
        output.status.success(),
        "{command:?}: {}",
        describe(&output)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Exit status, stdout and stderr, for assertion messages.
pub fn describe(output: &Output) -> String {
    format!(
        "{}\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// `steward status NAME --json`, parsed.
pub fn status_json(name: &str) -> serde_json::Value {
    let text = ok(steward().args(["status", name, "--json"]));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// Polls `probe` every 50 ms until it returns `Some`, failing after [`WAIT`] with `what` and the
/// last value seen.
pub fn wait_for<T: std::fmt::Debug>(
    what: &str,
    mut probe: impl FnMut() -> (Option<T>, String),
) -> T {
    let deadline = Instant::now() + WAIT;
    loop {
        let (found, last) = probe();
        if let Some(found) = found {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}; last seen: {last}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A shell script, as a `[program]` table running `/bin/sh -c SCRIPT`.
pub fn sh_program(script: &str) -> String {
    format!(
        "[program]\ncommand = \"/bin/sh\"\nargs = [\"-c\", {}]\nstop_timeout = \"5s\"\n",
        toml_string(script)
    )
}

/// `text` as a TOML basic string.
pub fn toml_string(text: &str) -> String {
    serde_json::to_string(text).unwrap()
}

/// Writes `steward.toml` into `dir` and returns its path.
pub fn write_config(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("steward.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// A script that fails `failures` times (counting in `dir/count`), then writes its PID to
/// `dir/pid` and sleeps.
pub fn crash_then_run(dir: &Path, failures: u32) -> String {
    let count = dir.join("count");
    let pid = dir.join("pid");
    format!(
        "n=$(cat '{count}' 2>/dev/null || echo 0); n=$((n+1)); echo $n > '{count}'; \
         if [ $n -le {failures} ]; then exit 3; fi; echo $$ > '{pid}.tmp'; mv '{pid}.tmp' '{pid}'; exec sleep 1000",
        count = count.display(),
        pid = pid.display(),
    )
}
