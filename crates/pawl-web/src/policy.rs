//! The access policy of every route, in one table, enforced in one place
//! (Annex A 5.15 access control, 8.3 information access restriction).
//!
//! A route missing from [`ROUTES`] is refused: the policy fails closed.

use crate::auth::Identity;
use crate::{ApiError, AppState};
use axum::extract::{MatchedPath, Request, State};
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
    ("GET", "/api/v1/openapi.json", Public),
    ("GET", "/api/v1/me", Needs(Enter)),
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
    // Web UI
    ("GET", "/static/{file}", Public),
    ("GET", "/login", Public),
    ("POST", "/login", Public),
    ("POST", "/logout", Needs(Enter)),
    ("POST", "/switch-org", Needs(Enter)),
    ("GET", "/", Needs(Enter)),
    ("GET", "/catalog/annex-a", Needs(Enter)),
    ("GET", "/catalog/annex-a/{id}", Needs(Enter)),
    ("GET", "/catalog/clauses", Needs(Enter)),
    ("GET", "/admin/members", Needs(ReadIsms)),
    ("POST", "/admin/members", Needs(ManageOrganisation)),
    ("POST", "/admin/members/{id}/role", Needs(ManageOrganisation)),
    ("POST", "/admin/members/{id}/remove", Needs(ManageOrganisation)),
    ("GET", "/admin/organisation", Needs(ManageOrganisation)),
    ("POST", "/admin/organisation", Needs(ManageOrganisation)),
    ("GET", "/account/tokens", Needs(ManageOwnTokens)),
    ("POST", "/account/tokens", Needs(ManageOwnTokens)),
    ("POST", "/account/tokens/{id}/revoke", Needs(ManageOwnTokens)),
    ("GET", "/audit", Needs(ReadAuditTrail)),
    ("GET", "/history/{entity_type}/{entity_id}", Needs(ReadAuditTrail)),
];

pub fn rule_for(method: &Method, path: &str) -> Option<Rule> {
    // HEAD is answered by GET routes and needs what GET needs.
    let method = if method == Method::HEAD { "GET" } else { method.as_str() };
    ROUTES
        .iter()
        .find(|(m, p, _)| *m == method && *p == path)
        .map(|(_, _, r)| *r)
}

fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

pub async fn enforce(State(_): State<AppState>, req: Request, next: Next) -> Response {
    // Unrouted paths fall through to the 404 fallback.
    let Some(path) = req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_owned()) else {
        return next.run(req).await;
    };
    let Some(rule) = rule_for(req.method(), &path) else {
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
        Identity::Principal(p) => crate::ui::forbidden_page(&p),
        _ if is_api(&path) => ApiError::from(pawl_app::AppError::Unauthenticated).into_response(),
        Identity::Homeless => crate::ui::no_organisation_page(),
        Identity::Anonymous => {
            let back = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
            let next_q = serde_urlencoded::to_string([("next", back)]).unwrap_or_default();
            Redirect::to(&format!("/login?{next_q}")).into_response()
        }
    }
}
