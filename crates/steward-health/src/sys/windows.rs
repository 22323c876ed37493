//! Windows backend: a message-mode named pipe (`\\.\pipe\...`) whose name goes in
//! `NOTIFY_SOCKET`. The program opens it for writing (`CreateFileW`, or `std::fs::OpenOptions`
//! with `write(true)`), writes one sd_notify datagram per `WriteFile`, and may close it after
//! each message (as sd_notify does) or keep it open.
//!
//! One pipe instance, created with `FILE_FLAG_FIRST_PIPE_INSTANCE` (no other process may squat
//! on the name first) and `PIPE_REJECT_REMOTE_CLIENTS`. The default security descriptor of a
//! named pipe gives write access only to LocalSystem, Administrators and the creating account,
//! i.e. the service account the program runs as. All I/O is overlapped so that every wait has a
//! deadline.

use std::io;
use std::os::windows::ffi::OsStrExt;
use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle};
use std::path::Path;
use std::time::{Duration, Instant};

use windows_sys::Win32::Foundation::{
    ERROR_BROKEN_PIPE, ERROR_IO_PENDING, ERROR_MORE_DATA, ERROR_NO_DATA, ERROR_PIPE_CONNECTED,
    GetLastError, HANDLE, INVALID_HANDLE_VALUE, WAIT_OBJECT_0, WAIT_TIMEOUT,
};
use windows_sys::Win32::Storage::FileSystem::{
    FILE_FLAG_FIRST_PIPE_INSTANCE, FILE_FLAG_OVERLAPPED, PIPE_ACCESS_INBOUND, ReadFile,
};
use windows_sys::Win32::System::IO::{CancelIoEx, GetOverlappedResult, OVERLAPPED};
use windows_sys::Win32::System::Pipes::{
    ConnectNamedPipe, CreateNamedPipeW, DisconnectNamedPipe, PIPE_READMODE_MESSAGE,
    PIPE_REJECT_REMOTE_CLIENTS, PIPE_TYPE_MESSAGE, PIPE_WAIT,
};
use windows_sys::Win32::System::Threading::{CreateEventW, WaitForSingleObject};

const BUF: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pending {
    /// Nothing in flight, no client.
    Idle,
    /// `ConnectNamedPipe` in flight.
    Connect,
    /// A client is connected, no read in flight.
    Connected,
    /// `ReadFile` in flight into `buf`.
    Read,
}

/// The pipe server end. The `OVERLAPPED` and the read buffer are boxed: the kernel writes to
/// them while an operation is pending, so they must not move, and `Drop` cancels and waits
/// before freeing them.
pub(crate) struct NotifyEndpoint {
    pipe: OwnedHandle,
    _event: OwnedHandle,
    overlapped: Box<OVERLAPPED>,
    buf: Box<[u8; BUF]>,
    pending: Pending,
    name: String,
}

// SAFETY: the raw event handle inside OVERLAPPED is owned by `_event`; the endpoint is used by
// one thread at a time (moved into the notify thread), and handles may be used from any thread.
unsafe impl Send for NotifyEndpoint {}

impl std::fmt::Debug for NotifyEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NotifyEndpoint({})", self.name)
    }
}

fn last_error() -> u32 {
    // SAFETY: GetLastError has no preconditions.
    unsafe { GetLastError() }
}

