//! Drives the runtime core with a recording reporter: no processes, no service manager.

use std::sync::Mutex;
use std::thread;

use super::*;
use crate::exit::exit_code;
use crate::shared::Control;

#[derive(Default)]
struct Recorder {
    notices: Mutex<Vec<(Instant, Notice)>>,
}

impl Reporter for Recorder {
    fn notify(&self, notice: Notice) {
        self.notices.lock().unwrap().push((Instant::now(), notice));
    }
}

impl Recorder {
    fn notices(&self) -> Vec<Notice> {
        self.notices
            .lock()
            .unwrap()
            .iter()
            .map(|(_, n)| n.clone())
            .collect()
    }

    fn phases(&self) -> Vec<Phase> {
        let mut phases: Vec<Phase> = Vec::new();
        for notice in self.notices() {
            if let Notice::State { phase, .. } = notice
                && phases.last() != Some(&phase)
            {
                phases.push(phase);
            }
        }
        phases
    }

    fn checkpoints(&self, wanted: Phase) -> Vec<u32> {
        self.notices()
            .into_iter()
            .filter_map(|n| match n {
                Notice::State {
                    phase, checkpoint, ..
                } if phase == wanted => Some(checkpoint),
                _ => None,
            })
            .collect()
    }

    fn last(&self) -> Notice {
        self.notices().last().cloned().unwrap()
    }
}

fn spec() -> ServiceSpec {
    ServiceSpec::new("test")
        .pausable(true)
        .progress_interval(Duration::from_millis(20))
        .shutdown_grace(Duration::from_millis(300))
}

/// Runs `service` under a driver on a background thread; returns the shared state (to send
/// controls), the recorder and the join handle with the exit.
fn start(
    spec: ServiceSpec,
    watchdog: Option<Watchdog>,
    service: impl FnOnce(Context) -> Result<(), Failure> + Send + 'static,
) -> (Arc<Shared>, Arc<Recorder>, thread::JoinHandle<Exit>) {
    let shared = Arc::new(Shared::new(spec.accepts_pause()));
    let recorder = Arc::new(Recorder::default());
    let (s, r) = (Arc::clone(&shared), Arc::clone(&recorder));
    let handle = thread::spawn(move || {
        Driver {
            spec: &spec,
            shared: s,
            reporter: &*r,
            watchdog,
        }
        .run(Box::new(service))
    });
    (shared, recorder, handle)
}

fn wait_for_phase(shared: &Shared, phase: Phase) {
    let deadline = Some(Instant::now() + Duration::from_secs(5));
    shared
        .wait_until(deadline, |s| (s.phase == phase).then_some(()))
        .unwrap_or_else(|| panic!("phase {phase:?} not reached"));
}

#[test]
fn clean_stop_reports_start_running_stopping_stopped() {
    let (shared, rec, handle) = start(spec(), None, |ctx| {
        ctx.ready();
        while !ctx.wait_for_shutdown(Duration::from_secs(10)) {}
        thread::sleep(Duration::from_millis(60));
        Ok(())
    });
    wait_for_phase(&shared, Phase::Running);
    shared.deliver(Control::Stop);
    assert_eq!(handle.join().unwrap(), Exit::Clean);
    assert_eq!(
        rec.phases(),
        vec![Phase::Starting, Phase::Running, Phase::Stopping]
    );
    assert!(
        rec.checkpoints(Phase::Stopping).len() >= 2,
        "stop-pending checkpoints advance while the code drains: {:?}",
        rec.notices()
    );
    assert_eq!(rec.last(), Notice::Stopped(Exit::Clean));
}

#[test]
fn slow_initialisation_advances_start_checkpoints_then_runs() {
    let (shared, rec, handle) = start(spec(), None, |ctx| {
        thread::sleep(Duration::from_millis(200));
        ctx.ready();
        ctx.wait_for_shutdown(Duration::from_secs(10));
        Ok(())
    });
    wait_for_phase(&shared, Phase::Running);
    shared.deliver(Control::Stop);
    handle.join().unwrap();
    let checkpoints = rec.checkpoints(Phase::Starting);
    assert!(checkpoints.len() >= 3, "{checkpoints:?}");
    assert!(
        checkpoints.windows(2).all(|w| w[1] == w[0] + 1),
        "{checkpoints:?}"
    );
    let hint = rec.notices().into_iter().find_map(|n| match n {
        Notice::State {
            phase: Phase::Starting,
            wait_hint,
            ..
        } => Some(wait_hint),
        _ => None,
    });
    assert_eq!(hint, Some(Duration::from_millis(100)));
}

#[test]
fn waiting_for_events_counts_as_ready() {
    let (shared, rec, handle) = start(spec(), None, |ctx| {
        ctx.wait_for_shutdown(Duration::from_secs(10));
        Ok(())
    });
    wait_for_phase(&shared, Phase::Running);
    shared.deliver(Control::Stop);
    handle.join().unwrap();
    assert!(rec.phases().contains(&Phase::Running));
}

#[test]
fn error_during_start_ends_stopped_with_its_code_not_start_pending() {
    let (_shared, rec, handle) = start(spec(), None, |_ctx| {
        Err(Failure::msg("config missing").with_exit_code(7))
    });
    let exit = handle.join().unwrap();
    assert_eq!(exit.code(), 7);
    assert_eq!(
        rec.last(),
        Notice::Stopped(Exit::Failed {
            code: 7,
            message: "config missing".into()
        })
    );
}

