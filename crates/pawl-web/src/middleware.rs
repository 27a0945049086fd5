//! Cross-cutting HTTP concerns: security headers, request logs and CSRF.

use crate::auth::Identity;
use crate::ApiError;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use pawl_app::Via;
use std::time::Instant;

/// No inline script or style, no framing, no third-party anything.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub async fn security_headers(req: Request, next: Next) -> Response {
    let is_static = req.uri().path().starts_with("/static/");
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    if !is_static && !h.contains_key(header::CACHE_CONTROL) {
        // Pages and API answers hold organisation data: never cache them.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}

pub async fn request_log(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let resp = next.run(req).await;
    let status = resp.status().as_u16();
    let micros = started.elapsed().as_micros() as u64;
    if status >= 500 {
        tracing::error!(%method, path, status, micros, "request");
    } else {
        tracing::info!(%method, path, status, micros, "request");
    }
    resp
}

const CSRF_FIELD: &str = "_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";
const FORM_LIMIT: usize = 1024 * 1024;

fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn refused(detail: &str) -> Response {
    ApiError::new(StatusCode::FORBIDDEN, "csrf", "Request refused", detail).into_response()
}

/// Every state-changing request made with a session cookie must prove it
/// came from one of our own pages: forms carry the session's token in
/// `_csrf`, scripts send it in `X-CSRF-Token`. Token-authenticated API calls
/// carry no ambient credential and need neither. A cross-site `Origin` is
/// refused outright.
pub async fn csrf(req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    if let (Some(origin), Some(host)) = (req.headers().get(header::ORIGIN), req.headers().get(header::HOST)) {
        let origin = origin.to_str().unwrap_or("");
        let host = host.to_str().unwrap_or("");
        let origin_host = origin.split_once("://").map(|(_, h)| h).unwrap_or(origin);
        if origin != "null" && origin_host != host {
            return refused("the request came from another site");
        }
    }
    // A public route (signing in) acts without the session's authority, so
    // the Origin check above is its protection.
    let public = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .and_then(|p| crate::policy::rule_for(req.method(), p.as_str()))
        == Some(crate::policy::Rule::Public);
    if public {
        return next.run(req).await;
    }
    let expected = match req.extensions().get::<Identity>() {
        Some(Identity::Principal(p)) => match &p.via {
            Via::Session { csrf_token, .. } => csrf_token.clone(),
            Via::ApiToken { .. } => return next.run(req).await,
        },
        _ => return next.run(req).await,
    };
    if let Some(sent) = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        return if same(sent, &expected) {
            next.run(req).await
        } else {
            refused("the CSRF token does not match this session; reload the page")
        };
    }
    // A file upload cannot be read twice here; its form carries the token
    // in the query string instead.
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if is_multipart {
        let sent: Vec<(String, String)> =
            serde_urlencoded::from_str(req.uri().query().unwrap_or("")).unwrap_or_default();
        return if sent.iter().any(|(k, v)| k == CSRF_FIELD && same(v, &expected)) {
            next.run(req).await
        } else {
            refused("the upload's CSRF token is missing or stale; reload the page and try again")
        };
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return refused("send the CSRF token in the X-CSRF-Token header");
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, FORM_LIMIT).await else {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            "Form too large",
            "the form is larger than 1 MiB",
        )
        .into_response();
    };
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
    let ok = fields.iter().any(|(k, v)| k == CSRF_FIELD && same(v, &expected));
    if !ok {
        return refused("the form's CSRF token is missing or stale; reload the page and try again");
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}
