//! The platform seam of the `steward` binary: which state-file convention applies and whether the
//! control verbs act on a user-scope service manager. Both backends have the same items.

#[cfg(unix)]
mod unix;
#[cfg(unix)]
pub use unix::{CONVENTION, notify_path, program_data, user_scope};

#[cfg(windows)]
mod windows;
#[cfg(windows)]
pub use windows::{CONVENTION, notify_path, program_data, user_scope};
