//! The plan: every artifact and every step, computed before anything is built, so
//! `steward package --dry-run` can print it and the executor runs it step by step.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;
use steward_config::{Format, Signing};

use crate::discover::ToolEnv;
use crate::sign::signtool;
use crate::toolchain::{MsiBuilder, SignTool, Toolchain, Tools};
use crate::{PackError, Product};

/// One step of a packaging run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    /// Copy the shipped files into the staging directory.
    Stage {
        /// The file names, binary first.
        files: Vec<String>,
    },
    /// Sign the staged binaries (Authenticode), then verify them.
    SignBinaries {
        /// The binaries.
        files: Vec<String>,
        /// What signs.
        tool: SignTool,
    },
    /// Write the reproducible zip.
    Zip {
        /// The artifact.
        artifact: PathBuf,
    },
    /// Render the WiX source and build the MSI (wixl, or WiX v3 `candle` + `light`).
    Msi {
        /// The artifact.
        artifact: PathBuf,
        /// What builds it.
        builder: MsiBuilder,
    },
    /// Render the NSIS script and build the setup program with makensis (the uninstaller is
    /// signed before it is embedded when signing is configured).
    Nsis {
        /// The artifact.
        artifact: PathBuf,
    },
    /// Sign an installer, then verify it.
    SignInstaller {
        /// The installer.
        artifact: PathBuf,
        /// What signs.
        tool: SignTool,
    },
    /// Write the winget manifests (version, installer, defaultLocale).
    Winget {
        /// The directory the three files go to.
        dir: PathBuf,
    },
    /// Write `SHA256SUMS` for every artifact.
    Checksums {
        /// The checksum file.
        artifact: PathBuf,
    },
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = |p: &Path| {
            p.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        match self {
            Step::Stage { files } => write!(f, "stage {}", files.join(", ")),
            Step::SignBinaries { files, tool } => {
                write!(f, "sign and verify {} ({})", files.join(", "), tool.label())
            }
            Step::Zip { artifact } => write!(f, "zip {}", name(artifact)),
            Step::Msi { artifact, builder } => {
                write!(f, "msi {} ({})", name(artifact), builder.label())
            }
            Step::Nsis { artifact } => write!(f, "nsis {} (makensis)", name(artifact)),
            Step::SignInstaller { artifact, tool } => {
                write!(f, "sign and verify {} ({})", name(artifact), tool.label())
            }
            Step::Winget { dir } => write!(f, "winget manifests in {}", dir.display()),
            Step::Checksums { artifact } => write!(f, "checksums {}", name(artifact)),
        }
    }
}

/// What a packaging run will do.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// The product.
    pub product: Product,
    /// Where the artifacts go.
    pub out: PathBuf,
    /// Where shipped files are staged (inside `out`, removed at the end).
    pub stage: PathBuf,
    /// The timestamp of zip entries (`SOURCE_DATE_EPOCH` or the fixed default).
    pub epoch: i64,
    /// The tools that build the MSI and sign.
    pub tools: Tools,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

impl Plan {
    /// Plans the artifacts of `product` into `out` with the toolchain that
    /// [`crate::toolchain::TOOLCHAIN_ENV`] selects (default: by discovery), in this process's
    /// environment.
    pub fn new(product: Product, out: &Path) -> Result<Plan, PackError> {
        Plan::with_toolchain(
            product,
            out,
            Toolchain::from_env()?,
            &ToolEnv::from_process(),
        )
    }

    /// Plans the artifacts of `product` into `out` with `toolchain`, resolved in `env`
    /// ([`crate::execute`] then finds the tools in this process's environment).
    pub fn with_toolchain(
        product: Product,
        out: &Path,
        toolchain: Toolchain,
        env: &ToolEnv,
    ) -> Result<Plan, PackError> {
        let tools = toolchain.resolve(env);
        if let Some(signing) = &product.signing {
            supported(&product, signing, tools.sign)?;
        }
        // The tools run in the staging directory: every path they get must be absolute.
        let out = &std::path::absolute(out).map_err(PackError::io("resolve", out))?;
        let stem = product.stem();
        let mut steps = vec![Step::Stage {
            files: product.files.iter().map(|f| f.name.clone()).collect(),
        }];
        let signing = product.signing.is_some();
        if signing {
            let binaries = product
                .files
                .iter()
                .filter(|f| is_signable(&f.name))
                .map(|f| f.name.clone())
                .collect();
            steps.push(Step::SignBinaries {
                files: binaries,
                tool: tools.sign,
            });
        }
        let mut installers = Vec::new();
        for format in &product.formats {
            match format {
                Format::Zip => steps.push(Step::Zip {
                    artifact: out.join(format!("{stem}.zip")),
                }),
                Format::Msi => {
                    if product.upgrade_code.is_none() {
                        return Err(PackError::Missing {
                            file: product.config.clone(),
                            key: "package.upgrade_code",
                            what: "an MSI (run `steward package --init` to generate one)",
                        });
                    }
                    let artifact = out.join(format!("{stem}.msi"));
                    steps.push(Step::Msi {
                        artifact: artifact.clone(),
                        builder: tools.msi,
                    });
                    installers.push(artifact);
                }
                Format::Nsis => {
                    let artifact = out.join(format!("{stem}_setup.exe"));
                    steps.push(Step::Nsis {
                        artifact: artifact.clone(),
                    });
                    installers.push(artifact);
                }
            }
        }
        if signing {
            for artifact in &installers {
                steps.push(Step::SignInstaller {
                    artifact: artifact.clone(),
                    tool: tools.sign,
                });
            }
        }
        if !installers.is_empty() && product.upgrade_code.is_some() {
            steps.push(Step::Winget {
                dir: out.join("winget"),
            });
        }
        steps.push(Step::Checksums {
            artifact: out.join("SHA256SUMS"),
        });
        Ok(Plan {
            stage: out.join(format!(".stage-{stem}")),
            out: out.to_path_buf(),
            epoch: crate::zip::source_date_epoch(),
            tools,
            product,
            steps,
        })
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = &self.product;
        writeln!(
            f,
            "package {} {} ({}) into {}",
            p.product,
            p.version,
            p.name,
            self.out.display()
        )?;
        for (i, step) in self.steps.iter().enumerate() {
            writeln!(f, "  {}. {step}", i + 1)?;
        }
        Ok(())
    }
}

/// Refuses signing settings `tool` cannot honour, naming the key (rather than dropping them).
fn supported(product: &Product, signing: &Signing, tool: SignTool) -> Result<(), PackError> {
    if tool != SignTool::Signtool {
        return Ok(());
    }
    let unsupported = |key, message| PackError::Unsupported {
        file: product.config.clone(),
        key,
        message,
    };
    if signing.key.is_some() {
        return Err(unsupported("package.signing.key", signtool::NO_PEM_KEY));
    }
    if signing.verify_ca.is_some() {
        return Err(unsupported(
            "package.signing.verify_ca",
            signtool::NO_CA_FILE,
        ));
    }
    Ok(())
}

/// Whether a shipped file is a PE image osslsigncode can sign.
pub fn is_signable(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".exe") || lower.ends_with(".dll")
}
