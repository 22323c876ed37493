//! `[health]`: checks that gate readiness and restart a hung program, and the sd_notify socket
//! (readiness and watchdog) offered to the program. See `docs/health.md`.

use std::time::Duration;

use serde::Deserialize;
use serde_spanned::Spanned;

use crate::resolver::Resolver;

/// The raw `[health]` table, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawHealth {
    http: Option<Spanned<String>>,
    expect_status: Option<Spanned<String>>,
    interval: Option<Spanned<String>>,
    timeout: Option<Spanned<String>>,
    failure_threshold: Option<Spanned<i64>>,
    success_threshold: Option<Spanned<i64>>,
    start_period: Option<Spanned<String>>,
    start_timeout: Option<Spanned<String>>,
    notify: Option<Spanned<bool>>,
    notify_ready: Option<Spanned<bool>>,
    watchdog: Option<Spanned<String>>,
    check: Option<Vec<Spanned<RawCheck>>>,
}

/// One raw `[[health.check]]` entry.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCheck {
    name: Option<Spanned<String>>,
    http: Option<Spanned<String>>,
    tcp: Option<Spanned<String>>,
    exec: Option<Spanned<Vec<String>>>,
    role: Option<Spanned<String>>,
    expect_status: Option<Spanned<String>>,
    interval: Option<Spanned<String>>,
    timeout: Option<Spanned<String>>,
    failure_threshold: Option<Spanned<i64>>,
    success_threshold: Option<Spanned<i64>>,
    start_period: Option<Spanned<String>>,
}

/// How long the supervisor waits for readiness by default before the start of a run fails.
pub const DEFAULT_START_TIMEOUT: Duration = Duration::from_secs(90);

/// What a check probes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// `GET` this `http://` URL.
    Http(String),
    /// Connect to this `host:port`.
    Tcp(String),
    /// Run this argv (no shell); exit code 0 passes. `argv[0]` is resolved like a command.
    Exec(Vec<String>),
}

/// What a check's result is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Gates RUNNING / `READY=1`.
    Readiness,
    /// A failure past the threshold restarts the program.
    Liveness,
    /// Both. The default.
    Both,
}

/// One resolved check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthCheck {
    /// Unique name (`[A-Za-z0-9_.-]`); `http` for the `[health] http` shorthand.
    pub name: String,
    /// The probe.
    pub probe: Probe,
    /// Readiness, liveness or both.
    pub role: Role,
    /// HTTP statuses that pass, inclusive (default 200–399).
    pub expect_status: (u16, u16),
    /// Time between the starts of two probes.
    pub interval: Duration,
    /// Longest a probe may take.
    pub timeout: Duration,
    /// Consecutive failures that make the check fail (≥ 1).
    pub failure_threshold: u32,
    /// Consecutive successes that make the check pass (≥ 1).
    pub success_threshold: u32,
    /// After each (re)start, failures don't count until the first success or this period ends.
    pub start_period: Duration,
}

/// The resolved `[health]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    /// Every check: the `http` shorthand first, then `[[health.check]]` in file order.
    pub checks: Vec<HealthCheck>,
    /// How long each run of the program may take to become ready before it is killed and the
    /// restart policy decides.
    pub start_timeout: Duration,
    /// Create a notify socket for the program (`NOTIFY_SOCKET`).
    pub notify: bool,
    /// Readiness also waits for `READY=1` (requires `notify`).
    pub notify_ready: bool,
    /// The watchdog period given as `WATCHDOG_USEC` (requires `notify`).
    pub watchdog: Option<Duration>,
}

/// Table-wide defaults every check starts from.
struct Defaults {
    expect_status: (u16, u16),
    interval: Duration,
    timeout: Duration,
    failure_threshold: u32,
    success_threshold: u32,
    start_period: Duration,
}

const STATUS_FORM: &str = "a status \"200\" or a range \"200-399\" within 100-599";
const NAME_FORM: &str = "a unique name of letters, digits, '_', '.', '-'";
const ROLE_FORM: &str = "one of \"readiness\", \"liveness\", \"both\"";

