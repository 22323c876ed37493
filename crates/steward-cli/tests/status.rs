//! `steward status NAME --json` shows what `steward run` records in its state file: restarts,
//! the last exit and the program's PID while it runs, then the stopped state. The service manager
//! is the bench's systemd user manager, where the service is not installed: that is a status.
//!
//! Needs root (the bench creates cgroups and a private mount namespace).
#![cfg(target_os = "linux")]

mod common;

use std::process::{Command, Stdio};

use common::*;

#[test]
fn status_shows_the_supervisor_of_a_console_run() {
    let dir = bench().temp_dir("status-run").unwrap();
    let state_dir = dir.join("state");
    let name = bench().unique_name("status-run");
    let config = write_config(
        &dir,
        &format!(
            "[service]\nname = \"{name}\"\n{}[restart]\npolicy = \"on-failure\"\ndelay = \"50ms\"\njitter = 0.0\n",
            sh_program(&crash_then_run(&dir, 2))
        ),
    );
    let mut run = Command::new(env!("CARGO_BIN_EXE_steward"))
        .args(["run", "--config"])
        .arg(&config)
        .env("STEWARD_STATE_DIR", &state_dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let status = |name: &str| {
        let mut command = steward();
        command.env("STEWARD_STATE_DIR", &state_dir);
        let text = ok(command.args(["status", name, "--json"]));
        serde_json::from_str::<serde_json::Value>(&text).unwrap()
    };

    let json = wait_for("the program to run after two crashes", || {
        let json = status(&name);
        let running =
            json["supervisor"]["state"] == "running" && json["supervisor"]["restarts"] == 2;
        (running.then(|| json.clone()), json.to_string())
    });
    eprintln!("{json}");
    assert_eq!(json["installed"], false, "{json}");
    assert!(json["state"].is_null(), "{json}");
    let supervisor = &json["supervisor"];
    assert_eq!(supervisor["supervisor_pid"], run.id(), "{json}");
    assert_eq!(supervisor["last_exit_code"], 3, "{json}");
    assert!(supervisor["last_exit_signal"].is_null(), "{json}");
    assert!(supervisor["last_exit_time"].is_string(), "{json}");
    assert_eq!(supervisor["stale"], false, "{json}");
    assert_eq!(
        supervisor["state_file"],
        state_dir.join(&name).join("state.json").to_str().unwrap()
    );
    let pid = supervisor["pid"].as_u64().expect("the program's pid");
    let written = wait_for("the program's pid file", || {
        let text = std::fs::read_to_string(dir.join("pid")).unwrap_or_default();
        (text.trim().parse::<u64>().ok(), text)
    });
    assert_eq!(pid, written, "the pid is the running program's");
    assert!(alive(pid));

    let mut text_form = steward();
    text_form.env("STEWARD_STATE_DIR", &state_dir);
    let text = ok(text_form.args(["status", &name]));
    eprintln!("{text}");
    assert!(text.contains("not installed"), "{text}");
    assert!(
        text.contains(&format!("supervisor  running, program pid {pid}")),
        "{text}"
    );
    assert!(text.contains("restarts    2"), "{text}");
    assert!(text.contains("last exit   exit code 3 at "), "{text}");

    let kill = Command::new("kill")
        .args(["-TERM", &run.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    assert_eq!(run.wait().unwrap().code(), Some(0), "a graceful stop");
    let json = status(&name);
    assert_eq!(json["supervisor"]["state"], "stopped", "{json}");
    assert!(json["supervisor"]["pid"].is_null(), "{json}");
    assert!(!alive(pid), "the program is gone");
}

#[test]
fn status_without_a_state_file_has_a_null_supervisor() {
    let dir = bench().temp_dir("status-none").unwrap();
    let mut command = steward();
    command.env("STEWARD_STATE_DIR", &dir);
    let json: serde_json::Value =
        serde_json::from_str(&ok(command.args(["status", "nothing-here", "--json"]))).unwrap();
    assert_eq!(json["installed"], false, "{json}");
    assert!(json["supervisor"].is_null(), "{json}");
}
