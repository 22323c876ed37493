//! `[admin]`: the admin endpoint (`/healthz`, `/readyz`, `/status`, `/metrics`, control
//! actions) that `steward run` serves. See `docs/admin.md`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_spanned::Spanned;

use crate::resolver::{Resolver, same_file};

/// The raw `[admin]` table, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAdmin {
    listen: Option<Spanned<String>>,
    enabled: Option<Spanned<bool>>,
    tokens_file: Option<Spanned<String>>,
}

/// The default listen address of the admin endpoint: loopback only.
pub const DEFAULT_ADMIN_LISTEN: &str = "127.0.0.1:9610";

/// The resolved `[admin]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admin {
    /// Where the endpoint listens; `None` when turned off (`listen = "none"`, `enabled = false`).
    pub listen: Option<SocketAddr>,
    /// The tokens file (`role:token` lines), absolute; required for a non-loopback `listen`.
    pub tokens_file: Option<PathBuf>,
}

const LISTEN_FORM: &str = "an IP address and port, e.g. \"127.0.0.1:9610\", or \"none\"";

/// Resolves `[admin]`; `config_file` is the config's own (absolute) path.
pub(crate) fn resolve(raw: RawAdmin, config_file: &Path, r: &mut Resolver<'_>) -> Admin {
    let default: SocketAddr = DEFAULT_ADMIN_LISTEN.parse().expect("valid default");
    let mut listen = match &raw.listen {
        None => Some(default),
        Some(value) if value.get_ref() == "none" => None,
        Some(value) => match value.get_ref().parse::<SocketAddr>() {
            Ok(addr) => Some(addr),
            Err(_) => {
                r.invalid("admin.listen", value, LISTEN_FORM);
                Some(default)
            }
        },
    };
    if raw.enabled.as_ref().is_some_and(|v| !*v.get_ref()) {
        listen = None;
    }
    let tokens_file = raw.tokens_file.as_ref().map(|value| {
        let path = r.path(value.get_ref());
        if value.get_ref().trim().is_empty() || same_file(&path, config_file) {
            r.invalid(
                "admin.tokens_file",
                value,
                "a file of its own, never the config file itself (tokens never go in steward.toml)",
            );
        }
        path
    });
    if let (Some(addr), None, Some(value)) = (listen, &tokens_file, &raw.listen)
        && !addr.ip().is_loopback()
    {
        r.invalid(
            "admin.listen",
            value,
            "a loopback address (127.0.0.0/8, ::1) unless admin.tokens_file is set",
        );
    }
    Admin {
        listen,
        tokens_file,
    }
}
