//! A wrapped program installed with `steward install --config` under Wine's service manager:
//! steward.exe and its config in a directory with spaces, wrapping `fixture-child.exe --hang`.
//! The image path is the quoted steward.exe followed by `run --config "<absolute config>"`, the
//! account LocalService; `start --wait`, `status --json` (service manager and supervisor state
//! file), `stop --wait` (the child is gone), `uninstall`.
//!
//! Wine runs every service as the prefix's one user, whatever `ObjectName` says: the account is
//! stored and read back, but LocalService's restricted rights are not exercised here. The state
//! file under `%ProgramData%\steward\<name>\state.json` is therefore written with that user's
//! rights.
//!
//! Regression: Wine gives services `ProgramData=C:\users\Public` while a shell gets
//! `C:\ProgramData`, so a state file placed by the variable was written where `status` never
//! looked. steward now asks for the ProgramData known folder, which both agree on; the test
//! checks the file is where `status` reads it, `C:\ProgramData\steward\<name>\state.json`.
#![cfg(target_os = "linux")]

mod common;

use common::{DEADLINE, bench, eventually, steward, write};
use steward_wine_bench::{BenchError, service_key};

/// Where steward.exe, the fixture and the config go: a path with spaces.
const DIR: &str = r"C:\Program Files\Steward Wrapped";
/// The service's name.
const NAME: &str = "tick";

fn place(package: &str, bin: &str, file: &str) -> Result<String, BenchError> {
    common::place(DIR, package, bin, file)
}

/// `status NAME --json`, parsed.
fn status(exe: &str) -> Result<serde_json::Value, BenchError> {
    let line = steward(exe, &["status", NAME, "--json"])?;
    Ok(serde_json::from_str(line.trim()).unwrap_or_else(|e| panic!("{line}: {e}")))
}

/// Whether PID runs, asked inside Wine.
fn alive(fixture: &str, pid: u64) -> Result<bool, BenchError> {
    let out = bench().run(fixture, &["pid-alive", &pid.to_string()], "-all", DEADLINE)?;
    match out.stdout.trim() {
        "alive" => Ok(true),
        "gone" => Ok(false),
        other => panic!("pid-alive {pid}: {other:?} {}", out.stderr),
    }
}

#[test]
fn a_wrapped_program_installs_runs_reports_and_stops_under_wine() -> Result<(), BenchError> {
    let exe = place("steward-cli", "steward", "steward.exe")?;
    let fixture = place("fixture-child", "fixture-child", "fixture-child.exe")?;
    let config = format!(r"{DIR}\steward.toml");
    let text = format!(
        "[service]\nname = \"{NAME}\"\ndisplay_name = \"Tick\"\n\
         [program]\ncommand = '{fixture}'\nargs = [\"--hang\"]\nstop_timeout = \"10s\"\n"
    );
    write(&config, &text)?;

    steward(&exe, &["install", "--config", &config])?;
    let reg = bench().reg_query(&service_key(NAME), None)?;
    let image = format!("\"{exe}\" run --config \"{config}\"");
    assert_eq!(reg["ImagePath"].as_str(), Some(image.as_str()), "{reg:?}");
    assert_eq!(
        reg["ObjectName"].as_str(),
        Some(r"NT AUTHORITY\LocalService"),
        "{reg:?}"
    );

    let line = steward(&exe, &["start", NAME, "--wait"])?;
    assert!(line.contains("running"), "{line}");

    // The service wrote its state file in the ProgramData known folder (see the module docs).
    let state_dir = bench().to_unix(r"C:\ProgramData\steward")?;
    let written = eventually(DEADLINE, || {
        Ok(state_dir.join(NAME).join("state.json").is_file())
    })?;
    assert!(written, "no state file under {}", state_dir.display());
    // The supervisor records the child once it runs; poll for it.
    let mut json = status(&exe)?;
    let has_child = |j: &serde_json::Value| j["supervisor"]["pid"].as_u64().is_some();
    let found = eventually(DEADLINE, || {
        json = status(&exe)?;
        Ok(has_child(&json))
    })?;
    assert!(found, "no supervisor pid in {json}");
    println!("status: {json}");
    assert_eq!(json["state"], "running", "{json}");
    assert_eq!(json["account"], r"NT AUTHORITY\LocalService", "{json}");
    let supervisor = &json["supervisor"];
    assert_eq!(supervisor["state"], "running", "{json}");
    assert_eq!(supervisor["restarts"], 0, "{json}");
    assert_eq!(supervisor["stale"], false, "{json}");
    assert_eq!(
        supervisor["supervisor_pid"].as_u64(),
        json["pid"].as_u64(),
        "the state file is the running service's: {json}"
    );
    let state_file = supervisor["state_file"].as_str().unwrap_or_default();
    assert!(
        state_file.ends_with(&format!(r"\steward\{NAME}\state.json")),
        "{json}"
    );
    let child = supervisor["pid"].as_u64().expect("a child pid");
    assert!(alive(&fixture, child)?, "child {child} runs");

    let line = steward(&exe, &["stop", NAME, "--wait"])?;
    assert!(line.contains("stopped"), "{line}");
    assert!(
        eventually(DEADLINE, || Ok(!alive(&fixture, child)?))?,
        "child {child} survived the stop"
    );
    let json = status(&exe)?;
    assert_eq!(json["state"], "stopped", "{json}");
    assert_eq!(json["win32_exit_code"], 0, "{json}");
    assert_eq!(json["supervisor"]["state"], "stopped", "{json}");

    steward(&exe, &["uninstall", NAME])?;
    assert!(matches!(
        bench().reg_query(&service_key(NAME), None),
        Err(BenchError::RegistryNotFound { .. })
    ));
    Ok(())
}
