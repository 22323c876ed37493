//! Cold standby: one leader per service, elected through a lease-bound key.
//!
//! The leader key `<prefix><service>/leader` is created in a transaction that succeeds only if
//! the key does not exist (`create_revision == 0`), attached to the candidate's lease. Losers
//! watch the key and try again when it is deleted (lease revoked or expired).
//!
//! Safety: the leader reports [`LossReason::KeepaliveOverdue`] once half the TTL has passed since
//! the *sending* of the last keepalive that etcd acknowledged. The server cannot expire the lease
//! before a full TTL after that send, so the program has the other half of the TTL to stop before
//! any standby can win.
//!
//! Leadership is the leader key *and* the lease under it. A leader watches its key and reports
//! [`LossReason::LeaderKeyChanged`] when someone else deletes or overwrites it; a standby that
//! sees the key deleted waits until the lease that held it is gone (the old leader revokes it
//! once its program has stopped, or etcd expires it) before it tries to win. So an operator's
//! `etcdctl del` of the leader key moves the leadership, but never runs two programs at once.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use etcd_client::{
    Client, Compare, CompareOp, EventType, LeaseKeepAliveStream, LeaseKeeper, PutOptions, Txn,
    TxnOp, TxnOpResponse, WatchOptions, WatchStream,
};
use tokio::sync::{mpsc, watch};

use crate::config::RegistryConfig;
use crate::error::{RegistryError, Result, deadline};
use crate::task;

/// Why a leader stopped being one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LossReason {
    /// No keepalive was acknowledged for half the TTL (etcd unreachable, partition, stall).
    KeepaliveOverdue,
    /// etcd says the lease no longer exists.
    LeaseExpired,
    /// The leader key was deleted or overwritten by someone else while our lease lived (an
    /// operator's edit); the lease is kept until [`Election::campaign`] revokes it, so no
    /// standby starts before our program has stopped.
    LeaderKeyChanged,
}

/// Where this candidate stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Not campaigning (initially, and after [`Election::resign`]).
    Idle,
    /// Waiting for the leader key to be free (standby).
    Campaigning,
    /// We hold the leader key: run the program.
    Leader {
        /// The lease the leader key is attached to.
        lease_id: i64,
    },
    /// Leadership is gone: stop the program now, then [`Election::campaign`] again.
    Lost(LossReason),
}

enum Command {
    Campaign,
    Resign(std::sync::mpsc::Sender<Result<()>>),
}

/// Handle to a candidate in the election of one service; the work runs on its own thread.
pub struct Election {
    commands: mpsc::UnboundedSender<Command>,
    role: watch::Receiver<Role>,
}

impl Election {
    /// Prepares a candidate named `candidate` for `service`; call [`Election::campaign`] to run.
    pub fn start(
        config: RegistryConfig,
        service: impl Into<String>,
        candidate: impl Into<String>,
    ) -> Result<Self> {
        config.validate()?;
        config.connect_options()?;
        let (commands, rx) = mpsc::unbounded_channel();
        let (role_tx, role) = watch::channel(Role::Idle);
        let key = config.leader_key(&service.into());
        task::spawn(
            "steward-election",
            run(config, key, candidate.into(), rx, role_tx),
        )?;
        Ok(Election { commands, role })
    }

    /// The current role.
    pub fn role(&self) -> Role {
        *self.role.borrow()
    }

    /// A receiver that sees every role change.
    pub fn subscribe(&self) -> watch::Receiver<Role> {
        self.role.clone()
    }

    /// Starts campaigning (no-op while campaigning or leading). Call it only while the
    /// program is stopped: it first revokes the lease of a lost leadership.
    pub fn campaign(&self) {
        let _ = self.commands.send(Command::Campaign);
    }

    /// Campaigns and resolves once we are the leader.
    pub async fn elected(&self) -> Result<i64> {
        self.campaign();
        let mut role = self.role.clone();
        let role = role
            .wait_for(|r| matches!(r, Role::Leader { .. }))
            .await
            .map_err(|_| RegistryError::Stopped)?;
        match *role {
            Role::Leader { lease_id } => Ok(lease_id),
            _ => Err(RegistryError::Stopped),
        }
    }

    /// Resolves when the leadership is lost (observe this while the program runs).
    pub async fn lost(&self) -> Result<LossReason> {
        let mut role = self.role.clone();
        let role = role
            .wait_for(|r| matches!(r, Role::Lost(_)))
            .await
            .map_err(|_| RegistryError::Stopped)?;
        match *role {
            Role::Lost(reason) => Ok(reason),
            _ => Err(RegistryError::Stopped),
        }
    }

