//! The NSIS setup's documented exit codes under Wine, and what a failure leaves behind.
//!
//! The service is made unregistrable by another service that already uses the display name
//! "Hello Service": the shipped binary's `install` fails, as the service manager refuses a
//! duplicate display name, and the setup exits with 3.
//!
//! * A failed fresh install is rolled back: no files, no uninstall.exe, no install directory,
//!   no Add/Remove Programs key, no service. Once the conflict is gone, the same silent install
//!   exits with 0.
//! * A failed upgrade (v1 installed, its service then removed by hand so that the conflict can
//!   take the display name; v2's `install` fails) cannot be rolled back: v2's files,
//!   uninstall.exe and the Add/Remove Programs key stay, and `uninstall.exe /S` still removes
//!   everything.
//!
//! Both tests use the same service name and Add/Remove Programs key in the shared prefix, so
//! they run one after the other.
#![cfg(target_os = "linux")]

mod common;

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use steward_wine_bench::{BenchError, State, WineBench, service_key};

const NAME: &str = "hello-service";
const CONFLICT: &str = "conflicting-svc";
const TIMEOUT: Duration = Duration::from_secs(180);
const ARP: &str =
    r"SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\{0B3C7A5E-1111-4222-8333-444455556666}";
/// The files the setup installs (the fixture's `files`, the binary and the uninstaller).
const FILES: [&str; 4] = [
    "hello-service.exe",
    "README.txt",
    "LICENSE.txt",
    "uninstall.exe",
];

fn bench() -> &'static WineBench {
    steward_wine_bench::shared().unwrap_or_else(|e| {
        panic!("Wine bench did not start: {e} (setup: apt-get install wine wine64 gcc-mingw-w64-x86-64 nsis)")
    })
}

/// Serialises the tests of this file: they share the prefix, the service and the ARP key.
fn one_at_a_time() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    // A test that panicked while holding the lock leaves no inconsistent data behind it.
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs `program args` in the prefix and returns its exit code.
fn exit_code(program: &str, args: &[&str]) -> i32 {
    let out = bench().run(program, args, "-all", TIMEOUT).unwrap();
    out.status
        .code()
        .unwrap_or_else(|| panic!("{program} {args:?} was killed: {out:?}"))
}

/// `setup.exe /S /D=<dir>` through a batch file (`/D=` must be last and unquoted); its exit
/// code.
fn silent_install(setup: &str, dir: &str) -> i32 {
    let script = bench().to_unix(r"C:\packages\exit-codes.cmd").unwrap();
    std::fs::write(
        &script,
        format!("@\"{setup}\" /S /D={dir}\r\n@exit /b %errorlevel%\r\n"),
    )
    .unwrap();
    exit_code("cmd", &["/c", r"C:\packages\exit-codes.cmd"])
}

fn exists(key: &str) -> bool {
    match bench().reg_query(key, None) {
        Ok(_) => true,
        Err(BenchError::RegistryNotFound { .. }) => false,
        Err(e) => panic!("{key}: {e}"),
    }
}

/// The string value `value` of `HKLM\key`.
fn reg(key: &str, value: &str) -> String {
    let values = bench().reg_query(key, Some(value)).unwrap();
    values
        .get(value)
        .and_then(|v| v.as_str())
        .unwrap_or_else(|| panic!("{key}\\{value} is not a string: {values:?}"))
        .to_owned()
}

/// The Unix path of `name` in the Windows directory `dir`.
fn path(dir: &str, name: &str) -> std::path::PathBuf {
    bench().to_unix(&format!(r"{dir}\{name}")).unwrap()
}