fn owned(h: HANDLE) -> io::Result<OwnedHandle> {
    if h.is_null() || h == INVALID_HANDLE_VALUE {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `h` is a valid handle we just created and nobody else owns.
    Ok(unsafe { OwnedHandle::from_raw_handle(h) })
}

impl NotifyEndpoint {
    /// Creates the pipe `path` (must be `\\.\pipe\<name>`).
    pub fn bind(path: &Path) -> io::Result<Self> {
        let name = path.to_string_lossy().into_owned();
        if !name.starts_with(r"\\.\pipe\") {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                r"notify path must be \\.\pipe\<name>",
            ));
        }
        let wide: Vec<u16> = path.as_os_str().encode_wide().chain(Some(0)).collect();
        // SAFETY: `wide` is a NUL-terminated UTF-16 string; a null security descriptor means the
        // default one (see the module docs).
        let pipe = owned(unsafe {
            CreateNamedPipeW(
                wide.as_ptr(),
                PIPE_ACCESS_INBOUND | FILE_FLAG_OVERLAPPED | FILE_FLAG_FIRST_PIPE_INSTANCE,
                PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS,
                1,
                0,
                BUF as u32,
                0,
                std::ptr::null(),
            )
        })?;
        // SAFETY: manual-reset, initially unsignalled, unnamed event.
        let event = owned(unsafe { CreateEventW(std::ptr::null(), 1, 0, std::ptr::null()) })?;
        // SAFETY: OVERLAPPED is plain data; all-zero is its documented initial state.
        let mut overlapped: Box<OVERLAPPED> = Box::new(unsafe { std::mem::zeroed() });
        overlapped.hEvent = event.as_raw_handle();
        Ok(Self {
            pipe,
            _event: event,
            overlapped,
            buf: Box::new([0; BUF]),
            pending: Pending::Idle,
            name,
        })
    }

    /// The value for `NOTIFY_SOCKET`.
    pub fn address(&self) -> String {
        self.name.clone()
    }

    fn h(&self) -> HANDLE {
        self.pipe.as_raw_handle()
    }

    /// Result of the operation in flight; `Ok(n)` bytes, or the Win32 error code.
    fn overlapped_result(&mut self) -> Result<usize, u32> {
        let mut n = 0u32;
        // SAFETY: the operation was started with this OVERLAPPED on this handle and has
        // completed (its event is signalled), so no wait is needed.
        let ok = unsafe { GetOverlappedResult(self.h(), &*self.overlapped, &mut n, 0) };
        if ok != 0 {
            Ok(n as usize)
        } else {
            Err(last_error())
        }
    }

    fn reset_overlapped(&mut self) {
        let event = self.overlapped.hEvent;
        // SAFETY: no operation is in flight when this is called; all-zero is valid.
        *self.overlapped = unsafe { std::mem::zeroed() };
        self.overlapped.hEvent = event;
    }

    fn disconnect(&mut self) {
        // SAFETY: the pipe handle is valid; no operation is in flight.
        unsafe { DisconnectNamedPipe(self.h()) };
        self.pending = Pending::Idle;
    }

    /// Receives one message, waiting at most `timeout`; `Ok(None)` when nothing came.
    pub fn recv_timeout(&mut self, out: &mut [u8], timeout: Duration) -> io::Result<Option<usize>> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.pending {
                Pending::Idle => {
                    self.reset_overlapped();
                    // SAFETY: the OVERLAPPED is boxed and outlives the operation (see Drop).
                    let ok = unsafe { ConnectNamedPipe(self.h(), &mut *self.overlapped) };
                    let err = if ok != 0 {
                        ERROR_PIPE_CONNECTED
                    } else {
                        last_error()
                    };
                    self.pending = match err {
                        ERROR_IO_PENDING => Pending::Connect,
                        // Connected before we asked; ERROR_NO_DATA: and already closed, but what it
                        // wrote may still be buffered: read it (a broken pipe then disconnects).
                        ERROR_PIPE_CONNECTED | ERROR_NO_DATA => Pending::Connected,
                        e => return Err(io::Error::from_raw_os_error(e as i32)),
                    };
                }
                Pending::Connected => {
                    self.reset_overlapped();
                    // SAFETY: buffer and OVERLAPPED are boxed and outlive the operation.
                    let ok = unsafe {
                        ReadFile(
                            self.h(),
                            self.buf.as_mut_ptr(),
                            BUF as u32,
                            std::ptr::null_mut(),
                            &mut *self.overlapped,
                        )
                    };
                    let err = if ok != 0 { 0 } else { last_error() };
                    match err {
                        0 | ERROR_IO_PENDING | ERROR_MORE_DATA => self.pending = Pending::Read,
                        ERROR_BROKEN_PIPE | ERROR_NO_DATA => self.disconnect(),
                        e => {
                            self.disconnect();
                            return Err(io::Error::from_raw_os_error(e as i32));
                        }
                    }
                }
                Pending::Connect | Pending::Read => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    let ms = u32::try_from(left.as_millis()).unwrap_or(u32::MAX);
                    // SAFETY: the event handle is valid for the endpoint's lifetime.
                    match unsafe { WaitForSingleObject(self.overlapped.hEvent, ms) } {
                        WAIT_TIMEOUT => return Ok(None),
                        WAIT_OBJECT_0 => {}
                        _ => return Err(io::Error::last_os_error()),
                    }
                    match (self.pending, self.overlapped_result()) {
                        (Pending::Connect, Ok(_)) => self.pending = Pending::Connected,
                        (Pending::Read, Ok(n)) => return Ok(Some(self.deliver(n, out))),
                        // A longer message is truncated to the buffer; its rest is read next.
                        (Pending::Read, Err(ERROR_MORE_DATA)) => {
                            return Ok(Some(self.deliver(BUF, out)));
                        }
                        // The client went away (or the operation failed): wait for the next one.
                        _ => self.disconnect(),
                    }
                }
            }
        }
    }

    fn deliver(&mut self, n: usize, out: &mut [u8]) -> usize {
        self.pending = Pending::Connected;
        let n = n.min(out.len()).min(BUF);
        out[..n].copy_from_slice(&self.buf[..n]);
        n
    }
}

impl Drop for NotifyEndpoint {
    fn drop(&mut self) {
        if matches!(self.pending, Pending::Connect | Pending::Read) {
            let mut n = 0u32;
            // SAFETY: cancel our own operation, then wait (bWait = TRUE) until the kernel is done
            // with the OVERLAPPED and the buffer, before they are freed.
            unsafe {
                CancelIoEx(self.h(), &*self.overlapped);
                GetOverlappedResult(self.h(), &*self.overlapped, &mut n, 1);
            }
        }
    }
}
