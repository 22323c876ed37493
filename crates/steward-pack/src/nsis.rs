//! The NSIS setup program: a script rendered from `templates/installer.nsi`, built with
//! `makensis` in the staging directory. The service is registered by the shipped binary's own
//! `install` verb; with signing configured, the uninstaller is signed by `!uninstfinalize`
//! before it is embedded, and a copy of the signed uninstaller is verified afterwards.

use std::path::Path;

use minijinja::context;
use minijinja::value::Serde;

use crate::discover::ToolEnv;
use crate::sign::Signer;
use crate::tools::{Tool, check, exec};
use crate::{PackError, Product, templates};

/// The Add/Remove Programs key name (under `...\CurrentVersion\Uninstall`): the upgrade code in
/// braces when there is one, else the service name. Stable across versions, so an upgrade keeps
/// one entry.
pub fn arp_key(product: &Product) -> String {
    match &product.upgrade_code {
        Some(code) => format!("{{{code}}}"),
        None => product.name.clone(),
    }
}

/// The service commands the installer runs, as NSIS command lines (inside `'...'`).
struct Commands {
    install: String,
    start: String,
    stop: String,
    uninstall: String,
}

fn commands(product: &Product) -> Commands {
    let exe = format!("\"$INSTDIR\\{}\"", product.binary);
    if product.wrapped {
        let name = &product.name;
        Commands {
            install: format!("{exe} install --force --config \"$INSTDIR\\steward.toml\""),
            start: format!("{exe} start {name} --wait"),
            stop: format!("{exe} stop {name} --wait"),
            uninstall: format!("{exe} uninstall {name}"),
        }
    } else {
        Commands {
            install: format!(
                "{exe} install --force --start {} --account \"{}\"",
                product.start, product.account_arg
            ),
            start: format!("{exe} start --wait"),
            stop: format!("{exe} stop --wait"),
            uninstall: format!("{exe} uninstall"),
        }
    }
}

/// The NSIS script for `product`, writing `out_file`; `uninst_finalize` are the
/// `!uninstfinalize` commands (signing the uninstaller).
pub fn render_nsi(
    product: &Product,
    out_file: &str,
    uninst_finalize: &[String],
) -> Result<String, PackError> {
    let config_name = product
        .config
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let c = commands(product);
    templates::render(
        templates::NSI,
        context! {
            p => Serde(product),
            config_name => config_name,
            arp_key => arp_key(product),
            out_file => out_file,
            icon => product.icon.as_ref().map(|_| "product.ico"),
            license => product.license.clone(),
            install_command => c.install,
            start_command => c.start,
            stop_command => c.stop,
            uninstall_command => c.uninstall,
            uninst_finalize => Serde(uninst_finalize),
        },
    )
}

/// The signed uninstaller's copy that `!uninstfinalize` leaves in the staging directory for
/// steward to verify (it is byte for byte what makensis embeds).
pub const SIGNED_UNINSTALLER_COPY: &str = "uninstall.signed.exe";

/// `makensis` arguments (run in the staging directory).
pub fn makensis_args() -> Vec<std::ffi::OsString> {
    vec!["-V2".into(), "-NOCD".into(), "installer.nsi".into()]
}

/// Writes the script into `stage` and builds `out` with makensis (found in `env`); with a
/// `signer`, the uninstaller is signed before it is embedded, and the signed uninstaller is
/// verified before this returns.
pub fn build(
    product: &Product,
    stage: &Path,
    out: &Path,
    signer: Option<&Signer>,
    env: &ToolEnv,
) -> Result<(), PackError> {
    let program = env.find(Tool::Makensis)?;
    let copy = stage.join(SIGNED_UNINSTALLER_COPY);
    let _ = std::fs::remove_file(&copy);
    let finalize = match signer {
        Some(signer) => signer.nsis_finalize_commands(&copy)?,
        None => Vec::new(),
    };
    let nsi = stage.join("installer.nsi");
    let text = render_nsi(product, &out.to_string_lossy(), &finalize)?;
    std::fs::write(&nsi, text).map_err(PackError::io("write", &nsi))?;
    let args = makensis_args();
    let refs: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    check(
        Tool::Makensis,
        out,
        exec(Tool::Makensis, &program, &refs, stage, out, None)?,
    )?;
    if let Some(signer) = signer {
        if !copy.is_file() {
            return Err(PackError::Verify {
                path: copy,
                output: "makensis did not run the uninstaller's signing commands".into(),
            });
        }
        signer.verify(&copy)?;
        std::fs::remove_file(&copy).map_err(PackError::io("remove", &copy))?;
    }
    Ok(())
}
