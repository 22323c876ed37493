//! The admin endpoint inside `steward run` ([`Bridge`]: the supervisor's [`StatusSource`] and
//! [`ControlSink`]), and its client side for `steward status` ([`fetch`]).
//!
//! Control actions, kept simple: `restart` kills the program's tree and the restart policy
//! starts it again; `stop` stops the program gracefully (the supervisor's run ends with
//! `stopped`, the service and the endpoint stay up); `start` starts the supervisor again after
//! such a stop (409 otherwise).

use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use steward_admin::{
    AdminConfig, ControlAction, ControlError, ControlSink, ElectionRole, LastExit, LogCounters,
    RegistryReport, ServiceState, ServiceStatus, StatusSource,
};
use steward_supervise::observe::{Observer, Request};
use steward_supervise::{ExitStatus, StateName};

/// How often a supervisor stopped over the endpoint looks at the service's stop request.
const STOPPED_POLL: Duration = Duration::from_millis(250);

/// Where the registry's state comes from: called on every `/status` and `/metrics` request.
pub type RegistrySource = Arc<dyn Fn() -> RegistryReport + Send + Sync>;

/// Connects the admin endpoint to the supervisor.
pub struct Bridge {
    name: String,
    observer: Observer,
    /// What the endpoint asked for.
    mode: Mutex<Mode>,
    changed: Condvar,
    /// The registry's report, with a `[registry]` table (see [`Bridge::set_registry`]).
    registry: Mutex<Option<RegistrySource>>,
}

/// The endpoint's requests to the supervisor loop of `steward run`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Supervise as usual.
    Supervise,
    /// `stop` was accepted: the supervisor's run ends (or ended) and waits for `start`.
    Stopped,
    /// `start` was accepted after a stop; the loop has not resumed yet.
    StartRequested,
}

impl Bridge {
    /// A bridge for service `name` reading `observer`.
    pub fn new(name: &str, observer: Observer) -> Arc<Self> {
        Arc::new(Bridge {
            name: name.to_owned(),
            observer,
            mode: Mutex::new(Mode::Supervise),
            changed: Condvar::new(),
            registry: Mutex::new(None),
        })
    }

    /// Makes `/status` and `/metrics` report the registry (with a `[registry]` table): `source`
    /// is called on every request, outside any lock of the bridge, and must be cheap (e.g.
    /// [`crate::registry_report::report`] of `Registration::status()`). Without a source the
    /// `registry` of `/status` is `null`.
    pub fn set_registry(&self, source: Arc<dyn Fn() -> RegistryReport + Send + Sync>) {
        *self.registry.lock().unwrap_or_else(|e| e.into_inner()) = Some(source);
    }

    fn registry_report(&self) -> Option<RegistryReport> {
        let source = self
            .registry
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        source.map(|source| source())
    }

    /// Whether the program was stopped over the endpoint (and not resumed by the loop yet).
    pub fn stopped_by_admin(&self) -> bool {
        *self.lock() != Mode::Supervise
    }

