//! `[package]`: what `steward package` builds: product identity, the files to ship, the formats,
//! and how to sign them.

use std::path::PathBuf;

use serde::Deserialize;
use serde_spanned::Spanned;

use crate::resolver::Resolver;

/// The raw `[package]` table, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPackage {
    product: Option<Spanned<String>>,
    version: Option<Spanned<String>>,
    publisher: Option<Spanned<String>>,
    upgrade_code: Option<Spanned<String>>,
    binary: Option<Spanned<String>>,
    files: Option<Vec<Spanned<String>>>,
    license: Option<Spanned<String>>,
    icon: Option<Spanned<String>>,
    formats: Option<Vec<Spanned<String>>>,
    signing: Option<Spanned<RawSigning>>,
}

/// The raw `[package.signing]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSigning {
    cert: Option<Spanned<String>>,
    key: Option<Spanned<String>>,
    password_file: Option<Spanned<String>>,
    password_env: Option<Spanned<String>>,
    timestamp_url: Option<Spanned<String>>,
    verify_ca: Option<Spanned<String>>,
}

/// An artifact format `steward package` can build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    /// A reproducible zip plus `SHA256SUMS`.
    Zip,
    /// A Windows Installer package that registers the service.
    Msi,
    /// An NSIS setup program that registers the service.
    Nsis,
}

impl Format {
    /// The name used in the config.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Zip => "zip",
            Format::Msi => "msi",
            Format::Nsis => "nsis",
        }
    }
}

/// Where the signing key's password comes from; never the password itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordSource {
    /// The key is not encrypted.
    None,
    /// The first line of this file.
    File(PathBuf),
    /// This environment variable.
    Env(String),
}

/// The resolved `[package.signing]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signing {
    /// A PKCS#12 file (`.p12`/`.pfx`), or a PEM certificate when [`Signing::key`] is set.
    pub cert: PathBuf,
    /// The PEM private key that goes with a PEM certificate.
    pub key: Option<PathBuf>,
    /// Where the password of the key comes from.
    pub password: PasswordSource,
    /// An RFC 3161 timestamp server.
    pub timestamp_url: Option<String>,
    /// The CA bundle (PEM) signatures are verified against right after signing; the system
    /// bundle when `None`.
    pub verify_ca: Option<PathBuf>,
}

/// A product version that Windows Installer can represent: `major.minor.build`, at most
/// 255.255.65535.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct MsiVersion {
    /// 0 to 255.
    pub major: u8,
    /// 0 to 255.
    pub minor: u8,
    /// 0 to 65535.
    pub build: u16,
}

impl std::fmt::Display for MsiVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.build)
    }
}

/// The resolved `[package]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    /// The product name shown in Add/Remove Programs.
    pub product: String,
    /// The version.
    pub version: MsiVersion,
    /// Who publishes it.
    pub publisher: String,
    /// The stable upgrade code (a GUID, lowercase, no braces); `None` until `steward package
    /// --init` writes one.
    pub upgrade_code: Option<String>,
    /// The executable registered as the service.
    pub binary: PathBuf,
    /// Everything else to ship, installed next to the binary.
    pub files: Vec<PathBuf>,
    /// A license file (shown by the NSIS installer, shipped in every artifact).
    pub license: Option<PathBuf>,
    /// An `.ico` for the installers and Add/Remove Programs.
    pub icon: Option<PathBuf>,
    /// What to build, in the order written, without repeats.
    pub formats: Vec<Format>,
    /// How to sign, if at all.
    pub signing: Option<Signing>,
}

const VERSION_FORM: &str = "a version Windows Installer can represent: MAJOR.MINOR.BUILD with numbers at most 255.255.65535, no pre-release or build tag";
const GUID_FORM: &str =
    "a GUID like \"0b3c7a5e-1111-4222-8333-444455556666\" (run `steward package --init`)";
const FORMAT_FORM: &str = "one of \"zip\", \"msi\", \"nsis\"";

