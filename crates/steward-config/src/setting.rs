//! Values that remember whether the user wrote them, and the service settings that need it.
//!
//! These are the install API's own types ([`steward::control`]): a resolved config hands them to
//! `install` unchanged, so the two layers cannot drift apart.

pub use steward::control::{Account, Origin, Setting, StartType};
