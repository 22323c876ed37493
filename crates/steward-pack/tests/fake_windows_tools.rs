//! The WiX v3 and signtool backends driven end to end against stand-ins: small shell scripts
//! named `candle.exe`, `light.exe`, `signtool.exe` and `powershell.exe` that record how they
//! are run (arguments, working directory, standard input) and act like the real tools in the
//! one respect each step depends on. This checks steward's side of the contract (order,
//! working directory, the password only on standard input, the imported certificate removed
//! afterwards, also after a failure); the real tools' behaviour stays untested without a
//! Windows host.
#![cfg(unix)]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use steward_pack::discover::{Host, ToolEnv};
use steward_pack::sign::Signer;
use steward_pack::toolchain::{MsiBuilder, SignTool};
use steward_pack::{PackError, Product, msi};

const THUMBPRINT: &str = "89ABCDEF0123456789ABCDEF0123456789ABCDEF";

/// Writes an executable script `bin/name` running `body` with `LOG` set to `log`.
fn script(bin: &Path, name: &str, log: &Path, body: &str) {
    let path = bin.join(name);
    let text = format!(
        "#!/bin/sh\nLOG='{}'\necho \"{name} cwd=$(pwd)\" >> \"$LOG\"\nfor a in \"$@\"; do echo \"  $a\" >> \"$LOG\"; done\n{body}\n",
        log.display()
    );
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn env(bin: &Path) -> ToolEnv {
    ToolEnv {
        path: vec![bin.to_path_buf()],
        ..ToolEnv::empty(Host::Unix)
    }
}

fn product(dir: &Path, signing: &str) -> Product {
    let exe = common::fake_exe(dir);
    let config = common::project(dir, &exe, "1.2.3", r#"["msi"]"#, signing);
    let loaded = steward_config::check(&config).unwrap_or_else(|e| panic!("{e:#?}"));
    Product::from_config(&loaded).unwrap()
}

#[test]
fn wix_runs_candle_then_light_in_the_staging_directory() {
    let dir = tempfile::tempdir().unwrap();
    let (bin, stage, log) = (
        dir.path().join("bin"),
        dir.path().join("stage"),
        dir.path().join("log"),
    );
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::create_dir_all(&stage).unwrap();
    // candle needs the source in its working directory and writes the object file there;
    // light needs the object file and writes the MSI named after -out.
    script(
        &bin,
        "candle.exe",
        &log,
        "test -f product.wxs || exit 9\necho obj > product.wixobj",
    );
    script(
        &bin,
        "light.exe",
        &log,
        "test -f product.wixobj || exit 9\nwhile [ \"$1\" != -out ]; do shift; done\necho msi > \"$2\"",
    );
    let product = product(dir.path(), "");
    let out = dir.path().join("hello.msi");

    // light.exe missing: nothing runs, and the error says where it was looked for.
    std::fs::rename(bin.join("light.exe"), dir.path().join("light.exe")).unwrap();
    let error = msi::build(&product, &stage, &out, MsiBuilder::Wix, &env(&bin)).unwrap_err();
    assert!(
        matches!(error, PackError::ToolMissing { tool: "light", .. }),
        "{error}"
    );
    assert!(!log.exists(), "candle did not run");
    std::fs::rename(dir.path().join("light.exe"), bin.join("light.exe")).unwrap();

    msi::build(&product, &stage, &out, MsiBuilder::Wix, &env(&bin)).unwrap();
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "msi\n");
    let stage = stage.display();
    let out = out.display();
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        format!(
            "candle.exe cwd={stage}\n  -nologo\n  -arch\n  x64\n  -out\n  product.wixobj\n  product.wxs\n\
             light.exe cwd={stage}\n  -nologo\n  -spdb\n  -b\n  {stage}\n  -out\n  {out}\n  product.wixobj\n"
        )
    );
}

