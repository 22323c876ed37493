//! Installing: the plan's calls, rollback, unsupported settings, typed errors.

use std::path::PathBuf;

use super::*;

#[test]
fn every_setting_becomes_one_call_with_its_arguments() {
    let scm = scm(Recorder::default());
    install(&scm, &full_request()).unwrap();
    let expected = vec![
        Call::Create(
            ServiceConfig {
                name: "hello".into(),
                display_name: "Hello Service".into(),
                command_line:
                    r#""C:\Program Files\Hello\hello.exe" run --config "C:\My Conf\s.toml""#.into(),
                start_type: WinStartType::Auto,
                account: Some(r"CORP\svc-hello".into()),
                needs_password: true,
                dependencies: vec!["Tcpip".into(), "Dnscache".into()],
            },
            Some(r"secret-of-CORP\svc-hello".into()),
        ),
        Call::RegisterSource(
            "hello".into(),
            PathBuf::from(r"C:\Program Files\Hello\hello.exe"),
        ),
        config2(Config2::Description("says hello".into())),
        config2(Config2::DelayedAutoStart(true)),
        config2(Config2::FailureActions {
            reset_period_secs: 86_400,
            actions: vec![
                ScAction::Restart { delay_ms: 1000 },
                ScAction::Restart { delay_ms: 5000 },
                ScAction::None,
            ],
        }),
        config2(Config2::FailureActionsFlag(true)),
        config2(Config2::ServiceSidType(ServiceSidType::Restricted)),
        config2(Config2::RequiredPrivileges(vec![
            "SeChangeNotifyPrivilege".into(),
        ])),
        config2(Config2::PreshutdownTimeout(30_000)),
        Call::Environment("hello".into(), vec!["RUST_LOG=info".into(), "A=b c".into()]),
    ];
    assert_eq!(scm.api().calls(), expected);
}

#[test]
fn accounts_map_to_their_windows_names_without_passwords() {
    for (account, expected) in [
        (Account::LocalService, Some(r"NT AUTHORITY\LocalService")),
        (
            Account::NetworkService,
            Some(r"NT AUTHORITY\NetworkService"),
        ),
        (Account::Virtual, Some(r"NT SERVICE\hello")),
        (Account::LocalSystem, None),
    ] {
        let scm = scm(Recorder::default());
        let mut r = request();
        r.account = Setting::explicit(account);
        install(&scm, &r).unwrap();
        match &scm.api().calls()[0] {
            Call::Create(config, password) => {
                assert_eq!(config.account.as_deref(), expected);
                assert!(!config.needs_password);
                assert_eq!(password, &None);
            }
            other => panic!("first call {other:?}"),
        }
    }
}

#[test]
fn a_named_account_without_a_password_source_fails_before_creating_anything() {
    let scm = Scm::new(Recorder::default());
    let mut r = request();
    r.account = Setting::explicit(Account::User(r"CORP\svc".into()));
    let err = install(&scm, &r).unwrap_err();
    assert!(err.to_string().contains("needs a password"), "{err}");
    assert!(scm.api().calls().is_empty(), "{:?}", scm.api().calls());
}

#[test]
fn a_failing_step_deletes_the_service_just_created_and_names_the_setting() {
    let api = Recorder::failing(|c| {
        matches!(c, Call::Config2(_, Config2::PreshutdownTimeout(_))).then_some(87)
    });
    let scm = scm(api);
    let err = install(&scm, &full_request()).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("cannot set preshutdown timeout for service 'hello'"),
        "{err}"
    );
    let calls = scm.api().calls();
    assert_eq!(
        calls[calls.len() - 2..],
        [
            Call::RemoveSource("hello".into()),
            Call::Delete("hello".into())
        ],
        "the event source goes with the service: {calls:?}"
    );
    assert!(!calls.iter().any(|c| matches!(c, Call::Environment(..))));
}

#[test]
fn the_event_source_is_registered_right_after_create_with_the_executable() {
    let scm = scm(Recorder::default());
    let plan = scm
        .plan_install(&request(), InstallMode::CreateOnly)
        .unwrap();
    assert_eq!(
        plan.steps[1].action,
        ScmAction::RegisterEventSource {
            source: "hello".into(),
            message_file: PathBuf::from(r"C:\Program Files\Hello\hello.exe"),
        }
    );
    assert_eq!(plan.steps[1].origin, Origin::Default);
    let text = plan.to_string();
    assert!(
        text.contains(
            r"register event log source 'hello': EventMessageFile C:\Program Files\Hello\hello.exe"
        ),
        "{text}"
    );
    // --force re-registers it too (an update may move the executable).
    let updating = scm_with_installed();
    let plan = updating
        .plan_install(&request(), InstallMode::CreateOrUpdate)
        .unwrap();
    assert!(matches!(
        plan.steps[1].action,
        ScmAction::RegisterEventSource { .. }
    ));
}

#[test]
fn a_refused_event_source_deletes_the_service_and_names_the_step() {
    let api =
        Recorder::failing(|c| matches!(c, Call::RegisterSource(..)).then_some(ERROR_ACCESS_DENIED));
    let scm = scm(api);
    let err = install(&scm, &request()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "access denied: run as Administrator to install hello"
    );
    let calls = scm.api().calls();
    // Nothing was registered, so only the service is removed.
    assert!(
        !calls.contains(&Call::RemoveSource("hello".into())),
        "{calls:?}"
    );
    assert_eq!(
        calls.last(),
        Some(&Call::Delete("hello".into())),
        "{calls:?}"
    );

    let api = Recorder::failing(|c| matches!(c, Call::RegisterSource(..)).then_some(1009));
    let manager = super::scm(api);
    let err = install(&manager, &request()).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("cannot set event log source for service 'hello'"),
        "{err}"
    );
}

