//! `[registry]`: announcing the service in etcd, and cold standby across machines. The keys are
//! those of [`RegistryConfig`]; what they do is described in `docs/registry.md`.

use std::collections::BTreeMap;
use std::net::Ipv6Addr;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde_spanned::Spanned;
use steward_registry::{OnUnhealthy, RegistryConfig, TlsFiles};

use crate::error::ErrorKind;
use crate::resolver::{Resolver, same_file};

/// The raw `[registry]` table, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRegistry {
    endpoints: Option<Spanned<Vec<Spanned<String>>>>,
    prefix: Option<Spanned<String>>,
    ttl: Option<Spanned<String>>,
    address: Option<Spanned<String>>,
    metadata: Option<BTreeMap<Spanned<String>, Spanned<toml::Value>>>,
    credentials_file: Option<Spanned<String>>,
    tls_ca: Option<Spanned<String>>,
    tls_cert: Option<Spanned<String>>,
    tls_key: Option<Spanned<String>>,
    standby: Option<Spanned<bool>>,
    on_unhealthy: Option<Spanned<String>>,
    instance_id: Option<Spanned<String>>,
}

/// The resolved `[registry]` table.
#[derive(Debug, Clone, PartialEq)]
pub struct Registry {
    /// Connection and announcement settings, paths already absolute (relative to the config's
    /// directory).
    pub config: RegistryConfig,
    /// `instance_id`; `None` means the default `<host>-<pid>` chosen at run time.
    pub instance_id: Option<String>,
}

/// The smallest lease TTL accepted (keepalives go out every `ttl / 3`).
const MIN_TTL: Duration = Duration::from_secs(2);

const ENDPOINTS_FORM: &str = "a non-empty array of etcd client URLs such as \
     [\"http://127.0.0.1:2379\"] or [\"https://etcd1:2379\", \"https://etcd2:2379\"]";
const ENDPOINT_FORM: &str = "an etcd client URL \"http://host:port\" or \"https://host:port\" \
     (no path)";
const PREFIX_FORM: &str = "a key prefix that starts and ends with '/', e.g. \"/services/\"";
const ON_UNHEALTHY_FORM: &str = "one of \"mark\", \"remove\"";
const INSTANCE_ID_FORM: &str =
    "a non-empty id without '/' or whitespace, other than \"leader\" (reserved)";

/// Resolves `[registry]`; `span` locates the table, `config_file` is the config's own
/// (absolute) path and `has_program` whether the config has a `[program]` table.
pub(crate) fn resolve(
    mut raw: RawRegistry,
    span: Range<usize>,
    config_file: &Path,
    has_program: bool,
    r: &mut Resolver<'_>,
) -> Registry {
    let defaults = RegistryConfig::default();
    let (endpoints, scheme) = endpoints(r, raw.endpoints.as_ref(), defaults.endpoints);
    let prefix = match &raw.prefix {
        Some(value) => {
            let p = value.get_ref();
            if p.starts_with('/') && p.ends_with('/') {
                p.clone()
            } else {
                r.invalid("registry.prefix", value, PREFIX_FORM);
                defaults.prefix
            }
        }
        None => defaults.prefix,
    };
    let ttl = ttl(r, raw.ttl.as_ref(), defaults.ttl);
    let address = raw.address.as_ref().map(|value| {
        if value.get_ref().trim().is_empty() {
            r.invalid(
                "registry.address",
                value,
                "a non-empty address consumers connect to, e.g. \"10.0.0.5:8080\"",
            );
        }
        value.get_ref().clone()
    });
    let metadata = metadata(r, raw.metadata.take().unwrap_or_default());
    let credentials_file = raw.credentials_file.as_ref().map(|value| {
        let path = r.path(value.get_ref());
        if value.get_ref().trim().is_empty() || same_file(&path, config_file) {
            r.invalid(
                "registry.credentials_file",
                value,
                "a file of its own whose first line is user:password, never the config file \
                 itself (credentials never go in steward.toml)",
            );
        }
        path
    });
    let tls = tls(r, &raw, scheme);
    let standby = match &raw.standby {
        Some(value) if *value.get_ref() && !has_program => {
            r.invalid(
                "registry.standby",
                value,
                "false without a [program] table (only a program that steward starts can wait \
                 as a cold standby; a service written with the library cannot be one through \
                 the config)",
            );
            false
        }
        Some(value) => *value.get_ref(),
        None => defaults.standby,
    };
    let on_unhealthy = match &raw.on_unhealthy {
        None => defaults.on_unhealthy,
        Some(value) => match value.get_ref().as_str() {
            "mark" => OnUnhealthy::Mark,
            "remove" => OnUnhealthy::Remove,
            _ => {
                r.invalid("registry.on_unhealthy", value, ON_UNHEALTHY_FORM);
                defaults.on_unhealthy
            }
        },
    };
    let instance_id = raw.instance_id.as_ref().map(|value| {
        let id = value.get_ref();
        let valid = !id.is_empty()
            && id != steward_registry::LEADER_ID
            && !id
                .chars()
                .any(|c| c == '/' || c.is_whitespace() || c.is_control());
        if !valid {
            r.invalid("registry.instance_id", value, INSTANCE_ID_FORM);
        }
        id.clone()
    });
    let config = RegistryConfig {
        endpoints,
        prefix,
        ttl,
        address,
        metadata,
        credentials_file,
        tls,
        standby,
        on_unhealthy,
    };
    // Every rule of `validate` is checked above with its key and position; this only guards
    // against the two drifting apart.
    if let Err(error) = config.validate() {
        let kind = ErrorKind::Type {
            key: "registry".into(),
            message: error.to_string(),
        };
        r.push(span, kind);
    }
    Registry {
        config,
        instance_id,
    }
}

