//! The HTTP server: routes, the authorisation check, startup refusals, and a handle that runs
//! the server on its own thread (the supervisor is not async).
//!
//! Routing is axum's exact match on the raw request path: `/restart/`, `//restart`,
//! `/status/../restart`, `/%72estart` and `/status%2f..%2frestart` match no route and get 404;
//! a method a route does not serve gets 405 (so `HEAD /restart` never reaches the action).
//! Authorisation runs inside every handler, before any work.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::status::StatusJson;
use crate::tokens::{Role, TokenStore};
use crate::{AdminError, ControlAction, ControlSink, StatusSource, metrics};

/// The default listen address: loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9610";

/// Where to listen and where the tokens are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminConfig {
    /// Listen address; non-loopback addresses need `tokens_file`.
    pub listen: SocketAddr,
    /// The tokens file (`role:token` lines); never the config file itself.
    pub tokens_file: Option<PathBuf>,
}

impl Default for AdminConfig {
    fn default() -> Self {
        Self {
            listen: DEFAULT_LISTEN.parse().expect("valid default address"),
            tokens_file: None,
        }
    }
}

/// Who may do what, decided once at startup.
#[derive(Debug)]
enum Auth {
    /// No tokens file (hence a loopback bind): reads are open, control is disabled.
    Anonymous,
    /// Every read of `/status` and `/metrics` needs a token; control needs a `control` token.
    Tokens(TokenStore),
}

#[derive(Clone)]
struct AppState {
    status: Arc<dyn StatusSource>,
    control: Arc<dyn ControlSink>,
    auth: Arc<Auth>,
}

/// A bound, not yet serving, admin endpoint.
pub struct AdminServer {
    listener: tokio::net::TcpListener,
    router: Router,
}

impl AdminServer {
    /// Loads the tokens, refuses unsafe setups, and binds. Must run inside a tokio runtime.
    pub async fn bind(
        config: &AdminConfig,
        status: Arc<dyn StatusSource>,
        control: Arc<dyn ControlSink>,
    ) -> Result<Self, AdminError> {
        let auth = match &config.tokens_file {
            Some(path) => Auth::Tokens(TokenStore::load(path)?),
            None if config.listen.ip().is_loopback() => Auth::Anonymous,
            None => return Err(AdminError::NonLoopbackWithoutTokens(config.listen)),
        };
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|source| AdminError::Bind {
                addr: config.listen,
                source,
            })?;
        let state = AppState {
            status,
            control,
            auth: Arc::new(auth),
        };
        Ok(Self {
            listener,
            router: router(state),
        })
    }

    /// The bound address (useful with port 0).
    pub fn local_addr(&self) -> Result<SocketAddr, AdminError> {
        self.listener.local_addr().map_err(AdminError::Serve)
    }

    /// Serves until `shutdown` completes.
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), AdminError> {
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(AdminError::Serve)
    }
}

fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/status", get(status))
        .route("/metrics", get(metrics_route))
        .route(
            "/start",
            post(|s: State<AppState>, h: HeaderMap| control(s, h, ControlAction::Start)),
        )
        .route(
            "/stop",
            post(|s: State<AppState>, h: HeaderMap| control(s, h, ControlAction::Stop)),
        )
        .route(
            "/restart",
            post(|s: State<AppState>, h: HeaderMap| control(s, h, ControlAction::Restart)),
        )
        .fallback(|| async { error(StatusCode::NOT_FOUND, "not found") })
        .with_state(state)
}

fn error(code: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({ "error": message }).to_string();
    let mut r = (code, [(header::CONTENT_TYPE, "application/json")], body).into_response();
    if code == StatusCode::UNAUTHORIZED {
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"steward\""),
        );
    }
    r
}

/// The token of an `Authorization: Bearer <token>` header.
fn bearer(headers: &HeaderMap) -> Option<&[u8]> {
    let value = headers.get(header::AUTHORIZATION)?.as_bytes();
    let (scheme, token) = value.split_at_checked(7)?;
    scheme
        .eq_ignore_ascii_case(b"bearer ")
        .then(|| token.trim_ascii())
}

