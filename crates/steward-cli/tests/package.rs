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
