//! Starting the manager process: a child that, between `fork` and `exec`, moves itself into the
//! bench's cgroups, enters a private mount namespace and bind-mounts the fake `/run/systemd`.
//!
//! Only that child moves; the test process stays where it is. The child is forked from a dedicated
//! keeper thread that lives as long as the test process, so `PR_SET_PDEATHSIG` (which fires when the
//! *thread* that forked the child exits) delivers SIGTERM to the manager exactly when the test
//! process dies, even by SIGKILL: the manager then stops its units and exits on its own.

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::OnceLock;
use std::sync::mpsc;
use std::thread;

type Job = (Command, mpsc::Sender<io::Result<Child>>);

fn c_path(path: &Path) -> io::Result<CString> {
    CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains a NUL byte"))
}

/// Adds the pre-exec steps to `cmd`: join every cgroup in `procs_files`, unshare the mount
/// namespace, make every mount private, bind `fake_run_systemd` over `/run/systemd`, start a new
/// session, and ask for SIGTERM when the forking thread dies.
pub(crate) fn isolate(
    cmd: &mut Command,
    procs_files: &[PathBuf],
    fake_run_systemd: &Path,
) -> io::Result<()> {
    let procs: Vec<CString> = procs_files
        .iter()
        .map(|p| c_path(p))
        .collect::<io::Result<_>>()?;
    let source = c_path(fake_run_systemd)?;
    let hook = move || -> io::Result<()> {
        // Only async-signal-safe calls below, on memory prepared before fork: this runs in the
        // forked child of a multi-threaded process.
        for p in &procs {
            // SAFETY: `p` is a valid NUL-terminated path that outlives the call.
            let fd = unsafe { libc::open(p.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC) };
            if fd < 0 {
                return Err(io::Error::last_os_error());
            }
            // "0" means "the writing process" in cgroup.procs (v1 and v2).
            // SAFETY: writes one byte from a static buffer to a descriptor we own.
            let n = unsafe { libc::write(fd, b"0".as_ptr().cast(), 1) };
            let err = io::Error::last_os_error();
            // SAFETY: closes the descriptor opened above, once.
            unsafe { libc::close(fd) };
            if n != 1 {
                return Err(err);
            }
        }
        // SAFETY: unshare(2) only affects this (child) process.
        if unsafe { libc::unshare(libc::CLONE_NEWNS) } != 0 {
            return Err(io::Error::last_os_error());
        }
        let null = std::ptr::null();
        // SAFETY: valid C strings or null where mount(2) allows it; affects only our new namespace.
        if unsafe {
            libc::mount(
                null,
                c"/".as_ptr(),
                null,
                libc::MS_REC | libc::MS_PRIVATE,
                null.cast(),
            )
        } != 0
        {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: as above; `source` outlives the call.
        if unsafe {
            libc::mount(
                source.as_ptr(),
                c"/run/systemd".as_ptr(),
                null,
                libc::MS_BIND,
                null.cast(),
            )
        } != 0
        {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: setsid(2) and prctl(2) take no pointers.
        if unsafe { libc::setsid() } < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: PR_SET_PDEATHSIG takes a signal number.
        if unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    };
    // SAFETY: the hook only makes async-signal-safe system calls on pre-allocated data.
    unsafe { cmd.pre_exec(hook) };
    Ok(())
}

/// Spawns `cmd` from the process-lifetime keeper thread (see the module docs).
pub(crate) fn spawn_kept(cmd: Command) -> io::Result<Child> {
    static KEEPER: OnceLock<Result<mpsc::Sender<Job>, String>> = OnceLock::new();
    let keeper = KEEPER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        thread::Builder::new()
            .name("systemd-bench-keeper".into())
            .spawn(move || {
                for (mut cmd, reply) in rx {
                    let _ = reply.send(cmd.spawn());
                }
            })
            .map(|_| tx)
            .map_err(|e| e.to_string())
    });
    let keeper = keeper
        .as_ref()
        .map_err(|e| io::Error::other(format!("starting the keeper thread: {e}")))?;
    let (reply, result) = mpsc::channel();
    keeper
        .send((cmd, reply))
        .map_err(|_| io::Error::other("the keeper thread is gone"))?;
    result
        .recv()
        .map_err(|_| io::Error::other("the keeper thread dropped the request"))?
}
