//! Kernel handles as RAII values.

use std::io;

use windows_sys::Win32::Foundation::{CloseHandle, HANDLE, INVALID_HANDLE_VALUE};

/// An open kernel handle, closed exactly once on drop.
#[derive(Debug)]
pub(crate) struct OwnedHandle(HANDLE);

// SAFETY: a kernel handle is a process-wide value; every API we call on it is thread-safe.
unsafe impl Send for OwnedHandle {}
// SAFETY: as above; `&OwnedHandle` only lends the raw value to thread-safe kernel calls.
unsafe impl Sync for OwnedHandle {}

impl OwnedHandle {
    /// Takes ownership of `raw` as returned by a creating call; null or
    /// `INVALID_HANDLE_VALUE` become the last OS error.
    pub(crate) fn from_raw(raw: HANDLE) -> io::Result<Self> {
        if raw.is_null() || raw == INVALID_HANDLE_VALUE {
            Err(io::Error::last_os_error())
        } else {
            Ok(OwnedHandle(raw))
        }
    }

    /// The raw value, valid while `self` lives.
    pub(crate) fn raw(&self) -> HANDLE {
        self.0
    }
}

impl Drop for OwnedHandle {
    fn drop(&mut self) {
        // SAFETY: the handle is open (checked in `from_raw`) and owned only by us.
        unsafe { CloseHandle(self.0) };
    }
}

/// Turns a Win32 `BOOL` result into `io::Result`, with the last OS error on failure.
pub(crate) fn check(ok: i32) -> io::Result<()> {
    if ok == 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// `s` as a NUL-terminated UTF-16 string.
pub(crate) fn wide(s: &std::ffi::OsStr) -> Vec<u16> {
    use std::os::windows::ffi::OsStrExt;
    s.encode_wide().chain(Some(0)).collect()
}