/// The endpoints and their common scheme (`None` when there is no valid one, or they mix
/// schemes); the defaults when absent or empty.
fn endpoints(
    r: &mut Resolver<'_>,
    value: Option<&Spanned<Vec<Spanned<String>>>>,
    default: Vec<String>,
) -> (Vec<String>, Option<&'static str>) {
    let Some(list) = value else {
        let scheme = default.first().and_then(|url| endpoint_scheme(url));
        return (default, scheme);
    };
    if list.get_ref().is_empty() {
        let empty = Spanned::new(list.span(), Vec::<String>::new());
        r.invalid("registry.endpoints", &empty, ENDPOINTS_FORM);
        let scheme = default.first().and_then(|url| endpoint_scheme(url));
        return (default, scheme);
    }
    let mut first: Option<(&'static str, &str)> = None;
    let mut mixed = false;
    for url in list.get_ref() {
        let Some(scheme) = endpoint_scheme(url.get_ref()) else {
            let expected = if url.get_ref().contains('@') {
                format!("{ENDPOINT_FORM}, without user:password@ (use registry.credentials_file)")
            } else {
                ENDPOINT_FORM.to_owned()
            };
            r.invalid("registry.endpoints", url, expected);
            continue;
        };
        match first {
            None => first = Some((scheme, url.get_ref())),
            Some((first_scheme, first_url)) if first_scheme != scheme => {
                let expected = format!(
                    "{first_scheme}:// like {first_url:?}: all endpoints use http:// or all \
                     use https://"
                );
                r.invalid("registry.endpoints", url, expected);
                mixed = true;
            }
            Some(_) => {}
        }
    }
    let urls = list.get_ref().iter().map(|url| url.get_ref().clone());
    let scheme = first.filter(|_| !mixed).map(|(scheme, _)| scheme);
    (urls.collect(), scheme)
}

/// `"http"` or `"https"` for an etcd client URL `http(s)://host:port` with an optional
/// trailing `/`; `None` for anything else.
fn endpoint_scheme(url: &str) -> Option<&'static str> {
    let (scheme, rest) = if let Some(rest) = url.strip_prefix("http://") {
        ("http", rest)
    } else {
        ("https", url.strip_prefix("https://")?)
    };
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.contains(|c: char| {
        matches!(c, '/' | '?' | '#' | '@' | '\\') || c.is_whitespace() || c.is_control()
    }) {
        return None;
    }
    let (host, port) = authority.rsplit_once(':')?;
    let port_ok = !port.is_empty()
        && port.bytes().all(|b| b.is_ascii_digit())
        && port.parse::<u16>().is_ok_and(|port| port > 0);
    let host_ok = match host.strip_prefix('[') {
        Some(inner) => inner
            .strip_suffix(']')
            .is_some_and(|ip| ip.parse::<Ipv6Addr>().is_ok()),
        None => !host.is_empty() && !host.contains([':', '[', ']']),
    };
    (port_ok && host_ok).then_some(scheme)
}

