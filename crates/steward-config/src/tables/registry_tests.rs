//! Unit tests of `[registry]`: defaults, every key, and every error with its position and key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::{OnUnhealthy, Registry, RegistryConfig, TlsFiles, check_str};

const FILE: &str = "/srv/app/steward.toml";
const BASE: &str = "[service]\nname = \"app\"\n[program]\ncommand = \"/bin/app\"\n";
/// A service written with the library: no `[program]`.
const LIBRARY: &str = "[service]\nname = \"app\"\n";

fn registry_of(text: &str) -> Option<Registry> {
    check_str(text, Path::new(FILE))
        .unwrap_or_else(|e| panic!("unexpected errors: {e:#?}"))
        .registry
}

fn ok(extra: &str) -> Registry {
    registry_of(&format!("{BASE}{extra}")).expect("no [registry]")
}

/// The errors of `base + extra`, as `line:col: message`, lines counted from the first line of
/// `extra`.
fn errors_after(base: &str, extra: &str) -> Vec<String> {
    let skip = base.lines().count();
    let errors = check_str(&format!("{base}{extra}"), Path::new(FILE)).expect_err("accepted");
    errors
        .iter()
        .map(|e| {
            let line = e.to_string();
            let rest = line.strip_prefix(&format!("{FILE}:")).unwrap();
            let (l, rest) = rest.split_once(':').unwrap();
            format!("{}:{rest}", l.parse::<usize>().unwrap() - skip)
        })
        .collect()
}

fn errors(extra: &str) -> Vec<String> {
    errors_after(BASE, extra)
}

#[test]
fn absent_table_means_no_registration() {
    assert_eq!(registry_of(BASE), None);
    assert_eq!(registry_of(LIBRARY), None);
    let quick =
        crate::Config::for_program(Path::new("/bin/app"), Vec::new(), Path::new("/srv/app"));
    assert_eq!(quick.registry, None);
}

#[test]
fn empty_table_gets_every_default() {
    let registry = ok("[registry]\n");
    assert_eq!(
        registry,
        Registry {
            config: RegistryConfig::default(),
            instance_id: None,
        }
    );
    let config = &registry.config;
    assert_eq!(config.endpoints, ["http://127.0.0.1:2379"]);
    assert_eq!(config.prefix, "/services/");
    assert_eq!(config.ttl, Duration::from_secs(10));
    assert_eq!(config.address, None);
    assert!(config.metadata.is_empty());
    assert_eq!(config.credentials_file, None);
    assert_eq!(config.tls, None);
    assert!(!config.standby);
    assert_eq!(config.on_unhealthy, OnUnhealthy::Mark);
    // A service written with the library may register too (only standby needs [program]).
    assert_eq!(
        registry_of(&format!("{LIBRARY}[registry]\n")),
        Some(registry)
    );
}

