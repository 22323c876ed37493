//! The zip is reproducible and `SHA256SUMS` checks with `sha256sum -c`; the plan lists every
//! artifact and step; the generated WiX source and NSIS script are snapshot-tested.

mod common;

use std::process::Command;

use steward_pack::discover::{Host, ToolEnv};
use steward_pack::toolchain::Toolchain;
use steward_pack::{Plan, Product, Step};

#[test]
fn two_runs_give_byte_identical_zips_and_sha256sums_checks() {
    let dir = tempfile::tempdir().unwrap();
    let exe = common::fake_exe(dir.path());
    let config = common::project(dir.path(), &exe, "1.2.3", r#"["zip"]"#, "");
    let a = common::package(&config, &dir.path().join("a"));
    // A second run, later, into another directory: the same bytes.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let b = common::package(&config, &dir.path().join("b"));
    let zip = "hello-service_1.2.3_windows_x86_64.zip";
    let bytes_a = std::fs::read(dir.path().join("a").join(zip)).unwrap();
    let bytes_b = std::fs::read(dir.path().join("b").join(zip)).unwrap();
    assert!(bytes_a == bytes_b, "zips differ");
    assert_eq!(a[0].sha256, b[0].sha256);
    let sums = std::fs::read_to_string(dir.path().join("a/SHA256SUMS")).unwrap();
    assert_eq!(sums, format!("{}  {zip}\n", a[0].sha256));
    let status = Command::new("sha256sum")
        .args(["-c", "SHA256SUMS"])
        .current_dir(dir.path().join("a"))
        .status()
        .unwrap();
    assert!(status.success());
    // Entries sorted, fixed time, fixed modes.
    let mut archive =
        zip::ZipArchive::new(std::fs::File::open(dir.path().join("a").join(zip)).unwrap()).unwrap();
    let mut entries = Vec::new();
    for i in 0..archive.len() {
        let entry = archive.by_index(i).unwrap();
        let time = entry.last_modified().unwrap();
        entries.push((
            entry.name().unwrap().into_owned(),
            entry.unix_mode().unwrap() & 0o777,
            (time.year(), time.month(), time.day()),
        ));
    }
    let day = (2000, 1, 1);
    assert_eq!(
        entries,
        [
            ("LICENSE.txt".to_owned(), 0o644, day),
            ("README.txt".to_owned(), 0o644, day),
            ("hello-service.exe".to_owned(), 0o755, day),
        ]
    );
}

#[test]
fn the_plan_lists_every_artifact_and_step() {
    let dir = tempfile::tempdir().unwrap();
    let exe = common::fake_exe(dir.path());
    let signing = r#"signing = { cert = "c.p12", password_env = "PW" }"#;
    let config = common::project(
        dir.path(),
        &exe,
        "1.2.3",
        r#"["zip", "msi", "nsis"]"#,
        signing,
    );
    let config = steward_config::check(&config).unwrap();
    let product = Product::from_config(&config).unwrap();
    let env = ToolEnv::empty(Host::Unix);
    let plan =
        Plan::with_toolchain(product.clone(), "/dist".as_ref(), Toolchain::Wixl, &env).unwrap();
    let text = plan.to_string();
    let steps: Vec<String> = text.lines().skip(1).map(|l| l.trim().to_owned()).collect();
    assert_eq!(
        steps,
        [
            "1. stage hello-service.exe, LICENSE.txt, README.txt",
            "2. sign and verify hello-service.exe (osslsigncode)",
            "3. zip hello-service_1.2.3_windows_x86_64.zip",
            "4. msi hello-service_1.2.3_windows_x86_64.msi (wixl)",
            "5. nsis hello-service_1.2.3_windows_x86_64_setup.exe (makensis)",
            "6. sign and verify hello-service_1.2.3_windows_x86_64.msi (osslsigncode)",
            "7. sign and verify hello-service_1.2.3_windows_x86_64_setup.exe (osslsigncode)",
            "8. winget manifests in /dist/winget",
            "9. checksums SHA256SUMS",
        ]
    );
    assert!(matches!(plan.steps[0], Step::Stage { .. }));
    let json = serde_json::to_value(&plan.steps).unwrap();
    assert_eq!(json[2]["step"], "zip");
    assert_eq!(json[3]["builder"], "wixl");
    assert_eq!(json[5]["tool"], "osslsigncode");

    // The same config planned for a Windows host with WiX v3 and signtool.
    let plan = Plan::with_toolchain(product, "/dist".as_ref(), Toolchain::Wix, &env).unwrap();
    let text = plan.to_string();
    assert!(
        text.contains("  2. sign and verify hello-service.exe (signtool)\n"),
        "{text}"
    );
    assert!(
        text.contains("  4. msi hello-service_1.2.3_windows_x86_64.msi (WiX v3 candle + light)\n"),
        "{text}"
    );
}

#[test]
fn an_msi_needs_an_upgrade_code() {
    let dir = tempfile::tempdir().unwrap();
    let exe = common::fake_exe(dir.path());
    let config = common::project(dir.path(), &exe, "1.2.3", r#"["msi"]"#, "");
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("upgrade_code", "# upgrade_code");
    std::fs::write(&config, text).unwrap();
    let loaded = steward_config::check(&config).unwrap();
    let error = Plan::new(Product::from_config(&loaded).unwrap(), "/dist".as_ref()).unwrap_err();
    assert!(error.to_string().ends_with(
        "package.upgrade_code is required to build an MSI (run `steward package --init` to generate one)"
    ), "{error}");
}

#[test]
fn a_missing_input_names_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = common::project(
        dir.path(),
        &dir.path().join("nope.exe"),
        "1.2.3",
        r#"["zip"]"#,
        "",
    );
    let loaded = steward_config::check(&config).unwrap();
    let error = Product::from_config(&loaded).unwrap_err().to_string();
    assert!(
        error.contains("package.binary: ") && error.ends_with("nope.exe does not exist"),
        "{error}"
    );
}

#[test]
fn versions_msi_cannot_represent_are_refused_with_their_position() {
    let dir = tempfile::tempdir().unwrap();
    let exe = common::fake_exe(dir.path());
    for (version, column) in [("1.2.3-beta.1", 11), ("1.256.0", 11), ("1.0.70000", 11)] {
        let config = common::project(dir.path(), &exe, version, r#"["zip"]"#, "");
        let errors = steward_config::check(&config).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        let line = errors[0].to_string();
        assert!(line.contains(&format!("steward.toml:8:{column}: package.version = \"{version}\": expected a version Windows Installer can represent")), "{line}");
    }
}

fn snapshot_product() -> Product {
    let dir = std::path::Path::new("/project");
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/steward.toml"),
    )
    .unwrap();
    let config = steward_config::check_str(&text, &dir.join("steward.toml")).unwrap();
    // The fixture's inputs don't exist on disk: build the product from a copy that does.
    let tmp = tempfile::tempdir().unwrap();
    for name in ["hello-service.exe", "README.txt", "LICENSE.txt"] {
        std::fs::write(tmp.path().join(name), "x").unwrap();
    }
    let moved = steward_config::check_str(&text, &tmp.path().join("steward.toml")).unwrap();
    let mut product = Product::from_config(&moved).unwrap();
    product.config = config.file;
    for file in &mut product.files {
        file.source = dir.join(&file.name);
    }
    product
}

#[test]
fn wxs_snapshot() {
    insta::assert_snapshot!(steward_pack::msi::render_wxs(&snapshot_product()).unwrap());
}

#[test]
fn nsi_snapshot() {
    let nsi = steward_pack::nsis::render_nsi(&snapshot_product(), "/dist/setup.exe", &[]).unwrap();
    insta::assert_snapshot!(nsi);
}

#[test]
fn msi_tables_have_the_service() {
    let dir = tempfile::tempdir().unwrap();
    let exe = common::fake_exe(dir.path());
    let config = common::project(dir.path(), &exe, "1.2.3", r#"["msi"]"#, "");
    common::package(&config, &dir.path().join("out"));
    let msi = dir
        .path()
        .join("out/hello-service_1.2.3_windows_x86_64.msi");
    let table = |name: &str| {
        let out = Command::new("msiinfo")
            .args(["export".as_ref(), msi.as_os_str(), name.as_ref()])
            .output()
            .expect("msiinfo not found: apt-get install msitools");
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let services = table("ServiceInstall");
    assert!(
        services.contains(
            "hello-service\tHello Service\t16\t2\t1\t\t\t[SERVICE_ACCOUNT]\t[SERVICE_PASSWORD]"
        ),
        "{services}"
    );
    let control = table("ServiceControl");
    assert!(
        control.contains("hello-service\t162"),
        "stop both, remove on uninstall: {control}"
    );
    let actions = table("CustomAction");
    assert!(actions.contains("ConfigureService\t3090\tF_hello_service.exe\tinstall --force --start [SERVICE_START] --account \"[SERVICE_ACCOUNT]\""), "{actions}");
    assert!(
        actions.contains("StartService\t3090\tF_hello_service.exe\tstart --wait"),
        "{actions}"
    );
    let sequence = table("InstallExecuteSequence");
    assert!(
        sequence.contains("ConfigureService\tNOT REMOVE~=\"ALL\" AND NOT SERVICE_PASSWORD\t5850"),
        "{sequence}"
    );
    let properties = table("Property");
    for expected in [
        "SERVICE_ACCOUNT\tNT AUTHORITY\\LocalService",
        "SERVICE_START\tauto",
        "MsiHiddenProperties\tSERVICE_PASSWORD",
        "UpgradeCode\t{0B3C7A5E-1111-4222-8333-444455556666}",
        "ProductVersion\t1.2.3",
    ] {
        assert!(properties.contains(expected), "{expected}: {properties}");
    }
    assert!(table("Upgrade").contains("{0B3C7A5E-1111-4222-8333-444455556666}"));
}

#[test]
fn a_wrapped_program_ships_its_config_and_runs_steward() {
    let dir = tempfile::tempdir().unwrap();
    let steward = dir.path().join("steward.exe");
    std::fs::write(&steward, "MZ").unwrap();
    let config = common::project(
        dir.path(),
        &steward,
        "2.0.0",
        r#"["zip", "msi", "nsis"]"#,
        "",
    );
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        text.replace(
            "[package]",
            "[program]\ncommand = \"C:\\\\app\\\\app.exe\"\n\n[package]",
        ),
    )
    .unwrap();
    let loaded = steward_config::check(&config).unwrap_or_else(|e| panic!("{e:#?}"));
    let product = Product::from_config(&loaded).unwrap();
    assert!(product.wrapped);
    let names: Vec<&str> = product.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        ["steward.exe", "LICENSE.txt", "README.txt", "steward.toml"]
    );
    let wxs = steward_pack::msi::render_wxs(&product).unwrap();
    assert!(
        wxs.contains(r#"Arguments="run --config &quot;[INSTALLDIR]steward.toml&quot;""#),
        "{wxs}"
    );
    assert!(
        wxs.contains(
            r#"ExeCommand="install --force --config &quot;[INSTALLDIR]steward.toml&quot;""#
        ),
        "{wxs}"
    );
    let nsi = steward_pack::nsis::render_nsi(&product, "setup.exe", &[]).unwrap();
    assert!(
        nsi.contains(r#"ExecWait '"$INSTDIR\steward.exe" install --force --config "$INSTDIR\steward.toml"' $0"#),
        "{nsi}"
    );
    assert!(nsi.contains(r#"ExecWait '"$INSTDIR\steward.exe" uninstall hello-service' $0"#));
}
