//! The unit file: validating a request for systemd, escaping values per `systemd.syntax(7)` and
//! `systemd.service(5)`, and rendering the template `templates/systemd/service.j2`.

use std::io;

use super::options::{Hardening, RestartPolicy, Scope, SystemdOptions, timespan};
use crate::control::{Account, ControlError, FailureAction, InstallRequest, Origin, StartType};

/// The unit template, embedded at build time.
const TEMPLATE: &str = include_str!("../../../templates/systemd/service.j2");

/// The longest unit name systemd accepts, including the `.service` suffix.
const MAX_UNIT_NAME: usize = 255;

/// The unit name of a service: `<name>.service`.
pub(crate) fn unit_name(service: &str) -> String {
    format!("{service}.service")
}

/// Checks that `name` can be a systemd service name: `[A-Za-z0-9:_.-]`, not empty, not starting
/// with `-` or `.`, short enough for `<name>.service`. `@` (templates) and `\` are refused.
pub(crate) fn validate_name(name: &str) -> Result<(), ControlError> {
    let invalid = |reason| {
        Err(ControlError::InvalidName {
            name: name.to_owned(),
            reason,
        })
    };
    if name.is_empty() {
        return invalid("it is empty");
    }
    if name.len() + ".service".len() > MAX_UNIT_NAME {
        return invalid("it is longer than 247 bytes");
    }
    if name.starts_with(['-', '.']) {
        return invalid("it starts with '-' or '.'");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '_' | '.' | '-'))
    {
        return invalid("systemd unit names may only contain A-Z a-z 0-9 : _ . -");
    }
    Ok(())
}

/// A unit a dependency names: a bare name means `<name>.service`.
fn dependency_unit(dependency: &str) -> String {
    const SUFFIXES: [&str; 6] = [
        ".service", ".target", ".socket", ".mount", ".path", ".timer",
    ];
    if SUFFIXES.iter().any(|s| dependency.ends_with(s)) {
        dependency.to_owned()
    } else {
        unit_name(dependency)
    }
}

fn invalid_setting(request: &InstallRequest, setting: String, why: &str) -> ControlError {
    ControlError::Os {
        service: request.name.clone(),
        operation: format!("set {setting}"),
        source: io::Error::new(io::ErrorKind::InvalidInput, why.to_owned()),
    }
}

fn unsupported(request: &InstallRequest, setting: &str, why: &str) -> ControlError {
    ControlError::Unsupported {
        service: request.name.clone(),
        setting: setting.to_owned(),
        source: io::Error::new(io::ErrorKind::Unsupported, why.to_owned()),
    }
}

/// Checks everything [`render_unit`] relies on: the name, an absolute executable, variable and
/// dependency names, the account, and that no explicit Windows-only setting is asked for.
pub(crate) fn validate(request: &InstallRequest, scope: Scope) -> Result<(), ControlError> {
    validate_name(&request.name)?;
    if !request.executable.is_absolute() || request.executable.to_str().is_none() {
        let shown = request.executable.display();
        return Err(invalid_setting(
            request,
            format!("executable '{shown}'"),
            "it must be an absolute UTF-8 path",
        ));
    }
    validate_names(request)?;
    validate_account(request, scope)?;
    if request
        .sid_type
        .as_ref()
        .is_some_and(|s| s.origin == Origin::Explicit)
    {
        return Err(unsupported(
            request,
            "service SID type",
            "a Windows-only setting",
        ));
    }
    if request
        .required_privileges
        .as_ref()
        .is_some_and(|s| s.origin == Origin::Explicit)
    {
        return Err(unsupported(
            request,
            "required privileges",
            "a Windows-only setting",
        ));
    }
    Ok(())
}

/// Environment variable names and dependency unit names.
fn validate_names(request: &InstallRequest) -> Result<(), ControlError> {
    for (key, _) in &request.environment {
        let mut chars = key.chars();
        let first_ok = chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
        if !first_ok || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(invalid_setting(
                request,
                format!("environment variable '{key}'"),
                "not a valid variable name ([A-Za-z_][A-Za-z0-9_]*)",
            ));
        }
    }
    for dependency in &request.dependencies {
        let stem = dependency
            .rsplit_once('.')
            .map_or(dependency.as_str(), |(s, _)| s);
        if validate_name(stem).is_err() {
            return Err(invalid_setting(
                request,
                format!("dependency '{dependency}'"),
                "not a valid unit name",
            ));
        }
    }
    Ok(())
}

