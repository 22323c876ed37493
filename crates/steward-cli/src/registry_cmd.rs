//! `steward registry list|watch [SERVICE]`: read the service registry (etcd) that `steward run`
//! announces instances in (docs/registry.md).
//!
//! Where etcd is comes from the `[registry]` table of the config (`--config FILE`, default
//! `steward.toml` in the current directory): endpoints, prefix, credentials, TLS. `--endpoints`
//! and `--prefix` override those two settings, and work without a config (plain HTTP, no auth).

use std::io::{self, Write};
use std::path::Path;
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use serde::Serialize;
use steward_registry::{
    Health, InstanceInfo, RegistryClient, RegistryConfig, RegistryError, RegistryEvent, Watcher,
};

use crate::cli::{DEFAULT_CONFIG, RegistryArgs, RegistryCommand};

/// First delay before reconnecting a broken watch; doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
/// Longest delay between two reconnection attempts of a broken watch.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// `steward registry list|watch`: prints to stdout; `Ok` when done (for `watch`: interrupted,
/// or its reader went away).
pub fn registry(command: RegistryCommand) -> anyhow::Result<()> {
    let (args, watch) = match command {
        RegistryCommand::List(args) => (args, false),
        RegistryCommand::Watch(args) => (args, true),
    };
    if let Some(service) = &args.service
        && (service.is_empty() || service.contains('/'))
    {
        bail!("invalid service name {service:?}: it must be non-empty and contain no '/'");
    }
    let config = registry_config(&args)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let service = args.service.as_deref();
    let printed = if watch {
        runtime.block_on(async {
            tokio::select! {
                result = watch_events(&config, service, args.json) => result,
                () = interrupted() => Ok(()),
            }
        })
    } else {
        runtime.block_on(list(&config, service, args.json))
    };
    match printed {
        // `steward registry watch | head -1`: the reader is done, so are we.
        Err(error)
            if error
                .downcast_ref::<io::Error>()
                .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe) =>
        {
            Ok(())
        }
        other => other,
    }
}

/// The etcd connection settings: the config's `[registry]` table, with `--endpoints` and
/// `--prefix` overriding theirs. Without `--endpoints` a config with `[registry]` is required;
/// with it, the default `steward.toml` is read only if it exists (and ignored, with a warning,
/// if it has errors).
pub fn registry_config(args: &RegistryArgs) -> anyhow::Result<RegistryConfig> {
    let overridden = !args.endpoints.is_empty();
    let loaded = match &args.config {
        Some(path) => Some((path.as_path(), crate::check::load(path)?)),
        None => {
            let path = Path::new(DEFAULT_CONFIG);
            if !path.exists() {
                if !overridden {
                    bail!(
                        "no {DEFAULT_CONFIG} in the current directory: give --config FILE (with a \
                         [registry] table) or --endpoints URL"
                    );
                }
                None
            } else {
                match crate::check::load(path) {
                    Ok(config) => Some((path, config)),
                    Err(invalid) if overridden => {
                        eprintln!("warning: ignoring {invalid} (see `steward check`)");
                        None
                    }
                    Err(invalid) => return Err(invalid.into()),
                }
            }
        }
    };
    let mut config = match loaded {
        Some((_, config)) if config.registry.is_some() => {
            config.registry.map(|r| r.config).unwrap_or_default()
        }
        Some((path, _)) if !overridden => bail!(
            "{} has no [registry] table: add one or give --endpoints URL",
            path.display()
        ),
        _ => RegistryConfig::default(),
    };
    if overridden {
        config.endpoints = args
            .endpoints
            .iter()
            .map(|e| e.trim().to_owned())
            .filter(|e| !e.is_empty())
            .collect();
    }
    if let Some(prefix) = &args.prefix {
        config.prefix = prefix.clone();
    }
    config
        .validate()
        .map_err(|error| anyhow!(one_line(&error.to_string())))?;
    Ok(config)
}

/// The endpoints, for error messages.
fn endpoints(config: &RegistryConfig) -> String {
    config.endpoints.join(", ")
}

/// Connects; an unreachable etcd fails within a third of the TTL (default: 3.3 s).
async fn connect(config: &RegistryConfig) -> anyhow::Result<RegistryClient> {
    RegistryClient::connect(config).await.map_err(|error| {
        anyhow!(
            "cannot reach etcd at {}: {}",
            endpoints(config),
            one_line(&error.to_string())
        )
    })
}

