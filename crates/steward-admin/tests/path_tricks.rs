//! Path and method tricks must not reach a control action, with any token or none.
//! Every request is sent as exact bytes (HTTP clients would normalise these paths).

mod common;

use common::*;

/// (request line, expected status)
const TRICKS: &[(&str, u16)] = &[
    ("POST /status/../restart HTTP/1.1", 404),
    ("POST /status/%2e%2e/restart HTTP/1.1", 404),
    ("POST /./restart HTTP/1.1", 404),
    ("POST /restart/ HTTP/1.1", 404),
    ("POST //restart HTTP/1.1", 404),
    ("POST /%72estart HTTP/1.1", 404),
    ("POST /%2frestart HTTP/1.1", 404),
    ("POST /status%2f..%2frestart HTTP/1.1", 404),
    ("POST /RESTART HTTP/1.1", 404),
    ("POST /restart%00 HTTP/1.1", 404),
    ("POST /restart;x HTTP/1.1", 404),
    ("POST /healthz/../stop HTTP/1.1", 404),
    ("HEAD /restart HTTP/1.1", 405),
    ("GET /restart HTTP/1.1", 405),
    ("PUT /restart HTTP/1.1", 405),
    ("DELETE /stop HTTP/1.1", 405),
    ("GET /start HTTP/1.1", 405),
    ("POST /status HTTP/1.1", 405),
    ("GET /status/ HTTP/1.1", 404),
    ("GET //status HTTP/1.1", 404),
    ("GET /nope HTTP/1.1", 404),
];

#[test]
fn path_and_method_tricks_never_reach_control_in_any_auth_case() {
    let sup = FakeSupervisor::new();
    let (_dir, tokens) = tokens_file();
    let admin = start(&sup, Some(tokens));
    let a = admin.local_addr();
    for token in [
        None,
        Some(WRONG_TOKEN),
        Some(READ_TOKEN),
        Some(CONTROL_TOKEN),
    ] {
        for (line, want) in TRICKS {
            let r = raw(a, line, token);
            assert_eq!(r.code, *want, "{line} with {token:?}: {}", r.head);
        }
    }
    assert!(
        sup.actions().is_empty(),
        "a trick reached the supervisor: {:?}",
        sup.actions()
    );
}

#[test]
fn absolute_form_and_query_strings_are_still_authorised() {
    let sup = FakeSupervisor::new();
    let (_dir, tokens) = tokens_file();
    let admin = start(&sup, Some(tokens));
    let a = admin.local_addr();
    assert_eq!(
        raw(
            a,
            "POST http://127.0.0.1/restart HTTP/1.1",
            Some(READ_TOKEN)
        )
        .code,
        403
    );
    assert_eq!(raw(a, "POST /restart?force=1 HTTP/1.1", None).code, 401);
    assert_eq!(
        raw(a, "POST /restart?token=x HTTP/1.1", Some(READ_TOKEN)).code,
        403
    );
    assert_eq!(
        raw(
            a,
            &format!("POST /restart?access_token={CONTROL_TOKEN} HTTP/1.1"),
            None
        )
        .code,
        401
    );
    assert!(sup.actions().is_empty());
    // Two Authorization headers: the first (read) counts, so no control.
    let two = format!(
        "POST /restart HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\nAuthorization: Bearer {READ_TOKEN}\r\nAuthorization: Bearer {CONTROL_TOKEN}\r\n\r\n"
    );
    assert_ne!(raw_bytes(a, two.as_bytes()).code, 202);
    assert!(sup.actions().is_empty());
}
