//! Health, the OpenAPI document and the caller's own identity.

use crate::auth::Auth;
use crate::error::{ApiResult, Problem};
use crate::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use pawl_domain::access::Permission;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok` when the database answers with the schema this build needs,
    /// `degraded` when it does not.
    pub status: String,
    pub version: String,
    /// `sqlite` or `postgres`.
    pub database: String,
    /// Whether the database answered.
    pub database_reachable: bool,
    /// The schema version the database has; null when it did not answer.
    pub schema_version: Option<i64>,
    /// The schema version this build needs.
    pub schema_expected: i64,
}

/// Whether pawl and its database are up. Needs no authentication.
#[utoipa::path(get, path = "/api/v1/health", tag = "system", security(()),
    responses((status = 200, body = Health), (status = 503, body = Health)))]
pub async fn health(State(state): State<AppState>) -> impl IntoResponse {
    let schema = state.app.store.applied_schema_version().await.ok();
    let expected = pawl_store::schema_version();
    let ok = schema == Some(expected);
    let body = Health {
        status: if ok { "ok" } else { "degraded" }.into(),
        version: env!("CARGO_PKG_VERSION").into(),
        database: state.app.store.engine().as_str().into(),
        database_reachable: schema.is_some(),
        schema_version: schema,
        schema_expected: expected,
    };
    (
        if ok {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        },
        Json(body),
    )
}

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "system", security(()),
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json")))]
pub async fn openapi_json(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        state.openapi.as_str().to_owned(),
    )
}

#[derive(Serialize, ToSchema)]
pub struct Me {
    pub user_id: String,
    pub email: String,
    /// The name the person goes by; empty until they give one.
    pub name: String,
    pub organisation: OrganisationRef,
    pub role: String,
    /// What this role may do, by permission name.
    pub permissions: Vec<String>,
    /// `session` or `token`.
    pub authenticated_by: String,
}

#[derive(Serialize, ToSchema)]
pub struct OrganisationRef {
    pub id: String,
    pub slug: String,
    pub name: String,
}

/// Who the caller is, in which organisation, with what permissions.
#[utoipa::path(get, path = "/api/v1/me", tag = "system",
    responses((status = 200, body = Me), (status = 401, body = Problem)))]
pub async fn me(Auth(p): Auth) -> ApiResult<Json<Me>> {
    Ok(Json(me_of(&p, p.name.clone())))
}

#[derive(serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MePatch {
    /// The name the caller goes by, shown wherever pawl shows them.
    pub name: String,
}

/// Sets the name the caller goes by.
#[utoipa::path(patch, path = "/api/v1/me", tag = "system", request_body = MePatch,
    responses((status = 200, body = Me), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn me_patch(
    State(s): State<AppState>,
    Auth(p): Auth,
    crate::extract::Json(body): crate::extract::Json<MePatch>,
) -> ApiResult<Json<Me>> {
    let name = pawl_app::members::set_name(&s.app, &p, &body.name).await?;
    Ok(Json(me_of(&p, name)))
}

fn me_of(p: &pawl_app::Principal, name: String) -> Me {
    Me {
        user_id: p.user_id.clone(),
        email: p.email.clone(),
        name,
        organisation: OrganisationRef {
            id: p.organisation.id.clone(),
            slug: p.organisation.slug.clone(),
            name: p.organisation.name.clone(),
        },
        role: p.role.as_str().into(),
        permissions: Permission::ALL
            .into_iter()
            .filter(|x| p.can(*x))
            .map(|x| x.as_str().to_owned())
            .collect(),
        authenticated_by: match p.via {
            pawl_app::Via::Session { .. } => "session",
            pawl_app::Via::ApiToken { .. } => "token",
        }
        .into(),
    }
}