async fn list(config: &RegistryConfig, service: Option<&str>, json: bool) -> anyhow::Result<()> {
    let mut client = connect(config).await?;
    let instances = client.list(service).await.map_err(|error| {
        anyhow!(
            "cannot list {} at {}: {}",
            config.service_prefix(service),
            endpoints(config),
            one_line(&error.to_string())
        )
    })?;
    let mut out = io::stdout().lock();
    if json {
        writeln!(out, "{}", serde_json::to_string(&instances)?)?;
    } else if instances.is_empty() {
        writeln!(
            out,
            "no instances registered under {}",
            config.service_prefix(service)
        )?;
    } else {
        write!(out, "{}", table(&instances))?;
    }
    out.flush()?;
    Ok(())
}

/// The human form of `list`: a header and one row per instance, columns aligned.
pub fn table(instances: &[InstanceInfo]) -> String {
    let header = [
        "SERVICE", "INSTANCE", "ADDRESS", "HEALTH", "HOST", "PID", "VERSION", "STARTED",
    ];
    let rows: Vec<[String; 8]> = instances
        .iter()
        .map(|i| {
            [
                clean(&i.service),
                clean(&i.instance_id),
                clean(&i.address),
                health(i.health).to_owned(),
                clean(&i.host),
                i.pid.to_string(),
                clean(&i.version),
                clean(&i.started_at),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    let header = header.map(str::to_owned);
    for row in std::iter::once(&header).chain(&rows) {
        let mut line = String::new();
        for (column, (cell, width)) in row.iter().zip(widths).enumerate() {
            if column + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:width$}  "));
            }
        }
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}

fn health(health: Health) -> &'static str {
    match health {
        Health::Healthy => "healthy",
        Health::Unhealthy => "unhealthy",
    }
}

/// A value as read from etcd, safe for a terminal: control characters become `?`, empty `-`.
fn clean(value: &str) -> String {
    if value.is_empty() {
        return "-".into();
    }
    value
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// One line of `watch`: `join web/host1-42 10.0.0.5:8080 healthy`, `leave web/host1-42`,
/// `health web/host1-42 healthy -> unhealthy`, `update web/host1-42 10.0.0.5:8080 healthy`.
pub fn event_line(event: &RegistryEvent) -> String {
    let name = |service: &str, id: &str| format!("{}/{}", clean(service), clean(id));
    let described = |kind: &str, i: &InstanceInfo| {
        format!(
            "{kind} {} {} {}",
            name(&i.service, &i.instance_id),
            clean(&i.address),
            health(i.health)
        )
    };
    match event {
        RegistryEvent::Join(instance) => described("join", instance),
        RegistryEvent::Updated(instance) => described("update", instance),
        RegistryEvent::Leave {
            service,
            instance_id,
            ..
        } => format!("leave {}", name(service, instance_id)),
        RegistryEvent::HealthChanged { instance, previous } => format!(
            "health {} {} -> {}",
            name(&instance.service, &instance.instance_id),
            health(*previous),
            health(instance.health)
        ),
    }
}

/// One line of `watch --json` (docs/registry.md).
#[derive(Debug, Serialize)]
pub struct EventJson<'a> {
    /// `join`, `leave`, `health` or `update`.
    pub event: &'static str,
    /// The instance's service.
    pub service: &'a str,
    /// The instance's id.
    pub instance_id: &'a str,
    /// The instance's value (for `leave`: its last value, `null` when etcd no longer had it).
    pub instance: Option<&'a InstanceInfo>,
    /// For `health`: the health before the change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_health: Option<Health>,
}

impl<'a> EventJson<'a> {
    /// The JSON form of `event`.
    pub fn new(event: &'a RegistryEvent) -> Self {
        let of = |kind, i: &'a InstanceInfo| EventJson {
            event: kind,
            service: &i.service,
            instance_id: &i.instance_id,
            instance: Some(i),
            previous_health: None,
        };
        match event {
            RegistryEvent::Join(instance) => of("join", instance),
            RegistryEvent::Updated(instance) => of("update", instance),
            RegistryEvent::HealthChanged { instance, previous } => EventJson {
                previous_health: Some(*previous),
                ..of("health", instance)
            },
            RegistryEvent::Leave {
                service,
                instance_id,
                last,
            } => EventJson {
                event: "leave",
                service,
                instance_id,
                instance: last.as_ref(),
                previous_health: None,
            },
        }
    }
}

