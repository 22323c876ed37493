//! Creating the program: suspended, on a console of its own, inside a fresh job, then resumed;
//! with capture, its stdout and stderr are pipes (see [`super::pipes`]).

use std::ffi::{OsStr, OsString};
use std::io;
use std::path::PathBuf;
use std::ptr::{null, null_mut};

use windows_sys::Win32::System::SystemInformation::GetSystemDirectoryW;
use windows_sys::Win32::System::Threading::{
    ABOVE_NORMAL_PRIORITY_CLASS, BELOW_NORMAL_PRIORITY_CLASS, CREATE_NEW_CONSOLE, CREATE_SUSPENDED,
    CREATE_UNICODE_ENVIRONMENT, CreateProcessW, EXTENDED_STARTUPINFO_PRESENT, HIGH_PRIORITY_CLASS,
    IDLE_PRIORITY_CLASS, NORMAL_PRIORITY_CLASS, PROCESS_CREATION_FLAGS, PROCESS_INFORMATION,
    ResumeThread, STARTF_USESTDHANDLES, STARTUPINFOEXW, STARTUPINFOW,
};

use super::console;
use super::handle::{OwnedHandle, check, wide};
use super::job::Job;
use super::pipes::{ChildPipes, HandleList};
use crate::spec::{Priority, ProgramSpec};
use crate::sys::windows_args::{self, CommandLine};

/// The created program: its job, its process handle and its id.
pub(crate) struct Spawned {
    pub(crate) job: Job,
    pub(crate) process: OwnedHandle,
    pub(crate) pid: u32,
    /// The read ends of its stdout and stderr, with capture.
    pub(crate) output: Option<crate::sys::Output>,
}

/// The command line for `spec`, or the refusal as an `InvalidInput` error.
pub(crate) fn command_line(spec: &ProgramSpec) -> io::Result<CommandLine> {
    windows_args::command_line(&spec.command, &spec.args)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))
}

/// Creates the program suspended with `CREATE_NEW_CONSOLE`, assigns it to a new kill-on-close
/// job, then resumes it. On any failure the half-created process dies with the job. With
/// `capture`, its stdout and stderr are pipes (`STARTF_USESTDHANDLES`) and it inherits those two
/// handles and nothing else; its console still receives Ctrl-C.
pub(crate) fn spawn(spec: &ProgramSpec, capture: bool) -> io::Result<Spawned> {
    let line = command_line(spec)?;
    let application = if line.via_cmd {
        Some(wide(cmd_exe()?.as_os_str()))
    } else {
        None
    };
    let mut command_line = wide(OsStr::new(&line.line));
    let environment = (!spec.env.is_empty()).then(|| environment_block(&spec.env));
    let cwd = spec.cwd.as_ref().map(|d| wide(d.as_os_str()));
    let flags = CREATE_SUSPENDED
        | CREATE_NEW_CONSOLE
        | CREATE_UNICODE_ENVIRONMENT
        | spec.priority.map_or(0, priority_class);
    // First the job: if that fails, no process exists yet.
    let job = Job::new()?;
    let pipes = capture.then(ChildPipes::new).transpose()?;
    let mut handle_list = pipes
        .as_ref()
        .map(|p| HandleList::new(&p.child_handles()))
        .transpose()?;
    let mut startup = STARTUPINFOEXW {
        StartupInfo: STARTUPINFOW {
            cb: size_of::<STARTUPINFOW>() as u32,
            ..STARTUPINFOW::default()
        },
        lpAttributeList: null_mut(),
    };
    let mut flags = flags;
    if let (Some(pipes), Some(list)) = (&pipes, &mut handle_list) {
        let [stdout, stderr] = pipes.child_handles();
        let info = &mut startup.StartupInfo;
        info.cb = size_of::<STARTUPINFOEXW>() as u32;
        info.dwFlags |= STARTF_USESTDHANDLES;
        info.hStdOutput = stdout;
        info.hStdError = stderr;
        startup.lpAttributeList = list.raw();
        flags |= EXTENDED_STARTUPINFO_PRESENT;
    }
    let mut info = PROCESS_INFORMATION::default();
    let created = {
        // Not while a Ctrl-C is being sent: the "ignore Ctrl-C" flag would be inherited. And
        // the pipe ends are inheritable only inside this lock.
        let _console = console::lock();
        if let Some(pipes) = &pipes {
            pipes.set_inheritable(true)?;
        }
        // SAFETY: every string is NUL-terminated and outlives the call; `command_line` is a
        // mutable buffer as CreateProcessW requires; the environment block is a UTF-16 block
        // ending in two NULs (CREATE_UNICODE_ENVIRONMENT); `startup` is a STARTUPINFOEXW whose
        // attribute list (with EXTENDED_STARTUPINFO_PRESENT) lives in `handle_list`, so only
        // the two pipe ends named there are inherited; without capture nothing is inherited.
        let created = unsafe {
            CreateProcessW(
                application.as_ref().map_or(null(), |a| a.as_ptr()),
                command_line.as_mut_ptr(),
                null(),
                null(),
                i32::from(pipes.is_some()),
                flags,
                environment.as_ref().map_or(null(), |e| e.as_ptr().cast()),
                cwd.as_ref().map_or(null(), |c| c.as_ptr()),
                &startup.StartupInfo,
                &mut info,
            )
        };
        if let Some(pipes) = &pipes {
            // Failing would need a closed handle; they are closed just below anyway.
            let _ = pipes.set_inheritable(false);
        }
        created
    };
    drop(handle_list);
    // The program has its copies of the write ends (or was not created): close ours.
    let output = pipes.map(ChildPipes::into_output);
    check(created)?;
    let process = OwnedHandle::from_raw(info.hProcess)?;
    let thread = OwnedHandle::from_raw(info.hThread)?;
    if let Err(error) = job.assign(&process) {
        // Suspended and outside the job: end it ourselves.
        // SAFETY: the process handle is open with full access.
        unsafe { windows_sys::Win32::System::Threading::TerminateProcess(process.raw(), 1) };
        return Err(error);
    }
    // SAFETY: the thread handle is open; ResumeThread returns u32::MAX on failure.
    if unsafe { ResumeThread(thread.raw()) } == u32::MAX {
        let error = io::Error::last_os_error();
        let _ = job.terminate();
        return Err(error);
    }
    Ok(Spawned {
        job,
        process,
        pid: info.dwProcessId,
        output,
    })
}

