//! The program's stdout and stderr as anonymous pipes that the program alone inherits.
//!
//! The pipes are created non-inheritable. Right before `CreateProcessW`, under the spawn lock,
//! the program's two ends are made inheritable and named in a `PROC_THREAD_ATTRIBUTE_HANDLE_LIST`,
//! so this `CreateProcessW` passes exactly those two handles; right after, they are made
//! non-inheritable again and closed on our side, so the read ends see the end of the output
//! as soon as the program's tree has closed its copies.

use std::io::{self, PipeWriter};
use std::os::windows::io::AsRawHandle;
use std::ptr::{null, null_mut};

use windows_sys::Win32::Foundation::{HANDLE, HANDLE_FLAG_INHERIT, SetHandleInformation};
use windows_sys::Win32::System::Threading::{
    DeleteProcThreadAttributeList, InitializeProcThreadAttributeList, LPPROC_THREAD_ATTRIBUTE_LIST,
    PROC_THREAD_ATTRIBUTE_HANDLE_LIST, UpdateProcThreadAttribute,
};

use super::handle::check;
use crate::sys::Output;

/// Both pipes: our read ends and the program's write ends.
pub(crate) struct ChildPipes {
    /// Our read ends, handed to the capture.
    pub(crate) output: Output,
    /// The program's ends: stdout, stderr. Dropped (closed) once the program has its copies.
    writers: [PipeWriter; 2],
}

impl ChildPipes {
    /// Two new anonymous pipes, no handle inheritable.
    pub(crate) fn new() -> io::Result<Self> {
        let (stdout, stdout_writer) = std::io::pipe()?;
        let (stderr, stderr_writer) = std::io::pipe()?;
        Ok(ChildPipes {
            output: Output { stdout, stderr },
            writers: [stdout_writer, stderr_writer],
        })
    }

    /// The program's ends, stdout then stderr, valid while `self` lives.
    pub(crate) fn child_handles(&self) -> [HANDLE; 2] {
        self.writers
            .each_ref()
            .map(|writer| writer.as_raw_handle() as HANDLE)
    }

    /// Makes the program's ends inheritable (`true`) or not. Make them inheritable only under
    /// the spawn lock, right before `CreateProcessW`.
    pub(crate) fn set_inheritable(&self, inheritable: bool) -> io::Result<()> {
        let flags = if inheritable { HANDLE_FLAG_INHERIT } else { 0 };
        for handle in self.child_handles() {
            // SAFETY: the handle is open while `self` lives.
            check(unsafe { SetHandleInformation(handle, HANDLE_FLAG_INHERIT, flags) })?;
        }
        Ok(())
    }

    /// Closes the program's ends on our side and returns the read ends.
    pub(crate) fn into_output(self) -> Output {
        drop(self.writers);
        self.output
    }
}

/// A process attribute list holding `PROC_THREAD_ATTRIBUTE_HANDLE_LIST`: the only handles the
/// new process inherits.
pub(crate) struct HandleList {
    /// The attribute list's memory (`usize` for its alignment).
    buf: Vec<usize>,
    /// The handles the list points to; they must stay put until the list is deleted.
    handles: Box<[HANDLE]>,
}

impl HandleList {
    /// A list naming `handles` (which must be inheritable when the process is created).
    pub(crate) fn new(handles: &[HANDLE]) -> io::Result<Self> {
        let mut size = 0usize;
        // SAFETY: a null list asks for the size only (the call "fails" with
        // ERROR_INSUFFICIENT_BUFFER and sets `size`).
        unsafe { InitializeProcThreadAttributeList(null_mut(), 1, 0, &mut size) };
        if size == 0 {
            return Err(io::Error::last_os_error());
        }
        let mut buf = vec![0usize; size.div_ceil(size_of::<usize>())];
        // SAFETY: `buf` holds at least `size` bytes, suitably aligned.
        check(unsafe {
            InitializeProcThreadAttributeList(buf.as_mut_ptr().cast(), 1, 0, &mut size)
        })?;
        // From here on `Drop` deletes the initialized list.
        let mut list = HandleList {
            buf,
            handles: handles.into(),
        };
        // SAFETY: the list was initialized for one attribute; the value points to
        // `handles.len()` handles that live in `list.handles` as long as the list.
        check(unsafe {
            UpdateProcThreadAttribute(
                list.raw(),
                0,
                PROC_THREAD_ATTRIBUTE_HANDLE_LIST as usize,
                list.handles.as_ptr().cast(),
                size_of_val(&*list.handles),
                null_mut(),
                null(),
            )
        })?;
        Ok(list)
    }

    /// The list for `STARTUPINFOEXW::lpAttributeList`.
    pub(crate) fn raw(&mut self) -> LPPROC_THREAD_ATTRIBUTE_LIST {
        self.buf.as_mut_ptr().cast()
    }
}

impl Drop for HandleList {
    fn drop(&mut self) {
        // SAFETY: the list was initialized in `new` and is deleted only here.
        unsafe { DeleteProcThreadAttributeList(self.raw()) };
    }
}
