use super::*;
use crate::spec::StartLimit;

const MS: Duration = Duration::from_millis(1);

fn policy(mode: RestartMode) -> RestartPolicy {
    RestartPolicy {
        mode,
        success_codes: vec![0],
        delay: 100 * MS,
        multiplier: 2.0,
        max_delay: 1000 * MS,
        jitter: 0.0,
        start_limit: Some(StartLimit {
            burst: 5,
            interval: Duration::from_secs(60),
        }),
        reset_after: Duration::from_secs(10),
    }
}

/// Drives a machine through events, tracking the actions and a fake clock.
struct Driver {
    machine: Machine,
    now: Instant,
    actions: Vec<Action>,
}

impl Driver {
    fn new(policy: RestartPolicy) -> Self {
        let mut driver = Driver {
            machine: Machine::new(policy, Duration::from_secs(5), 42),
            now: Instant::now(),
            actions: Vec::new(),
        };
        driver.send(Event::Start);
        driver
    }

    fn send(&mut self, event: Event) -> Vec<Action> {
        let (machine, actions) = step(self.machine.clone(), event, self.now);
        self.machine = machine;
        self.actions.extend(actions.iter().copied());
        actions
    }

    fn advance(&mut self, by: Duration) {
        self.now += by;
    }

    fn timer(&self, actions: &[Action]) -> Option<Instant> {
        actions.iter().find_map(|a| match a {
            Action::ScheduleTimer(at) => Some(*at),
            _ => None,
        })
    }

    /// Spawns, runs for `ran`, exits with `status`; returns the actions after the exit.
    fn run_once(&mut self, ran: Duration, status: ExitStatus) -> Vec<Action> {
        self.send(Event::Spawned { pid: 100 });
        self.advance(ran);
        self.send(Event::Exited(status))
    }

    /// Fires the pending backoff timer at its deadline.
    fn fire_backoff(&mut self) -> Vec<Action> {
        let State::Backoff { until } = self.machine.state() else {
            panic!("not in backoff: {:?}", self.machine.state())
        };
        self.now = until;
        self.send(Event::TimerFired)
    }
}

fn finish(actions: &[Action]) -> Option<Outcome> {
    actions.iter().find_map(|a| match a {
        Action::Finish(outcome) => Some(*outcome),
        _ => None,
    })
}

#[test]
fn backoff_grows_by_the_multiplier_up_to_the_cap() {
    let mut p = policy(RestartMode::Always);
    p.start_limit = None;
    let mut d = Driver::new(p);
    let mut delays = Vec::new();
    for _ in 0..8 {
        let actions = d.run_once(MS, ExitStatus::Code(1));
        let at = d.timer(&actions).expect("a backoff timer");
        delays.push((at - d.now).as_millis());
        d.fire_backoff();
    }
    assert_eq!(delays, [100, 200, 400, 800, 1000, 1000, 1000, 1000]);
    assert_eq!(d.machine.restarts(), 8);
}

#[test]
fn jitter_stays_within_its_bounds_and_under_the_cap() {
    let mut p = policy(RestartMode::Always);
    p.start_limit = None;
    p.jitter = 0.5;
    let mut d = Driver::new(p);
    let mut distinct = std::collections::BTreeSet::new();
    for _ in 0..200 {
        let base = d.machine.base_delay();
        let actions = d.run_once(MS, ExitStatus::Code(1));
        let waited = d.timer(&actions).expect("a backoff timer") - d.now;
        assert!(
            waited <= base && waited >= base / 2,
            "{waited:?} vs {base:?}"
        );
        assert!(waited <= Duration::from_secs(1));
        distinct.insert(waited);
        d.fire_backoff();
    }
    assert!(
        distinct.len() > 50,
        "jitter should vary: {}",
        distinct.len()
    );
}

#[test]
fn zero_delay_respawns_at_once() {
    let mut p = policy(RestartMode::Always);
    p.delay = Duration::ZERO;
    let mut d = Driver::new(p);
    let actions = d.run_once(MS, ExitStatus::Code(3));
    assert!(actions.contains(&Action::Spawn));
    assert_eq!(d.machine.state(), State::Starting);
}

