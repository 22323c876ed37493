//! Starting, stopping and cleaning up owned managers (this binary does not use the shared one).
#![cfg(target_os = "linux")]

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use steward_systemd_bench::UserManager;

fn gone_within(path: &Path, timeout: Duration) -> bool {
    let began = Instant::now();
    while path.exists() {
        if began.elapsed() > timeout {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    true
}

fn own_start_time() -> u64 {
    let stat = fs::read_to_string("/proc/self/stat").unwrap();
    let rest = &stat[stat.rfind(')').unwrap() + 1..];
    rest.split_whitespace().nth(19).unwrap().parse().unwrap()
}

#[test]
fn stop_leaves_no_process_cgroup_or_directory() {
    let manager = UserManager::start().unwrap();
    let root = manager.runtime_dir().parent().unwrap().to_path_buf();
    let name = root.file_name().unwrap().to_owned();
    let proc_dir = Path::new("/proc").join(manager.pid().to_string());
    let cgroups = [
        Path::new("/sys/fs/cgroup/systemd").join(&name),
        Path::new("/sys/fs/cgroup/unified").join(&name),
    ];
    assert!(cgroups.iter().all(|c| c.exists()));
    let unit = format!("{}.service", manager.unique_name("long"));
    manager
        .write_unit(&unit, "[Service]\nExecStart=/bin/sleep 300\n")
        .unwrap();
    manager.systemctl_ok(&["start", &unit]).unwrap();
    let main_pid = manager.show(&unit).unwrap()["MainPID"].clone();
    eprintln!("manager started in {:?}", manager.startup_time());

    manager.stop().unwrap();
    assert!(!proc_dir.exists(), "manager still running");
    assert!(
        !Path::new("/proc").join(&main_pid).exists(),
        "unit still running"
    );
    assert!(
        cgroups.iter().all(|c| !c.exists()),
        "cgroups left: {cgroups:?}"
    );
    assert!(!root.exists(), "{} left", root.display());
    // Idempotent.
    manager.stop().unwrap();
    assert!(manager.systemctl_ok(&["show"]).is_err());
}

#[test]
fn start_cleans_up_after_a_crashed_run() {
    // A crashed run's leftovers: cgroups and a directory named after an owner that no longer
    // exists (our PID with another start time), with an orphan still inside the cgroups.
    let name = format!(
        "steward-bench-{}-{}-0",
        std::process::id(),
        own_start_time() + 1
    );
    let cgroups = [
        Path::new("/sys/fs/cgroup/systemd").join(&name),
        Path::new("/sys/fs/cgroup/unified").join(&name),
    ];
    let mut orphan = Command::new("sleep")
        .arg("300")
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    for cg in &cgroups {
        fs::create_dir_all(cg.join("app.slice/orphan.service")).unwrap();
        fs::write(
            cg.join("app.slice/orphan.service/cgroup.procs"),
            orphan.id().to_string(),
        )
        .unwrap();
    }
    let dir = std::env::temp_dir().join(&name);
    fs::create_dir_all(dir.join("runtime")).unwrap();

    let manager = UserManager::start().unwrap();
    assert!(cgroups.iter().all(|c| !c.exists()), "stale cgroups left");
    assert!(!dir.exists(), "stale directory left");
    let began = Instant::now();
    let status = loop {
        if let Some(status) = orphan.try_wait().unwrap() {
            break status;
        }
        assert!(began.elapsed() < Duration::from_secs(5), "orphan survived");
        std::thread::sleep(Duration::from_millis(10));
    };
    assert!(!status.success());
    let runtime = manager.runtime_dir().to_path_buf();
    drop(manager);
    assert!(gone_within(&runtime, Duration::from_secs(1)));
}

#[test]
fn two_managers_run_side_by_side() {
    let a = UserManager::start().unwrap();
    let b = UserManager::start().unwrap();
    assert_ne!(a.runtime_dir(), b.runtime_dir());
    let unit = "same-name.service";
    for m in [&a, &b] {
        m.write_unit(unit, "[Service]\nExecStart=/bin/sleep 300\n")
            .unwrap();
    }
    a.systemctl_ok(&["start", unit]).unwrap();
    assert_eq!(a.active_state(unit).unwrap(), "active");
    assert_eq!(b.active_state(unit).unwrap(), "inactive");
}
