//! The Windows-host toolchain (WiX v3 `candle`/`light`, `signtool`, makensis from its
//! installer directory) without a Windows host: tool discovery over fake directory layouts,
//! the toolchain choice, the planned command lines as snapshots (no secret in any of them),
//! and the settings signtool cannot honour refused with the key named.

mod common;

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use base64::Engine;
use steward_pack::discover::{Host, ToolEnv};
use steward_pack::sign::signtool;
use steward_pack::toolchain::{MsiBuilder, SignTool, Toolchain};
use steward_pack::{Plan, Product, Tool, msi, nsis};

/// Creates an empty file at `root/relative` (and its directories).
fn touch(root: &Path, relative: &str) -> PathBuf {
    let path = relative
        .split('/')
        .fold(root.to_path_buf(), |path, part| path.join(part));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, "").unwrap();
    path
}

fn windows_env(root: &Path) -> ToolEnv {
    ToolEnv {
        program_files_x86: Some(root.join("Program Files (x86)")),
        program_files: Some(root.join("Program Files")),
        system_root: Some(root.join("Windows")),
        ..ToolEnv::empty(Host::Windows)
    }
}

#[test]
fn wix_is_found_in_percent_wix_then_path_then_its_install_directory() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let mut env = windows_env(root);
    // Installed WiX v3.11 and v3.14, and a WiX v4 (not v3: never picked).
    touch(root, "Program Files (x86)/WiX Toolset v3.11/bin/candle.exe");
    let newest = touch(root, "Program Files (x86)/WiX Toolset v3.14/bin/candle.exe");
    touch(root, "Program Files (x86)/WiX Toolset v4.0/bin/candle.exe");
    assert_eq!(env.find(Tool::Candle).unwrap(), newest);

    let on_path = touch(root, "tools/candle.exe");
    env.path = vec![root.join("empty"), root.join("tools")];
    assert_eq!(env.find(Tool::Candle).unwrap(), on_path, "PATH first");

    let in_wix = touch(root, "wix3/bin/candle.exe");
    env.wix = Some(root.join("wix3"));
    assert_eq!(env.find(Tool::Candle).unwrap(), in_wix, "%WIX%\\bin first");

    // light.exe is looked up the same way, independently.
    let error = env.find(Tool::Light).unwrap_err().to_string();
    assert_eq!(
        error,
        r"light not found in %WIX%\bin, on PATH or in %ProgramFiles(x86)%\WiX Toolset v3.*\bin: install WiX Toolset v3 (its installer sets %WIX%), or build on Linux with wixl"
    );
}

#[test]
fn signtool_is_found_on_path_then_in_the_newest_windows_sdk() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let mut env = windows_env(root);
    let kits = "Program Files (x86)/Windows Kits/10/bin";
    let legacy = touch(root, &format!("{kits}/x64/signtool.exe"));
    assert_eq!(env.find(Tool::Signtool).unwrap(), legacy, "old flat layout");
    touch(root, &format!("{kits}/10.0.19041.0/x64/signtool.exe"));
    let newest = touch(root, &format!("{kits}/10.0.22621.0/x64/signtool.exe"));
    // Newer SDK directories without an x64 signtool are skipped; numeric order, not text.
    touch(root, &format!("{kits}/10.0.26100.0/arm64/signtool.exe"));
    touch(root, &format!("{kits}/10.0.9200.0/x64/signtool.exe"));
    assert_eq!(env.find(Tool::Signtool).unwrap(), newest);
    let on_path = touch(root, "sdk/signtool.exe");
    env.path = vec![root.join("sdk")];
    assert_eq!(env.find(Tool::Signtool).unwrap(), on_path, "PATH first");
}

#[test]
fn makensis_and_powershell_in_their_install_directories() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let env = windows_env(root);
    assert!(env.find(Tool::Makensis).is_err());
    let nsis = touch(root, "Program Files (x86)/NSIS/makensis.exe");
    assert_eq!(env.find(Tool::Makensis).unwrap(), nsis);
    let ps = touch(
        root,
        "Windows/System32/WindowsPowerShell/v1.0/powershell.exe",
    );
    assert_eq!(env.find(Tool::Powershell).unwrap(), ps);

    // On a Unix host the portable tools have no `.exe`, and Program Files is not searched.
    let unix = ToolEnv {
        path: vec![root.join("bin")],
        ..windows_env(root)
    };
    let unix = ToolEnv {
        host: Host::Unix,
        ..unix
    };
    touch(root, "bin/makensis.exe");
    let bare = touch(root, "bin/makensis");
    assert_eq!(unix.find(Tool::Makensis).unwrap(), bare);
    assert_eq!(unix.file_name(Tool::Signtool), "signtool.exe");
    assert_eq!(
        unix.find(Tool::Wixl).unwrap_err().to_string(),
        "wixl not found on PATH: install it with `apt-get install wixl`"
    );
}