#[test]
fn start_limit_trips_with_the_childs_exit_code() {
    let mut d = Driver::new(policy(RestartMode::OnFailure));
    for _ in 0..4 {
        let actions = d.run_once(MS, ExitStatus::Code(7));
        assert!(finish(&actions).is_none());
        d.fire_backoff();
    }
    let actions = d.run_once(MS, ExitStatus::Code(7));
    let outcome = Outcome::Failed {
        code: 7,
        reason: FailReason::StartLimit,
    };
    assert_eq!(finish(&actions), Some(outcome));
    assert!(d.machine.state().is_terminal());
    assert_eq!(d.actions.iter().filter(|a| **a == Action::Spawn).count(), 5);
    // A signal death reports 128 + signal.
    let mut d = Driver::new(policy(RestartMode::Never));
    let actions = d.run_once(MS, ExitStatus::Signal(9));
    assert!(matches!(
        finish(&actions),
        Some(Outcome::Failed { code: 137, .. })
    ));
}

#[test]
fn start_limit_window_slides() {
    let mut d = Driver::new(policy(RestartMode::Always));
    // Starts 20 s apart: never more than 3 in a 60 s window.
    for _ in 0..20 {
        let actions = d.run_once(Duration::from_secs(5), ExitStatus::Code(1));
        assert!(finish(&actions).is_none(), "{actions:?}");
        d.fire_backoff();
        d.advance(Duration::from_secs(15));
    }
}

#[test]
fn stable_uptime_resets_backoff_and_start_limit() {
    let mut d = Driver::new(policy(RestartMode::Always));
    for _ in 0..3 {
        d.run_once(MS, ExitStatus::Code(1));
        d.fire_backoff();
    }
    assert_eq!(d.machine.base_delay(), 800 * MS);
    let actions = d.run_once(Duration::from_secs(10), ExitStatus::Code(1));
    assert_eq!(d.timer(&actions).map(|t| t - d.now), Some(100 * MS));
    // The window was cleared: four more quick failures are allowed before the fifth trips.
    for _ in 0..4 {
        d.fire_backoff();
        assert!(finish(&d.run_once(MS, ExitStatus::Code(1))).is_none());
    }
    d.fire_backoff();
    assert!(finish(&d.run_once(MS, ExitStatus::Code(1))).is_some());
}

#[test]
fn success_codes_follow_the_policy() {
    let mut p = policy(RestartMode::OnFailure);
    p.success_codes = vec![0, 3];
    let mut d = Driver::new(p.clone());
    assert_eq!(
        finish(&d.run_once(MS, ExitStatus::Code(3))),
        Some(Outcome::Exited { code: 3 })
    );
    let mut d = Driver::new(p.clone());
    assert!(finish(&d.run_once(MS, ExitStatus::Code(4))).is_none());
    assert!(matches!(d.machine.state(), State::Backoff { .. }));
    let mut d = Driver::new(p.clone());
    assert!(finish(&d.run_once(MS, ExitStatus::Signal(15))).is_none());

    p.mode = RestartMode::Always;
    let mut d = Driver::new(p.clone());
    assert!(finish(&d.run_once(MS, ExitStatus::Code(0))).is_none());

    p.mode = RestartMode::Never;
    let mut d = Driver::new(p.clone());
    assert_eq!(
        finish(&d.run_once(MS, ExitStatus::Code(0))),
        Some(Outcome::Exited { code: 0 })
    );
    let mut d = Driver::new(p);
    assert_eq!(
        finish(&d.run_once(MS, ExitStatus::Code(9))),
        Some(Outcome::Failed {
            code: 9,
            reason: FailReason::NotRestarted
        })
    );
}

#[test]
fn graceful_stop_never_restarts() {
    let mut d = Driver::new(policy(RestartMode::Always));
    d.send(Event::Spawned { pid: 5 });
    let actions = d.send(Event::StopRequested);
    assert!(actions.contains(&Action::SendGracefulStop));
    let deadline = d.timer(&actions).expect("a stop deadline");
    assert_eq!(deadline - d.now, Duration::from_secs(5));
    // The program exits with a failure code because of the signal: still no restart.
    let actions = d.send(Event::Exited(ExitStatus::Signal(15)));
    assert_eq!(finish(&actions), Some(Outcome::Stopped));
    d.now = deadline;
    assert!(d.send(Event::TimerFired).is_empty());
    assert_eq!(d.actions.iter().filter(|a| **a == Action::Spawn).count(), 1);
}