/// Resolves `[health]`.
pub(crate) fn resolve(raw: RawHealth, r: &mut Resolver<'_>) -> Health {
    let d = Defaults {
        expect_status: status(
            r,
            "health.expect_status",
            raw.expect_status.as_ref(),
            (200, 399),
        ),
        interval: positive(
            r,
            "health.interval",
            raw.interval.as_ref(),
            Duration::from_secs(10),
        ),
        timeout: positive(
            r,
            "health.timeout",
            raw.timeout.as_ref(),
            Duration::from_secs(2),
        ),
        failure_threshold: threshold(r, "health.failure_threshold", &raw.failure_threshold, 3),
        success_threshold: threshold(r, "health.success_threshold", &raw.success_threshold, 1),
        start_period: r.duration(
            "health.start_period",
            raw.start_period.as_ref(),
            Duration::ZERO,
        ),
    };
    let mut checks = Vec::new();
    if let Some(url) = &raw.http {
        let probe = http_probe(r, "health.http", url);
        checks.push(check_with_defaults("http".into(), probe, Role::Both, &d));
    }
    for entry in raw.check.unwrap_or_default() {
        if let Some(check) = resolve_check(entry, &d, &checks, r) {
            checks.push(check);
        }
    }
    let notify = raw.notify.as_ref().is_some_and(|v| *v.get_ref());
    let notify_ready = raw.notify_ready.as_ref().is_some_and(|v| *v.get_ref());
    if let Some(value) = &raw.notify_ready
        && *value.get_ref()
        && !notify
    {
        r.invalid(
            "health.notify_ready",
            value,
            "false unless health.notify = true",
        );
    }
    let watchdog = raw.watchdog.as_ref().map(|value| {
        if !notify {
            r.invalid(
                "health.watchdog",
                value,
                "no watchdog unless health.notify = true",
            );
        }
        positive(r, "health.watchdog", Some(value), Duration::from_secs(30))
    });
    Health {
        checks,
        start_timeout: positive(
            r,
            "health.start_timeout",
            raw.start_timeout.as_ref(),
            DEFAULT_START_TIMEOUT,
        ),
        notify,
        notify_ready,
        watchdog,
    }
}

fn check_with_defaults(name: String, probe: Probe, role: Role, d: &Defaults) -> HealthCheck {
    HealthCheck {
        name,
        probe,
        role,
        expect_status: d.expect_status,
        interval: d.interval,
        timeout: d.timeout,
        failure_threshold: d.failure_threshold,
        success_threshold: d.success_threshold,
        start_period: d.start_period,
    }
}

fn resolve_check(
    entry: Spanned<RawCheck>,
    d: &Defaults,
    earlier: &[HealthCheck],
    r: &mut Resolver<'_>,
) -> Option<HealthCheck> {
    let span = entry.span();
    let raw = entry.into_inner();
    let name = match &raw.name {
        None => {
            r.missing("health.check.name", span.clone(), NAME_FORM);
            String::new()
        }
        Some(name) => {
            let n = name.get_ref();
            let valid = !n.is_empty()
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
            if !valid || earlier.iter().any(|c| &c.name == n) {
                r.invalid("health.check.name", name, NAME_FORM);
            }
            n.clone()
        }
    };
    let role = match &raw.role {
        None => Role::Both,
        Some(value) => match value.get_ref().as_str() {
            "readiness" => Role::Readiness,
            "liveness" => Role::Liveness,
            "both" => Role::Both,
            _ => {
                r.invalid("health.check.role", value, ROLE_FORM);
                Role::Both
            }
        },
    };
    let probe = probe(&raw, span, r)?;
    Some(HealthCheck {
        name,
        probe,
        role,
        expect_status: status(
            r,
            "health.check.expect_status",
            raw.expect_status.as_ref(),
            d.expect_status,
        ),
        interval: positive(
            r,
            "health.check.interval",
            raw.interval.as_ref(),
            d.interval,
        ),
        timeout: positive(r, "health.check.timeout", raw.timeout.as_ref(), d.timeout),
        failure_threshold: threshold(
            r,
            "health.check.failure_threshold",
            &raw.failure_threshold,
            d.failure_threshold,
        ),
        success_threshold: threshold(
            r,
            "health.check.success_threshold",
            &raw.success_threshold,
            d.success_threshold,
        ),
        start_period: r.duration(
            "health.check.start_period",
            raw.start_period.as_ref(),
            d.start_period,
        ),
    })
}

