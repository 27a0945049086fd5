use pawl_domain::DomainError;
use pawl_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("sign in first")]
    Unauthenticated,
    #[error("the e-mail address or password is wrong")]
    BadCredentials,
    #[error("your role does not allow this")]
    Forbidden,
    /// A rule of the record itself, not of the role, forbids this; says which.
    #[error("{0}")]
    Refused(String),
    #[error("too many sign-in attempts; try again in {retry_after_secs} seconds")]
    RateLimited { retry_after_secs: u64 },
    #[error(transparent)]
    Invalid(#[from] DomainError),
    #[error(transparent)]
    Store(StoreError),
    /// The evidence file store could not be read or written, or a stored
    /// file no longer matches its recorded SHA-256.
    #[error("evidence files: {0}")]
    Files(String),
    /// What this server was not set up to do, and how an operator sets it up.
    #[error("{0}")]
    Unavailable(String),
    /// The mail server refused a message or could not be reached.
    #[error("the mail server: {0}")]
    Mail(String),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid(d) => AppError::Invalid(d),
            other => AppError::Store(other),
        }
    }
}
