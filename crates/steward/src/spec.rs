//! What a service is: its names and the controls it accepts.

use std::time::Duration;

/// Default time the service's code gets to finish after a stop request.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

/// Default interval at which progress (SCM checkpoints, systemd `EXTEND_TIMEOUT_USEC`) is reported
/// while the service starts or stops.
pub const DEFAULT_PROGRESS_INTERVAL: Duration = Duration::from_secs(1);

/// Describes a service: its key name, the names people see, and which optional controls it handles.
///
/// Built with a small builder; everything but the name has a sensible default.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use steward::ServiceSpec;
///
/// let spec = ServiceSpec::new("hello")
///     .display_name("Hello Service")
///     .description("Says hello every five seconds")
///     .pausable(true)
///     .shutdown_grace(Duration::from_secs(10));
/// assert_eq!(spec.name(), "hello");
/// assert!(spec.accepts_pause());
/// ```
#[derive(Debug, Clone)]
pub struct ServiceSpec {
    name: String,
    display_name: Option<String>,
    description: Option<String>,
    pausable: bool,
    shutdown_grace: Duration,
    progress_interval: Duration,
}

impl ServiceSpec {
    /// A service with the given key name (the name the service manager knows it by).
    pub fn new(name: impl Into<String>) -> Self {
        ServiceSpec {
            name: name.into(),
            display_name: None,
            description: None,
            pausable: false,
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
            progress_interval: DEFAULT_PROGRESS_INTERVAL,
        }
    }

    /// The name shown in service lists (defaults to the key name).
    pub fn display_name(mut self, display_name: impl Into<String>) -> Self {
        self.display_name = Some(display_name.into());
        self
    }

    /// A sentence saying what the service does.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Opt in to pause and continue. The service's code then receives [`Event::Pause`] and
    /// [`Event::Continue`] from [`Context::next_event`] and must read them: the service manager
    /// sees the service as paused once the code has taken the `Pause` event.
    ///
    /// [`Event::Pause`]: crate::Event::Pause
    /// [`Event::Continue`]: crate::Event::Continue
    /// [`Context::next_event`]: crate::Context::next_event
    pub fn pausable(mut self, pausable: bool) -> Self {
        self.pausable = pausable;
        self
    }

    /// How long the service's code may take to return after a stop request. When it runs out, the
    /// runtime reports the service stopped with [`exit_code::GRACE_EXPIRED`] and ends the process.
    ///
    /// [`exit_code::GRACE_EXPIRED`]: crate::exit_code::GRACE_EXPIRED
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = grace;
        self
    }

    /// How often progress is reported while starting or stopping (SCM checkpoints, systemd
    /// `EXTEND_TIMEOUT_USEC`). The wait hint given to the manager is five times this interval.
    pub fn progress_interval(mut self, interval: Duration) -> Self {
        self.progress_interval = interval.max(Duration::from_millis(10));
        self
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The display name, or the key name when none was set.
    pub fn display_name_or_name(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.name)
    }

    /// The description, if any.
    pub fn description_text(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// Whether pause and continue are accepted.
    pub fn accepts_pause(&self) -> bool {
        self.pausable
    }

    /// The shutdown grace period.
    pub fn grace(&self) -> Duration {
        self.shutdown_grace
    }

    /// The progress interval.
    pub fn progress(&self) -> Duration {
        self.progress_interval
    }

    /// The wait hint reported with each progress step: generous, so a busy machine never makes
    /// the manager give up between two steps.
    pub fn wait_hint(&self) -> Duration {
        self.progress_interval * 5
    }
}
