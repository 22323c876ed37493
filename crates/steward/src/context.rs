//! What the service's code holds while it runs: the way to hear about stop, pause and reload, and
//! to tell the service manager how it is doing.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::shared::{Phase, Shared, mark_main_loop, take_event};

/// Something the service's code should react to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// Stop: finish the work in hand and return from the service's code. Once delivered, every
    /// later wait returns it again.
    Shutdown,
    /// Pause (only for services that opted in with [`ServiceSpec::pausable`]). The service manager
    /// sees the service paused as soon as the code has received this event.
    ///
    /// [`ServiceSpec::pausable`]: crate::ServiceSpec::pausable
    Pause,
    /// Continue after a pause.
    Continue,
    /// Reload the configuration: `SIGHUP` on Unix, `SERVICE_CONTROL_PARAMCHANGE` on Windows.
    Reload,
}

/// The service's handle on its runtime, passed to the code given to [`run`](crate::run).
///
/// Cheap to clone; every clone talks to the same runtime, so it can be moved into worker threads
/// or async tasks.
///
/// The service counts as *starting* until it calls [`ready`](Context::ready) or, if it never does,
/// until it first waits for an event (any `wait_*`/`next_event`/`shutdown` call, or
/// [`heartbeat`](Context::heartbeat)): that is the moment its main loop begins. While starting, the
/// runtime keeps the service manager informed (SCM checkpoints, systemd `EXTEND_TIMEOUT_USEC`), so
/// a slow initialisation never looks hung.
#[derive(Debug, Clone)]
pub struct Context {
    shared: Arc<Shared>,
}

impl Context {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Context { shared }
    }

    /// Declares the service ready: it now reports RUNNING (Windows) / `READY=1` (systemd).
    pub fn ready(&self) {
        self.shared.update(mark_main_loop);
    }

    /// Sets a one-line status text (`STATUS=` for systemd; recorded for status queries elsewhere).
    pub fn set_status(&self, text: impl Into<String>) {
        let text: String = text.into();
        // One line only: a newline would start a new sd_notify assignment.
        let line = text.lines().next().unwrap_or_default().to_owned();
        self.shared
            .update(|state| state.pending_status_text = Some(line));
    }

    /// Proves the service is alive. Under a systemd watchdog (`WatchdogSec=`), once the service has
    /// called this at least once the runtime sends `WATCHDOG=1` only while the last heartbeat is
    /// younger than the watchdog period, so a hung main loop gets the service restarted. A service
    /// that never calls it is kept alive by the runtime itself.
    pub fn heartbeat(&self) {
        self.shared.update(|state| {
            mark_main_loop(state);
            state.last_heartbeat = Some(Instant::now());
        });
    }

    /// Whether a stop has been requested. Does not block and does not end the starting phase.
    pub fn shutdown_requested(&self) -> bool {
        self.shared.lock().stop_requested
    }

    /// Blocks for at most `timeout` or until a stop is requested; returns `true` if a stop was
    /// requested. The classic service loop:
    ///
    /// ```no_run
    /// # fn demo(ctx: steward::Context) {
    /// while !ctx.wait_for_shutdown(std::time::Duration::from_secs(5)) {
    ///     println!("Service is running...");
    /// }
    /// # }
    /// ```
    pub fn wait_for_shutdown(&self, timeout: Duration) -> bool {
        let deadline = Instant::now().checked_add(timeout);
        self.shared
            .wait_until(deadline, |state| {
                mark_main_loop(state);
                state.stop_requested.then_some(())
            })
            .is_some()
    }

    /// Blocks until the next event, or `None` after `timeout`.
    pub fn next_event(&self, timeout: Duration) -> Option<Event> {
        let deadline = Instant::now().checked_add(timeout);
        self.shared.wait_until(deadline, take_event)
    }

    /// Completes when a stop is requested. Usable from any async runtime.
    ///
    /// ```no_run
    /// # async fn demo(ctx: steward::Context) {
    /// ctx.shutdown().await;
    /// # }
    /// ```
    pub async fn shutdown(&self) {
        self.shared
            .wait_async(|state| {
                mark_main_loop(state);
                state.stop_requested.then_some(())
            })
            .await
    }

    /// Completes with the next event. Usable from any async runtime.
    pub async fn recv_event(&self) -> Event {
        self.shared.wait_async(take_event).await
    }

    /// Whether the service is paused right now.
    pub fn is_paused(&self) -> bool {
        self.shared.lock().phase == Phase::Paused
    }
}