/// A manager whose service `hello` is installed and stopped.
fn scm_with_installed() -> Scm<Recorder> {
    scm(Recorder::default().with_states(&[1]))
}

#[test]
fn an_explicit_setting_the_platform_refuses_fails_and_rolls_back() {
    for (refused, setting) in [
        ("delayed", "delayed auto-start"),
        ("sid", "service SID type"),
        ("privileges", "required privileges"),
    ] {
        let api = Recorder::failing(move |c| match (refused, c) {
            ("delayed", Call::Config2(_, Config2::DelayedAutoStart(_)))
            | ("sid", Call::Config2(_, Config2::ServiceSidType(_)))
            | ("privileges", Call::Config2(_, Config2::RequiredPrivileges(_))) => {
                Some(ERROR_INVALID_LEVEL)
            }
            _ => None,
        });
        let scm = scm(api);
        let err = install(&scm, &full_request()).unwrap_err();
        match &err {
            ControlError::Unsupported {
                setting: s,
                service,
                ..
            } => {
                assert_eq!(s, setting);
                assert_eq!(service, "hello");
            }
            other => panic!("{other:?}"),
        }
        assert!(err.to_string().contains("nothing was installed"), "{err}");
        assert_eq!(
            scm.api().calls().last(),
            Some(&Call::Delete("hello".into()))
        );
    }
}

#[test]
fn default_hardening_settings_the_platform_refuses_are_skipped() {
    // Wine's answer to SID type and the failure-actions flag.
    let api = Recorder::failing(|c| match c {
        Call::Config2(_, Config2::ServiceSidType(_) | Config2::FailureActionsFlag(_)) => {
            Some(ERROR_INVALID_LEVEL)
        }
        _ => None,
    });
    let scm = scm(api);
    install(&scm, &request()).unwrap();
    let calls = scm.api().calls();
    assert!(!calls.contains(&Call::Delete("hello".into())), "{calls:?}");
    assert_eq!(
        calls.len(),
        6,
        "create, event source, description, actions, flag, sid: {calls:?}"
    );
}

#[test]
fn explicit_failure_actions_refused_fail_the_install() {
    let api = Recorder::failing(|c| {
        matches!(c, Call::Config2(_, Config2::FailureActionsFlag(_))).then_some(ERROR_INVALID_LEVEL)
    });
    let scm = scm(api);
    let mut r = request();
    r.failure_actions = r.failure_actions.map(|s| Setting::explicit(s.value));
    let err = install(&scm, &r).unwrap_err();
    assert!(
        err.to_string()
            .contains("cannot set failure actions on non-crash failures on service 'hello'"),
        "{err}"
    );
}

#[test]
fn win32_errors_map_to_typed_errors() {
    let cases: [(i32, &str); 3] = [
        (
            ERROR_ACCESS_DENIED,
            "access denied: run as Administrator to install hello",
        ),
        (
            ERROR_SERVICE_EXISTS,
            "service 'hello' is already installed (use --force to reconfigure it)",
        ),
        (1078, "cannot install for service 'hello'"),
    ];
    for (code, message) in cases {
        let scm = scm(Recorder::failing(move |c| {
            matches!(c, Call::Create(..)).then_some(code)
        }));
        let err = install(&scm, &request()).unwrap_err();
        assert!(err.to_string().starts_with(message), "{code}: {err}");
        // Nothing was created, so nothing is deleted.
        assert!(!scm.api().calls().contains(&Call::Delete("hello".into())));
    }
}

#[test]
fn invalid_names_are_refused_before_any_call() {
    let scm = scm(Recorder::default());
    let mut r = request();
    r.name = r"bad\name".into();
    assert!(matches!(
        scm.plan_install(&r, InstallMode::CreateOnly),
        Err(ControlError::InvalidName { .. })
    ));
    assert!(matches!(
        scm.status(""),
        Err(ControlError::InvalidName { .. })
    ));
    assert!(matches!(
        scm.start(&"x".repeat(257), None),
        Err(ControlError::InvalidName { .. })
    ));
    assert!(scm.api().calls().is_empty());
}

#[test]
fn force_on_an_installed_service_changes_it_in_place() {
    let scm = scm(Recorder::default().with_states(&[4]));
    let plan = scm
        .plan_install(&request(), InstallMode::CreateOrUpdate)
        .unwrap();
    assert!(matches!(
        plan.steps[0].action,
        ScmAction::ChangeServiceConfig(_)
    ));
    scm.execute(&plan).unwrap();
    let calls = scm.api().calls();
    // Built-in accounts are given an empty password when the account changes.
    assert!(
        matches!(&calls[2], Call::Change(_, Some(p)) if p.is_empty()),
        "{calls:?}"
    );
    // --force on a service that is not there creates it.
    let missing = super::lifecycle::scm_missing();
    let plan = missing
        .plan_install(&request(), InstallMode::CreateOrUpdate)
        .unwrap();
    assert!(matches!(plan.steps[0].action, ScmAction::CreateService(_)));
}

#[test]
fn the_plan_prints_one_line_per_step_marking_defaults_and_hiding_env_values() {
    let mut r = request();
    r.environment = vec![("TOKEN".into(), "hunter2".into())];
    let plan = scm(Recorder::default())
        .plan_install(&r, InstallMode::CreateOnly)
        .unwrap();
    let text = plan.to_string();
    assert!(
        text.contains(r#"create service 'hello': "C:\Program Files\Hello\hello.exe""#),
        "{text}"
    );
    assert!(
        text.contains("set service sid type: unrestricted (default)"),
        "{text}"
    );
    assert!(text.contains("set environment: TOKEN"), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
    assert_eq!(plan.steps[0].origin, Origin::Explicit);
}
