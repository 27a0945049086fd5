//! pawl's store: one set of queries over SQLite and PostgreSQL, an audited
//! write path and tenant-scoped reads.
//!
//! Invariants:
//! - every write happens inside an [`AuditedTx`], which appends a hash-chained
//!   audit event in the same transaction (clause 7.5.3);
//! - tenant data is reached only through an organisation-scoped handle
//!   ([`OrgReader`] or [`AuditedTx`]): no method reads or writes tenant rows
//!   without an organisation id;
//! - engine differences live in [`engine`] only.

mod audit;
mod backup;
mod blob;
mod calendar;
mod context;
mod control;
mod document;
pub mod engine;
mod error;
mod identity;
mod improvement;
mod internal_audit;
mod invitation;
mod link;
mod migrate;
mod nonconformity;
mod notify;
mod page;
mod performance;
mod register;
mod risk;
mod row;
mod sql;
mod throttle;
mod tx;

pub use audit::{AuditFilter, ChainCheck, VerifyOutcome, FILTERED_COUNT_CAP, SIGN_IN_ACTIONS};
pub use backup::{DumpSink, Load, Loaded};
pub use blob::{BlobWrite, FILE_COLUMNS};
pub use calendar::{CalendarEntry, CalendarFeed};
pub use context::{Completion, NewCompletion, SupplierReview, Trainee};
pub use control::{
    AppliedControl, AppliedControlDraft, CheckResult, ControlCheck, ControlCheckDraft, ControlFilter, Evidence,
    EvidenceDraft, SoaEntry, SoaVersion, StoredFile,
};
pub use document::{
    DocumentReview, DocumentState, DocumentVersion, Named, NewVersion, Obligation, ObligationCounts, ServingDocument,
    TreeNode, VersionChanges, VersionFile,
};
pub use engine::Engine;
pub use error::StoreError;
pub use identity::{
    AddressProof, ApiToken, Member, NewMember, Organisation, OrganisationChange, Session, TokenOwner, User,
};
pub use improvement::{FrozenFigures, TimelineEntry};
pub use internal_audit::{ChecklistItem, Owned};
pub use invitation::{Answer, Invitation};
pub use link::{Link, RecordName, WorkCounts, WorkItem};
pub use migrate::schema_version;
pub use nonconformity::{
    AgeBucket, NewVerification, Recurrence, RecurrenceKeys, StoredAnalysis, Verification, AGE_BANDS,
};
pub use notify::{DueItem, NewNotification, Notification, OutboxFilter, Outgoing};
pub use page::{Cursor, ListQuery, Page, SortOrder, MAX_LIMIT};
pub use performance::{Measurement, RiskFigures, Unacceptable};
pub use register::{Record, RecordFilter};
pub use risk::{
    draft_from_risk, Acceptance, Assessment, ExpiryWindow, HeatCell, MethodVersion, PlannedAction, RegisterRow, Risk,
    RiskDraft, RiskFilter, RiskPlan, Score,
};
pub use row::etag;
pub use tx::AuditedTx;

use sqlx::any::AnyPoolOptions;
use sqlx::AnyPool;
use std::time::Duration;

/// A handle on the database. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    engine: Engine,
    /// Readers. On SQLite a separate pool so reads never wait on the writer.
    read: AnyPool,
    /// The writer: on SQLite exactly one connection, so write transactions
    /// queue in the pool instead of failing with SQLITE_BUSY.
    write: AnyPool,
    /// The SQLite file, for the engine's fast read paths.
    sqlite_path: Option<std::path::PathBuf>,
    heads: std::sync::Arc<tx::HeadCache>,
    /// Audit events committed through this process, for operators' metrics.
    appends: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// Whether writes may start: see [`Store::check_pages_in_background`].
    writes: std::sync::Arc<tokio::sync::watch::Sender<Writes>>,
    /// Woken when a transaction that wrote notifications commits, so that
    /// this process's dispatcher sends them at once rather than at its next
    /// round.
    outbox: std::sync::Arc<tokio::sync::Notify>,
    /// Whether a dispatcher e-mails this store's notifications: set when
    /// the server has a mail server; without one a notification is shown in
    /// pawl only and never waits to be sent.
    dispatching: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

