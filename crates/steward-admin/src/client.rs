//! The client side used by `steward status NAME` while the service runs.

use std::net::SocketAddr;
use std::time::Duration;

use crate::AdminError;

/// `GET http://addr/status`, with a bearer token if given; the JSON body on 200.
///
/// # Examples
///
/// ```no_run
/// let v = steward_admin::fetch_status("127.0.0.1:9610".parse()?, None)?;
/// println!("{}", v["state"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn fetch_status(
    addr: SocketAddr,
    token: Option<&str>,
) -> Result<serde_json::Value, AdminError> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(5)))
        .http_status_as_error(false)
        .max_redirects(0)
        .proxy(None)
        .build()
        .into();
    let mut req = agent.get(format!("http://{addr}/status"));
    if let Some(t) = token {
        req = req.header("Authorization", format!("Bearer {t}"));
    }
    let mut resp = req.call().map_err(|e| AdminError::Client(e.to_string()))?;
    let code = resp.status().as_u16();
    let body = resp
        .body_mut()
        .read_to_string()
        .map_err(|e| AdminError::Client(e.to_string()))?;
    if code != 200 {
        let msg = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v["error"].as_str().map(str::to_owned))
            .unwrap_or_default();
        return Err(AdminError::Client(format!("status {code}: {msg}")));
    }
    serde_json::from_str(&body).map_err(|e| AdminError::Client(format!("invalid json: {e}")))
}
