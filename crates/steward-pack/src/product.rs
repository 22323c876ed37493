//! The product being packaged: the `[package]` and `[service]` tables of a config, checked and
//! flattened into what the templates and steps need.

use std::path::{Path, PathBuf};

use serde::Serialize;
use steward_config::{Account, Config, Format, Signing, StartType};

use crate::PackError;

/// One file shipped in every artifact, installed under `name` in the install directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShippedFile {
    /// Where it is read from.
    pub source: PathBuf,
    /// Its file name in the artifacts and the install directory.
    pub name: String,
    /// A stable identifier for installer tables (`F_` + sanitised name).
    pub id: String,
}

/// Everything the packaging steps need, derived from a config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Product {
    /// The config file.
    pub config: PathBuf,
    /// The service's key name; also the artifacts' name prefix.
    pub name: String,
    /// The service's display name.
    pub display_name: String,
    /// The service's description.
    pub description: String,
    /// The product name.
    pub product: String,
    /// `MAJOR.MINOR.BUILD`.
    pub version: String,
    /// The publisher.
    pub publisher: String,
    /// The upgrade code, uppercase, without braces; `None` until `--init`.
    pub upgrade_code: Option<String>,
    /// The product code of this version (derived from upgrade code and version: stable for one
    /// version, new for every version).
    pub product_code: Option<String>,
    /// The service executable (first in `files`).
    pub binary: String,
    /// Whether the binary is `steward.exe` wrapping a program: the config then ships as
    /// `steward.toml` and the service runs `steward.exe run --config <dir>\steward.toml`.
    pub wrapped: bool,
    /// Every shipped file, binary first, then the rest sorted by name.
    pub files: Vec<ShippedFile>,
    /// The license file's name among `files`.
    pub license: Option<String>,
    /// The icon, read from here (not installed).
    pub icon: Option<PathBuf>,
    /// MSI `ServiceInstall/@Start`: `auto`, `demand` or `disabled`.
    pub msi_start: &'static str,
    /// The config's start type: `auto`, `delayed`, `manual` or `disabled`.
    pub start: &'static str,
    /// The account as the service manager wants it (`NT AUTHORITY\LocalService`, ...).
    pub account: String,
    /// The account as the config and the library's `install --account` write it
    /// (`LocalService`, `virtual`, `DOMAIN\user`, ...).
    pub account_arg: String,
    /// The formats to build.
    #[serde(skip)]
    pub formats: Vec<Format>,
    /// Signing settings.
    #[serde(skip)]
    pub signing: Option<Signing>,
}

