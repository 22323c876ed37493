//! One instance of the notify pipe: its handle, its own event, `OVERLAPPED` and read buffer,
//! and the state of the one overlapped operation (connect or read) it may have in flight.

use std::io;
use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle};

use windows_sys::Win32::Foundation::{
    ERROR_BROKEN_PIPE, ERROR_IO_PENDING, ERROR_MORE_DATA, ERROR_NO_DATA, ERROR_PIPE_CONNECTED,
    GetLastError, HANDLE, INVALID_HANDLE_VALUE, WAIT_OBJECT_0,
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

/// The read buffer (and the pipe's inbound buffer size): longer messages arrive in pieces.
const BUF: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Nothing in flight, no client.
    Idle,
    /// `ConnectNamedPipe` in flight.
    Connect,
    /// A client is connected, no read in flight.
    Connected,
    /// `ReadFile` in flight into `buf`.
    Read,
}

/// What a finished operation produced.
pub(super) enum Outcome {
    /// A client connected; a read can start.
    Connected,
    /// A message of this many bytes is in [`Instance::message`].
    Message(usize),
    /// The client went away (or the operation failed); the instance is idle again.
    Gone,
}

/// A pipe instance. The `OVERLAPPED` and the buffer are boxed: the kernel writes to them while
/// an operation is pending, so they must not move, and `Drop` cancels and waits before freeing
/// them.
pub(super) struct Instance {
    pipe: OwnedHandle,
    event: OwnedHandle,
    overlapped: Box<OVERLAPPED>,
    buf: Box<[u8; BUF]>,
    state: State,
    /// When its current client was seen connecting (the endpoint's counter): clients that open
    /// the pipe one after another are served in that order.
    seq: u64,
}

// SAFETY: the raw event handle inside OVERLAPPED is owned by `event`; an instance is used by one
// thread at a time (its endpoint is moved into the notify thread), and handles, the boxed
// OVERLAPPED and the buffer may be used from any thread.
unsafe impl Send for Instance {}

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

impl Instance {
    /// Creates one instance of the pipe `wide` (NUL-terminated) out of at most `max`; `first`
    /// adds `FILE_FLAG_FIRST_PIPE_INSTANCE`, so creating the first fails if the name exists.
    pub(super) fn create(wide: &[u16], first: bool, max: u32) -> io::Result<Self> {
        debug_assert_eq!(wide.last(), Some(&0));
        let first = if first {
            FILE_FLAG_FIRST_PIPE_INSTANCE
        } else {
            0
        };
        // SAFETY: `wide` is a NUL-terminated UTF-16 string; a null security descriptor means the
        // default one (see the parent module's docs).
        let pipe = owned(unsafe {
            CreateNamedPipeW(
                wide.as_ptr(),
                PIPE_ACCESS_INBOUND | FILE_FLAG_OVERLAPPED | first,
                PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS,
                max,
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
            event,
            overlapped,
            buf: Box::new([0; BUF]),
            state: State::Idle,
            seq: 0,
        })
    }

    fn h(&self) -> HANDLE {
        self.pipe.as_raw_handle()
    }

    /// The event signalled when the operation in flight finishes.
    pub(super) fn event(&self) -> HANDLE {
        self.event.as_raw_handle()
    }

    /// The connect order of the current client (see `seq`).
    pub(super) fn seq(&self) -> u64 {
        self.seq
    }

    /// Whether a read is in flight (as opposed to a connect).
    pub(super) fn reading(&self) -> bool {
        self.state == State::Read
    }

    /// Whether an operation (connect or read) is in flight.
    pub(super) fn in_flight(&self) -> bool {
        matches!(self.state, State::Connect | State::Read)
    }

    /// Whether the operation in flight has finished (its event is signalled); never waits.
    pub(super) fn finished(&self) -> bool {
        if !self.in_flight() {
            return false;
        }
        // SAFETY: the event handle is valid for the instance's lifetime; a zero timeout polls.
        unsafe { WaitForSingleObject(self.event(), 0) == WAIT_OBJECT_0 }
    }

    /// The first `n` bytes of the message a read produced.
    pub(super) fn message(&self, n: usize) -> &[u8] {
        &self.buf[..n.min(BUF)]
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
        self.state = State::Idle;
    }

    fn connected(&mut self, next_seq: &mut u64) {
        *next_seq += 1;
        self.seq = *next_seq;
        self.state = State::Connected;
    }

    /// Puts an operation in flight: a connect when idle, a read when a client is connected.
    /// Operations that finish at once (a client already connected, gone without data) are
    /// followed up here; a read that completes at once is left for [`Self::complete`] (its
    /// event is signalled).
    pub(super) fn arm(&mut self, next_seq: &mut u64) -> io::Result<()> {
        loop {
            match self.state {
                State::Connect | State::Read => return Ok(()),
                State::Idle => {
                    self.reset_overlapped();
                    // SAFETY: the OVERLAPPED is boxed and outlives the operation (see Drop).
                    let ok = unsafe { ConnectNamedPipe(self.h(), &mut *self.overlapped) };
                    let err = if ok != 0 {
                        ERROR_PIPE_CONNECTED
                    } else {
                        last_error()
                    };
                    match err {
                        ERROR_IO_PENDING => self.state = State::Connect,
                        // Connected before we asked; ERROR_NO_DATA: and already closed, but what
                        // it wrote may still be buffered: read it (a broken pipe then disconnects).
                        ERROR_PIPE_CONNECTED | ERROR_NO_DATA => self.connected(next_seq),
                        e => return Err(io::Error::from_raw_os_error(e as i32)),
                    }
                }
                State::Connected => {
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
                        0 | ERROR_IO_PENDING | ERROR_MORE_DATA => self.state = State::Read,
                        ERROR_BROKEN_PIPE | ERROR_NO_DATA => self.disconnect(),
                        e => {
                            self.disconnect();
                            return Err(io::Error::from_raw_os_error(e as i32));
                        }
                    }
                }
            }
        }
    }

    /// Collects the operation in flight, which must have [`Self::finished`].
    pub(super) fn complete(&mut self, next_seq: &mut u64) -> Outcome {
        let mut n = 0u32;
        // SAFETY: the operation was started with this OVERLAPPED on this handle and has
        // finished (its event is signalled), so no wait is needed.
        let ok = unsafe { GetOverlappedResult(self.h(), &*self.overlapped, &mut n, 0) };
        let result = if ok != 0 {
            Ok(n as usize)
        } else {
            Err(last_error())
        };
        match (self.state, result) {
            (State::Connect, Ok(_)) => {
                self.connected(next_seq);
                Outcome::Connected
            }
            (State::Read, Ok(n)) => {
                self.state = State::Connected;
                Outcome::Message(n)
            }
            // A longer message is truncated to the buffer; its rest is read next.
            (State::Read, Err(ERROR_MORE_DATA)) => {
                self.state = State::Connected;
                Outcome::Message(BUF)
            }
            // The client went away (or the operation failed): wait for the next one.
            _ => {
                self.disconnect();
                Outcome::Gone
            }
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        if self.in_flight() {
            let mut n = 0u32;
            // SAFETY: cancel our own operation, then wait (bWait = TRUE) until the kernel is done
            // with the OVERLAPPED and the buffer, before they (and the handles) are freed.
            unsafe {
                CancelIoEx(self.h(), &*self.overlapped);
                GetOverlappedResult(self.h(), &*self.overlapped, &mut n, 1);
            }
        }
    }
}