fn validate_account(request: &InstallRequest, scope: Scope) -> Result<(), ControlError> {
    let explicit = request.account.origin == Origin::Explicit;
    if scope == Scope::User && explicit {
        return Err(unsupported(
            request,
            "account",
            "a user manager runs every service as its own user",
        ));
    }
    if let Account::User(name) = &request.account.value {
        let mut chars = name.chars();
        let first_ok = chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
        let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        if !first_ok || !rest_ok || name.len() > 32 {
            return Err(invalid_setting(
                request,
                format!("account '{name}'"),
                "not a valid Unix user name",
            ));
        }
    }
    Ok(())
}

/// Escapes one word of a command line (`ExecStart=`): left bare when it only has harmless
/// characters, otherwise double-quoted with C escapes. `%` becomes `%%` (specifiers) and `$`
/// becomes `$$` (variable expansion) either way; a lone `;` becomes `\;`.
pub(crate) fn exec_word(word: &str) -> String {
    let bare = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+,:=@".contains(c));
    if bare {
        return word.to_owned();
    }
    if word == ";" {
        return r"\;".into();
    }
    quoted(word, true)
}

/// Double-quotes `value` with C escapes; `%` → `%%`; `$` → `$$` when `dollar` (command lines).
fn quoted(value: &str, dollar: bool) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '\\' => out.push_str(r"\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str(r"\n"),
            '\t' => out.push_str(r"\t"),
            '\r' => out.push_str(r"\r"),
            '%' => out.push_str("%%"),
            '$' if dollar => out.push_str("$$"),
            c if c.is_control() && c.is_ascii() => out.push_str(&format!(r"\x{:02x}", c as u8)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// One `Environment=` value: `"KEY=value"`, quoted, `%` doubled (no `$` expansion happens there).
pub(crate) fn environment_assignment(key: &str, value: &str) -> String {
    quoted(&format!("{key}={value}"), false)
}

/// A single-line text value with specifiers escaped (`Description=`): control characters become
/// spaces and trailing backslashes (a line continuation) are dropped.
fn text_value(value: &str) -> String {
    let line: String = value
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    line.trim_end_matches('\\').trim().replace('%', "%%")
}

/// The restart policy and delay in effect: an explicit `failure_actions` of the request (the
/// cross-platform way to ask) wins over [`SystemdOptions`]; its first action decides.
fn restart(
    request: &InstallRequest,
    options: &SystemdOptions,
) -> (RestartPolicy, std::time::Duration) {
    let explicit = request
        .failure_actions
        .as_ref()
        .filter(|f| f.origin == Origin::Explicit);
    match explicit.and_then(|f| f.value.actions.first()) {
        Some(FailureAction::Restart(delay)) => (RestartPolicy::OnFailure, *delay),
        Some(FailureAction::None) => (RestartPolicy::Never, options.restart_delay),
        None => (options.restart, options.restart_delay),
    }
}

/// What the template sees.
#[derive(serde::Serialize)]
struct UnitContext {
    name: String,
    unit: String,
    user_scope: bool,
    description: String,
    after: Vec<String>,
    requires: Vec<String>,
    start_limit_interval: String,
    start_limit_burst: u32,
    refuse_manual_start: bool,
    exec_start: String,
    restart: &'static str,
    restart_sec: String,
    watchdog_sec: Option<String>,
    timeout_stop_sec: Option<String>,
    user: Option<String>,
    dynamic_user: bool,
    environment: Vec<String>,
    hardening: bool,
    wanted_by: Option<&'static str>,
}

fn context(request: &InstallRequest, options: &SystemdOptions, scope: Scope) -> UnitContext {
    let start = request.start.value;
    let default_target = match scope {
        Scope::System => "multi-user.target",
        Scope::User => "default.target",
    };
    let requires: Vec<String> = request
        .dependencies
        .iter()
        .map(|d| dependency_unit(d))
        .collect();
    let mut after = requires.clone();
    if start == StartType::Delayed {
        after.push(default_target.to_owned());
    }
    let mut exec: Vec<String> = vec![exec_word(&request.executable.to_string_lossy())];
    exec.extend(request.arguments.iter().map(|a| exec_word(a)));
    let (user, dynamic_user) = match (&request.account.value, scope) {
        (_, Scope::User) | (Account::LocalSystem, _) => (None, false),
        (Account::User(name), _) => (Some(name.clone()), false),
        (Account::LocalService | Account::NetworkService | Account::Virtual, _) => (None, true),
    };
    let description = request
        .description
        .as_deref()
        .unwrap_or(&request.display_name);
    let (policy, delay) = restart(request, options);
    UnitContext {
        name: request.name.clone(),
        unit: unit_name(&request.name),
        user_scope: scope == Scope::User,
        description: text_value(description),
        after,
        requires,
        start_limit_interval: timespan(options.start_limit_interval),
        start_limit_burst: options.start_limit_burst,
        refuse_manual_start: start == StartType::Disabled,
        exec_start: exec.join(" "),
        restart: policy.as_systemd(),
        restart_sec: timespan(delay),
        watchdog_sec: options.watchdog.map(timespan),
        timeout_stop_sec: request.stop_timeout.as_ref().map(|s| timespan(s.value)),
        user,
        dynamic_user,
        environment: request
            .environment
            .iter()
            .map(|(k, v)| environment_assignment(k, v))
            .collect(),
        hardening: options.hardening == Hardening::Standard,
        wanted_by: (start != StartType::Disabled).then_some(default_target),
    }
}

/// Renders the unit file for `request` in `scope`, without touching the system. The request must
/// have passed validation (the `plan_install` of [`super::Systemd`] checks it first).
///
/// Account mapping (system scope): `LocalSystem` runs as root (no `User=`); `LocalService`,
/// `NetworkService` (Linux has no separate network identity for services) and the virtual account
/// run as a transient user of their own
/// (`DynamicUser=yes`: least privilege, no files it could own outside its state directories);
/// `DOMAIN\user`-style named accounts become `User=`. A user manager runs everything as its user.
///
/// Start types: `auto` is enabled (`WantedBy=`); `delayed` is enabled and ordered after
/// `multi-user.target` (user scope: `default.target`), so it starts once boot is otherwise done;
/// `manual` has an `[Install]` section but is not enabled; `disabled` has no `[Install]` section
/// and refuses `systemctl start` (`RefuseManualStart=yes`). Masking is not used: `systemctl mask`
/// refuses a unit whose file lives in `/etc/systemd/system` (where steward writes it), and a masked
/// unit would hide its own configuration from `status`.
///
/// # Examples
///
/// ```
/// use steward::control::systemd::{Scope, SystemdOptions, render_unit};
/// use steward::control::{Account, InstallRequest, Setting, StartType};
///
/// let request = InstallRequest {
///     name: "hello".into(),
///     display_name: "Hello".into(),
///     description: None,
///     executable: "/opt/hello/hello-service".into(),
///     arguments: vec![],
///     start: Setting::default_value(StartType::Auto),
///     account: Setting::default_value(Account::LocalService),
///     dependencies: vec![],
///     environment: vec![],
///     failure_actions: None,
///     sid_type: None,
///     required_privileges: None,
///     stop_timeout: None,
/// };
/// let unit = render_unit(&request, &SystemdOptions::default(), Scope::System);
/// assert!(unit.contains("ExecStart=/opt/hello/hello-service\n"));
/// assert!(unit.contains("DynamicUser=yes\n"));
/// ```
pub fn render_unit(request: &InstallRequest, options: &SystemdOptions, scope: Scope) -> String {
    let mut env = minijinja::Environment::new();
    let syntax = minijinja::syntax::SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true)
        .build();
    // A valid builder without custom delimiters always builds; keep the default otherwise.
    if let Ok(syntax) = syntax {
        env.set_syntax(syntax);
    }
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    // The template is embedded and covered by the snapshot tests: an error here is a bug.
    let rendered = env
        .template_from_str(TEMPLATE)
        .and_then(|t| t.render(minijinja::value::Serde(context(request, options, scope))));
    match rendered {
        Ok(text) => text,
        Err(e) => panic!("templates/systemd/service.j2 does not render: {e:#}"),
    }
}

#[cfg(test)]
#[path = "unit_tests.rs"]
mod tests;