#[test]
fn every_key_is_read_and_paths_are_resolved() {
    let registry = ok(r#"
[registry]
endpoints = ["https://etcd1:2379", "https://[::1]:2379/"]
prefix = "/acme/"
ttl = "1m"
address = "10.0.0.5:8080"
metadata = { zone = "a", tier = "web" }
credentials_file = "etcd.creds"
tls_ca = "tls/ca.pem"
tls_cert = "/etc/steward/client.pem"
tls_key = 'C:\certs\client.key'
standby = true
on_unhealthy = "remove"
instance_id = "web-1.a_b"
"#);
    let expected = RegistryConfig {
        endpoints: vec!["https://etcd1:2379".into(), "https://[::1]:2379/".into()],
        prefix: "/acme/".into(),
        ttl: Duration::from_secs(60),
        address: Some("10.0.0.5:8080".into()),
        metadata: BTreeMap::from([
            ("tier".to_owned(), "web".to_owned()),
            ("zone".to_owned(), "a".to_owned()),
        ]),
        credentials_file: Some(PathBuf::from("/srv/app/etcd.creds")),
        tls: Some(TlsFiles {
            ca: Some(PathBuf::from("/srv/app/tls/ca.pem")),
            cert: Some(PathBuf::from("/etc/steward/client.pem")),
            key: Some(PathBuf::from(r"C:\certs\client.key")),
        }),
        standby: true,
        on_unhealthy: OnUnhealthy::Remove,
    };
    assert_eq!(
        registry,
        Registry {
            config: expected,
            instance_id: Some("web-1.a_b".into()),
        }
    );
}

#[test]
fn metadata_as_a_sub_table() {
    let registry = ok("[registry]\n[registry.metadata]\nzone = \"a\"\n\"rack id\" = \"r7\"\n");
    assert_eq!(
        registry.config.metadata,
        BTreeMap::from([
            ("rack id".to_owned(), "r7".to_owned()),
            ("zone".to_owned(), "a".to_owned()),
        ])
    );
}

#[test]
fn https_with_or_without_tls_files() {
    // https:// without a CA: refused, since etcd-client has no system trust store to fall
    // back on.
    assert_eq!(
        errors("[registry]\nendpoints = [\"https://etcd:2379\"]\n"),
        [
            "2:13: registry.endpoints = [\"https://etcd:2379\"]: expected registry.tls_ca as well: https:// endpoints are verified against that CA only (the system's trust store is not used)"
        ]
    );
    // A CA alone (server authentication only).
    let registry = ok("[registry]\nendpoints = [\"https://etcd:2379\"]\ntls_ca = \"ca.pem\"\n");
    assert_eq!(
        registry.config.tls,
        Some(TlsFiles {
            ca: Some(PathBuf::from("/srv/app/ca.pem")),
            cert: None,
            key: None,
        })
    );
    // CA, client certificate and key (mutual TLS).
    let registry = ok(
        "[registry]\nendpoints = [\"https://etcd:2379\"]\ntls_ca = \"ca.pem\"\ntls_cert = \"c.pem\"\ntls_key = \"k.pem\"\n",
    );
    assert_eq!(
        registry.config.tls,
        Some(TlsFiles {
            ca: Some(PathBuf::from("/srv/app/ca.pem")),
            cert: Some(PathBuf::from("/srv/app/c.pem")),
            key: Some(PathBuf::from("/srv/app/k.pem")),
        })
    );
}

#[test]
fn files_need_not_exist_at_check_time() {
    let registry = ok(
        "[registry]\nendpoints = [\"https://etcd:2379\"]\ncredentials_file = \"/nonexistent/creds\"\ntls_ca = \"/nonexistent/ca.pem\"\n",
    );
    assert_eq!(
        registry.config.credentials_file.as_deref(),
        Some(Path::new("/nonexistent/creds"))
    );
}

#[test]
fn empty_or_malformed_endpoints() {
    assert_eq!(
        errors("[registry]\nendpoints = []\n"),
        [
            "2:13: registry.endpoints = []: expected a non-empty array of etcd client URLs such as [\"http://127.0.0.1:2379\"] or [\"https://etcd1:2379\", \"https://etcd2:2379\"]"
        ]
    );
    assert_eq!(
        errors(
            "[registry]\nendpoints = [\"127.0.0.1:2379\", \"http://a:2379/v3\", \"http://a\"]\n"
        ),
        [
            "2:14: registry.endpoints = \"127.0.0.1:2379\": expected an etcd client URL \"http://host:port\" or \"https://host:port\" (no path)",
            "2:32: registry.endpoints = \"http://a:2379/v3\": expected an etcd client URL \"http://host:port\" or \"https://host:port\" (no path)",
            "2:52: registry.endpoints = \"http://a\": expected an etcd client URL \"http://host:port\" or \"https://host:port\" (no path)",
        ]
    );
    assert_eq!(
        errors("[registry]\nendpoints = \"http://a:2379\"\n"),
        ["2:13: registry.endpoints: invalid type: string \"http://a:2379\", expected a sequence"]
    );
}

#[test]
fn credentials_never_go_in_the_config() {
    let found = errors("[registry]\nendpoints = [\"http://root:secret@etcd:2379\"]\n");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("2:14: registry.endpoints = ")
            && found[0].ends_with("without user:password@ (use registry.credentials_file)"),
        "{found:?}"
    );
    let found = errors("[registry]\nuser = \"root\"\npassword = \"secret\"\n");
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found[0].starts_with("2:1: unknown key `user` in [registry]"),
        "{found:?}"
    );
    assert!(
        found[1].starts_with("3:1: unknown key `password` in [registry]")
            && found[1].contains("credentials_file"),
        "{found:?}"
    );
}

#[test]
fn mixed_schemes() {
    assert_eq!(
        errors(
            "[registry]\nendpoints = [\"http://a:2379\", \"https://b:2379\", \"http://c:2379\"]\n"
        ),
        [
            "2:31: registry.endpoints = \"https://b:2379\": expected http:// like \"http://a:2379\": all endpoints use http:// or all use https://"
        ]
    );
}