#[test]
fn the_toolchain_is_chosen_by_discovery_or_by_name() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let pick = |toolchain: Toolchain, env: &ToolEnv| {
        let tools = toolchain.resolve(env);
        (tools.msi, tools.sign)
    };
    // Linux with the Debian packages.
    touch(root, "usr/bin/wixl");
    touch(root, "usr/bin/osslsigncode");
    let linux = ToolEnv {
        path: vec![root.join("usr/bin")],
        ..ToolEnv::empty(Host::Unix)
    };
    assert_eq!(
        pick(Toolchain::Auto, &linux),
        (MsiBuilder::Wixl, SignTool::Osslsigncode)
    );
    assert_eq!(
        pick(Toolchain::Wix, &linux),
        (MsiBuilder::Wix, SignTool::Signtool),
        "asked for by name, even where it is not installed (the run then names what is missing)"
    );
    // A Windows build host with WiX v3 and the SDK.
    let windows = windows_env(root);
    touch(root, "Program Files (x86)/WiX Toolset v3.14/bin/candle.exe");
    touch(root, "Program Files (x86)/WiX Toolset v3.14/bin/light.exe");
    touch(
        root,
        "Program Files (x86)/Windows Kits/10/bin/10.0.22621.0/x64/signtool.exe",
    );
    assert_eq!(
        pick(Toolchain::Auto, &windows),
        (MsiBuilder::Wix, SignTool::Signtool)
    );
    // A Windows host that also has osslsigncode on PATH signs with it (verify_ca works there).
    let windows_ossl = ToolEnv {
        path: vec![root.join("ossl")],
        ..windows_env(root)
    };
    touch(root, "ossl/osslsigncode.exe");
    assert_eq!(
        pick(Toolchain::Auto, &windows_ossl),
        (MsiBuilder::Wix, SignTool::Osslsigncode)
    );
    // Nothing installed: the host's usual tools, so the error names them.
    assert_eq!(
        pick(Toolchain::Auto, &ToolEnv::empty(Host::Unix)),
        (MsiBuilder::Wixl, SignTool::Osslsigncode)
    );
    assert_eq!(
        pick(Toolchain::Auto, &ToolEnv::empty(Host::Windows)),
        (MsiBuilder::Wix, SignTool::Signtool)
    );
    for (text, toolchain) in [
        ("auto", Toolchain::Auto),
        ("wixl", Toolchain::Wixl),
        ("wix", Toolchain::Wix),
    ] {
        assert_eq!(text.parse::<Toolchain>(), Ok(toolchain));
    }
    assert!("wix4".parse::<Toolchain>().is_err());
}

