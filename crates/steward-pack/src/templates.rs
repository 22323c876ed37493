//! The generated files' templates (`templates/`), embedded at build time and rendered with
//! minijinja; XML templates escape every value.

use minijinja::{AutoEscape, Environment, Value};

use crate::PackError;

/// The WiX source of the MSI.
pub const WXS: (&str, &str) = ("product.wxs", include_str!("../templates/product.wxs"));
/// The NSIS script.
pub const NSI: (&str, &str) = ("installer.nsi", include_str!("../templates/installer.nsi"));
/// winget: the version manifest.
pub const WINGET_VERSION: (&str, &str) = (
    "winget.version.yaml",
    include_str!("../templates/winget.version.yaml"),
);
/// winget: the installer manifest.
pub const WINGET_INSTALLER: (&str, &str) = (
    "winget.installer.yaml",
    include_str!("../templates/winget.installer.yaml"),
);
/// winget: the default locale manifest.
pub const WINGET_LOCALE: (&str, &str) = (
    "winget.locale.yaml",
    include_str!("../templates/winget.locale.yaml"),
);

/// Renders `template` with `context`.
pub(crate) fn render(
    template: (&'static str, &'static str),
    context: Value,
) -> Result<String, PackError> {
    let (name, source) = template;
    let mut env = Environment::new();
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".wxs") {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.add_filter("nsis", nsis_string);
    env.add_filter("yaml", yaml_string);
    env.add_template(name, source)
        .map_err(|error| PackError::Template { name, error })?;
    env.get_template(name)
        .and_then(|t| t.render(context))
        .map(|mut text| {
            text.push('\n');
            text
        })
        .map_err(|error| PackError::Template { name, error })
}

/// Quotes a value for an NSIS double-quoted string: `$\"`, `$$`, and `$\r`/`$\n`.
fn nsis_string(value: String) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '"' => out.push_str("$\\\""),
            '$' => out.push_str("$$"),
            '\n' => out.push_str("$\\n"),
            '\r' => out.push_str("$\\r"),
            '\t' => out.push_str("$\\t"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Quotes a value as a YAML double-quoted scalar (JSON strings are valid YAML).
fn yaml_string(value: String) -> String {
    serde_json::to_string(&value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nsis_quoting() {
        assert_eq!(nsis_string(r#"a "b" $c"#.into()), r#""a $\"b$\" $$c""#);
    }
}
