use pawl_domain::DomainError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{entity} not found")]
    NotFound { entity: &'static str },
    /// A uniqueness rule was broken, e.g. a second organisation with the same slug.
    #[error("{0}")]
    Conflict(String),
    /// The caller's `If-Match` no longer names the current version.
    #[error("the {entity} was changed by someone else; reload it and try again")]
    PreconditionFailed { entity: &'static str, current_etag: String },
    #[error(transparent)]
    Invalid(#[from] DomainError),
    #[error("configuration: {0}")]
    Config(String),
    /// Stored data that pawl did not write as it finds it.
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error("database: {0}")]
    Database(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if crate::engine::is_unique_violation(&e) {
            return StoreError::Conflict("a record with the same unique value already exists".into());
        }
        if crate::engine::is_corruption(&e) {
            return StoreError::Corrupt(format!(
                "the database is damaged ({e}); restore it from a backup rather than use it"
            ));
        }
        StoreError::Database(e)
    }
}
