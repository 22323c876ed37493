//! The NSIS setup under Wine: `setup.exe /S /D=...` installs the files and registers and starts
//! the service through the binary's own `install`; a second version upgrades in place; the
//! Add/Remove Programs key carries every value; `uninstall.exe /S` removes service, files and key.
//! Both setups are the signed ones (test CA), with the signed uninstaller embedded: signing does
//! not break installing.
#![cfg(target_os = "linux")]

mod common;

use std::time::{Duration, Instant};

use steward_wine_bench::{BenchError, State, WineBench, service_key};

const NAME: &str = "hello-service";
const DIR: &str = r"C:\Program Files\My NSIS Svc";
const TIMEOUT: Duration = Duration::from_secs(180);
const ARP: &str =
    r"SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\{0B3C7A5E-1111-4222-8333-444455556666}";

fn bench() -> &'static WineBench {
    steward_wine_bench::shared().unwrap_or_else(|e| {
        panic!("Wine bench did not start: {e} (setup: apt-get install wine wine64 gcc-mingw-w64-x86-64 nsis)")
    })
}

/// Packages hello-service `version` (the binary with `tag` appended), signed with the test CA
/// in `dir`, and copies it into the prefix; returns its Windows path.
fn setup(dir: &std::path::Path, version: &str, tag: &str) -> String {
    let signing = common::pki::signing_line(dir, "ca.pem", "");
    let path =
        common::wine::hello_artifact(bench(), dir, version, tag, "nsis", "_setup.exe", &signing);
    assert!(
        signed(&bench().to_unix(&path).unwrap(), dir),
        "the setup in the prefix is signed"
    );
    path
}

/// Whether `file` carries a signature that verifies against the test CA in `dir`.
fn signed(file: &std::path::Path, dir: &std::path::Path) -> bool {
    steward_pack::sign::verify(file, Some(&dir.join("ca.pem"))).is_ok()
}

fn run_ok(program: &str, args: &[&str]) {
    let out = bench().run(program, args, "-all", TIMEOUT).unwrap();
    assert_eq!(out.status.code(), Some(0), "{program} {args:?}: {out:?}");
}

fn reg(key: &str, value: &str) -> Result<String, BenchError> {
    let values = bench().reg_query(key, Some(value))?;
    Ok(values
        .get(value)
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_owned())
}

fn installed(name: &str) -> std::path::PathBuf {
    bench().to_unix(&format!(r"{DIR}\{name}")).unwrap()
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
fn nsis_install_upgrade_uninstall() {
    let dir = tempfile::tempdir().unwrap();
    common::pki::test_ca(dir.path());
    let v1 = setup(dir.path(), "1.0.0", "");
    let v2 = setup(dir.path(), "1.0.1", "version two");

    // `/D=` must come last and unquoted, even with spaces: Wine would quote a separate argument,
    // so the command line comes from a batch file, as an administrator would write it.
    let script = bench().to_unix(r"C:\packages\install.cmd").unwrap();
    std::fs::write(
        &script,
        format!("@\"{v1}\" /S /D={DIR}\r\n@exit /b %errorlevel%\r\n"),
    )
    .unwrap();
    run_ok("cmd", &["/c", r"C:\packages\install.cmd"]);
    assert!(installed("hello-service.exe").is_file());
    assert!(installed("uninstall.exe").is_file());
    assert!(
        signed(&installed("hello-service.exe"), dir.path()),
        "the installed binary is the signed one"
    );
    assert!(
        signed(&installed("uninstall.exe"), dir.path()),
        "the uninstaller was signed before it was embedded"
    );
    let key = service_key(NAME);
    assert_eq!(
        reg(&key, "ImagePath").unwrap(),
        format!(r#""{DIR}\hello-service.exe""#)
    );
    assert_eq!(
        reg(&key, "ObjectName").unwrap(),
        r"NT AUTHORITY\LocalService"
    );
    bench()
        .wait_state(NAME, State::Running, Duration::from_secs(30))
        .unwrap();
    for (value, expected) in [
        ("DisplayName", "Hello Service".to_owned()),
        ("DisplayVersion", "1.0.0".to_owned()),
        ("Publisher", "Example Corp".to_owned()),
        ("InstallLocation", DIR.to_owned()),
        ("UninstallString", format!(r#""{DIR}\uninstall.exe""#)),
        (
            "QuietUninstallString",
            format!(r#""{DIR}\uninstall.exe" /S"#),
        ),
    ] {
        assert_eq!(reg(ARP, value).unwrap(), expected, "{value}");
    }

    // Upgrade: the installed location is found again, the service stopped, replaced, started.
    run_ok(&v2, &["/S"]);
    assert!(
        std::fs::read(installed("hello-service.exe"))
            .unwrap()
            .windows(11)
            .any(|w| w == b"version two")
    );
    assert!(signed(&installed("hello-service.exe"), dir.path()));
    bench()
        .wait_state(NAME, State::Running, Duration::from_secs(30))
        .unwrap();
    assert_eq!(reg(ARP, "DisplayVersion").unwrap(), "1.0.1");

    // The uninstaller copies itself away and returns at once: poll until it is done.
    run_ok(&format!(r"{DIR}\uninstall.exe"), &["/S"]);
    wait_for("the uninstall", Duration::from_secs(60), || {
        !bench().to_unix(DIR).unwrap().exists()
            && matches!(
                reg(ARP, "DisplayName"),
                Err(BenchError::RegistryNotFound { .. })
            )
    });
    wait_for("the service to go", Duration::from_secs(30), || {
        matches!(
            reg(&key, "ImagePath"),
            Err(BenchError::RegistryNotFound { .. })
        )
    });
}