/// Resolves `[package]`; `span` locates the table.
pub(crate) fn resolve(
    raw: RawPackage,
    span: std::ops::Range<usize>,
    r: &mut Resolver<'_>,
) -> Package {
    let product = required(r, "package.product", &raw.product, &span, "a product name");
    let version = match &raw.version {
        None => {
            r.missing("package.version", span.clone(), VERSION_FORM);
            MsiVersion::default()
        }
        Some(value) => parse_msi_version(value.get_ref()).unwrap_or_else(|| {
            r.invalid("package.version", value, VERSION_FORM);
            MsiVersion::default()
        }),
    };
    let publisher = required(r, "package.publisher", &raw.publisher, &span, "a publisher");
    let upgrade_code = raw.upgrade_code.as_ref().and_then(|value| {
        let guid = parse_guid(value.get_ref());
        if guid.is_none() {
            r.invalid("package.upgrade_code", value, GUID_FORM);
        }
        guid
    });
    let binary = required(
        r,
        "package.binary",
        &raw.binary,
        &span,
        "the service executable",
    );
    let formats = resolve_formats(raw.formats.as_deref(), r);
    Package {
        product,
        version,
        publisher,
        upgrade_code,
        binary: r.path(&binary),
        files: raw
            .files
            .unwrap_or_default()
            .iter()
            .map(|f| r.path(f.get_ref()))
            .collect(),
        license: raw.license.map(|l| r.path(l.get_ref())),
        icon: raw.icon.map(|i| r.path(i.get_ref())),
        formats,
        signing: raw.signing.map(|s| resolve_signing(s, r)),
    }
}

fn required(
    r: &mut Resolver<'_>,
    key: &str,
    value: &Option<Spanned<String>>,
    span: &std::ops::Range<usize>,
    expected: &str,
) -> String {
    match value {
        None => {
            r.missing(key, span.clone(), expected);
            String::new()
        }
        Some(v) if v.get_ref().trim().is_empty() => {
            r.invalid(key, v, format!("{expected}, not empty"));
            String::new()
        }
        Some(v) => v.get_ref().clone(),
    }
}

fn resolve_formats(raw: Option<&[Spanned<String>]>, r: &mut Resolver<'_>) -> Vec<Format> {
    let Some(raw) = raw else {
        return vec![Format::Zip, Format::Msi, Format::Nsis];
    };
    let mut formats = Vec::new();
    for value in raw {
        let format = match value.get_ref().as_str() {
            "zip" => Format::Zip,
            "msi" => Format::Msi,
            "nsis" => Format::Nsis,
            _ => {
                r.invalid("package.formats", value, FORMAT_FORM);
                continue;
            }
        };
        if !formats.contains(&format) {
            formats.push(format);
        }
    }
    formats
}

fn resolve_signing(raw: Spanned<RawSigning>, r: &mut Resolver<'_>) -> Signing {
    let span = raw.span();
    let raw = raw.into_inner();
    let cert = required(
        r,
        "package.signing.cert",
        &raw.cert,
        &span,
        "a PKCS#12 file, or a PEM certificate with `key`",
    );
    let password = match (&raw.password_file, &raw.password_env) {
        (Some(file), Some(_)) => {
            r.invalid(
                "package.signing.password_file",
                file,
                "either `password_file` or `password_env`, not both",
            );
            PasswordSource::None
        }
        (Some(file), None) => PasswordSource::File(r.path(file.get_ref())),
        (None, Some(env)) => {
            let name = env.get_ref();
            let valid = !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !name.starts_with(|c: char| c.is_ascii_digit());
            if !valid {
                r.invalid(
                    "package.signing.password_env",
                    env,
                    "the NAME of an environment variable that holds the password",
                );
            }
            PasswordSource::Env(name.clone())
        }
        (None, None) => PasswordSource::None,
    };
    let timestamp_url = raw.timestamp_url.map(|url| {
        let text = url.get_ref();
        if !(text.starts_with("http://") || text.starts_with("https://")) {
            r.invalid(
                "package.signing.timestamp_url",
                &url,
                "an http:// or https:// RFC 3161 timestamp server",
            );
        }
        text.clone()
    });
    Signing {
        cert: r.path(&cert),
        key: raw.key.map(|k| r.path(k.get_ref())),
        password,
        timestamp_url,
        verify_ca: raw.verify_ca.map(|ca| r.path(ca.get_ref())),
    }
}

/// Parses a version Windows Installer can represent (`1`, `1.2` or `1.2.3`; at most
/// 255.255.65535); `None` for anything else, pre-release tags included.
///
/// # Examples
///
/// ```
/// let v = steward_config::parse_msi_version("1.2.3").unwrap();
/// assert_eq!(v.to_string(), "1.2.3");
/// assert!(steward_config::parse_msi_version("1.2.3-beta.1").is_none());
/// assert!(steward_config::parse_msi_version("256.0.0").is_none());
/// ```
pub fn parse_msi_version(text: &str) -> Option<MsiVersion> {
    let parts: Vec<&str> = text.split('.').collect();
    if parts.is_empty() || parts.len() > 3 {
        return None;
    }
    let number = |i: usize| -> Option<u32> {
        match parts.get(i) {
            None => Some(0),
            Some(p) if !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()) => {
                p.parse().ok()
            }
            Some(_) => None,
        }
    };
    Some(MsiVersion {
        major: u8::try_from(number(0)?).ok()?,
        minor: u8::try_from(number(1)?).ok()?,
        build: u16::try_from(number(2)?).ok()?,
    })
}

