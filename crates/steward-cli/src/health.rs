//! `[health]` as the supervisor takes it: checks, the notify socket and the start timeout.

use std::path::Path;

use steward_config::{Health, Probe, Role};
use steward_supervise::HealthSetup;
use steward_supervise::steward_health::{CheckRole, CheckSpec, MonitorConfig, NotifyConfig};

/// The supervisor's health setup for service `name`; the notify socket (Unix) goes in
/// `runtime_dir` as `notify.sock`, the pipe (Windows) is `\\.\pipe\steward-<name>-notify`.
pub fn health_setup(health: &Health, name: &str, runtime_dir: &Path) -> HealthSetup {
    let checks = health.checks.iter().map(check_spec).collect();
    let notify = health.notify.then(|| NotifyConfig {
        path: crate::sys::notify_path(name, runtime_dir),
        watchdog: health.watchdog,
        require_ready: health.notify_ready,
    });
    HealthSetup {
        monitor: MonitorConfig { checks, notify },
        start_timeout: health.start_timeout,
    }
}

fn check_spec(check: &steward_config::HealthCheck) -> CheckSpec {
    let spec = match &check.probe {
        Probe::Http(url) => CheckSpec::http(&check.name, url)
            .expect_status(check.expect_status.0..=check.expect_status.1),
        Probe::Tcp(addr) => CheckSpec::tcp(&check.name, addr),
        Probe::Exec(argv) => CheckSpec::exec(&check.name, argv),
    };
    spec.role(match check.role {
        Role::Readiness => CheckRole::Readiness,
        Role::Liveness => CheckRole::Liveness,
        Role::Both => CheckRole::Both,
    })
    .interval(check.interval)
    .timeout(check.timeout)
    .failure_threshold(check.failure_threshold)
    .success_threshold(check.success_threshold)
    .start_period(check.start_period)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use steward_supervise::steward_health::CheckKind;

    #[test]
    fn every_setting_maps() {
        let config = steward_config::check_str(
            "[service]\nname = \"web\"\n[program]\ncommand = \"/bin/web\"\n[health]\n\
             http = \"http://127.0.0.1:8080/\"\nexpect_status = \"200\"\ninterval = \"1s\"\n\
             start_timeout = \"5s\"\nnotify = true\nnotify_ready = true\nwatchdog = \"3s\"\n\
             [[health.check]]\nname = \"db\"\ntcp = \"127.0.0.1:5432\"\nrole = \"readiness\"\nfailure_threshold = 7\n",
            Path::new("/srv/web/steward.toml"),
        )
        .unwrap();
        let setup = health_setup(
            config.health.as_ref().unwrap(),
            "web",
            Path::new("/run/x/web"),
        );
        assert_eq!(setup.start_timeout, Duration::from_secs(5));
        let [http, db] = &setup.monitor.checks[..] else {
            panic!("{:?}", setup.monitor.checks)
        };
        assert_eq!(http.name, "http");
        assert_eq!(http.interval, Duration::from_secs(1));
        assert!(matches!(&http.kind, CheckKind::Http { expect, .. } if *expect == (200..=200)));
        assert_eq!(db.role, CheckRole::Readiness);
        assert_eq!(db.failure_threshold, 7);
        assert!(matches!(&db.kind, CheckKind::Tcp { .. }));
        let notify = setup.monitor.notify.unwrap();
        assert_eq!(notify.watchdog, Some(Duration::from_secs(3)));
        assert!(notify.require_ready);
    }
}