#[test]
fn stop_timeout_kills_the_tree_once() {
    let mut d = Driver::new(policy(RestartMode::Always));
    d.send(Event::Spawned { pid: 5 });
    let actions = d.send(Event::StopRequested);
    let deadline = d.timer(&actions).unwrap();
    // An early (stale) timer does nothing.
    assert!(d.send(Event::TimerFired).is_empty());
    d.now = deadline;
    assert!(d.send(Event::TimerFired).contains(&Action::KillTree));
    assert!(d.send(Event::TimerFired).is_empty());
    let actions = d.send(Event::Exited(ExitStatus::Signal(9)));
    assert_eq!(finish(&actions), Some(Outcome::Stopped));
}

#[test]
fn stop_in_backoff_and_during_spawn() {
    let mut d = Driver::new(policy(RestartMode::Always));
    d.run_once(MS, ExitStatus::Code(1));
    assert_eq!(
        finish(&d.send(Event::StopRequested)),
        Some(Outcome::Stopped)
    );
    assert!(d.send(Event::TimerFired).is_empty());

    let mut d = Driver::new(policy(RestartMode::Always));
    d.send(Event::StopRequested);
    let actions = d.send(Event::Spawned { pid: 9 });
    assert!(actions.contains(&Action::SendGracefulStop));
    assert_eq!(
        finish(&d.send(Event::Exited(ExitStatus::Code(0)))),
        Some(Outcome::Stopped)
    );

    let mut d = Driver::new(policy(RestartMode::Always));
    d.send(Event::StopRequested);
    assert_eq!(finish(&d.send(Event::SpawnFailed)), Some(Outcome::Stopped));
}

#[test]
fn fence_kills_at_its_deadline_when_sooner_than_the_stop_timeout() {
    let mut d = Driver::new(policy(RestartMode::Always));
    d.send(Event::Spawned { pid: 5 });
    let kill_by = d.now + 500 * MS;
    let actions = d.send(Event::FenceRequested { kill_by });
    assert_eq!(
        actions,
        [
            Action::WriteState,
            Action::SendGracefulStop,
            Action::ScheduleTimer(kill_by)
        ]
    );
    d.advance(499 * MS);
    assert!(d.send(Event::TimerFired).is_empty());
    d.now = kill_by;
    assert!(d.send(Event::TimerFired).contains(&Action::KillTree));
    // A fence after the kill changes nothing.
    assert!(d.send(Event::FenceRequested { kill_by: d.now }).is_empty());
    let actions = d.send(Event::Exited(ExitStatus::Signal(9)));
    assert_eq!(finish(&actions), Some(Outcome::Stopped));
    assert_eq!(d.actions.iter().filter(|a| **a == Action::Spawn).count(), 1);
}

#[test]
fn fence_keeps_a_shorter_stop_timeout() {
    let mut d = Driver::new(policy(RestartMode::Always));
    d.send(Event::Spawned { pid: 5 });
    let kill_by = d.now + Duration::from_secs(60);
    let actions = d.send(Event::FenceRequested { kill_by });
    assert_eq!(d.timer(&actions), Some(d.now + Duration::from_secs(5)));
}

#[test]
fn fence_shortens_a_stop_in_progress_never_lengthens_it() {
    let mut d = Driver::new(policy(RestartMode::Always));
    d.send(Event::Spawned { pid: 5 });
    let actions = d.send(Event::StopRequested);
    let stop_deadline = d.timer(&actions).unwrap();
    d.advance(Duration::from_secs(1));
    // Later than the stop's own deadline: nothing changes.
    assert!(
        d.send(Event::FenceRequested {
            kill_by: stop_deadline + MS
        })
        .is_empty()
    );
    let kill_by = d.now + 100 * MS;
    assert_eq!(
        d.send(Event::FenceRequested { kill_by }),
        [Action::ScheduleTimer(kill_by)]
    );
    d.now = kill_by;
    assert!(d.send(Event::TimerFired).contains(&Action::KillTree));
    let actions = d.send(Event::Exited(ExitStatus::Signal(9)));
    assert_eq!(finish(&actions), Some(Outcome::Stopped));
}

