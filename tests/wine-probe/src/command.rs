//! The commands wine-probe understands, as parsed by [`crate::cli`].

/// A control request that `control` sends to a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControlKind {
    /// `SERVICE_CONTROL_STOP`.
    Stop,
    /// `SERVICE_CONTROL_PAUSE`.
    Pause,
    /// `SERVICE_CONTROL_CONTINUE`.
    Continue,
    /// `SERVICE_CONTROL_INTERROGATE`.
    Interrogate,
}

/// One parsed wine-probe invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Sleep forever (or until stdin closes), keeping Wine's service manager alive.
    Hold {
        /// Exit when standard input reaches end of file, so the holder dies with its parent.
        until_stdin_closes: bool,
    },
    /// Register an own-process, demand-start LocalSystem service.
    Create {
        /// Service key name.
        name: String,
        /// Windows path of the executable; quoted in the image path.
        binpath: String,
        /// Arguments appended to the image path.
        args: Vec<String>,
    },
    /// Start a service with optional start arguments.
    Start {
        /// Service key name.
        name: String,
        /// Arguments handed to `ServiceMain`.
        args: Vec<String>,
    },
    /// Delete a service.
    Delete {
        /// Service key name.
        name: String,
    },
    /// Send a control to a service.
    Control {
        /// Service key name.
        name: String,
        /// The control to send.
        control: ControlKind,
    },
    /// Print the status of a service once.
    Query {
        /// Service key name.
        name: String,
    },
    /// Sample the status periodically.
    Watch {
        /// Service key name.
        name: String,
        /// Time between samples.
        interval_ms: u64,
        /// Total sampling time.
        duration_ms: u64,
        /// Stop early once this state is seen.
        until: Option<String>,
    },
    /// Poll until a state is reached or the timeout expires.
    Wait {
        /// Service key name.
        name: String,
        /// Expected state name (see `status::STATE_NAMES`).
        state: String,
        /// Give up after this long.
        timeout_ms: u64,
    },
    /// Read values of a key under `HKEY_LOCAL_MACHINE`.
    RegQuery {
        /// Key path below HKLM.
        key: String,
        /// Only this value, or all values when absent.
        value: Option<String>,
    },
    /// Run as a minimal real service.
    Serve {
        /// Service key name.
        name: String,
        /// Report START_PENDING (checkpoint +1 every 100 ms) this long before RUNNING.
        pending_ms: u64,
    },
    /// Start a program on a new console, send it Ctrl-C or Ctrl-Break once ready, await its exit.
    ConsoleRun(crate::console::ConsoleRun),
    /// Send `count` controls (INTERROGATE, alternating with PARAMCHANGE when accepted) in a
    /// tight loop; print the counts.
    ControlStorm {
        /// Service key name.
        name: String,
        /// How many controls.
        count: u64,
    },
}