/// Ok, or the refusal's status and message.
fn authorize(
    auth: &Auth,
    headers: &HeaderMap,
    need: Role,
) -> Result<(), (StatusCode, &'static str)> {
    match auth {
        Auth::Anonymous if need == Role::Read => Ok(()),
        Auth::Anonymous => Err((
            StatusCode::FORBIDDEN,
            "control actions are disabled: no tokens file is configured",
        )),
        Auth::Tokens(store) => match bearer(headers).map(|t| store.role_of(t)) {
            None => Err((StatusCode::UNAUTHORIZED, "missing bearer token")),
            Some(None) => Err((StatusCode::UNAUTHORIZED, "invalid token")),
            Some(Some(role)) if role >= need => Ok(()),
            Some(Some(_)) => Err((StatusCode::FORBIDDEN, "this token may only read")),
        },
    }
}

fn probe(ok: bool, what: &str) -> Response {
    if ok {
        (StatusCode::OK, "ok\n").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, format!("not {what}\n")).into_response()
    }
}

async fn healthz(State(s): State<AppState>) -> Response {
    probe(s.status.status().live(), "live")
}

async fn readyz(State(s): State<AppState>) -> Response {
    probe(s.status.status().ready(), "ready")
}

async fn status(State(s): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(r) = authorize(&s.auth, &headers, Role::Read) {
        return error(r.0, r.1);
    }
    let st = s.status.status();
    let body = serde_json::to_string(&StatusJson::new(&st)).unwrap_or_default();
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

async fn metrics_route(State(s): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(r) = authorize(&s.auth, &headers, Role::Read) {
        return error(r.0, r.1);
    }
    (
        [(header::CONTENT_TYPE, metrics::CONTENT_TYPE)],
        metrics::render(s.status.status()),
    )
        .into_response()
}

async fn control(State(s): State<AppState>, headers: HeaderMap, action: ControlAction) -> Response {
    if let Err(r) = authorize(&s.auth, &headers, Role::Control) {
        return error(r.0, r.1);
    }
    let sink = s.control.clone();
    match tokio::task::spawn_blocking(move || sink.control(action)).await {
        Ok(Ok(())) => {
            let body = serde_json::json!({ "accepted": action }).to_string();
            (
                StatusCode::ACCEPTED,
                [(header::CONTENT_TYPE, "application/json")],
                body,
            )
                .into_response()
        }
        Ok(Err(crate::ControlError::Conflict(m))) => error(StatusCode::CONFLICT, &m),
        Ok(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
        Err(_) => error(StatusCode::INTERNAL_SERVER_ERROR, "control action panicked"),
    }
}

/// The admin endpoint running on its own thread with a single-threaded tokio runtime.
/// Dropping the handle stops the server and joins the thread.
///
/// # Examples
///
/// ```no_run
/// # use std::sync::Arc;
/// # fn demo(status: Arc<dyn steward_admin::StatusSource>, control: Arc<dyn steward_admin::ControlSink>)
/// #     -> Result<(), steward_admin::AdminError> {
/// let admin = steward_admin::AdminHandle::start(&steward_admin::AdminConfig::default(), status, control)?;
/// println!("admin endpoint on http://{}", admin.local_addr());
/// # Ok(()) }
/// ```
pub struct AdminHandle {
    addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<Result<(), AdminError>>>,
}

impl AdminHandle {
    /// Starts the endpoint; startup refusals (tokens, bind) are returned here.
    pub fn start(
        config: &AdminConfig,
        status: Arc<dyn StatusSource>,
        control: Arc<dyn ControlSink>,
    ) -> Result<Self, AdminError> {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let config = config.clone();
        let thread = std::thread::Builder::new()
            .name("steward-admin".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(AdminError::Serve)?;
                rt.block_on(async move {
                    let server = match AdminServer::bind(&config, status, control).await {
                        Ok(s) => s,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                            return Ok(());
                        }
                    };
                    let _ = ready_tx.send(server.local_addr());
                    server
                        .serve(async move {
                            let _ = stop_rx.await;
                        })
                        .await
                })
            })
            .map_err(AdminError::Serve)?;
        let addr = match ready_rx.recv() {
            Ok(r) => r?,
            Err(_) => {
                return Err(thread
                    .join()
                    .ok()
                    .and_then(Result::err)
                    .unwrap_or(AdminError::Client("admin thread ended".into())));
            }
        };
        Ok(Self {
            addr,
            shutdown: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops the server and waits for its thread.
    pub fn shutdown(mut self) -> Result<(), AdminError> {
        self.stop()
    }

    fn stop(&mut self) -> Result<(), AdminError> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match self.thread.take().map(|t| t.join()) {
            Some(Ok(r)) => r,
            Some(Err(_)) => Err(AdminError::Serve(std::io::Error::other(
                "admin thread panicked",
            ))),
            None => Ok(()),
        }
    }
}

impl Drop for AdminHandle {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}
