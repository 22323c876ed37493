//! The winget manifests against the 1.6 multi-file schema: the three files and their names,
//! every required field of each manifest type, no field the schema does not know, and the
//! schema's value rules (identifier and version patterns, lengths, enums, SHA-256 of the real
//! artifact, product codes). No YAML crate is in the lockfile, so the manifests are read by a
//! small parser for the block subset the templates write (mappings, sequences of mappings,
//! plain and JSON-quoted scalars); it refuses anything else.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{Map, Value};

/// One meaningful line: indentation and content.
#[derive(Clone)]
struct Line {
    indent: usize,
    text: String,
}

/// Parses the YAML block subset the templates write into JSON values.
fn parse_yaml(text: &str) -> Value {
    let mut lines: Vec<Line> = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|l| Line {
            indent: l.len() - l.trim_start().len(),
            text: l.trim_start().to_owned(),
        })
        .collect();
    assert!(lines.iter().all(|l| !l.text.contains('\t')), "tabs in YAML");
    let mut pos = 0;
    let value = parse_map(&mut lines, &mut pos, 0);
    assert_eq!(pos, lines.len(), "unparsed line: {:?}", lines[pos].text);
    Value::Object(value)
}

fn parse_map(lines: &mut [Line], pos: &mut usize, indent: usize) -> Map<String, Value> {
    let mut map = Map::new();
    while *pos < lines.len() && lines[*pos].indent == indent && !lines[*pos].text.starts_with("- ")
    {
        let text = lines[*pos].text.clone();
        let (key, value) = match text.split_once(": ") {
            Some((k, v)) => (k.to_owned(), v.trim().to_owned()),
            None => (
                text.strip_suffix(':')
                    .unwrap_or_else(|| panic!("not a mapping entry: {text:?}"))
                    .to_owned(),
                String::new(),
            ),
        };
        assert!(
            key.chars().all(|c| c.is_ascii_alphanumeric()),
            "key {key:?}"
        );
        *pos += 1;
        let value = if !value.is_empty() {
            scalar(&value)
        } else if *pos < lines.len()
            && lines[*pos].text.starts_with("- ")
            && lines[*pos].indent >= indent
        {
            let seq_indent = lines[*pos].indent;
            Value::Array(parse_seq(lines, pos, seq_indent))
        } else if *pos < lines.len() && lines[*pos].indent > indent {
            let child = lines[*pos].indent;
            Value::Object(parse_map(lines, pos, child))
        } else {
            panic!("{key}: empty value")
        };
        assert!(map.insert(key.clone(), value).is_none(), "{key} twice");
    }
    map
}

fn parse_seq(lines: &mut [Line], pos: &mut usize, indent: usize) -> Vec<Value> {
    let mut items = Vec::new();
    while *pos < lines.len() && lines[*pos].indent == indent && lines[*pos].text.starts_with("- ") {
        // `- key: value` is a mapping whose keys sit two columns further in.
        lines[*pos] = Line {
            indent: indent + 2,
            text: lines[*pos].text[2..].to_owned(),
        };
        items.push(Value::Object(parse_map(lines, pos, indent + 2)));
    }
    items
}

/// A JSON-quoted scalar, or a plain one restricted to characters YAML reads as a string here.
fn scalar(text: &str) -> Value {
    if text.starts_with('"') {
        return Value::String(serde_json::from_str(text).expect("a JSON-quoted scalar"));
    }
    assert!(
        text.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-'),
        "a plain scalar YAML might read as something else: {text:?}"
    );
    Value::String(text.to_owned())
}

fn str_of<'a>(object: &'a Value, key: &str) -> &'a str {
    object[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} missing or not a string in {object}"))
}

/// The keys of `object` are all in `allowed` and include every one of `required`.
fn keys(object: &Value, required: &[&str], allowed: &[&str], what: &str) {
    let present: BTreeSet<&str> = object
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for key in required {
        assert!(present.contains(key), "{what}: required {key} missing");
    }
    for key in &present {
        assert!(
            allowed.contains(key) || required.contains(key),
            "{what}: {key} is not in the schema"
        );
    }
}

/// `PackageIdentifier`: 2 to 8 dot-separated parts of 1 to 32 characters, none of
/// `\ / : * ? " < > |`, whitespace or control characters.
fn valid_identifier(id: &str) -> bool {
    let parts: Vec<&str> = id.split('.').collect();
    (2..=8).contains(&parts.len())
        && parts.iter().all(|p| {
            (1..=32).contains(&p.chars().count())
                && p.chars()
                    .all(|c| !c.is_whitespace() && !c.is_control() && !"\\/:*?\"<>|".contains(c))
        })
}

fn length_between(text: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&text.chars().count())
}

fn read(path: &Path) -> Value {
    parse_yaml(&std::fs::read_to_string(path).unwrap())
}

#[test]
fn the_parser_refuses_what_it_does_not_understand() {
    for bad in ["Key: yes no", "Key: [a, b]", "Key:\n", "Key: 1\nKey: 2"] {
        assert!(
            std::panic::catch_unwind(|| parse_yaml(bad)).is_err(),
            "{bad:?}"
        );
    }
    let value = parse_yaml("A: \"x\"\nB:\n- C: d\n  E:\n    F: \"g\"\n- C: h\nI: 1.6.0\n");
    assert_eq!(
        value,
        serde_json::json!({"A": "x", "B": [{"C": "d", "E": {"F": "g"}}, {"C": "h"}], "I": "1.6.0"})
    );
}