/// The lease TTL: a duration of whole seconds, at least [`MIN_TTL`].
fn ttl(r: &mut Resolver<'_>, value: Option<&Spanned<String>>, default: Duration) -> Duration {
    let Some(value) = value else {
        return default;
    };
    let ttl = r.duration("registry.ttl", Some(value), default);
    if ttl < MIN_TTL {
        r.invalid(
            "registry.ttl",
            value,
            "a lease TTL of at least \"2s\" (keepalives go out every ttl / 3)",
        );
        return default;
    }
    if ttl.subsec_nanos() != 0 {
        r.invalid(
            "registry.ttl",
            value,
            "whole seconds, e.g. \"3s\" (etcd lease TTLs are whole seconds)",
        );
        return default;
    }
    ttl
}

/// `metadata`: string values only, each error naming its key.
fn metadata(
    r: &mut Resolver<'_>,
    raw: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
) -> BTreeMap<String, String> {
    let mut metadata = BTreeMap::new();
    for (key, value) in raw {
        match value.get_ref() {
            toml::Value::String(text) => {
                metadata.insert(key.into_inner(), text.clone());
            }
            other => {
                let kind = ErrorKind::Type {
                    key: format!("registry.metadata.{}", key.get_ref()),
                    message: format!(
                        "invalid type: {} `{other}`, expected a string",
                        other.type_str()
                    ),
                };
                r.push(value.span(), kind);
            }
        }
    }
    metadata
}

/// `tls_ca`, `tls_cert`, `tls_key`: certificate and key together, and only with https://
/// endpoints (`scheme` is the endpoints' common scheme, `None` when already reported).
fn tls(r: &mut Resolver<'_>, raw: &RawRegistry, scheme: Option<&str>) -> Option<TlsFiles> {
    let keys = [
        ("registry.tls_ca", &raw.tls_ca),
        ("registry.tls_cert", &raw.tls_cert),
        ("registry.tls_key", &raw.tls_key),
    ];
    let mut paths: [Option<PathBuf>; 3] = [None, None, None];
    for ((key, value), path) in keys.iter().zip(&mut paths) {
        if let Some(value) = value {
            if value.get_ref().trim().is_empty() {
                r.invalid(key, value, "a PEM file path");
            }
            *path = Some(r.path(value.get_ref()));
        }
    }
    if scheme == Some("https")
        && raw.tls_ca.is_none()
        && let Some(endpoints) = &raw.endpoints
    {
        // etcd-client is built without a system trust store: an https:// endpoint can only
        // be verified against a CA given here.
        let urls: Vec<String> = endpoints
            .get_ref()
            .iter()
            .map(|u| u.get_ref().clone())
            .collect();
        r.invalid(
            "registry.endpoints",
            &Spanned::new(endpoints.span(), urls),
            "registry.tls_ca as well: https:// endpoints are verified against that CA only \
             (the system's trust store is not used)",
        );
    }
    let given = keys
        .iter()
        .filter_map(|(key, value)| value.as_ref().map(|value| (*key, value)))
        .min_by_key(|(_, value)| value.span().start);
    let (key, value) = given?;
    if scheme == Some("http") {
        r.invalid(
            key,
            value,
            "https:// endpoints in registry.endpoints (TLS files need https:// endpoints; \
             these are http://)",
        );
    }
    match (&raw.tls_cert, &raw.tls_key) {
        (Some(cert), None) => r.invalid(
            "registry.tls_cert",
            cert,
            "registry.tls_key as well (a client certificate and its key go together)",
        ),
        (None, Some(key)) => r.invalid(
            "registry.tls_key",
            key,
            "registry.tls_cert as well (a client certificate and its key go together)",
        ),
        _ => {}
    }
    let [ca, cert, key] = paths;
    Some(TlsFiles { ca, cert, key })
}

#[cfg(test)]
mod tests {
    use super::endpoint_scheme;

    #[test]
    fn endpoint_urls() {
        for (url, scheme) in [
            ("http://127.0.0.1:2379", Some("http")),
            ("http://127.0.0.1:2379/", Some("http")),
            ("https://etcd.example:2379", Some("https")),
            ("https://[::1]:2379", Some("https")),
            ("http://127.0.0.1", None),
            ("http://:2379", None),
            ("http://127.0.0.1:0", None),
            ("http://127.0.0.1:+80", None),
            ("http://127.0.0.1:65536", None),
            ("http://127.0.0.1:2379/v3", None),
            ("http://user:pw@127.0.0.1:2379", None),
            ("http://::1:2379", None),
            ("https://[nothost]:2379", None),
            ("127.0.0.1:2379", None),
            ("unix:///run/etcd.sock", None),
            ("HTTP://127.0.0.1:2379", None),
            ("http://etcd 1:2379", None),
        ] {
            assert_eq!(endpoint_scheme(url), scheme, "{url}");
        }
    }
}