#[test]
fn prefix_must_start_and_end_with_a_slash() {
    for (prefix, column) in [("services/", 10), ("/services", 10), ("", 10)] {
        assert_eq!(
            errors(&format!("[registry]\nprefix = {prefix:?}\n")),
            [format!(
                "2:{column}: registry.prefix = {prefix:?}: expected a key prefix that starts and ends with '/', e.g. \"/services/\""
            )]
        );
    }
    assert_eq!(ok("[registry]\nprefix = \"/\"\n").config.prefix, "/");
}

#[test]
fn ttl_whole_seconds_of_at_least_two() {
    assert_eq!(
        errors("[registry]\nttl = \"1s\"\n"),
        [
            "2:7: registry.ttl = \"1s\": expected a lease TTL of at least \"2s\" (keepalives go out every ttl / 3)"
        ]
    );
    assert_eq!(
        errors("[registry]\nttl = \"2500ms\"\n"),
        [
            "2:7: registry.ttl = \"2500ms\": expected whole seconds, e.g. \"3s\" (etcd lease TTLs are whole seconds)"
        ]
    );
    let found = errors("[registry]\nttl = \"10\"\n");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("2:7: registry.ttl = \"10\": expected a duration such as"),
        "{found:?}"
    );
    assert_eq!(
        ok("[registry]\nttl = \"2s\"\n").config.ttl,
        Duration::from_secs(2)
    );
    assert_eq!(
        ok("[registry]\nttl = \"3000ms\"\n").config.ttl,
        Duration::from_secs(3)
    );
}

#[test]
fn address_must_not_be_empty() {
    assert_eq!(
        errors("[registry]\naddress = \" \"\n"),
        [
            "2:11: registry.address = \" \": expected a non-empty address consumers connect to, e.g. \"10.0.0.5:8080\""
        ]
    );
}

#[test]
fn metadata_values_are_strings() {
    assert_eq!(
        errors("[registry]\nmetadata = { zone = \"a\", weight = 5, tags = [\"x\"] }\n"),
        [
            "2:35: registry.metadata.weight: invalid type: integer `5`, expected a string",
            "2:45: registry.metadata.tags: invalid type: array `[\"x\"]`, expected a string",
        ]
    );
    assert_eq!(
        errors("[registry.metadata]\nzone = \"a\"\nweight = 5\n"),
        ["3:10: registry.metadata.weight: invalid type: integer `5`, expected a string"]
    );
    let found = errors("[registry]\nmetadata = \"zone=a\"\n");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("2:12: registry.metadata: invalid type: string"),
        "{found:?}"
    );
}

#[test]
fn credentials_file_is_never_the_config_file() {
    for (value, column) in [
        ("\"steward.toml\"", 20),
        ("\"/srv/app/steward.toml\"", 20),
        ("\"./steward.toml\"", 20),
        ("\"\"", 20),
    ] {
        let found = errors(&format!("[registry]\ncredentials_file = {value}\n"));
        assert_eq!(
            found,
            [format!(
                "2:{column}: registry.credentials_file = {value}: expected a file of its own whose first line is user:password, never the config file itself (credentials never go in steward.toml)"
            )]
        );
    }
}

#[test]
fn tls_files_need_https_endpoints() {
    // With the default endpoint (http://127.0.0.1:2379), reported once, at the first TLS key.
    assert_eq!(
        errors("[registry]\ntls_key = \"k.pem\"\ntls_cert = \"c.pem\"\ntls_ca = \"ca.pem\"\n"),
        [
            "2:11: registry.tls_key = \"k.pem\": expected https:// endpoints in registry.endpoints (TLS files need https:// endpoints; these are http://)"
        ]
    );
    let found = errors("[registry]\nendpoints = [\"http://etcd:2379\"]\ntls_ca = \"ca.pem\"\n");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("3:10: registry.tls_ca = \"ca.pem\": expected https:// endpoints"),
        "{found:?}"
    );
}

