//! Packaging for steward services: the release artifacts a Windows shop deploys, built on Linux
//! (or Windows) from the `[package]` and `[service]` tables of a `steward.toml`.
//!
//! - a **reproducible zip** `{name}_{version}_windows_x86_64.zip` (sorted entries, one fixed
//!   timestamp from `SOURCE_DATE_EPOCH`, fixed permissions) and `SHA256SUMS`;
//! - an **MSI** built from `templates/product.wxs` with `wixl` or, on a Windows host, WiX v3
//!   (`candle` + `light`), which installs the files under `INSTALLDIR`, registers the service
//!   (`ServiceInstall`/`ServiceControl`) and upgrades in place (`MajorUpgrade`, stable upgrade
//!   code, a product code per version);
//! - an **NSIS** setup program from `templates/installer.nsi` that registers the service by
//!   calling the shipped binary's own `install`;
//! - **Authenticode** signatures with `osslsigncode` or `signtool`, each verified right after
//!   signing (with its RFC 3161 timestamp when one is configured);
//! - **winget** manifests (schema 1.6, multi-file).
//!
//! The tools are found at run time ([`discover`]); [`toolchain`] says which are used.
//!
//! Packaging is planned first ([`Plan`]), then executed step by step ([`execute`]).
//!
//! # Example
//!
//! ```no_run
//! let config = steward_config::check("steward.toml".as_ref()).expect("valid config");
//! let product = steward_pack::Product::from_config(&config)?;
//! let plan = steward_pack::Plan::new(product, "dist".as_ref())?;
//! print!("{plan}");
//! let artifacts = steward_pack::execute(&plan, &mut |_| {})?;
//! for a in artifacts {
//!     println!("{} {} {}", a.path.display(), a.size, a.sha256);
//! }
//! # Ok::<(), steward_pack::PackError>(())
//! ```

mod checksums;
pub mod discover;
mod error;
mod execute;
mod init;
pub mod msi;
pub mod nsis;
mod plan;
mod product;
pub mod sign;
mod templates;
pub mod toolchain;
mod tools;
pub mod winget;
pub mod zip;

pub use checksums::{sha256_file, sums_text};
pub use error::PackError;
pub use execute::{Artifact, Progress, execute};
pub use init::init_upgrade_code;
pub use plan::{Plan, Step, is_signable};
pub use product::{Product, ShippedFile, account_name, product_code};
pub use tools::Tool;
