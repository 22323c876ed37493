//! Check specifications: what to probe, how often, and when a result counts.

use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::time::Duration;

use crate::HealthError;

/// What a check probes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CheckKind {
    /// `GET url`; ok when the status is in `expect` (default 200..=399). Only `http://` URLs.
    Http {
        /// The URL to fetch.
        url: String,
        /// Accepted status codes.
        expect: RangeInclusive<u16>,
    },
    /// A TCP connect to `host:port`; ok when the connection is accepted.
    Tcp {
        /// `host:port`, resolved at every probe.
        addr: String,
    },
    /// Run `argv[0]` with `argv[1..]` (no shell); ok when it exits with 0 within the timeout.
    Exec {
        /// Program and arguments.
        argv: Vec<String>,
        /// Working directory, if any.
        cwd: Option<PathBuf>,
    },
}

/// What a check's verdict decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckRole {
    /// Gates readiness only.
    Readiness,
    /// A failure past the threshold asks the supervisor for a restart.
    Liveness,
    /// Both readiness and liveness.
    Both,
}

impl CheckRole {
    /// Whether the check gates readiness.
    pub fn readiness(self) -> bool {
        matches!(self, Self::Readiness | Self::Both)
    }
    /// Whether the check decides liveness.
    pub fn liveness(self) -> bool {
        matches!(self, Self::Liveness | Self::Both)
    }
}

/// One health check with its timing and thresholds.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use steward_health::{CheckSpec, CheckRole};
/// let spec = CheckSpec::http("web", "http://127.0.0.1:8080/healthz")
///     .role(CheckRole::Both)
///     .interval(Duration::from_secs(10))
///     .failure_threshold(3);
/// assert!(spec.validate().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckSpec {
    /// Unique name, used in results, events and metrics labels.
    pub name: String,
    /// What to probe.
    pub kind: CheckKind,
    /// Readiness, liveness or both.
    pub role: CheckRole,
    /// Time between the starts of two probes.
    pub interval: Duration,
    /// Longest a probe may take; a slower probe fails.
    pub timeout: Duration,
    /// Consecutive failures that make the check fail.
    pub failure_threshold: u32,
    /// Consecutive successes that make the check pass.
    pub success_threshold: u32,
    /// Failures in this period after (re)start don't count, until the first success.
    pub start_period: Duration,
}

impl CheckSpec {
    fn new(name: &str, kind: CheckKind) -> Self {
        Self {
            name: name.to_owned(),
            kind,
            role: CheckRole::Both,
            interval: Duration::from_secs(10),
            timeout: Duration::from_secs(2),
            failure_threshold: 3,
            success_threshold: 1,
            start_period: Duration::ZERO,
        }
    }
    /// An HTTP GET check expecting 200..=399.
    pub fn http(name: &str, url: &str) -> Self {
        Self::new(
            name,
            CheckKind::Http {
                url: url.to_owned(),
                expect: 200..=399,
            },
        )
    }
    /// A TCP connect check.
    pub fn tcp(name: &str, addr: &str) -> Self {
        Self::new(
            name,
            CheckKind::Tcp {
                addr: addr.to_owned(),
            },
        )
    }
    /// An exec check; `argv[0]` is the program.
    pub fn exec<S: AsRef<str>>(name: &str, argv: &[S]) -> Self {
        let argv = argv.iter().map(|s| s.as_ref().to_owned()).collect();
        Self::new(name, CheckKind::Exec { argv, cwd: None })
    }
    /// Sets the role.
    pub fn role(mut self, role: CheckRole) -> Self {
        self.role = role;
        self
    }
    /// Sets the interval.
    pub fn interval(mut self, d: Duration) -> Self {
        self.interval = d;
        self
    }
    /// Sets the probe timeout.
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeout = d;
        self
    }
    /// Sets the failure threshold.
    pub fn failure_threshold(mut self, n: u32) -> Self {
        self.failure_threshold = n;
        self
    }
    /// Sets the success threshold.
    pub fn success_threshold(mut self, n: u32) -> Self {
        self.success_threshold = n;
        self
    }
    /// Sets the start period.
    pub fn start_period(mut self, d: Duration) -> Self {
        self.start_period = d;
        self
    }
    /// Sets the accepted HTTP status range (HTTP checks only; ignored otherwise).
    pub fn expect_status(mut self, range: RangeInclusive<u16>) -> Self {
        if let CheckKind::Http { expect, .. } = &mut self.kind {
            *expect = range;
        }
        self
    }

    /// Checks the spec for values that can never work.
    pub fn validate(&self) -> Result<(), HealthError> {
        let bad = |reason: &str| {
            Err(HealthError::InvalidCheck {
                check: self.name.clone(),
                reason: reason.to_owned(),
            })
        };
        if self.name.is_empty() {
            return bad("name must not be empty");
        }
        if self.failure_threshold == 0 || self.success_threshold == 0 {
            return bad("thresholds must be at least 1");
        }
        if self.interval.is_zero() || self.timeout.is_zero() {
            return bad("interval and timeout must be greater than zero");
        }
        match &self.kind {
            CheckKind::Http { url, expect } => {
                if !url.starts_with("http://") {
                    return bad("url must start with http://");
                }
                if expect.is_empty() || *expect.start() < 100 || *expect.end() > 599 {
                    return bad("expected status range must lie within 100-599");
                }
            }
            CheckKind::Tcp { addr } if !addr.contains(':') => {
                return bad("address must be host:port");
            }
            CheckKind::Exec { argv, .. } if argv.is_empty() => {
                return bad("argv must not be empty");
            }
            _ => {}
        }
        Ok(())
    }
}
