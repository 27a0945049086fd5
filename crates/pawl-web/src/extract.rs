//! Extractors whose rejections are problem documents, so malformed JSON,
//! queries and paths get the same clear errors as everything else.

use crate::ApiError;
use axum::extract::multipart::MultipartRejection;
use axum::extract::rejection::{FormRejection, JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::StatusCode;

#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Json<T>(pub T);

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

#[derive(FromRequest)]
#[from_request(via(axum::Form), rejection(ApiError))]
pub struct Form<T>(pub T);

/// A file upload: a body that is not `multipart/form-data` is a problem
/// document like every other refusal.
pub struct Upload(pub axum::extract::Multipart);

impl<S: Send + Sync> FromRequest<S> for Upload {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Multipart::from_request(req, state)
            .await
            .map(Upload)
            .map_err(ApiError::from)
    }
}

impl From<MultipartRejection> for ApiError {
    fn from(r: MultipartRejection) -> Self {
        ApiError::new(r.status(), "malformed-upload", "Malformed upload", r.body_text())
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        let status = r.status();
        let kind = if status == StatusCode::UNSUPPORTED_MEDIA_TYPE {
            "media-type"
        } else {
            "malformed-json"
        };
        ApiError::new(status, kind, "Malformed request body", r.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed-query",
            "Malformed query",
            r.body_text(),
        )
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed-path",
            "Malformed path",
            r.body_text(),
        )
    }
}

impl From<FormRejection> for ApiError {
    fn from(r: FormRejection) -> Self {
        ApiError::new(r.status(), "malformed-form", "Malformed form", r.body_text())
    }
}

/// The client's address: the peer's, unless the peer is a trusted proxy, in
/// which case the nearest address in `X-Forwarded-For` that is not itself
/// a trusted proxy (the ones further left are the client's own claims).
pub(crate) fn client_address(
    peer: std::net::IpAddr,
    headers: &axum::http::HeaderMap,
    trusted: &[std::net::IpAddr],
) -> String {
    if !trusted.contains(&peer) {
        return peer.to_string();
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    forwarded
        .iter()
        .rev()
        .filter_map(|a| a.parse::<std::net::IpAddr>().ok())
        .find(|a| !trusted.contains(a))
        .unwrap_or(peer)
        .to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn forwarded_addresses_count_only_from_trusted_proxies() {
        use axum::http::HeaderMap;
        let proxy: std::net::IpAddr = "10.0.0.1".parse().unwrap();
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", "6.6.6.6, 203.0.113.7".parse().unwrap());
        assert_eq!(super::client_address(proxy, &h, &[proxy]), "203.0.113.7");
        assert_eq!(
            super::client_address(proxy, &h, &[]),
            "10.0.0.1",
            "an untrusted peer's header is ignored"
        );
        h.insert("x-forwarded-for", "203.0.113.7, 10.0.0.2".parse().unwrap());
        let two: Vec<std::net::IpAddr> = vec![proxy, "10.0.0.2".parse().unwrap()];
        assert_eq!(
            super::client_address(proxy, &h, &two),
            "203.0.113.7",
            "proxies in a chain are skipped"
        );
        assert_eq!(super::client_address(proxy, &HeaderMap::new(), &[proxy]), "10.0.0.1");
    }
}
