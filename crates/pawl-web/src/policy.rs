//! The access policy of every route, in one table, enforced in one place
//! (Annex A 5.15 access control, 8.3 information access restriction).
//!
//! A route missing from [`ROUTES`] is refused: the policy fails closed.

use crate::auth::Identity;
use crate::ApiError;
use axum::extract::{MatchedPath, Request};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use pawl_domain::access::Permission;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// No sign-in needed.
    Public,
    /// Signed in, with a role that has this permission.
    Needs(Permission),
}

use Permission::*;
use Rule::*;

/// (method, path as routed, rule).
pub const ROUTES: &[(&str, &str, Rule)] = &[
    // API
    ("GET", "/api/v1/health", Public),
    // Operators' metrics: the handler asks for the server's metrics token.
    ("GET", "/-/metrics", Public),
    ("GET", "/api/v1/openapi.json", Public),
    ("GET", "/api/v1/me", Needs(Enter)),
    ("PATCH", "/api/v1/me", Needs(Enter)),
    ("GET", "/api/v1/catalog/iso27001-2022/annex-a", Needs(Enter)),
    ("GET", "/api/v1/catalog/iso27001-2022/annex-a/{id}", Needs(Enter)),
    ("GET", "/api/v1/catalog/iso27001-2022/clauses", Needs(Enter)),
    ("GET", "/api/v1/catalog/iso27001-2022/clauses/{id}", Needs(Enter)),
    ("GET", "/api/v1/organisation", Needs(Enter)),
    ("PATCH", "/api/v1/organisation", Needs(ManageOrganisation)),
    ("GET", "/api/v1/members", Needs(ReadIsms)),
    ("POST", "/api/v1/members", Needs(ManageOrganisation)),
    ("GET", "/api/v1/members/{id}", Needs(ReadIsms)),
    ("PATCH", "/api/v1/members/{id}", Needs(ManageOrganisation)),
    ("DELETE", "/api/v1/members/{id}", Needs(ManageOrganisation)),
    ("GET", "/api/v1/invitations", Needs(ReadIsms)),
    ("POST", "/api/v1/invitations/import", Needs(ManageOrganisation)),
    ("DELETE", "/api/v1/invitations/{id}", Needs(ManageOrganisation)),
    ("GET", "/api/v1/me/invitations", Needs(Enter)),
    ("POST", "/api/v1/me/invitations/{id}", Needs(Enter)),
    ("POST", "/api/v1/me/password", Needs(Enter)),
    ("GET", "/api/v1/me/calendar-feeds", Needs(Enter)),
    ("POST", "/api/v1/me/calendar-feeds", Needs(Enter)),
    ("DELETE", "/api/v1/me/calendar-feeds/{scope}", Needs(Enter)),
    ("GET", "/api/v1/notifications", Needs(Enter)),
    ("POST", "/api/v1/notifications/read", Needs(Enter)),
    ("POST", "/api/v1/notifications/{id}/read", Needs(Enter)),
    ("GET", "/api/v1/outbox", Needs(ManageOrganisation)),
    ("POST", "/api/v1/outbox/{id}/retry", Needs(ManageOrganisation)),
    ("POST", "/api/v1/password-reset", Public),
    ("POST", "/api/v1/password-reset/{secret}", Public),
    ("POST", "/api/v1/me/trainings/{id}/completion", Needs(Enter)),
    ("GET", "/api/v1/tokens", Needs(ManageOwnTokens)),
    ("POST", "/api/v1/tokens", Needs(ManageOwnTokens)),
    ("DELETE", "/api/v1/tokens/{id}", Needs(ManageOwnTokens)),
    ("GET", "/api/v1/audit/events", Needs(ReadAuditTrail)),
    ("GET", "/api/v1/audit/verify", Needs(ReadAuditTrail)),
    (
        "GET",
        "/api/v1/history/{entity_type}/{entity_id}",
        Needs(ReadAuditTrail),
    ),
    ("GET", "/api/v1/controls", Needs(ReadIsms)),
    ("POST", "/api/v1/controls", Needs(WriteIsms)),
    ("GET", "/api/v1/controls/{id}", Needs(ReadIsms)),
    ("PATCH", "/api/v1/controls/{id}", Needs(WriteIsms)),
    ("DELETE", "/api/v1/controls/{id}", Needs(WriteIsms)),
    ("GET", "/api/v1/controls/{id}/checks", Needs(ReadIsms)),
    ("POST", "/api/v1/controls/{id}/checks", Needs(WriteIsms)),
    ("GET", "/api/v1/controls/{id}/results", Needs(ReadIsms)),
    ("POST", "/api/v1/checks/{id}/results", Needs(WriteIsms)),
    ("GET", "/api/v1/checks/due", Needs(ReadIsms)),
    ("GET", "/api/v1/soa", Needs(ReadIsms)),
    ("PUT", "/api/v1/soa/{annex_id}", Needs(WriteIsms)),
    ("GET", "/api/v1/soa/versions", Needs(ReadIsms)),
    ("POST", "/api/v1/soa/versions", Needs(ApproveSoa)),
    ("GET", "/api/v1/soa/compare", Needs(ReadIsms)),
    ("GET", "/api/v1/soa/export", Needs(ReadIsms)),
    ("GET", "/api/v1/controls/export", Needs(ReadIsms)),
    ("GET", "/api/v1/checks/export", Needs(ReadIsms)),
    ("GET", "/api/v1/evidence/export", Needs(ReadIsms)),
    ("GET", "/api/v1/evidence", Needs(ReadIsms)),
    ("POST", "/api/v1/evidence", Needs(WriteIsms)),
    ("GET", "/api/v1/evidence/{id}", Needs(ReadIsms)),
    ("GET", "/api/v1/evidence/{id}/versions", Needs(ReadIsms)),
    ("GET", "/api/v1/evidence/{id}/download", Needs(ReadIsms)),
    ("GET", "/api/v1/crosswalks", Needs(ReadIsms)),
    ("GET", "/api/v1/crosswalks/{framework}", Needs(ReadIsms)),
    ("PUT", "/api/v1/crosswalks/{framework}", Needs(WriteIsms)),
    ("GET", "/api/v1/risk-method", Needs(ReadIsms)),
    ("PUT", "/api/v1/risk-method", Needs(ManageRiskMethod)),
    ("GET", "/api/v1/risk-method/versions", Needs(ReadIsms)),
    ("GET", "/api/v1/risks", Needs(ReadIsms)),
    ("POST", "/api/v1/risks", Needs(WriteIsms)),
    ("GET", "/api/v1/risks/{id}", Needs(ReadIsms)),
    ("PATCH", "/api/v1/risks/{id}", Needs(WriteIsms)),
    ("DELETE", "/api/v1/risks/{id}", Needs(WriteIsms)),
    ("POST", "/api/v1/risks/{id}/rescore", Needs(WriteIsms)),
    ("GET", "/api/v1/risks/{id}/assessments", Needs(ReadIsms)),
    ("POST", "/api/v1/risks/{id}/acceptance", Needs(WriteIsms)),
    ("GET", "/api/v1/risks/{id}/acceptances", Needs(ReadIsms)),
    ("GET", "/api/v1/risks/heatmap", Needs(ReadIsms)),
    ("GET", "/api/v1/risks/register", Needs(ReadIsms)),
    ("GET", "/api/v1/risks/due", Needs(ReadIsms)),
    ("GET", "/api/v1/risks/export", Needs(ReadIsms)),
    ("POST", "/api/v1/risks/import", Needs(WriteIsms)),
    ("GET", "/api/v1/links", Needs(ReadIsms)),
    ("POST", "/api/v1/links", Needs(WriteIsms)),
    ("DELETE", "/api/v1/links/{id}", Needs(WriteIsms)),
    ("GET", "/api/v1/my-work", Needs(Enter)),
    ("GET", "/api/v1/audits/{id}/checklist", Needs(ReadIsms)),
    ("PUT", "/api/v1/audits/{id}/checklist/{item}", Needs(RecordAuditResults)),
    ("GET", "/api/v1/audit-programmes/{id}/coverage", Needs(ReadIsms)),
    ("GET", "/api/v1/audits/{id}/objectivity", Needs(ReadIsms)),
    ("GET", "/api/v1/audits/{id}/report.xlsx", Needs(ReadIsms)),
    ("GET", "/api/v1/nonconformities/{id}/root-cause", Needs(ReadIsms)),
    ("PUT", "/api/v1/nonconformities/{id}/root-cause", Needs(WriteIsms)),
    ("GET", "/api/v1/nonconformities/{id}/recurrences", Needs(ReadIsms)),
    ("GET", "/api/v1/nonconformity-ageing", Needs(ReadIsms)),
    ("GET", "/api/v1/nonconformities/{id}/closure", Needs(ReadIsms)),
    ("GET", "/api/v1/corrective-actions/{id}/verifications", Needs(ReadIsms)),
    (
        "POST",
        "/api/v1/corrective-actions/{id}/verifications",
        Needs(RecordAuditResults),
    ),
    ("GET", "/api/v1/suppliers/{id}/reviews", Needs(ReadIsms)),
    ("POST", "/api/v1/suppliers/{id}/reviews", Needs(WriteIsms)),
    ("GET", "/api/v1/trainings/{id}/completions", Needs(ReadIsms)),
    ("POST", "/api/v1/trainings/{id}/completions", Needs(WriteIsms)),
    ("GET", "/api/v1/training-completions/monthly", Needs(ReadIsms)),
    ("GET", "/api/v1/training-completions", Needs(ReadIsms)),
    ("GET", "/api/v1/metrics/{id}/measurements", Needs(ReadIsms)),
    ("POST", "/api/v1/metrics/{id}/measurements", Needs(WriteIsms)),
    ("POST", "/api/v1/metrics/{id}/compute", Needs(WriteIsms)),
    ("GET", "/api/v1/management-reviews/{id}/pack", Needs(ReadIsms)),
    ("GET", "/api/v1/management-reviews/{id}/pack.pdf", Needs(ReadIsms)),
    ("GET", "/api/v1/readiness", Needs(ReadIsms)),
    ("GET", "/api/v1/improvements/board", Needs(ReadIsms)),
    ("GET", "/api/v1/incidents/{id}/timeline", Needs(ReadIsms)),
    ("POST", "/api/v1/incidents/{id}/timeline", Needs(WriteIsms)),
    ("GET", "/api/v1/lessons/summary", Needs(ReadIsms)),
    ("GET", "/api/v1/cycles/{id}/status", Needs(ReadIsms)),
    ("GET", "/api/v1/cycles/compare", Needs(ReadIsms)),
    ("GET", "/api/v1/documents/{id}/versions", Needs(ReadIsms)),
    ("POST", "/api/v1/documents/{id}/versions", Needs(WriteIsms)),
    ("POST", "/api/v1/documents/{id}/versions/file", Needs(WriteIsms)),
    ("GET", "/api/v1/documents/{id}/versions/{version}", Needs(ReadIsms)),
    ("GET", "/api/v1/documents/{id}/versions/{version}/file", Needs(ReadIsms)),
    ("PATCH", "/api/v1/documents/{id}/versions/{version}", Needs(WriteIsms)),
    (
        "POST",
        "/api/v1/documents/{id}/versions/{version}/transitions",
        Needs(WriteIsms),
    ),
    ("GET", "/api/v1/documents/{id}/diff", Needs(ReadIsms)),
    ("GET", "/api/v1/documents/{id}/tree", Needs(ReadIsms)),
    ("GET", "/api/v1/documents/{id}/trace", Needs(ReadIsms)),
    ("GET", "/api/v1/documents/{id}/acknowledgements", Needs(ReadIsms)),
    // Reading is everyone's; the service lets only the audience acknowledge.
    ("POST", "/api/v1/documents/{id}/acknowledgements", Needs(Enter)),
    ("GET", "/api/v1/me/reading", Needs(Enter)),
    ("GET", "/api/v1/acknowledgements", Needs(ReadIsms)),
    ("GET", "/api/v1/acknowledgements/export", Needs(ReadIsms)),
    ("GET", "/api/v1/documents/{id}/reviews", Needs(ReadIsms)),
    ("POST", "/api/v1/documents/{id}/reviews", Needs(WriteIsms)),
    ("GET", "/api/v1/mandatory-documents", Needs(ReadIsms)),
    // Web UI
    ("GET", "/static/{file}", Public),
    ("GET", "/favicon.ico", Public),
    ("GET", "/login", Public),
    ("POST", "/login", Public),
    ("POST", "/logout", Needs(Enter)),
    ("POST", "/switch-org", Needs(Enter)),
    ("GET", "/organisations", Needs(Enter)),
    // The secret in the address is the invitation's authority.
    ("GET", "/invitations/{secret}", Public),
    ("POST", "/invitations/{secret}", Public),
    ("GET", "/password-reset", Public),
    ("POST", "/password-reset", Public),
    ("GET", "/password-reset/{secret}", Public),
    ("POST", "/password-reset/{secret}", Public),
    ("GET", "/calendar/{file}", Public),
    ("GET", "/account/calendar", Needs(Enter)),
    ("POST", "/account/calendar", Needs(Enter)),
    ("POST", "/account/calendar/{scope}/revoke", Needs(Enter)),
    ("GET", "/notifications", Needs(Enter)),
    ("POST", "/notifications/read", Needs(Enter)),
    ("GET", "/admin/outbox", Needs(ManageOrganisation)),
    ("POST", "/admin/outbox/{id}/retry", Needs(ManageOrganisation)),
    ("POST", "/me/invitations/{id}", Needs(Enter)),
    ("GET", "/account", Needs(Enter)),
    ("GET", "/me/trainings/{id}", Needs(Enter)),
    ("POST", "/me/trainings/{id}", Needs(Enter)),
    ("POST", "/account/name", Needs(Enter)),
    ("POST", "/account/password", Needs(Enter)),
    ("POST", "/admin/invitations/{id}/revoke", Needs(ManageOrganisation)),
    ("GET", "/", Needs(Enter)),
    ("GET", "/catalog/annex-a", Needs(ReadIsms)),
    ("GET", "/catalog/annex-a/{id}", Needs(ReadIsms)),
    ("GET", "/catalog/clauses", Needs(ReadIsms)),
    ("GET", "/admin/members", Needs(ReadIsms)),
    ("POST", "/admin/members", Needs(ManageOrganisation)),
    ("POST", "/admin/members/import", Needs(ManageOrganisation)),
    ("POST", "/admin/members/{id}/role", Needs(ManageOrganisation)),
    ("POST", "/admin/members/{id}/remove", Needs(ManageOrganisation)),
    ("GET", "/admin/organisation", Needs(ManageOrganisation)),
    ("POST", "/admin/organisation", Needs(ManageOrganisation)),
    ("GET", "/account/tokens", Needs(ManageOwnTokens)),
    ("POST", "/account/tokens", Needs(ManageOwnTokens)),
    ("POST", "/account/tokens/{id}/revoke", Needs(ManageOwnTokens)),
    ("GET", "/risks", Needs(ReadIsms)),
    ("GET", "/risks/levels.css", Needs(Enter)),
    ("GET", "/risks/new", Needs(WriteIsms)),
    ("POST", "/risks/new", Needs(WriteIsms)),
    ("GET", "/risks/due", Needs(ReadIsms)),
    ("GET", "/risks/export.csv", Needs(ReadIsms)),
    ("GET", "/risks/export.xlsx", Needs(ReadIsms)),
    ("GET", "/risks/report", Needs(ReadIsms)),
    ("GET", "/risks/import", Needs(WriteIsms)),
    ("POST", "/risks/import", Needs(WriteIsms)),
    ("POST", "/risks/import/{id}", Needs(WriteIsms)),
    ("GET", "/risks/register", Needs(ReadIsms)),
    ("GET", "/risks/{id}", Needs(ReadIsms)),
    ("GET", "/risks/{id}/edit", Needs(WriteIsms)),
    ("POST", "/risks/{id}/edit", Needs(WriteIsms)),
    ("POST", "/risks/{id}/accept", Needs(WriteIsms)),
    ("POST", "/risks/{id}/actions", Needs(WriteIsms)),
    ("GET", "/controls", Needs(ReadIsms)),
    ("GET", "/controls/export.csv", Needs(ReadIsms)),
    ("GET", "/controls/export.xlsx", Needs(ReadIsms)),
    ("GET", "/checks/export.csv", Needs(ReadIsms)),
    ("GET", "/checks/export.xlsx", Needs(ReadIsms)),
    ("GET", "/controls/new", Needs(WriteIsms)),
    ("POST", "/controls/new", Needs(WriteIsms)),
    ("GET", "/controls/{id}", Needs(ReadIsms)),
    ("GET", "/controls/{id}/edit", Needs(WriteIsms)),
    ("POST", "/controls/{id}/edit", Needs(WriteIsms)),
    ("POST", "/controls/{id}/checks", Needs(WriteIsms)),
    ("POST", "/controls/{id}/retire", Needs(WriteIsms)),
    ("POST", "/checks/{id}/results", Needs(WriteIsms)),
    ("GET", "/soa", Needs(ReadIsms)),
    ("GET", "/soa/export.csv", Needs(ReadIsms)),
    ("GET", "/soa/export.xlsx", Needs(ReadIsms)),
    ("GET", "/soa/print", Needs(ReadIsms)),
    ("GET", "/soa/compare", Needs(ReadIsms)),
    ("POST", "/soa/versions", Needs(ApproveSoa)),
    ("GET", "/soa/{annex}", Needs(WriteIsms)),
    ("POST", "/soa/{annex}", Needs(WriteIsms)),
    ("GET", "/evidence", Needs(ReadIsms)),
    ("GET", "/evidence/export.csv", Needs(ReadIsms)),
    ("GET", "/evidence/export.xlsx", Needs(ReadIsms)),
    ("POST", "/evidence", Needs(WriteIsms)),
    ("GET", "/evidence/{id}", Needs(ReadIsms)),
    ("GET", "/evidence/{id}/download", Needs(ReadIsms)),
    ("GET", "/crosswalks/import", Needs(WriteIsms)),
    ("POST", "/crosswalks/import", Needs(WriteIsms)),
    ("GET", "/crosswalks/{framework}", Needs(ReadIsms)),
    ("GET", "/risk-method", Needs(ReadIsms)),
    ("POST", "/risk-method", Needs(ManageRiskMethod)),
    ("GET", "/risk-method/edit", Needs(ManageRiskMethod)),
    ("GET", "/my-work", Needs(Enter)),
    ("POST", "/links", Needs(WriteIsms)),
    ("POST", "/links/{id}/remove", Needs(WriteIsms)),
    ("GET", "/documents/tree", Needs(ReadIsms)),
    ("GET", "/documents/mandatory", Needs(ReadIsms)),
    ("GET", "/documents/acknowledgements", Needs(ReadIsms)),
    ("GET", "/documents/acknowledgements.csv", Needs(ReadIsms)),
    ("GET", "/documents/acknowledgements.xlsx", Needs(ReadIsms)),
    ("GET", "/documents/{id}/versions/new", Needs(WriteIsms)),
    ("POST", "/documents/{id}/versions", Needs(WriteIsms)),
    ("GET", "/documents/{id}/versions/{version}", Needs(ReadIsms)),
    ("POST", "/documents/{id}/versions/{version}", Needs(WriteIsms)),
    ("POST", "/documents/{id}/versions/{version}/move", Needs(WriteIsms)),
    ("POST", "/documents/{id}/versions/file", Needs(WriteIsms)),
    ("GET", "/documents/{id}/versions/{version}/file", Needs(ReadIsms)),
    ("GET", "/documents/{id}/diff", Needs(ReadIsms)),
    ("GET", "/documents/{id}/review", Needs(WriteIsms)),
    ("POST", "/documents/{id}/review", Needs(WriteIsms)),
    ("GET", "/documents/{id}/print", Needs(ReadIsms)),
    // Everyone reads what is published for them; the page checks the audience.
    ("GET", "/audits/{id}/checklist", Needs(ReadIsms)),
    ("POST", "/audits/{id}/checklist/{item}", Needs(RecordAuditResults)),
    ("GET", "/audits/{id}/report", Needs(ReadIsms)),
    ("GET", "/audits/{id}/report.xlsx", Needs(ReadIsms)),
    ("GET", "/audit-programmes/{id}/coverage", Needs(ReadIsms)),
    ("GET", "/nonconformities/{id}/root-cause", Needs(ReadIsms)),
    ("GET", "/ageing", Needs(ReadIsms)),
    ("POST", "/nonconformities/{id}/root-cause", Needs(WriteIsms)),
    ("GET", "/corrective-actions/{id}/verify", Needs(ReadIsms)),
    ("POST", "/corrective-actions/{id}/verify", Needs(RecordAuditResults)),
    ("GET", "/suppliers/{id}/review", Needs(ReadIsms)),
    ("POST", "/suppliers/{id}/review", Needs(WriteIsms)),
    ("GET", "/trainings/{id}/completions", Needs(ReadIsms)),
    ("POST", "/trainings/{id}/completions", Needs(WriteIsms)),
    ("GET", "/trainings/report", Needs(ReadIsms)),
    ("GET", "/metrics/{id}/measurements", Needs(ReadIsms)),
    ("POST", "/metrics/{id}/measurements", Needs(WriteIsms)),
    ("POST", "/metrics/{id}/compute", Needs(WriteIsms)),
    ("GET", "/management-reviews/{id}/pack", Needs(ReadIsms)),
    ("GET", "/readiness", Needs(ReadIsms)),
    ("GET", "/improvements/board", Needs(ReadIsms)),
    ("GET", "/incidents/{id}/timeline", Needs(ReadIsms)),
    ("POST", "/incidents/{id}/timeline", Needs(WriteIsms)),
    ("GET", "/cycles/{id}/status", Needs(ReadIsms)),
    ("GET", "/cycles/compare", Needs(ReadIsms)),
    // Anyone reports; the register service limits a report to its fields.
    ("GET", "/report", Needs(Enter)),
    ("POST", "/report/incident", Needs(Enter)),
    ("POST", "/report/suggestion", Needs(Enter)),
    ("GET", "/read", Needs(Enter)),
    ("GET", "/read/{id}", Needs(Enter)),
    ("POST", "/read/{id}", Needs(Enter)),
    ("GET", "/read/{id}/file", Needs(Enter)),
    ("GET", "/audit", Needs(ReadAuditTrail)),
    ("GET", "/audit/export.csv", Needs(ReadAuditTrail)),
    ("GET", "/history/{entity_type}/{entity_id}", Needs(ReadAuditTrail)),
];

