//! `steward package`: `--init` writes an upgrade code into the config, `--dry-run` prints the
//! plan and builds nothing, a real run ends with the artifact table; bad versions are refused
//! with their position.

use std::path::Path;
use std::process::{Command, Output};

fn steward(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_steward"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run the steward binary")
}

fn project(dir: &Path, version: &str) {
    std::fs::write(dir.join("app.exe"), b"MZ stand-in\n").unwrap();
    let config = format!(
        "# my service\n[service]\nname = \"app\"\n\n[package]\nproduct = \"App\"  # shown in ARP\nversion = \"{version}\"\npublisher = \"Example\"\nbinary = \"app.exe\"\nformats = [\"zip\", \"msi\"]\n"
    );
    std::fs::write(dir.join("steward.toml"), config).unwrap();
}

#[test]
fn init_then_dry_run_then_package() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path(), "1.0.0");
    let before = std::fs::read_to_string(dir.path().join("steward.toml")).unwrap();

    // Without an upgrade code there is no MSI.
    let output = steward(dir.path(), &["package", "--dry-run"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("package.upgrade_code is required to build an MSI"),
        "{stderr}"
    );

    let output = steward(dir.path(), &["package", "--init"]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let after = std::fs::read_to_string(dir.path().join("steward.toml")).unwrap();
    assert!(
        after.starts_with(&before),
        "the rest of the file is kept: {after}"
    );
    assert!(
        after[before.len()..].starts_with("upgrade_code = \""),
        "{after}"
    );

    let output = steward(dir.path(), &["package", "--dry-run", "--out", "out"]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.contains("  2. zip app_1.0.0_windows_x86_64.zip\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("  3. msi app_1.0.0_windows_x86_64.msi (wixl)\n"),
        "{stdout}"
    );
    assert!(
        stdout.ends_with("dry run: 5 steps, nothing built\n"),
        "{stdout}"
    );
    assert!(!dir.path().join("out").exists(), "a dry run builds nothing");

    let output = steward(dir.path(), &["package", "--out", "out"]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.contains("[2/5] zip app_1.0.0_windows_x86_64.zip ..."),
        "{stdout}"
    );
    assert!(stdout.contains("\nartifact "), "{stdout}");
    // Regression: with a relative --out, the table named artifacts by their absolute paths.
    assert!(
        stdout.contains("\napp_1.0.0_windows_x86_64.zip "),
        "artifacts relative to --out: {stdout}"
    );
    assert!(
        stdout
            .lines()
            .last()
            .unwrap()
            .starts_with("packaged app 1.0.0 in "),
        "{stdout}"
    );
    assert!(dir.path().join("out/SHA256SUMS").is_file());
}

#[test]
fn a_pre_release_version_is_refused_with_its_position() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path(), "1.0.0-rc.1");
    let output = steward(dir.path(), &["package", "--dry-run"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.starts_with("steward.toml:7:11: package.version = \"1.0.0-rc.1\": expected a version Windows Installer can represent"),
        "{stderr}"
    );
}

#[test]
fn steward_toolchain_selects_the_msi_builder_and_signer() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path(), "1.0.0");
    let output = steward(dir.path(), &["package", "--init"]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");

    let run = |toolchain: &str| {
        Command::new(env!("CARGO_BIN_EXE_steward"))
            .args(["package", "--dry-run"])
            .env("STEWARD_TOOLCHAIN", toolchain)
            .current_dir(dir.path())
            .output()
            .expect("run the steward binary")
    };
    let output = run("wix");
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.contains("  3. msi app_1.0.0_windows_x86_64.msi (WiX v3 candle + light)\n"),
        "{stdout}"
    );
    let output = run("wixl");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.contains("  3. msi app_1.0.0_windows_x86_64.msi (wixl)\n"),
        "{stdout}"
    );

    let output = run("wix4");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains(r#"STEWARD_TOOLCHAIN="wix4": expected one of "auto", "wixl", "wix""#),
        "{stderr}"
    );
}
