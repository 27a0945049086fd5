//! Embedded, forward-only schema migrations, the same SQL on both engines.

use crate::{Store, StoreError};

/// (version, name, SQL). Append only: never edit a released migration.
pub(crate) const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "foundation", include_str!("migrations/0001_foundation.sql")),
    (2, "risk", include_str!("migrations/0002_risk.sql")),
    (3, "controls", include_str!("migrations/0003_controls.sql")),
    (4, "frameworks", include_str!("migrations/0004_frameworks.sql")),
    (5, "registers", include_str!("migrations/0005_registers.sql")),
    (6, "search", include_str!("migrations/0006_search.sql")),
    (7, "risk counts", include_str!("migrations/0007_risk_counts.sql")),
    (
        8,
        "reference words",
        include_str!("migrations/0008_reference_words.sql"),
    ),
    (
        9,
        "acceptance on behalf",
        include_str!("migrations/0009_acceptance_on_behalf.sql"),
    ),
    (
        10,
        "soa acknowledged warnings",
        include_str!("migrations/0010_soa_acknowledged_warnings.sql"),
    ),
    (11, "invitations", include_str!("migrations/0011_invitations.sql")),
    (
        12,
        "require if-match",
        include_str!("migrations/0012_require_if_match.sql"),
    ),
    (
        13,
        "audit trail filters",
        include_str!("migrations/0013_audit_trail_filters.sql"),
    ),
    (14, "documents", include_str!("migrations/0014_documents.sql")),
    (
        15,
        "nonconformities",
        include_str!("migrations/0015_nonconformities.sql"),
    ),
    (16, "audits", include_str!("migrations/0016_audits.sql")),
    (
        17,
        "document obligations",
        include_str!("migrations/0017_document_obligations.sql"),
    ),
    (18, "audit choices", include_str!("migrations/0018_audit_choices.sql")),
    (19, "improvement", include_str!("migrations/0019_improvement.sql")),
    (
        20,
        "organisation context",
        include_str!("migrations/0020_organisation_context.sql"),
    ),
    (21, "performance", include_str!("migrations/0021_performance.sql")),
    (22, "shared state", include_str!("migrations/0022_shared_state.sql")),
    (
        23,
        "evidence chunks",
        include_str!("migrations/0023_evidence_chunks.sql"),
    ),
    (24, "accounts", include_str!("migrations/0024_accounts.sql")),
    (
        25,
        "recurrence on requirements",
        include_str!("migrations/0025_recurrence_on_requirements.sql"),
    ),
    (
        26,
        "home page indexes",
        include_str!("migrations/0026_home_page_indexes.sql"),
    ),
    (
        27,
        "evidence of control checks",
        include_str!("migrations/0027_evidence_of_control_checks.sql"),
    ),
    (
        28,
        "evidence requests",
        include_str!("migrations/0028_evidence_requests.sql"),
    ),
    (29, "notifications", include_str!("migrations/0029_notifications.sql")),
    (30, "reminders", include_str!("migrations/0030_reminders.sql")),
    (31, "calendar feeds", include_str!("migrations/0031_calendar_feeds.sql")),
];

/// The migration that creates the full-text index, whose SQL is the one
/// place where the schema differs by engine.
const SEARCH: i64 = 6;
/// The migration after which risks are in the full-text index too.
const RISK_SEARCH: i64 = 7;
/// The migration that empties the index to fill it again with references
/// as whole words.
const REFERENCE_WORDS: i64 = 8;
/// The registers whose tables the search migrations found.
const FIRST_KINDS: &[&pawl_domain::register::Kind] =
    &[&pawl_domain::register::ASSET, &pawl_domain::register::TREATMENT_ACTION];

/// Brings the schema up to date in one transaction under the migration
/// lock: of several processes starting at once on one database, the first
/// applies every migration and the others wait, then find nothing to do.
pub(crate) async fn run(store: &Store) -> Result<usize, StoreError> {
    let mut tx = store.write.begin_with(store.engine.begin_write()).await?;
    if let Some(lock) = store.engine.migration_lock() {
        sqlx::query(lock).execute(&mut *tx).await?;
    }
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS pawl_migrations (
            version BIGINT PRIMARY KEY,
            name TEXT NOT NULL,
            applied_at TEXT NOT NULL)",
    )
    .execute(&mut *tx)
    .await?;
    let mut applied = 0;
    for (version, name, sql) in MIGRATIONS {
        let done: Option<i64> = sqlx::query_scalar("SELECT version FROM pawl_migrations WHERE version = $1")
            .bind(version)
            .fetch_optional(&mut *tx)
            .await?;
        if done.is_some() {
            continue;
        }
        sqlx::raw_sql(sql).execute(&mut *tx).await?;
        if *version == SEARCH {
            sqlx::raw_sql(store.engine.search_schema()).execute(&mut *tx).await?;
            crate::register::index_all(&mut tx, store.engine, FIRST_KINDS).await?;
        }
        if *version == RISK_SEARCH {
            crate::risk::index_all(&mut tx, store.engine).await?;
        }
        if *version == REFERENCE_WORDS {
            crate::register::index_all(&mut tx, store.engine, FIRST_KINDS).await?;
            crate::risk::index_all(&mut tx, store.engine).await?;
        }
        sqlx::query("INSERT INTO pawl_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
            .bind(version)
            .bind(*name)
            .bind(crate::row::now())
            .execute(&mut *tx)
            .await?;
        tracing::info!(version, name, "applying migration");
        applied += 1;
    }
    tx.commit().await?;
    Ok(applied)
}

/// The schema version the database has: its latest applied migration.
pub(crate) async fn applied(store: &Store) -> Result<i64, StoreError> {
    Ok(
        sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(version) FROM pawl_migrations")
            .fetch_one(&store.read)
            .await?
            .unwrap_or(0),
    )
}

/// The number of migrations this build knows: its schema version.
pub fn schema_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.0)
}
