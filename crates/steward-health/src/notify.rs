//! The sd_notify protocol as steward receives it from a wrapped program: message parsing and the
//! watchdog clock. Pure logic; the socket lives in the `sys` backend.

use std::time::{Duration, Instant};

/// Environment variable holding the notify socket's address (the name systemd uses).
pub const NOTIFY_SOCKET_ENV: &str = "NOTIFY_SOCKET";
/// Environment variable holding the watchdog period in microseconds (the name systemd uses).
pub const WATCHDOG_USEC_ENV: &str = "WATCHDOG_USEC";

/// One sd_notify assignment sent by the program.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotifyMessage {
    /// `READY=1`
    Ready,
    /// `WATCHDOG=1`
    Watchdog,
    /// `WATCHDOG=trigger`: the program asks to be treated as hung.
    WatchdogTrigger,
    /// `WATCHDOG_USEC=N`: the program changes its watchdog period.
    WatchdogUsec(u64),
    /// `STATUS=text`
    Status(String),
    /// `STOPPING=1`
    Stopping,
}

/// Parses one datagram (newline-separated `KEY=VALUE` lines); unknown or malformed lines are
/// ignored, as systemd does.
pub fn parse(datagram: &[u8]) -> Vec<NotifyMessage> {
    let text = String::from_utf8_lossy(datagram);
    text.lines()
        .filter_map(|line| {
            let (key, value) = line.split_once('=')?;
            Some(match (key, value) {
                ("READY", "1") => NotifyMessage::Ready,
                ("WATCHDOG", "1") => NotifyMessage::Watchdog,
                ("WATCHDOG", "trigger") => NotifyMessage::WatchdogTrigger,
                ("WATCHDOG_USEC", v) => NotifyMessage::WatchdogUsec(v.parse().ok()?),
                ("STATUS", v) => NotifyMessage::Status(v.chars().take(256).collect()),
                ("STOPPING", "1") => NotifyMessage::Stopping,
                _ => return None,
            })
        })
        .collect()
}

/// The watchdog clock: armed by the first ping, missed when no ping follows within the period.
#[derive(Debug, Clone)]
pub(crate) struct Watchdog {
    pub period: Option<Duration>,
    last_ping: Option<Instant>,
    pub missed: bool,
}

impl Watchdog {
    pub fn new(period: Option<Duration>) -> Self {
        Self {
            period,
            last_ping: None,
            missed: false,
        }
    }
    /// Disarms, as for a new instance of the program.
    pub fn reset(&mut self) {
        self.last_ping = None;
        self.missed = false;
    }
    /// Records a `WATCHDOG=1`.
    pub fn ping(&mut self, now: Instant) {
        self.last_ping = Some(now);
        self.missed = false;
    }
    /// Records a `WATCHDOG=trigger`; returns true when this is a new miss.
    pub fn trigger(&mut self) -> bool {
        self.last_ping = None;
        !std::mem::replace(&mut self.missed, true)
    }
    /// Returns true exactly once per miss: armed, and the period passed without a ping.
    pub fn poll(&mut self, now: Instant) -> bool {
        let (Some(period), Some(last)) = (self.period, self.last_ping) else {
            return false;
        };
        if !self.missed && now.duration_since(last) > period {
            self.missed = true;
            self.last_ping = None;
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_known_assignments_and_ignores_the_rest() {
        let m = parse(b"READY=1\nSTATUS=serving 3 clients\nWATCHDOG=1\nFOO=bar\nnonsense\nWATCHDOG_USEC=x\nSTOPPING=1\nWATCHDOG=trigger\nWATCHDOG_USEC=500");
        assert_eq!(
            m,
            vec![
                NotifyMessage::Ready,
                NotifyMessage::Status("serving 3 clients".into()),
                NotifyMessage::Watchdog,
                NotifyMessage::Stopping,
                NotifyMessage::WatchdogTrigger,
                NotifyMessage::WatchdogUsec(500),
            ]
        );
    }

    #[test]
    fn watchdog_armed_by_first_ping_and_missed_once() {
        let t0 = Instant::now();
        let s = Duration::from_secs(1);
        let mut w = Watchdog::new(Some(s));
        assert!(!w.poll(t0 + 10 * s), "not armed before the first ping");
        w.ping(t0);
        assert!(!w.poll(t0 + s / 2));
        assert!(w.poll(t0 + 2 * s));
        assert!(!w.poll(t0 + 3 * s), "reported once");
        w.ping(t0 + 4 * s);
        assert!(!w.missed);
        assert!(w.trigger());
        assert!(!w.trigger());
    }
}
