//! The platform seam: [`native`] returns this platform's [`ServiceManager`](super::ServiceManager).
//! Each backend defines its own `native()`; this file only re-exports the one that applies.

#[cfg(windows)]
pub use super::scm::native;
#[cfg(unix)]
pub use super::systemd::native;
