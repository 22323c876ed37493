//! The control verbs of a library-built service under Wine's real service manager: `install` from a
//! path with spaces, read back through `status --json` and the registry, then start, stop,
//! restart, uninstall of a running service and reinstall; the all-or-nothing rule for settings
//! Wine refuses; and each error people hit, as one line with a non-zero exit.
#![cfg(target_os = "linux")]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use steward_wine_bench::{BenchError, RegValue, WineBench, fresh_windows_exe, service_key};

/// How long one verb may take (a `--wait` inside it included).
const VERB_TIMEOUT: Duration = Duration::from_secs(90);
/// Where the test binaries go: a path with spaces (the CWE-428 case).
const DIR: &str = r"C:\Program Files\Steward Control";

fn bench() -> &'static WineBench {
    steward_wine_bench::shared().unwrap_or_else(|e| panic!("Wine bench did not start: {e}"))
}

/// What one verb did.
#[derive(Debug)]
struct Outcome {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Outcome {
    /// Asserts success and returns the single stdout line.
    fn ok(self) -> String {
        assert_eq!(self.code, Some(0), "{self:?}");
        let lines: Vec<&str> = self.stdout.lines().collect();
        assert_eq!(lines.len(), 1, "one line: {self:?}");
        lines[0].to_owned()
    }

    /// Asserts failure with exit status 1 and returns the single `error: ` line.
    fn err(self) -> String {
        assert_eq!(self.code, Some(1), "{self:?}");
        assert!(self.stdout.trim().is_empty(), "{self:?}");
        let lines: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| l.starts_with("error: "))
            .collect();
        assert_eq!(lines.len(), 1, "one error line: {self:?}");
        lines[0].to_owned()
    }
}

/// A Windows binary of this workspace copied to `DIR\<file>.exe`; with `name`, the control
/// fixture's `<file>.name` sidecar is written too.
fn place(package: &str, bin: &str, file: &str, name: Option<&str>) -> Result<String, BenchError> {
    let exe = fresh_windows_exe(package, bin)?;
    let path = bench().copy_into_prefix(&exe, &format!(r"{DIR}\{file}.exe"))?;
    if let Some(name) = name {
        let sidecar = bench().to_unix(&format!(r"{DIR}\{file}.name"))?;
        std::fs::write(&sidecar, name).map_err(|source| BenchError::Io {
            what: format!("write {}", sidecar.display()),
            source,
        })?;
    }
    Ok(path)
}

/// A control fixture whose service is called `name`.
fn fixture(name: &str) -> Result<String, BenchError> {
    place("control-e2e", "control-fixture", name, None)
}

/// Runs `exe` (a Windows path) with `args` in the prefix.
fn verb(exe: &str, args: &[&str]) -> Result<Outcome, BenchError> {
    let out = bench().run(exe, args, "-all", VERB_TIMEOUT)?;
    Ok(Outcome {
        code: out.status.code(),
        stdout: out.stdout,
        stderr: out.stderr,
    })
}

/// `status --json`, parsed.
fn status(exe: &str) -> Result<serde_json::Value, BenchError> {
    let line = verb(exe, &["status", "--json"])?.ok();
    Ok(serde_json::from_str(&line).unwrap_or_else(|e| panic!("{line}: {e}")))
}

/// All values of the service's registry key.
fn registry(name: &str) -> Result<BTreeMap<String, RegValue>, BenchError> {
    bench().reg_query(&service_key(name), None)
}

/// Asserts that no service `name` exists: `status` says so and the registry key is gone.
fn assert_gone(exe: &str, name: &str) -> Result<(), BenchError> {
    let json = status(exe)?;
    assert_eq!(json["installed"], false, "{json}");
    match registry(name) {
        Err(BenchError::RegistryNotFound { .. }) => Ok(()),
        other => panic!("registry key of {name} still there: {other:?}"),
    }
}

