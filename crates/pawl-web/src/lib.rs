//! pawl's front door: the JSON API under `/api/v1`, its OpenAPI document,
//! and the server-rendered web UI.
//!
//! Invariants: handlers hold no SQL and no role checks. Who may call a
//! route is declared once, in [`policy`], and enforced by middleware; errors
//! become HTTP responses once, in [`error`].

mod api;
mod auth;
mod error;
mod etag;
mod extract;
mod figures;
mod metrics;
mod middleware;
pub mod policy;
mod response;
mod ui;
mod upload;

pub use error::ApiError;

use axum::Router;
use pawl_app::App;
use std::net::SocketAddr;
use std::sync::Arc;

/// State shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub openapi: Arc<String>,
    pub metrics: Arc<metrics::Metrics>,
    /// Organisation-wide figures kept while the audit chain says nothing
    /// changed: see [`figures`].
    figures: Arc<figures::Figures>,
}

/// The largest request body pawl reads, uploads included.
pub const BODY_LIMIT: usize = 64 * 1024 * 1024;

/// The whole HTTP surface.
pub fn router(app: App) -> Router {
    let upload_limit = usize::try_from(app.blobs.max_file)
        .unwrap_or(usize::MAX)
        .saturating_add(1 << 20);
    let (api_router, openapi) = api::split(upload_limit);
    let openapi_json = openapi.to_pretty_json().unwrap_or_else(|_| "{}".to_owned());
    let state = AppState {
        app,
        openapi: Arc::new(openapi_json),
        metrics: Default::default(),
        figures: Default::default(),
    };
    Router::new()
        .merge(api_router)
        .merge(ui::router(upload_limit))
        .route("/-/metrics", axum::routing::get(metrics::expose))
        // Layers run from the last added inward. Who is calling and whether
        // they may is settled on the headers alone; only then is a body read
        // (the CSRF token of a form, the control-character check), so that
        // nobody unknown can make the server buffer anything.
        .layer(axum::middleware::from_fn(middleware::refuse_control_characters))
        .layer(axum::middleware::from_fn(middleware::csrf))
        .layer(axum::middleware::from_fn(policy::enforce))
        .layer(axum::middleware::from_fn_with_state(state.clone(), auth::authenticate))
        .layer(axum::middleware::from_fn(middleware::security_headers))
        .layer(axum::middleware::from_fn(middleware::request_log))
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::count))
        // Registers of 100,000 risks are about 17 MB as CSV.
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}

/// The OpenAPI document, as served at `/api/v1/openapi.json`.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    api::split(BODY_LIMIT).1
}

/// Serves until `shutdown` resolves, then lets requests in flight finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: App,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Every server with a mail server sends what is due, whichever server
    // wrote it (issue 27).
    let dispatcher = app
        .mailer
        .clone()
        .map(|mailer| tokio::spawn(pawl_app::notify::dispatch(app.store.clone(), mailer)));
    let _stop_dispatcher = AbortOnDrop(dispatcher);
    axum::serve(
        listener,
        router(app).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Stops a background task when the server it belongs to stops.
struct AbortOnDrop(Option<tokio::task::JoinHandle<()>>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(task) = &self.0 {
            task.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    /// The document as committed beside the crate, so that a change to a
    /// declaration, a route or a type shows in review as a change to the
    /// API. `PAWL_UPDATE_OPENAPI=1 cargo test -p pawl-web openapi` writes it
    /// again; `scripts/test` runs openapi-spec-validator on it.
    #[test]
    fn the_openapi_document_is_the_one_committed() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.json");
        let now = serde_json::to_string_pretty(&super::openapi_document()).expect("the document serialises") + "\n";
        if std::env::var_os("PAWL_UPDATE_OPENAPI").is_some() {
            std::fs::write(&path, &now).expect("write openapi.json");
            return;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != now {
            let line = committed
                .lines()
                .zip(now.lines())
                .position(|(a, b)| a != b)
                .map_or(committed.lines().count().min(now.lines().count()), |i| i)
                + 1;
            panic!(
                "the API document differs from crates/pawl-web/openapi.json from line {line}: {:?} is now {:?}; if the change is meant, run PAWL_UPDATE_OPENAPI=1 cargo test -p pawl-web openapi and commit the file",
                committed.lines().nth(line - 1).unwrap_or(""),
                now.lines().nth(line - 1).unwrap_or("")
            );
        }
    }

    /// Validators refuse a document in which two operations share an id
    /// (openapi-spec-validator refused ours: two operations were `verify`),
    /// and clients generated from it would have two functions of one name.
    #[test]
    fn every_operation_id_is_unique() {
        let doc = serde_json::to_value(super::openapi_document()).expect("the document serialises");
        let mut seen = std::collections::BTreeMap::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for (method, op) in item.as_object().expect("a path item") {
                if let Some(id) = op.get("operationId").and_then(|v| v.as_str()) {
                    let here = format!("{method} {path}");
                    if let Some(before) = seen.insert(id.to_owned(), here.clone()) {
                        panic!("operationId {id} is both {before} and {here}");
                    }
                }
            }
        }
        assert!(seen.len() > 100, "{} operations", seen.len());
    }
}