/// Whether the database takes writes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Writes {
    Open,
    /// Held until the page check started at start-up passes.
    Checking,
    /// The check found the file damaged: why, as the operator reads it.
    Refused(String),
}

/// Where the data lives.
#[derive(Clone)]
pub enum Location {
    /// A SQLite file, created if absent.
    SqliteFile(std::path::PathBuf),
    /// A `postgres://` URL.
    Postgres(String),
}

impl std::fmt::Debug for Location {
    // The URL may carry a password: never print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::SqliteFile(p) => write!(f, "SqliteFile({})", p.display()),
            Location::Postgres(url) => write!(f, "Postgres({})", engine::redact_url(url)),
        }
    }
}

impl Store {
    /// Connects and brings the schema up to date.
    pub async fn open(location: &Location) -> Result<Store, StoreError> {
        let store = Self::connect(location).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// What the engine finds wrong with the database's own structures, empty
    /// when it is sound. SQLite checks every page, and with `full` every
    /// index entry against its table (a copy of the file taken while it was
    /// written fails this, though its audit chain may still verify).
    /// PostgreSQL verifies its pages as it reads them, so there is nothing
    /// more to run there.
    pub async fn integrity_problems(&self, full: bool) -> Result<Vec<String>, StoreError> {
        let Some(check) = self.engine.integrity_check(full) else {
            return Ok(Vec::new());
        };
        let rows: Vec<(String,)> = sqlx::query_as(check).fetch_all(&self.read).await?;
        Ok(rows.into_iter().map(|r| r.0).filter(|r| r != "ok").collect())
    }

    /// Checks the database's pages (SQLite's quick check; nothing to run on
    /// PostgreSQL, which verifies pages as it reads them) while the store
    /// serves reads, and holds back every audited write until the check
    /// passes. A damaged file then takes no write at all: each is refused
    /// with the problems found, and the caller learns them from the
    /// returned task to stop serving.
    ///
    /// The check reads every page, so it takes as long as the file is big
    /// (2.7 s for 436 MB); run before serving, it kept the server from
    /// answering anyone for that long at every start. Reads of a damaged
    /// page fail with the engine's own error meanwhile, so nothing is
    /// hidden, and nothing is written into the file before it is known to
    /// be sound.
    pub fn check_pages_in_background(&self) -> tokio::task::JoinHandle<Vec<String>> {
        self.writes.send_replace(Writes::Checking);
        let store = self.clone();
        tokio::spawn(async move {
            let problems = match store.integrity_problems(false).await {
                Ok(p) => p,
                Err(e) => vec![e.to_string()],
            };
            store.writes.send_replace(match problems.is_empty() {
                true => Writes::Open,
                false => Writes::Refused(format!(
                    "the database is damaged ({}); restore it from a backup rather than use it",
                    problems.join("; ")
                )),
            });
            problems
        })
    }

    /// Waits while the page check runs; refuses when it found damage.
    async fn writes_allowed(&self) -> Result<(), StoreError> {
        let mut state = self.writes.subscribe();
        let state = state
            .wait_for(|w| *w != Writes::Checking)
            .await
            .map_err(|_| StoreError::Corrupt("the page check stopped before it finished".into()))?;
        match &*state {
            Writes::Refused(why) => Err(StoreError::Corrupt(why.clone())),
            _ => Ok(()),
        }
    }

    /// Connects without migrating.
    pub async fn connect(location: &Location) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        match location {
            Location::SqliteFile(path) => {
                let url = format!("sqlite://{}?mode=rwc", path.display());
                let write = pool(&url, 1, Engine::Sqlite).await?;
                let read = pool(&url, 4, Engine::Sqlite).await?;
                tokio::spawn(engine::checkpoint_sqlite(read.clone()));
                Ok(Store {
                    engine: Engine::Sqlite,
                    read,
                    write,
                    sqlite_path: Some(path.clone()),
                    heads: Default::default(),
                    appends: Default::default(),
                    writes: std::sync::Arc::new(tokio::sync::watch::Sender::new(Writes::Open)),
                    outbox: Default::default(),
                    dispatching: Default::default(),
                })
            }
            Location::Postgres(url) => {
                if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                    return Err(StoreError::Config(format!(
                        "unrecognised database URL {}: expected postgres://",
                        engine::redact_url(url)
                    )));
                }
                let p = pool(url, 16, Engine::Postgres).await?;
                Ok(Store {
                    engine: Engine::Postgres,
                    read: p.clone(),
                    write: p,
                    sqlite_path: None,
                    heads: Default::default(),
                    appends: Default::default(),
                    writes: std::sync::Arc::new(tokio::sync::watch::Sender::new(Writes::Open)),
                    outbox: Default::default(),
                    dispatching: Default::default(),
                })
            }
        }
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    pub async fn migrate(&self) -> Result<usize, StoreError> {
        migrate::run(self).await
    }

