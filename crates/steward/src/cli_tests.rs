//! The verbs driven against a fake service manager: parsing, the request `install` builds, and
//! the one-line results.

use std::path::PathBuf;
use std::time::Duration;

use super::*;
use crate::control::Origin;

type Fake = crate::control::recording::RecordingManager;

fn spec() -> ServiceSpec {
    ServiceSpec::new("svc")
        .display_name("Svc")
        .description("does things")
}

fn verb(args: &[&str]) -> Verb {
    match parse("svc", args.iter().map(Into::into).collect()) {
        Ok(Invocation::Control(verb)) => verb,
        other => panic!("{args:?}: {other:?}"),
    }
}

fn run(fake: &Fake, args: &[&str]) -> Result<String, ControlError> {
    execute(fake, &spec(), &verb(args), || {
        Ok(PathBuf::from(r"C:\a b\svc.exe"))
    })
}

#[test]
fn no_arguments_and_run_select_the_run_modes() {
    assert!(matches!(
        parse("svc", vec![]),
        Ok(Invocation::Run(Mode::Auto))
    ));
    assert!(matches!(
        parse("svc", vec!["run".into()]),
        Ok(Invocation::Run(Mode::Console))
    ));
}

#[test]
fn bad_command_lines_are_usage_errors_naming_the_problem() {
    for (args, needle) in [
        (&["instal"][..], "'instal'"),
        (
            &["install", "--start", "sometimes"][..],
            "expected auto, delayed",
        ),
        (&["install", "--account", "nobody"][..], r"DOMAIN\user"),
        (&["start", "--timeout", "soon"][..], "'soon'"),
    ] {
        let error = parse("svc", args.iter().map(Into::into).collect()).unwrap_err();
        assert_eq!(error.exit_code(), 2);
        assert!(error.to_string().contains(needle), "{args:?}: {error}");
    }
}

#[test]
fn accounts_parse_case_insensitively() {
    assert_eq!(parse_account("localservice"), Ok(Account::LocalService));
    assert_eq!(
        parse_account(r"NT AUTHORITY\NetworkService"),
        Ok(Account::NetworkService)
    );
    assert_eq!(parse_account("LocalSystem"), Ok(Account::LocalSystem));
    assert_eq!(parse_account("virtual"), Ok(Account::Virtual));
    assert_eq!(
        parse_account(r"CORP\svc-user"),
        Ok(Account::User(r"CORP\svc-user".into()))
    );
    assert!(parse_account(r"\x").is_err());
}

#[test]
fn install_registers_this_executable_with_explicit_and_default_settings() {
    let fake = Fake::default();
    let line = run(
        &fake,
        &[
            "install",
            "--start",
            "delayed",
            "--depends-on",
            "Tcpip",
            "--depends-on",
            "Dnscache",
        ],
    )
    .unwrap();
    assert_eq!(line, r"installed service 'svc' (C:\a b\svc.exe)");
    let (request, mode) = fake.requests.borrow()[0].clone();
    assert_eq!(mode, InstallMode::CreateOnly);
    assert_eq!(request.name, "svc");
    assert_eq!(request.display_name, "Svc");
    assert_eq!(request.description.as_deref(), Some("does things"));
    assert_eq!(request.executable, PathBuf::from(r"C:\a b\svc.exe"));
    assert!(request.arguments.is_empty());
    assert_eq!(request.dependencies, ["Tcpip", "Dnscache"]);
    assert_eq!(request.start, Setting::explicit(StartType::Delayed));
    assert_eq!(
        request.account,
        Setting::default_value(Account::LocalService)
    );
    assert_eq!(request.sid_type.map(|s| s.origin), Some(Origin::Default));
    let failure = request.failure_actions.expect("failure actions");
    assert_eq!(failure.origin, Origin::Default);
    assert!(failure.value.on_non_crash_failures);
    assert_eq!(*fake.executed.borrow(), 1);
}

#[test]
fn install_print_shows_the_plan_and_changes_nothing() {
    let fake = Fake::default();
    let line = run(&fake, &["install", "--print", "--force"]).unwrap();
    assert_eq!(
        line,
        "plan for service 'svc':\n  1. create service (CreateOrUpdate)"
    );
    assert_eq!(fake.requests.borrow()[0].1, InstallMode::CreateOrUpdate);
    assert_eq!(*fake.executed.borrow(), 0);
}

