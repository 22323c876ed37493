//! `steward run`: the resolved config becomes a supervisor, run as the service (or in the
//! foreground) by the steward runtime.

use std::ffi::OsString;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use steward::{Exit, Failure, Mode, ServiceSpec};
use steward_config::{Config, LogFormat, LogPolicy, LogRotate, Policy};
use steward_supervise::capture::{CaptureConfig, Format, RotateEvery};
use steward_supervise::{
    Hook, Hooks, Outcome, ProgramSpec, RestartMode, RestartPolicy, StartLimit, Supervisor,
};

use steward_admin::AdminHandle;
use steward_supervise::Observer;

use crate::admin::Bridge;
use crate::check::InvalidConfig;
use crate::registry_announce::RegistryAnnouncer;
use crate::standby::Standby;

/// The exit code of `run` when the config is invalid (`EX_CONFIG` of sysexits.h, systemd's
/// `EXIT_CONFIG`), so it is told apart from the program's own codes.
pub const CONFIG_ERROR_CODE: u32 = 78;

/// Margin added to the program's stop timeout and post-stop hook for the runtime's grace period,
/// so the supervisor always finishes its own stop first.
const GRACE_MARGIN: Duration = Duration::from_secs(5);

/// What `run` supervises: a config file, or the quick form's program and arguments.
pub enum Source<'a> {
    /// `run --config FILE`.
    File(&'a Path),
    /// `run -- PROGRAM ARGS...`.
    Quick(&'a [OsString]),
}

/// Loads the config and supervises its program until stopped. A config with errors still goes
/// through the runtime (so the service manager gets a proper failed status), ending with
/// [`CONFIG_ERROR_CODE`] after every error was printed.
pub fn run(source: Source<'_>) -> anyhow::Result<Exit> {
    let (config, quick_args) = match source {
        Source::Quick([program, args @ ..]) => {
            let dir = std::env::current_dir().context("cannot read the current directory")?;
            let config = Config::for_program(Path::new(program), Vec::new(), &dir);
            (config, Some(args.to_vec()))
        }
        Source::Quick([]) => bail!("no program given after `--`"),
        Source::File(path) => match crate::check::load(path) {
            Ok(config) => (config, None),
            Err(invalid) => return Ok(fail_with_invalid_config(invalid)),
        },
    };
    let Some(program) = &config.program else {
        bail!(
            "{}: no [program] table: nothing to run (a service written with the steward library runs itself)",
            config.file.display()
        );
    };
    // The platform's log (Event Log, journald or syslog); kept for the life of the service.
    let _log = steward_log::init(&config.service.name);
    let mut program_spec = program_spec(program);
    if let Some(args) = quick_args {
        program_spec.args = args;
    }
    let mut supervisor = Supervisor::new(program_spec)
        .restart(restart_policy(&config.restart))
        .hooks(hooks(&config.hooks))
        .capture(capture_config(&config))
        .echo(echo_output());
    let state_file = crate::state::run_state_file(&config.service.name);
    let observer = Observer::new();
    supervisor = supervisor.observer(observer.clone());
    if let Some(health) = &config.health {
        let dir = state_file.parent().unwrap_or(Path::new("."));
        let setup = crate::health::health_setup(health, &config.service.name, dir);
        supervisor = supervisor.health(setup);
    }
    match crate::state::prepare(&state_file) {
        Ok(()) => supervisor = supervisor.state_file(state_file),
        Err(error) => tracing::warn!(
            "no state file for service '{}': cannot write {}: {error}; `steward status` shows the service manager's view only",
            config.service.name,
            state_file.display()
        ),
    }
    let admin = config.admin.as_ref().and_then(crate::admin::admin_config);
    let bridge = Bridge::new(&config.service.name, observer.clone());
    let registry = registry_parts(&config);
    if let Some((announcer, standby)) = &registry {
        supervisor = supervisor.announce(announcer.clone());
        let announcer = Arc::clone(announcer);
        let role = standby.as_ref().map(Standby::role_source);
        bridge.set_registry(Arc::new(move || {
            crate::registry_report::report(
                announcer.status().as_ref(),
                role.as_ref().and_then(|r| r()),
            )
        }));
    }
    let exit = steward::run_with(service_spec(&config), Mode::Auto, move |ctx| {
        let endpoint = match &admin {
            Some(admin) => Some(
                AdminHandle::start(admin, bridge.clone(), bridge.clone()).map_err(|error| {
                    Failure::msg(format!("cannot start the admin endpoint: {error}"))
                        .with_exit_code(CONFIG_ERROR_CODE)
                })?,
            ),
            None => None,
        };
        let result = supervise(&supervisor, &bridge, &observer, registry.as_ref(), &ctx);
        if let Some(endpoint) = endpoint
            && let Err(error) = endpoint.shutdown()
        {
            tracing::warn!("the admin endpoint ended with an error: {error}");
        }
        result
    });
    Ok(exit)
}

/// The `[registry]` pieces of `steward run`: the announcer, and the standby candidacy when
/// `standby = true`.
type RegistryParts = (Arc<RegistryAnnouncer>, Option<Standby>);

fn registry_parts(config: &Config) -> Option<RegistryParts> {
    let registry = config.registry.as_ref()?;
    let version = config.package.as_ref().map(|p| p.version.to_string());
    let announcer = RegistryAnnouncer::new(registry, &config.service.name, version.as_deref());
    let standby = registry.config.standby.then(|| {
        Standby::new(
            &registry.config,
            &config.service.name,
            announcer.instance_id(),
        )
    });
    Some((announcer, standby))
}

/// Runs the supervisor; after a stop over the admin endpoint, waits for its `start` (or the
/// service's stop) and runs it again. In cold standby, the program runs only while this
/// instance leads; a lost leadership fences it and the instance campaigns again.
fn supervise(
    supervisor: &Supervisor,
    bridge: &Bridge,
    observer: &Observer,
    registry: Option<&RegistryParts>,
    ctx: &steward::Context,
) -> Result<(), Failure> {
    let announcer = registry.map(|(announcer, _)| announcer.as_ref());
    let standby = registry.and_then(|(_, standby)| standby.as_ref());
    loop {
        if let Some(standby) = standby {
            // Waiting as a standby is a healthy running state for the service manager.
            ctx.ready();
            ctx.set_status("standby: waiting for the leadership");
            if !standby.wait_for_leadership(ctx).map_err(Failure::msg)? {
                standby.step_down();
                return Ok(());
            }
            ctx.set_status("leader: running the program");
        }
        let guard = standby.map(|s| s.guard(observer, registry.map(|(a, _)| a.clone())));
        let outcome = supervisor.run(ctx);
        drop(guard);
        // Whatever ended the run, the instance no longer serves (after a graceful stop it was
        // already withdrawn; this is a no-op then).
        if let Some(announcer) = announcer {
            steward_supervise::Announce::stopping(announcer);
        }
        let outcome = match outcome {
            Ok(outcome) => outcome,
            Err(error) => {
                standby.inspect(|s| s.step_down());
                return Err(error.into());
            }
        };
        match outcome {
            Outcome::Failed { code, reason } => {
                standby.inspect(|s| s.step_down());
                return Err(
                    Failure::msg(format!("{reason} (exit code {code})")).with_exit_code(code)
                );
            }
            Outcome::Stopped if standby.is_some_and(Standby::lost) && !ctx.shutdown_requested() => {
                tracing::warn!("standby: the program was stopped after the leadership was lost");
            }
            Outcome::Stopped if bridge.stopped_by_admin() && !ctx.shutdown_requested() => {
                tracing::info!("the program was stopped over the admin endpoint");
                // A stopped leader hands over to a standby instead of leaving the service down.
                standby.inspect(|s| s.step_down());
                // The service itself runs on: it is no longer starting.
                ctx.ready();
                if !bridge.wait_for_start(ctx) {
                    return Ok(());
                }
                tracing::info!("the program is started again over the admin endpoint");
            }
            Outcome::Stopped | Outcome::Exited { .. } => {
                standby.inspect(|s| s.step_down());
                return Ok(());
            }
        }
    }
}

/// Prints every error, then reports the failure through the runtime.
fn fail_with_invalid_config(invalid: InvalidConfig) -> Exit {
    let _log = steward_log::init("steward");
    crate::print_config_errors(&invalid);
    let message = format!("invalid config {invalid}");
    steward::run_with(ServiceSpec::new("steward"), Mode::Auto, move |_ctx| {
        Err(Failure::msg(message).with_exit_code(CONFIG_ERROR_CODE))
    })
}

/// The service as the runtime sees it: names, and a grace period that covers the supervisor's
/// own stop (the program's stop timeout, then the post-stop hook).
pub fn service_spec(config: &Config) -> ServiceSpec {
    let mut spec = ServiceSpec::new(&config.service.name)
        .display_name(&config.service.display_name)
        .shutdown_grace(grace(config));
    if let Some(description) = &config.service.description {
        spec = spec.description(description);
    }
    spec
}

/// How long the supervisor may take to stop: stop timeout + post-stop hook + a margin.
pub fn grace(config: &Config) -> Duration {
    let stop = config
        .program
        .as_ref()
        .map_or(steward_config::DEFAULT_STOP_TIMEOUT, |p| p.stop_timeout);
    let hook = config
        .hooks
        .post_stop
        .as_ref()
        .map_or(Duration::ZERO, |h| h.timeout);
    stop + hook + GRACE_MARGIN
}

/// `[program]` as the supervisor takes it.
pub fn program_spec(program: &steward_config::Program) -> ProgramSpec {
    let mut spec = ProgramSpec::new(&program.command)
        .args(&program.args)
        .cwd(&program.cwd)
        .stop_timeout(program.stop_timeout)
        .stop_signal(program.stop_signal.linux_number());
    for (key, value) in &program.env {
        spec = spec.env(key, value);
    }
    spec
}

/// Whether the program's output is also copied to steward's own stdout and stderr: yes, except
/// under systemd (`INVOCATION_ID` is set for a unit's processes), where steward's output goes to
/// the journal and would store the program's output a second time. (A Windows service has no
/// stdout: the copy goes nowhere.)
fn echo_output() -> bool {
    std::env::var_os("INVOCATION_ID").is_none()
}

/// `[log]` as the capture takes it: the program's output goes to `<dir>/<service>.stdout.log`
/// and `<service>.stderr.log`.
pub fn capture_config(config: &Config) -> CaptureConfig {
    let log = &config.log;
    let mut capture = CaptureConfig::new(&log.dir, &config.service.name);
    capture.max_size = Some(log.max_size);
    capture.rotate = match log.rotate {
        LogRotate::Never => RotateEvery::Never,
        LogRotate::Hourly => RotateEvery::Hourly,
        LogRotate::Daily => RotateEvery::Daily,
    };
    capture.keep = usize::try_from(log.keep).unwrap_or(usize::MAX);
    capture.compress = log.compress;
    capture.timestamps = log.timestamps;
    capture.format = match log.format {
        LogFormat::Plain => Format::Plain,
        LogFormat::Json => Format::Json,
    };
    capture.policy = match log.policy {
        LogPolicy::Lossless => steward_supervise::capture::Policy::Lossless,
        LogPolicy::Drop => steward_supervise::capture::Policy::Drop,
    };
    // At most 16 MiB (checked by steward-config), so it fits.
    capture.max_line = usize::try_from(log.max_line).unwrap_or(usize::MAX);
    capture
}

/// `[restart]` as the supervisor takes it.
pub fn restart_policy(restart: &steward_config::Restart) -> RestartPolicy {
    RestartPolicy {
        mode: match restart.policy {
            Policy::Always => RestartMode::Always,
            Policy::OnFailure => RestartMode::OnFailure,
            Policy::Never => RestartMode::Never,
        },
        success_codes: restart.success_codes.clone(),
        delay: restart.delay,
        multiplier: restart.multiplier,
        max_delay: restart.max_delay,
        jitter: restart.jitter,
        start_limit: Some(StartLimit {
            burst: restart.start_limit.burst,
            interval: restart.start_limit.interval,
        }),
        reset_after: restart.reset_after,
    }
}

/// `[hooks]` as the supervisor takes them.
pub fn hooks(hooks: &steward_config::Hooks) -> Hooks {
    let hook = |h: &steward_config::Hook| Hook::new(&h.command).args(&h.args).timeout(h.timeout);
    Hooks {
        pre_start: hooks.pre_start.as_ref().map(hook),
        post_stop: hooks.post_stop.as_ref().map(hook),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = r#"
[service]
name = "web"
description = "Serves"
[program]
command = "/bin/web"
args = ["--port", "8080"]
env = { A = "1" }
stop_timeout = "7s"
stop_signal = "SIGINT"
[restart]
policy = "always"
delay = "1s"
max_delay = "1m"
jitter = 0.0
start_limit = { burst = 3, interval = "10s" }
success_codes = [0, 2]
[hooks]
pre_start = { command = "/bin/true", timeout = "3s" }
post_stop = { command = "/bin/true", args = ["x"], timeout = "4s" }
"#;

    fn config() -> Config {
        steward_config::check_str(CONFIG, Path::new("/srv/web/steward.toml")).unwrap()
    }

    #[test]
    fn program_maps_every_setting() {
        let config = config();
        let spec = program_spec(config.program.as_ref().unwrap());
        assert_eq!(spec.command, Path::new("/bin/web"));
        assert_eq!(spec.args, ["--port", "8080"]);
        assert_eq!(spec.cwd.as_deref(), Some(Path::new("/srv/web")));
        assert_eq!(spec.env, [("A".into(), "1".into())]);
        assert_eq!(spec.stop_timeout, Duration::from_secs(7));
        assert_eq!(spec.stop_signal, 2);
    }

    #[test]
    fn restart_maps_every_setting() {
        let policy = restart_policy(&config().restart);
        assert_eq!(policy.mode, RestartMode::Always);
        assert_eq!(policy.success_codes, [0, 2]);
        assert_eq!(policy.delay, Duration::from_secs(1));
        assert_eq!(policy.max_delay, Duration::from_secs(60));
        assert_eq!(policy.multiplier, 2.0);
        assert_eq!(policy.jitter, 0.0);
        assert_eq!(
            policy.start_limit,
            Some(StartLimit {
                burst: 3,
                interval: Duration::from_secs(10)
            })
        );
    }

    #[test]
    fn log_maps_every_setting() {
        let mut text = CONFIG.to_owned();
        text.push_str(
            "[log]\ndir = \"out\"\nmax_size = \"2MB\"\nrotate = \"daily\"\nkeep = 9\n\
             compress = true\ntimestamps = true\nformat = \"json\"\npolicy = \"drop\"\nmax_line = \"4KiB\"\n",
        );
        let config = steward_config::check_str(&text, Path::new("/srv/web/steward.toml")).unwrap();
        let capture = capture_config(&config);
        assert_eq!(capture.dir, Path::new("/srv/web/out"));
        assert_eq!(capture.name, "web");
        assert_eq!(capture.max_size, Some(2_000_000));
        assert_eq!(capture.rotate, RotateEvery::Daily);
        assert_eq!(capture.keep, 9);
        assert!(capture.compress && capture.timestamps);
        assert_eq!(capture.format, Format::Json);
        assert_eq!(capture.policy, steward_supervise::capture::Policy::Drop);
        assert_eq!(capture.max_line, 4096);
    }

    #[test]
    fn log_defaults_agree_with_the_capture() {
        let config = config();
        let capture = capture_config(&config);
        let mut expected = CaptureConfig::new("/srv/web/logs", "web");
        expected.dir = capture.dir.clone();
        assert_eq!(capture.dir, Path::new("/srv/web/logs"));
        assert_eq!(capture, expected);
    }

    #[test]
    fn defaults_agree_with_the_supervisor() {
        let config = steward_config::check_str(
            "[service]\nname = \"a\"\n[program]\ncommand = \"x\"\n",
            Path::new("/srv/steward.toml"),
        )
        .unwrap();
        assert_eq!(restart_policy(&config.restart), RestartPolicy::default());
    }

    #[test]
    fn hooks_map_and_grace_covers_the_stop() {
        let config = config();
        let hooks = hooks(&config.hooks);
        assert_eq!(hooks.pre_start.unwrap().timeout, Duration::from_secs(3));
        assert_eq!(hooks.post_stop.unwrap().args, ["x"]);
        assert_eq!(grace(&config), Duration::from_secs(7 + 4 + 5));
        let spec = service_spec(&config);
        assert_eq!(spec.name(), "web");
        assert_eq!(spec.description_text(), Some("Serves"));
        assert_eq!(spec.grace(), Duration::from_secs(16));
    }
}
