//! Bearer tokens: the tokens file, roles, and constant-time checks.
//!
//! Format: one `role:token` per line, `role` being `read` or `control`; blank lines and lines
//! starting with `#` are ignored; tokens are at least 16 characters of visible ASCII. Only the
//! SHA-256 digest of each token is kept in memory, and a presented token is compared against
//! every digest in constant time.

use std::path::Path;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::{AdminError, sys};

/// Shortest accepted token.
pub const MIN_TOKEN_LEN: usize = 16;

/// What a token allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// `GET` routes only.
    Read,
    /// `GET` routes and `POST /start`, `/stop`, `/restart`.
    Control,
}

/// The loaded tokens (digests only).
#[derive(Clone)]
pub struct TokenStore {
    entries: Vec<([u8; 32], Role)>,
}

impl std::fmt::Debug for TokenStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TokenStore({} tokens)", self.entries.len())
    }
}

fn digest(token: &[u8]) -> [u8; 32] {
    Sha256::digest(token).into()
}

impl TokenStore {
    /// Loads `path`, refusing (on Unix) a file that group or others can access.
    pub fn load(path: &Path) -> Result<Self, AdminError> {
        sys::check_private(path)?;
        let text = std::fs::read_to_string(path).map_err(|source| AdminError::TokensRead {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parses the file's text; `path` only names the file in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self, AdminError> {
        let mut entries = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |reason: &str| AdminError::TokensSyntax {
                path: path.to_owned(),
                line: i + 1,
                reason: reason.to_owned(),
            };
            let (role, token) = line
                .split_once(':')
                .ok_or_else(|| bad("expected role:token"))?;
            let role = match role.trim() {
                "read" => Role::Read,
                "control" => Role::Control,
                _ => return Err(bad("role must be read or control")),
            };
            let token = token.trim();
            if token.len() < MIN_TOKEN_LEN {
                return Err(bad("token must be at least 16 characters"));
            }
            if !token.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(bad("token must be visible ascii without spaces"));
            }
            entries.push((digest(token.as_bytes()), role));
        }
        if entries.is_empty() {
            return Err(AdminError::TokensEmpty(path.to_owned()));
        }
        Ok(Self { entries })
    }

    /// The role of `token`, if it is known. Every entry is compared, in constant time.
    pub fn role_of(&self, token: &[u8]) -> Option<Role> {
        let d = digest(token);
        let mut found = None;
        for (entry, role) in &self.entries {
            if bool::from(entry.ct_eq(&d)) {
                found = found.max(Some(*role));
            }
        }
        found
    }
}

/// The token a local client (`steward status NAME`) should send: the first `read` token of the
/// file, else the first `control` token. The same permission check as [`TokenStore::load`].
pub fn client_token(path: &Path) -> Result<String, AdminError> {
    sys::check_private(path)?;
    let text = std::fs::read_to_string(path).map_err(|source| AdminError::TokensRead {
        path: path.to_owned(),
        source,
    })?;
    pick_client_token(&text, path)
}

fn pick_client_token(text: &str, path: &Path) -> Result<String, AdminError> {
    TokenStore::parse(text, path)?; // the same validation as the server
    let mut best: Option<(Role, &str)> = None;
    for line in text.lines().map(str::trim) {
        let Some((role, token)) = line.split_once(':').filter(|_| !line.starts_with('#')) else {
            continue;
        };
        let role = if role.trim() == "read" {
            Role::Read
        } else {
            Role::Control
        };
        if best.is_none_or(|(r, _)| r > role) {
            best = Some((role, token.trim()));
        }
    }
    best.map(|(_, t)| t.to_owned())
        .ok_or_else(|| AdminError::TokensEmpty(path.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_roles_comments_and_rejects_weak_tokens() {
        let p = Path::new("t");
        let s = TokenStore::parse(
            "# c\n\nread:rrrrrrrrrrrrrrrr\ncontrol: cccccccccccccccc \n",
            p,
        )
        .unwrap();
        assert_eq!(s.role_of(b"rrrrrrrrrrrrrrrr"), Some(Role::Read));
        assert_eq!(s.role_of(b"cccccccccccccccc"), Some(Role::Control));
        assert_eq!(s.role_of(b"cccccccccccccccd"), None);
        let e = TokenStore::parse("read:short", p).unwrap_err().to_string();
        assert_eq!(
            e,
            "admin tokens file t:1: token must be at least 16 characters"
        );
        assert!(!e.contains("short"));
        assert!(TokenStore::parse("admin:xxxxxxxxxxxxxxxxxx", p).is_err());
        assert!(TokenStore::parse("# nothing\n", p).is_err());
    }

    #[test]
    fn client_prefers_the_read_token() {
        let p = Path::new("t");
        let both = "control:cccccccccccccccc\n# read:xxxxxxxxxxxxxxxx\nread:rrrrrrrrrrrrrrrr\n";
        assert_eq!(pick_client_token(both, p).unwrap(), "rrrrrrrrrrrrrrrr");
        assert_eq!(
            pick_client_token("control:cccccccccccccccc", p).unwrap(),
            "cccccccccccccccc"
        );
        assert!(pick_client_token("read:short", p).is_err());
    }
}