#[test]
fn hello_service_installs_from_a_path_with_spaces_and_lives_its_whole_life()
-> Result<(), BenchError> {
    let name = "hello-service";
    let exe = place("hello-service", "hello-service", "hello-service", None)?;
    let quoted = format!("\"{exe}\"");
    let t = Instant::now();
    let line = verb(&exe, &["install", "--depends-on", "RpcSs"])?.ok();
    println!("install took {:?}: {line}", t.elapsed());
    assert_eq!(line, format!("installed service '{name}' ({exe})"));

    let json = status(&exe)?;
    assert_eq!(json["installed"], true, "{json}");
    assert_eq!(json["state"], "stopped", "{json}");
    assert_eq!(json["start_type"], "auto", "{json}");
    assert_eq!(json["account"], r"NT AUTHORITY\LocalService", "{json}");
    assert_eq!(json["binary_path"], exe.as_str(), "{json}");
    assert_eq!(json["command_line"], quoted.as_str(), "{json}");
    assert_eq!(json["pid"], serde_json::Value::Null, "{json}");

    let reg = registry(name)?;
    assert_eq!(reg["ImagePath"].as_str(), Some(quoted.as_str()), "{reg:?}");
    assert_eq!(reg["Start"].as_u64(), Some(2), "{reg:?}");
    assert_eq!(reg["Type"].as_u64(), Some(0x10), "{reg:?}");
    assert_eq!(
        reg["ObjectName"].as_str(),
        Some(r"NT AUTHORITY\LocalService")
    );
    assert_eq!(reg["DisplayName"].as_str(), Some("Hello Service"));
    assert_eq!(
        reg["Description"].as_str(),
        Some("Says it is running every five seconds; a steward example")
    );
    assert_eq!(
        reg["DependOnService"],
        RegValue::Multi(vec!["RpcSs".into()])
    );
    // The default preshutdown timeout: the 5 s shutdown grace plus 5 s.
    assert_eq!(reg["PreshutdownTimeout"].as_u64(), Some(10_000), "{reg:?}");

    let line = verb(&exe, &["start", "--wait"])?.ok();
    assert!(
        line.starts_with(&format!("started '{name}': running (pid ")),
        "{line}"
    );
    let json = status(&exe)?;
    assert_eq!(json["state"], "running", "{json}");
    assert!(json["pid"].as_u64().is_some_and(|p| p > 0), "{json}");

    let line = verb(&exe, &["stop", "--wait"])?.ok();
    assert!(
        line.starts_with(&format!(
            "stopped '{name}': stopped (win32 exit code 0, service exit code 0)"
        )),
        "{line}"
    );
    let line = verb(&exe, &["restart"])?.ok();
    assert!(
        line.starts_with(&format!("restarted '{name}': running")),
        "{line}"
    );
    let line = verb(&exe, &["restart", "--timeout", "30s"])?.ok();
    assert!(
        line.starts_with(&format!("restarted '{name}': running")),
        "{line}"
    );

    // Uninstall of a running service stops it first.
    let t = Instant::now();
    let line = verb(&exe, &["uninstall"])?.ok();
    println!("uninstall of a running service took {:?}", t.elapsed());
    assert_eq!(line, format!("uninstalled service '{name}'"));
    assert_gone(&exe, name)?;

    // Reinstall; a second install fails naming the service; --force reconfigures in place.
    verb(&exe, &["install"])?.ok();
    let error = verb(&exe, &["install"])?.err();
    assert_eq!(
        error,
        format!("error: service '{name}' is already installed (use --force to reconfigure it)")
    );
    let line = verb(
        &exe,
        &[
            "install",
            "--force",
            "--start",
            "manual",
            "--account",
            "NetworkService",
        ],
    )?
    .ok();
    assert!(line.starts_with("installed or reconfigured"), "{line}");
    let reg = registry(name)?;
    assert_eq!(reg["Start"].as_u64(), Some(3), "{reg:?}");
    assert_eq!(
        reg["ObjectName"].as_str(),
        Some(r"NT AUTHORITY\NetworkService")
    );
    assert_eq!(reg["ImagePath"].as_str(), Some(quoted.as_str()), "{reg:?}");
    assert_eq!(status(&exe)?["start_type"], "manual");
    verb(&exe, &["uninstall"])?.ok();
    assert_gone(&exe, name)
}

#[test]
fn settings_wine_refuses_fail_the_install_by_name_and_leave_nothing() -> Result<(), BenchError> {
    for (suffix, args, setting) in [
        ("delayed", &["--start", "delayed"][..], "delayed auto-start"),
        ("sid", &["--sid-type", "restricted"], "service SID type"),
        (
            "privileges",
            &["--privilege", "SeChangeNotifyPrivilege"],
            "required privileges",
        ),
        (
            "flag",
            &["--failure-actions", "1s,2s"],
            "failure actions on non-crash failures",
        ),
    ] {
        let name = format!("steward-ctl-refused-{suffix}");
        let exe = fixture(&name)?;
        let mut install = vec!["install"];
        install.extend_from_slice(args);
        let error = verb(&exe, &install)?.err();
        assert!(
            error.starts_with(&format!(
                "error: cannot set {setting} on service '{name}': this platform does not support it ("
            )),
            "{error}"
        );
        assert!(error.ends_with("nothing was installed"), "{error}");
        assert_gone(&exe, &name)?;
    }
    Ok(())
}

