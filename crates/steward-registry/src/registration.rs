//! Registering one instance under a lease, kept alive on a background thread.

use std::time::{Duration, Instant, SystemTime};

use etcd_client::{Client, PutOptions};
use tokio::sync::{mpsc, watch};

use crate::config::{OnUnhealthy, RegistryConfig};
use crate::error::{RegistryError, Result, deadline};
use crate::instance::{Health, InstanceInfo};
use crate::task;

/// Where a [`Registration`] stands, as a snapshot for `/status` and `/metrics`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistryStatus {
    /// The first attempt is under way.
    Starting,
    /// The key is written and its lease kept alive.
    Registered {
        /// The instance key.
        key: String,
        /// The lease id the key is attached to.
        lease_id: i64,
        /// When this registration (or re-registration) succeeded.
        since: SystemTime,
        /// The health last published.
        health: Health,
    },
    /// etcd is unreachable or refused us; the task retries with backoff.
    Retrying {
        /// When the current outage started.
        since: SystemTime,
        /// Failed attempts in this outage.
        attempts: u32,
        /// The last error, one line.
        last_error: String,
    },
    /// The lease was revoked (or the handle dropped); the task has ended.
    Deregistered,
}

impl RegistryStatus {
    /// True while the instance is visible in the registry.
    pub fn is_registered(&self) -> bool {
        matches!(self, RegistryStatus::Registered { .. })
    }
}

enum Command {
    /// Changes the announced health and/or PID.
    Update {
        health: Option<Health>,
        pid: Option<u32>,
    },
    Deregister(std::sync::mpsc::Sender<Result<()>>),
}

/// Handle to a running registration. Cheap calls only: the work happens on its own thread.
///
/// Dropping the handle revokes the lease in the background (best effort).
pub struct Registration {
    commands: mpsc::UnboundedSender<Command>,
    status: watch::Receiver<RegistryStatus>,
}

impl Registration {
    /// Starts registering `instance` with etcd; returns at once, even if etcd is down.
    ///
    /// Fails only on a config that can never work (bad prefix, unreadable credentials, ...).
    pub fn start(config: RegistryConfig, instance: InstanceInfo) -> Result<Self> {
        config.validate()?;
        instance.validate()?;
        config.connect_options()?;
        let (commands, rx) = mpsc::unbounded_channel();
        let (status_tx, status) = watch::channel(RegistryStatus::Starting);
        task::spawn("steward-registry", run(config, instance, rx, status_tx))?;
        Ok(Registration { commands, status })
    }

    /// The current state.
    pub fn status(&self) -> RegistryStatus {
        self.status.borrow().clone()
    }

    /// A receiver that sees every state change (for async callers).
    pub fn subscribe(&self) -> watch::Receiver<RegistryStatus> {
        self.status.clone()
    }

    /// Publishes a health change (updates the value, or removes the key per `on_unhealthy`).
    pub fn set_health(&self, health: Health) {
        let _ = self.commands.send(Command::Update {
            health: Some(health),
            pid: None,
        });
    }

    /// Announces a new program PID (after a restart) together with its health, in one write.
    pub fn set_serving(&self, pid: u32, health: Health) {
        let _ = self.commands.send(Command::Update {
            health: Some(health),
            pid: Some(pid),
        });
    }

    /// Waits up to `timeout` for the instance to be registered; true if it is.
    pub fn wait_registered(&self, timeout: Duration) -> bool {
        task::poll_until(timeout, || self.status.borrow().is_registered())
    }

    /// Revokes the lease (the key disappears at once) and ends the task, waiting up to `timeout`.
    ///
    /// Call it before the program gets its stop request, so consumers drain first.
    pub fn deregister(self, timeout: Duration) -> Result<()> {
        let (reply, answer) = std::sync::mpsc::channel();
        self.commands
            .send(Command::Deregister(reply))
            .map_err(|_| RegistryError::Stopped)?;
        match answer.recv_timeout(timeout) {
            Ok(result) => result,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Err(RegistryError::Timeout(timeout)),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => Err(RegistryError::Stopped),
        }
    }
}

struct Outage {
    attempts: u32,
    since: Option<SystemTime>,
}

async fn run(
    config: RegistryConfig,
    mut instance: InstanceInfo,
    mut commands: mpsc::UnboundedReceiver<Command>,
    status: watch::Sender<RegistryStatus>,
) {
    let mut lease = None;
    let mut outage = Outage {
        attempts: 0,
        since: None,
    };
    let mut backoff = Duration::from_millis(200);
    let max_backoff = (config.ttl / 3).clamp(Duration::from_secs(1), Duration::from_secs(5));
    loop {
        let error = match session(
            &config,
            &mut instance,
            &mut commands,
            &status,
            &mut lease,
            &mut outage,
        )
        .await
        {
            Ok(()) => return,
            Err(error) => error,
        };
        if outage.attempts == 0 {
            backoff = Duration::from_millis(200);
        }
        outage.attempts += 1;
        let since = *outage.since.get_or_insert_with(SystemTime::now);
        if outage.attempts == 1 {
            tracing::warn!(%error, attempts = outage.attempts, "etcd registration failed, retrying in the background");
        } else {
            tracing::debug!(%error, attempts = outage.attempts, "etcd registration retry failed");
        }
        status.send_replace(RegistryStatus::Retrying {
            since,
            attempts: outage.attempts,
            last_error: error.to_string(),
        });
        let wake = tokio::time::Instant::now() + backoff;
        backoff = (backoff * 2).min(max_backoff);
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(wake) => break,
                command = commands.recv() => match command {
                    Some(Command::Update { health, pid }) => {
                        apply(&mut instance, health, pid);
                    }
                    Some(Command::Deregister(reply)) => {
                        let result = revoke_fresh(&config, lease).await;
                        status.send_replace(RegistryStatus::Deregistered);
                        let _ = reply.send(result);
                        return;
                    }
                    None => {
                        let _ = revoke_fresh(&config, lease).await;
                        status.send_replace(RegistryStatus::Deregistered);
                        return;
                    }
                },
            }
        }
    }
}

