//! Unit tests of `[health]` and `[admin]`: defaults and every error.

use std::path::Path;
use std::time::Duration;

use crate::{Probe, Role, check_str};

const FILE: &str = "/srv/app/steward.toml";
const BASE: &str = "[service]\nname = \"app\"\n[program]\ncommand = \"/bin/app\"\n";

fn ok(extra: &str) -> crate::Config {
    check_str(&format!("{BASE}{extra}"), Path::new(FILE))
        .unwrap_or_else(|e| panic!("unexpected errors: {e:#?}"))
}

/// The errors, as `line:col: message`, lines counted from the first line of `extra`.
fn errors(extra: &str) -> Vec<String> {
    let errors = check_str(&format!("{BASE}{extra}"), Path::new(FILE)).expect_err("accepted");
    errors
        .iter()
        .map(|e| {
            let line = e.to_string();
            let rest = line.strip_prefix(&format!("{FILE}:")).unwrap();
            let (l, rest) = rest.split_once(':').unwrap();
            format!("{}:{rest}", l.parse::<usize>().unwrap() - 4)
        })
        .collect()
}

#[test]
fn health_shorthand_and_defaults() {
    let health = ok("[health]\nhttp = \"http://127.0.0.1:8080/healthz\"\n")
        .health
        .unwrap();
    assert_eq!(health.checks.len(), 1);
    let c = &health.checks[0];
    assert_eq!(c.name, "http");
    assert_eq!(c.probe, Probe::Http("http://127.0.0.1:8080/healthz".into()));
    assert_eq!(c.role, Role::Both);
    assert_eq!(c.expect_status, (200, 399));
    assert_eq!(c.interval, Duration::from_secs(10));
    assert_eq!(c.timeout, Duration::from_secs(2));
    assert_eq!((c.failure_threshold, c.success_threshold), (3, 1));
    assert_eq!(c.start_period, Duration::ZERO);
    assert_eq!(health.start_timeout, Duration::from_secs(90));
    assert!(!health.notify && !health.notify_ready && health.watchdog.is_none());
    assert!(ok("").health.is_none() && ok("").admin.is_none());
}

#[test]
fn checks_inherit_table_defaults_and_override_them() {
    let health = ok("[health]\ninterval = \"1s\"\nfailure_threshold = 2\nnotify = true\nwatchdog = \"5s\"\nnotify_ready = true\n\
         [[health.check]]\nname = \"db\"\ntcp = \"127.0.0.1:5432\"\nrole = \"readiness\"\n\
         [[health.check]]\nname = \"self\"\nexec = [\"bin/selftest\", \"-q\"]\ninterval = \"1m\"\nrole = \"liveness\"\nexpect_status = \"200\"\n")
    .health
    .unwrap();
    assert_eq!(health.checks.len(), 2);
    let (db, me) = (&health.checks[0], &health.checks[1]);
    assert_eq!(db.probe, Probe::Tcp("127.0.0.1:5432".into()));
    assert_eq!(db.role, Role::Readiness);
    assert_eq!(db.interval, Duration::from_secs(1));
    assert_eq!(db.failure_threshold, 2);
    assert_eq!(
        me.probe,
        Probe::Exec(vec!["/srv/app/bin/selftest".into(), "-q".into()])
    );
    assert_eq!(me.role, Role::Liveness);
    assert_eq!(me.interval, Duration::from_secs(60));
    assert_eq!(me.expect_status, (200, 200));
    assert!(health.notify && health.notify_ready);
    assert_eq!(health.watchdog, Some(Duration::from_secs(5)));
}

#[test]
fn health_errors_are_each_reported() {
    let found = errors(
        "[health]\nhttp = \"https://x/\"\nexpect_status = \"99-700\"\ninterval = \"0s\"\n\
         failure_threshold = 0\nwatchdog = \"5s\"\nnotify_ready = true\n\
         [[health.check]]\nname = \"bad name\"\ntcp = \"nohost\"\n\
         [[health.check]]\nname = \"two\"\ntcp = \"a:1\"\nhttp = \"http://a/\"\n\
         [[health.check]]\nname = \"x\"\nrole = \"sometimes\"\nexec = []\n",
    );
    let positions: Vec<&str> = found
        .iter()
        .map(|l| l.split(": ").next().unwrap())
        .collect();
    assert_eq!(
        positions,
        [
            "2:8", "3:17", "4:12", "5:21", "6:12", "7:16", "9:8", "10:7", "11:1", "17:8", "18:8"
        ],
        "{found:#?}"
    );
    assert!(found[0].contains("http://"), "{found:?}");
    assert!(found[5].contains("notify = true"), "{found:?}");
    assert!(
        found[8].contains("exactly one of http, tcp, exec"),
        "{found:?}"
    );
}

#[test]
fn duplicate_check_names_are_refused() {
    let found = errors(
        "[health]\nhttp = \"http://a/\"\n[[health.check]]\nname = \"http\"\ntcp = \"a:1\"\n",
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("4:8: "), "{found:?}");
}

#[test]
fn admin_defaults_and_off() {
    let admin = ok("[admin]\n").admin.unwrap();
    assert_eq!(admin.listen, Some("127.0.0.1:9610".parse().unwrap()));
    assert_eq!(admin.tokens_file, None);
    assert_eq!(
        ok("[admin]\nlisten = \"none\"\n").admin.unwrap().listen,
        None
    );
    assert_eq!(ok("[admin]\nenabled = false\n").admin.unwrap().listen, None);
    let admin = ok("[admin]\nlisten = \"0.0.0.0:9000\"\ntokens_file = \"admin.tokens\"\n")
        .admin
        .unwrap();
    assert_eq!(admin.listen, Some("0.0.0.0:9000".parse().unwrap()));
    assert_eq!(
        admin.tokens_file.as_deref(),
        Some(Path::new("/srv/app/admin.tokens"))
    );
}

#[test]
fn admin_errors() {
    assert_eq!(
        errors("[admin]\nlisten = \"0.0.0.0:9610\"\n"),
        [
            "2:10: admin.listen = \"0.0.0.0:9610\": expected a loopback address (127.0.0.0/8, ::1) unless admin.tokens_file is set"
        ]
    );
    let found = errors("[admin]\nlisten = \"localhost\"\n");
    assert!(found[0].starts_with("2:10: "), "{found:?}");
    let found = errors("[admin]\ntokens_file = \"steward.toml\"\n");
    assert!(
        found[0].starts_with("2:15: ") && found[0].contains("never the config file itself"),
        "{found:?}"
    );
    let found = errors("[admin]\ntokens_file = \"/srv/app/steward.toml\"\n");
    assert_eq!(found.len(), 1, "{found:?}");
}
