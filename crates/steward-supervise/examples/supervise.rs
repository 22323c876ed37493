//! A small supervising process for tests and benchmarks: `steward run` in miniature.
//!
//! ```text
//! supervise [--policy always|on-failure|never] [--delay MS] [--max-delay MS] [--multiplier F]
//!           [--jitter F] [--burst N] [--interval MS] [--no-limit] [--reset-after MS]
//!           [--stop-timeout MS] [--stop-signal N] [--success CODE]... [--state-file FILE]
//!           [--pre-start CMD] [--env KEY=VALUE]... -- COMMAND [ARGS]...
//! ```
//!
//! SIGTERM or SIGINT stops it. It prints `outcome: ...` on stderr and exits with 0 for a clean
//! end, or the child's exit code when supervising failed.

use std::time::Duration;

use steward_supervise::{
    Hook, Hooks, Outcome, ProgramSpec, RestartMode, RestartPolicy, StartLimit, Supervisor,
};

fn main() -> steward::Exit {
    let supervisor = match parse(std::env::args().skip(1).collect()) {
        Ok(supervisor) => supervisor,
        Err(message) => {
            eprintln!("supervise: {message}");
            std::process::exit(2);
        }
    };
    let spec = steward::ServiceSpec::new("supervise");
    steward::run_with(spec, steward::Mode::Console, move |ctx| {
        let outcome = supervisor.run(&ctx)?;
        eprintln!("outcome: {outcome:?}");
        match outcome {
            Outcome::Failed { code, reason } => {
                Err(steward::Failure::msg(reason.to_string()).with_exit_code(code))
            }
            _ => Ok(()),
        }
    })
}

fn ms(text: &str) -> Result<Duration, String> {
    text.parse()
        .map(Duration::from_millis)
        .map_err(|_| format!("bad milliseconds {text}"))
}

fn parse(args: Vec<String>) -> Result<Supervisor, String> {
    let mut policy = RestartPolicy::default();
    let mut limit = StartLimit {
        burst: 5,
        interval: Duration::from_secs(60),
    };
    let mut no_limit = false;
    let mut success = Vec::new();
    let (mut stop_timeout, mut stop_signal) = (Duration::from_secs(10), 15);
    let (mut state_file, mut pre_start, mut env) = (None, None, Vec::new());
    let mut iter = args.into_iter();
    let command = loop {
        let flag = iter.next().ok_or("missing -- COMMAND")?;
        if flag == "--" {
            break iter.next().ok_or("missing COMMAND")?;
        }
        let value = iter.next().ok_or(format!("{flag} needs a value"))?;
        let number = |v: &str| v.parse::<f64>().map_err(|_| format!("bad number {v}"));
        match flag.as_str() {
            "--policy" => {
                policy.mode = match value.as_str() {
                    "always" => RestartMode::Always,
                    "on-failure" => RestartMode::OnFailure,
                    "never" => RestartMode::Never,
                    _ => return Err(format!("bad policy {value}")),
                }
            }
            "--delay" => policy.delay = ms(&value)?,
            "--max-delay" => policy.max_delay = ms(&value)?,
            "--multiplier" => policy.multiplier = number(&value)?,
            "--jitter" => policy.jitter = number(&value)?,
            "--burst" => limit.burst = number(&value)? as u32,
            "--interval" => limit.interval = ms(&value)?,
            "--no-limit" => no_limit = value == "true",
            "--reset-after" => policy.reset_after = ms(&value)?,
            "--stop-timeout" => stop_timeout = ms(&value)?,
            "--stop-signal" => stop_signal = number(&value)? as i32,
            "--success" => success.push(number(&value)? as u32),
            "--state-file" => state_file = Some(value),
            "--pre-start" => pre_start = Some(Hook::new(value).timeout(Duration::from_secs(5))),
            "--env" => env.push(
                value
                    .split_once('=')
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .ok_or("--env needs KEY=VALUE")?,
            ),
            _ => return Err(format!("unknown flag {flag}")),
        }
    };
    policy.start_limit = (!no_limit).then_some(limit);
    if !success.is_empty() {
        policy.success_codes = success;
    }
    let mut program = ProgramSpec::new(command)
        .args(iter)
        .stop_timeout(stop_timeout)
        .stop_signal(stop_signal);
    for (key, value) in env {
        program = program.env(key, value);
    }
    let mut supervisor = Supervisor::new(program).restart(policy).hooks(Hooks {
        pre_start,
        post_stop: None,
    });
    if let Some(path) = state_file {
        supervisor = supervisor.state_file(path);
    }
    Ok(supervisor)
}
