//! Shared by the integration tests: a packaging project around the example service.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use steward_pack::{Artifact, Plan, Product};

/// A project directory with a `steward.toml` packaging `exe` as hello-service `version`, with
/// `extra` appended to the `[package]` table.
pub fn project(dir: &Path, exe: &Path, version: &str, formats: &str, extra: &str) -> PathBuf {
    std::fs::write(dir.join("README.txt"), format!("hello-service {version}\n")).unwrap();
    std::fs::write(dir.join("LICENSE.txt"), "MIT\n").unwrap();
    let config = format!(
        r#"[service]
name = "hello-service"
display_name = "Hello Service"
description = "Says it is running every five seconds"

[package]
product = "Hello Service"
version = "{version}"
publisher = "Example Corp"
upgrade_code = "0b3c7a5e-1111-4222-8333-444455556666"
binary = {exe:?}
files = ["README.txt"]
license = "LICENSE.txt"
formats = {formats}
{extra}
"#
    );
    let path = dir.join("steward.toml");
    std::fs::write(&path, config).unwrap();
    path
}

/// Packages the project at `config` into `out`.
pub fn package(config: &Path, out: &Path) -> Vec<Artifact> {
    let config = steward_config::check(config).unwrap_or_else(|e| panic!("{e:#?}"));
    let product = Product::from_config(&config).unwrap();
    let plan = Plan::new(product, out).unwrap();
    steward_pack::execute(&plan, &mut |_| {}).unwrap_or_else(|e| panic!("{e}"))
}

/// A small file standing in for a Windows binary in tests that never run it.
pub fn fake_exe(dir: &Path) -> PathBuf {
    let path = dir.join("hello-service.exe");
    std::fs::write(&path, b"MZ not really a program\n").unwrap();
    path
}

pub mod pki;
pub mod tsa;

// The Wine bench exists only on Linux (the Wine tests are gated the same way).
#[cfg(target_os = "linux")]
pub mod wine;