#[test]
fn fence_in_backoff_stops_without_spawning() {
    let mut d = Driver::new(policy(RestartMode::Always));
    d.run_once(MS, ExitStatus::Code(1));
    assert!(matches!(d.machine.state(), State::Backoff { .. }));
    let kill_by = d.now + 500 * MS;
    assert_eq!(
        finish(&d.send(Event::FenceRequested { kill_by })),
        Some(Outcome::Stopped)
    );
    d.advance(Duration::from_secs(10));
    assert!(d.send(Event::TimerFired).is_empty());
    assert_eq!(d.actions.iter().filter(|a| **a == Action::Spawn).count(), 1);
}

#[test]
fn fence_during_spawn_keeps_its_deadline() {
    let mut d = Driver::new(policy(RestartMode::Always));
    let kill_by = d.now + 200 * MS;
    assert_eq!(
        d.send(Event::FenceRequested { kill_by }),
        [Action::WriteState]
    );
    d.advance(50 * MS);
    let actions = d.send(Event::Spawned { pid: 9 });
    assert!(actions.contains(&Action::SendGracefulStop));
    assert_eq!(d.timer(&actions), Some(kill_by));

    // A plain stop during the spawn, then a fence: the fence's deadline holds.
    let mut d = Driver::new(policy(RestartMode::Always));
    d.send(Event::StopRequested);
    let kill_by = d.now + 300 * MS;
    assert!(d.send(Event::FenceRequested { kill_by }).is_empty());
    let actions = d.send(Event::Spawned { pid: 9 });
    assert_eq!(d.timer(&actions), Some(kill_by));

    // A fence, then no spawn after all (the loop took it before spawning): stopped.
    let mut d = Driver::new(policy(RestartMode::Always));
    d.send(Event::FenceRequested { kill_by });
    assert_eq!(finish(&d.send(Event::SpawnFailed)), Some(Outcome::Stopped));
}

#[test]
fn pre_start_and_spawn_failures() {
    let mut d = Driver::new(policy(RestartMode::Always));
    let outcome = finish(&d.send(Event::PreStartFailed { code: 4 }));
    assert_eq!(
        outcome,
        Some(Outcome::Failed {
            code: 4,
            reason: FailReason::PreStartFailed
        })
    );
    let mut d = Driver::new(policy(RestartMode::Never));
    let outcome = finish(&d.send(Event::SpawnFailed));
    assert_eq!(
        outcome,
        Some(Outcome::Failed {
            code: SPAWN_FAILED_CODE,
            reason: FailReason::SpawnFailed
        })
    );
    let mut d = Driver::new(policy(RestartMode::OnFailure));
    assert!(d.send(Event::SpawnFailed).contains(&Action::WriteState));
    assert!(matches!(d.machine.state(), State::Backoff { .. }));
}

/// A storm of 1000 interleaved stop requests, exits, spawns and timers, in a pseudo-random
/// order: the machine finishes exactly once, never spawns after a stop request, and a stop
/// always ends `Stopped`.
#[test]
fn storm_of_interleaved_events_stays_consistent() {
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let mut random = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    for round in 0..1000 {
        let mut p = policy(RestartMode::Always);
        p.delay = if round % 2 == 0 { Duration::ZERO } else { MS };
        p.start_limit = None;
        let mut d = Driver::new(p);
        let mut stop_seen = false;
        let mut finishes = 0;
        let mut spawns_after_stop = 0;
        for _ in 0..20 {
            let event = match random(6) {
                0 => Event::StopRequested,
                5 => Event::FenceRequested {
                    kill_by: d.now + Duration::from_millis(random(10_000)),
                },
                1 => Event::Exited(ExitStatus::Code(random(3) as u32)),
                2 => Event::Spawned { pid: 7 },
                3 => Event::TimerFired,
                _ => Event::SpawnFailed,
            };
            d.advance(Duration::from_millis(random(10_000)));
            let stop = matches!(event, Event::StopRequested | Event::FenceRequested { .. });
            stop_seen |= stop && !d.machine.state().is_terminal();
            let actions = d.send(event);
            if stop_seen {
                spawns_after_stop += actions.iter().filter(|a| **a == Action::Spawn).count();
            }
            if let Some(outcome) = finish(&actions) {
                finishes += 1;
                if stop_seen {
                    assert_eq!(outcome, Outcome::Stopped, "round {round}");
                }
            }
        }
        assert_eq!(spawns_after_stop, 0, "round {round}");
        assert!(finishes <= 1, "round {round}");
        assert_eq!(
            finishes == 1,
            d.machine.state().is_terminal(),
            "round {round}"
        );
    }
}
