//! The sd_notify protocol: datagrams of `KEY=value` lines sent to `$NOTIFY_SOCKET`.
//!
//! Written by hand because it is a dozen lines over `UnixDatagram`, and the crates for it either
//! lack abstract-socket support or pull in libsystemd.

use std::io;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::time::Duration;

/// A connection to the service manager's notification socket.
#[derive(Debug)]
pub(crate) struct NotifySocket {
    socket: UnixDatagram,
    address: SocketAddr,
}

impl NotifySocket {
    /// Connects to `$NOTIFY_SOCKET` if it is set: a filesystem path, or `@name` for an abstract
    /// socket. `Ok(None)` when not running under a manager that wants notifications.
    pub fn from_env() -> io::Result<Option<Self>> {
        match std::env::var_os("NOTIFY_SOCKET") {
            None => Ok(None),
            Some(value) if value.is_empty() => Ok(None),
            Some(value) => Self::connect(&value.to_string_lossy()).map(Some),
        }
    }

    /// Connects to the given socket address (as `$NOTIFY_SOCKET` spells it).
    pub fn connect(spec: &str) -> io::Result<Self> {
        let address = parse_address(spec)?;
        let socket = UnixDatagram::unbound()?;
        Ok(NotifySocket { socket, address })
    }

    /// Sends one message (one or more `KEY=value` lines).
    pub fn send(&self, message: &str) -> io::Result<()> {
        self.socket
            .send_to_addr(message.as_bytes(), &self.address)
            .map(drop)
    }
}

fn parse_address(spec: &str) -> io::Result<SocketAddr> {
    if let Some(name) = spec.strip_prefix('@') {
        abstract_address(name.as_bytes())
    } else if spec.starts_with('/') {
        SocketAddr::from_pathname(spec)
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("NOTIFY_SOCKET={spec:?}: expected an absolute path or @abstract-name"),
        ))
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn abstract_address(name: &[u8]) -> io::Result<SocketAddr> {
    use std::os::linux::net::SocketAddrExt;
    SocketAddr::from_abstract_name(name)
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn abstract_address(_name: &[u8]) -> io::Result<SocketAddr> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "abstract NOTIFY_SOCKET addresses exist only on Linux",
    ))
}

/// The watchdog period the manager asked for, from `WATCHDOG_USEC` (and `WATCHDOG_PID`, which
/// must name this process when set).
pub(crate) fn watchdog_period_from_env() -> Option<Duration> {
    let usec: u64 = std::env::var("WATCHDOG_USEC").ok()?.trim().parse().ok()?;
    if let Ok(pid) = std::env::var("WATCHDOG_PID")
        && pid.trim().parse::<u32>().ok()? != std::process::id()
    {
        return None;
    }
    (usec > 0).then(|| Duration::from_micros(usec))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_are_refused_with_the_variable_named() {
        let error = parse_address("run/notify").unwrap_err();
        assert!(error.to_string().contains("NOTIFY_SOCKET"), "{error}");
    }

    #[test]
    fn messages_reach_a_path_socket_and_an_abstract_socket() {
        let dir = std::env::temp_dir().join(format!("steward-notify-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("notify.sock");
        let _ = std::fs::remove_file(&path);
        let listener = UnixDatagram::bind(&path).unwrap();
        NotifySocket::connect(path.to_str().unwrap())
            .unwrap()
            .send("READY=1")
            .unwrap();
        let mut buffer = [0u8; 64];
        let n = listener.recv(&mut buffer).unwrap();
        assert_eq!(&buffer[..n], b"READY=1");
        std::fs::remove_dir_all(&dir).unwrap();

        let name = format!("steward-test-{}", std::process::id());
        let address = abstract_address(name.as_bytes()).unwrap();
        let listener = UnixDatagram::bind_addr(&address).unwrap();
        NotifySocket::connect(&format!("@{name}"))
            .unwrap()
            .send("STOPPING=1")
            .unwrap();
        let n = listener.recv(&mut buffer).unwrap();
        assert_eq!(&buffer[..n], b"STOPPING=1");
    }
}
