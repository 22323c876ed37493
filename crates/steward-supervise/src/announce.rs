//! The announce hook: the supervisor loop tells it when the program starts and stops serving,
//! e.g. so that a service registry lists the program only while it serves and its consumers
//! drain before it is stopped.
//!
//! The loop calls the hook through an [`Announcer`], which keeps the calls in the documented
//! order whatever the loop sees: `serving` and `not_serving` alternate, starting with
//! `serving`; `stopping` comes at most once, and nothing follows it.

use std::sync::Arc;

/// Hears, from the supervisor loop, when the program starts and stops serving: e.g. to announce
/// it in a service registry so that consumers drain before it stops.
///
/// Set it with [`Supervisor::announce`](crate::Supervisor::announce). Every method is called on
/// the supervisor's loop thread, which waits for it: keep them short, bound any I/O, and don't
/// panic. For one [`run`](crate::Supervisor::run), the calls follow this grammar:
/// `(serving not_serving)* [serving] [stopping]` — `serving` and `not_serving` alternate, and
/// `stopping` ends the sequence. `stopping` comes once for the stop that ends the run (a service
/// stop, `Request::Stop` or `Request::Fence`, whichever the loop takes first), even when nothing
/// serves or no program runs (during the delay before a restart); not when the run ends
/// otherwise (the restart policy gives up, the pre-start hook fails, an OS error: then a run
/// that served gets `not_serving`).
pub trait Announce: Send + Sync {
    /// The current run is serving: it passed its readiness gate (without health checks: it was
    /// spawned), or its readiness came back after a dip. `pid` is the program's PID.
    fn serving(&self, pid: u32);
    /// The current run stopped serving while the service goes on: its readiness check fails
    /// or a liveness failure/watchdog is about to kill it, it exited, or a restart was requested.
    /// Called BEFORE the supervisor kills a run itself. `reason` is one line.
    fn not_serving(&self, reason: &str);
    /// A graceful stop of the program is about to be sent (service stop, `Request::Stop`,
    /// `Request::Fence`). Called before the stop signal / Ctrl-C reaches the program, so
    /// consumers can drain first; the loop blocks on it, so implementations bound their time.
    fn stopping(&self);
}

/// The hook as [`Supervisor`](crate::Supervisor) holds it (so that it stays `Debug`).
#[derive(Clone)]
pub(crate) struct AnnounceHook(pub(crate) Arc<dyn Announce>);

impl std::fmt::Debug for AnnounceHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Announce")
    }
}

/// What the loop has announced during one [`run`](crate::Supervisor::run): drops the calls that
/// would break the order (a second `serving`, a `not_serving` with nothing serving, anything
/// after `stopping`).
#[derive(Default)]
pub(crate) struct Announcer {
    hook: Option<Arc<dyn Announce>>,
    /// `serving` was the last call.
    serving: bool,
    /// `stopping` was called.
    stopping: bool,
}

impl Announcer {
    /// Calls `hook`, if any.
    pub(crate) fn new(hook: Option<Arc<dyn Announce>>) -> Self {
        Announcer {
            hook,
            serving: false,
            stopping: false,
        }
    }

    /// The program (`pid`) serves.
    pub(crate) fn serving(&mut self, pid: u32) {
        if self.serving || self.stopping {
            return;
        }
        self.serving = true;
        if let Some(hook) = &self.hook {
            hook.serving(pid);
        }
    }

    /// The program no longer serves, for `reason` (its first line is passed on).
    pub(crate) fn not_serving(&mut self, reason: &str) {
        if !self.serving {
            return;
        }
        self.serving = false;
        if let Some(hook) = &self.hook {
            hook.not_serving(reason.lines().next().unwrap_or_default());
        }
    }

    /// A stop was taken: the program is about to get its stop request.
    pub(crate) fn stopping(&mut self) {
        if self.stopping {
            return;
        }
        self.stopping = true;
        self.serving = false;
        if let Some(hook) = &self.hook {
            hook.stopping();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    #[derive(Default)]
    struct Recorder(Mutex<Vec<String>>);

    impl Announce for Recorder {
        fn serving(&self, pid: u32) {
            self.0.lock().unwrap().push(format!("serving {pid}"));
        }
        fn not_serving(&self, reason: &str) {
            self.0.lock().unwrap().push(format!("not_serving {reason}"));
        }
        fn stopping(&self) {
            self.0.lock().unwrap().push("stopping".into());
        }
    }

    fn announcer() -> (Arc<Recorder>, Announcer) {
        let recorder = Arc::new(Recorder::default());
        let hook: Arc<dyn Announce> = recorder.clone();
        (recorder, Announcer::new(Some(hook)))
    }

    #[test]
    fn serving_and_not_serving_alternate() {
        let (recorder, mut a) = announcer();
        a.not_serving("nothing serves yet");
        a.serving(1);
        a.serving(1);
        a.not_serving("dip\nsecond line");
        a.not_serving("exited");
        a.serving(2);
        assert_eq!(
            *recorder.0.lock().unwrap(),
            ["serving 1", "not_serving dip", "serving 2"]
        );
    }

    #[test]
    fn stopping_comes_once_and_ends_the_sequence() {
        let (recorder, mut a) = announcer();
        a.stopping();
        a.serving(3);
        a.stopping();
        a.not_serving("exited");
        assert_eq!(*recorder.0.lock().unwrap(), ["stopping"]);

        let (recorder, mut a) = announcer();
        a.serving(4);
        a.stopping();
        a.not_serving("exited during the stop");
        assert_eq!(*recorder.0.lock().unwrap(), ["serving 4", "stopping"]);
    }

    #[test]
    fn without_a_hook_nothing_happens() {
        let mut a = Announcer::new(None);
        a.serving(1);
        a.not_serving("x");
        a.stopping();
    }
}
