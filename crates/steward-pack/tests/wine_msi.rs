//! The MSI under Wine: a silent install into a directory with spaces under another account,
//! the service registered and running; a version+1 MSI upgrades in place (the service runs the
//! new binary, one Add/Remove Programs entry); `msiexec /x` removes service, files and keys.
//! Both MSIs are the signed ones (test CA): signing does not break installing, and the
//! installed binary is the signed one.
#![cfg(target_os = "linux")]

mod common;

use std::time::{Duration, Instant};

use steward_wine_bench::{BenchError, State, WineBench, service_key};

const NAME: &str = "hello-service";
const DIR: &str = r"C:\Program Files\My Svc";
const MSIEXEC_TIMEOUT: Duration = Duration::from_secs(180);
const UNINSTALL_KEY: &str = r"SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall";

fn bench() -> &'static WineBench {
    steward_wine_bench::shared().unwrap_or_else(|e| {
        panic!("Wine bench did not start: {e} (setup: apt-get install wine wine64 gcc-mingw-w64-x86-64)")
    })
}

/// Packages hello-service `version` (the binary with `tag` appended), signed with the test CA
/// in `dir`, and copies it into the prefix; returns its Windows path.
fn msi(dir: &std::path::Path, version: &str, tag: &str) -> String {
    let signing = common::pki::signing_line(dir, "ca.pem", "");
    let path = common::wine::hello_artifact(bench(), dir, version, tag, "msi", ".msi", &signing);
    let unix = bench().to_unix(&path).unwrap();
    assert!(signed(&unix, dir), "the MSI in the prefix is signed");
    path
}

/// Whether `file` carries a signature that verifies against the test CA in `dir`.
fn signed(file: &std::path::Path, dir: &std::path::Path) -> bool {
    steward_pack::sign::verify(file, Some(&dir.join("ca.pem"))).is_ok()
}

fn msiexec(args: &[&str]) -> i32 {
    let out = bench()
        .run("msiexec", args, "-all", MSIEXEC_TIMEOUT)
        .unwrap();
    let code = out.status.code().unwrap_or(-1);
    assert_eq!(code, 0, "msiexec {args:?}: {out:?}");
    code
}

fn reg(key: &str, value: &str) -> Result<String, BenchError> {
    let values = bench().reg_query(key, Some(value))?;
    Ok(values
        .get(value)
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_owned())
}

fn installed_file(name: &str) -> std::path::PathBuf {
    bench().to_unix(&format!(r"{DIR}\{name}")).unwrap()
}

/// Waits until the service no longer exists.
fn wait_gone(deadline: Duration) {
    let end = Instant::now() + deadline;
    loop {
        match bench().query(NAME) {
            Err(e) if e.win32_code() == Some(steward_wine_bench::ERROR_SERVICE_DOES_NOT_EXIST) => {
                return;
            }
            other => assert!(Instant::now() < end, "service still there: {other:?}"),
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn msi_install_upgrade_uninstall() {
    let dir = tempfile::tempdir().unwrap();
    common::pki::test_ca(dir.path());
    let v1 = msi(dir.path(), "1.0.0", "");
    let v2 = msi(dir.path(), "1.0.1", "version two");
    let code1 = format!(
        "{{{}}}",
        steward_pack::product_code("0b3c7a5e-1111-4222-8333-444455556666", "1.0.0")
    );
    let code2 = format!(
        "{{{}}}",
        steward_pack::product_code("0b3c7a5e-1111-4222-8333-444455556666", "1.0.1")
    );

    // Install silently into a directory with spaces, as NetworkService.
    msiexec(&[
        "/i",
        &v1,
        "/qn",
        "/norestart",
        &format!("INSTALLDIR={DIR}"),
        r"SERVICE_ACCOUNT=NT AUTHORITY\NetworkService",
    ]);
    assert!(installed_file("hello-service.exe").is_file());
    assert!(installed_file("README.txt").is_file());
    assert!(
        signed(&installed_file("hello-service.exe"), dir.path()),
        "the installed binary is the signed one"
    );
    let key = service_key(NAME);
    let image = reg(&key, "ImagePath").unwrap();
    assert_eq!(
        image,
        format!(r#""{DIR}\hello-service.exe""#),
        "quoted image path"
    );
    assert_eq!(
        reg(&key, "ObjectName").unwrap(),
        r"NT AUTHORITY\NetworkService"
    );
    bench()
        .wait_state(NAME, State::Running, Duration::from_secs(30))
        .unwrap();
    assert_eq!(
        reg(&format!(r"{UNINSTALL_KEY}\{code1}"), "DisplayVersion").unwrap(),
        "1.0.0"
    );
    assert_eq!(
        reg(&format!(r"{UNINSTALL_KEY}\{code1}"), "Publisher").unwrap(),
        "Example Corp"
    );
    assert_eq!(
        reg(r"SOFTWARE\Example Corp\Hello Service", "InstallDir").unwrap(),
        format!("{DIR}\\")
    );

    // Upgrade in place, without repeating INSTALLDIR: the new binary runs in the same directory
    // under the same account, one Add/Remove Programs entry.
    msiexec(&[
        "/i",
        &v2,
        "/qn",
        "/norestart",
        r"SERVICE_ACCOUNT=NT AUTHORITY\NetworkService",
    ]);
    let installed = std::fs::read(installed_file("hello-service.exe")).unwrap();
    assert!(
        installed.windows(11).any(|w| w == b"version two"),
        "the new binary is installed"
    );
    assert!(signed(&installed_file("hello-service.exe"), dir.path()));
    assert_eq!(
        std::fs::read_to_string(installed_file("README.txt")).unwrap(),
        "hello-service 1.0.1\n"
    );
    bench()
        .wait_state(NAME, State::Running, Duration::from_secs(30))
        .unwrap();
    assert_eq!(
        reg(&format!(r"{UNINSTALL_KEY}\{code2}"), "DisplayVersion").unwrap(),
        "1.0.1"
    );
    assert!(
        matches!(
            reg(&format!(r"{UNINSTALL_KEY}\{code1}"), "DisplayVersion"),
            Err(BenchError::RegistryNotFound { .. })
        ),
        "the old entry is gone"
    );

    // Uninstall: service, files and registry entries gone.
    msiexec(&["/x", &code2, "/qn", "/norestart"]);
    wait_gone(Duration::from_secs(30));
    assert!(
        !bench().to_unix(DIR).unwrap().exists(),
        "the install directory is gone"
    );
    assert!(matches!(
        reg(&format!(r"{UNINSTALL_KEY}\{code2}"), "DisplayVersion"),
        Err(BenchError::RegistryNotFound { .. })
    ));
    assert!(matches!(
        reg(&key, "ImagePath"),
        Err(BenchError::RegistryNotFound { .. })
    ));
    assert!(matches!(
        reg(r"SOFTWARE\Example Corp\Hello Service", "InstallDir"),
        Err(BenchError::RegistryNotFound { .. })
    ));

    // SERVICE_START is honoured: registered as manual (3); like every start type but
    // `disabled`, the service is started at the end of the install.
    msiexec(&["/i", &v1, "/qn", "/norestart", "SERVICE_START=manual"]);
    let start = bench().reg_query(&key, Some("Start")).unwrap();
    assert_eq!(start.get("Start").and_then(|v| v.as_u64()), Some(3));
    bench()
        .wait_state(NAME, State::Running, Duration::from_secs(30))
        .unwrap();
    msiexec(&["/x", &code1, "/qn", "/norestart"]);
    wait_gone(Duration::from_secs(30));
}
