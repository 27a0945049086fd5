//! pawl's application services: signing in, who may do what, tokens,
//! members and the demo organisation. Sits between the store and the
//! front ends (web, CLI), which hold no business rules of their own.

pub mod auth;
pub mod backup;
pub mod calendar;
pub mod context;
pub mod control;
mod csv_out;
pub mod cycle;
pub mod demo;
pub mod document;
mod error;
pub mod evidence;
pub mod evidence_request;
pub mod exports;
pub mod improvement;
mod input;
pub mod internal_audit;
mod kinds;
pub mod members;
pub mod nonconformity;
pub mod notify;
pub mod people;
pub mod performance;
pub mod principal;
pub mod rate_limit;
pub mod register;
pub mod risk;
pub mod rules;

pub use error::AppError;
pub use principal::{Principal, Via};

use pawl_store::Store;

/// Today in UTC: what "overdue" and "found today" are read against.
pub fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

/// Everything a front end needs, shared across requests.
#[derive(Clone)]
pub struct App {
    pub store: Store,
    /// Where evidence files live, outside the database.
    pub blobs: evidence::Blobs,
    /// Proxies whose `X-Forwarded-For` names the client; from anyone else
    /// the header is ignored, since a client could claim any address in it.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The bearer token that reads operators' metrics at `/-/metrics`;
    /// without one they are not served.
    pub metrics_token: Option<String>,
    /// How this server sends e-mail; None when no mail server is set, and
    /// notifications are then shown in pawl only.
    pub mailer: Option<notify::Mailer>,
    /// Where people reach this pawl (`--public-url`), without a trailing
    /// slash: the start of every link pawl gives outside its pages (e-mail,
    /// calendar feeds).
    pub public_url: Option<String>,
}

impl App {
    pub fn new(store: Store, evidence_dir: impl Into<std::path::PathBuf>) -> Self {
        let blobs = match store.engine() {
            // Every replica on one PostgreSQL serves every file.
            pawl_store::Engine::Postgres => evidence::Blobs::new(evidence_dir).in_database(store.clone()),
            pawl_store::Engine::Sqlite => evidence::Blobs::new(evidence_dir),
        };
        Self {
            store,
            blobs,
            trusted_proxies: Vec::new(),
            metrics_token: None,
            mailer: None,
            public_url: None,
        }
    }

    /// Sends e-mail through `mailer`: notifications written from now on
    /// that want e-mail wait for the dispatcher, which the server runs
    /// ([`notify::dispatch`]).
    pub fn set_mailer(&mut self, mailer: notify::Mailer) {
        self.store.set_dispatching();
        self.mailer = Some(mailer);
    }
}
