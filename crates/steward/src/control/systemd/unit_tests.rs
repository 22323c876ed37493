use std::time::Duration;

use super::*;
use crate::control::{FailureActions, Setting};

fn request() -> InstallRequest {
    InstallRequest {
        name: "hello".into(),
        display_name: "Hello".into(),
        description: Some("Says hello".into()),
        executable: "/opt/hello/hello".into(),
        arguments: vec![],
        start: Setting::default_value(StartType::Auto),
        account: Setting::default_value(Account::LocalService),
        dependencies: vec![],
        environment: vec![],
        failure_actions: None,
        sid_type: None,
        required_privileges: None,
        stop_timeout: None,
    }
}

#[test]
fn plain_words_stay_bare_and_others_are_quoted() {
    assert_eq!(exec_word("/usr/bin/app"), "/usr/bin/app");
    assert_eq!(exec_word("--port=8080"), "--port=8080");
    assert_eq!(exec_word("/opt/my app/app"), "\"/opt/my app/app\"");
    assert_eq!(exec_word(""), "\"\"");
    assert_eq!(exec_word(";"), r"\;");
}

#[test]
fn quotes_backslashes_specifiers_and_variables_are_escaped() {
    assert_eq!(exec_word(r#"say "hi""#), r#""say \"hi\"""#);
    assert_eq!(exec_word(r"C:\dir"), r#""C:\\dir""#);
    assert_eq!(exec_word("100%"), "\"100%%\"");
    assert_eq!(exec_word("$HOME"), "\"$$HOME\"");
    assert_eq!(exec_word("it's"), "\"it's\"");
    assert_eq!(exec_word("a\nb\u{1}"), r#""a\nb\x01""#);
}

#[test]
fn environment_values_double_percent_but_keep_dollars() {
    assert_eq!(
        environment_assignment("GREETING", r#"a "b" $c 5%\"#),
        r#""GREETING=a \"b\" $c 5%%\\""#
    );
}

#[test]
fn descriptions_are_one_line_without_specifiers() {
    assert_eq!(text_value("50% more\nfun \\"), "50%% more fun");
}

#[test]
fn invalid_names_are_refused() {
    for name in ["", "a b", "a/b", "-x", "tmpl@", r"a\b", &"x".repeat(248)] {
        assert!(
            matches!(validate_name(name), Err(ControlError::InvalidName { .. })),
            "{name:?} was accepted"
        );
    }
    validate_name("my-service_1.2:x").expect("valid name");
}

#[test]
fn bad_settings_are_refused_naming_them() {
    let mut r = request();
    r.environment = vec![("NOT VALID".into(), "x".into())];
    let e = validate(&r, Scope::System).unwrap_err().to_string();
    assert!(e.contains("environment variable 'NOT VALID'"), "{e}");

    let mut r = request();
    r.executable = "relative/app".into();
    let e = validate(&r, Scope::System).unwrap_err().to_string();
    assert!(e.contains("absolute"), "{e}");

    let mut r = request();
    r.account = Setting::explicit(Account::User(r"DOMAIN\bob".into()));
    let e = validate(&r, Scope::System).unwrap_err().to_string();
    assert!(e.contains(r"account 'DOMAIN\bob'"), "{e}");

    let mut r = request();
    r.account = Setting::explicit(Account::LocalSystem);
    let e = validate(&r, Scope::User).unwrap_err();
    assert!(matches!(e, ControlError::Unsupported { .. }), "{e}");

    let mut r = request();
    r.sid_type = Some(Setting::explicit(
        crate::control::ServiceSidType::Restricted,
    ));
    assert!(matches!(
        validate(&r, Scope::System),
        Err(ControlError::Unsupported { .. })
    ));
    r.sid_type = Some(Setting::default_value(
        crate::control::ServiceSidType::Restricted,
    ));
    validate(&r, Scope::System).expect("a Windows default is ignored");
}

#[test]
fn accounts_map_to_root_dynamic_users_or_named_users() {
    let render = |account, scope| {
        let mut r = request();
        r.account = Setting::explicit(account);
        render_unit(&r, &SystemdOptions::default(), scope)
    };
    let root = render(Account::LocalSystem, Scope::System);
    assert!(!root.contains("User="), "{root}");
    for account in [
        Account::LocalService,
        Account::NetworkService,
        Account::Virtual,
    ] {
        assert!(render(account, Scope::System).contains("\nDynamicUser=yes\n"));
    }
    let named = render(Account::User("svc".into()), Scope::System);
    assert!(named.contains("\nUser=svc\n") && !named.contains("DynamicUser"));
    let user_scope = render(Account::LocalService, Scope::User);
    assert!(!user_scope.contains("User="), "{user_scope}");
}

#[test]
fn explicit_failure_actions_set_the_restart_policy() {
    let mut r = request();
    r.failure_actions = Some(Setting::explicit(FailureActions {
        actions: vec![FailureAction::Restart(Duration::from_secs(5))],
        reset_period: Duration::from_secs(86400),
        on_non_crash_failures: true,
    }));
    let options = SystemdOptions {
        restart: RestartPolicy::Always,
        ..SystemdOptions::default()
    };
    let unit = render_unit(&r, &options, Scope::System);
    assert!(
        unit.contains("\nRestart=on-failure\nRestartSec=5s\n"),
        "{unit}"
    );
}

#[test]
fn start_types_shape_the_install_section() {
    let render = |start| {
        let mut r = request();
        r.start = Setting::explicit(start);
        render_unit(&r, &SystemdOptions::default(), Scope::System)
    };
    assert!(render(StartType::Auto).ends_with("\n[Install]\nWantedBy=multi-user.target\n"));
    assert!(render(StartType::Delayed).contains("\nAfter=multi-user.target\n"));
    let disabled = render(StartType::Disabled);
    assert!(disabled.contains("\nRefuseManualStart=yes\n"), "{disabled}");
    assert!(!disabled.contains("[Install]"), "{disabled}");
}

#[test]
fn hardening_can_be_switched_off() {
    let options = SystemdOptions {
        hardening: Hardening::None,
        ..SystemdOptions::default()
    };
    let unit = render_unit(&request(), &options, Scope::System);
    assert!(!unit.contains("NoNewPrivileges"), "{unit}");
    let user = render_unit(&request(), &SystemdOptions::default(), Scope::User);
    assert!(
        user.contains("NoNewPrivileges=yes") && !user.contains("PrivateTmp"),
        "{user}"
    );
}
