//! Values that remember whether the user wrote them, and the service settings that need it.

/// Whether a value was written in the config or is steward's default.
///
/// Installers need the difference: a platform that cannot honour an explicit setting fails the
/// install, while a default it cannot honour is skipped with a warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Written in the config.
    Explicit,
    /// steward's default.
    Default,
}

/// A value with its [`Origin`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting<T> {
    /// The value.
    pub value: T,
    /// Written in the config, or defaulted.
    pub origin: Origin,
}

impl<T> Setting<T> {
    /// A value written in the config.
    pub fn explicit(value: T) -> Self {
        Setting {
            value,
            origin: Origin::Explicit,
        }
    }

    /// A default value.
    pub fn default_value(value: T) -> Self {
        Setting {
            value,
            origin: Origin::Default,
        }
    }

    /// Whether the value was written in the config.
    pub fn is_explicit(&self) -> bool {
        self.origin == Origin::Explicit
    }
}

/// When the service starts (`[service] start`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartType {
    /// At boot. The default.
    Auto,
    /// At boot, after the other automatic services.
    Delayed,
    /// Only when started.
    Manual,
    /// Cannot be started.
    Disabled,
}

/// Who the service runs as (`[service] account`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Account {
    /// `LocalSystem`: full control of the machine. Never a default.
    LocalSystem,
    /// `NT AUTHORITY\LocalService`: least privilege. The default.
    LocalService,
    /// `NT AUTHORITY\NetworkService`: least privilege, the machine's identity on the network.
    NetworkService,
    /// The virtual account `NT SERVICE\<name>` (systemd: `DynamicUser=yes`).
    Virtual,
    /// A named account, `DOMAIN\user` (`.\user` for a local one), as written.
    User(String),
}
