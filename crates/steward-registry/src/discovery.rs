//! Reading the registry: list instances and watch them join, leave and change health.

use std::collections::VecDeque;

use etcd_client::{Client, EventType, GetOptions, KeyValue, WatchOptions, WatchStream};

use crate::config::RegistryConfig;
use crate::error::{RegistryError, Result, deadline};
use crate::instance::{Health, InstanceInfo, split_key};

/// A change seen by [`Watcher::next`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistryEvent {
    /// A new instance registered (or came back after being removed).
    Join(InstanceInfo),
    /// An instance's key was deleted: lease revoked or expired, or removed while unhealthy.
    Leave {
        /// Service of the instance.
        service: String,
        /// Id of the instance.
        instance_id: String,
        /// Its last value, when etcd still had it.
        last: Option<InstanceInfo>,
    },
    /// An instance's health changed.
    HealthChanged {
        /// The new value.
        instance: InstanceInfo,
        /// The health before.
        previous: Health,
    },
    /// An instance rewrote its value without a health change (e.g. re-registration).
    Updated(InstanceInfo),
}

/// A connection for reading the registry (the `steward registry list|watch` side).
pub struct RegistryClient {
    client: Client,
    config: RegistryConfig,
}

impl RegistryClient {
    /// Connects to etcd; fails within a third of the TTL when it is unreachable.
    pub async fn connect(config: &RegistryConfig) -> Result<Self> {
        let client = config.connect().await?;
        Ok(RegistryClient {
            client,
            config: config.clone(),
        })
    }

    /// The instances of `service` (or of every service), sorted by key.
    ///
    /// Values that are not instance JSON (e.g. a standby leader key) are skipped.
    pub async fn list(&mut self, service: Option<&str>) -> Result<Vec<InstanceInfo>> {
        let prefix = self.config.service_prefix(service);
        let options = GetOptions::new().with_prefix();
        let limit = self.config.request_timeout();
        let answer = deadline(limit, self.client.get(prefix, Some(options))).await?;
        Ok(answer
            .kvs()
            .iter()
            .filter_map(|kv| decode(&self.config.prefix, kv))
            .collect())
    }

    /// The candidate id holding the standby leader key of `service`, if any.
    pub async fn leader(&mut self, service: &str) -> Result<Option<String>> {
        let limit = self.config.request_timeout();
        let answer = deadline(
            limit,
            self.client.get(self.config.leader_key(service), None),
        )
        .await?;
        Ok(answer
            .kvs()
            .first()
            .map(|kv| String::from_utf8_lossy(kv.value()).into_owned()))
    }

    /// Watches `service` (or every service) from now on: from the revision after the store's
    /// current one, so that [`Watcher::revision`] is exact from the start.
    pub async fn watch(&mut self, service: Option<&str>) -> Result<Watcher> {
        let now = self.current_revision(service).await?;
        self.watch_from(service, now + 1).await
    }

    /// Watches from `revision` (at least 1), e.g. to resume after [`Watcher::revision`].
    pub async fn watch_from(&mut self, service: Option<&str>, revision: i64) -> Result<Watcher> {
        let revision = revision.max(1);
        let prefix = self.config.service_prefix(service);
        let options = WatchOptions::new()
            .with_prefix()
            .with_prev_key()
            .with_start_revision(revision);
        let limit = self.config.request_timeout();
        let stream = deadline(limit, self.client.watch(prefix, Some(options))).await?;
        Ok(Watcher {
            stream,
            prefix: self.config.prefix.clone(),
            pending: VecDeque::new(),
            // Everything before the start revision counts as seen: `revision() + 1` resumes
            // exactly here even when no event came.
            revision: revision - 1,
        })
    }

    /// The store's current revision (the header of a count-only read of the prefix of
    /// `service`, or of every service).
    pub async fn current_revision(&mut self, service: Option<&str>) -> Result<i64> {
        let prefix = self.config.service_prefix(service);
        let options = GetOptions::new().with_prefix().with_count_only();
        let limit = self.config.request_timeout();
        let answer = deadline(limit, self.client.get(prefix, Some(options))).await?;
        Ok(answer.header().map_or(0, |h| h.revision()))
    }
}

/// A stream of [`RegistryEvent`]s. Wrap `next` in a timeout to wait with a deadline.
pub struct Watcher {
    stream: WatchStream,
    prefix: String,
    pending: VecDeque<RegistryEvent>,
    revision: i64,
}

impl Watcher {
    /// The next event; `Ok(None)` when etcd closed the watch.
    ///
    /// After an error, watch again with [`RegistryClient::watch_from`]`(service, revision() + 1)`.
    pub async fn next(&mut self) -> Result<Option<RegistryEvent>> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Ok(Some(event));
            }
            let Some(answer) = self.stream.message().await? else {
                return Ok(None);
            };
            if answer.canceled() {
                return Err(RegistryError::WatchEnded(answer.cancel_reason().to_owned()));
            }
            for event in answer.events() {
                let Some(kv) = event.kv() else { continue };
                self.revision = self.revision.max(kv.mod_revision());
                if let Some(event) =
                    interpret(&self.prefix, event.event_type(), kv, event.prev_kv())
                {
                    self.pending.push_back(event);
                }
            }
        }
    }

    /// The revision up to which every change was delivered (the last event's, or the one
    /// before the watch's start): resume with `watch_from(service, revision() + 1)`.
    pub fn revision(&self) -> i64 {
        self.revision
    }
}

fn decode(prefix: &str, kv: &KeyValue) -> Option<InstanceInfo> {
    let key = std::str::from_utf8(kv.key()).ok()?;
    split_key(prefix, key)?;
    serde_json::from_slice(kv.value()).ok()
}

fn interpret(
    prefix: &str,
    kind: EventType,
    kv: &KeyValue,
    prev: Option<&KeyValue>,
) -> Option<RegistryEvent> {
    let key = std::str::from_utf8(kv.key()).ok()?;
    let (service, instance_id) = split_key(prefix, key)?;
    let previous = prev.and_then(|p| decode(prefix, p));
    match kind {
        EventType::Delete => Some(RegistryEvent::Leave {
            service: service.to_owned(),
            instance_id: instance_id.to_owned(),
            last: previous,
        }),
        EventType::Put => {
            let instance = decode(prefix, kv)?;
            Some(match previous {
                None => RegistryEvent::Join(instance),
                Some(before) if before.health != instance.health => RegistryEvent::HealthChanged {
                    previous: before.health,
                    instance,
                },
                Some(_) => RegistryEvent::Updated(instance),
            })
        }
    }
}
