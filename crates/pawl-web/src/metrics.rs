//! Operators' metrics in the Prometheus text format, served at `/-/metrics`
//! (`/metrics` is the metrics register's page) to whoever holds the token
//! the server was started with: requests by route and status, their
//! latency, audit events appended and the database pools' use, per
//! replica, so that several replicas can be watched.

use crate::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Instant;

/// Latency bucket bounds, in seconds.
const BUCKETS: [f64; 11] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

#[derive(Default)]
struct Latency {
    /// Requests at or under each bound, then all.
    counts: [u64; BUCKETS.len() + 1],
    sum: f64,
}

/// What this process has served.
#[derive(Default)]
pub struct Metrics {
    /// (method, route, status) to requests.
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    /// route to latency.
    latency: Mutex<BTreeMap<String, Latency>>,
}

impl Metrics {
    fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let mut r = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        *r.entry((method.to_owned(), route.to_owned(), status)).or_default() += 1;
        drop(r);
        let mut l = self.latency.lock().unwrap_or_else(|p| p.into_inner());
        let h = l.entry(route.to_owned()).or_default();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                h.counts[i] += 1;
            }
        }
        h.counts[BUCKETS.len()] += 1;
        h.sum += seconds;
    }
}

/// A method as a label: HTTP's own methods by name, any other as `other`,
/// since a client may send any token as a method and each would otherwise
/// become a series of its own.
fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "other",
    }
}

/// Counts every request by the route it matched (never its path, whose ids
/// would make the series endless).
pub async fn count(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(req.method());
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let resp = next.run(req).await;
    state
        .metrics
        .observe(method, &route, resp.status().as_u16(), started.elapsed().as_secs_f64());
    resp
}

/// Compares secrets in time that does not depend on where they differ.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn label(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// The exposition; 404 when the server has no metrics token, 401 without it.
pub async fn expose(State(state): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    let Some(token) = state.app.metrics_token.as_deref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if given.is_none_or(|g| !same_secret(g, token)) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let mut out = String::new();
    out.push_str("# HELP pawl_http_requests_total Requests served, by method, route and status.\n");
    out.push_str("# TYPE pawl_http_requests_total counter\n");
    for ((m, r, s), n) in state.metrics.requests.lock().unwrap_or_else(|p| p.into_inner()).iter() {
        let _ = writeln!(
            out,
            "pawl_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{s}\"}} {n}",
            label(m),
            label(r)
        );
    }
    out.push_str("# HELP pawl_http_request_duration_seconds Time to answer, by route.\n");
    out.push_str("# TYPE pawl_http_request_duration_seconds histogram\n");
    for (r, h) in state.metrics.latency.lock().unwrap_or_else(|p| p.into_inner()).iter() {
        let r = label(r);
        for (i, bound) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "pawl_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"{bound}\"}} {}",
                h.counts[i]
            );
        }
        let all = h.counts[BUCKETS.len()];
        let _ = writeln!(
            out,
            "pawl_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"+Inf\"}} {all}"
        );
        let _ = writeln!(out, "pawl_http_request_duration_seconds_sum{{route=\"{r}\"}} {}", h.sum);
        let _ = writeln!(out, "pawl_http_request_duration_seconds_count{{route=\"{r}\"}} {all}");
    }
    let store = &state.app.store;
    out.push_str("# HELP pawl_audit_appends_total Audit events committed through this process.\n");
    out.push_str("# TYPE pawl_audit_appends_total counter\n");
    let _ = writeln!(out, "pawl_audit_appends_total {}", store.audit_appends());
    out.push_str("# HELP pawl_db_pool_connections Database connections of this process, by pool and state.\n");
    out.push_str("# TYPE pawl_db_pool_connections gauge\n");
    for (pool, open, idle) in store.pool_use() {
        let _ = writeln!(out, "pawl_db_pool_connections{{pool=\"{pool}\",state=\"open\"}} {open}");
        let _ = writeln!(out, "pawl_db_pool_connections{{pool=\"{pool}\",state=\"idle\"}} {idle}");
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        out,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_outside_http_share_one_label() {
        assert_eq!(method_label(&Method::PATCH), "PATCH");
        for odd in ["FOO", "get", "X1"] {
            assert_eq!(
                method_label(&Method::from_bytes(odd.as_bytes()).unwrap()),
                "other",
                "{odd}"
            );
        }
    }
}