    /// Waits up to `timeout` for leadership (blocking callers); true if we lead.
    pub fn wait_leader(&self, timeout: Duration) -> bool {
        task::poll_until(timeout, || matches!(self.role(), Role::Leader { .. }))
    }

    /// Waits up to `timeout` for a loss of leadership (blocking callers).
    pub fn wait_lost(&self, timeout: Duration) -> Option<LossReason> {
        let mut reason = None;
        task::poll_until(timeout, || match self.role() {
            Role::Lost(r) => {
                reason = Some(r);
                true
            }
            _ => false,
        });
        reason
    }

    /// Gives up leadership or candidacy: revokes the lease so a standby takes over at once.
    /// Call it after the program has stopped.
    pub fn resign(self, timeout: Duration) -> Result<()> {
        let (reply, answer) = std::sync::mpsc::channel();
        self.commands
            .send(Command::Resign(reply))
            .map_err(|_| RegistryError::Stopped)?;
        answer
            .recv_timeout(timeout)
            .map_err(|_| RegistryError::Timeout(timeout))?
    }
}

struct Seat {
    client: Client,
    lease: i64,
    /// The etcd revision of the transaction that won the key.
    won_at: i64,
    keeper: LeaseKeeper,
    responses: LeaseKeepAliveStream,
    last_ok: Instant,
}

enum Held {
    Lost(LossReason),
    Resigned(Option<std::sync::mpsc::Sender<Result<()>>>),
}

async fn run(
    config: RegistryConfig,
    key: String,
    candidate: String,
    mut commands: mpsc::UnboundedReceiver<Command>,
    role: watch::Sender<Role>,
) {
    let mut stale_lease = None;
    loop {
        match commands.recv().await {
            Some(Command::Campaign) => {}
            Some(Command::Resign(reply)) => {
                let _ = reply.send(revoke_fresh(&config, stale_lease).await);
                role.send_replace(Role::Idle);
                return;
            }
            None => return,
        }
        role.send_replace(Role::Campaigning);
        let mut attempts = 0u32;
        let mut backoff = Duration::from_millis(200);
        let mut seat = loop {
            match campaign(&config, &key, &candidate, &mut commands, &mut stale_lease).await {
                Ok(Some(seat)) => break seat,
                Ok(None) => {
                    role.send_replace(Role::Idle);
                    return;
                }
                Err(error) => {
                    attempts += 1;
                    if attempts == 1 {
                        tracing::warn!(%error, attempts, %key, "election failed, retrying in the background");
                    }
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(config.ttl / 3);
                }
            }
        };
        tracing::info!(%key, %candidate, lease = seat.lease, "elected leader");
        role.send_replace(Role::Leader {
            lease_id: seat.lease,
        });
        match hold(&config, &key, &mut seat, &mut commands).await {
            Held::Lost(reason) => {
                tracing::warn!(%key, ?reason, "leadership lost");
                stale_lease = Some(seat.lease);
                role.send_replace(Role::Lost(reason));
            }
            Held::Resigned(reply) => {
                let limit = config.request_timeout();
                let result = deadline(limit, seat.client.lease_revoke(seat.lease))
                    .await
                    .map(drop);
                role.send_replace(Role::Idle);
                if let Some(reply) = reply {
                    let _ = reply.send(result);
                }
                return;
            }
        }
    }
}

