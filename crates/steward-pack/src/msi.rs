//! The MSI: a WiX source rendered from `templates/product.wxs`, built with `wixl -a x64` in the
//! staging directory (wixl wants relative `File/@Source` paths).

use std::path::Path;

use minijinja::context;
use minijinja::value::Serde;

use crate::tools::{Tool, run_ok};
use crate::{PackError, Product, templates};

/// The WiX source for `product`.
pub fn render_wxs(product: &Product) -> Result<String, PackError> {
    let config_name = product
        .config
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (configure, start, install_verb) = if product.wrapped {
        (
            "install --force --config \"[INSTALLDIR]steward.toml\"".to_owned(),
            format!("start {} --wait", product.name),
            "steward install",
        )
    } else {
        (
            "install --force --start [SERVICE_START] --account \"[SERVICE_ACCOUNT]\"".to_owned(),
            "start --wait".to_owned(),
            "the binary's install",
        )
    };
    templates::render(
        templates::WXS,
        context! {
            p => Serde(product),
            config_name => config_name,
            icon => "product.ico",
            install_verb => install_verb,
            reg_key => registry_key(product),
            configure_args => configure,
            start_args => start,
        },
    )
}

/// The product's own registry key under `HKLM` (64-bit view), which remembers `InstallDir` and
/// `Version`: `Software\<publisher>\<product>`.
pub fn registry_key(product: &Product) -> String {
    let clean = |s: &str| s.replace('\\', "_");
    format!(
        "Software\\{}\\{}",
        clean(&product.publisher),
        clean(&product.product)
    )
}

/// Writes the WiX source into `stage` (which holds every shipped file) and builds `out`.
pub fn build(product: &Product, stage: &Path, out: &Path) -> Result<(), PackError> {
    let wxs = stage.join("product.wxs");
    std::fs::write(&wxs, render_wxs(product)?).map_err(PackError::io("write", &wxs))?;
    let args = [
        "-a".as_ref(),
        "x64".as_ref(),
        "-o".as_ref(),
        out.as_os_str(),
        "product.wxs".as_ref(),
    ];
    run_ok(Tool::Wixl, &args, stage, out)?;
    Ok(())
}
