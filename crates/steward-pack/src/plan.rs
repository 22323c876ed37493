//! The plan: every artifact and every step, computed before anything is built, so
//! `steward package --dry-run` can print it and the executor runs it step by step.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;
use steward_config::Format;

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
    },
    /// Write the reproducible zip.
    Zip {
        /// The artifact.
        artifact: PathBuf,
    },
    /// Render the WiX source and build the MSI with wixl.
    Msi {
        /// The artifact.
        artifact: PathBuf,
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
            Step::SignBinaries { files } => write!(f, "sign and verify {}", files.join(", ")),
            Step::Zip { artifact } => write!(f, "zip {}", name(artifact)),
            Step::Msi { artifact } => write!(f, "msi {} (wixl)", name(artifact)),
            Step::Nsis { artifact } => write!(f, "nsis {} (makensis)", name(artifact)),
            Step::SignInstaller { artifact } => write!(f, "sign and verify {}", name(artifact)),
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
    /// The steps, in order.
    pub steps: Vec<Step>,
}

impl Plan {
    /// Plans the artifacts of `product` into `out`.
    pub fn new(product: Product, out: &Path) -> Result<Plan, PackError> {
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
            steps.push(Step::SignBinaries { files: binaries });
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

/// Whether a shipped file is a PE image osslsigncode can sign.
pub fn is_signable(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".exe") || lower.ends_with(".dll")
}