#[test]
fn tls_cert_and_key_go_together() {
    let base = "[registry]\nendpoints = [\"https://etcd:2379\"]\n";
    assert_eq!(
        errors(&format!(
            "{base}tls_ca = \"ca.pem\"\ntls_cert = \"c.pem\"\n"
        )),
        [
            "4:12: registry.tls_cert = \"c.pem\": expected registry.tls_key as well (a client certificate and its key go together)"
        ]
    );
    assert_eq!(
        errors(&format!("{base}tls_ca = \"ca.pem\"\ntls_key = \"k.pem\"\n")),
        [
            "4:11: registry.tls_key = \"k.pem\": expected registry.tls_cert as well (a client certificate and its key go together)"
        ]
    );
    assert_eq!(
        errors(&format!("{base}tls_ca = \"\"\n")),
        ["3:10: registry.tls_ca = \"\": expected a PEM file path"]
    );
}

#[test]
fn standby_needs_a_program() {
    assert_eq!(
        errors_after(LIBRARY, "[registry]\nstandby = true\n"),
        [
            "2:11: registry.standby = true: expected false without a [program] table (only a program that steward starts can wait as a cold standby; a service written with the library cannot be one through the config)"
        ]
    );
    assert!(
        !registry_of(&format!("{LIBRARY}[registry]\nstandby = false\n"))
            .unwrap()
            .config
            .standby
    );
    assert!(ok("[registry]\nstandby = true\n").config.standby);
}

#[test]
fn on_unhealthy_is_mark_or_remove() {
    assert_eq!(
        errors("[registry]\non_unhealthy = \"delete\"\n"),
        ["2:16: registry.on_unhealthy = \"delete\": expected one of \"mark\", \"remove\""]
    );
    assert_eq!(
        ok("[registry]\non_unhealthy = \"mark\"\n")
            .config
            .on_unhealthy,
        OnUnhealthy::Mark
    );
}

#[test]
fn instance_id_rules() {
    for id in ["", "a/b", "leader", "web 1", "tab\there"] {
        let value = format!("{id:?}");
        assert_eq!(
            errors(&format!("[registry]\ninstance_id = {value}\n")),
            [format!(
                "2:15: registry.instance_id = {value}: expected a non-empty id without '/' or whitespace, other than \"leader\" (reserved)"
            )],
            "{id:?}"
        );
    }
    assert_eq!(
        ok("[registry]\ninstance_id = \"Leader-2\"\n")
            .instance_id
            .as_deref(),
        Some("Leader-2")
    );
}

#[test]
fn every_registry_error_is_collected_in_file_order() {
    let found = errors(
        "[registry]\nendpoints = [\"http://a:2379\", \"ftp://b\"]\nprefix = \"x\"\nttl = \"1s\"\n\
         address = \"\"\nmetadata = { n = 1 }\ncredentials_file = \"steward.toml\"\ntls_cert = \"c\"\n\
         on_unhealthy = \"x\"\ninstance_id = \"leader\"\ncolour = \"red\"\n",
    );
    let positions: Vec<&str> = found
        .iter()
        .map(|l| l.split(": ").next().unwrap())
        .collect();
    assert_eq!(
        positions,
        [
            "2:31", "3:10", "4:7", "5:11", "6:18", "7:20", "8:12", "8:12", "9:16", "10:15", "11:1"
        ],
        "{found:#?}"
    );
    assert!(found[6].contains("https://"), "{found:?}");
    assert!(found[7].contains("tls_key as well"), "{found:?}");
}

#[test]
fn not_a_table() {
    assert_eq!(
        errors_after("", &format!("registry = 5\n{BASE}")),
        ["1:12: registry: expected a table [registry]"]
    );
}

#[test]
fn the_documented_example_is_valid() {
    let doc = include_str!("../../../../docs/config.md");
    let section = &doc[doc.find("## `[registry]`").expect("no [registry] section")..];
    let start = section.find("```\n[registry]\n").unwrap() + "```\n".len();
    let example = &section[start..start + section[start..].find("```").unwrap()];
    let registry = ok(example);
    assert_eq!(registry.config.endpoints.len(), 3);
    assert_eq!(
        registry.config.tls.unwrap().ca.as_deref(),
        Some(Path::new("/srv/app/tls/etcd-ca.pem"))
    );
}

#[test]
fn metadata_errors_stay_on_one_line() {
    let found =
        errors("[registry.metadata]\nzone = \"a\"\n[registry.metadata.rack]\nrow = 1\ncol = 2\n");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("3:1: registry.metadata.rack: invalid type: table `")
            && !found[0].contains('\n'),
        "{found:?}"
    );
}
