//! The tokens file: Unix permission refusal, syntax errors that never echo a token.
#![cfg(unix)]

mod common;

use std::os::unix::fs::PermissionsExt;

use common::*;
use steward_admin::{AdminConfig, AdminError, AdminHandle};

fn start_with(path: std::path::PathBuf) -> Result<AdminHandle, AdminError> {
    let sup = FakeSupervisor::new();
    let config = AdminConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        tokens_file: Some(path),
    };
    AdminHandle::start(&config, sup.clone(), sup)
}

#[test]
fn tokens_file_readable_by_group_or_others_is_refused() {
    for mode in [0o640, 0o604, 0o660, 0o644, 0o602] {
        let (_dir, path) = tokens_file();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        let e = start_with(path.clone()).err().expect("refused");
        assert!(
            matches!(e, AdminError::TokensPermissions { .. }),
            "{mode:o}: {e}"
        );
        assert_eq!(
            e.to_string(),
            format!(
                "admin tokens file {} is accessible by group or others (mode {mode:o}); run `chmod 600` on it",
                path.display()
            )
        );
    }
    let (_dir, path) = tokens_file();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).unwrap();
    start_with(path).expect("0400 is fine").shutdown().unwrap();
}

#[test]
fn bad_tokens_files_are_refused_without_echoing_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t");
    for (text, reason) in [
        ("read:tooshort", "1: token must be at least 16 characters"),
        ("# only a comment\n", "holds no token"),
        (
            "\nroot:aaaaaaaaaaaaaaaaaaaa",
            "2: role must be read or control",
        ),
        ("aaaaaaaaaaaaaaaaaaaa", "1: expected role:token"),
    ] {
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let e = start_with(path.clone()).err().expect("refused").to_string();
        assert!(e.contains(reason), "{e}");
        assert!(
            !e.contains("aaaaaaaaaaaaaaaa") && !e.contains("tooshort"),
            "{e}"
        );
    }
    let missing = start_with(dir.path().join("missing"))
        .err()
        .unwrap()
        .to_string();
    assert!(
        missing.starts_with("cannot read admin tokens file"),
        "{missing}"
    );
}
