//! The NSIS setup's documented exit codes under Wine: 3 when the service cannot be registered
//! (here another service already uses the display name "Hello Service", so the shipped
//! binary's `install` fails, as the service manager refuses a duplicate display name), and 0
//! for a successful silent install once the conflict is gone.
#![cfg(target_os = "linux")]

mod common;

use std::time::{Duration, Instant};

use steward_wine_bench::{BenchError, State, WineBench, service_key};

const NAME: &str = "hello-service";
const CONFLICT: &str = "conflicting-svc";
const DIR: &str = r"C:\Program Files\Exit Codes";
const TIMEOUT: Duration = Duration::from_secs(180);
const ARP: &str =
    r"SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\{0B3C7A5E-1111-4222-8333-444455556666}";

fn bench() -> &'static WineBench {
    steward_wine_bench::shared().unwrap_or_else(|e| {
        panic!("Wine bench did not start: {e} (setup: apt-get install wine wine64 gcc-mingw-w64-x86-64 nsis)")
    })
}

/// Runs `program args` in the prefix and returns its exit code.
fn exit_code(program: &str, args: &[&str]) -> i32 {
    let out = bench().run(program, args, "-all", TIMEOUT).unwrap();
    out.status
        .code()
        .unwrap_or_else(|| panic!("{program} {args:?} was killed: {out:?}"))
}

/// `setup.exe /S /D=<DIR>` through a batch file (`/D=` must be last and unquoted); its exit
/// code.
fn silent_install(setup: &str) -> i32 {
    let script = bench().to_unix(r"C:\packages\exit-codes.cmd").unwrap();
    std::fs::write(
        &script,
        format!("@\"{setup}\" /S /D={DIR}\r\n@exit /b %errorlevel%\r\n"),
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

/// Polls `done` until it holds or `deadline` passes.
fn wait_for(what: &str, deadline: Duration, mut done: impl FnMut() -> bool) {
    let end = Instant::now() + deadline;
    while !done() {
        assert!(Instant::now() < end, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn exit_code_3_when_the_service_cannot_be_registered_and_0_on_success() {
    let dir = tempfile::tempdir().unwrap();
    let setup =
        common::wine::hello_artifact(bench(), dir.path(), "1.0.0", "", "nsis", "_setup.exe", "");

    // Another service already has the display name the config gives hello-service.
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

    assert_eq!(
        silent_install(&setup),
        3,
        "the service could not be registered"
    );
    assert!(
        !exists(&service_key(NAME)),
        "{NAME} is not registered after the failure"
    );
    let installed = |name: &str| bench().to_unix(&format!(r"{DIR}\{name}")).unwrap();
    assert!(
        installed("hello-service.exe").is_file(),
        "the files stay in place"
    );
    assert!(
        installed("uninstall.exe").is_file(),
        "the uninstaller is there"
    );
    assert!(
        exists(ARP),
        "the Add/Remove Programs entry is written, so the failed install can be removed"
    );

    // Without the conflict, the same silent install succeeds with 0.
    assert_eq!(exit_code("sc", &["delete", CONFLICT]), 0, "sc delete");
    wait_for("the conflicting service to go", TIMEOUT, || {
        !exists(&service_key(CONFLICT))
    });
    assert_eq!(silent_install(&setup), 0, "a successful silent install");
    bench()
        .wait_state(NAME, State::Running, Duration::from_secs(30))
        .unwrap();

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
