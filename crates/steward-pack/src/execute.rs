//! The executor: runs a [`Plan`] step by step, reporting progress, and returns the artifacts
//! with their sizes and SHA-256 digests.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::checksums::{sha256_file, sums_text};
use crate::discover::ToolEnv;
use crate::plan::{Plan, Step};
use crate::sign::Signer;
use crate::{PackError, msi, nsis, winget, zip};

/// One file `steward package` produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Artifact {
    /// Where it is.
    pub path: PathBuf,
    /// Its size in bytes.
    pub size: u64,
    /// Its SHA-256, lowercase hex.
    pub sha256: String,
}

/// A progress report of the executor.
#[derive(Debug, Clone, Copy)]
pub enum Progress<'a> {
    /// Step `index` (1-based) of `total` begins.
    Started {
        /// 1-based.
        index: usize,
        /// How many steps there are.
        total: usize,
        /// The step.
        step: &'a Step,
    },
    /// That step ended well after `elapsed`.
    Finished {
        /// 1-based.
        index: usize,
        /// How long it took.
        elapsed: Duration,
    },
}

/// Runs every step of `plan`; `progress` sees each step start and finish. The staging
/// directory is removed afterwards, also on failure.
pub fn execute(
    plan: &Plan,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<Vec<Artifact>, PackError> {
    std::fs::create_dir_all(&plan.out).map_err(PackError::io("create directory", &plan.out))?;
    let _ = std::fs::remove_dir_all(&plan.stage);
    std::fs::create_dir_all(&plan.stage).map_err(PackError::io("create directory", &plan.stage))?;
    let result = run_steps(plan, progress);
    let _ = std::fs::remove_dir_all(&plan.stage);
    result
}

/// Sets up signing (if configured), runs the steps, and always ends signing (which removes
/// what it set up); an error of a step wins over one of the clean-up.
fn run_steps(
    plan: &Plan,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<Vec<Artifact>, PackError> {
    let env = ToolEnv::from_process();
    let product = &plan.product;
    let signer = match &product.signing {
        Some(signing) => Some(Signer::with_tool(
            plan.tools.sign,
            signing,
            &product.product,
            signing.verify_ca.clone(),
            &env,
        )?),
        None => None,
    };
    let result = steps(plan, signer.as_ref(), &env, progress);
    let finished = signer.map_or(Ok(()), Signer::finish);
    let artifacts = result?;
    finished?;
    Ok(artifacts)
}

fn steps(
    plan: &Plan,
    signer: Option<&Signer>,
    env: &ToolEnv,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<Vec<Artifact>, PackError> {
    let product = &plan.product;
    let mut artifacts: Vec<PathBuf> = Vec::new();
    let total = plan.steps.len();
    for (i, step) in plan.steps.iter().enumerate() {
        let index = i + 1;
        progress(Progress::Started { index, total, step });
        let started = Instant::now();
        match step {
            Step::Stage { .. } => stage(plan)?,
            Step::SignBinaries { files, .. } => {
                let signer = signer.expect("planned only with signing");
                for name in files {
                    signer.sign(&plan.stage.join(name))?;
                }
            }
            Step::Zip { artifact } => {
                let entries: Vec<(String, PathBuf)> = product
                    .files
                    .iter()
                    .map(|f| (f.name.clone(), plan.stage.join(&f.name)))
                    .collect();
                zip::write_zip(artifact, &entries, plan.epoch)?;
                artifacts.push(artifact.clone());
            }
            Step::Msi { artifact, builder } => {
                msi::build(product, &plan.stage, artifact, *builder, env)?;
                artifacts.push(artifact.clone());
            }
            Step::Nsis { artifact } => {
                nsis::build(product, &plan.stage, artifact, signer, env)?;
                artifacts.push(artifact.clone());
            }
            Step::SignInstaller { artifact, .. } => {
                signer.expect("planned only with signing").sign(artifact)?;
            }
            Step::Winget { dir } => {
                let written = winget::write(product, dir, &plan.steps)?;
                artifacts.extend(written);
            }
            Step::Checksums { artifact } => {
                let mut sums = Vec::new();
                for path in &artifacts {
                    if path.parent() == Some(plan.out.as_path()) {
                        sums.push((file_name(path), sha256_file(path)?));
                    }
                }
                std::fs::write(artifact, sums_text(&sums))
                    .map_err(PackError::io("write", artifact))?;
                artifacts.push(artifact.clone());
            }
        }
        progress(Progress::Finished {
            index,
            elapsed: started.elapsed(),
        });
    }
    artifacts
        .iter()
        .map(|path| {
            let size = std::fs::metadata(path)
                .map_err(PackError::io("read", path))?
                .len();
            Ok(Artifact {
                path: path.clone(),
                size,
                sha256: sha256_file(path)?,
            })
        })
        .collect()
}

/// Copies the shipped files (and the icon) into the staging directory.
fn stage(plan: &Plan) -> Result<(), PackError> {
    for file in &plan.product.files {
        let dest = plan.stage.join(&file.name);
        std::fs::copy(&file.source, &dest).map_err(PackError::io("copy", &file.source))?;
        // Binaries are signed in place: make the copy writable whatever the source's mode.
        set_writable(&dest)?;
    }
    if let Some(icon) = &plan.product.icon {
        let dest = plan.stage.join("product.ico");
        std::fs::copy(icon, &dest).map_err(PackError::io("copy", icon))?;
    }
    Ok(())
}

fn set_writable(path: &Path) -> Result<(), PackError> {
    let mut permissions = std::fs::metadata(path)
        .map_err(PackError::io("read", path))?
        .permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    permissions.set_readonly(false);
    std::fs::set_permissions(path, permissions).map_err(PackError::io("write", path))
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