/// Stand-ins for PowerShell (import prints the thumbprint, remove is recorded) and signtool
/// (`sign` appends a marker, fails for a file named `fail.exe`; `verify` checks the marker).
fn signing_tools(bin: &Path, log: &Path) {
    let stdin_log = bin.join("stdin.log");
    script(
        bin,
        "powershell.exe",
        log,
        &format!(
            "script=$(printf %s \"$5\" | base64 -d | iconv -f UTF-16LE -t UTF-8)\n\
             case \"$script\" in\n\
             *Import-PfxCertificate*) IFS= read -r line; printf '%s\\n' \"$line\" >> '{}'; echo \"  (import)\" >> \"$LOG\"; echo 'ADDED {THUMBPRINT}'; echo 'SIGN {THUMBPRINT}' ;;\n\
             *Remove-Item*) echo \"  (remove $(printf %s \"$script\" | grep -o \"@('[0-9A-F]*')\"))\" >> \"$LOG\" ;;\n\
             *) exit 9 ;;\n\
             esac",
            stdin_log.display()
        ),
    );
    script(
        bin,
        "signtool.exe",
        log,
        "for f in \"$@\"; do file=\"$f\"; done\n\
         case \"$1\" in\n\
         sign) case \"$file\" in *fail.exe) exit 1 ;; esac; printf signed >> \"$file\" ;;\n\
         verify) grep -q signed \"$file\" ;;\n\
         esac",
    );
}

fn signer(dir: &Path, bin: &Path) -> Signer {
    let product = product(
        dir,
        &format!(
            "signing = {{ cert = \"codesign.pfx\", password_file = {:?}, timestamp_url = \"http://ts.example\" }}",
            dir.join("pw.txt")
        ),
    );
    let signing = product.signing.unwrap();
    Signer::with_tool(SignTool::Signtool, &signing, "Hello", None, &env(bin)).unwrap()
}

#[test]
fn signtool_signs_by_thumbprint_with_the_password_only_on_standard_input() {
    const SECRET: &str = "correct horse battery staple";
    let dir = tempfile::tempdir().unwrap();
    let (bin, log) = (dir.path().join("bin"), dir.path().join("log"));
    std::fs::create_dir_all(&bin).unwrap();
    signing_tools(&bin, &log);
    std::fs::write(dir.path().join("codesign.pfx"), "").unwrap();
    std::fs::write(dir.path().join("pw.txt"), format!("{SECRET}\n")).unwrap();
    let file: PathBuf = dir.path().join("app.exe");
    std::fs::write(&file, "MZ").unwrap();

    let signer = signer(dir.path(), &bin);
    signer.sign(&file).unwrap();
    signer.finish().unwrap();
    let text = std::fs::read_to_string(&log).unwrap();
    let calls: Vec<&str> = text.lines().filter(|l| !l.starts_with(' ')).collect();
    assert_eq!(calls.len(), 4, "import, sign, verify, remove: {text}");
    assert!(calls[0].starts_with("powershell.exe cwd="), "{text}");
    let pfx_dir = dir.path().display().to_string();
    assert_eq!(calls[0], format!("powershell.exe cwd={pfx_dir}"));
    assert!(
        text.contains(&format!(
            "signtool.exe cwd={pfx_dir}\n  sign\n  /fd\n  sha256\n  /sha1\n  {THUMBPRINT}\n  /s\n  My\n  /d\n  Hello\n  /tr\n  http://ts.example\n  /td\n  sha256\n  {}\n",
            file.display()
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("\n  verify\n  /pa\n  /tw\n  {}\n", file.display())),
        "{text}"
    );
    assert!(
        text.ends_with(&format!("  (remove @('{THUMBPRINT}'))\n")),
        "{text}"
    );
    // The password went to PowerShell's standard input, and nowhere on a command line.
    assert_eq!(
        std::fs::read_to_string(bin.join("stdin.log")).unwrap(),
        format!("{SECRET}\n")
    );
    assert!(!text.contains(SECRET), "{text}");
    assert!(std::fs::read_to_string(&file).unwrap().ends_with("signed"));
}

#[test]
fn the_imported_certificate_is_removed_also_when_signing_fails() {
    let dir = tempfile::tempdir().unwrap();
    let (bin, log) = (dir.path().join("bin"), dir.path().join("log"));
    std::fs::create_dir_all(&bin).unwrap();
    signing_tools(&bin, &log);
    std::fs::write(dir.path().join("codesign.pfx"), "").unwrap();
    std::fs::write(dir.path().join("pw.txt"), "pw\n").unwrap();
    let file = dir.path().join("fail.exe");
    std::fs::write(&file, "MZ").unwrap();

    let signer = signer(dir.path(), &bin);
    let error = signer.sign(&file).unwrap_err().to_string();
    assert!(error.starts_with("signtool failed"), "{error}");
    drop(signer);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.ends_with(&format!("  (remove @('{THUMBPRINT}'))\n")),
        "{text}"
    );
}