impl Product {
    /// Reads the product from a resolved config, checking that every input exists.
    pub fn from_config(config: &Config) -> Result<Product, PackError> {
        let file = config.file.clone();
        let package = config
            .package
            .as_ref()
            .ok_or_else(|| PackError::NoPackageTable { file: file.clone() })?;
        let service = &config.service;
        let wrapped = config.program.is_some();
        let mut files = vec![shipped(&file, "package.binary", &package.binary)?];
        let mut rest = Vec::new();
        for path in &package.files {
            rest.push(shipped(&file, "package.files", path)?);
        }
        let license = match &package.license {
            Some(path) => {
                let license = shipped(&file, "package.license", path)?;
                let name = license.name.clone();
                rest.push(license);
                Some(name)
            }
            None => None,
        };
        if wrapped {
            rest.push(ShippedFile {
                source: file.clone(),
                name: "steward.toml".into(),
                id: "F_steward.toml".into(),
            });
        }
        rest.sort_by(|a, b| a.name.cmp(&b.name));
        files.extend(rest);
        for (i, f) in files.iter().enumerate() {
            if files[..i]
                .iter()
                .any(|g| g.name.eq_ignore_ascii_case(&f.name))
            {
                return Err(PackError::DuplicateName {
                    file: file.clone(),
                    name: f.name.clone(),
                });
            }
        }
        if let Some(icon) = &package.icon
            && !icon.is_file()
        {
            return Err(PackError::MissingInput {
                file,
                key: "package.icon",
                path: icon.clone(),
            });
        }
        let version = package.version.to_string();
        let upgrade_code = package
            .upgrade_code
            .as_ref()
            .map(|g| g.to_ascii_uppercase());
        let product_code = upgrade_code
            .as_ref()
            .map(|code| product_code(code, &version));
        let (start, msi_start) = match service.start.value {
            StartType::Auto => ("auto", "auto"),
            StartType::Delayed => ("delayed", "auto"),
            StartType::Manual => ("manual", "demand"),
            StartType::Disabled => ("disabled", "disabled"),
        };
        Ok(Product {
            config: config.file.clone(),
            name: service.name.clone(),
            display_name: service.display_name.clone(),
            description: service.description.clone().unwrap_or_default(),
            product: package.product.clone(),
            version,
            publisher: package.publisher.clone(),
            upgrade_code,
            product_code,
            binary: files[0].name.clone(),
            wrapped,
            files,
            license,
            icon: package.icon.clone(),
            msi_start,
            start,
            account: account_name(&service.account.value, &service.name),
            account_arg: match &service.account.value {
                Account::LocalSystem => "LocalSystem".into(),
                Account::LocalService => "LocalService".into(),
                Account::NetworkService => "NetworkService".into(),
                Account::Virtual => "virtual".into(),
                Account::User(user) => user.clone(),
            },
            formats: package.formats.clone(),
            signing: package.signing.clone(),
        })
    }

    /// The base name of the artifacts: `{name}_{version}_windows_x86_64`.
    pub fn stem(&self) -> String {
        format!("{}_{}_windows_x86_64", self.name, self.version)
    }
}

/// The product code of one version: a name-based (v5) UUID of the version in the upgrade code's
/// namespace, so rebuilding a version keeps its code and every new version gets a new one.
pub fn product_code(upgrade_code: &str, version: &str) -> String {
    let namespace = uuid::Uuid::parse_str(upgrade_code).unwrap_or(uuid::Uuid::nil());
    uuid::Uuid::new_v5(&namespace, version.as_bytes())
        .hyphenated()
        .to_string()
        .to_ascii_uppercase()
}

/// The account name the service manager expects for a config account.
pub fn account_name(account: &Account, service: &str) -> String {
    match account {
        Account::LocalSystem => "LocalSystem".into(),
        Account::LocalService => r"NT AUTHORITY\LocalService".into(),
        Account::NetworkService => r"NT AUTHORITY\NetworkService".into(),
        Account::Virtual => format!(r"NT SERVICE\{service}"),
        Account::User(user) => user.clone(),
    }
}

fn shipped(config: &Path, key: &'static str, path: &Path) -> Result<ShippedFile, PackError> {
    if !path.is_file() {
        return Err(PackError::MissingInput {
            file: config.to_path_buf(),
            key,
            path: path.to_path_buf(),
        });
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let id: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok(ShippedFile {
        source: path.to_path_buf(),
        id: format!("F_{id}"),
        name,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A product for unit tests: hello-service 1.2.3, nothing read from disk.
    pub(crate) fn sample() -> Product {
        Product {
            config: PathBuf::from("/project/steward.toml"),
            name: "hello-service".into(),
            display_name: "Hello Service".into(),
            description: String::new(),
            product: "Hello Service".into(),
            version: "1.2.3".into(),
            publisher: "Example Corp".into(),
            upgrade_code: None,
            product_code: None,
            binary: "hello-service.exe".into(),
            wrapped: false,
            files: Vec::new(),
            license: None,
            icon: None,
            msi_start: "auto",
            start: "auto",
            account: r"NT AUTHORITY\LocalService".into(),
            account_arg: "LocalService".into(),
            formats: Vec::new(),
            signing: None,
        }
    }
}
