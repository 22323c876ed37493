//! Unix backend: SIGTERM/SIGINT stop, SIGHUP reloads, and sd_notify keeps systemd informed.

mod notify;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use self::notify::{NotifySocket, watchdog_period_from_env};
use crate::driver::{Driver, Notice, Reporter, ServiceFn, Watchdog};
use crate::exit::Exit;
use crate::runtime::Mode;
use crate::shared::{Control, Phase, Shared};
use crate::spec::ServiceSpec;

/// Runs the service with signal handling and, under systemd, sd_notify.
pub(crate) fn run(spec: ServiceSpec, _mode: Mode, service: ServiceFn) -> Exit {
    let shared = Arc::new(Shared::new(spec.accepts_pause()));
    let notify = match NotifySocket::from_env() {
        Ok(notify) => notify,
        Err(error) => {
            return Exit::RuntimeError {
                message: format!("cannot use NOTIFY_SOCKET: {error}"),
            };
        }
    };
    let watchdog = notify
        .as_ref()
        .and(watchdog_period_from_env())
        .map(|period| Watchdog { period });

    let mut signals = match Signals::new([SIGTERM, SIGINT, SIGHUP]) {
        Ok(signals) => signals,
        Err(error) => {
            return Exit::RuntimeError {
                message: format!("cannot install signal handlers: {error}"),
            };
        }
    };
    let signal_handle = signals.handle();
    let signal_shared = Arc::clone(&shared);
    let signal_thread = thread::Builder::new()
        .name("steward-signals".into())
        .spawn(move || {
            for signal in signals.forever() {
                let control = if signal == SIGHUP {
                    Control::Reload
                } else {
                    Control::Stop
                };
                tracing::debug!(signal, ?control, "signal received");
                signal_shared.deliver(control);
            }
        });

    let reporter = SystemdReporter {
        notify,
        started: AtomicBool::new(false),
    };
    let exit = Driver {
        spec: &spec,
        shared,
        reporter: &reporter,
        watchdog,
    }
    .run(service);

    signal_handle.close();
    if let Ok(thread) = signal_thread {
        let _ = thread.join();
    }
    log_exit(&spec, &exit);
    if exit == Exit::GraceExpired {
        // The service's thread is still running and cannot be stopped: end the process now.
        std::process::exit(i32::from(exit.process_exit_code()));
    }
    exit
}

fn log_exit(spec: &ServiceSpec, exit: &Exit) {
    if exit.is_clean() {
        tracing::info!(
            event_id = steward_log::EventId::SERVICE_STOPPED.get(),
            service = spec.name(),
            "service stopped"
        );
    } else {
        tracing::error!(
            event_id = steward_log::EventId::SERVICE_FAILED.get(),
            service = spec.name(),
            code = exit.code(),
            "service {exit}"
        );
    }
}

/// Forwards notices to systemd when `NOTIFY_SOCKET` is set; otherwise only logs them.
struct SystemdReporter {
    notify: Option<NotifySocket>,
    /// Whether RUNNING was reported once ("service started" is logged the first time only).
    started: AtomicBool,
}

impl Reporter for SystemdReporter {
    fn notify(&self, notice: Notice) {
        tracing::trace!(?notice, "service state");
        if matches!(
            notice,
            Notice::State {
                phase: Phase::Running,
                ..
            }
        ) && !self.started.swap(true, Ordering::Relaxed)
        {
            tracing::info!(
                event_id = steward_log::EventId::SERVICE_STARTED.get(),
                "service started"
            );
        }
        let Some(socket) = &self.notify else { return };
        if let Some(message) = sd_notify_message(&notice)
            && let Err(error) = socket.send(&message)
        {
            tracing::warn!(%error, message, "sd_notify failed");
        }
    }
}

/// The sd_notify message for a notice, if systemd needs to hear about it.
fn sd_notify_message(notice: &Notice) -> Option<String> {
    match notice {
        Notice::State {
            phase: Phase::Starting,
            wait_hint,
            ..
        } => Some(format!("EXTEND_TIMEOUT_USEC={}", wait_hint.as_micros())),
        Notice::State {
            phase: Phase::Running,
            ..
        } => Some("READY=1\nSTATUS=running".to_owned()),
        Notice::State {
            phase: Phase::Paused,
            ..
        } => Some("STATUS=paused".to_owned()),
        Notice::State {
            phase: Phase::Stopping,
            checkpoint: 1,
            wait_hint,
        } => Some(format!(
            "STOPPING=1\nEXTEND_TIMEOUT_USEC={}",
            wait_hint.as_micros()
        )),
        Notice::State {
            phase: Phase::Stopping,
            wait_hint,
            ..
        } => Some(format!("EXTEND_TIMEOUT_USEC={}", wait_hint.as_micros())),
        Notice::State { .. } => None,
        Notice::StatusText(text) => Some(format!("STATUS={text}")),
        Notice::Watchdog => Some("WATCHDOG=1".to_owned()),
        Notice::Stopped(exit) if !exit.is_clean() => Some(format!("STATUS={exit}")),
        Notice::Stopped(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn state(phase: Phase, checkpoint: u32) -> Notice {
        Notice::State {
            phase,
            checkpoint,
            wait_hint: Duration::from_secs(5),
        }
    }

    #[test]
    fn lifecycle_maps_to_sd_notify() {
        assert_eq!(
            sd_notify_message(&state(Phase::Starting, 2)).unwrap(),
            "EXTEND_TIMEOUT_USEC=5000000"
        );
        assert!(
            sd_notify_message(&state(Phase::Running, 1))
                .unwrap()
                .starts_with("READY=1")
        );
        assert!(
            sd_notify_message(&state(Phase::Stopping, 1))
                .unwrap()
                .starts_with("STOPPING=1")
        );
        assert_eq!(
            sd_notify_message(&state(Phase::Stopping, 3)).unwrap(),
            "EXTEND_TIMEOUT_USEC=5000000"
        );
        assert_eq!(sd_notify_message(&Notice::Watchdog).unwrap(), "WATCHDOG=1");
        assert_eq!(sd_notify_message(&Notice::Stopped(Exit::Clean)), None);
    }
}