    /// After a stop over the endpoint: waits until `start` (true) or a stop of the service
    /// (false), polling `ctx` without blocking it.
    pub fn wait_for_start(&self, ctx: &steward::Context) -> bool {
        let mut mode = self.lock();
        loop {
            if ctx.shutdown_requested() {
                return false;
            }
            if *mode == Mode::StartRequested {
                *mode = Mode::Supervise;
                return true;
            }
            mode = self
                .changed
                .wait_timeout(mode, STOPPED_POLL)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Mode> {
        self.mode.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl StatusSource for Bridge {
    fn status(&self) -> ServiceStatus {
        let snap = self.observer.snapshot();
        let registry = self.registry_report();
        let standby = registry
            .as_ref()
            .is_some_and(|r| r.role == Some(ElectionRole::Standby));
        let state = match snap.state {
            None if self.stopped_by_admin() => ServiceState::Stopped,
            None if standby => ServiceState::Standby,
            None => ServiceState::Starting,
            Some(StateName::Starting) => ServiceState::Starting,
            Some(StateName::Running) if snap.ready => ServiceState::Running,
            Some(StateName::Running) => ServiceState::Starting,
            Some(StateName::Backoff) => ServiceState::Backoff,
            Some(StateName::Stopping) => ServiceState::Stopping,
            Some(StateName::Stopped) => ServiceState::Stopped,
            Some(StateName::Failed) => ServiceState::Failed,
        };
        ServiceStatus {
            name: self.name.clone(),
            state,
            pid: snap.pid,
            uptime: snap.since.map(|since| since.elapsed()),
            restarts: snap.restarts,
            last_exit: snap.last_exit.map(|exit| match exit {
                ExitStatus::Code(code) => LastExit {
                    code: i32::try_from(code).ok(),
                    signal: None,
                },
                ExitStatus::Signal(signal) => LastExit {
                    code: None,
                    signal: Some(signal),
                },
            }),
            health: snap.health,
            log: snap
                .capture
                .map_or_else(LogCounters::default, |c| LogCounters {
                    bytes_written: c.bytes_written,
                    bytes_dropped: c.bytes_dropped,
                }),
            registry,
        }
    }
}

impl ControlSink for Bridge {
    fn control(&self, action: ControlAction) -> Result<(), ControlError> {
        let not_running = || ControlError::Conflict("the program is not running".into());
        match action {
            ControlAction::Restart => self
                .observer
                .request(Request::Restart)
                .then_some(())
                .ok_or_else(not_running),
            ControlAction::Stop => {
                let mut mode = self.lock();
                if *mode != Mode::Supervise || !self.observer.request(Request::Stop) {
                    return Err(not_running());
                }
                *mode = Mode::Stopped;
                Ok(())
            }
            ControlAction::Start => {
                let mut mode = self.lock();
                if *mode != Mode::Stopped {
                    return Err(ControlError::Conflict(
                        "the program was not stopped over the admin endpoint".into(),
                    ));
                }
                *mode = Mode::StartRequested;
                self.changed.notify_all();
                Ok(())
            }
        }
    }
}

/// `[admin]` as the endpoint takes it; `None` when the endpoint is off.
pub fn admin_config(admin: &steward_config::Admin) -> Option<AdminConfig> {
    Some(AdminConfig {
        listen: admin.listen?,
        tokens_file: admin.tokens_file.clone(),
    })
}

/// Where `steward status` finds a running service's endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The endpoint's address.
    pub addr: std::net::SocketAddr,
    /// The tokens file, if reads need a token.
    pub tokens_file: Option<PathBuf>,
}

/// `GET /status` of `target`, with a token from its tokens file; a warning on stderr and `None`
/// when it does not answer (the caller falls back to the state file).
pub fn fetch(target: &Target) -> Option<serde_json::Value> {
    let token = match &target.tokens_file {
        Some(path) => match steward_admin::client_token(path) {
            Ok(token) => Some(token),
            Err(error) => {
                eprintln!("warning: admin endpoint: {error}");
                return None;
            }
        },
        None => None,
    };
    match steward_admin::fetch_status(target.addr, token.as_deref()) {
        Ok(value) => Some(value),
        Err(error) => {
            eprintln!(
                "warning: admin endpoint http://{}: {error}; showing the state file",
                target.addr
            );
            None
        }
    }
}

/// The endpoint of service `name`, from `config` or else the config the installed service runs
/// with; `None` when there is no such config or it has no `[admin]` endpoint.
pub fn target_of<M: steward::control::ServiceManager>(
    manager: &M,
    name: &str,
    config: Option<&std::path::Path>,
) -> Option<Target> {
    let explicit = config.is_some();
    let path = match config {
        Some(path) => path.to_owned(),
        None => crate::logs::registered_config(manager, name).ok()?,
    };
    let config = crate::check::load(&path).ok()?;
    if config.service.name != name {
        return None;
    }
    if !explicit {
        // Installed: ask the endpoint only while the service runs.
        let state = manager.status(name).ok()?.state;
        if matches!(
            state,
            None | Some(
                steward::control::ServiceState::Stopped | steward::control::ServiceState::Failed
            )
        ) {
            return None;
        }
    }
    let admin = admin_config(config.admin.as_ref()?)?;
    Some(Target {
        addr: admin.listen,
        tokens_file: admin.tokens_file,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_running_supervisor_actions_conflict_and_the_state_is_starting() {
        let bridge = Bridge::new("web", Observer::new());
        assert_eq!(bridge.status().state, ServiceState::Starting);
        assert_eq!(bridge.status().name, "web");
        for action in [
            ControlAction::Restart,
            ControlAction::Stop,
            ControlAction::Start,
        ] {
            assert!(
                matches!(bridge.control(action), Err(ControlError::Conflict(_))),
                "{action:?}"
            );
        }
        assert!(!bridge.stopped_by_admin());
    }

    #[test]
    fn a_cold_standby_without_a_program_is_standby_live_and_not_ready() {
        let bridge = Bridge::new("web", Observer::new());
        let mut report = RegistryReport::new(steward_admin::RegistryState::Waiting);
        report.role = Some(ElectionRole::Standby);
        bridge.set_registry(Arc::new(move || report.clone()));
        let status = bridge.status();
        assert_eq!(status.state, ServiceState::Standby);
        assert!(
            status.live(),
            "a standby must not look dead to a liveness probe"
        );
        assert!(!status.ready(), "a standby must not receive traffic");
    }

    #[test]
    fn the_admin_table_maps_to_the_endpoint_config() {
        let admin = steward_config::Admin {
            listen: Some("127.0.0.1:9000".parse().unwrap()),
            tokens_file: Some("/srv/web/admin.tokens".into()),
        };
        let config = admin_config(&admin).unwrap();
        assert_eq!(config.listen, "127.0.0.1:9000".parse().unwrap());
        assert_eq!(config.tokens_file, admin.tokens_file);
        let off = steward_config::Admin {
            listen: None,
            tokens_file: None,
        };
        assert_eq!(admin_config(&off), None);
    }
}
