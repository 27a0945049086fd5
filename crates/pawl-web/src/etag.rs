//! Optimistic concurrency over HTTP: `ETag` out, `If-Match` in.

use crate::ApiError;
use axum::http::{header, HeaderMap, HeaderValue};

/// The version named by `If-Match`, if the header was sent. `*` matches any.
/// An organisation that requires it gets 428 for a change without one.
pub fn if_match(headers: &HeaderMap, org: &pawl_store::Organisation) -> Result<Option<i64>, ApiError> {
    let Some(v) = headers.get(header::IF_MATCH) else {
        if org.require_if_match {
            return Err(ApiError::new(
                axum::http::StatusCode::PRECONDITION_REQUIRED,
                "precondition-required",
                "If-Match required",
                format!(
                    "{} requires every change to name the version it read: send the record's ETag in If-Match",
                    org.name
                ),
            ));
        }
        return Ok(None);
    };
    let s = v.to_str().unwrap_or("").trim();
    if s == "*" {
        return Ok(None);
    }
    if s.is_empty() {
        return Err(ApiError::bad_request(
            "If-Match is empty: send the ETag you read, or leave the header out".to_owned(),
        ));
    }
    // A tag this server never issued (weak ones included: If-Match compares
    // strongly) can match no current version: RFC 9110 answers 412.
    s.strip_prefix("\"v")
        .and_then(|n| n.strip_suffix('"'))
        .and_then(|n| n.parse::<i64>().ok())
        .map(Some)
        .ok_or_else(|| {
            ApiError::new(
                axum::http::StatusCode::PRECONDITION_FAILED,
                "precondition-failed",
                "Precondition failed",
                format!("If-Match {s:?} names no version of this record; read it again for its ETag"),
            )
        })
}

/// The `ETag` header for a record version.
pub fn with_etag(version: i64) -> [(header::HeaderName, HeaderValue); 1] {
    [(
        header::ETAG,
        HeaderValue::from_str(&pawl_store::etag(version)).unwrap_or(HeaderValue::from_static("\"v0\"")),
    )]
}
