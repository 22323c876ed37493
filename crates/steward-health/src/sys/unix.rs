//! Unix backend: a datagram socket at a filesystem path, as systemd's `NOTIFY_SOCKET`.

use std::io;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A bound notify socket; the socket file is removed on drop.
#[derive(Debug)]
pub(crate) struct NotifyEndpoint {
    socket: UnixDatagram,
    path: PathBuf,
}

impl NotifyEndpoint {
    /// Binds at `path`, replacing a stale socket file (never any other kind of file).
    pub fn bind(path: &Path) -> io::Result<Self> {
        if let Ok(meta) = std::fs::symlink_metadata(path) {
            if !meta.file_type().is_socket() {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    "path exists and is not a socket",
                ));
            }
            std::fs::remove_file(path)?;
        }
        let socket = UnixDatagram::bind(path)?;
        // Only the service account (and so the wrapped program) may send.
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        Ok(Self {
            socket,
            path: path.to_owned(),
        })
    }

    /// The value for `NOTIFY_SOCKET`.
    pub fn address(&self) -> String {
        self.path.display().to_string()
    }

    /// Receives one datagram, waiting at most `timeout`; `Ok(None)` when nothing came.
    pub fn recv_timeout(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<Option<usize>> {
        self.socket
            .set_read_timeout(Some(timeout.max(Duration::from_millis(1))))?;
        match self.socket.recv(buf) {
            Ok(n) => Ok(Some(n)),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }
}

impl Drop for NotifyEndpoint {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
