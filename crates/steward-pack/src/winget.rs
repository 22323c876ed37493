//! winget manifests (schema 1.6, multi-file): `<id>.yaml` (version), `<id>.installer.yaml`
//! and `<id>.locale.en-US.yaml`, with each installer's SHA-256, product code, silent switches
//! and install-location switch.

use std::path::{Path, PathBuf};

use minijinja::context;
use minijinja::value::Serde;
use serde::Serialize;

use crate::plan::Step;
use crate::{PackError, Product, sha256_file, templates};

/// The base URL the manifests point installers at; replace it (or the manifests' URLs) with
/// where the release is published.
pub const URL_BASE: &str = "https://example.invalid/releases/";

#[derive(Serialize)]
struct Installer {
    r#type: &'static str,
    file: String,
    sha256: String,
    product_code: String,
    silent: &'static str,
    silent_progress: &'static str,
    location: &'static str,
}

/// The package identifier: `Publisher.Product`, each part reduced to ASCII letters, digits and
/// `-` and cut to 32 characters (the schema's limit); a part left empty (a publisher written
/// in another script, say) becomes the service name.
pub fn package_id(product: &Product) -> String {
    let clean = |s: &str| {
        s.chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .take(32)
            .collect::<String>()
    };
    let part = |s: &str| {
        let cleaned = clean(s);
        if cleaned.is_empty() {
            let name = clean(&product.name);
            if name.is_empty() {
                "steward".to_owned()
            } else {
                name
            }
        } else {
            cleaned
        }
    };
    format!("{}.{}", part(&product.publisher), part(&product.product))
}

/// Writes the three manifests for the installers among `steps` into `dir`; returns their paths.
pub fn write(product: &Product, dir: &Path, steps: &[Step]) -> Result<Vec<PathBuf>, PackError> {
    let mut installers = Vec::new();
    for step in steps {
        let (artifact, msi) = match step {
            Step::Msi { artifact, .. } => (artifact, true),
            Step::Nsis { artifact } => (artifact, false),
            _ => continue,
        };
        let file = artifact
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let sha256 = sha256_file(artifact)?;
        installers.push(if msi {
            Installer {
                r#type: "msi",
                file,
                sha256,
                product_code: format!("{{{}}}", product.product_code.clone().unwrap_or_default()),
                silent: "/qn /norestart",
                silent_progress: "/qb /norestart",
                location: "INSTALLDIR=\"<INSTALLPATH>\"",
            }
        } else {
            Installer {
                r#type: "nullsoft",
                file,
                sha256,
                product_code: crate::nsis::arp_key(product),
                silent: "/S",
                silent_progress: "/S",
                location: "/D=<INSTALLPATH>",
            }
        });
    }
    let id = package_id(product);
    let license = product
        .license
        .clone()
        .unwrap_or_else(|| "Proprietary".into());
    let ctx = context! { p => Serde(product), id => &id, installers => Serde(&installers), url_base => URL_BASE, license => license };
    std::fs::create_dir_all(dir).map_err(PackError::io("create directory", dir))?;
    let files = [
        (templates::WINGET_VERSION, format!("{id}.yaml")),
        (templates::WINGET_INSTALLER, format!("{id}.installer.yaml")),
        (templates::WINGET_LOCALE, format!("{id}.locale.en-US.yaml")),
    ];
    let mut written = Vec::new();
    for (template, name) in files {
        let path = dir.join(name);
        let text = templates::render(template, ctx.clone())?;
        std::fs::write(&path, text).map_err(PackError::io("write", &path))?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_ids_fit_the_schema() {
        let product = |publisher: &str, name: &str| Product {
            publisher: publisher.into(),
            product: name.into(),
            ..crate::product::tests::sample()
        };
        assert_eq!(
            package_id(&product("Example Corp", "Hello Service")),
            "ExampleCorp.HelloService"
        );
        assert_eq!(
            package_id(&product("示例公司", "Hello")),
            "hello-service.Hello"
        );
        let long = "A".repeat(40);
        assert_eq!(
            package_id(&product(&long, "x")),
            format!("{}.x", "A".repeat(32))
        );
    }
}
