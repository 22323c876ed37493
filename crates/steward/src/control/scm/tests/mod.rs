//! The Windows plan and executor driven through a recording [`ScmApi`]: every call and its
//! arguments are asserted, including the levels Wine cannot execute.

mod install;
mod lifecycle;

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io;
use std::path::PathBuf;
use std::time::Duration;

use super::api::*;
use super::*;
use crate::control::{
    Account, ControlError, FailureAction, FailureActions, InstallMode, InstallRequest, Origin,
    ServiceManager, ServiceSidType, ServiceState, Setting, StartType,
};

/// One recorded call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Call {
    Create(ServiceConfig, Option<String>),
    Change(ServiceConfig, Option<String>),
    Config2(String, Config2),
    Environment(String, Vec<String>),
    Delete(String),
    RegisterSource(String, PathBuf),
    RemoveSource(String),
    Start(String),
    Stop(String),
    QueryStatus(String),
    QueryConfig(String),
}

/// Which call fails, and how.
type FailRule = Box<dyn Fn(&Call) -> Option<i32>>;

/// Records every call; fails those `fail` picks; answers status queries from a script.
#[derive(Default)]
pub(super) struct Recorder {
    calls: RefCell<Vec<Call>>,
    fail: Option<FailRule>,
    pub(super) states: RefCell<VecDeque<RawStatus>>,
    pub(super) config: RawConfig,
}

impl Recorder {
    pub(super) fn failing(rule: impl Fn(&Call) -> Option<i32> + 'static) -> Self {
        Recorder {
            fail: Some(Box::new(rule)),
            ..Recorder::default()
        }
    }

    /// Status answers, in order; the last one repeats.
    pub(super) fn with_states(self, states: &[u32]) -> Self {
        let raw = states.iter().map(|&state| RawStatus {
            state,
            pid: if state == 1 { 0 } else { 4242 },
            ..RawStatus::default()
        });
        self.states.borrow_mut().extend(raw);
        self
    }

    fn record(&self, call: Call) -> io::Result<()> {
        let code = self.fail.as_ref().and_then(|f| f(&call));
        self.calls.borrow_mut().push(call);
        match code {
            Some(code) => Err(io::Error::from_raw_os_error(code)),
            None => Ok(()),
        }
    }

    pub(super) fn calls(&self) -> Vec<Call> {
        self.calls.borrow().clone()
    }
}

impl ScmApi for Recorder {
    fn create_service(&self, c: &ServiceConfig, p: Option<&str>) -> io::Result<()> {
        self.record(Call::Create(c.clone(), p.map(str::to_owned)))
    }
    fn change_service_config(&self, c: &ServiceConfig, p: Option<&str>) -> io::Result<()> {
        self.record(Call::Change(c.clone(), p.map(str::to_owned)))
    }
    fn change_service_config2(&self, s: &str, info: &Config2) -> io::Result<()> {
        self.record(Call::Config2(s.into(), info.clone()))
    }
    fn set_environment(&self, s: &str, entries: &[String]) -> io::Result<()> {
        self.record(Call::Environment(s.into(), entries.to_vec()))
    }
    fn delete_service(&self, s: &str) -> io::Result<()> {
        self.record(Call::Delete(s.into()))
    }
    fn register_event_source(&self, s: &str, file: &std::path::Path) -> io::Result<()> {
        self.record(Call::RegisterSource(s.into(), file.to_owned()))
    }
    fn remove_event_source(&self, s: &str) -> io::Result<()> {
        self.record(Call::RemoveSource(s.into()))
    }
    fn start_service(&self, s: &str) -> io::Result<()> {
        self.record(Call::Start(s.into()))
    }
    fn stop_service(&self, s: &str) -> io::Result<()> {
        self.record(Call::Stop(s.into()))
    }
    fn query_status(&self, s: &str) -> io::Result<RawStatus> {
        self.record(Call::QueryStatus(s.into()))?;
        let mut states = self.states.borrow_mut();
        let raw = if states.len() > 1 {
            states.pop_front()
        } else {
            states.front().copied()
        };
        Ok(raw.unwrap_or(RawStatus {
            state: 1,
            ..RawStatus::default()
        }))
    }
    fn query_config(&self, s: &str) -> io::Result<RawConfig> {
        self.record(Call::QueryConfig(s.into()))?;
        Ok(self.config.clone())
    }
}

/// A fixed password source that records the account it was asked about.
struct FixedPassword;

impl PasswordSource for FixedPassword {
    fn password(&self, account: &str) -> io::Result<String> {
        Ok(format!("secret-of-{account}"))
    }
}

/// A request with steward's defaults: SID type and failure actions as hardening defaults.
pub(super) fn request() -> InstallRequest {
    InstallRequest {
        name: "hello".into(),
        display_name: "Hello Service".into(),
        description: Some("says hello".into()),
        executable: PathBuf::from(r"C:\Program Files\Hello\hello.exe"),
        arguments: vec![],
        start: Setting::default_value(StartType::Auto),
        account: Setting::default_value(Account::LocalService),
        dependencies: vec![],
        environment: vec![],
        failure_actions: Some(Setting::default_value(FailureActions {
            actions: vec![
                FailureAction::Restart(Duration::from_secs(1)),
                FailureAction::Restart(Duration::from_secs(5)),
                FailureAction::None,
            ],
            reset_period: Duration::from_secs(86_400),
            on_non_crash_failures: true,
        })),
        sid_type: Some(Setting::default_value(ServiceSidType::Unrestricted)),
        required_privileges: None,
        stop_timeout: None,
    }
}

/// A request that asks for everything explicitly.
pub(super) fn full_request() -> InstallRequest {
    let mut r = request();
    r.arguments = vec!["run".into(), "--config".into(), r"C:\My Conf\s.toml".into()];
    r.start = Setting::explicit(StartType::Delayed);
    r.account = Setting::explicit(Account::User(r"CORP\svc-hello".into()));
    r.dependencies = vec!["Tcpip".into(), "Dnscache".into()];
    r.environment = vec![
        ("RUST_LOG".into(), "info".into()),
        ("A".into(), "b c".into()),
    ];
    r.sid_type = Some(Setting::explicit(ServiceSidType::Restricted));
    r.required_privileges = Some(Setting::explicit(vec!["SeChangeNotifyPrivilege".into()]));
    r.stop_timeout = Some(Setting::explicit(Duration::from_secs(30)));
    r
}

pub(super) fn scm(api: Recorder) -> Scm<Recorder> {
    Scm::new(api)
        .with_passwords(FixedPassword)
        .with_poll_interval(Duration::ZERO)
}

pub(super) fn install(scm: &Scm<Recorder>, request: &InstallRequest) -> Result<(), ControlError> {
    let plan = scm.plan_install(request, InstallMode::CreateOnly)?;
    scm.execute(&plan)
}

pub(super) fn config2(info: Config2) -> Call {
    Call::Config2("hello".into(), info)
}
