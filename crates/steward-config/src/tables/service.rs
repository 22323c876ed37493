//! `[service]`: what the service manager knows the service by, when it starts, who it runs as.

use crate::setting::{Account, Setting, StartType};
use serde::Deserialize;
use serde_spanned::Spanned;

use crate::resolver::Resolver;

/// The raw `[service]` table, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawService {
    name: Option<Spanned<String>>,
    display_name: Option<Spanned<String>>,
    description: Option<Spanned<String>>,
    start: Option<Spanned<String>>,
    account: Option<Spanned<String>>,
}

/// The resolved `[service]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// The key name (`[A-Za-z0-9][A-Za-z0-9_.-]*`, at most 80 characters).
    pub name: String,
    /// The name shown in service lists; the key name when not given.
    pub display_name: String,
    /// What the service does.
    pub description: Option<String>,
    /// When the service starts; `auto` by default.
    pub start: Setting<StartType>,
    /// Who it runs as; `LocalService` by default.
    pub account: Setting<Account>,
}

/// The longest service name accepted (the SCM allows 256, systemd unit names 255; 80 keeps
/// names readable and leaves room for the `.service` suffix and instance strings).
pub const MAX_NAME_LEN: usize = 80;

const NAME_FORM: &str = "a service name: 1 to 80 ASCII letters, digits, '-', '_' or '.', starting with a letter or digit";
const START_FORM: &str = "one of \"auto\", \"delayed\", \"manual\", \"disabled\"";
const ACCOUNT_FORM: &str =
    r#"one of "LocalSystem", "LocalService", "NetworkService", "virtual", or 'DOMAIN\user'"#;

/// Resolves `[service]`; `span` locates the table (or the file start when it is absent).
pub(crate) fn resolve(
    raw: RawService,
    span: std::ops::Range<usize>,
    r: &mut Resolver<'_>,
) -> Service {
    let name = match &raw.name {
        None => {
            r.missing("service.name", span, NAME_FORM);
            String::new()
        }
        Some(name) => {
            if !valid_name(name.get_ref()) {
                r.invalid("service.name", name, NAME_FORM);
            }
            name.get_ref().clone()
        }
    };
    let start = match &raw.start {
        None => Setting::default_value(StartType::Auto),
        Some(value) => Setting::explicit(parse_start(value.get_ref()).unwrap_or_else(|| {
            r.invalid("service.start", value, START_FORM);
            StartType::Auto
        })),
    };
    let account = match &raw.account {
        None => Setting::default_value(Account::LocalService),
        Some(value) => Setting::explicit(parse_account(value.get_ref()).unwrap_or_else(|| {
            r.invalid("service.account", value, ACCOUNT_FORM);
            Account::LocalService
        })),
    };
    let display_name = match raw.display_name {
        Some(display) if display.get_ref().trim().is_empty() => {
            r.invalid("service.display_name", &display, "a non-empty name");
            name.clone()
        }
        Some(display) => display.into_inner(),
        None => name.clone(),
    };
    Service {
        name,
        display_name,
        description: raw.description.map(Spanned::into_inner),
        start,
        account,
    }
}

/// Whether `name` is acceptable as a service key name on every platform.
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= MAX_NAME_LEN
        && chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn parse_start(text: &str) -> Option<StartType> {
    match text {
        "auto" => Some(StartType::Auto),
        "delayed" => Some(StartType::Delayed),
        "manual" => Some(StartType::Manual),
        "disabled" => Some(StartType::Disabled),
        _ => None,
    }
}

/// Reads an account: the well-known names (case-insensitive, also with their `NT AUTHORITY\`
/// prefix), `virtual`, or `DOMAIN\user` (`.\user` for a local account).
pub fn parse_account(text: &str) -> Option<Account> {
    let lower = text.to_ascii_lowercase();
    let well_known = lower.strip_prefix(r"nt authority\").unwrap_or(&lower);
    match well_known {
        "localsystem" | "system" => return Some(Account::LocalSystem),
        "localservice" | "local service" => return Some(Account::LocalService),
        "networkservice" | "network service" => return Some(Account::NetworkService),
        "virtual" => return Some(Account::Virtual),
        _ => {}
    }
    let (domain, user) = text.split_once('\\')?;
    let clean = |part: &str| {
        !part.is_empty()
            && part.trim() == part
            && !part.contains(['\\', '/', '"', ':', '@'])
            && !part.chars().any(char::is_control)
    };
    (clean(domain) && clean(user)).then(|| Account::User(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for good in ["hello", "a", "web-1", "my_app.v2", "X9"] {
            assert!(valid_name(good), "{good}");
        }
        let long = "a".repeat(MAX_NAME_LEN + 1);
        for bad in [
            "",
            "-x",
            ".x",
            "has space",
            r"a\b",
            "a/b",
            "é",
            long.as_str(),
        ] {
            assert!(!valid_name(bad), "{bad}");
        }
    }

    #[test]
    fn accounts() {
        assert_eq!(parse_account("LocalSystem"), Some(Account::LocalSystem));
        assert_eq!(parse_account("localservice"), Some(Account::LocalService));
        assert_eq!(
            parse_account(r"NT AUTHORITY\NetworkService"),
            Some(Account::NetworkService)
        );
        assert_eq!(parse_account("virtual"), Some(Account::Virtual));
        assert_eq!(
            parse_account(r"CORP\svc-app"),
            Some(Account::User(r"CORP\svc-app".into()))
        );
        assert_eq!(
            parse_account(r".\svc"),
            Some(Account::User(r".\svc".into()))
        );
        for bad in ["root", r"CORP\", r"\user", r"A\B\C", "user@corp", ""] {
            assert_eq!(parse_account(bad), None, "{bad}");
        }
    }
}
