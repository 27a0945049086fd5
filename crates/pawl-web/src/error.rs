//! The one mapping from errors to HTTP: RFC 9457 problem details for the
//! API; the UI renders the same kinds as pages.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use pawl_app::AppError;
use pawl_domain::{DomainError, FieldError};
use pawl_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[schema(example = "https://pawl.dev/problems/validation")]
    pub r#type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Each invalid field, for validation problems.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemField>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemField {
    pub field: String,
    pub message: String,
}

/// An error on its way to becoming an HTTP response. Boxed: errors are
/// rare, and a small `Result` keeps the happy path cheap.
#[derive(Debug)]
pub struct ApiError(Box<ApiErrorBody>);

#[derive(Debug)]
pub struct ApiErrorBody {
    pub status: StatusCode,
    pub kind: &'static str,
    pub title: &'static str,
    pub detail: String,
    pub fields: Vec<FieldError>,
    pub etag: Option<String>,
    pub retry_after: Option<u64>,
}

impl std::ops::Deref for ApiError {
    type Target = ApiErrorBody;
    fn deref(&self) -> &ApiErrorBody {
        &self.0
    }
}

impl ApiError {
    pub fn new(status: StatusCode, kind: &'static str, title: &'static str, detail: impl Into<String>) -> Self {
        Self(Box::new(ApiErrorBody {
            status,
            kind,
            title,
            detail: detail.into(),
            fields: Vec::new(),
            etag: None,
            retry_after: None,
        }))
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "Not found",
            format!("{what} not found"),
        )
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad-request", "Bad request", detail)
    }

    pub fn invalid(fields: Vec<FieldError>) -> Self {
        let detail = fields
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; ");
        let mut e = Self::new(StatusCode::UNPROCESSABLE_ENTITY, "validation", "Invalid input", detail);
        e.0.fields = fields;
        e
    }

    /// The message for a person: the first field's, or the detail.
    pub fn message(&self) -> String {
        self.fields
            .first()
            .map(|f| f.message.clone())
            .unwrap_or_else(|| self.detail.clone())
    }

    pub fn problem(&self) -> Problem {
        Problem {
            r#type: format!("https://pawl.dev/problems/{}", self.kind),
            title: self.title.to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            errors: self
                .fields
                .iter()
                .map(|f| ProblemField {
                    field: f.field.clone(),
                    message: f.message.clone(),
                })
                .collect(),
        }
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Unauthenticated => Self::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Unauthenticated",
                e.to_string(),
            ),
            AppError::BadCredentials => Self::new(
                StatusCode::UNAUTHORIZED,
                "bad-credentials",
                "Sign-in failed",
                e.to_string(),
            ),
            AppError::Forbidden => Self::new(StatusCode::FORBIDDEN, "forbidden", "Forbidden", e.to_string()),
            AppError::Refused(m) => Self::new(StatusCode::FORBIDDEN, "refused", "Not allowed for this record", m),
            AppError::RateLimited { retry_after_secs } => {
                let mut err = Self::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate-limited",
                    "Too many attempts",
                    e.to_string(),
                );
                err.0.retry_after = Some(retry_after_secs);
                err
            }
            AppError::Invalid(DomainError::Invalid(fields)) => Self::invalid(fields),
            AppError::Store(s) => s.into(),
            AppError::Files(_) => {
                tracing::error!(error = %e, "evidence file store");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "evidence-files",
                    "Evidence file unavailable",
                    e.to_string(),
                )
            }
            // The server works; what was asked needs a setting it lacks.
            AppError::Unavailable(m) => Self::new(StatusCode::CONFLICT, "not-set-up", "Not set up here", m),
            AppError::Mail(_) => Self::new(
                StatusCode::BAD_GATEWAY,
                "mail-failed",
                "The mail server failed",
                e.to_string(),
            ),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { entity } => Self::not_found(entity),
            StoreError::Conflict(msg) => Self::new(StatusCode::CONFLICT, "conflict", "Conflict", msg),
            StoreError::PreconditionFailed { ref current_etag, .. } => {
                let mut err = Self::new(
                    StatusCode::PRECONDITION_FAILED,
                    "precondition-failed",
                    "Precondition failed",
                    e.to_string(),
                );
                err.0.etag = Some(current_etag.clone());
                err
            }
            StoreError::Invalid(DomainError::Invalid(fields)) => Self::invalid(fields),
            other => {
                // The cause goes to the log, not to the client.
                tracing::error!(error = %other, "internal error");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "Internal error",
                    "something went wrong on the server; the error was logged",
                )
            }
        }
    }
}

impl From<DomainError> for ApiError {
    fn from(DomainError::Invalid(fields): DomainError) -> Self {
        Self::invalid(fields)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        let mut resp = (self.status, body).into_response();
        let h = resp.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(tag) = self.etag.as_deref().and_then(|t| HeaderValue::from_str(t).ok()) {
            h.insert(header::ETAG, tag);
        }
        if let Some(secs) = self.retry_after {
            h.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            h.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        resp
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
