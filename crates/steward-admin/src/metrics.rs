//! `/metrics`: the status snapshot rendered in the Prometheus/OpenMetrics text format by
//! `prometheus-client`, through a collector that is built fresh for every scrape (so one scrape
//! is one consistent snapshot, and nothing is kept between scrapes).

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;

use crate::status::role_name;
use crate::sys::{self, ProcessStats};
use crate::{ElectionRole, RegistryReport, RegistryState, ServiceState, ServiceStatus};

/// The content type of [`render`]'s output.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Debug)]
struct Snapshot {
    status: ServiceStatus,
    process: Option<ProcessStats>,
}

type Res = Result<(), std::fmt::Error>;

fn gauge(enc: &mut DescriptorEncoder, name: &str, help: &str, v: f64) -> Res {
    let g = ConstGauge::new(v);
    g.encode(enc.encode_descriptor(name, help, None, g.metric_type())?)
}

fn counter<N>(enc: &mut DescriptorEncoder, name: &str, help: &str, v: N) -> Res
where
    ConstCounter<N>: EncodeMetric,
{
    let c = ConstCounter::new(v);
    c.encode(enc.encode_descriptor(name, help, None, c.metric_type())?)
}

/// One metric with a sample per health check, labelled `check` and `role`.
fn per_check(
    enc: &mut DescriptorEncoder,
    s: &ServiceStatus,
    (name, help, is_counter): (&str, &str, bool),
    value: impl Fn(&steward_health::CheckResult) -> f64,
) -> Res {
    let Some(h) = &s.health else { return Ok(()) };
    if h.results.is_empty() {
        return Ok(());
    }
    let kind = if is_counter {
        ConstCounter::new(0.0).metric_type()
    } else {
        ConstGauge::new(0.0).metric_type()
    };
    let mut m = enc.encode_descriptor(name, help, None, kind)?;
    for r in &h.results {
        let labels = [("check", r.name.as_str()), ("role", role_name(r.role))];
        let sample = m.encode_family(&labels)?;
        if is_counter {
            ConstCounter::new(value(r)).encode(sample)?;
        } else {
            ConstGauge::new(value(r)).encode(sample)?;
        }
    }
    Ok(())
}

/// The `steward_registry_*` metrics (only with a `[registry]` table).
fn registry_metrics(e: &mut DescriptorEncoder, r: &RegistryReport) -> Res {
    {
        let g = ConstGauge::new(0i64);
        let mut m = e.encode_descriptor(
            "steward_registry_state",
            "1 for the registration's current state, 0 for the others",
            None,
            g.metric_type(),
        )?;
        for state in RegistryState::ALL {
            let labels = [("state", state.as_str())];
            ConstGauge::new(i64::from(state == r.state)).encode(m.encode_family(&labels)?)?;
        }
    }
    gauge(
        e,
        "steward_registry_registered",
        "1 while the instance is registered in etcd (consumers see it)",
        f64::from(u8::from(r.registered())),
    )?;
    gauge(
        e,
        "steward_registry_retry_attempts",
        "Failed registration attempts in the current etcd outage (0 when none)",
        r.attempts as f64,
    )?;
    if let Some(role) = r.role {
        gauge(
            e,
            "steward_registry_leader",
            "1 while this instance is the cold-standby leader (runs the program)",
            f64::from(u8::from(role == ElectionRole::Leader)),
        )?;
    }
    Ok(())
}

impl Collector for Snapshot {
    fn encode(&self, mut enc: DescriptorEncoder) -> Res {
        let s = &self.status;
        let e = &mut enc;
        {
            let g = ConstGauge::new(0i64);
            let mut m = e.encode_descriptor(
                "steward_state",
                "1 for the supervisor's current state, 0 for the others",
                None,
                g.metric_type(),
            )?;
            for state in ServiceState::ALL {
                let labels = [("state", state.as_str())];
                ConstGauge::new(i64::from(state == s.state)).encode(m.encode_family(&labels)?)?;
            }
        }
        counter(
            e,
            "steward_restarts",
            "Restarts of the program since the supervisor started",
            s.restarts,
        )?;
        if let Some(code) = s.last_exit.and_then(|x| x.code) {
            gauge(
                e,
                "steward_last_exit_code",
                "Exit code of the program's last run",
                f64::from(code),
            )?;
        }
        if let Some(up) = s.uptime {
            gauge(
                e,
                "steward_uptime_seconds",
                "Time since the program was (re)started",
                up.as_secs_f64(),
            )?;
        }
        gauge(
            e,
            "steward_live",
            "1 when the program is live",
            f64::from(u8::from(s.live())),
        )?;
        gauge(
            e,
            "steward_ready",
            "1 when the program is ready",
            f64::from(u8::from(s.ready())),
        )?;
        per_check(
            e,
            s,
            (
                "steward_health_check_duration_seconds",
                "Duration of the last probe",
                false,
            ),
            |r| r.duration.as_secs_f64(),
        )?;
        per_check(
            e,
            s,
            (
                "steward_health_check_failures",
                "Failed probes since the supervisor started",
                true,
            ),
            |r| r.failures_total as f64,
        )?;
        per_check(
            e,
            s,
            (
                "steward_health_check_consecutive_failures",
                "Failed probes in a row",
                false,
            ),
            |r| f64::from(r.consecutive_failures),
        )?;
        per_check(
            e,
            s,
            (
                "steward_health_check_ok",
                "1 when the last probe succeeded",
                false,
            ),
            |r| f64::from(u8::from(r.ok)),
        )?;
        counter(
            e,
            "steward_log_written_bytes",
            "Bytes of program output written to log files",
            s.log.bytes_written,
        )?;
        counter(
            e,
            "steward_log_dropped_bytes",
            "Bytes of program output dropped",
            s.log.bytes_dropped,
        )?;
        if let Some(r) = &s.registry {
            registry_metrics(e, r)?;
        }
        if let Some(p) = self.process {
            gauge(
                e,
                "steward_program_resident_memory_bytes",
                "Resident memory of the program",
                p.rss_bytes as f64,
            )?;
            counter(
                e,
                "steward_program_cpu_seconds",
                "User and system CPU time of the program",
                p.cpu_seconds,
            )?;
        }
        Ok(())
    }
}

/// Renders `status` (plus the program's process metrics where the platform provides them).
pub fn render(status: ServiceStatus) -> String {
    let process = status.pid.and_then(sys::process_stats);
    let mut registry = Registry::default();
    registry.register_collector(Box::new(Snapshot { status, process }));
    let mut out = String::with_capacity(4096);
    // Writing into a String cannot fail.
    let _ = prometheus_client::encoding::text::encode(&mut out, &registry);
    out
}
