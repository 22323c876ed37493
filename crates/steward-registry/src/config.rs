//! `[registry]` settings and the etcd connection built from them.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use etcd_client::{Certificate, Client, ConnectOptions, Identity, TlsOptions};

use crate::error::{RegistryError, Result};

/// What to do with the registration while the program's health check fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnUnhealthy {
    /// Keep the key and set its `health` field to `unhealthy` (the default).
    #[default]
    Mark,
    /// Delete the key until the program is healthy again (the lease stays).
    Remove,
}

/// TLS files for the etcd connection (paths already resolved by the caller).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsFiles {
    /// PEM bundle of the CA that signed etcd's server certificate.
    pub ca: Option<PathBuf>,
    /// PEM client certificate (with `key`) for mutual TLS.
    pub cert: Option<PathBuf>,
    /// PEM private key of the client certificate.
    pub key: Option<PathBuf>,
}

/// The `[registry]` table: where etcd is and what to announce.
#[derive(Debug, Clone, PartialEq)]
pub struct RegistryConfig {
    /// etcd endpoints, e.g. `http://127.0.0.1:2379` or `https://...`.
    pub endpoints: Vec<String>,
    /// Key prefix; instances live at `<prefix><service>/<instance-id>`.
    pub prefix: String,
    /// Lease TTL; keepalives go out every `ttl / 3`.
    pub ttl: Duration,
    /// The address consumers should connect to.
    pub address: Option<String>,
    /// Free-form metadata announced with the instance.
    pub metadata: BTreeMap<String, String>,
    /// File holding `user:password` on its first line (never inline in the config).
    pub credentials_file: Option<PathBuf>,
    /// TLS settings; `None` for plain HTTP endpoints.
    pub tls: Option<TlsFiles>,
    /// Cold standby: instances elect one leader and only it runs the program.
    pub standby: bool,
    /// What an unhealthy instance looks like in the registry.
    pub on_unhealthy: OnUnhealthy,
}

impl Default for RegistryConfig {
    fn default() -> Self {
        RegistryConfig {
            endpoints: vec!["http://127.0.0.1:2379".to_owned()],
            prefix: "/services/".to_owned(),
            ttl: Duration::from_secs(10),
            address: None,
            metadata: BTreeMap::new(),
            credentials_file: None,
            tls: None,
            standby: false,
            on_unhealthy: OnUnhealthy::Mark,
        }
    }
}

impl RegistryConfig {
    /// A default config pointing at the given endpoints.
    pub fn new<S: Into<String>>(endpoints: impl IntoIterator<Item = S>) -> Self {
        RegistryConfig {
            endpoints: endpoints.into_iter().map(Into::into).collect(),
            ..RegistryConfig::default()
        }
    }

    /// Checks the values that etcd cannot check for us.
    pub fn validate(&self) -> Result<()> {
        if self.endpoints.is_empty() {
            return Err(RegistryError::Config("endpoints is empty".into()));
        }
        if !self.prefix.starts_with('/') || !self.prefix.ends_with('/') {
            return Err(RegistryError::Config(format!(
                "prefix {:?} must start and end with '/'",
                self.prefix
            )));
        }
        if self.ttl < Duration::from_secs(2) {
            return Err(RegistryError::Config(format!(
                "ttl {:?} is below the 2s minimum",
                self.ttl
            )));
        }
        Ok(())
    }

    /// The lease TTL in whole seconds, as etcd wants it.
    pub fn ttl_secs(&self) -> i64 {
        self.ttl.as_secs().max(1) as i64
    }

    /// Deadline for one etcd request: a third of the TTL.
    pub(crate) fn request_timeout(&self) -> Duration {
        self.ttl / 3
    }

    /// Key of one instance.
    pub fn instance_key(&self, service: &str, instance_id: &str) -> String {
        format!("{}{}/{}", self.prefix, service, instance_id)
    }

    /// Prefix under which the instances of `service` (or of every service) live.
    pub fn service_prefix(&self, service: Option<&str>) -> String {
        match service {
            Some(service) => format!("{}{}/", self.prefix, service),
            None => self.prefix.clone(),
        }
    }

    /// Key that the leader of `service` holds in standby mode.
    pub fn leader_key(&self, service: &str) -> String {
        format!("{}{}/{}", self.prefix, service, crate::instance::LEADER_ID)
    }

