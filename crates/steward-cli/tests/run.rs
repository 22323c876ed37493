//! `steward run` end to end on Linux: the bundled example, the quick form, exit codes, a graceful
//! stop, and an invalid config.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn steward() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_steward"));
    // State files go to a temporary directory, not to /run/steward.
    let state = std::env::temp_dir().join(format!("steward-cli-run-state-{}", std::process::id()));
    command.current_dir(root()).env("STEWARD_STATE_DIR", state);
    command
}

#[test]
fn bundled_example_ticks_and_stops_gracefully_on_sigterm() {
    let mut child = steward()
        .args(["run", "--config", "examples/wrapped/steward.toml"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert_eq!(line, "tick\n");
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "a graceful stop is a clean exit");
}

#[test]
fn quick_form_runs_the_program_with_its_arguments() {
    let dir = std::env::temp_dir().join(format!("steward-cli-quick-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let marker = dir.join("marker");
    // Exits 0 after writing its arguments: a success under the default on-failure policy.
    let output = steward()
        .args([
            "run",
            "--",
            "/bin/sh",
            "-c",
            r#"echo "$0 $1" > "$2""#,
            "a b",
            "c",
        ])
        .arg(&marker)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_eq!(std::fs::read_to_string(&marker).unwrap(), "a b c\n");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_failed_program_ends_steward_with_its_exit_code() {
    let dir = std::env::temp_dir().join(format!("steward-cli-fail-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("steward.toml");
    std::fs::write(
        &config,
        "[service]\nname = \"fails\"\n[program]\ncommand = \"/bin/sh\"\nargs = [\"-c\", \"exit 3\"]\n[restart]\npolicy = \"never\"\n",
    )
    .unwrap();
    let output = steward()
        .arg("run")
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3), "{output:?}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("exit code 3"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_invalid_config_prints_every_error_and_exits_78() {
    let output = steward()
        .args([
            "run",
            "--config",
            "crates/steward-cli/tests/configs/semantic.toml",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(78), "{output:?}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    let lines: Vec<&str> = stderr.lines().collect();
    let errors = lines
        .iter()
        .take_while(|line| line.starts_with("crates/steward-cli/tests/configs/semantic.toml:"))
        .count();
    assert_eq!(errors, 5, "every error first, one line each: {stderr}");
    assert!(
        lines[0].starts_with("crates/steward-cli/tests/configs/semantic.toml:2:8: service.name"),
        "{stderr}"
    );
    // Then the failure: logged (here to stderr, the log of last resort) and the `error:` line.
    assert!(
        lines[errors..]
            .iter()
            .all(|line| line.contains("invalid config")),
        "{stderr}"
    );
    assert!(
        lines.last().unwrap().starts_with("error: ") && lines.len() <= errors + 2,
        "{stderr}"
    );
}
