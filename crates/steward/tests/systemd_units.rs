//! Snapshot tests of generated systemd units: each request's unit is compared with the checked-in
//! file `tests/snapshots/systemd/<case>.service`, and checked with `systemd-analyze verify` (strict:
//! any diagnostic fails).
//!
//! After an intended change, rewrite the snapshots with
//! `STEWARD_UPDATE_SNAPSHOTS=1 cargo test -p steward --test systemd_units` and review the diff.
#![cfg(target_os = "linux")]

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use steward::control::systemd::{Hardening, RestartPolicy, Scope, SystemdOptions, render_unit};
use steward::control::{Account, InstallRequest, Setting, StartType};
use steward_systemd_bench::verify_unit_file;

/// The executable the snapshots name (with a space, the classic quoting trap).
const SNAPSHOT_EXE: &str = "/opt/Example App/bin/example";

fn request(name: &str) -> InstallRequest {
    InstallRequest {
        name: name.into(),
        display_name: "Example".into(),
        description: Some("Example service for steward's snapshot tests".into()),
        executable: SNAPSHOT_EXE.into(),
        arguments: vec!["run".into()],
        start: Setting::default_value(StartType::Auto),
        account: Setting::default_value(Account::LocalService),
        dependencies: vec![],
        environment: vec![],
        failure_actions: None,
        sid_type: None,
        required_privileges: None,
        stop_timeout: Some(Setting::default_value(Duration::from_secs(10))),
    }
}

/// A real executable at a path with a space, for `systemd-analyze verify` (which checks that
/// `ExecStart=` names an executable file).
fn real_executable() -> PathBuf {
    // Cargo's scratch directory for integration tests: reused by every run, nothing left in /tmp.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("steward units");
    let exe = dir.join("bin/example");
    if !exe.is_file() {
        fs::create_dir_all(exe.parent().expect("parent")).expect("create exe dir");
        let staged = dir.join(format!("example.{:?}", std::thread::current().id()));
        fs::copy("/bin/true", &staged).expect("copy /bin/true");
        fs::rename(&staged, &exe).expect("place executable");
    }
    exe
}

fn check(case: &str, request: &InstallRequest, options: &SystemdOptions, scope: Scope) {
    let unit = render_unit(request, options, scope);
    let snapshot = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots/systemd")
        .join(format!("{case}.service"));
    if std::env::var_os("STEWARD_UPDATE_SNAPSHOTS").is_some() {
        fs::write(&snapshot, &unit).expect("write snapshot");
    }
    let expected = fs::read_to_string(&snapshot).unwrap_or_else(|e| {
        panic!(
            "snapshot {} unreadable ({e}); create it with STEWARD_UPDATE_SNAPSHOTS=1\n--- rendered ---\n{unit}",
            snapshot.display()
        )
    });
    assert_eq!(
        unit,
        expected,
        "unit for case {case} differs from {}",
        snapshot.display()
    );

    // The same request with a real executable must pass `systemd-analyze verify` cleanly.
    let mut real = request.clone();
    real.executable = real_executable();
    let text = render_unit(&real, options, scope);
    let dir = std::env::temp_dir().join(format!("steward-verify-{case}-{}", std::process::id()));
    fs::create_dir_all(&dir).expect("verify dir");
    let path = dir.join(format!("{}.service", request.name));
    fs::write(&path, &text).expect("write unit");
    let verified = verify_unit_file(
        &path,
        match scope {
            Scope::System => steward_systemd_bench::Scope::System,
            Scope::User => steward_systemd_bench::Scope::User,
        },
    );
    let _ = fs::remove_dir_all(&dir);
    if let Err(e) = verified {
        panic!("unit for case {case} does not verify: {e}\n--- unit ---\n{text}");
    }
}

#[test]
fn defaults() {
    let mut r = request("example");
    r.stop_timeout = None;
    check("defaults", &r, &SystemdOptions::default(), Scope::System);
}

#[test]
fn named_user_account() {
    let mut r = request("example-user");
    r.account = Setting::explicit(Account::User("daemon".into()));
    check(
        "user-account",
        &r,
        &SystemdOptions::default(),
        Scope::System,
    );
}

#[test]
fn local_system_runs_as_root() {
    let mut r = request("example-root");
    r.account = Setting::explicit(Account::LocalSystem);
    check(
        "local-system",
        &r,
        &SystemdOptions::default(),
        Scope::System,
    );
}

#[test]
fn virtual_account_is_a_dynamic_user() {
    let mut r = request("example-virtual");
    r.account = Setting::explicit(Account::Virtual);
    check("virtual", &r, &SystemdOptions::default(), Scope::System);
}

#[test]
fn awkward_arguments_and_environment_are_quoted() {
    let mut r = request("example-quoting");
    r.description = Some("Quoting: 100% \"sure\" $HOME".into());
    r.arguments = vec![
        "--name".into(),
        "two words".into(),
        r#"say "hi""#.into(),
        "it's".into(),
        "$HOME".into(),
        "${PATH}".into(),
        "50%".into(),
        r"C:\back\slash".into(),
        "".into(),
        ";".into(),
        "tab\there".into(),
    ];
    r.environment = vec![
        ("GREETING".into(), "hello world".into()),
        ("QUOTES".into(), r#"a "b" 'c'"#.into()),
        ("DOLLAR".into(), "$HOME and ${X}".into()),
        ("PERCENT".into(), "100%".into()),
        ("BACKSLASH".into(), r"C:\dir\".into()),
        ("EMPTY".into(), "".into()),
    ];
    check("quoting", &r, &SystemdOptions::default(), Scope::System);
}

#[test]
fn dependencies_become_requires_and_after() {
    let mut r = request("example-deps");
    r.dependencies = vec!["systemd-journald".into(), "dbus.socket".into()];
    check(
        "dependencies",
        &r,
        &SystemdOptions::default(),
        Scope::System,
    );
}

#[test]
fn watchdog_and_restart_options() {
    let options = SystemdOptions {
        restart: RestartPolicy::Always,
        restart_delay: Duration::from_millis(1500),
        start_limit_burst: 3,
        start_limit_interval: Duration::from_secs(30),
        watchdog: Some(Duration::from_secs(5)),
        hardening: Hardening::Standard,
    };
    check(
        "watchdog",
        &request("example-watchdog"),
        &options,
        Scope::System,
    );
}

#[test]
fn delayed_start_orders_after_the_default_target() {
    let mut r = request("example-delayed");
    r.start = Setting::explicit(StartType::Delayed);
    check("delayed", &r, &SystemdOptions::default(), Scope::System);
}

#[test]
fn disabled_start_refuses_manual_start() {
    let mut r = request("example-disabled");
    r.start = Setting::explicit(StartType::Disabled);
    check("disabled", &r, &SystemdOptions::default(), Scope::System);
}

#[test]
fn user_scope_unit() {
    check(
        "user-scope",
        &request("example-user-scope"),
        &SystemdOptions::default(),
        Scope::User,
    );
}

#[test]
fn hardening_off() {
    let options = SystemdOptions {
        hardening: Hardening::None,
        ..SystemdOptions::default()
    };
    check(
        "no-hardening",
        &request("example-plain"),
        &options,
        Scope::System,
    );
}