    /// Reads `user:password` from the credentials file, if one is configured.
    pub fn credentials(&self) -> Result<Option<(String, String)>> {
        let Some(path) = &self.credentials_file else {
            return Ok(None);
        };
        let text = read(path)?;
        let line = String::from_utf8_lossy(&text);
        let line = line.lines().next().unwrap_or("").trim();
        match line.split_once(':') {
            Some((user, password)) if !user.is_empty() => {
                Ok(Some((user.to_owned(), password.to_owned())))
            }
            _ => Err(RegistryError::Config(format!(
                "{} must hold user:password on its first line",
                path.display()
            ))),
        }
    }

    /// Connection options: timeouts, HTTP/2 keepalive, TLS and credentials.
    pub(crate) fn connect_options(&self) -> Result<ConnectOptions> {
        let timeout = self.request_timeout();
        let mut options = ConnectOptions::new()
            .with_connect_timeout(timeout)
            .with_timeout(timeout)
            .with_keep_alive(timeout, timeout);
        if let Some((user, password)) = self.credentials()? {
            options = options.with_user(user, password);
        }
        if let Some(tls) = &self.tls {
            let mut tls_options = TlsOptions::new();
            if let Some(ca) = &tls.ca {
                tls_options = tls_options.ca_certificate(Certificate::from_pem(read(ca)?));
            }
            match (&tls.cert, &tls.key) {
                (Some(cert), Some(key)) => {
                    tls_options = tls_options.identity(Identity::from_pem(read(cert)?, read(key)?));
                }
                (None, None) => {}
                _ => {
                    return Err(RegistryError::Config(
                        "tls cert and key must be given together".into(),
                    ));
                }
            }
            options = options.with_tls(tls_options);
        }
        Ok(options)
    }

    /// Opens a client; fails within the request timeout if etcd is unreachable.
    pub async fn connect(&self) -> Result<Client> {
        self.validate()?;
        let options = self.connect_options()?;
        let limit = self.request_timeout();
        let mut client =
            crate::error::deadline(limit, Client::connect(&self.endpoints, Some(options))).await?;
        // The channel connects lazily: one cheap request proves the endpoint answers.
        crate::error::deadline(limit, client.status()).await?;
        Ok(client)
    }
}

fn read(path: &PathBuf) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| RegistryError::ReadFile {
        path: path.clone(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_contract() {
        let config = RegistryConfig::default();
        assert_eq!(config.prefix, "/services/");
        assert_eq!(config.ttl, Duration::from_secs(10));
        assert!(!config.standby);
        assert_eq!(config.instance_key("web", "i1"), "/services/web/i1");
        assert_eq!(config.leader_key("web"), "/services/web/leader");
        assert_eq!(config.service_prefix(None), "/services/");
        config.validate().unwrap();
    }

    #[test]
    fn bad_values_are_rejected_with_one_line() {
        let config = RegistryConfig {
            prefix: "services".into(),
            ..RegistryConfig::default()
        };
        let message = config.validate().unwrap_err().to_string();
        assert!(
            message.contains("prefix") && !message.contains('\n'),
            "{message}"
        );
        let config = RegistryConfig {
            ttl: Duration::from_millis(500),
            ..RegistryConfig::default()
        };
        assert!(config.validate().is_err());
        assert!(
            RegistryConfig::new(Vec::<String>::new())
                .validate()
                .is_err()
        );
    }

    #[test]
    fn credentials_come_from_the_file_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("creds");
        std::fs::write(&path, "app:pa:ss\nignored\n").unwrap();
        let mut config = RegistryConfig {
            credentials_file: Some(path.clone()),
            ..RegistryConfig::default()
        };
        assert_eq!(
            config.credentials().unwrap(),
            Some(("app".into(), "pa:ss".into()))
        );
        std::fs::write(&path, "no-colon\n").unwrap();
        assert!(matches!(
            config.credentials(),
            Err(RegistryError::Config(_))
        ));
        config.credentials_file = Some(dir.path().join("missing"));
        assert!(matches!(
            config.credentials(),
            Err(RegistryError::ReadFile { .. })
        ));
    }

    #[test]
    fn tls_cert_without_key_is_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("c.pem");
        std::fs::write(&cert, "x").unwrap();
        let config = RegistryConfig {
            tls: Some(TlsFiles {
                ca: None,
                cert: Some(cert),
                key: None,
            }),
            ..RegistryConfig::default()
        };
        assert!(config.connect_options().is_err());
    }
}