#[test]
fn the_defaults_install_cleanly_and_explicit_accepted_settings_are_stored() -> Result<(), BenchError>
{
    // The hardening defaults Wine refuses (SID type, failure-actions flag) are skipped.
    let name = "steward-ctl-defaults";
    let exe = fixture(name)?;
    verb(&exe, &["install"])?.ok();
    let reg = registry(name)?;
    assert_eq!(reg["Start"].as_u64(), Some(2), "{reg:?}");
    assert_eq!(reg["PreshutdownTimeout"].as_u64(), Some(10_000), "{reg:?}");
    // --force with an explicit preshutdown timeout Wine accepts.
    verb(
        &exe,
        &["install", "--force", "--preshutdown-timeout", "42s"],
    )?
    .ok();
    assert_eq!(registry(name)?["PreshutdownTimeout"].as_u64(), Some(42_000));
    verb(&exe, &["uninstall"])?.ok();
    assert_gone(&exe, name)
}

#[test]
fn accounts_are_registered_as_asked() -> Result<(), BenchError> {
    for (account, object_name, suffix) in [
        ("LocalSystem", "LocalSystem", "system"),
        ("virtual", r"NT SERVICE\steward-ctl-virtual", "virtual"),
        ("networkservice", r"NT AUTHORITY\NetworkService", "network"),
    ] {
        let name = format!("steward-ctl-{suffix}");
        let exe = fixture(&name)?;
        verb(
            &exe,
            &["install", "--account", account, "--start", "disabled"],
        )?
        .ok();
        let reg = registry(&name)?;
        assert_eq!(
            reg["ObjectName"].as_str(),
            Some(object_name),
            "{account}: {reg:?}"
        );
        assert_eq!(reg["Start"].as_u64(), Some(4), "{reg:?}");
        assert_eq!(status(&exe)?["start_type"], "disabled");
        verb(&exe, &["uninstall"])?.ok();
    }
    Ok(())
}

#[test]
fn install_print_shows_the_plan_and_installs_nothing() -> Result<(), BenchError> {
    let name = "steward-ctl-print";
    let exe = fixture(name)?;
    let out = verb(&exe, &["install", "--print", "--start", "delayed"])?;
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        out.stdout
            .starts_with(&format!("plan for service '{name}':")),
        "{out:?}"
    );
    assert!(out.stdout.contains("set delayed auto-start"), "{out:?}");
    assert!(
        out.stdout
            .contains("set service sid type: unrestricted (default)"),
        "{out:?}"
    );
    assert_gone(&exe, name)
}

#[test]
fn an_unknown_service_is_reported_not_installed() -> Result<(), BenchError> {
    let name = "steward-ctl-unknown";
    let exe = fixture(name)?;
    let expected = format!("error: service '{name}' is not installed");
    for args in [&["start"][..], &["stop"], &["uninstall"], &["restart"]] {
        assert_eq!(verb(&exe, args)?.err(), expected, "{args:?}");
    }
    let line = verb(&exe, &["status"])?.ok();
    assert_eq!(line, format!("'{name}': not installed"));
    assert_eq!(
        status(&exe)?,
        serde_json::json!({
            "name": name, "installed": false, "state": null, "pid": null, "start_type": null,
            "account": null, "binary_path": null, "command_line": null,
            "win32_exit_code": null, "service_exit_code": null
        })
    );
    Ok(())
}

#[test]
fn invalid_names_are_refused_before_anything_is_created() -> Result<(), BenchError> {
    let long = "x".repeat(257);
    for (file, name, reason) in [
        ("bad-slash", r"bad\name", "it contains '/' or '\\'"),
        ("bad-empty", "", "it is empty"),
        (
            "bad-long",
            long.as_str(),
            "it is longer than 256 characters",
        ),
    ] {
        let exe = place("control-e2e", "control-fixture", file, Some(name))?;
        let error = verb(&exe, &["install"])?.err();
        assert_eq!(
            error,
            format!("error: invalid service name '{name}': {reason}"),
            "{file}"
        );
        let error = verb(&exe, &["status"])?.err();
        assert!(error.starts_with("error: invalid service name"), "{error}");
    }
    Ok(())
}

#[test]
fn start_of_a_running_and_stop_of_a_stopped_service_fail_in_one_line() -> Result<(), BenchError> {
    let name = "steward-ctl-twice";
    let exe = fixture(name)?;
    verb(&exe, &["install"])?.ok();
    verb(&exe, &["start", "--wait", "--timeout", "60s"])?.ok();
    assert_eq!(
        verb(&exe, &["start"])?.err(),
        format!("error: service '{name}' is already running")
    );
    verb(&exe, &["stop", "--wait"])?.ok();
    assert_eq!(
        verb(&exe, &["stop"])?.err(),
        format!("error: service '{name}' is not running")
    );
    verb(&exe, &["uninstall"])?.ok();
    assert_gone(&exe, name)
}

#[test]
fn a_bad_command_line_exits_with_status_2() -> Result<(), BenchError> {
    let exe = fixture("steward-ctl-usage")?;
    let out = verb(&exe, &["install", "--start", "sometimes"])?;
    assert_eq!(out.code, Some(2), "{out:?}");
    assert!(
        out.stderr
            .contains("expected auto, delayed, manual or disabled"),
        "{out:?}"
    );
    Ok(())
}
