//! Authenticode: a throwaway test CA and code-signing certificate made with openssl; the
//! example is packaged into zip + MSI + NSIS, all signed; every artifact verifies against the
//! test CA, and flipping one byte makes verification fail. The password never reaches a
//! command line.
#![cfg(target_os = "linux")]

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};

use common::pki::{PASSWORD, test_ca};

fn verify(path: &Path, ca: &Path) -> bool {
    steward_pack::sign::verify(path, Some(ca)).is_ok()
}

fn hello_exe() -> PathBuf {
    steward_wine_bench::fresh_windows_exe("hello-service", "hello-service").unwrap_or_else(|e| {
        panic!("cross-build hello-service (rustup target add x86_64-pc-windows-gnu): {e}")
    })
}

#[test]
fn pkcs12_with_password_env_signs_and_verifies_every_artifact() {
    let dir = tempfile::tempdir().unwrap();
    test_ca(dir.path());
    let ca = dir.path().join("ca.pem");
    // SAFETY: the variable is used by this test only and set before the signer reads it; no
    // test in this binary reads the environment concurrently except through std's lock.
    unsafe { std::env::set_var("STEWARD_TEST_SIGN_PW", PASSWORD) };
    let signing = "signing = { cert = \"leaf.p12\", password_env = \"STEWARD_TEST_SIGN_PW\", verify_ca = \"ca.pem\" }";
    let config = common::project(
        dir.path(),
        &hello_exe(),
        "1.2.3",
        r#"["zip", "msi", "nsis"]"#,
        signing,
    );
    let out = dir.path().join("out");
    common::package(&config, &out);
    let stem = "hello-service_1.2.3_windows_x86_64";
    let msi = out.join(format!("{stem}.msi"));
    let setup = out.join(format!("{stem}_setup.exe"));
    assert!(verify(&msi, &ca), "msi");
    assert!(verify(&setup, &ca), "setup");
    // The binary inside the zip was signed before it was packed.
    let mut archive =
        zip::ZipArchive::new(std::fs::File::open(out.join(format!("{stem}.zip"))).unwrap())
            .unwrap();
    let mut exe = Vec::new();
    archive
        .by_name("hello-service.exe")
        .unwrap()
        .read_to_end(&mut exe)
        .unwrap();
    let packed = dir.path().join("packed.exe");
    std::fs::write(&packed, &exe).unwrap();
    assert!(verify(&packed, &ca), "binary in the zip");
    // One flipped byte (in the middle of the signed content) breaks each signature.
    for path in [&msi, &setup, &packed] {
        let mut bytes = std::fs::read(path).unwrap();
        let i = bytes.len() / 3;
        bytes[i] ^= 0x01;
        let tampered = dir.path().join("tampered");
        std::fs::write(&tampered, bytes).unwrap();
        assert!(
            !verify(&tampered, &ca),
            "{} still verifies after a flipped byte",
            path.display()
        );
    }
    // And against another CA nothing verifies.
    let other = tempfile::tempdir().unwrap();
    test_ca(other.path());
    assert!(!verify(&msi, &other.path().join("ca.pem")));
}

#[test]
fn pem_with_password_file_and_the_password_never_on_a_command_line() {
    let dir = tempfile::tempdir().unwrap();
    test_ca(dir.path());
    std::fs::write(dir.path().join("pw.txt"), format!("{PASSWORD}\n")).unwrap();
    let signing = "signing = { cert = \"leaf.pem\", key = \"leaf.key\", password_file = \"pw.txt\", verify_ca = \"ca.pem\" }";
    let config = common::project(dir.path(), &hello_exe(), "1.2.3", r#"["msi"]"#, signing);
    let loaded = steward_config::check(&config).unwrap();
    let signing = loaded.package.as_ref().unwrap().signing.clone().unwrap();
    let signer =
        steward_pack::sign::Signer::new(&signing, "Hello", signing.verify_ca.clone()).unwrap();
    let args: Vec<String> = signer
        .sign_args()
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    assert!(!args.iter().any(|a| a.contains(PASSWORD)), "{args:?}");
    let readpass = &args[args.iter().position(|a| a == "-readpass").unwrap() + 1];
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(readpass).unwrap().permissions().mode() & 0o777,
        0o600
    );
    for command in signer
        .nsis_finalize_commands(&dir.path().join("copy.exe"))
        .unwrap()
    {
        assert!(!command.contains(PASSWORD), "{command}");
    }
    drop(signer);
    assert!(
        !Path::new(readpass).exists(),
        "the password file is deleted"
    );

    let out = dir.path().join("out");
    common::package(&config, &out);
    assert!(verify(
        &out.join("hello-service_1.2.3_windows_x86_64.msi"),
        &dir.path().join("ca.pem")
    ));
}

#[test]
fn a_wrong_password_fails_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    test_ca(dir.path());
    std::fs::write(dir.path().join("pw.txt"), "wrong\n").unwrap();
    let signing =
        "signing = { cert = \"leaf.p12\", password_file = \"pw.txt\", verify_ca = \"ca.pem\" }";
    let config = common::project(dir.path(), &hello_exe(), "1.2.3", r#"["msi"]"#, signing);
    let loaded = steward_config::check(&config).unwrap();
    let product = steward_pack::Product::from_config(&loaded).unwrap();
    let plan = steward_pack::Plan::new(product, &dir.path().join("out")).unwrap();
    let error = steward_pack::execute(&plan, &mut |_| {})
        .unwrap_err()
        .to_string();
    assert!(error.starts_with("osslsigncode failed"), "{error}");
    assert!(!error.contains("wrong"), "{error}");
}
