//! Test harness: a real etcd on loopback with a temporary data directory, optionally with
//! TLS (certificates made by `openssl`) and authentication (a user with a role).

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use steward_registry::{RegistryConfig, TlsFiles};

const INSTALL_HINT: &str = "etcd not found: apt-get install -y etcd-server etcd-client";

/// User, password and role that the TLS + auth server grants `/services/` to.
pub const USER: &str = "app";
/// Password of [`USER`].
pub const PASSWORD: &str = "app-secret";

/// One etcd server owned by a test; killed (SIGKILL) on drop.
pub struct Etcd {
    dir: tempfile::TempDir,
    client_port: u16,
    peer_port: u16,
    tls: bool,
    child: Option<Child>,
}

/// A free loopback port (bound, then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind a loopback port")
}

fn which(binary: &str) -> PathBuf {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join(binary))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{INSTALL_HINT} ({binary} is not on PATH)"))
}

impl Etcd {
    /// Prepares a plain-HTTP server on free ports without starting it.
    pub fn new() -> Etcd {
        Etcd {
            dir: tempfile::tempdir().expect("temp dir"),
            client_port: free_port(),
            peer_port: free_port(),
            tls: false,
            child: None,
        }
    }

    /// Starts a plain-HTTP server and waits until it is healthy.
    pub fn start() -> Etcd {
        let mut etcd = Etcd::new();
        etcd.launch();
        etcd
    }

    /// Starts a server with TLS (client certificates required) and auth enabled: `root` and
    /// [`USER`] with a role that may read and write `/services/`.
    pub fn start_tls_auth() -> Etcd {
        let mut etcd = Etcd::new();
        etcd.tls = true;
        make_certificates(etcd.dir.path());
        etcd.launch();
        let ctl = |args: &[&str]| etcd.etcdctl(args, None);
        ctl(&["user", "add", "root:root-secret"]);
        ctl(&["role", "add", "registry"]);
        ctl(&[
            "role",
            "grant-permission",
            "registry",
            "--prefix=true",
            "readwrite",
            "/services/",
        ]);
        ctl(&["user", "add", &format!("{USER}:{PASSWORD}")]);
        ctl(&["user", "grant-role", USER, "registry"]);
        ctl(&["auth", "enable"]);
        etcd
    }

    /// The client URL.
    pub fn endpoint(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://127.0.0.1:{}", self.client_port)
    }

    /// The client port.
    pub fn port(&self) -> u16 {
        self.client_port
    }

    /// A registry config for this server with the given TTL (TLS files set when TLS is on).
    pub fn config(&self, ttl: Duration) -> RegistryConfig {
        let mut config = RegistryConfig::new([self.endpoint()]);
        config.ttl = ttl;
        if self.tls {
            let dir = self.dir.path();
            config.tls = Some(TlsFiles {
                ca: Some(dir.join("ca.crt")),
                cert: Some(dir.join("client.crt")),
                key: Some(dir.join("client.key")),
            });
        }
        config
    }

    /// Writes `user:password` to a file and returns its path.
    pub fn credentials_file(&self, user: &str, password: &str) -> PathBuf {
        let path = self.dir.path().join(format!("{user}.credentials"));
        std::fs::write(&path, format!("{user}:{password}\n")).expect("write credentials");
        path
    }