/// The routes of every declared register (`pawl_domain::register::KINDS`),
/// API and UI, with their rules: reading needs `ReadIsms`, every change the
/// kind's write permission, except reporting to a register that takes
/// reports. A move needs the permission its transition declares, checked by
/// the register service: the route asks for it where all of a kind's moves
/// share one, and for `ReadIsms` where they differ.
pub fn register_routes() -> &'static [(&'static str, String, Rule)] {
    static R: std::sync::OnceLock<Vec<(&'static str, String, Rule)>> = std::sync::OnceLock::new();
    R.get_or_init(|| {
        let mut out = Vec::new();
        for k in pawl_domain::register::KINDS {
            let write = Needs(k.write);
            // A register that takes reports takes them from anyone; the
            // register service limits a reporter to the report's fields.
            let create = if k.report.is_empty() { write } else { Needs(Enter) };
            let (api, ui) = (format!("/api/v1/{}", k.path), format!("/{}", k.path));
            out.extend([
                ("GET", api.clone(), Needs(ReadIsms)),
                ("POST", api.clone(), create),
                ("GET", format!("{api}/export"), Needs(ReadIsms)),
                ("GET", format!("{api}/{{id}}"), Needs(ReadIsms)),
                ("PATCH", format!("{api}/{{id}}"), write),
                ("DELETE", format!("{api}/{{id}}"), write),
                ("GET", ui.clone(), Needs(ReadIsms)),
                ("POST", ui.clone(), write),
                ("GET", format!("{ui}/new"), write),
                ("GET", format!("{ui}/export.csv"), Needs(ReadIsms)),
                ("GET", format!("{ui}/export.xlsx"), Needs(ReadIsms)),
                ("GET", format!("{ui}/{{id}}"), Needs(ReadIsms)),
                ("POST", format!("{ui}/{{id}}"), write),
                ("POST", format!("{ui}/{{id}}/retire"), write),
            ]);
            if let Some(w) = k.workflow {
                // Where moves need different permissions (an auditor
                // accepts what the ISMS team answers), any reader reaches
                // the service, which checks the move's own permission.
                let first = w.transitions.first().map(|t| t.permission);
                let moves = match first {
                    Some(p) if w.transitions.iter().all(|t| t.permission == p) => Needs(p),
                    Some(_) => Needs(ReadIsms),
                    None => write,
                };
                out.push(("POST", format!("{api}/{{id}}/transitions"), moves));
                out.push(("POST", format!("{ui}/{{id}}/transition"), moves));
            }
        }
        out
    })
}

/// Every route with its rule: the table above and the registers'.
pub fn all_routes() -> impl Iterator<Item = (&'static str, &'static str, Rule)> {
    ROUTES
        .iter()
        .copied()
        .chain(register_routes().iter().map(|(m, p, r)| (*m, p.as_str(), *r)))
}

pub fn rule_for(method: &Method, path: &str) -> Option<Rule> {
    // HEAD is answered by GET routes and needs what GET needs.
    let method = if method == Method::HEAD { "GET" } else { method.as_str() };
    ROUTES
        .iter()
        .find(|(m, p, _)| *m == method && *p == path)
        .map(|(_, _, r)| *r)
        .or_else(|| {
            register_routes()
                .iter()
                .find(|(m, p, _)| *m == method && p == path)
                .map(|(_, _, r)| *r)
        })
}

/// Whether a routed pattern (`/crosswalks/{framework}`) matches a concrete
/// path (`/crosswalks/nist-csf-2.0`), segment by segment.
fn pattern_matches(pattern: &str, path: &str) -> bool {
    let (mut a, mut b) = (pattern.split('/'), path.split('/'));
    loop {
        match (a.next(), b.next()) {
            (None, None) => return true,
            (Some(p), Some(s)) if p == s || (p.starts_with('{') && !s.is_empty()) => {}
            _ => return false,
        }
    }
}

/// Whether this principal may open a page: the rule of the GET route
/// the address matches, so that navigation offers only what answers. The
/// most specific route wins, as in the router (`/risks/due` before
/// `/risks/{id}`).
pub fn may_open(p: &pawl_app::Principal, href: &str) -> bool {
    let path = href.split(['?', '#']).next().unwrap_or(href);
    let literal = |pat: &str| pat.split('/').filter(|s| !s.starts_with('{')).count();
    all_routes()
        .filter(|(m, pat, _)| *m == "GET" && pattern_matches(pat, path))
        .max_by_key(|(_, pat, _)| literal(pat))
        .is_some_and(|(_, _, rule)| match rule {
            Public => true,
            Needs(permission) => p.can(permission),
        })
}

/// The methods a routed path answers, HEAD with GET.
fn methods_for(path: &str) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = ROUTES
        .iter()
        .filter(|(_, p, _)| *p == path)
        .map(|(m, _, _)| *m)
        .chain(
            register_routes()
                .iter()
                .filter(|(_, p, _)| p == path)
                .map(|(m, _, _)| *m),
        )
        .collect();
    if out.contains(&"GET") {
        out.push("HEAD");
    }
    out.sort_unstable();
    out.dedup();
    out
}

fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

pub async fn enforce(req: Request, next: Next) -> Response {
    // Unrouted paths fall through to the 404 fallback.
    let Some(path) = req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_owned()) else {
        return next.run(req).await;
    };
    let Some(rule) = rule_for(req.method(), &path) else {
        let allowed = methods_for(&path);
        if !allowed.is_empty() {
            // A method the path does not have: the client's mistake, not ours.
            tracing::debug!(method = %req.method(), path, "method not allowed");
            let allow = allowed.join(", ");
            let mut resp = ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method not allowed",
                format!("{} is not answered here; use {allow}", req.method()),
            )
            .into_response();
            if let Ok(v) = axum::http::HeaderValue::from_str(&allow) {
                resp.headers_mut().insert(axum::http::header::ALLOW, v);
            }
            return resp;
        }
        tracing::error!(method = %req.method(), path, "route has no access rule; refused");
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Forbidden",
            "this route has no access rule",
        )
        .into_response();
    };
    let Needs(permission) = rule else {
        return next.run(req).await;
    };
    let identity = req
        .extensions()
        .get::<Identity>()
        .cloned()
        .unwrap_or(Identity::Anonymous);
    match identity {
        Identity::Principal(p) if p.can(permission) => next.run(req).await,
        Identity::Principal(_) if is_api(&path) => ApiError::from(pawl_app::AppError::Forbidden).into_response(),
        Identity::Principal(p) => crate::ui::page::forbidden_page(&p),
        _ if is_api(&path) => ApiError::from(pawl_app::AppError::Unauthenticated).into_response(),
        Identity::Homeless => crate::ui::page::no_organisation_page(),
        Identity::Anonymous => {
            let back = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
            let next_q = serde_urlencoded::to_string([("next", back)]).unwrap_or_default();
            Redirect::to(&format!("/login?{next_q}")).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_concrete_address_matches_its_routed_pattern() {
        assert!(pattern_matches("/crosswalks/{framework}", "/crosswalks/nist-csf-2.0"));
        assert!(pattern_matches("/risks/due", "/risks/due"));
        assert!(!pattern_matches("/risks/{id}", "/risks"));
        assert!(!pattern_matches("/risks/{id}", "/risks/"));
        assert!(!pattern_matches("/risks", "/risks/new"));
    }

    /// The permission table holds what routes and workflow moves need and
    /// nothing else: a permission nothing asks for would promise a role
    /// something it cannot do.
    #[test]
    fn every_permission_is_needed_by_some_route() {
        let moves = pawl_domain::register::KINDS
            .iter()
            .filter_map(|k| k.workflow)
            .flat_map(|w| w.transitions.iter().map(|t| t.permission));
        let moves: Vec<Permission> = moves.collect();
        for p in Permission::ALL {
            assert!(
                all_routes().any(|(_, _, r)| r == Needs(p)) || moves.contains(&p),
                "{p:?} is in the table but no route or move needs it"
            );
        }
    }
}