#[test]
fn panic_ends_stopped_with_the_panic_code() {
    let (_shared, rec, handle) = start(spec(), None, |ctx| {
        ctx.ready();
        panic!("boom");
    });
    let exit = handle.join().unwrap();
    assert_eq!(exit.code(), exit_code::PANICKED);
    assert!(matches!(rec.last(), Notice::Stopped(Exit::Panicked { message }) if message == "boom"));
}

#[test]
fn grace_expiry_reports_stopped_with_the_documented_code() {
    let (shared, rec, handle) = start(spec(), None, |ctx| {
        ctx.ready();
        ctx.wait_for_shutdown(Duration::from_secs(10));
        thread::sleep(Duration::from_secs(3));
        Ok(())
    });
    wait_for_phase(&shared, Phase::Running);
    let stop_sent = Instant::now();
    shared.deliver(Control::Stop);
    let exit = handle.join().unwrap();
    assert_eq!(exit, Exit::GraceExpired);
    assert_eq!(exit.code(), exit_code::GRACE_EXPIRED);
    assert!(stop_sent.elapsed() < Duration::from_secs(3));
    assert_eq!(rec.last(), Notice::Stopped(Exit::GraceExpired));
}

#[test]
fn pause_and_continue_round_trip() {
    let (shared, rec, handle) = start(spec(), None, |ctx| {
        ctx.ready();
        loop {
            if ctx.next_event(Duration::from_secs(10)) == Some(crate::Event::Shutdown) {
                return Ok(());
            }
        }
    });
    wait_for_phase(&shared, Phase::Running);
    assert!(shared.deliver(Control::Pause));
    wait_for_phase(&shared, Phase::Paused);
    assert!(shared.deliver(Control::Continue));
    wait_for_phase(&shared, Phase::Running);
    shared.deliver(Control::Stop);
    assert_eq!(handle.join().unwrap(), Exit::Clean);
    let phases = rec.phases();
    assert!(phases.contains(&Phase::Paused), "{phases:?}");
    assert_eq!(phases.last(), Some(&Phase::Stopping));
}

#[test]
fn status_text_is_forwarded() {
    let (shared, rec, handle) = start(spec(), None, |ctx| {
        ctx.set_status("warming caches\nignored second line");
        ctx.wait_for_shutdown(Duration::from_secs(10));
        Ok(())
    });
    wait_for_phase(&shared, Phase::Running);
    shared.deliver(Control::Stop);
    handle.join().unwrap();
    assert!(
        rec.notices()
            .contains(&Notice::StatusText("warming caches".into()))
    );
}

#[test]
fn watchdog_pings_stop_when_the_heartbeat_goes_stale() {
    let watchdog = Some(Watchdog {
        period: Duration::from_millis(100),
    });
    let (shared, rec, handle) = start(spec(), watchdog, |ctx| {
        for _ in 0..10 {
            ctx.heartbeat();
            thread::sleep(Duration::from_millis(20));
        }
        // Now hang: no more heartbeats.
        ctx.wait_for_shutdown(Duration::from_secs(10));
        Ok(())
    });
    wait_for_phase(&shared, Phase::Running);
    // Heartbeats last ~200 ms; watch for 600 ms in all.
    thread::sleep(Duration::from_millis(600));
    shared.deliver(Control::Stop);
    handle.join().unwrap();
    let pings: Vec<Instant> = rec
        .notices
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, n)| *n == Notice::Watchdog)
        .map(|(at, _)| *at)
        .collect();
    assert!(pings.len() >= 2, "pinged while fresh: {}", pings.len());
    assert!(
        pings.len() <= 7,
        "pings stop once the heartbeat is stale: {}",
        pings.len()
    );
}

#[test]
fn control_storm_leaves_a_consistent_final_state() {
    let (shared, rec, handle) = start(spec(), None, |ctx| {
        ctx.ready();
        while ctx.next_event(Duration::from_secs(10)) != Some(crate::Event::Shutdown) {}
        Ok(())
    });
    wait_for_phase(&shared, Phase::Running);
    for i in 0..1000 {
        let control = [Control::Pause, Control::Continue, Control::Reload][i % 3];
        shared.deliver(control);
    }
    shared.deliver(Control::Stop);
    assert_eq!(handle.join().unwrap(), Exit::Clean);
    assert_eq!(rec.last(), Notice::Stopped(Exit::Clean));
}

/// Regression: entering the main loop (an implicit `ready`) changed the phase without waking the
/// driver, so RUNNING was reported only at the next progress tick.
#[test]
fn implicit_readiness_is_reported_at_once_not_at_the_next_tick() {
    let slow_ticks = ServiceSpec::new("test").progress_interval(Duration::from_secs(30));
    let (shared, rec, handle) = start(slow_ticks, None, |ctx| {
        ctx.wait_for_shutdown(Duration::from_secs(60));
        Ok(())
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    while !rec.phases().contains(&Phase::Running) {
        assert!(
            Instant::now() < deadline,
            "RUNNING not reported: {:?}",
            rec.notices()
        );
        thread::sleep(Duration::from_millis(5));
    }
    shared.deliver(Control::Stop);
    assert_eq!(handle.join().unwrap(), Exit::Clean);
}