fn lines(args: &[OsString]) -> String {
    args.iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Decodes the `-EncodedCommand` argument back into the script.
fn encoded_script(args: &[OsString]) -> String {
    let i = args.iter().position(|a| a == "-EncodedCommand").unwrap();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(args[i + 1].to_string_lossy().as_bytes())
        .unwrap();
    let units: Vec<u16> = bytes
        .chunks(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16(&units).unwrap()
}

const THUMBPRINT: &str = "0123456789ABCDEF0123456789ABCDEF01234567";

#[test]
fn wix_and_signtool_command_lines() {
    let stage = PathBuf::from(r"C:\build\dist\.stage-hello-service_1.2.3_windows_x86_64");
    let out = PathBuf::from(r"C:\build\dist\hello-service_1.2.3_windows_x86_64.msi");
    let pfx = PathBuf::from(r"C:\secrets\O'Brien codesign.pfx");
    let script = signtool::import_script(&pfx, true);
    let ps_args = signtool::powershell_args(&script);
    assert_eq!(encoded_script(&ps_args), script, "round trip");
    let sign = signtool::sign_args(
        THUMBPRINT,
        "Hello Service",
        Some("http://timestamp.example/rfc3161"),
    );
    let finalize = signtool::finalize_commands(
        Path::new(r"C:\Program Files (x86)\Windows Kits\10\bin\10.0.22621.0\x64\signtool.exe"),
        &sign,
        Path::new(r"C:\build\dist\.stage-hello-service_1.2.3_windows_x86_64\uninstall.signed.exe"),
    )
    .unwrap();
    let all = format!(
        "wixl (run in the staging directory):\n{}\n\n\
         candle (run in the staging directory):\n{}\n\n\
         light (run in the staging directory):\n{}\n\n\
         makensis (run in the staging directory):\n{}\n\n\
         powershell (the password on standard input):\n{}\n\n\
         import script:\n{}\n\
         import script without a password:\n{}\n\
         signtool sign (then the file):\n{}\n\n\
         signtool verify, timestamped (then the file):\n{}\n\n\
         signtool verify (then the file):\n{}\n\n\
         !uninstfinalize (cmd.exe):\n{}\n\n\
         remove script:\n{}",
        lines(&msi::wixl_args(&out)),
        lines(&msi::candle_args()),
        lines(&msi::light_args(&stage, &out)),
        lines(&nsis::makensis_args()),
        lines(&ps_args[..ps_args.len() - 1]),
        script,
        signtool::import_script(&pfx, false),
        lines(&sign),
        lines(&signtool::verify_args(true)),
        lines(&signtool::verify_args(false)),
        finalize.join("\n"),
        signtool::remove_script(&[THUMBPRINT.into(), "not a thumbprint".into()]),
    );
    insta::assert_snapshot!(all);
}

/// A signing config with an encrypted PFX whose password is in an environment variable.
fn signtool_project(dir: &Path, signing: &str) -> Product {
    let exe = common::fake_exe(dir);
    std::fs::write(dir.join("codesign.pfx"), "").unwrap();
    let config = common::project(dir, &exe, "1.2.3", r#"["zip", "msi", "nsis"]"#, signing);
    let loaded = steward_config::check(&config).unwrap_or_else(|e| panic!("{e:#?}"));
    Product::from_config(&loaded).unwrap()
}

#[test]
fn the_planned_command_lines_never_carry_a_password() {
    let dir = tempfile::tempdir().unwrap();
    let product = signtool_project(
        dir.path(),
        r#"signing = { cert = "codesign.pfx", password_env = "STEWARD_TEST_PFX_PW", timestamp_url = "http://ts.example" }"#,
    );
    let plan = Plan::with_toolchain(
        product.clone(),
        "/dist".as_ref(),
        Toolchain::Wix,
        &ToolEnv::empty(Host::Windows),
    )
    .unwrap();
    assert_eq!(plan.tools.sign, SignTool::Signtool);
    let signing = product.signing.unwrap();
    let script = signtool::import_script(&signing.cert, true);
    let mut every = signtool::powershell_args(&script);
    every.extend(signtool::sign_args(
        THUMBPRINT,
        &product.product,
        signing.timestamp_url.as_deref(),
    ));
    every.extend(signtool::verify_args(true));
    let text = format!("{}\n{script}", lines(&every));
    // The password is read from standard input by the script, never written into it.
    assert!(
        script.contains("[Console]::OpenStandardInput()"),
        "{script}"
    );
    assert!(
        !text.contains("/p "),
        "signtool's password option is never used"
    );
    assert!(
        !text.contains("STEWARD_TEST_PFX_PW"),
        "not even the variable"
    );
}

#[test]
fn signtool_refuses_what_it_cannot_do_and_names_the_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("codesign.key"), "").unwrap();
    let plan = |signing: &str| {
        Plan::with_toolchain(
            signtool_project(dir.path(), signing),
            "/dist".as_ref(),
            Toolchain::Wix,
            &ToolEnv::empty(Host::Windows),
        )
        .map(drop)
        .unwrap_err()
        .to_string()
    };
    let error = plan(r#"signing = { cert = "codesign.pfx", key = "codesign.key" }"#);
    assert!(
        error.ends_with("steward.toml: package.signing.key: signtool signs with a PKCS#12 (.pfx) file only: convert the PEM pair with `openssl pkcs12 -export` and name the .pfx in `cert`, or sign with osslsigncode (STEWARD_TOOLCHAIN=wixl)"),
        "{error}"
    );
    let error = plan(r#"signing = { cert = "codesign.pfx", verify_ca = "ca.pem" }"#);
    assert!(
        error.contains("package.signing.verify_ca: signtool verifies against the Windows certificate store and cannot take a CA file"),
        "{error}"
    );
    // osslsigncode takes both.
    let product = signtool_project(
        dir.path(),
        r#"signing = { cert = "codesign.pfx", key = "codesign.key", verify_ca = "ca.pem" }"#,
    );
    let env = ToolEnv::empty(Host::Windows);
    assert!(Plan::with_toolchain(product, "/dist".as_ref(), Toolchain::Wixl, &env).is_ok());
}
