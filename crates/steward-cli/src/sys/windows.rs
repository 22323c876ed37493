//! Windows: the SCM has no user scope.

use crate::state::Convention;

/// State files under `%ProgramData%\steward`.
pub const CONVENTION: Convention = Convention::Windows;

/// Always `false`: Windows services belong to the machine's SCM.
pub fn user_scope() -> bool {
    false
}