#[test]
fn the_manifests_hold_every_required_field_of_schema_1_6() {
    let dir = tempfile::tempdir().unwrap();
    let exe = common::fake_exe(dir.path());
    let config = common::project(dir.path(), &exe, "1.2.3", r#"["msi", "nsis"]"#, "");
    let out = dir.path().join("out");
    common::package(&config, &out);
    let winget = out.join("winget");
    let id = "ExampleCorp.HelloService";
    let mut names: Vec<String> = std::fs::read_dir(&winget)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            format!("{id}.installer.yaml"),
            format!("{id}.locale.en-US.yaml"),
            format!("{id}.yaml"),
        ]
    );
    let version = read(&winget.join(format!("{id}.yaml")));
    let installer = read(&winget.join(format!("{id}.installer.yaml")));
    let locale = read(&winget.join(format!("{id}.locale.en-US.yaml")));

    // Shared by all three: the same identity, the manifest type and version.
    for (manifest, kind) in [
        (&version, "version"),
        (&installer, "installer"),
        (&locale, "defaultLocale"),
    ] {
        assert_eq!(str_of(manifest, "PackageIdentifier"), id);
        assert!(valid_identifier(str_of(manifest, "PackageIdentifier")));
        assert_eq!(str_of(manifest, "PackageVersion"), "1.2.3");
        assert_eq!(str_of(manifest, "ManifestType"), kind);
        assert_eq!(str_of(manifest, "ManifestVersion"), "1.6.0");
    }
    let common_keys = [
        "PackageIdentifier",
        "PackageVersion",
        "ManifestType",
        "ManifestVersion",
    ];

    keys(
        &version,
        &[&common_keys[..], &["DefaultLocale"]].concat(),
        &[],
        "version manifest",
    );
    assert_eq!(str_of(&version, "DefaultLocale"), "en-US");

    keys(
        &locale,
        &[
            &common_keys[..],
            &[
                "PackageLocale",
                "Publisher",
                "PackageName",
                "License",
                "ShortDescription",
            ],
        ]
        .concat(),
        &["Description", "PublisherUrl", "LicenseUrl", "Tags"],
        "defaultLocale manifest",
    );
    assert_eq!(
        str_of(&locale, "PackageLocale"),
        str_of(&version, "DefaultLocale")
    );
    assert!(length_between(str_of(&locale, "Publisher"), 2, 256));
    assert!(length_between(str_of(&locale, "PackageName"), 2, 256));
    assert!(length_between(str_of(&locale, "License"), 3, 512));
    assert!(length_between(str_of(&locale, "ShortDescription"), 3, 256));

    keys(
        &installer,
        &[&common_keys[..], &["Installers"]].concat(),
        &["Scope", "ElevationRequirement", "UpgradeBehavior"],
        "installer manifest",
    );
    assert_eq!(str_of(&installer, "Scope"), "machine");
    assert_eq!(
        str_of(&installer, "ElevationRequirement"),
        "elevationRequired"
    );
    assert!(
        ["install", "uninstallPrevious", "deny"].contains(&str_of(&installer, "UpgradeBehavior"))
    );
    let installers = installer["Installers"].as_array().unwrap();
    assert_eq!(installers.len(), 2, "the MSI and the NSIS setup");
    let stem = "hello-service_1.2.3_windows_x86_64";
    let expected = [
        (
            "msi",
            format!("{stem}.msi"),
            format!(
                "{{{}}}",
                steward_pack::product_code("0b3c7a5e-1111-4222-8333-444455556666", "1.2.3")
            ),
            "INSTALLDIR=\"<INSTALLPATH>\"",
        ),
        (
            "nullsoft",
            format!("{stem}_setup.exe"),
            "{0B3C7A5E-1111-4222-8333-444455556666}".to_owned(),
            "/D=<INSTALLPATH>",
        ),
    ];
    for (entry, (kind, file, product_code, location)) in installers.iter().zip(expected) {
        keys(
            entry,
            &["Architecture", "InstallerUrl", "InstallerSha256"],
            &[
                "InstallerType",
                "ProductCode",
                "InstallerSwitches",
                "AppsAndFeaturesEntries",
            ],
            "installer entry",
        );
        assert_eq!(str_of(entry, "Architecture"), "x64");
        assert_eq!(str_of(entry, "InstallerType"), kind);
        let url = str_of(entry, "InstallerUrl");
        assert!(
            url.starts_with("https://") && url.ends_with(&format!("/{file}")),
            "{url}"
        );
        let sha = str_of(entry, "InstallerSha256");
        assert!(
            sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit()),
            "{sha}"
        );
        assert_eq!(
            sha.to_ascii_lowercase(),
            steward_pack::sha256_file(&out.join(&file)).unwrap(),
            "{file}"
        );
        assert_eq!(str_of(entry, "ProductCode"), product_code);
        let switches = &entry["InstallerSwitches"];
        keys(
            switches,
            &["Silent", "SilentWithProgress", "InstallLocation"],
            &[],
            "InstallerSwitches",
        );
        assert_eq!(str_of(switches, "InstallLocation"), location);
        for key in ["Silent", "SilentWithProgress"] {
            assert!(length_between(str_of(switches, key), 1, 512));
        }
        if kind == "msi" {
            let entries = entry["AppsAndFeaturesEntries"].as_array().unwrap();
            assert_eq!(
                str_of(&entries[0], "UpgradeCode"),
                "{0B3C7A5E-1111-4222-8333-444455556666}"
            );
        }
    }
}
