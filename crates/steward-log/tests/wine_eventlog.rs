//! The Windows backend under Wine: the probe registers and removes an event source (the
//! registry key and its values are checked with wine-probe and `reg query`), and `init` sends
//! one event per level through ReportEventW, whose strings Wine writes to its `eventlog` debug
//! channel as `err:`, `warn:` and `trace:` lines.
#![cfg(target_os = "linux")]

use std::time::Duration;
use steward_wine_bench::{BenchError, RegValue, WineBench, fresh_windows_exe};

const TIMEOUT: Duration = Duration::from_secs(60);

fn bench() -> &'static WineBench {
    steward_wine_bench::shared().unwrap_or_else(|e| panic!("Wine bench did not start: {e}"))
}

/// Copies a fresh steward-log-probe.exe into the prefix (a path with spaces) and returns its
/// Windows path.
fn install_probe() -> Result<String, BenchError> {
    let exe = fresh_windows_exe("steward-log", "steward-log-probe")?;
    bench().copy_into_prefix(&exe, r"C:\Program Files\Steward Log\steward-log-probe.exe")
}

/// Runs the probe with `args` and `WINEDEBUG=winedebug`; fails unless it exits 0.
fn probe(
    exe: &str,
    args: &[&str],
    winedebug: &str,
) -> Result<steward_wine_bench::RunOutput, BenchError> {
    let out = bench().run(exe, args, winedebug, TIMEOUT)?;
    assert!(
        out.status.success(),
        "probe {args:?}: {}\nstdout: {}\nstderr: {}",
        out.status,
        out.stdout,
        out.stderr
    );
    Ok(out)
}

#[test]
fn register_writes_the_source_key_and_remove_deletes_it() -> Result<(), BenchError> {
    let exe = install_probe()?;
    let source = "steward-log-wine-test";
    let key = steward_log::source_key(source);

    probe(&exe, &["register", source, &exe], "-all")?;
    let values = bench().reg_query(&key, None)?;
    assert_eq!(
        values.get("EventMessageFile"),
        Some(&RegValue::String(exe.clone())),
        "{values:?}"
    );
    assert_eq!(
        values.get("TypesSupported"),
        Some(&RegValue::Number(7)),
        "{values:?}"
    );
    // The value types, as Windows' own reg.exe reports them.
    let hklm = format!(r"HKLM\{key}");
    let reg = bench().run("reg", &["query", &hklm], "-all", TIMEOUT)?;
    let line = |name: &str| {
        reg.stdout
            .lines()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap_or_else(|| panic!("{name} in reg query output:\n{}", reg.stdout))
            .split_whitespace()
            .nth(1)
            .map(str::to_string)
    };
    assert_eq!(line("EventMessageFile").as_deref(), Some("REG_EXPAND_SZ"));
    assert_eq!(line("TypesSupported").as_deref(), Some("REG_DWORD"));

    probe(&exe, &["remove", source], "-all")?;
    match bench().reg_query(&key, None) {
        Err(BenchError::RegistryNotFound { .. }) => {}
        other => panic!("the key should be gone, got {other:?}"),
    }
    // Removing what is not registered succeeds (uninstall is idempotent).
    probe(&exe, &["remove", source], "-all")?;
    Ok(())
}

#[test]
fn init_reports_each_level_on_its_event_log_channel() -> Result<(), BenchError> {
    let exe = install_probe()?;
    let out = probe(&exe, &["emit", "steward-log-emit"], "fixme-all,+eventlog")?;
    assert!(
        out.stdout.contains("destinations: event-log, stderr"),
        "stdout: {}\nstderr: {}",
        out.stdout,
        out.stderr
    );
    let channel_of = |needle: &str| -> Option<String> {
        out.stderr
            .lines()
            .filter(|l| l.contains(":eventlog:") && l.contains(needle))
            .find_map(|l| l.split(':').find(|p| ["err", "warn", "trace"].contains(p)))
            .map(str::to_string)
    };
    let all = &out.stderr;
    for line in all.lines().filter(|l| l.contains("eventlog")) {
        println!("{line}");
    }
    assert_eq!(
        channel_of("probe error event code=7").as_deref(),
        Some("err"),
        "{all}"
    );
    assert_eq!(
        channel_of("probe warning event").as_deref(),
        Some("warn"),
        "{all}"
    );
    assert_eq!(
        channel_of("probe info event").as_deref(),
        Some("trace"),
        "{all}"
    );
    assert_eq!(
        channel_of("probe generic info").as_deref(),
        Some("trace"),
        "{all}"
    );
    // DEBUG is left out of the Event Log by default (and of stderr too).
    assert_eq!(channel_of("probe debug event"), None, "{all}");
    // The stderr layer wrote the same events as text.
    assert!(
        all.contains("ERROR") && all.contains("probe error event"),
        "{all}"
    );
    Ok(())
}
