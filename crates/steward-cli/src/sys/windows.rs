//! Windows: the SCM has no user scope; state files live in the machine's ProgramData folder.

use std::ffi::OsString;
use std::os::windows::ffi::OsStringExt;

use windows_sys::Win32::System::Com::CoTaskMemFree;
use windows_sys::Win32::UI::Shell::{FOLDERID_ProgramData, KF_FLAG_DEFAULT, SHGetKnownFolderPath};

use crate::state::Convention;

/// State files under `<ProgramData>\steward`.
pub const CONVENTION: Convention = Convention::Windows;

/// Always `false`: Windows services belong to the machine's SCM.
pub fn user_scope() -> bool {
    false
}

/// The machine's ProgramData folder, from the shell's known-folder registry rather than the
/// `ProgramData` variable: a service and an admin's shell must agree on it, and a service's
/// environment is not always the shell's (Wine, for one, gives services `C:\users\Public`).
pub fn program_data() -> Option<OsString> {
    let mut path: *mut u16 = std::ptr::null_mut();
    // SAFETY: a valid folder id, no token (the current user), and an out-pointer we own; on
    // success the shell allocates a NUL-terminated string that we free below.
    let status = unsafe {
        SHGetKnownFolderPath(
            &FOLDERID_ProgramData,
            KF_FLAG_DEFAULT as u32,
            std::ptr::null_mut(),
            &mut path,
        )
    };
    let folder = (status == 0 && !path.is_null()).then(|| {
        // SAFETY: `path` is a NUL-terminated UTF-16 string from the shell.
        let len = (0..).take_while(|&i| unsafe { *path.add(i) } != 0).count();
        // SAFETY: `len` units were just read from the same allocation.
        OsString::from_wide(unsafe { std::slice::from_raw_parts(path, len) })
    });
    // SAFETY: the shell's allocation (or null, which CoTaskMemFree accepts), freed exactly once.
    unsafe { CoTaskMemFree(path.cast()) };
    folder
}

/// The notify pipe of service `name`: `\\.\pipe\steward-<name>-notify`.
pub fn notify_path(name: &str, _runtime_dir: &std::path::Path) -> std::path::PathBuf {
    format!(r"\\.\pipe\steward-{name}-notify").into()
}
