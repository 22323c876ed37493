//! The Event Log source of a service under Wine: `install` registers it
//! (`HKLM\SYSTEM\CurrentControlSet\Services\EventLog\Application\<name>` with `EventMessageFile`
//! = the service's executable and `TypesSupported` = 7), `uninstall` removes it; and the
//! lifecycle events of a running service reach Wine's `eventlog` debug channel with the type
//! of their level (`trace:` for information, `err:` for a failed service).
//!
//! The bench's holder runs with `WINEDEBUG=fixme-all,+eventlog`, so every `ReportEventW`
//! string of a service lands in [`WineBench::debug_log`]. (Wine does not print event IDs; the
//! IDs are covered by the unit tests of `steward-log` and the SCM plan.)
#![cfg(target_os = "linux")]

use std::time::Duration;

use steward_wine_bench::{BenchError, RegValue, WineBench, fresh_windows_exe};

/// How long one verb may take (a `--wait` inside it included).
const VERB_TIMEOUT: Duration = Duration::from_secs(90);
/// How long an event may take to reach the debug log.
const LOG_TIMEOUT: Duration = Duration::from_secs(60);
/// Where the test binaries go (a path with spaces).
const DIR: &str = r"C:\Program Files\Steward EventLog";

fn bench() -> &'static WineBench {
    steward_wine_bench::shared().unwrap_or_else(|e| panic!("Wine bench did not start: {e}"))
}

/// The Event Log source key of `name` (under HKLM).
fn source_key(name: &str) -> String {
    format!(r"SYSTEM\CurrentControlSet\Services\EventLog\Application\{name}")
}

/// A fresh Windows build of `package`'s `bin` copied to `DIR\<file>`: its Windows path.
fn place(package: &str, bin: &str, file: &str) -> Result<String, BenchError> {
    let exe = fresh_windows_exe(package, bin)?;
    bench().copy_into_prefix(&exe, &format!(r"{DIR}\{file}"))
}

/// Runs `exe` with `args`; asserts exit status 0 and returns stdout.
fn verb(exe: &str, args: &[&str]) -> Result<String, BenchError> {
    let out = bench().run(exe, args, "-all", VERB_TIMEOUT)?;
    assert_eq!(out.status.code(), Some(0), "{exe} {args:?}: {out:?}");
    Ok(out.stdout)
}

/// The `eventlog` channel (`err`, `warn`, `trace`) of the first debug-log line holding
/// `needle`, waiting for it to appear.
fn channel_of(needle: &str) -> Result<String, BenchError> {
    let log = bench().wait_for_debug_log(needle, LOG_TIMEOUT)?;
    let channel = log
        .lines()
        .filter(|l| l.contains(":eventlog:") && l.contains(needle))
        .find_map(|l| l.split(':').find(|p| ["err", "warn", "trace"].contains(p)))
        .unwrap_or_else(|| panic!("{needle:?} is not on an eventlog channel:\n{log}"));
    println!("{channel}:eventlog  {needle}");
    Ok(channel.to_owned())
}

/// Asserts that the source of `name` is not registered.
fn assert_no_source(name: &str) {
    match bench().reg_query(&source_key(name), None) {
        Err(BenchError::RegistryNotFound { .. }) => {}
        other => panic!("event source {name} still registered: {other:?}"),
    }
}

#[test]
fn install_registers_the_source_uninstall_removes_it_and_events_have_their_types()
-> Result<(), BenchError> {
    let name = "hello-service";
    let exe = place("hello-service", "hello-service", "hello-service.exe")?;
    assert_no_source(name);
    verb(&exe, &["install"])?;

    let reg = bench().reg_query(&source_key(name), None)?;
    println!("{}: {reg:?}", source_key(name));
    assert_eq!(
        reg["EventMessageFile"].as_str(),
        Some(exe.as_str()),
        "{reg:?}"
    );
    assert_eq!(reg["TypesSupported"], RegValue::Number(7), "{reg:?}");

    verb(&exe, &["start", "--wait"])?;
    // The service's own line and the runtime's, both information.
    assert_eq!(channel_of("Service started")?, "trace");
    assert_eq!(channel_of("service started")?, "trace");
    verb(&exe, &["stop", "--wait"])?;
    assert_eq!(channel_of("service stopped service=")?, "trace");

    verb(&exe, &["uninstall"])?;
    assert_no_source(name);
    // Uninstalling leaves nothing to remove a second time; a fresh install registers again.
    verb(&exe, &["install"])?;
    assert!(bench().reg_query(&source_key(name), None).is_ok());
    verb(&exe, &["uninstall"])?;
    assert_no_source(name);
    Ok(())
}

/// An install Wine refuses part of (delayed auto-start) is rolled back with its event source.
#[test]
fn a_rolled_back_install_leaves_no_event_source() -> Result<(), BenchError> {
    let name = "evt-refused";
    let exe = place("control-e2e", "control-fixture", &format!("{name}.exe"))?;
    let out = bench().run(
        &exe,
        &["install", "--start", "delayed"],
        "-all",
        VERB_TIMEOUT,
    )?;
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(out.stderr.contains("delayed auto-start"), "{out:?}");
    assert_no_source(name);
    Ok(())
}

/// steward.exe installed for a wrapped program that exits with 7 under `policy = "never"`:
/// the source is registered with steward.exe as its message file, and the failed service
/// reports on the `err` channel.
#[test]
fn a_failing_wrapped_service_reports_its_failure_as_an_error() -> Result<(), BenchError> {
    let name = "evt-wrapped-fail";
    let steward = place("steward-cli", "steward", "steward.exe")?;
    let child = place("fixture-child", "fixture-child", "fixture-child.exe")?;
    let config = format!(r"{DIR}\{name}.toml");
    let text = format!(
        "[service]\nname = \"{name}\"\n[program]\ncommand = '{child}'\nargs = [\"--exit\", \"7\"]\n\
         [restart]\npolicy = \"never\"\n"
    );
    let unix = bench().to_unix(&config)?;
    std::fs::write(&unix, text).map_err(|source| BenchError::Io {
        what: format!("write {}", unix.display()),
        source,
    })?;
    verb(&steward, &["install", "--config", &config])?;
    let reg = bench().reg_query(&source_key(name), None)?;
    assert_eq!(
        reg["EventMessageFile"].as_str(),
        Some(steward.as_str()),
        "{reg:?}"
    );
    assert_eq!(reg["TypesSupported"], RegValue::Number(7), "{reg:?}");

    // `start --wait` fails (the service stops while starting) or catches it running: either way
    // the service ends failed.
    let _ = bench().run(&steward, &["start", name, "--wait"], "-all", VERB_TIMEOUT)?;
    assert_eq!(channel_of("service failed with exit code 7")?, "err");

    verb(&steward, &["uninstall", name])?;
    assert_no_source(name);
    Ok(())
}
