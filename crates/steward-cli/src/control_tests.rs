//! The control verbs against a fake service manager that records what it was asked.

use std::path::Path;

use steward::control::{Account, Origin, StartType};

use super::*;

type Fake = steward::control::recording::RecordingManager;

fn config(extra: &str) -> Config {
    let text = format!("[service]\nname = \"web\"\n{extra}[program]\ncommand = \"/bin/web\"\n");
    steward_config::check_str(&text, Path::new("/srv/web/steward.toml")).unwrap()
}

#[test]
fn install_request_runs_this_binary_with_the_absolute_config() {
    let request = install_request(&config(""), "/opt/steward/steward".into());
    assert_eq!(request.executable, Path::new("/opt/steward/steward"));
    assert_eq!(
        request.arguments,
        ["run", "--config", "/srv/web/steward.toml"]
    );
    assert_eq!(request.display_name, "web");
    assert_eq!(request.start, Setting::default_value(StartType::Auto));
    assert_eq!(
        request.account,
        Setting::default_value(Account::LocalService)
    );
    assert_eq!(
        request.stop_timeout.unwrap().value,
        Duration::from_secs(10 + 5 + 5)
    );
    assert_eq!(request.sid_type.unwrap().origin, Origin::Default);
}

#[test]
fn settings_written_in_the_config_are_explicit() {
    let request = install_request(
        &config("start = \"manual\"\naccount = 'CORP\\svc'\n"),
        "/x".into(),
    );
    assert_eq!(request.start, Setting::explicit(StartType::Manual));
    assert_eq!(
        request.account,
        Setting::explicit(Account::User(r"CORP\svc".into()))
    );
}

#[test]
fn install_print_changes_nothing() {
    let fake = Fake::default();
    let request = install_request(&config(""), "/x".into());
    let printed = install(&fake, &request, true, true).unwrap();
    assert_eq!(
        printed,
        "plan for service 'web':\n  1. create service (CreateOrUpdate)"
    );
    assert_eq!(*fake.executed.borrow(), 0);
    let done = install(&fake, &request, false, false).unwrap();
    assert_eq!(
        done,
        "installed service 'web': /x run --config /srv/web/steward.toml"
    );
    assert_eq!(*fake.executed.borrow(), 1);
    assert!(fake.calls.borrow().is_empty());
}

#[test]
fn timeout_implies_wait_and_restart_always_waits_for_the_stop() {
    let fake = Fake::default();
    let no_wait = WaitArgs {
        wait: false,
        timeout: None,
    };
    let timeout = WaitArgs {
        wait: false,
        timeout: Some(Duration::from_secs(5)),
    };
    start(&fake, "web", &no_wait).unwrap();
    stop(&fake, "web", &timeout).unwrap();
    restart(&fake, "web", &no_wait).unwrap();
    uninstall(&fake, "web", None).unwrap();
    assert_eq!(
        *fake.calls.borrow(),
        [
            "start web None",
            "stop web Some(5s)",
            "stop web Some(30s)",
            "start web None",
            "uninstall web 30s",
        ]
    );
}

#[test]
fn restart_of_a_stopped_service_starts_it() {
    let fake = Fake {
        stop_error: Some(ControlError::NotRunning),
        ..Fake::default()
    };
    let line = restart(
        &fake,
        "web",
        &WaitArgs {
            wait: true,
            timeout: None,
        },
    )
    .unwrap();
    assert_eq!(
        line,
        r#"restarted 'web': running (pid 42), start auto, account NT AUTHORITY\LocalService, command "C:\a b\svc.exe""#
    );
}

#[test]
fn status_text_and_json() {
    let fake = Fake::default();
    let text = crate::status::status(&fake, "web", false, &[]).unwrap();
    assert_eq!(
        text,
        "service  web\nstate    running (pid 42)\nstart    auto\naccount  NT AUTHORITY\\LocalService\ncommand  \"C:\\a b\\svc.exe\""
    );
    let json: serde_json::Value =
        serde_json::from_str(&crate::status::status(&fake, "web", true, &[]).unwrap()).unwrap();
    assert_eq!(json["state"], "running");
    assert_eq!(json["pid"], 42);
    assert!(json["supervisor"].is_null());
    assert_eq!(
        describe(&ServiceStatus::not_installed("x")),
        "'x': not installed"
    );
}

#[test]
fn status_reads_the_first_state_file_that_exists() {
    let dir = std::env::temp_dir().join(format!("steward-cli-status-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let missing = dir.join("missing.json");
    let present = dir.join("state.json");
    std::fs::write(
        &present,
        r#"{"state":"backoff","pid":null,"restarts":4,"last_exit_code":3,
            "last_exit":{"code":3},"last_exit_unix_ms":0,"updated_unix_ms":0,"supervisor_pid":7}"#,
    )
    .unwrap();
    let json =
        crate::status::status(&Fake::default(), "web", true, &[missing, present.clone()]).unwrap();
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["supervisor"]["state"], "backoff");
    assert_eq!(json["supervisor"]["restarts"], 4);
    assert_eq!(json["supervisor"]["last_exit_code"], 3);
    assert!(json["supervisor"]["last_exit_signal"].is_null());
    assert_eq!(json["supervisor"]["state_file"], present.to_str().unwrap());
    std::fs::write(&present, "not json").unwrap();
    let json = crate::status::status(&Fake::default(), "web", true, &[present]).unwrap();
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(
        json["supervisor"].is_null(),
        "an unreadable file is skipped"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn install_print_shows_the_files_a_step_writes() {
    let mut plan = Plan::new("web");
    plan.push(
        Origin::Explicit,
        "write unit file /u/web.service",
        serde_json::json!({"step": "write_unit", "path": "/u/web.service", "contents": "[Unit]\nDescription=web\n"}),
    );
    plan.push(
        Origin::Default,
        "enable web.service",
        serde_json::json!({"step": "enable", "unit": "web.service"}),
    );
    assert_eq!(
        printed_plan(&plan),
        "plan for service 'web':\n  1. write unit file /u/web.service\n  2. enable web.service (default)\n--- /u/web.service ---\n[Unit]\nDescription=web"
    );
}