fn print_event(event: &RegistryEvent, json: bool) -> anyhow::Result<()> {
    let line = if json {
        serde_json::to_string(&EventJson::new(event))?
    } else {
        event_line(event)
    };
    let mut out = io::stdout().lock();
    writeln!(out, "{line}")?;
    out.flush()?;
    Ok(())
}

/// The store's current revision, on a new connection.
async fn current_revision(config: &RegistryConfig, service: Option<&str>) -> anyhow::Result<i64> {
    let mut client = connect(config).await?;
    client.current_revision(service).await.map_err(|error| {
        anyhow!(
            "cannot read the revision of {} at {}: {}",
            config.service_prefix(service),
            endpoints(config),
            one_line(&error.to_string())
        )
    })
}

/// A watch that starts at `revision`, on a new connection.
async fn open_watch(
    config: &RegistryConfig,
    service: Option<&str>,
    revision: i64,
) -> anyhow::Result<Watcher> {
    let mut client = connect(config).await?;
    client
        .watch_from(service, revision)
        .await
        .map_err(|error| anyhow!("cannot watch: {}", one_line(&error.to_string())))
}

/// `watch`: prints every event from now on until interrupted. A broken watch is logged once on
/// stderr and resumed where it stopped, so no event is lost (unless etcd compacted it away).
async fn watch_events(
    config: &RegistryConfig,
    service: Option<&str>,
    json: bool,
) -> anyhow::Result<()> {
    // The watch starts right after the current revision, and `revision()` is exact from
    // then on: every later change is seen, and a resume at `revision() + 1` loses nothing.
    let mut watcher = connect(config)
        .await?
        .watch(service)
        .await
        .map_err(|error| anyhow!("cannot watch: {}", one_line(&error.to_string())))?;
    eprintln!(
        "watching {} at {} (Ctrl-C to stop)",
        config.service_prefix(service),
        endpoints(config)
    );
    loop {
        let error = match watcher.next().await {
            Ok(Some(event)) => {
                print_event(&event, json)?;
                continue;
            }
            Ok(None) => RegistryError::WatchEnded("the watch stream closed".into()),
            Err(error) => error,
        };
        let mut resume = watcher.revision() + 1;
        eprintln!(
            "warning: watch interrupted: {}; reconnecting",
            one_line(&error.to_string())
        );
        let mut compacted = is_compacted(&error);
        let mut backoff = FIRST_BACKOFF;
        watcher = loop {
            if compacted {
                // The missed revisions are gone: say so, and go on from now.
                if let Ok(now) = current_revision(config, service).await {
                    eprintln!(
                        "warning: changes from revision {resume} to {now} were compacted away \
                         by etcd and are not shown"
                    );
                    resume = now + 1;
                    compacted = false;
                }
            }
            if !compacted && let Ok(watcher) = open_watch(config, service, resume).await {
                break watcher;
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        };
        eprintln!("watch resumed at revision {resume}");
    }
}

fn is_compacted(error: &RegistryError) -> bool {
    matches!(error, RegistryError::WatchEnded(reason) if reason.contains("compacted"))
}

/// Resolves on Ctrl-C (or Ctrl-Break on Windows) or SIGTERM.
async fn interrupted() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(windows)]
    {
        match tokio::signal::windows::ctrl_break() {
            Ok(mut brk) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = brk.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance(id: &str, health: Health) -> InstanceInfo {
        InstanceInfo {
            service: "web".into(),
            instance_id: id.into(),
            host: "host1".into(),
            address: "10.0.0.5:8080".into(),
            version: "1.2.3".into(),
            pid: 42,
            started_at: "2026-11-25T16:05:00Z".into(),
            metadata: Default::default(),
            health,
        }
    }

    #[test]
    fn event_lines_and_json() {
        let join = RegistryEvent::Join(instance("host1-42", Health::Healthy));
        assert_eq!(event_line(&join), "join web/host1-42 10.0.0.5:8080 healthy");
        let json = serde_json::to_value(EventJson::new(&join)).unwrap();
        assert_eq!(json["event"], "join");
        assert_eq!(json["service"], "web");
        assert_eq!(json["instance_id"], "host1-42");
        assert_eq!(json["instance"]["address"], "10.0.0.5:8080");
        assert!(json.get("previous_health").is_none());

        let health = RegistryEvent::HealthChanged {
            instance: instance("host1-42", Health::Unhealthy),
            previous: Health::Healthy,
        };
        assert_eq!(
            event_line(&health),
            "health web/host1-42 healthy -> unhealthy"
        );
        let json = serde_json::to_value(EventJson::new(&health)).unwrap();
        assert_eq!(json["event"], "health");
        assert_eq!(json["previous_health"], "healthy");
        assert_eq!(json["instance"]["health"], "unhealthy");

        let leave = RegistryEvent::Leave {
            service: "web".into(),
            instance_id: "host1-42".into(),
            last: None,
        };
        assert_eq!(event_line(&leave), "leave web/host1-42");
        let json = serde_json::to_value(EventJson::new(&leave)).unwrap();
        assert_eq!(json["event"], "leave");
        assert!(json["instance"].is_null());

        let mut bare = instance("i\u{1b}[2J", Health::Healthy);
        bare.address = String::new();
        assert_eq!(
            event_line(&RegistryEvent::Updated(bare)),
            "update web/i?[2J - healthy"
        );
    }

    #[test]
    fn the_table_is_aligned() {
        let mut other = instance("host2-7", Health::Unhealthy);
        other.address = String::new();
        other.version = String::new();
        assert_eq!(
            table(&[instance("host1-42", Health::Healthy), other]),
            "SERVICE  INSTANCE  ADDRESS        HEALTH     HOST   PID  VERSION  STARTED\n\
             web      host1-42  10.0.0.5:8080  healthy    host1  42   1.2.3    2026-11-25T16:05:00Z\n\
             web      host2-7   -              unhealthy  host1  42   -        2026-11-25T16:05:00Z\n"
        );
    }

    fn args(config: Option<&Path>, endpoints: &[&str], prefix: Option<&str>) -> RegistryArgs {
        RegistryArgs {
            service: None,
            json: false,
            config: config.map(Path::to_path_buf),
            endpoints: endpoints.iter().map(|e| (*e).to_owned()).collect(),
            prefix: prefix.map(str::to_owned),
        }
    }

    #[test]
    fn flags_override_the_config_and_the_config_fills_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("web.toml");
        std::fs::write(
            &path,
            "[service]\nname = \"web\"\n[program]\ncommand = \"/bin/true\"\n\
             [registry]\nendpoints = [\"http://10.0.0.1:2379\"]\nprefix = \"/apps/\"\n\
             ttl = \"6s\"\ncredentials_file = \"etcd.credentials\"\n",
        )
        .unwrap();
        let config = registry_config(&args(Some(&path), &[], None)).unwrap();
        assert_eq!(config.endpoints, ["http://10.0.0.1:2379"]);
        assert_eq!(config.prefix, "/apps/");
        assert_eq!(config.ttl, Duration::from_secs(6));
        assert_eq!(
            config.credentials_file,
            Some(dir.path().join("etcd.credentials"))
        );

        let config = registry_config(&args(
            Some(&path),
            &["http://127.0.0.1:1", "http://127.0.0.1:2"],
            Some("/other/"),
        ))
        .unwrap();
        assert_eq!(
            config.endpoints,
            ["http://127.0.0.1:1", "http://127.0.0.1:2"]
        );
        assert_eq!(config.prefix, "/other/");
        assert_eq!(
            config.ttl,
            Duration::from_secs(6),
            "the config fills the rest"
        );
        assert!(config.credentials_file.is_some());

        let error = registry_config(&args(Some(&path), &["http://x:1"], Some("apps")))
            .unwrap_err()
            .to_string();
        assert!(error.contains("prefix"), "{error}");

        let bare = dir.path().join("bare.toml");
        std::fs::write(
            &bare,
            "[service]\nname = \"web\"\n[program]\ncommand = \"/bin/true\"\n",
        )
        .unwrap();
        let error = registry_config(&args(Some(&bare), &[], None))
            .unwrap_err()
            .to_string();
        assert!(error.contains("has no [registry] table"), "{error}");
        let config = registry_config(&args(Some(&bare), &["http://127.0.0.1:1"], None)).unwrap();
        assert_eq!(config.prefix, "/services/");
        assert_eq!(config.credentials_file, None);
    }
}