/// Exactly one of `http`, `tcp`, `exec`.
fn probe(raw: &RawCheck, span: std::ops::Range<usize>, r: &mut Resolver<'_>) -> Option<Probe> {
    const FORM: &str = "exactly one of http, tcp, exec";
    let count = [raw.http.is_some(), raw.tcp.is_some(), raw.exec.is_some()]
        .iter()
        .filter(|b| **b)
        .count();
    if count != 1 {
        let kind = if count == 0 {
            crate::error::ErrorKind::Missing {
                key: "health.check.http".into(),
                expected: FORM.into(),
            }
        } else {
            crate::error::ErrorKind::Type {
                key: "health.check".into(),
                message: FORM.into(),
            }
        };
        r.push(span, kind);
        return None;
    }
    if let Some(url) = &raw.http {
        return Some(http_probe(r, "health.check.http", url));
    }
    if let Some(addr) = &raw.tcp {
        let a = addr.get_ref();
        let ok = a.rsplit_once(':').is_some_and(|(host, port)| {
            !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0)
        });
        if !ok {
            r.invalid("health.check.tcp", addr, "host:port");
        }
        return Some(Probe::Tcp(a.clone()));
    }
    let argv = raw.exec.as_ref()?;
    let Some(first) = argv.get_ref().first().filter(|s| !s.trim().is_empty()) else {
        r.invalid(
            "health.check.exec",
            argv,
            "an argv array: [program, args...]",
        );
        return None;
    };
    let mut resolved = vec![r.command(first).to_string_lossy().into_owned()];
    resolved.extend(argv.get_ref()[1..].iter().cloned());
    Some(Probe::Exec(resolved))
}

fn http_probe(r: &mut Resolver<'_>, key: &str, url: &Spanned<String>) -> Probe {
    let u = url.get_ref();
    let rest = u.strip_prefix("http://").unwrap_or("");
    if rest.is_empty() || rest.starts_with('/') {
        r.invalid(key, url, "a plain http:// URL (https is not supported)");
    }
    Probe::Http(u.clone())
}

fn status(
    r: &mut Resolver<'_>,
    key: &str,
    value: Option<&Spanned<String>>,
    default: (u16, u16),
) -> (u16, u16) {
    let Some(value) = value else {
        return default;
    };
    let text = value.get_ref().trim();
    let (lo, hi) = text.split_once('-').unwrap_or((text, text));
    match (lo.trim().parse::<u16>(), hi.trim().parse::<u16>()) {
        (Ok(lo), Ok(hi)) if (100..=599).contains(&lo) && (lo..=599).contains(&hi) => (lo, hi),
        _ => {
            r.invalid(key, value, STATUS_FORM);
            default
        }
    }
}

/// A duration that must be above zero; `default` when absent or invalid.
fn positive(
    r: &mut Resolver<'_>,
    key: &str,
    value: Option<&Spanned<String>>,
    default: Duration,
) -> Duration {
    let d = r.duration(key, value, default);
    if d.is_zero() {
        if let Some(value) = value {
            r.invalid(key, value, "a duration above zero");
        }
        return default;
    }
    d
}

fn threshold(r: &mut Resolver<'_>, key: &str, value: &Option<Spanned<i64>>, default: u32) -> u32 {
    let Some(value) = value else {
        return default;
    };
    match u32::try_from(*value.get_ref()) {
        Ok(n) if n >= 1 => n,
        _ => {
            r.invalid(key, value, "an integer of at least 1");
            default
        }
    }
}
