//! A [`ServiceManager`] that records what it is asked and answers from a small script: a test
//! double for code that drives service managers (the library's own verbs, the `steward` CLI).
//! Compiled for this crate's tests and with the `testing` feature.

use std::cell::RefCell;
use std::path::PathBuf;
use std::time::Duration;

use super::{
    ControlError, InstallMode, InstallRequest, Origin, Plan, ServiceManager, ServiceState,
    ServiceStatus, StartType,
};

/// Records every call; `plan_install` plans one step, `create service (<mode>)`.
#[derive(Default)]
pub struct RecordingManager {
    /// Every install request planned, with its mode.
    pub requests: RefCell<Vec<(InstallRequest, InstallMode)>>,
    /// How many plans were executed.
    pub executed: RefCell<usize>,
    /// `start NAME WAIT`, `stop NAME WAIT`, `uninstall NAME TIMEOUT`, in order.
    pub calls: RefCell<Vec<String>>,
    /// When set, `stop` fails with the error this makes from the service name.
    pub stop_error: Option<fn(String) -> ControlError>,
}

impl ServiceManager for RecordingManager {
    type Action = String;

    fn plan_install(
        &self,
        request: &InstallRequest,
        mode: InstallMode,
    ) -> Result<Plan<String>, ControlError> {
        self.requests.borrow_mut().push((request.clone(), mode));
        let mut plan = Plan::new(request.name.clone());
        plan.push(
            Origin::Explicit,
            format!("create service ({mode:?})"),
            "create".to_owned(),
        );
        Ok(plan)
    }

    fn execute(&self, _plan: &Plan<String>) -> Result<(), ControlError> {
        *self.executed.borrow_mut() += 1;
        Ok(())
    }

    fn uninstall(&self, name: &str, timeout: Duration) -> Result<(), ControlError> {
        self.record(format!("uninstall {name} {timeout:?}"));
        Ok(())
    }

    fn start(&self, name: &str, wait: Option<Duration>) -> Result<ServiceStatus, ControlError> {
        self.record(format!("start {name} {wait:?}"));
        Ok(running(name))
    }

    fn stop(&self, name: &str, wait: Option<Duration>) -> Result<ServiceStatus, ControlError> {
        self.record(format!("stop {name} {wait:?}"));
        match self.stop_error {
            Some(make) => Err(make(name.to_owned())),
            None => Ok(ServiceStatus {
                state: Some(ServiceState::Stopped),
                pid: None,
                ..running(name)
            }),
        }
    }

    fn status(&self, name: &str) -> Result<ServiceStatus, ControlError> {
        Ok(running(name))
    }
}

impl RecordingManager {
    fn record(&self, call: String) {
        self.calls.borrow_mut().push(call);
    }
}

/// The status the manager reports: `name` installed and running as pid 42, automatic start,
/// LocalService, from `C:\a b\svc.exe`, exit codes 0.
pub fn running(name: &str) -> ServiceStatus {
    ServiceStatus {
        name: name.to_owned(),
        installed: true,
        state: Some(ServiceState::Running),
        pid: Some(42),
        start_type: Some(StartType::Auto),
        account: Some(r"NT AUTHORITY\LocalService".into()),
        binary_path: Some(PathBuf::from(r"C:\a b\svc.exe")),
        command_line: Some(r#""C:\a b\svc.exe""#.into()),
        win32_exit_code: Some(0),
        service_exit_code: Some(0),
    }
}
