//! The platform seam: the notify endpoint a wrapped program writes sd_notify messages to.
//! Both backends have the same signatures.

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub(crate) use unix::NotifyEndpoint;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub(crate) use windows::NotifyEndpoint;
