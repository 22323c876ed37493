//! Settings only systemd has: restart policy, restart delay, start rate limit, watchdog,
//! hardening, and the scope (system or user manager).

use std::time::Duration;

/// When systemd restarts the service (`Restart=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RestartPolicy {
    /// `Restart=always`: after every exit, clean or not.
    Always,
    /// `Restart=on-failure`: after a non-zero exit, a signal, a timeout or the watchdog.
    OnFailure,
    /// `Restart=no`.
    Never,
}

impl RestartPolicy {
    /// The value of `Restart=`.
    pub fn as_systemd(self) -> &'static str {
        match self {
            RestartPolicy::Always => "always",
            RestartPolicy::OnFailure => "on-failure",
            RestartPolicy::Never => "no",
        }
    }
}

/// Whether the generated unit carries steward's hardening defaults.
///
/// [`Hardening::Standard`] is chosen not to break an ordinary program:
///
/// * `NoNewPrivileges=yes` (every scope): the service and its children cannot gain privileges
///   through setuid/setgid binaries or file capabilities. Breaks only programs that run `sudo`,
///   `ping` with file capabilities and the like.
/// * system scope only (a user manager usually cannot set up the mount namespaces these need):
///   `PrivateTmp=yes` (a private `/tmp` and `/var/tmp`, removed at stop; breaks only programs
///   that share files or sockets in `/tmp` with other processes), `ProtectSystem=full` (`/usr`,
///   `/boot`, `/efi` and `/etc` read-only; data belongs in `/var`; `strict` for the dynamic users
///   of the default accounts, which imply it), `ProtectKernelTunables=yes`,
///   `ProtectKernelModules=yes`, `ProtectControlGroups=yes`, `RestrictSUIDSGID=yes`.
///
/// `ProtectHome=` is deliberately not set: programs (and named accounts' data) often live under
/// `/home`. The default accounts run with `DynamicUser=yes`, which already implies
/// `ProtectHome=read-only` and `ProtectSystem=strict`.
///
/// Any of them can be overridden with a drop-in (`systemctl edit <unit>`), which survives a
/// reinstall.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Hardening {
    /// The defaults above.
    Standard,
    /// No hardening directives at all.
    None,
}

/// Which systemd manager a service belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// The system manager (`systemctl`, units in `/etc/systemd/system`, `WantedBy=multi-user.target`).
    /// Changing it needs root.
    System,
    /// A user manager (`systemctl --user`, `WantedBy=default.target`).
    User,
}

/// systemd-only knobs of an install. The defaults match steward's restart defaults
/// (`on-failure`, first delay 100 ms, at most 5 starts in 60 s).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use steward::control::systemd::{RestartPolicy, SystemdOptions};
///
/// let options = SystemdOptions {
///     restart: RestartPolicy::Always,
///     watchdog: Some(Duration::from_secs(10)),
///     ..SystemdOptions::default()
/// };
/// assert_eq!(options.restart_delay, Duration::from_millis(100));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SystemdOptions {
    /// `Restart=`.
    pub restart: RestartPolicy,
    /// `RestartSec=`.
    pub restart_delay: Duration,
    /// `StartLimitBurst=`: starts allowed within [`SystemdOptions::start_limit_interval`]; then the
    /// unit fails and stays failed.
    pub start_limit_burst: u32,
    /// `StartLimitIntervalSec=`; zero switches the rate limit off.
    pub start_limit_interval: Duration,
    /// `WatchdogSec=`: the service must send `WATCHDOG=1` this often (the steward runtime does, at
    /// half the period, while its heartbeat is fresh). `None`: no watchdog.
    pub watchdog: Option<Duration>,
    /// Hardening directives.
    pub hardening: Hardening,
}

impl Default for SystemdOptions {
    fn default() -> Self {
        SystemdOptions {
            restart: RestartPolicy::OnFailure,
            restart_delay: Duration::from_millis(100),
            start_limit_burst: 5,
            start_limit_interval: Duration::from_secs(60),
            watchdog: None,
            hardening: Hardening::Standard,
        }
    }
}

/// Formats a duration the way systemd time spans are written: `0`, `10s`, `1500ms`, `250us`.
pub(crate) fn timespan(d: Duration) -> String {
    if d.is_zero() {
        "0".into()
    } else if d.subsec_nanos() == 0 {
        format!("{}s", d.as_secs())
    } else if d.subsec_nanos().is_multiple_of(1_000_000) {
        format!("{}ms", d.as_millis())
    } else {
        // systemd's resolution is a microsecond; round up so a tiny value never becomes 0.
        format!("{}us", d.as_micros().max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timespans_use_the_largest_exact_unit() {
        assert_eq!(timespan(Duration::ZERO), "0");
        assert_eq!(timespan(Duration::from_secs(90)), "90s");
        assert_eq!(timespan(Duration::from_millis(1500)), "1500ms");
        assert_eq!(timespan(Duration::from_micros(250)), "250us");
        assert_eq!(timespan(Duration::from_nanos(10)), "1us");
    }
}