/// `%SystemRoot%\System32\cmd.exe`, from the system directory (never a `cmd.exe` found in the
/// working directory or `PATH`).
fn cmd_exe() -> io::Result<PathBuf> {
    let mut buf = vec![0u16; 512];
    // SAFETY: the buffer is live and its length is passed.
    let len = unsafe { GetSystemDirectoryW(buf.as_mut_ptr(), buf.len() as u32) } as usize;
    if len == 0 || len >= buf.len() {
        return Err(io::Error::last_os_error());
    }
    use std::os::windows::ffi::OsStringExt;
    Ok(PathBuf::from(OsString::from_wide(&buf[..len])).join("cmd.exe"))
}

/// The priority class flag for `priority`.
fn priority_class(priority: Priority) -> PROCESS_CREATION_FLAGS {
    match priority {
        Priority::Idle => IDLE_PRIORITY_CLASS,
        Priority::BelowNormal => BELOW_NORMAL_PRIORITY_CLASS,
        Priority::Normal => NORMAL_PRIORITY_CLASS,
        Priority::AboveNormal => ABOVE_NORMAL_PRIORITY_CLASS,
        Priority::High => HIGH_PRIORITY_CLASS,
    }
}

/// Our environment with `overrides` applied (names compared case-insensitively, as Windows
/// does), sorted, as a UTF-16 block: `NAME=value\0...\0\0`.
fn environment_block(overrides: &[(OsString, OsString)]) -> Vec<u16> {
    use std::os::windows::ffi::OsStrExt;
    let key = |name: &OsStr| name.to_string_lossy().to_uppercase();
    let mut vars: Vec<(OsString, OsString)> = std::env::vars_os().collect();
    for (name, value) in overrides {
        // The last setting of a name wins, whatever its case.
        vars.retain(|(existing, _)| key(existing) != key(name));
        vars.push((name.clone(), value.clone()));
    }
    vars.sort_by_key(|(name, _)| key(name));
    let mut block = Vec::new();
    for (name, value) in vars {
        block.extend(name.encode_wide());
        block.push(u16::from(b'='));
        block.extend(value.encode_wide());
        block.push(0);
    }
    if block.is_empty() {
        block.push(0);
    }
    block.push(0);
    block
}