/// Polls `done` until it holds or `deadline` passes.
fn wait_for(what: &str, deadline: Duration, mut done: impl FnMut() -> bool) {
    let end = Instant::now() + deadline;
    while !done() {
        assert!(Instant::now() < end, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Registers CONFLICT with the display name the config gives hello-service.
fn add_conflict() {
    let probe = bench().probe_path().to_owned();
    let probe = bench().to_windows(&probe).unwrap();
    let code = exit_code(
        "sc",
        &[
            "create",
            CONFLICT,
            "binpath=",
            &probe,
            "displayname=",
            "Hello Service",
        ],
    );
    assert_eq!(code, 0, "sc create {CONFLICT}");
}

fn remove_conflict() {
    assert_eq!(exit_code("sc", &["delete", CONFLICT]), 0, "sc delete");
    wait_for("the conflicting service to go", TIMEOUT, || {
        !exists(&service_key(CONFLICT))
    });
}

#[test]
fn a_failed_fresh_install_exits_3_and_leaves_nothing_and_0_on_success() {
    const DIR: &str = r"C:\Program Files\Exit Codes";
    let _serial = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let setup =
        common::wine::hello_artifact(bench(), dir.path(), "1.0.0", "", "nsis", "_setup.exe", "");
    assert!(!exists(ARP), "no installation before the test");
    assert!(!exists(&service_key(NAME)), "no service before the test");
    assert!(!bench().to_unix(DIR).unwrap().exists());

    add_conflict();
    assert_eq!(
        silent_install(&setup, DIR),
        3,
        "the service could not be registered"
    );
    // The rollback ran inside the setup, before it exited: nothing is left to wait for.
    assert!(
        !exists(&service_key(NAME)),
        "{NAME} is not registered after the failure"
    );
    for name in FILES {
        assert!(
            !path(DIR, name).exists(),
            "{name} is removed by the rollback"
        );
    }
    assert!(
        !bench().to_unix(DIR).unwrap().exists(),
        "the install directory, empty after the rollback, is removed"
    );
    assert!(
        !exists(ARP),
        "the Add/Remove Programs entry is removed by the rollback"
    );

    // Without the conflict, the same silent install succeeds with 0.
    remove_conflict();
    assert_eq!(
        silent_install(&setup, DIR),
        0,
        "a successful silent install"
    );
    bench()
        .wait_state(NAME, State::Running, Duration::from_secs(30))
        .unwrap();
    for name in FILES {
        assert!(path(DIR, name).is_file(), "{name} is installed");
    }
    assert_eq!(reg(ARP, "DisplayVersion"), "1.0.0");

    // `_?=` makes the uninstaller run in place and return when it is done.
    let code = exit_code(
        &format!(r"{DIR}\uninstall.exe"),
        &["/S", &format!("_?={DIR}")],
    );
    assert_eq!(code, 0, "uninstall");
    wait_for("the service to go", Duration::from_secs(30), || {
        !exists(&service_key(NAME))
    });
    assert!(!exists(ARP));
}

#[test]
fn a_failed_upgrade_exits_3_and_stays_installed_and_removable() {
    const DIR: &str = r"C:\Program Files\Exit Codes Upgrade";
    let _serial = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let v1 =
        common::wine::hello_artifact(bench(), dir.path(), "1.0.0", "", "nsis", "_setup.exe", "");
    let v2 = common::wine::hello_artifact(
        bench(),
        dir.path(),
        "1.0.1",
        "version two",
        "nsis",
        "_setup.exe",
        "",
    );
    assert!(!exists(ARP), "no installation before the test");
    assert!(!exists(&service_key(NAME)), "no service before the test");

    assert_eq!(silent_install(&v1, DIR), 0, "v1 installs");
    bench()
        .wait_state(NAME, State::Running, Duration::from_secs(30))
        .unwrap();

    // v1's service is removed by hand (v1's files and entry stay), and another service takes its
    // display name: v2's `install` cannot register it again.
    assert_eq!(
        exit_code(&format!(r"{DIR}\hello-service.exe"), &["uninstall"]),
        0,
        "hello-service.exe uninstall"
    );
    wait_for("v1's service to go", Duration::from_secs(30), || {
        !exists(&service_key(NAME))
    });
    add_conflict();
    assert_eq!(
        silent_install(&v2, DIR),
        3,
        "v2's service could not be registered"
    );

    // Not rolled back: v1's files are already replaced by v2's, which stay, listed and removable.
    for name in FILES {
        assert!(path(DIR, name).is_file(), "{name} stays");
    }
    assert!(
        std::fs::read(path(DIR, "hello-service.exe"))
            .unwrap()
            .windows(11)
            .any(|w| w == b"version two"),
        "the binary in place is v2's"
    );
    assert_eq!(
        reg(ARP, "DisplayVersion"),
        "1.0.1",
        "the Add/Remove Programs entry describes the files in place"
    );
    assert_eq!(
        reg(ARP, "QuietUninstallString"),
        format!(r#""{DIR}\uninstall.exe" /S"#)
    );
    assert!(
        !exists(&service_key(NAME)),
        "{NAME} is not registered after the failure"
    );

    // The entry's uninstaller removes everything. It copies itself away and returns at once:
    // poll until it is done.
    remove_conflict();
    assert_eq!(
        exit_code(&format!(r"{DIR}\uninstall.exe"), &["/S"]),
        0,
        "uninstall.exe /S"
    );
    wait_for("the uninstall", Duration::from_secs(60), || {
        !bench().to_unix(DIR).unwrap().exists() && !exists(ARP)
    });
    wait_for("the service to go", Duration::from_secs(30), || {
        !exists(&service_key(NAME))
    });
}
