//! `steward install --config FILE` for a wrapped program, end to end against the real, isolated
//! systemd user manager of `steward-systemd-bench`: `--print` changes nothing; install registers
//! this steward binary with `run --config <absolute config>`; start, status (with the
//! supervisor's state file), stop (the wrapped program is gone), restart, uninstall; and a
//! program that keeps crashing ends the unit failed with the program's exit code.
//!
//! Needs root (the bench creates cgroups and a private mount namespace).
#![cfg(target_os = "linux")]

mod common;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use common::*;

/// Install and uninstall reload the manager, which resets every unit's start rate limit: the
/// tests of this file run one at a time so the crash loop's count is not reset under it.
static SERIAL: Mutex<()> = Mutex::new(());

/// Uninstalls the service when dropped, so a failing test leaves nothing running.
struct Installed(String);

impl Drop for Installed {
    fn drop(&mut self) {
        let _ = steward().args(["uninstall", &self.0]).output();
    }
}

/// The unit file as steward names it (through the config home's link to the unit directory).
fn unit_file(name: &str) -> PathBuf {
    config_home()
        .join("systemd/user")
        .join(format!("{name}.service"))
}

fn pid_file(dir: &Path) -> u64 {
    wait_for("the wrapped program's pid file", || {
        let text = std::fs::read_to_string(dir.join("pid")).unwrap_or_default();
        (text.trim().parse::<u64>().ok(), text)
    })
}

#[test]
fn install_start_status_stop_restart_uninstall() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let dir = bench().temp_dir("wrapped").unwrap();
    let name = bench().unique_name("wrapped");
    let config = write_config(
        &dir,
        &format!(
            "[service]\nname = \"{name}\"\ndescription = \"a wrapped shell\"\n{}",
            sh_program(&crash_then_run(&dir, 0))
        ),
    );
    let steward_exe = env!("CARGO_BIN_EXE_steward");
    let exec_start = format!("{steward_exe} run --config {}", config.display());

    // A relative --config still registers the absolute path.
    let printed =
        ok(steward()
            .current_dir(&dir)
            .args(["install", "--config", "steward.toml", "--print"]));
    eprintln!("{printed}");
    assert!(
        printed.starts_with(&format!("plan for service '{name}':")),
        "{printed}"
    );
    assert!(
        printed.contains(&format!("--- {} ---", unit_file(&name).display())),
        "{printed}"
    );
    assert!(
        printed.contains(&format!("ExecStart={exec_start}")),
        "{printed}"
    );
    assert!(!unit_file(&name).exists(), "--print wrote the unit file");

    let installed = ok(steward()
        .current_dir(&dir)
        .args(["install", "--config", "steward.toml"]));
    let _guard = Installed(name.clone());
    assert_eq!(
        installed.trim(),
        format!("installed service '{name}': {exec_start}")
    );
    let unit = std::fs::read_to_string(unit_file(&name)).unwrap();
    assert!(
        unit.contains(&format!("ExecStart={exec_start}\n")),
        "{unit}"
    );
    let json = status_json(&name);
    assert_eq!(json["installed"], true, "{json}");
    assert_eq!(json["state"], "stopped", "{json}");
    assert_eq!(json["binary_path"], steward_exe, "{json}");

    ok(steward().args(["start", &name, "--wait"]));
    let child = pid_file(&dir);
    let json = status_json(&name);
    eprintln!("{json}");
    assert_eq!(json["state"], "running", "{json}");
    let main_pid = json["pid"].as_u64().expect("steward's pid");
    let supervisor = &json["supervisor"];
    assert_eq!(supervisor["state"], "running", "{json}");
    assert_eq!(supervisor["pid"], child, "{json}");
    assert_eq!(supervisor["supervisor_pid"], main_pid, "{json}");
    assert_eq!(supervisor["restarts"], 0, "{json}");
    let state_file = bench()
        .runtime_dir()
        .join("steward")
        .join(&name)
        .join("state.json");
    assert_eq!(
        supervisor["state_file"],
        state_file.to_str().unwrap(),
        "{json}"
    );
    let text = ok(steward().args(["status", &name]));
    eprintln!("{text}");
    assert!(
        text.contains(&format!("state       running (pid {main_pid})")),
        "{text}"
    );
    assert!(
        text.contains(&format!("supervisor  running, program pid {child}")),
        "{text}"
    );

    ok(steward().args(["stop", &name, "--wait"]));
    assert!(
        !alive(child),
        "the wrapped program {child} survived the stop"
    );
    let json = status_json(&name);
    assert_eq!(json["state"], "stopped", "{json}");
    assert_eq!(json["service_exit_code"], 0, "{json}");
    assert_eq!(json["supervisor"]["state"], "stopped", "{json}");
    assert!(json["supervisor"]["pid"].is_null(), "{json}");

    std::fs::remove_file(dir.join("pid")).unwrap();
    ok(steward().args(["restart", &name, "--wait"]));
    let second = pid_file(&dir);
    assert_ne!(second, child);
    assert!(alive(second));
    assert_eq!(status_json(&name)["supervisor"]["pid"], second);

    ok(steward().args(["uninstall", &name]));
    assert!(
        !alive(second),
        "the wrapped program {second} survived the uninstall"
    );
    assert!(!unit_file(&name).exists(), "the unit file is still there");
    let json = status_json(&name);
    assert_eq!(json["installed"], false, "{json}");
}

#[test]
fn a_program_that_keeps_crashing_fails_the_unit_with_its_exit_code() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let dir = bench().temp_dir("crashing").unwrap();
    let name = bench().unique_name("crashing");
    let config = write_config(
        &dir,
        &format!(
            "[service]\nname = \"{name}\"\n{}[restart]\npolicy = \"on-failure\"\ndelay = \"10ms\"\njitter = 0.0\nstart_limit = {{ burst = 2, interval = \"60s\" }}\n",
            sh_program("exit 3")
        ),
    );
    ok(steward().arg("install").arg("--config").arg(&config));
    let _guard = Installed(name.clone());
    ok(steward().args(["start", &name]));
    let unit = format!("{name}.service");
    let props = bench()
        .wait_for_property(&unit, "ActiveState", "failed", WAIT)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        props.get("ExecMainStatus").map(String::as_str),
        Some("3"),
        "{props:?}"
    );
    let json = status_json(&name);
    eprintln!("{json}");
    assert_eq!(json["state"], "failed", "{json}");
    assert_eq!(json["service_exit_code"], 3, "{json}");
    let supervisor = &json["supervisor"];
    assert_eq!(supervisor["state"], "failed", "{json}");
    assert_eq!(supervisor["last_exit_code"], 3, "{json}");
    assert_eq!(supervisor["stale"], false, "{json}");
    let text = ok(steward().args(["status", &name]));
    assert!(text.contains("failed (exit code 3)"), "{text}");
}
