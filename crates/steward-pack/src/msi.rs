//! The MSI: a WiX source rendered from `templates/product.wxs`, built in the staging directory
//! (every `File/@Source` is a file name relative to it) with `wixl -a x64` or, on a Windows
//! host, WiX Toolset v3: `candle -arch x64` then `light`.
//!
//! The template stays inside what both accept: the WiX v3 schema
//! (`http://schemas.microsoft.com/wix/2006/wi`) without extensions (no `util:`, no `netfx:`),
//! `Win64="yes"` components, explicit `Sequence` numbers for custom actions, and relative
//! source paths. What ServiceInstall cannot express (failure actions, delayed start, SID type)
//! is applied by the shipped binary's own `install` verb, a custom action, rather than WiX's
//! `util:ServiceConfig`, which wixl does not have.

use std::ffi::OsString;
use std::path::Path;

use minijinja::context;
use minijinja::value::Serde;

use crate::discover::ToolEnv;
use crate::toolchain::MsiBuilder;
use crate::tools::{Tool, check, exec};
use crate::{PackError, Product, templates};

/// The WiX source's file name in the staging directory.
pub const WXS_FILE: &str = "product.wxs";
/// The object file `candle` writes there.
pub const WIXOBJ_FILE: &str = "product.wixobj";

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

/// `wixl` arguments (run in the staging directory) that build `out`.
pub fn wixl_args(out: &Path) -> Vec<OsString> {
    vec![
        "-a".into(),
        "x64".into(),
        "-o".into(),
        out.into(),
        WXS_FILE.into(),
    ]
}

/// WiX v3 `candle` arguments (run in the staging directory): compile the source for x64.
pub fn candle_args() -> Vec<OsString> {
    vec![
        "-nologo".into(),
        "-arch".into(),
        "x64".into(),
        "-out".into(),
        WIXOBJ_FILE.into(),
        WXS_FILE.into(),
    ]
}

/// WiX v3 `light` arguments (run in the staging directory, which is also the base path of the
/// relative `File/@Source` paths) that link `out`. `-spdb`: no `.wixpdb` beside the MSI. ICE
/// validation stays on (it needs the Windows Installer service, present on a build host).
pub fn light_args(stage: &Path, out: &Path) -> Vec<OsString> {
    vec![
        "-nologo".into(),
        "-spdb".into(),
        "-b".into(),
        stage.into(),
        "-out".into(),
        out.into(),
        WIXOBJ_FILE.into(),
    ]
}

/// Writes the WiX source into `stage` (which holds every shipped file) and builds `out` with
/// `builder`, its tools found in `env`.
pub fn build(
    product: &Product,
    stage: &Path,
    out: &Path,
    builder: MsiBuilder,
    env: &ToolEnv,
) -> Result<(), PackError> {
    let wxs = stage.join(WXS_FILE);
    std::fs::write(&wxs, render_wxs(product)?).map_err(PackError::io("write", &wxs))?;
    let steps: Vec<(Tool, Vec<OsString>)> = match builder {
        MsiBuilder::Wixl => vec![(Tool::Wixl, wixl_args(out))],
        MsiBuilder::Wix => vec![
            (Tool::Candle, candle_args()),
            (Tool::Light, light_args(stage, out)),
        ],
    };
    // Find every tool first: a missing light.exe is reported before candle runs.
    let programs = steps
        .iter()
        .map(|(tool, _)| env.find(*tool))
        .collect::<Result<Vec<_>, _>>()?;
    for ((tool, args), program) in steps.iter().zip(&programs) {
        let refs: Vec<&std::ffi::OsStr> = args.iter().map(OsString::as_os_str).collect();
        check(*tool, out, exec(*tool, program, &refs, stage, out, None)?)?;
    }
    Ok(())
}
