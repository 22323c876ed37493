//! The pure threshold logic of one check: consecutive counts, start period, verdict changes.

use std::time::{Duration, Instant};

/// A check's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Not yet decided (after start or reset).
    Unknown,
    /// Reached the success threshold.
    Passing,
    /// Reached the failure threshold.
    Failing,
}

/// Counts results of one check against its thresholds.
#[derive(Debug, Clone)]
pub(crate) struct Tracker {
    failure_threshold: u32,
    success_threshold: u32,
    start_period: Duration,
    started: Instant,
    seen_success: bool,
    pub consecutive_failures: u32,
    pub consecutive_successes: u32,
    pub verdict: Verdict,
}

impl Tracker {
    pub fn new(
        failure_threshold: u32,
        success_threshold: u32,
        start_period: Duration,
        now: Instant,
    ) -> Self {
        Self {
            failure_threshold,
            success_threshold,
            start_period,
            started: now,
            seen_success: false,
            consecutive_failures: 0,
            consecutive_successes: 0,
            verdict: Verdict::Unknown,
        }
    }

    /// Forgets everything, as for a new instance of the program started at `now`.
    pub fn reset(&mut self, now: Instant) {
        *self = Self::new(
            self.failure_threshold,
            self.success_threshold,
            self.start_period,
            now,
        );
    }

    /// Records one result; returns the new verdict when it changed.
    pub fn record(&mut self, ok: bool, now: Instant) -> Option<Verdict> {
        if ok {
            self.seen_success = true;
            self.consecutive_failures = 0;
            self.consecutive_successes = self.consecutive_successes.saturating_add(1);
            if self.consecutive_successes >= self.success_threshold {
                return self.set(Verdict::Passing);
            }
            return None;
        }
        self.consecutive_successes = 0;
        let in_start_period =
            !self.seen_success && now.duration_since(self.started) < self.start_period;
        if in_start_period {
            return None;
        }
        self.consecutive_failures = self.consecutive_failures.saturating_add(1);
        if self.consecutive_failures >= self.failure_threshold {
            return self.set(Verdict::Failing);
        }
        None
    }

    fn set(&mut self, v: Verdict) -> Option<Verdict> {
        (self.verdict != v).then(|| {
            self.verdict = v;
            v
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fails_only_after_threshold_and_once() {
        let t0 = Instant::now();
        let mut t = Tracker::new(3, 1, Duration::ZERO, t0);
        assert_eq!(t.record(false, t0), None);
        assert_eq!(t.record(false, t0), None);
        assert_eq!(t.record(false, t0), Some(Verdict::Failing));
        assert_eq!(t.record(false, t0), None);
        assert_eq!(t.consecutive_failures, 4);
    }

    #[test]
    fn success_threshold_and_recovery() {
        let t0 = Instant::now();
        let mut t = Tracker::new(1, 2, Duration::ZERO, t0);
        assert_eq!(t.record(true, t0), None);
        assert_eq!(t.record(true, t0), Some(Verdict::Passing));
        assert_eq!(t.record(false, t0), Some(Verdict::Failing));
        assert_eq!(t.record(true, t0), None);
        assert_eq!(t.record(true, t0), Some(Verdict::Passing));
    }

    #[test]
    fn start_period_ignores_failures_until_first_success() {
        let t0 = Instant::now();
        let mut t = Tracker::new(1, 1, Duration::from_secs(10), t0);
        assert_eq!(t.record(false, t0 + Duration::from_secs(1)), None);
        assert_eq!(t.consecutive_failures, 0);
        assert_eq!(
            t.record(false, t0 + Duration::from_secs(11)),
            Some(Verdict::Failing)
        );
        t.reset(t0);
        assert_eq!(t.record(true, t0), Some(Verdict::Passing));
        // After a success, the start period no longer hides failures.
        assert_eq!(
            t.record(false, t0 + Duration::from_secs(2)),
            Some(Verdict::Failing)
        );
    }
}