#[test]
fn start_and_stop_wait_only_when_asked() {
    let fake = Fake::default();
    run(&fake, &["start"]).unwrap();
    run(&fake, &["start", "--wait"]).unwrap();
    let line = run(&fake, &["stop", "--wait", "--timeout", "5s"]).unwrap();
    assert_eq!(
        fake.calls.borrow().as_slice(),
        ["start svc None", "start svc Some(30s)", "stop svc Some(5s)"]
    );
    assert!(
        line.starts_with("stopped 'svc': stopped (win32 exit code 0, service exit code 0)"),
        "{line}"
    );
}

#[test]
fn restart_of_a_stopped_service_just_starts_it() {
    let fake = Fake {
        stop_error: Some(ControlError::NotRunning),
        ..Fake::default()
    };
    let line = run(&fake, &["restart"]).unwrap();
    assert!(
        line.starts_with("restarted 'svc': running (pid 42)"),
        "{line}"
    );
    let other = Fake {
        stop_error: Some(ControlError::NotInstalled),
        ..Fake::default()
    };
    assert!(matches!(
        run(&other, &["restart"]),
        Err(ControlError::NotInstalled(_))
    ));
}

#[test]
fn status_prints_one_line_or_the_documented_json() {
    let fake = Fake::default();
    let line = run(&fake, &["status"]).unwrap();
    assert_eq!(
        line,
        r#"'svc': running (pid 42), start auto, account NT AUTHORITY\LocalService, command "C:\a b\svc.exe""#
    );
    let json: serde_json::Value =
        serde_json::from_str(&run(&fake, &["status", "--json"]).unwrap()).unwrap();
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "account",
            "binary_path",
            "command_line",
            "installed",
            "name",
            "pid",
            "service_exit_code",
            "start_type",
            "state",
            "win32_exit_code"
        ]
    );
    assert_eq!(json["state"], "running");
}

#[test]
fn uninstall_waits_for_the_stop_with_the_given_timeout() {
    let fake = Fake::default();
    let line = run(&fake, &["uninstall", "--timeout", "1m"]).unwrap();
    assert_eq!(line, "uninstalled service 'svc'");
    assert_eq!(fake.calls.borrow().as_slice(), ["uninstall svc 60s"]);
}

#[test]
fn hardening_options_given_on_the_command_line_are_explicit() {
    let fake = Fake::default();
    let args = [
        "install",
        "--sid-type",
        "restricted",
        "--privilege",
        "SeChangeNotifyPrivilege",
        "--failure-actions",
        "2s,10s",
        "--preshutdown-timeout",
        "42s",
    ];
    run(&fake, &args).unwrap();
    let (request, _) = fake.requests.borrow()[0].clone();
    assert_eq!(
        request.sid_type,
        Some(Setting::explicit(ServiceSidType::Restricted))
    );
    assert_eq!(
        request.required_privileges,
        Some(Setting::explicit(vec!["SeChangeNotifyPrivilege".into()]))
    );
    let failure = request.failure_actions.expect("failure actions");
    assert_eq!(failure.origin, Origin::Explicit);
    assert_eq!(
        failure.value.actions,
        [2, 10].map(|s| FailureAction::Restart(Duration::from_secs(s)))
    );
    assert_eq!(
        request.stop_timeout,
        Some(Setting::explicit(Duration::from_secs(42)))
    );
}

#[test]
fn without_options_the_hardening_settings_are_defaults() {
    let fake = Fake::default();
    run(&fake, &["install"]).unwrap();
    let (request, _) = fake.requests.borrow()[0].clone();
    assert_eq!(request.required_privileges, None);
    let origins = [
        request.start.origin,
        request.account.origin,
        request.sid_type.as_ref().map(|s| s.origin).unwrap(),
        request.failure_actions.as_ref().map(|s| s.origin).unwrap(),
        request.stop_timeout.as_ref().map(|s| s.origin).unwrap(),
    ];
    assert_eq!(origins, [Origin::Default; 5]);
    // The preshutdown timeout covers the shutdown grace (20 s by default) plus 5 s.
    assert_eq!(request.stop_timeout.unwrap().value, Duration::from_secs(25));
}
