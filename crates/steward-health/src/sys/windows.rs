//! Windows backend: a message-mode named pipe (`\\.\pipe\...`) whose name goes in
//! `NOTIFY_SOCKET`. The program opens it for writing (`CreateFileW`, or `std::fs::OpenOptions`
//! with `write(true)`), writes one sd_notify datagram per `WriteFile`, and may close it after
//! each message (as sd_notify does) or keep it open.
//!
//! A pool of [`INSTANCES`] pipe instances, all listening at once, so a program that opens the
//! pipe for each message back to back (or several threads at once) finds a free instance; an
//! instance whose client closes listens again at once. The first instance is created with
//! `FILE_FLAG_FIRST_PIPE_INSTANCE` (no other process may squat on the name first), the others
//! with the same flags otherwise; all reject remote clients. The default security descriptor of
//! a named pipe gives write access only to LocalSystem, Administrators and the creating account,
//! i.e. the service account the program runs as. All I/O is overlapped, and one wait covers
//! every instance, so that every wait has a deadline.
//!
//! Order: one connection's messages arrive in order; connections are served in the order they
//! were seen connecting, so sequential open-write-close clients keep their order too, unless
//! several connected while the endpoint was busy (then their order is the instances' order).

mod instance;

use std::io;
use std::os::windows::ffi::OsStrExt;
use std::path::Path;
use std::time::{Duration, Instant};

use windows_sys::Win32::Foundation::{HANDLE, WAIT_OBJECT_0, WAIT_TIMEOUT};
use windows_sys::Win32::System::Threading::WaitForMultipleObjects;

use instance::{Instance, Outcome};

/// How many clients may be connected at once; one more gets `ERROR_PIPE_BUSY` until an
/// instance is free again (`WaitNamedPipeW` waits for that).
pub(crate) const INSTANCES: usize = 4;

/// The pipe server end: every instance of the pipe.
pub(crate) struct NotifyEndpoint {
    instances: Vec<Instance>,
    /// The connect counter behind [`Instance::seq`].
    seq: u64,
    name: String,
}

impl std::fmt::Debug for NotifyEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NotifyEndpoint({})", self.name)
    }
}

impl NotifyEndpoint {
    /// Creates the pipe `path` (must be `\\.\pipe\<name>`) and its instances.
    pub fn bind(path: &Path) -> io::Result<Self> {
        let name = path.to_string_lossy().into_owned();
        if !name.starts_with(r"\\.\pipe\") {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                r"notify path must be \\.\pipe\<name>",
            ));
        }
        let wide: Vec<u16> = path.as_os_str().encode_wide().chain(Some(0)).collect();
        let instances = (0..INSTANCES)
            .map(|i| Instance::create(&wide, i == 0, INSTANCES as u32))
            .collect::<io::Result<Vec<_>>>()?;
        let mut endpoint = Self {
            instances,
            seq: 0,
            name,
        };
        // Listen at once: a client may connect before the first `recv_timeout`.
        endpoint.arm()?;
        Ok(endpoint)
    }

    /// The value for `NOTIFY_SOCKET`.
    pub fn address(&self) -> String {
        self.name.clone()
    }

    /// Puts a connect or a read in flight on every instance.
    fn arm(&mut self) -> io::Result<()> {
        let mut result = Ok(());
        for instance in &mut self.instances {
            if let Err(e) = instance.arm(&mut self.seq) {
                result = Err(e);
            }
        }
        result
    }

    /// Receives one message, waiting at most `timeout`; `Ok(None)` when nothing came.
    pub fn recv_timeout(&mut self, out: &mut [u8], timeout: Duration) -> io::Result<Option<usize>> {
        let deadline = Instant::now() + timeout;
        loop {
            // An instance that cannot listen must not keep the others' messages back: its error
            // only ends the call when no instance has anything in flight.
            if let Err(e) = self.arm()
                && !self.instances.iter().any(Instance::in_flight)
            {
                return Err(e);
            }
            // Collect finished connects (their reads start on the next pass), and pick the
            // finished read of the earliest connected client.
            let mut progressed = false;
            let mut earliest: Option<(u64, usize)> = None;
            for (i, instance) in self.instances.iter_mut().enumerate() {
                if !instance.finished() {
                    continue;
                }
                if !instance.reading() {
                    instance.complete(&mut self.seq);
                    progressed = true;
                } else if earliest.is_none_or(|(seq, _)| instance.seq() < seq) {
                    earliest = Some((instance.seq(), i));
                }
            }
            if let Some((_, i)) = earliest {
                let instance = &mut self.instances[i];
                match instance.complete(&mut self.seq) {
                    Outcome::Message(n) => {
                        let message = instance.message(n);
                        let n = message.len().min(out.len());
                        out[..n].copy_from_slice(&message[..n]);
                        // Read on (or, if the client has closed, listen again) before the caller
                        // acts on the message: a client that saw it handled finds a free instance.
                        // An error here shows on the next call.
                        let _ = instance.arm(&mut self.seq);
                        return Ok(Some(n));
                    }
                    Outcome::Connected | Outcome::Gone => continue,
                }
            }
            if progressed {
                continue;
            }
            if !self.wait(deadline)? {
                return Ok(None);
            }
        }
    }

    /// Waits until an instance's operation finishes (`true`) or `deadline` passes (`false`).
    fn wait(&self, deadline: Instant) -> io::Result<bool> {
        let events: Vec<HANDLE> = self.instances.iter().map(Instance::event).collect();
        let left = deadline.saturating_duration_since(Instant::now());
        let ms = u32::try_from(left.as_millis()).unwrap_or(u32::MAX - 1);
        // SAFETY: `events` holds INSTANCES (at most MAXIMUM_WAIT_OBJECTS) valid event handles,
        // owned by the instances, which outlive the call; bWaitAll = FALSE.
        let r = unsafe { WaitForMultipleObjects(events.len() as u32, events.as_ptr(), 0, ms) };
        if r == WAIT_TIMEOUT {
            Ok(false)
        } else if (WAIT_OBJECT_0..WAIT_OBJECT_0 + events.len() as u32).contains(&r) {
            Ok(true)
        } else {
            Err(io::Error::last_os_error())
        }
    }
}
