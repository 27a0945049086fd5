//! Cross-cutting HTTP concerns: security headers, request logs, CSRF and
//! control characters in what a request carries.

use crate::auth::Identity;
use crate::ApiError;
use axum::body::Body;
use axum::extract::{MatchedPath, Request};
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
    // Behind the documented TLS proxy: browsers are told to stay on HTTPS.
    let https = req.headers().get("x-forwarded-proto").and_then(|v| v.to_str().ok()) == Some("https");
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    if https {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
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
/// refused outright, and so is `Origin: null` (a sandboxed frame or a
/// redirect from another site), on signing in as everywhere else.
pub async fn csrf(req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    if let (Some(origin), Some(host)) = (req.headers().get(header::ORIGIN), req.headers().get(header::HOST)) {
        let origin = origin.to_str().unwrap_or("");
        let host = host.to_str().unwrap_or("");
        let origin_host = origin.split_once("://").map(|(_, h)| h).unwrap_or(origin);
        if origin == "null" || origin_host != host {
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

use pawl_domain::register::{check_text, is_forbidden_char as forbidden};
use pawl_domain::DomainError;

/// The first field whose name or value holds a forbidden character, refused by name.
fn bad_pair(pairs: &[(String, String)]) -> Option<DomainError> {
    pairs
        .iter()
        .find_map(|(k, v)| check_text(k, k).and_then(|_| check_text(k, v)).err())
}

/// Where in a JSON document a string holds a forbidden character, refused
/// by its field path (`title`, `items[2].name`).
fn bad_json_path(v: &serde_json::Value, at: &str) -> Option<DomainError> {
    use serde_json::Value;
    let join = |k: &str| {
        if at.is_empty() {
            k.to_owned()
        } else {
            format!("{at}.{k}")
        }
    };
    match v {
        Value::String(s) => check_text(if at.is_empty() { "body" } else { at }, s).err(),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, x)| bad_json_path(x, &format!("{at}[{i}]"))),
        Value::Object(m) => m
            .iter()
            .find_map(|(k, x)| check_text(&join(k), k).err().or_else(|| bad_json_path(x, &join(k)))),
        _ => None,
    }
}

/// Does the raw JSON text escape a forbidden character? JSON cannot hold
/// one unescaped, so looking at the escapes is enough, and costs one pass
/// over bytes rather than a parse of every body.
fn json_escapes_control(body: &[u8]) -> bool {
    let mut i = 0;
    while i < body.len() {
        if body[i] != b'\\' {
            i += 1;
            continue;
        }
        match body.get(i + 1) {
            Some(b'b' | b'f') => return true,
            Some(b'u') => {
                let code = body
                    .get(i + 2..i + 6)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .and_then(char::from_u32);
                if code.is_some_and(forbidden) {
                    return true;
                }
            }
            _ => {}
        }
        i += 2;
    }
    false
}

/// Does a raw (still percent-encoded) path encode a control character?
fn path_encodes_control(path: &str) -> bool {
    path.as_bytes().windows(3).any(|w| {
        w[0] == b'%'
            && std::str::from_utf8(&w[1..])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .is_some_and(|b| b < 0x20 || b == 0x7f)
    })
}

/// The most a route that needs no sign-in reads: signing in or answering
/// an invitation is a few short fields, and anyone may send one.
pub const PUBLIC_BODY_LIMIT: usize = 8 * 1024;

fn too_large(limit: usize) -> ApiError {
    let size = if limit >= 1 << 20 {
        format!("{} MiB", limit >> 20)
    } else {
        format!("{} KiB", limit >> 10)
    };
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too-large",
        "Request too large",
        format!("the body is larger than {size}"),
    )
}

/// Refuses control characters wherever a request can carry text (path,
/// query, JSON and form bodies) before any handler sees them, the same on
/// both engines: a path naming one cannot name a record (404), a field
/// holding one is refused by name (422). Uploaded files are the readers'
/// to check, cell by cell.
///
/// It runs after authentication and the access policy, so that no body is
/// read for a caller who may not send it: a route that needs a sign-in
/// has already answered 401 or 403 to anyone else. A public route reads at
/// most [`PUBLIC_BODY_LIMIT`], whatever its type; an unrouted path reads
/// nothing (the fallback answers 404).
pub async fn refuse_control_characters(req: Request, next: Next) -> Response {
    let is_api = req.uri().path().starts_with("/api/");
    let answer = |e: ApiError| -> Response {
        if is_api {
            e.into_response()
        } else {
            crate::ui::page::PageError(e).into_response()
        }
    };
    if path_encodes_control(req.uri().path()) {
        return answer(ApiError::not_found("the page"));
    }
    if let Some(query) = req.uri().query() {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
        if let Some(e) = bad_pair(&pairs) {
            return answer(e.into());
        }
    }
    let Some(route) = req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_owned()) else {
        return next.run(req).await;
    };
    let public = crate::policy::rule_for(req.method(), &route) == Some(crate::policy::Rule::Public);
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let json = content_type.starts_with("application/json") || content_type.contains("+json");
    let form = content_type.starts_with("application/x-www-form-urlencoded");
    if !json && !form && !public {
        // Uploads and files: their handlers read them within their own limits.
        return next.run(req).await;
    }
    let limit = if public { PUBLIC_BODY_LIMIT } else { crate::BODY_LIMIT };
    // A body announced as too large is refused before a byte of it is read.
    let announced = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if announced.is_some_and(|n| n > limit as u64) {
        return answer(too_large(limit));
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
        return answer(too_large(limit));
    };
    if json && json_escapes_control(&bytes) {
        // Malformed JSON is left to the handler's extractor to describe.
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&bytes) {
            if let Some(e) = bad_json_path(&v, "") {
                return answer(e.into());
            }
        }
    }
    if form {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
        if let Some(e) = bad_pair(&pairs) {
            return answer(e.into());
        }
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_found_in_escapes_paths_and_documents() {
        assert!(json_escapes_control(br#"{"title":"a\u0000b"}"#));
        assert!(json_escapes_control(br#"{"title":"a\bb"}"#));
        assert!(!json_escapes_control(br#"{"title":"tab\there\nand \\u0000 as text"}"#));
        assert!(!json_escapes_control(br#"{"title":"caf\u00e9"}"#));
        assert!(path_encodes_control("/api/v1/risks/%00"));
        assert!(path_encodes_control("/api/v1/risks/a%1Fb"));
        assert!(!path_encodes_control("/api/v1/risks/R-0001%20x"));
        let doc = serde_json::json!({"ok": "fine", "items": [{"name": "x"}, {"name": "y\u{0}"}]});
        let DomainError::Invalid(fields) = bad_json_path(&doc, "").expect("found");
        assert_eq!(fields[0].field, "items[1].name");
    }
}