    /// A cheap round trip, for health checks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    /// Audit events this process has committed since it started.
    pub fn audit_appends(&self) -> u64 {
        self.appends.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Each pool's connections, open and idle: (pool, open, idle).
    pub fn pool_use(&self) -> [(&'static str, u32, usize); 2] {
        [
            ("read", self.read.size(), self.read.num_idle()),
            ("write", self.write.size(), self.write.num_idle()),
        ]
    }

    /// The schema version the database has, for health checks: a replica
    /// of an older build shows a number below `schema_version()`.
    pub async fn applied_schema_version(&self) -> Result<i64, StoreError> {
        migrate::applied(self).await
    }

    /// Reads of one organisation's data.
    pub fn org(&self, org_id: &str) -> OrgReader<'_> {
        OrgReader {
            store: self,
            org_id: org_id.to_owned(),
        }
    }

    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }
}

async fn pool(url: &str, max: u32, engine: Engine) -> Result<AnyPool, StoreError> {
    // One connection set up by hand first: a pool retries a failing set-up
    // until its timeout and then reports only that it timed out, where the
    // cause ("database disk image is malformed") is what the operator needs.
    {
        use sqlx::Connection;
        let mut conn = sqlx::AnyConnection::connect(url).await?;
        for pragma in engine.connection_setup() {
            sqlx::Executor::execute(&mut conn, *pragma).await?;
        }
        conn.close().await?;
    }
    AnyPoolOptions::new()
        .max_connections(max)
        .min_connections(if engine == Engine::Sqlite { 1 } else { 0 })
        .acquire_timeout(Duration::from_secs(30))
        // An embedded database's connection cannot drop; pinging it before
        // each use is a round trip to its worker thread for nothing (a
        // fifth of a risk create's wake-ups).
        .test_before_acquire(engine != Engine::Sqlite)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                for pragma in engine.connection_setup() {
                    sqlx::Executor::execute(&mut *conn, *pragma).await?;
                }
                Ok(())
            })
        })
        .connect(url)
        .await
        .map_err(StoreError::from)
}

/// Read access to one organisation's data. Every query it runs is bound to
/// its organisation id.
pub struct OrgReader<'s> {
    store: &'s Store,
    org_id: String,
}

/// A person column pair read for display: the name on the member's account
/// when they have given one, else the name or address stored with the
/// record (people are shown by name, issue 26). A primary-key look-up per
/// row read, never per row scanned.
pub(crate) fn person_name(user_id_column: &str, name_column: &str) -> String {
    format!("COALESCE((SELECT NULLIF(pu.name, '') FROM users pu WHERE pu.id = {user_id_column}), {name_column})")
}
