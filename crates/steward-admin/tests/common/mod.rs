//! A fake supervisor, a tokens file, and a raw HTTP/1.1 client that sends exact bytes.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use steward_admin::*;
use steward_health::{CheckResult, CheckRole, HealthState};

pub const READ_TOKEN: &str = "read-token-0123456789abcdef";
pub const CONTROL_TOKEN: &str = "control-token-fedcba9876543210";
pub const WRONG_TOKEN: &str = "wrong-token-00000000000000000";
/// Secrets the fake supervisor knows (program env and argv) and must never show.
pub const ENV_SECRET: &str = "env-secret-hunter2-Zq8";
pub const ARG_SECRET: &str = "arg-secret-swordfish-Kx3";
/// The registry's credentials (as `[registry] credentials_file` holds them) must never show.
pub const REGISTRY_USER: &str = "registry-user-Qv7";
pub const REGISTRY_PASSWORD: &str = "registry-pass-Tj4";

/// What a real supervisor would hold: the program's configuration with secrets, and its state.
pub struct FakeSupervisor {
    pub env: Vec<(String, String)>,
    pub args: Vec<String>,
    pub state: Mutex<ServiceState>,
    pub health: Mutex<Option<Arc<HealthState>>>,
    pub actions: Mutex<Vec<ControlAction>>,
    pub refuse: Mutex<Option<ControlError>>,
    /// The `user:password` line of the registry's credentials file.
    pub registry_credentials: String,
    pub registry: Mutex<Option<RegistryReport>>,
}

/// A registration in an etcd outage: etcd refused the credentials.
pub fn retrying_registry() -> RegistryReport {
    RegistryReport {
        state: RegistryState::Retrying,
        key: Some("/services/fake/host1-42".into()),
        lease_id: None,
        health: None,
        role: Some(ElectionRole::Leader),
        attempts: 4,
        last_error: Some(
            "etcd: grpc request error: status: InvalidArgument, message: \"etcdserver: \
             authentication failed, invalid user ID or password\""
                .into(),
        ),
        in_state: Some(Duration::from_secs(3)),
    }
}

impl FakeSupervisor {
    pub fn new() -> Arc<Self> {
        let health = HealthState {
            ready: true,
            live: true,
            results: vec![CheckResult {
                name: "web".into(),
                role: CheckRole::Both,
                ok: true,
                duration: Duration::from_millis(3),
                message: "status 200".into(),
                consecutive_failures: 0,
                failures_total: 2,
            }],
            status: Some("serving".into()),
        };
        Arc::new(Self {
            env: vec![("API_KEY".into(), ENV_SECRET.into())],
            args: vec!["--password".into(), ARG_SECRET.into()],
            state: Mutex::new(ServiceState::Running),
            health: Mutex::new(Some(Arc::new(health))),
            actions: Mutex::new(Vec::new()),
            refuse: Mutex::new(None),
            registry_credentials: format!("{REGISTRY_USER}:{REGISTRY_PASSWORD}"),
            registry: Mutex::new(None),
        })
    }
    pub fn actions(&self) -> Vec<ControlAction> {
        self.actions.lock().unwrap().clone()
    }
}

impl StatusSource for FakeSupervisor {
    fn status(&self) -> ServiceStatus {
        ServiceStatus {
            name: "fake".into(),
            state: *self.state.lock().unwrap(),
            pid: Some(std::process::id()),
            uptime: Some(Duration::from_secs(12)),
            restarts: 3,
            last_exit: Some(LastExit {
                code: Some(7),
                signal: None,
            }),
            health: self.health.lock().unwrap().clone(),
            log: LogCounters {
                bytes_written: 1234,
                bytes_dropped: 5,
            },
            registry: self.registry.lock().unwrap().clone(),
        }
    }
}

impl ControlSink for FakeSupervisor {
    fn control(&self, action: ControlAction) -> Result<(), ControlError> {
        if let Some(e) = self.refuse.lock().unwrap().clone() {
            return Err(e);
        }
        self.actions.lock().unwrap().push(action);
        Ok(())
    }
}

/// A tokens file with one read and one control token (created 0600 by tempfile on Unix).
pub fn tokens_file() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens");
    let mut f = tempfile::NamedTempFile::new_in(dir.path()).unwrap();
    writeln!(
        f,
        "# admin tokens\nread:{READ_TOKEN}\ncontrol:{CONTROL_TOKEN}"
    )
    .unwrap();
    f.persist(&path).unwrap();
    (dir, path)
}

pub fn start(sup: &Arc<FakeSupervisor>, tokens: Option<PathBuf>) -> AdminHandle {
    let config = AdminConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        tokens_file: tokens,
    };
    AdminHandle::start(&config, sup.clone(), sup.clone()).expect("admin starts")
}

/// A parsed response: status code, raw head, body.
#[derive(Debug)]
pub struct Reply {
    pub code: u16,
    pub head: String,
    pub body: String,
}

/// Sends `request_line` + optional bearer token exactly as written; reads the whole reply.
pub fn raw(addr: SocketAddr, request_line: &str, token: Option<&str>) -> Reply {
    let mut req = format!("{request_line}\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    if let Some(t) = token {
        req.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    if request_line.starts_with("POST") || request_line.starts_with("PUT") {
        req.push_str("Content-Length: 0\r\n");
    }
    req.push_str("\r\n");
    raw_bytes(addr, req.as_bytes())
}

/// Sends exact bytes; reads until the server closes (5 s read deadline).
pub fn raw_bytes(addr: SocketAddr, bytes: &[u8]) -> Reply {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(bytes).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out)
        .expect("server answers and closes within 5 s");
    let text = String::from_utf8_lossy(&out).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let code = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    Reply {
        code,
        head: head.to_owned(),
        body: body.to_owned(),
    }
}
