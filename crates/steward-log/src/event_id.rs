//! The documented table of event IDs (docs/logging.md) and how an event picks one.
//!
//! The same IDs are the messages of `messages/steward.mc`, so Event Viewer renders every one.

use tracing::Level;

/// An Event Log event ID from steward's table.
///
/// A tracing event chooses one with an `event_id` field (`info!(event_id = 1000, "started")`
/// or `EventId::SERVICE_STARTED.get()`); without one, or with an ID not in the table, it gets
/// the generic ID of its level ([`EventId::for_level`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventId(u32);

impl EventId {
    /// Generic information (any INFO/DEBUG/TRACE event without an `event_id`).
    pub const INFO: EventId = EventId(1);
    /// Generic warning (any WARN event without an `event_id`).
    pub const WARNING: EventId = EventId(2);
    /// Generic error (any ERROR event without an `event_id`).
    pub const ERROR: EventId = EventId(3);
    /// The service started and reported running.
    pub const SERVICE_STARTED: EventId = EventId(1000);
    /// The service stopped cleanly.
    pub const SERVICE_STOPPED: EventId = EventId(1001);
    /// The service failed (an error, a panic, a stop that ran out of time).
    pub const SERVICE_FAILED: EventId = EventId(1002);
    /// The service paused.
    pub const SERVICE_PAUSED: EventId = EventId(1003);
    /// The service continued after a pause.
    pub const SERVICE_CONTINUED: EventId = EventId(1004);
    /// The supervised program exited.
    pub const CHILD_EXITED: EventId = EventId(1100);
    /// The supervised program will be restarted after a delay.
    pub const RESTART_SCHEDULED: EventId = EventId(1101);
    /// The start limit was hit: no more restarts, the service fails.
    pub const START_LIMIT_HIT: EventId = EventId(1102);
    /// A health check failed: the service is degraded.
    pub const HEALTH_DEGRADED: EventId = EventId(1200);
    /// Health checks pass again.
    pub const HEALTH_RESTORED: EventId = EventId(1201);
    /// Captured output could not be written and was dropped (disk full, unwritable directory).
    pub const LOG_DROPPED: EventId = EventId(1300);
    /// Writing captured output works again.
    pub const LOG_RESUMED: EventId = EventId(1301);

    /// Every ID of the table with its symbolic name in `steward.mc`, in ascending order.
    pub const TABLE: &'static [(EventId, &'static str)] = &[
        (EventId::INFO, "STEWARD_INFO"),
        (EventId::WARNING, "STEWARD_WARNING"),
        (EventId::ERROR, "STEWARD_ERROR"),
        (EventId::SERVICE_STARTED, "STEWARD_SERVICE_STARTED"),
        (EventId::SERVICE_STOPPED, "STEWARD_SERVICE_STOPPED"),
        (EventId::SERVICE_FAILED, "STEWARD_SERVICE_FAILED"),
        (EventId::SERVICE_PAUSED, "STEWARD_SERVICE_PAUSED"),
        (EventId::SERVICE_CONTINUED, "STEWARD_SERVICE_CONTINUED"),
        (EventId::CHILD_EXITED, "STEWARD_CHILD_EXITED"),
        (EventId::RESTART_SCHEDULED, "STEWARD_RESTART_SCHEDULED"),
        (EventId::START_LIMIT_HIT, "STEWARD_START_LIMIT_HIT"),
        (EventId::HEALTH_DEGRADED, "STEWARD_HEALTH_DEGRADED"),
        (EventId::HEALTH_RESTORED, "STEWARD_HEALTH_RESTORED"),
        (EventId::LOG_DROPPED, "STEWARD_LOG_DROPPED"),
        (EventId::LOG_RESUMED, "STEWARD_LOG_RESUMED"),
    ];

    /// The numeric ID.
    pub const fn get(self) -> u32 {
        self.0
    }

    /// The ID if `raw` is in the table, else `None`.
    pub fn from_raw(raw: u64) -> Option<EventId> {
        Self::TABLE
            .iter()
            .map(|(id, _)| *id)
            .find(|id| u64::from(id.0) == raw)
    }

    /// The generic ID of a level: ERROR → 3, WARN → 2, anything else → 1.
    pub fn for_level(level: Level) -> EventId {
        match level {
            Level::ERROR => EventId::ERROR,
            Level::WARN => EventId::WARNING,
            _ => EventId::INFO,
        }
    }

    /// The ID an event gets: its `event_id` field if that is in the table, else its level's.
    pub fn choose(field: Option<u64>, level: Level) -> EventId {
        field
            .and_then(EventId::from_raw)
            .unwrap_or_else(|| EventId::for_level(level))
    }
}

impl std::fmt::Display for EventId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::EventId;
    use tracing::Level;

    #[test]
    fn the_field_wins_when_it_is_in_the_table() {
        assert_eq!(
            EventId::choose(Some(1102), Level::ERROR),
            EventId::START_LIMIT_HIT
        );
        assert_eq!(EventId::choose(Some(1000), Level::INFO).get(), 1000);
    }

    #[test]
    fn unknown_or_missing_ids_fall_back_to_the_level() {
        assert_eq!(EventId::choose(None, Level::ERROR), EventId::ERROR);
        assert_eq!(EventId::choose(None, Level::WARN), EventId::WARNING);
        for level in [Level::INFO, Level::DEBUG, Level::TRACE] {
            assert_eq!(EventId::choose(None, level), EventId::INFO);
        }
        assert_eq!(EventId::choose(Some(4242), Level::WARN), EventId::WARNING);
        assert_eq!(EventId::choose(Some(u64::MAX), Level::INFO), EventId::INFO);
    }

    /// Every table entry has a message in steward.mc under the same name and ID, and nothing
    /// else does: Event Viewer can render every ID steward reports.
    #[test]
    fn the_table_and_the_message_file_agree() {
        let mc = include_str!("../messages/steward.mc");
        let mut from_mc = Vec::new();
        let mut id = None;
        for line in mc.lines() {
            if let Some(n) = line.strip_prefix("MessageId=") {
                id = Some(n.trim().parse::<u32>().expect("numeric MessageId"));
            } else if let Some(name) = line.strip_prefix("SymbolicName=") {
                from_mc.push((id.take().expect("MessageId first"), name.trim().to_string()));
            }
        }
        let table: Vec<(u32, String)> = EventId::TABLE
            .iter()
            .map(|(id, name)| (id.get(), name.to_string()))
            .collect();
        assert_eq!(from_mc, table);
        assert!(table.windows(2).all(|w| w[0].0 < w[1].0), "ascending");
    }
}