    /// Starts the server (same data dir and ports as before) and waits for health.
    pub fn launch(&mut self) {
        assert!(self.child.is_none(), "etcd already running");
        let dir = self.dir.path();
        let scheme = if self.tls { "https" } else { "http" };
        let client = format!("{scheme}://127.0.0.1:{}", self.client_port);
        let peer = format!("http://127.0.0.1:{}", self.peer_port);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("etcd.log"))
            .expect("etcd log");
        let mut command = Command::new(which("etcd"));
        command
            .arg("--name=test")
            .arg(format!("--data-dir={}", dir.join("data").display()))
            .arg(format!("--listen-client-urls={client}"))
            .arg(format!("--advertise-client-urls={client}"))
            .arg(format!("--listen-peer-urls={peer}"))
            .arg(format!("--initial-advertise-peer-urls={peer}"))
            .arg(format!("--initial-cluster=test={peer}"))
            .arg("--log-level=warn")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log);
        if self.tls {
            command
                .arg(format!("--cert-file={}", dir.join("server.crt").display()))
                .arg(format!("--key-file={}", dir.join("server.key").display()))
                .arg(format!(
                    "--trusted-ca-file={}",
                    dir.join("ca.crt").display()
                ))
                .arg("--client-cert-auth");
        }
        self.child = Some(command.spawn().expect(INSTALL_HINT));
        self.wait_healthy(Duration::from_secs(30));
    }

    /// Polls `etcdctl endpoint health` until it succeeds; panics with the log at the deadline.
    pub fn wait_healthy(&self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if self.try_etcdctl(&["endpoint", "health"], None).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("etcd not healthy after {timeout:?}; log:\n{}", self.log());
    }

    /// SIGKILLs the server (data dir kept) and reaps it.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGKILL and start again with the same data dir.
    pub fn restart(&mut self) {
        self.kill9();
        self.launch();
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("etcd.log")).unwrap_or_default()
    }

    /// Runs etcdctl (as root when auth is on) and panics on failure.
    pub fn etcdctl(&self, args: &[&str], user: Option<&str>) -> String {
        self.try_etcdctl(args, user)
            .unwrap_or_else(|e| panic!("etcdctl {args:?}: {e}"))
    }

    fn try_etcdctl(&self, args: &[&str], user: Option<&str>) -> Result<String, String> {
        let mut command = Command::new(which("etcdctl"));
        command
            .env("ETCDCTL_API", "3")
            .arg(format!("--endpoints={}", self.endpoint()))
            .arg("--command-timeout=2s")
            .args(args);
        if self.tls {
            let dir = self.dir.path();
            command
                .arg(format!("--cacert={}", dir.join("ca.crt").display()))
                .arg(format!("--cert={}", dir.join("client.crt").display()))
                .arg(format!("--key={}", dir.join("client.key").display()));
        }
        if let Some(user) = user {
            command.arg(format!("--user={user}"));
        }
        let output = command
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("{INSTALL_HINT}: {e}"))?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&output.stderr).into_owned())
        }
    }
}

impl Drop for Etcd {
    fn drop(&mut self) {
        self.kill9();
    }
}

fn openssl(dir: &Path, args: &[&str]) {
    let output = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("openssl not found: apt-get install -y openssl");
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A CA, a server certificate for 127.0.0.1/localhost and a client certificate for [`USER`].
fn make_certificates(dir: &Path) {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let mut ca = vec!["req", "-x509"];
    ca.extend(ec);
    ca.extend(["-keyout", "ca.key", "-out", "ca.crt", "-days", "2"]);
    ca.extend(["-subj", "/CN=steward-test-ca"]);
    openssl(dir, &ca);
    for (name, cn, ext) in [
        (
            "server",
            "localhost",
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
        ),
        ("client", USER, "extendedKeyUsage=clientAuth\n"),
    ] {
        std::fs::write(dir.join(format!("{name}.ext")), ext).expect("ext file");
        let key = format!("{name}.key");
        let csr = format!("{name}.csr");
        let crt = format!("{name}.crt");
        let subj = format!("/CN={cn}");
        let mut req = vec!["req"];
        req.extend(ec);
        req.extend(["-keyout", &key, "-out", &csr, "-subj", &subj]);
        openssl(dir, &req);
        let extfile = format!("{name}.ext");
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                &crt,
                "-days",
                "2",
                "-extfile",
                &extfile,
            ],
        );
    }
}

/// Path of an example binary of this crate: `cargo test` builds them into this profile's
/// `examples/`; for `cargo bench` run `cargo build --release --examples -p steward-registry` first.
pub fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    let profile = exe.parent().and_then(Path::parent).expect("target dir");
    let file = format!("{name}{}", std::env::consts::EXE_SUFFIX);
    let path = profile.join("examples").join(&file);
    assert!(
        path.is_file(),
        "{} missing: `cargo test -p steward-registry` builds it; before `cargo bench` run \
         `cargo build --release --examples -p steward-registry`",
        path.display()
    );
    path
}
