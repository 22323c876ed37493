//! Helpers shared by the systemd end-to-end suites: the bench's manager, the service binaries,
//! requests, and an installed service that uninstalls itself when dropped.
#![allow(dead_code)] // each suite uses a different subset

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use steward::control::systemd::{Systemd, SystemdOptions};
use steward::control::{
    Account, InstallMode, InstallRequest, ServiceManager, ServiceStatus, Setting, StartType,
};
use steward_systemd_bench::{UserManager, shared};

/// Deadline of every wait.
pub const WAIT: Duration = Duration::from_secs(15);

/// Install and uninstall reload the manager (`daemon-reload`), which resets every unit's start
/// rate limit counter. Tests that reload hold this for reading; the one test that counts restarts
/// up to the start limit holds it for writing.
static RELOADS: RwLock<()> = RwLock::new(());

pub fn reloading() -> RwLockReadGuard<'static, ()> {
    RELOADS.read().unwrap_or_else(|p| p.into_inner())
}

pub fn no_reloads() -> RwLockWriteGuard<'static, ()> {
    RELOADS.write().unwrap_or_else(|p| p.into_inner())
}

/// The symlink `systemctl --user enable` creates. (The bench's manager loads units only from its
/// own unit directory, not from `$XDG_CONFIG_HOME/systemd/user`, so it reports every unit as
/// `disabled`; the link is the evidence that the unit was enabled.)
pub fn enable_link(unit: &str) -> PathBuf {
    let config = bench()
        .env()
        .iter()
        .find(|(k, _)| k == "XDG_CONFIG_HOME")
        .map(|(_, v)| PathBuf::from(v))
        .expect("the bench sets XDG_CONFIG_HOME");
    config.join("systemd/user/default.target.wants").join(unit)
}

pub fn bench() -> &'static UserManager {
    shared().unwrap_or_else(|e| panic!("cannot start the systemd user manager: {e}"))
}

/// A binary of the workspace, next to the test executable's directory (`target/debug/<name>`).
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
    let path = dir.join(name);
    assert!(
        path.is_file(),
        "{name} is missing at {}: run `cargo build -p hello-service -p fixture-service` first",
        path.display()
    );
    path
}

/// The backend, pointed at the bench's manager.
pub fn systemd(options: SystemdOptions) -> Systemd {
    let bench = bench();
    let mut systemd = Systemd::user(bench.units_dir())
        .with_options(options)
        .env_remove("DBUS_SESSION_BUS_ADDRESS");
    for (key, value) in bench.env() {
        systemd = systemd.env(key, value);
    }
    systemd
}

pub fn request(stem: &str, executable: PathBuf, arguments: &[&str]) -> InstallRequest {
    request_named(bench().unique_name(stem), executable, arguments)
}

pub fn request_named(name: String, executable: PathBuf, arguments: &[&str]) -> InstallRequest {
    InstallRequest {
        display_name: format!("steward test {name}"),
        name,
        description: None,
        executable,
        arguments: arguments.iter().map(|a| a.to_string()).collect(),
        start: Setting::default_value(StartType::Auto),
        account: Setting::default_value(Account::LocalService),
        dependencies: vec![],
        environment: vec![],
        failure_actions: None,
        sid_type: None,
        required_privileges: None,
        stop_timeout: Some(Setting::explicit(Duration::from_secs(10))),
    }
}

/// An installed service, uninstalled when dropped (so a failing test leaves nothing running).
pub struct Installed {
    /// The backend it was installed with.
    pub systemd: Systemd,
    /// The service name.
    pub name: String,
}

impl Installed {
    pub fn new(systemd: Systemd, request: &InstallRequest) -> Installed {
        let plan = systemd
            .plan_install(request, InstallMode::CreateOnly)
            .expect("plan");
        let _reloading = reloading();
        systemd.execute(&plan).expect("install");
        Installed {
            systemd,
            name: request.name.clone(),
        }
    }

    pub fn unit(&self) -> String {
        format!("{}.service", self.name)
    }

    pub fn status(&self) -> ServiceStatus {
        self.systemd.status(&self.name).expect("status")
    }

    pub fn props(&self) -> HashMap<String, String> {
        bench().show(&self.unit()).expect("systemctl show")
    }

    /// Polls the unit's properties (about every 10 ms) until `done` accepts them.
    pub fn wait_for(
        &self,
        what: &str,
        done: impl FnMut(&HashMap<String, String>) -> bool,
    ) -> HashMap<String, String> {
        bench()
            .wait_for(&self.unit(), WAIT, done)
            .unwrap_or_else(|e| panic!("{what}: {e}\n{}", bench().manager_log()))
    }
}

impl Drop for Installed {
    fn drop(&mut self) {
        let _reloading = reloading();
        let _ = self.systemd.uninstall(&self.name, Duration::from_secs(10));
    }
}

pub fn prop<'p>(props: &'p HashMap<String, String>, key: &str) -> &'p str {
    props.get(key).map_or("", String::as_str)
}

pub fn summary(props: &HashMap<String, String>) -> String {
    let keys = [
        "ActiveState",
        "SubState",
        "Result",
        "ExecMainStatus",
        "NRestarts",
    ];
    let parts: Vec<String> = keys
        .iter()
        .map(|k| format!("{k}={}", prop(props, k)))
        .collect();
    parts.join(" ")
}

pub fn restarts(props: &HashMap<String, String>) -> u32 {
    prop(props, "NRestarts").parse().unwrap_or(0)
}
