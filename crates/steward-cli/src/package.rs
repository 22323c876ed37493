//! `steward package`: plans the release artifacts of a config, prints the plan, then (unless
//! `--dry-run`) runs it step by step with a progress line per step and ends with a table of
//! artifacts, sizes and SHA-256 digests. `--init` writes a new upgrade code into the config.
//! The MSI builder and signer (wixl + osslsigncode, or WiX v3 + signtool) are found at run time;
//! the environment variable `STEWARD_TOOLCHAIN` (`auto`, `wixl`, `wix`) overrides the choice.

use std::path::{Path, PathBuf};
use std::time::Instant;

use steward_pack::{Artifact, Plan, Product, Progress};

use crate::check;

/// Runs `steward package`; returns the last line to print.
pub fn package(
    config: &Path,
    out: Option<PathBuf>,
    dry_run: bool,
    init: bool,
) -> anyhow::Result<String> {
    if init {
        let guid = steward_pack::init_upgrade_code(config)?;
        return Ok(format!("upgrade_code = \"{guid}\" in {}", config.display()));
    }
    let loaded = check::load(config)?;
    let product = Product::from_config(&loaded)?;
    let out = out.unwrap_or_else(|| loaded.dir.join("dist"));
    let plan = Plan::new(product, &out)?;
    print!("{plan}");
    if dry_run {
        return Ok(format!(
            "dry run: {} steps, nothing built",
            plan.steps.len()
        ));
    }
    let started = Instant::now();
    let artifacts = steward_pack::execute(&plan, &mut |progress| match progress {
        Progress::Started { index, total, step } => println!("[{index}/{total}] {step} ..."),
        Progress::Finished { index, elapsed } => {
            println!("[{index}] done in {:.1}s", elapsed.as_secs_f64());
        }
    })?;
    print!("{}", table(&artifacts, &plan.out));
    Ok(format!(
        "packaged {} {} in {:.1}s",
        plan.product.name,
        plan.product.version,
        started.elapsed().as_secs_f64()
    ))
}

/// The closing table: artifact (relative to `out`), size, SHA-256.
fn table(artifacts: &[Artifact], out: &Path) -> String {
    let names: Vec<String> = artifacts
        .iter()
        .map(|a| {
            a.path
                .strip_prefix(out)
                .unwrap_or(&a.path)
                .display()
                .to_string()
        })
        .collect();
    let width = names
        .iter()
        .map(String::len)
        .max()
        .unwrap_or(0)
        .max("artifact".len());
    let mut text = format!("{:width$}  {:>10}  sha256\n", "artifact", "bytes");
    for (name, artifact) in names.iter().zip(artifacts) {
        text.push_str(&format!(
            "{name:width$}  {:>10}  {}\n",
            artifact.size, artifact.sha256
        ));
    }
    text
}
