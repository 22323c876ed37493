//! Which tools build the MSI and sign: wixl + osslsigncode (Debian packages, what Linux builds
//! and CI use) or WiX Toolset v3 (`candle`/`light`) + `signtool` (a Windows build host). Both
//! read the same config and the same `templates/product.wxs`; makensis builds the NSIS setup in
//! either case.
//!
//! The choice is made at run time, by tool discovery ([`crate::discover`]): no build-time `cfg`.
//! It belongs to the build machine, not to the product, so it is not a config key: the
//! environment variable [`TOOLCHAIN_ENV`] (`auto`, the default, `wixl` or `wix`) or
//! [`crate::Plan::with_toolchain`] selects it.

use std::str::FromStr;

use serde::Serialize;

use crate::discover::{Host, ToolEnv};
use crate::{PackError, Tool};

/// The environment variable that selects the toolchain: `auto` (default), `wixl` or `wix`.
pub const TOOLCHAIN_ENV: &str = "STEWARD_TOOLCHAIN";

/// The toolchain asked for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Toolchain {
    /// Each tool from what is installed: wixl if found, else WiX v3 (`candle` + `light`);
    /// osslsigncode if found, else signtool. When neither is found, the host's usual one (WiX
    /// and signtool on Windows, wixl and osslsigncode elsewhere), so the error names it.
    #[default]
    Auto,
    /// wixl and osslsigncode.
    Wixl,
    /// WiX Toolset v3 (`candle` + `light`) and signtool.
    Wix,
}

impl FromStr for Toolchain {
    type Err = ();

    fn from_str(text: &str) -> Result<Toolchain, ()> {
        match text {
            "auto" | "" => Ok(Toolchain::Auto),
            "wixl" => Ok(Toolchain::Wixl),
            "wix" => Ok(Toolchain::Wix),
            _ => Err(()),
        }
    }
}

impl Toolchain {
    /// The toolchain [`TOOLCHAIN_ENV`] asks for ([`Toolchain::Auto`] when unset).
    pub fn from_env() -> Result<Toolchain, PackError> {
        let Some(value) = std::env::var_os(TOOLCHAIN_ENV) else {
            return Ok(Toolchain::Auto);
        };
        let value = value.to_string_lossy().into_owned();
        value.parse().map_err(|()| PackError::Toolchain {
            variable: TOOLCHAIN_ENV,
            value,
        })
    }

    /// The tools this toolchain uses in `env`.
    ///
    /// # Examples
    ///
    /// ```
    /// use steward_pack::discover::{Host, ToolEnv};
    /// use steward_pack::toolchain::{MsiBuilder, SignTool, Toolchain};
    ///
    /// // Nothing installed on a Windows host: the Windows tools, so errors name them.
    /// let tools = Toolchain::Auto.resolve(&ToolEnv::empty(Host::Windows));
    /// assert_eq!((tools.msi, tools.sign), (MsiBuilder::Wix, SignTool::Signtool));
    /// let tools = Toolchain::Wixl.resolve(&ToolEnv::empty(Host::Windows));
    /// assert_eq!((tools.msi, tools.sign), (MsiBuilder::Wixl, SignTool::Osslsigncode));
    /// ```
    pub fn resolve(self, env: &ToolEnv) -> Tools {
        let found = |tool: Tool| env.find(tool).is_ok();
        match self {
            Toolchain::Wixl => Tools {
                msi: MsiBuilder::Wixl,
                sign: SignTool::Osslsigncode,
            },
            Toolchain::Wix => Tools {
                msi: MsiBuilder::Wix,
                sign: SignTool::Signtool,
            },
            Toolchain::Auto => {
                let windows = env.host == Host::Windows;
                let msi = if found(Tool::Wixl) {
                    MsiBuilder::Wixl
                } else if (found(Tool::Candle) && found(Tool::Light)) || windows {
                    MsiBuilder::Wix
                } else {
                    MsiBuilder::Wixl
                };
                let sign = if found(Tool::Osslsigncode) {
                    SignTool::Osslsigncode
                } else if found(Tool::Signtool) || windows {
                    SignTool::Signtool
                } else {
                    SignTool::Osslsigncode
                };
                Tools { msi, sign }
            }
        }
    }
}

/// What builds the MSI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MsiBuilder {
    /// `wixl -a x64` (msitools).
    Wixl,
    /// WiX Toolset v3: `candle -arch x64`, then `light`.
    Wix,
}

impl MsiBuilder {
    /// How the plan names it.
    pub fn label(self) -> &'static str {
        match self {
            MsiBuilder::Wixl => "wixl",
            MsiBuilder::Wix => "WiX v3 candle + light",
        }
    }
}

/// What signs and verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignTool {
    /// osslsigncode: PKCS#12 or PEM, the password through a 0600 file, verification against
    /// `verify_ca`.
    Osslsigncode,
    /// signtool: the PKCS#12 file is imported into `CurrentUser\My` for the run (the password
    /// handed to PowerShell on its standard input), signing is by thumbprint, and the
    /// certificate and key are removed afterwards; verification is `signtool verify /pa`
    /// against the Windows trust store.
    Signtool,
}

impl SignTool {
    /// The program's name.
    pub fn label(self) -> &'static str {
        match self {
            SignTool::Osslsigncode => "osslsigncode",
            SignTool::Signtool => "signtool",
        }
    }
}

/// The resolved tools of a packaging run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Tools {
    /// What builds the MSI.
    pub msi: MsiBuilder,
    /// What signs.
    pub sign: SignTool,
}
