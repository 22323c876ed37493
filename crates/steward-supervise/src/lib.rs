//! Supervise a child program as a service: spawn it contained, restart it per policy, stop its
//! whole process tree, and record what happened in a state file.
//!
//! The restart logic is an explicit state machine ([`machine`]): a pure function from a state, an
//! event and the current monotonic time to the next state and a list of actions. The
//! [`Supervisor`] loop only waits for events (child exit, stop request, timer) and executes the
//! actions through a platform backend:
//!
//! * **Linux**: the child runs in its own process group; the supervisor is a child subreaper, so
//!   double-forked grandchildren are reparented to it and are still killed and reaped; the child
//!   gets `PR_SET_PDEATHSIG(SIGKILL)`. A stop sends the configured signal (default `SIGTERM`) to
//!   the group, then after `stop_timeout` `SIGKILL` to the group and to every adopted descendant.
//!   No signal ever goes to a PID the supervisor does not own (see `sys/unix/mod.rs`). When the
//!   process may create a cgroup (root, cgroup v2 with `cgroup.kill`), the tree also runs in a
//!   cgroup of its own that a guardian process kills if the supervisor dies, even by `SIGKILL`;
//!   otherwise the parent-death signal is a best effort (it does not reach grandchildren). One
//!   supervisor per process: it reaps every child of the process outside the process's own
//!   group, and it makes the process a child subreaper for good.
//! * **Windows**: every child is created suspended with its own console, assigned to a Job
//!   Object with kill-on-close (the job handle is never inherited), then resumed; the whole tree
//!   dies with the job, so nothing survives the supervisor even after `TerminateProcess`. A stop
//!   sends Ctrl-C to the child's console, then after `stop_timeout` terminates the job. The exit
//!   code comes from the process handle we hold, so a PID is never looked up again. `.bat`/`.cmd`
//!   programs run through an explicit `cmd.exe /d /c` with quoting steward controls; arguments
//!   cmd.exe would interpret are refused (CVE-2024-24576).
//!
//! With [`Supervisor::capture`], the program's stdout and stderr are pipes (on Windows,
//! anonymous pipes that only the program inherits, its console kept for Ctrl-C) read by one
//! [`capture::Capture`] that lives as long as the supervisor: every restart attaches the new
//! run's pipes, so nothing is lost across restarts, and the capture is finished (bounded, never
//! waiting for a compression) once the tree is gone. Its counters go into the state file.
//!
//! With [`Supervisor::announce`], an [`Announce`] hook hears when the program starts serving
//! (spawned, or with [`Supervisor::health`] once ready, and again when its readiness comes back
//! after a dip), when it stops serving while the service goes on (its readiness dips, it
//! exited, or the supervisor is about to kill it for its health or a restart request), and,
//! before the stop signal / Ctrl-C is sent, when it is being stopped: e.g. to list it in a
//! service registry only while it serves, so that consumers drain first.
//!
//! An [`Observer`] shows the loop's state to other threads (the admin endpoint) and takes
//! [`observe::Request`]s: restart, stop, and fence (stop, but kill the tree no later than a
//! given time after the request, for a leader that lost its lease).
//!
//! ```no_run
//! use std::time::Duration;
//! use steward_supervise::{ProgramSpec, RestartPolicy, Supervisor, Outcome};
//!
//! fn main() -> steward::Exit {
//!     let program = ProgramSpec::new("/usr/bin/my-app").arg("--port").arg("8080");
//!     let supervisor = Supervisor::new(program).restart(RestartPolicy::default());
//!     steward::run(steward::ServiceSpec::new("my-app"), move |ctx| {
//!         match supervisor.run(&ctx)? {
//!             Outcome::Failed { code, reason } => {
//!                 Err(steward::Failure::msg(reason.to_string()).with_exit_code(code))
//!             }
//!             _ => Ok(()),
//!         }
//!     })
//! }
//! ```

mod announce;
pub mod capture;
mod error;
mod health;
mod hooks;
pub mod machine;
pub mod observe;
mod spec;
mod state_file;
mod supervisor;
mod sys;

pub use announce::Announce;
pub use error::SuperviseError;
pub use health::HealthSetup;
pub use machine::{ExitStatus, FailReason, Outcome, StateName};
pub use observe::Observer;
pub use spec::{Hook, Hooks, Priority, ProgramSpec, RestartMode, RestartPolicy, StartLimit};
pub use state_file::{CaptureRecord, StateRecord, read_state_file};
pub use steward_health;
pub use supervisor::Supervisor;