/// Normalises a GUID (optionally in braces, any case) to lowercase without braces; `None` if it
/// is not one.
pub fn parse_guid(text: &str) -> Option<String> {
    let inner = text
        .strip_prefix('{')
        .and_then(|t| t.strip_suffix('}'))
        .unwrap_or(text);
    let groups: Vec<&str> = inner.split('-').collect();
    let lengths = [8, 4, 4, 4, 12];
    let ok = groups.len() == 5
        && groups
            .iter()
            .zip(lengths)
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()));
    ok.then(|| inner.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn msi_versions() {
        assert_eq!(
            parse_msi_version("255.255.65535").unwrap().to_string(),
            "255.255.65535"
        );
        assert_eq!(parse_msi_version("2").unwrap().to_string(), "2.0.0");
        for bad in [
            "",
            "1.2.3.4",
            "1.2.3-rc1",
            "1.256.0",
            "1.0.65536",
            "1..2",
            "v1",
            "+1",
        ] {
            assert!(parse_msi_version(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn guids() {
        assert_eq!(
            parse_guid("{0B3C7A5E-1111-4222-8333-444455556666}").as_deref(),
            Some("0b3c7a5e-1111-4222-8333-444455556666")
        );
        assert!(parse_guid("0b3c7a5e-1111-4222-8333").is_none());
    }

    fn errors(package: &str) -> Vec<String> {
        let text = format!("[service]\nname = \"a\"\n[package]\n{package}");
        match crate::check_str(&text, "s.toml".as_ref()) {
            Ok(_) => Vec::new(),
            Err(errors) => errors.iter().map(ToString::to_string).collect(),
        }
    }

    const VALID: &str =
        "product = \"A\"\nversion = \"1.0.0\"\npublisher = \"P\"\nbinary = \"a.exe\"\n";

    #[test]
    fn a_valid_table_resolves_with_defaults() {
        let config = crate::check_str(
            &format!("[service]\nname = \"a\"\n[package]\n{VALID}"),
            "/p/s.toml".as_ref(),
        )
        .unwrap();
        let package = config.package.unwrap();
        assert_eq!(package.formats, [Format::Zip, Format::Msi, Format::Nsis]);
        assert_eq!(package.binary, std::path::Path::new("/p/a.exe"));
        assert_eq!(package.upgrade_code, None);
        assert_eq!(package.signing, None);
    }

    #[test]
    fn malformed_tables_name_the_key_and_position() {
        assert_eq!(
            errors("product = \"A\"\n"),
            [
                "s.toml:3:1: missing key `package.version`: a version Windows Installer can represent: MAJOR.MINOR.BUILD with numbers at most 255.255.65535, no pre-release or build tag",
                "s.toml:3:1: missing key `package.publisher`: a publisher",
                "s.toml:3:1: missing key `package.binary`: the service executable",
            ]
        );
        assert_eq!(
            errors(&format!(
                "{VALID}formats = [\"zip\", \"deb\"]\nupgrade_code = \"nope\"\n"
            )),
            [
                "s.toml:8:19: package.formats = \"deb\": expected one of \"zip\", \"msi\", \"nsis\"",
                "s.toml:9:16: package.upgrade_code = \"nope\": expected a GUID like \"0b3c7a5e-1111-4222-8333-444455556666\" (run `steward package --init`)",
            ]
        );
        let found = errors(&format!(
            "{VALID}signing = {{ cert = \"c.p12\", password = \"x\" }}\n"
        ));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains("unknown field `password`"), "{found:?}");
        let found = errors(&format!(
            "{VALID}signing = {{ cert = \"c.p12\", password_file = \"f\", password_env = \"E\" }}\n"
        ));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].contains("either `password_file` or `password_env`, not both"),
            "{found:?}"
        );
        let found = errors(&format!(
            "{VALID}signing = {{ cert = \"c.p12\", password_env = \"hunter2!\" }}\n"
        ));
        assert!(
            found[0].contains("the NAME of an environment variable"),
            "{found:?}"
        );
    }

    #[test]
    fn every_key_is_documented() {
        let doc = include_str!("../../../../docs/config.md");
        let start = doc
            .find("## `[package]`")
            .expect("docs/config.md has no [package]");
        let rest = &doc[start + 3..];
        let section = &rest[..rest.find("\n## ").unwrap_or(rest.len())];
        let keys = crate::fields::field_names::<RawPackage>()
            .iter()
            .chain(crate::fields::field_names::<RawSigning>());
        for key in keys {
            assert!(section.contains(&format!("| `{key}` |")), "{key}");
        }
    }
}