/// One connection's worth of registration; `Ok` means deregistered, `Err` means retry.
async fn session(
    config: &RegistryConfig,
    instance: &mut InstanceInfo,
    commands: &mut mpsc::UnboundedReceiver<Command>,
    status: &watch::Sender<RegistryStatus>,
    lease: &mut Option<i64>,
    outage: &mut Outage,
) -> Result<()> {
    let limit = config.request_timeout();
    let mut client = config.connect().await?;
    let id = match *lease {
        Some(id) if lease_alive(&mut client, limit, id).await => id,
        _ => deadline(limit, client.lease_grant(config.ttl_secs(), None))
            .await?
            .id(),
    };
    *lease = Some(id);
    publish(&mut client, config, instance, id).await?;
    let (mut keeper, mut responses) = deadline(limit, client.lease_keep_alive(id)).await?;
    let key = config.instance_key(&instance.service, &instance.instance_id);
    if outage.attempts > 0 {
        tracing::info!(%key, attempts = outage.attempts, "registered in etcd after retrying");
    } else {
        tracing::debug!(%key, lease = id, "registered in etcd");
    }
    *outage = Outage {
        attempts: 0,
        since: None,
    };
    let registered = |health| RegistryStatus::Registered {
        key: key.clone(),
        lease_id: id,
        since: SystemTime::now(),
        health,
    };
    status.send_replace(registered(instance.health));
    let mut tick = tokio::time::interval(config.ttl / 3);
    tick.tick().await;
    loop {
        tokio::select! {
            _ = tick.tick() => {
                deadline(limit, keeper.keep_alive()).await?;
                match deadline(limit, responses.message()).await? {
                    Some(answer) if answer.ttl() > 0 => {}
                    _ => {
                        *lease = None;
                        return Err(RegistryError::LeaseLost(id));
                    }
                }
            }
            command = commands.recv() => match command {
                Some(Command::Update { health, pid }) => {
                    if apply(instance, health, pid) {
                        publish(&mut client, config, instance, id).await?;
                        status.send_replace(registered(instance.health));
                    }
                }
                Some(Command::Deregister(reply)) => {
                    let result = deadline(limit, client.lease_revoke(id)).await.map(drop);
                    status.send_replace(RegistryStatus::Deregistered);
                    let _ = reply.send(result);
                    return Ok(());
                }
                None => {
                    let _ = deadline(limit, client.lease_revoke(id)).await;
                    status.send_replace(RegistryStatus::Deregistered);
                    return Ok(());
                }
            },
        }
    }
}

/// Applies an update to the announced value; true when it changed.
fn apply(instance: &mut InstanceInfo, health: Option<Health>, pid: Option<u32>) -> bool {
    let before = (instance.health, instance.pid);
    if let Some(health) = health {
        instance.health = health;
    }
    if let Some(pid) = pid {
        instance.pid = pid;
    }
    before != (instance.health, instance.pid)
}

async fn lease_alive(client: &mut Client, limit: Duration, id: i64) -> bool {
    matches!(deadline(limit, client.lease_time_to_live(id, None)).await, Ok(r) if r.ttl() > 0)
}

/// Writes the instance value under the lease, or deletes it while unhealthy in `Remove` mode.
async fn publish(
    client: &mut Client,
    config: &RegistryConfig,
    instance: &InstanceInfo,
    lease: i64,
) -> Result<()> {
    let limit = config.request_timeout();
    let key = config.instance_key(&instance.service, &instance.instance_id);
    if instance.health == Health::Unhealthy && config.on_unhealthy == OnUnhealthy::Remove {
        deadline(limit, client.delete(key, None)).await?;
    } else {
        let value = serde_json::to_vec(instance)?;
        let options = PutOptions::new().with_lease(lease);
        deadline(limit, client.put(key, value, Some(options))).await?;
    }
    Ok(())
}

/// Revokes `lease` over a new connection (used while the session is down).
async fn revoke_fresh(config: &RegistryConfig, lease: Option<i64>) -> Result<()> {
    let Some(id) = lease else { return Ok(()) };
    let started = Instant::now();
    let mut client = config.connect().await?;
    let left = config.request_timeout().saturating_sub(started.elapsed());
    deadline(
        left.max(Duration::from_millis(100)),
        client.lease_revoke(id),
    )
    .await?;
    Ok(())
}
