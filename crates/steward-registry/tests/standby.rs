//! Cold standby with two real processes: never two active, fast takeover, old leader stays standby.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::etcd::{self, Etcd};
use steward_registry::{Election, LossReason, Role};

const TTL: Duration = Duration::from_secs(3);
const WAIT: Duration = Duration::from_secs(20);

fn candidate(etcd: &Etcd, name: &str, markers: &Path) -> Child {
    Command::new(etcd::example("standby"))
        .args([
            &etcd.endpoint(),
            "db",
            name,
            &TTL.as_secs().to_string(),
            &markers.display().to_string(),
        ])
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn standby example")
}

fn alive(pid: u32) -> bool {
    // A reaped process has no /proc entry; a zombie's state is 'Z'.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

/// Pids whose marker exists and whose process lives: the programs "running" now.
fn active(markers: &Path) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir(markers) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name()
                .to_str()?
                .strip_suffix(".active")?
                .parse()
                .ok()
        })
        .filter(|pid| alive(*pid))
        .collect()
}

fn wait_active(markers: &Path, want: impl Fn(&[u32]) -> bool) -> Vec<u32> {
    let deadline = Instant::now() + WAIT;
    loop {
        let now = active(markers);
        if want(&now) {
            return now;
        }
        assert!(Instant::now() < deadline, "active programs: {now:?}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn only_one_program_runs_and_the_standby_takes_over_after_sigkill() {
    let etcd = Etcd::start();
    let markers = tempfile::tempdir().unwrap();
    let dir = markers.path().to_owned();
    let stop = Arc::new(AtomicBool::new(false));
    let max_seen = Arc::new(AtomicUsize::new(0));
    let monitor = {
        let (stop, max_seen, dir) = (stop.clone(), max_seen.clone(), dir.clone());
        std::thread::spawn(move || {
            let mut checks = 0u64;
            while !stop.load(Ordering::SeqCst) {
                let now = active(&dir);
                max_seen.fetch_max(now.len(), Ordering::SeqCst);
                assert!(now.len() <= 1, "two programs active at once: {now:?}");
                checks += 1;
                std::thread::sleep(Duration::from_millis(2));
            }
            checks
        })
    };

    let a = candidate(&etcd, "a", &dir);
    let b = candidate(&etcd, "b", &dir);
    let first = wait_active(&dir, |p| p.len() == 1)[0];
    let (mut leader, mut standby) = if first == a.id() { (a, b) } else { (b, a) };

    leader.kill().expect("SIGKILL the leader");
    let killed = Instant::now();
    leader.wait().expect("reap");
    let second = wait_active(&dir, |p| p.len() == 1 && p[0] != first)[0];
    let takeover = killed.elapsed();
    println!("standby took over {takeover:?} after SIGKILL (ttl {TTL:?})");
    assert_eq!(second, standby.id());
    assert!(
        takeover <= TTL + Duration::from_secs(1),
        "took {takeover:?}"
    );

    // The old leader comes back (a new process, same candidate name): it stays standby.
    let mut returning = candidate(&etcd, "a", &dir);
    let settle = Instant::now() + 2 * TTL;
    while Instant::now() < settle {
        assert_eq!(
            active(&dir),
            vec![second],
            "the returning candidate must stay standby"
        );
        std::thread::sleep(Duration::from_millis(20));
    }

    // The active one dies too: the returning candidate takes over.
    standby.kill().expect("SIGKILL");
    standby.wait().expect("reap");
    let third = wait_active(&dir, |p| p.len() == 1 && p[0] != second)[0];
    assert_eq!(third, returning.id());

    stop.store(true, Ordering::SeqCst);
    let checks = monitor.join().expect("monitor saw two active programs");
    println!(
        "{checks} continuous checks, at most {} active",
        max_seen.load(Ordering::SeqCst)
    );
    assert!(checks > 100);
    let _ = returning.kill();
    let _ = returning.wait();
}

#[test]
fn leader_reports_loss_before_the_lease_can_expire() {
    let mut etcd = Etcd::start();
    let election = Election::start(etcd.config(TTL), "cache", "solo").unwrap();
    election.campaign();
    assert!(election.wait_leader(WAIT), "{:?}", election.role());
    etcd.kill9();
    let down = Instant::now();
    let reason = election.wait_lost(WAIT).expect("leadership loss reported");
    let after = down.elapsed();
    println!("leadership loss reported {after:?} after etcd died (ttl {TTL:?})");
    assert_eq!(reason, LossReason::KeepaliveOverdue);
    // Reported within half the TTL of the last acknowledged keepalive: well before expiry.
    assert!(after < TTL, "took {after:?}");

    // etcd back: campaigning again wins (the stale lease is revoked first).
    etcd.launch();
    election.campaign();
    assert!(election.wait_leader(WAIT), "{:?}", election.role());
    assert!(matches!(election.role(), Role::Leader { .. }));
    election.resign(WAIT).expect("resign");
}

#[test]
fn resign_hands_over_at_once() {
    let etcd = Etcd::start();
    let (first, second) = leader_and_standby(&etcd, "queue");
    first.resign(WAIT).expect("resign");
    assert!(second.wait_leader(WAIT), "{:?}", second.role());
    second.resign(WAIT).expect("resign");
}

/// Candidate "one" of `service`, leading, and candidate "two", standing by.
fn leader_and_standby(etcd: &Etcd, service: &str) -> (Election, Election) {
    let first = Election::start(etcd.config(TTL), service, "one").unwrap();
    first.campaign();
    assert!(first.wait_leader(WAIT), "{:?}", first.role());
    let second = Election::start(etcd.config(TTL), service, "two").unwrap();
    second.campaign();
    assert!(!second.wait_leader(Duration::from_millis(500)));
    assert_eq!(second.role(), Role::Campaigning);
    (first, second)
}

/// Whether lease `id` still exists, as etcd reports it (`etcdctl lease timetolive`).
fn lease_exists(etcd: &Etcd, id: i64) -> bool {
    let out = etcd.etcdctl(&["lease", "timetolive", &format!("{id:x}")], None);
    !out.contains("already expired")
}

fn leader_lease(election: &Election) -> i64 {
    match election.role() {
        Role::Leader { lease_id } => lease_id,
        other => panic!("not the leader: {other:?}"),
    }
}

/// Polls until one of `candidates` leads and returns its index, checking at every step that
/// none leads while `old_lease` (the lease of the key an operator deleted) still exists. The
/// roles are read before the lease, so a lease seen alive was alive when they were read.
fn wait_leader_after_lease_gone(etcd: &Etcd, candidates: &[&Election], old_lease: i64) -> usize {
    let deadline = Instant::now() + WAIT;
    loop {
        let leader = candidates
            .iter()
            .position(|c| matches!(c.role(), Role::Leader { .. }));
        let old_alive = lease_exists(etcd, old_lease);
        assert!(
            !(leader.is_some() && old_alive),
            "a candidate leads while the old leader's lease {old_lease:x} lives"
        );
        if let Some(index) = leader {
            return index;
        }
        assert!(Instant::now() < deadline, "no new leader");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_leader_key_deleted_by_hand_moves_leadership_only_after_the_old_lease_is_gone() {
    let etcd = Etcd::start();
    let key = etcd.config(TTL).leader_key("mail");
    let (first, second) = leader_and_standby(&etcd, "mail");
    let first_lease = leader_lease(&first);

    // 1. Deleted while the old leader's program is still stopping (it never calls campaign):
    //    the standby waits until that lease has expired on its own.
    etcd.etcdctl(&["del", &key], None);
    assert_eq!(
        first.wait_lost(WAIT),
        Some(LossReason::LeaderKeyChanged),
        "the leader notices its key is gone"
    );
    assert_eq!(
        wait_leader_after_lease_gone(&etcd, &[&second], first_lease),
        0
    );
    let second_lease = leader_lease(&second);

    // The old leader campaigns again (its program stopped): it stays standby.
    first.campaign();
    assert!(!first.wait_leader(Duration::from_millis(500)));
    assert_eq!(first.role(), Role::Campaigning);

    // 2. Deleted again; this time the old leader stops its program and campaigns, which
    //    revokes its lease: an instance leads again at once, without waiting for a TTL (either
    //    one may win the free key; the old leader only after its own lease is gone).
    etcd.etcdctl(&["del", &key], None);
    assert_eq!(second.wait_lost(WAIT), Some(LossReason::LeaderKeyChanged));
    assert!(
        lease_exists(&etcd, second_lease),
        "the lost lease is kept until the stop"
    );
    assert_eq!(
        first.role(),
        Role::Campaigning,
        "no takeover while the old program may run"
    );
    second.campaign();
    let revoked = Instant::now();
    let winner = wait_leader_after_lease_gone(&etcd, &[&first, &second], second_lease);
    println!(
        "candidate {winner} leads {:?} after the old leader's campaign revoked its lease",
        revoked.elapsed()
    );
    let leaders = [&first, &second]
        .iter()
        .filter(|c| matches!(c.role(), Role::Leader { .. }))
        .count();
    assert_eq!(leaders, 1, "exactly one leader");

    first.resign(WAIT).expect("resign");
    second.resign(WAIT).expect("resign");
}

#[test]
fn a_leader_key_overwritten_by_hand_stops_the_leader_and_blocks_takeover_until_deleted() {
    let etcd = Etcd::start();
    let key = etcd.config(TTL).leader_key("jobs");
    let (first, second) = leader_and_standby(&etcd, "jobs");
    let first_lease = leader_lease(&first);

    etcd.etcdctl(&["put", &key, "intruder"], None);
    assert_eq!(first.wait_lost(WAIT), Some(LossReason::LeaderKeyChanged));
    first.campaign();
    // The key is held without a lease: nobody may lead until an operator deletes it.
    assert!(!first.wait_leader(TTL + Duration::from_secs(1)));
    assert!(!second.wait_leader(Duration::from_millis(100)));
    assert_eq!(
        etcd.etcdctl(&["get", "--print-value-only", &key], None)
            .trim(),
        "intruder"
    );

    etcd.etcdctl(&["del", &key], None);
    wait_leader_after_lease_gone(&etcd, &[&first, &second], first_lease);
    let leaders = [&first, &second]
        .iter()
        .filter(|e| matches!(e.role(), Role::Leader { .. }))
        .count();
    assert_eq!(leaders, 1);
    first.resign(WAIT).expect("resign");
    second.resign(WAIT).expect("resign");
}
