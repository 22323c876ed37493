//! `steward check` on example configs with errors: every error, one line each, with line:col.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn configs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/configs")
}

/// Runs `steward ARGS` in `dir`.
fn steward(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_steward"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run the steward binary")
}

/// `steward check --config FILE` in the configs directory: (exit code, stdout, stderr lines).
fn check(file: &str) -> (i32, String, Vec<String>) {
    let output = steward(&configs(), &["check", "--config", file]);
    let stderr = String::from_utf8(output.stderr).unwrap();
    (
        output.status.code().expect("exit code"),
        String::from_utf8(output.stdout).unwrap(),
        stderr.lines().map(str::to_owned).collect(),
    )
}

#[test]
fn unknown_key() {
    let (code, stdout, stderr) = check("unknown_key.toml");
    assert_eq!(code, 1);
    assert_eq!(stdout, "");
    assert_eq!(
        stderr,
        [
            "unknown_key.toml:7:1: unknown key `stop_timout` in [program] (did you mean `stop_timeout`?); expected one of: command, args, cwd, env, stop_timeout, stop_signal",
            "error: unknown_key.toml: 1 error",
        ]
    );
}

#[test]
fn bad_duration() {
    let (code, _, stderr) = check("bad_duration.toml");
    assert_eq!(code, 1);
    assert_eq!(
        stderr,
        [
            r#"bad_duration.toml:8:9: restart.delay = "10 parsecs": expected a duration such as "250ms", "10s", "5m" or "1h" (unknown unit "parsecs")"#,
            r#"bad_duration.toml:9:13: restart.max_delay = "30": expected a duration such as "250ms", "10s", "5m" or "1h" (the unit is missing)"#,
            "error: bad_duration.toml: 2 errors",
        ]
    );
}

#[test]
fn missing_command() {
    let (code, _, stderr) = check("missing_command.toml");
    assert_eq!(code, 1);
    assert_eq!(
        stderr,
        [
            "missing_command.toml:4:1: missing key `program.command`: the program to run: a path or a name found in PATH",
            "error: missing_command.toml: 1 error",
        ]
    );
}

#[test]
fn registry_errors_name_the_key() {
    let (code, _, stderr) = check("registry_errors.toml");
    assert_eq!(code, 1);
    assert_eq!(stderr.len(), 3, "{stderr:#?}");
    assert!(
        stderr[0].starts_with("registry_errors.toml:9:7: registry.ttl = \"2500ms\""),
        "{stderr:#?}"
    );
    assert!(
        stderr[1].starts_with("registry_errors.toml:10:15: registry.instance_id = \"leader\""),
        "{stderr:#?}"
    );
    assert_eq!(stderr[2], "error: registry_errors.toml: 2 errors");
}

#[test]
fn every_semantic_error_at_once() {
    let (code, _, stderr) = check("semantic.toml");
    assert_eq!(code, 1);
    let positions: Vec<&str> = stderr
        .iter()
        .map(|line| {
            line.rsplit_once(".toml:")
                .map_or(line.as_str(), |(_, rest)| rest)
        })
        .map(|rest| rest.split(": ").next().unwrap())
        .collect();
    assert_eq!(
        positions,
        ["2:8", "3:11", "6:11", "10:13", "11:25", " 5 errors"],
        "{stderr:#?}"
    );
    assert_eq!(
        stderr[1],
        r#"semantic.toml:3:11: service.account = "root": expected one of "LocalSystem", "LocalService", "NetworkService", "virtual", or 'DOMAIN\user'"#
    );
    assert_eq!(
        stderr[3],
        r#"semantic.toml:10:13: restart.max_delay = "1s": expected at least restart.delay (10s)"#
    );
    assert_eq!(
        stderr[4],
        "semantic.toml:11:25: restart.start_limit.burst = 0: expected a number of starts of at least 1"
    );
}

#[test]
fn syntax_error() {
    let (code, _, stderr) = check("syntax.toml");
    assert_eq!(code, 1);
    assert!(
        stderr[0].starts_with("syntax.toml:6:23: invalid TOML: "),
        "{stderr:#?}"
    );
}

#[test]
fn valid_config_prints_ok_and_a_summary() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/wrapped");
    let output = steward(&example, &["check"]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        "ok: tick (program /bin/sh, restart on-failure: 1s growing to 30s, at most 5 starts per 1m)\n"
    );
    assert!(output.stderr.is_empty());
}

#[test]
fn config_defaults_to_steward_toml_in_the_current_directory() {
    let output = steward(&configs(), &["check"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.starts_with("steward.toml:1:1: cannot read the config file: "),
        "{stderr}"
    );
}

#[test]
fn package_without_a_config_fails_naming_it() {
    let output = steward(&configs(), &["package", "--dry-run"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.starts_with("steward.toml:1:1: cannot read the config file: "),
        "{stderr}"
    );
}

#[test]
fn bad_command_line_exits_2() {
    let output = steward(&configs(), &["start", "web", "--timeout", "5"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("(the unit is missing)"), "{stderr}");
    assert_eq!(steward(&configs(), &["frobnicate"]).status.code(), Some(2));
}
