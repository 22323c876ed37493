//! The tables of a config file. Each table is one module with its raw layer, its resolved type
//! and its `resolve` function; supporting a table of the contract means adding its module and
//! moving its name from [`PLANNED`] to the dispatch in [`resolve_document`].

pub(crate) mod admin;
pub(crate) mod health;
pub(crate) mod hooks;
pub(crate) mod log;
pub(crate) mod package;
pub(crate) mod program;
pub(crate) mod registry;
pub(crate) mod restart;
pub(crate) mod service;

use std::path::PathBuf;

use toml::de::DeTable;

use crate::Config;
use crate::error::ErrorKind;
use crate::resolver::Resolver;

/// The tables this version of steward reads.
pub const SUPPORTED: &[&str] = &[
    "service", "program", "restart", "hooks", "package", "log", "health", "admin", "registry",
];

/// Tables of the config contract that this version of steward does not implement yet; a config
/// using one is refused rather than silently half-obeyed. Empty: every table of the contract is
/// implemented.
pub const PLANNED: &[&str] = &[];

/// Reads and resolves a whole document, collecting every error.
pub(crate) fn resolve_document(text: &str, r: &mut Resolver<'_>, file: PathBuf) -> Config {
    let (document, syntax_errors) = DeTable::parse_recoverable(text);
    for error in &syntax_errors {
        let span = error.span().unwrap_or(0..0);
        r.push(span, ErrorKind::Syntax(error.message().trim().to_owned()));
    }
    if !syntax_errors.is_empty() {
        // What follows a syntax error may be missing from the recovered document: don't claim
        // that keys are missing.
        r.set_partial();
    }
    let mut service = None;
    let mut program = None;
    let mut restart = None;
    let mut hooks = None;
    let mut log = None;
    let mut package = None;
    let mut health = None;
    let mut admin = None;
    let mut registry = None;
    for (key, value) in document.into_inner() {
        let name = key.get_ref().as_ref();
        let span = value.span();
        match name {
            "service" => service = r.table(name, value).map(|raw| (raw, span)),
            "program" => program = r.table(name, value).map(|raw| (raw, span)),
            "restart" => restart = r.table(name, value),
            "hooks" => hooks = r.table(name, value),
            "log" => log = r.table(name, value),
            "package" => package = r.table(name, value).map(|raw| (raw, span)),
            "health" => health = r.table(name, value),
            "admin" => admin = r.table(name, value),
            "registry" => registry = r.table(name, value).map(|raw| (raw, span)),
            _ if PLANNED.contains(&name) => {
                r.push(key.span(), ErrorKind::UnsupportedTable(name.to_owned()));
            }
            _ => {
                let kind = ErrorKind::UnknownTable {
                    table: name.to_owned(),
                    suggestion: crate::error::closest(name, SUPPORTED),
                    expected: SUPPORTED.join(", "),
                };
                r.push(key.span(), kind);
            }
        }
    }
    let (raw_service, service_span) = service.unwrap_or_default();
    let has_program = program.is_some();
    Config {
        dir: r.base_dir().to_path_buf(),
        service: service::resolve(raw_service, service_span, r),
        program: program.map(|(raw, span)| program::resolve(raw, span, r)),
        restart: restart::resolve(restart.unwrap_or_default(), r),
        hooks: hooks::resolve(hooks.unwrap_or_default(), r),
        log: log::resolve(log.unwrap_or_default(), r),
        package: package.map(|(raw, span)| package::resolve(raw, span, r)),
        health: health.map(|raw| health::resolve(raw, r)),
        admin: admin.map(|raw| admin::resolve(raw, &file, r)),
        registry: registry.map(|(raw, span)| registry::resolve(raw, span, &file, has_program, r)),
        file,
    }
}

#[cfg(test)]
mod health_tests;
#[cfg(test)]
mod registry_tests;
