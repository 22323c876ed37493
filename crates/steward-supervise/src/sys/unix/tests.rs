use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec, poll};

use super::{Containment, reap_adopted};
use crate::machine::ExitStatus;
use crate::spec::ProgramSpec;

/// The program exits after the loop's poll returned and before the between-ticks reap: that reap
/// must leave it to `Child::finish`, which then reports its exit code. (It used to reap the
/// program too, and `finish` failed with `ECHILD`: seen once in a storm of stop signals.)
#[test]
fn the_between_ticks_reap_leaves_an_exited_program_to_finish() {
    let containment = Containment::new().expect("containment");
    let spec = ProgramSpec::new("/bin/sh").args(["-c", "exit 7"]);
    let (child, _) = containment.spawn(&spec, false).expect("spawn");
    // Wait (with a deadline) until the program is a zombie: its pidfd turns readable.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut fds = [PollFd::from_borrowed_fd(
            std::os::fd::AsFd::as_fd(&child.pidfd),
            PollFlags::IN,
        )];
        let _ = poll(
            &mut fds,
            Some(&Timespec::try_from(Duration::from_millis(100)).unwrap()),
        );
        if !fds[0].revents().is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "the program never exited");
    }
    // What `Events::wait` does when its poll timed out just before the exit.
    reap_adopted(false, Some(child.pid));
    assert_eq!(
        child.finish().expect("finish reaps the program"),
        ExitStatus::Code(7)
    );
}
