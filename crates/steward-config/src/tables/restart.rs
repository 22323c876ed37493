//! `[restart]`: when the program is restarted, how fast, and when steward gives up.

use std::time::Duration;

use serde::Deserialize;
use serde_spanned::Spanned;

use crate::resolver::Resolver;

/// The raw `[restart]` table, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRestart {
    policy: Option<Spanned<String>>,
    delay: Option<Spanned<String>>,
    multiplier: Option<Spanned<f64>>,
    max_delay: Option<Spanned<String>>,
    jitter: Option<Spanned<f64>>,
    start_limit: Option<Spanned<RawStartLimit>>,
    reset_after: Option<Spanned<String>>,
    success_codes: Option<Vec<Spanned<i64>>>,
}

/// The raw `start_limit = { burst = 5, interval = "60s" }` inline table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStartLimit {
    burst: Option<Spanned<i64>>,
    interval: Option<Spanned<String>>,
}

/// When the program is restarted after it exits on its own (a stop that steward asked for never
/// restarts it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// After every exit.
    Always,
    /// After an exit with a code not in `success_codes`, or by a signal. The default.
    OnFailure,
    /// Never: the service ends when the program does.
    Never,
}

/// At most `burst` starts within `interval`; one more and the service fails with the program's
/// exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartLimit {
    /// Starts allowed within `interval` (at least 1).
    pub burst: u32,
    /// The window the starts are counted in.
    pub interval: Duration,
}

/// The resolved `[restart]` table.
#[derive(Debug, Clone, PartialEq)]
pub struct Restart {
    /// When to restart.
    pub policy: Policy,
    /// The first delay before a restart.
    pub delay: Duration,
    /// Each further consecutive restart waits this many times longer (at least 1.0).
    pub multiplier: f64,
    /// The delay never grows beyond this.
    pub max_delay: Duration,
    /// Each delay is shortened at random by up to this fraction of itself (0.0 to 1.0), so a
    /// fleet does not restart in lockstep and no delay exceeds `max_delay`.
    pub jitter: f64,
    /// When to give up.
    pub start_limit: StartLimit,
    /// After running this long without exiting, the program counts as stable: the delay goes back
    /// to `delay`.
    pub reset_after: Duration,
    /// Exit codes that count as success (`[0]` by default).
    pub success_codes: Vec<u32>,
}

impl Default for Restart {
    fn default() -> Self {
        Restart {
            policy: Policy::OnFailure,
            delay: Duration::from_millis(100),
            multiplier: 2.0,
            max_delay: Duration::from_secs(30),
            jitter: 0.1,
            start_limit: StartLimit {
                burst: 5,
                interval: Duration::from_secs(60),
            },
            reset_after: Duration::from_secs(60),
            success_codes: vec![0],
        }
    }
}

const POLICY_FORM: &str = "one of \"always\", \"on-failure\", \"never\"";

/// Resolves `[restart]`.
pub(crate) fn resolve(raw: RawRestart, r: &mut Resolver<'_>) -> Restart {
    let d = Restart::default();
    let policy = match &raw.policy {
        None => d.policy,
        Some(value) => match value.get_ref().as_str() {
            "always" => Policy::Always,
            "on-failure" => Policy::OnFailure,
            "never" => Policy::Never,
            _ => {
                r.invalid("restart.policy", value, POLICY_FORM);
                d.policy
            }
        },
    };
    let delay = r.duration("restart.delay", raw.delay.as_ref(), d.delay);
    let max_delay = r.duration("restart.max_delay", raw.max_delay.as_ref(), d.max_delay);
    if let Some(value) = &raw.max_delay
        && max_delay < delay
    {
        r.invalid(
            "restart.max_delay",
            value,
            format!("at least restart.delay ({})", crate::format_duration(delay)),
        );
    }
    let multiplier = number(
        r,
        "restart.multiplier",
        raw.multiplier.as_ref(),
        d.multiplier,
        1.0..=1000.0,
        "a number of at least 1.0",
    );
    let jitter = number(
        r,
        "restart.jitter",
        raw.jitter.as_ref(),
        d.jitter,
        0.0..=1.0,
        "a fraction from 0.0 to 1.0",
    );
    let start_limit = raw
        .start_limit
        .map(|limit| resolve_start_limit(limit.into_inner(), d.start_limit, r))
        .unwrap_or(d.start_limit);
    let reset_after = r.duration(
        "restart.reset_after",
        raw.reset_after.as_ref(),
        d.reset_after,
    );
    let success_codes = match raw.success_codes {
        None => d.success_codes,
        Some(codes) => codes
            .iter()
            .filter_map(|code| match u32::try_from(*code.get_ref()) {
                Ok(code) => Some(code),
                Err(_) => {
                    r.invalid(
                        "restart.success_codes",
                        code,
                        "an exit code from 0 to 4294967295",
                    );
                    None
                }
            })
            .collect(),
    };
    Restart {
        policy,
        delay,
        multiplier,
        max_delay,
        jitter,
        start_limit,
        reset_after,
        success_codes,
    }
}

fn number(
    r: &mut Resolver<'_>,
    key: &str,
    value: Option<&Spanned<f64>>,
    default: f64,
    range: std::ops::RangeInclusive<f64>,
    expected: &str,
) -> f64 {
    match value {
        None => default,
        Some(value) if range.contains(value.get_ref()) => *value.get_ref(),
        Some(value) => {
            r.invalid(key, value, expected);
            default
        }
    }
}

fn resolve_start_limit(raw: RawStartLimit, d: StartLimit, r: &mut Resolver<'_>) -> StartLimit {
    let burst = match &raw.burst {
        None => d.burst,
        Some(value) => match u32::try_from(*value.get_ref()) {
            Ok(burst) if burst > 0 => burst,
            _ => {
                r.invalid(
                    "restart.start_limit.burst",
                    value,
                    "a number of starts of at least 1",
                );
                d.burst
            }
        },
    };
    let interval = r.duration(
        "restart.start_limit.interval",
        raw.interval.as_ref(),
        d.interval,
    );
    if let Some(value) = &raw.interval
        && interval.is_zero()
    {
        r.invalid(
            "restart.start_limit.interval",
            value,
            "a duration longer than 0s",
        );
    }
    StartLimit { burst, interval }
}
