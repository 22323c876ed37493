//! RFC 3161 timestamps for real, offline: a timestamp authority on loopback (`openssl ts
//! -reply` behind a tiny HTTP server, with a throwaway TSA certificate) answers osslsigncode's
//! queries while the example is packaged with `timestamp_url` set; every signature carries a
//! timestamp that `osslsigncode verify` reports and verifies with `-TSA-CAfile`. A timestamp
//! that does not verify fails packaging (osslsigncode itself exits 0 then).
#![cfg(target_os = "linux")]

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::pki::{signing_line, test_ca, test_tsa};
use common::tsa::Tsa;

const STEM: &str = "hello-service_1.2.3_windows_x86_64";

fn hello_exe() -> PathBuf {
    steward_wine_bench::fresh_windows_exe("hello-service", "hello-service").unwrap_or_else(|e| {
        panic!("cross-build hello-service (rustup target add x86_64-pc-windows-gnu): {e}")
    })
}

/// A directory with the code-signing CA, the TSA and `trust.pem` (both roots).
fn make_pki() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    test_ca(dir.path());
    test_tsa(dir.path());
    let mut trust = std::fs::read_to_string(dir.path().join("ca.pem")).unwrap();
    trust.push_str(&std::fs::read_to_string(dir.path().join("tsaca.pem")).unwrap());
    std::fs::write(dir.path().join("trust.pem"), trust).unwrap();
    dir
}

/// `osslsigncode verify` with the code-signing CA and `tsa_ca`; its output.
fn osslsigncode_verify(file: &Path, ca: &Path, tsa_ca: &Path) -> String {
    let out = Command::new("osslsigncode")
        .arg("verify")
        .arg("-CAfile")
        .arg(ca)
        .arg("-TSA-CAfile")
        .arg(tsa_ca)
        .arg("-in")
        .arg(file)
        .output()
        .expect("osslsigncode not found: apt-get install osslsigncode");
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    text
}

/// The signed binary inside the zip, written to `dir/packed.exe`.
fn binary_from_zip(out: &Path, dir: &Path) -> PathBuf {
    let file = std::fs::File::open(out.join(format!("{STEM}.zip"))).unwrap();
    let mut archive = zip::ZipArchive::new(file).unwrap();
    let mut exe = Vec::new();
    archive
        .by_name("hello-service.exe")
        .unwrap()
        .read_to_end(&mut exe)
        .unwrap();
    let packed = dir.join("packed.exe");
    std::fs::write(&packed, exe).unwrap();
    packed
}

fn package(config: &Path, out: &Path) -> Result<Vec<steward_pack::Artifact>, String> {
    let loaded = steward_config::check(config).unwrap_or_else(|e| panic!("{e:#?}"));
    let product = steward_pack::Product::from_config(&loaded).unwrap();
    let plan = steward_pack::Plan::new(product, out).unwrap();
    steward_pack::execute(&plan, &mut |_| {}).map_err(|e| e.to_string())
}

#[test]
fn every_signature_is_timestamped_by_the_loopback_tsa_and_verifies() {
    let pki = make_pki();
    let dir = pki.path();
    let tsa = Tsa::start(dir);
    let extra = format!(", timestamp_url = {:?}", tsa.url);
    let config = common::project(
        dir,
        &hello_exe(),
        "1.2.3",
        r#"["zip", "msi", "nsis"]"#,
        &signing_line(dir, "trust.pem", &extra),
    );
    let out = dir.join("out");
    package(&config, &out).unwrap_or_else(|e| panic!("{e}; TSA errors: {:?}", tsa.errors()));
    assert_eq!(tsa.errors(), Vec::<String>::new());
    // The binary, the NSIS uninstaller, the MSI and the setup: four signatures, four tokens.
    assert_eq!(tsa.issued(), 4, "one timestamp per signature");

    let (ca, tsa_ca) = (dir.join("ca.pem"), dir.join("tsaca.pem"));
    let other = make_pki();
    let files = [
        out.join(format!("{STEM}.msi")),
        out.join(format!("{STEM}_setup.exe")),
        binary_from_zip(&out, dir),
    ];
    for file in &files {
        let text = osslsigncode_verify(file, &ca, &tsa_ca);
        let shown = file.display();
        assert!(text.contains("Timestamp time: "), "{shown}: {text}");
        assert!(
            text.contains("Issuer: /CN=steward test TSA CA"),
            "{shown}: {text}"
        );
        assert!(
            text.lines()
                .any(|l| l.trim() == "Timestamp Server Signature verification: ok"),
            "{shown}: {text}"
        );
        assert!(
            text.lines()
                .any(|l| l.trim() == "Signature verification: ok"),
            "{shown}: {text}"
        );
        steward_pack::sign::verify_timestamped(file, Some(&dir.join("trust.pem")))
            .unwrap_or_else(|e| panic!("{e}"));

        // Against another TSA root, osslsigncode reports the timestamp as failed (and still
        // exits 0); steward's verification fails.
        let text = osslsigncode_verify(file, &ca, &other.path().join("tsaca.pem"));
        assert!(
            text.lines()
                .any(|l| l.trim() == "Timestamp Server Signature verification: failed"),
            "{shown}: {text}"
        );
        let error = steward_pack::sign::verify(file, Some(&ca)).unwrap_err();
        assert!(
            error.to_string().contains("the timestamp does not verify"),
            "{error}"
        );
    }
}

/// osslsigncode verifies a signature whose timestamp fails and exits 0 ("Succeeded"); steward
/// used to take that for success. Now packaging fails, naming the cause.
#[test]
fn regression_a_timestamp_that_does_not_verify_fails_packaging() {
    let pki = make_pki();
    let dir = pki.path();
    let tsa = Tsa::start(dir);
    let extra = format!(", timestamp_url = {:?}", tsa.url);
    // verify_ca holds the code-signing root only, not the TSA's.
    let config = common::project(
        dir,
        &hello_exe(),
        "1.2.3",
        r#"["zip"]"#,
        &signing_line(dir, "ca.pem", &extra),
    );
    let error = package(&config, &dir.join("out")).unwrap_err();
    assert!(
        error.starts_with("signature of ")
            && error.contains("hello-service.exe does not verify: the timestamp does not verify"),
        "{error}"
    );
    assert_eq!(tsa.issued(), 1, "the TSA was asked");
}

#[test]
fn an_unreachable_timestamp_server_fails_packaging() {
    let pki = make_pki();
    let dir = pki.path();
    // A loopback port that nothing listens on any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let extra = format!(", timestamp_url = \"http://127.0.0.1:{port}/\"");
    let config = common::project(
        dir,
        &hello_exe(),
        "1.2.3",
        r#"["zip"]"#,
        &signing_line(dir, "trust.pem", &extra),
    );
    let error = package(&config, &dir.join("out")).unwrap_err();
    assert!(error.starts_with("osslsigncode failed"), "{error}");
    assert!(
        !dir.join("out").join(format!("{STEM}.zip")).exists(),
        "no zip of unsigned binaries"
    );
}
