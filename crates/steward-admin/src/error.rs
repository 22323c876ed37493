//! Typed errors of the admin endpoint.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Why the admin endpoint could not start or a client call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AdminError {
    /// A non-loopback address was configured without a tokens file.
    #[error(
        "refusing to bind admin endpoint to non-loopback address {0} without a tokens file ([admin] tokens_file)"
    )]
    NonLoopbackWithoutTokens(SocketAddr),
    /// The tokens file could not be read.
    #[error("cannot read admin tokens file {path}: {source}")]
    TokensRead {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The tokens file can be read or written by other accounts.
    #[error(
        "admin tokens file {path} is accessible by group or others (mode {mode:o}); run `chmod 600` on it"
    )]
    TokensPermissions {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// A line of the tokens file is malformed.
    #[error("admin tokens file {path}:{line}: {reason}")]
    TokensSyntax {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong (never the token itself).
        reason: String,
    },
    /// The tokens file holds no token.
    #[error("admin tokens file {0} holds no token")]
    TokensEmpty(PathBuf),
    /// The listening socket could not be bound.
    #[error("cannot bind admin endpoint to {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The server failed while running, or its runtime could not start.
    #[error("admin endpoint failed: {0}")]
    Serve(#[source] std::io::Error),
    /// A client request failed (connection, status or body).
    #[error("admin request failed: {0}")]
    Client(String),
}