/// Campaigns until we win (`Some`), resign (`None`) or an etcd error ends the attempt.
async fn campaign(
    config: &RegistryConfig,
    key: &str,
    candidate: &str,
    commands: &mut mpsc::UnboundedReceiver<Command>,
    stale_lease: &mut Option<i64>,
) -> Result<Option<Seat>> {
    let limit = config.request_timeout();
    let mut client = config.connect().await?;
    if let Some(old) = stale_lease.take() {
        let _ = deadline(limit, client.lease_revoke(old)).await;
    }
    let mut last_ok = Instant::now();
    let lease = deadline(limit, client.lease_grant(config.ttl_secs(), None))
        .await?
        .id();
    *stale_lease = Some(lease);
    let (mut keeper, mut responses) = deadline(limit, client.lease_keep_alive(lease)).await?;
    let mut tick = tokio::time::interval(config.ttl / 3);
    tick.tick().await;
    let mut warned_unleased = false;
    loop {
        let put = PutOptions::new().with_lease(lease);
        let txn = Txn::new()
            .when([Compare::create_revision(key, CompareOp::Equal, 0)])
            .and_then([TxnOp::put(key, candidate, Some(put))])
            .or_else([TxnOp::get(key, None)]);
        let answer = deadline(limit, client.txn(txn)).await?;
        let revision = answer.header().map_or(0, |h| h.revision());
        if answer.succeeded() {
            *stale_lease = None;
            return Ok(Some(Seat {
                client,
                lease,
                won_at: revision,
                keeper,
                responses,
                last_ok,
            }));
        }
        let mut holder_lease = holder_lease(&answer);
        let options = WatchOptions::new()
            .with_start_revision(revision + 1)
            .with_prev_key();
        let mut watch = deadline(limit, client.watch(key, Some(options))).await?;
        tracing::info!(%key, "standing by: another instance leads; watching its key");
        // Set while the key is gone but the lease that held it lives (see the module docs).
        let mut waiting_for: Option<i64> = None;
        let mut poll = tokio::time::interval(OLD_LEASE_POLL);
        loop {
            if holder_lease == Some(0) && !warned_unleased {
                warned_unleased = true;
                tracing::error!(%key, "the leader key is not attached to a lease (written by hand?): no instance can take over until it is deleted");
            }
            tokio::select! {
                _ = tick.tick() => {
                    let sent = Instant::now();
                    keepalive_once(&mut keeper, &mut responses, limit, lease).await?;
                    last_ok = sent;
                }
                _ = poll.tick(), if waiting_for.is_some() => {
                    let old = waiting_for.unwrap_or_default();
                    if !lease_alive(&mut client, old, limit).await? {
                        break;
                    }
                }
                message = watch.message() => {
                    let Some(message) = message? else {
                        return Err(RegistryError::WatchEnded("stream closed".into()));
                    };
                    if message.canceled() {
                        return Err(RegistryError::WatchEnded("cancelled by etcd".into()));
                    }
                    for event in message.events() {
                        match event.event_type() {
                            EventType::Put => {
                                holder_lease = event.kv().map(|kv| kv.lease());
                                waiting_for = None;
                            }
                            EventType::Delete => {
                                let old = event
                                    .prev_kv()
                                    .map(|kv| kv.lease())
                                    .or(holder_lease)
                                    .filter(|id| *id != 0);
                                holder_lease = None;
                                waiting_for = match old {
                                    Some(id) if lease_alive(&mut client, id, limit).await? => {
                                        tracing::warn!(%key, lease = id, "the leader key was deleted while its lease lives: waiting for that leader to stop");
                                        Some(id)
                                    }
                                    _ => None,
                                };
                            }
                        }
                    }
                    if holder_lease.is_none() && waiting_for.is_none() {
                        break;
                    }
                }
                command = commands.recv() => match command {
                    Some(Command::Campaign) => {}
                    Some(Command::Resign(reply)) => {
                        let result = deadline(limit, client.lease_revoke(lease)).await.map(drop);
                        *stale_lease = None;
                        let _ = reply.send(result);
                        return Ok(None);
                    }
                    None => {
                        let _ = deadline(limit, client.lease_revoke(lease)).await;
                        return Ok(None);
                    }
                },
            }
        }
    }
}

/// How often a standby asks whether the lease of a deleted leader key is gone yet; only while
/// that abnormal state lasts.
const OLD_LEASE_POLL: Duration = Duration::from_millis(100);

/// The lease of the key returned by the failed transaction's `get` (`None`: no key).
fn holder_lease(answer: &etcd_client::TxnResponse) -> Option<i64> {
    answer.op_responses().into_iter().find_map(|op| match op {
        TxnOpResponse::Get(get) => get.kvs().first().map(|kv| kv.lease()),
        _ => None,
    })
}

/// Whether lease `id` still exists. etcd answers TTL -1 once it is revoked or expired, and 0
/// for a live lease with less than a second left, which still counts as alive.
async fn lease_alive(client: &mut Client, id: i64, limit: Duration) -> Result<bool> {
    let answer = deadline(limit, client.lease_time_to_live(id, None)).await?;
    Ok(answer.ttl() >= 0)
}

async fn keepalive_once(
    keeper: &mut LeaseKeeper,
    responses: &mut LeaseKeepAliveStream,
    limit: Duration,
    lease: i64,
) -> Result<()> {
    deadline(limit, keeper.keep_alive()).await?;
    match deadline(limit, responses.message()).await? {
        Some(answer) if answer.ttl() > 0 => Ok(()),
        _ => Err(RegistryError::LeaseLost(lease)),
    }
}

