//! The NSIS setup program: a script rendered from `templates/installer.nsi`, built with
//! `makensis` in the staging directory. The service is registered by the shipped binary's own
//! `install` verb; with signing configured, the uninstaller is signed (and verified) by
//! `!uninstfinalize` before it is embedded.

use std::path::Path;

use minijinja::context;
use minijinja::value::Serde;

use crate::sign::Signer;
use crate::tools::{Tool, run_ok};
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

/// Writes the script into `stage` and builds `out` with makensis; with a `signer`, the
/// uninstaller is signed and verified before it is embedded.
pub fn build(
    product: &Product,
    stage: &Path,
    out: &Path,
    signer: Option<&Signer>,
) -> Result<(), PackError> {
    let finalize = match signer {
        Some(signer) => signer.nsis_finalize_commands()?,
        None => Vec::new(),
    };
    let nsi = stage.join("installer.nsi");
    let text = render_nsi(product, &out.to_string_lossy(), &finalize)?;
    std::fs::write(&nsi, text).map_err(PackError::io("write", &nsi))?;
    let args = ["-V2".as_ref(), "-NOCD".as_ref(), "installer.nsi".as_ref()];
    run_ok(Tool::Makensis, &args, stage, out)?;
    Ok(())
}
