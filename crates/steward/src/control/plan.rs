//! The plan: what an install will do, step by step, shared by every backend.

use std::fmt;

/// Whether a setting was asked for by the user or is a default steward applies on its own.
///
/// The difference matters when a platform does not support a setting (Wine, older Windows):
/// an explicit request that cannot be honoured fails the whole install (and rolls it back); a
/// hardening default is skipped with a warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// The user asked for it (config file, command line, builder call).
    Explicit,
    /// steward applies it by default.
    Default,
}

/// One step of a plan: a backend-specific action with a one-line summary for people.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PlannedStep<A> {
    /// What the step does, in words (e.g. `set failure actions: restart after 1s, 5s, 30s`).
    pub summary: String,
    /// Where the setting came from.
    pub origin: Origin,
    /// The backend's action.
    pub action: A,
}

/// An ordered list of steps; `A` is the backend's action type.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Plan<A> {
    /// The service the plan is for.
    pub service: String,
    /// The steps, in execution order.
    pub steps: Vec<PlannedStep<A>>,
}

impl<A> Plan<A> {
    /// An empty plan for `service`.
    pub fn new(service: impl Into<String>) -> Self {
        Plan {
            service: service.into(),
            steps: Vec::new(),
        }
    }

    /// Appends a step.
    pub fn push(&mut self, origin: Origin, summary: impl Into<String>, action: A) {
        self.steps.push(PlannedStep {
            summary: summary.into(),
            origin,
            action,
        });
    }
}

impl<A> fmt::Display for Plan<A> {
    /// One numbered line per step, marking defaults, e.g. `2. set description (default)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "plan for service '{}':", self.service)?;
        for (index, step) in self.steps.iter().enumerate() {
            let origin = match step.origin {
                Origin::Explicit => "",
                Origin::Default => " (default)",
            };
            writeln!(f, "{:>3}. {}{origin}", index + 1, step.summary)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_prints_numbered_steps_and_marks_defaults() {
        let mut plan = Plan::new("hello");
        plan.push(Origin::Explicit, "create service", ());
        plan.push(Origin::Default, "set service SID type: unrestricted", ());
        assert_eq!(
            plan.to_string(),
            "plan for service 'hello':\n  1. create service\n  2. set service SID type: unrestricted (default)\n"
        );
    }
}