/// Keeps the leadership alive; returns when it is lost or given up.
async fn hold(
    config: &RegistryConfig,
    key: &str,
    seat: &mut Seat,
    commands: &mut mpsc::UnboundedReceiver<Command>,
) -> Held {
    let grace = config.ttl / 2;
    let limit = config.request_timeout();
    let mut tick = tokio::time::interval(config.ttl / 3);
    let mut in_flight: VecDeque<Instant> = VecDeque::new();
    let mut connected = true;
    // Watches our own leader key from the winning revision, so no edit after the win is missed.
    // Bounded by the overdue time, so a hanging etcd cannot delay the loss report.
    let options = WatchOptions::new().with_start_revision(seat.won_at + 1);
    let left = (seat.last_ok + grace)
        .saturating_duration_since(Instant::now())
        .min(limit);
    let mut key_watch = tokio::time::timeout(left, seat.client.watch(key, Some(options)))
        .await
        .ok()
        .and_then(|watch| watch.ok());
    loop {
        let overdue_at = seat.last_ok + grace;
        tokio::select! {
            _ = tokio::time::sleep_until(overdue_at.into()) => {
                return Held::Lost(LossReason::KeepaliveOverdue);
            }
            _ = tick.tick() => {
                if !connected {
                    let left = overdue_at.saturating_duration_since(Instant::now()).min(limit);
                    let Ok(Ok((client, keeper, responses))) =
                        tokio::time::timeout(left, reconnect(config, seat.lease)).await
                    else {
                        continue;
                    };
                    (seat.client, seat.keeper, seat.responses) = (client, keeper, responses);
                    in_flight.clear();
                    connected = true;
                }
                let sent = Instant::now();
                if seat.keeper.keep_alive().await.is_ok() {
                    in_flight.push_back(sent);
                } else {
                    connected = false;
                }
                if key_watch.is_none() && connected {
                    let left = overdue_at.saturating_duration_since(Instant::now()).min(limit);
                    match tokio::time::timeout(left, rewatch_own_key(&mut seat.client, key, seat.lease)).await {
                        Ok(Ok(Some(watch))) => key_watch = Some(watch),
                        Ok(Ok(None)) => return Held::Lost(LossReason::LeaderKeyChanged),
                        _ => {}
                    }
                }
            }
            message = seat.responses.message(), if connected => match message {
                Ok(Some(answer)) => {
                    let sent = in_flight.pop_front();
                    if answer.ttl() <= 0 {
                        return Held::Lost(LossReason::LeaseExpired);
                    }
                    if let Some(sent) = sent {
                        seat.last_ok = seat.last_ok.max(sent);
                    }
                }
                _ => connected = false,
            },
            message = next_message(&mut key_watch), if key_watch.is_some() => match message {
                Ok(Some(message)) if !message.canceled() => {
                    let taken = message.events().iter().any(|event| {
                        event.event_type() == EventType::Delete
                            || event.kv().is_some_and(|kv| kv.lease() != seat.lease)
                    });
                    if taken {
                        tracing::error!(%key, "the leader key was deleted or overwritten by someone else");
                        return Held::Lost(LossReason::LeaderKeyChanged);
                    }
                }
                // Stream ended, failed or was cancelled (compaction): check and watch again.
                _ => key_watch = None,
            },
            command = commands.recv() => match command {
                Some(Command::Campaign) => {}
                Some(Command::Resign(reply)) => return Held::Resigned(Some(reply)),
                None => return Held::Resigned(None),
            },
        }
    }
}

/// The next message of `watch`; never resolves without one (guard the branch on `is_some`).
async fn next_message(
    watch: &mut Option<WatchStream>,
) -> std::result::Result<Option<etcd_client::WatchResponse>, etcd_client::Error> {
    match watch {
        Some(watch) => watch.message().await,
        None => std::future::pending().await,
    }
}

/// After a broken watch: `None` if our key is gone or no longer on `lease`; else a watch that
/// continues from the revision of that check.
async fn rewatch_own_key(
    client: &mut Client,
    key: &str,
    lease: i64,
) -> Result<Option<WatchStream>> {
    let current = client.get(key, None).await?;
    if current.kvs().first().map(|kv| kv.lease()) != Some(lease) {
        return Ok(None);
    }
    let revision = current.header().map_or(0, |h| h.revision());
    let options = WatchOptions::new().with_start_revision(revision + 1);
    Ok(Some(client.watch(key, Some(options)).await?))
}

async fn reconnect(
    config: &RegistryConfig,
    lease: i64,
) -> Result<(Client, LeaseKeeper, LeaseKeepAliveStream)> {
    let mut client = config.connect().await?;
    let (keeper, responses) =
        deadline(config.request_timeout(), client.lease_keep_alive(lease)).await?;
    Ok((client, keeper, responses))
}

async fn revoke_fresh(config: &RegistryConfig, lease: Option<i64>) -> Result<()> {
    let Some(id) = lease else { return Ok(()) };
    let mut client = config.connect().await?;
    deadline(config.request_timeout(), client.lease_revoke(id)).await?;
    Ok(())
}
