//! Calendar feeds (RFC 5545; issue 27): the caller's secret feed addresses.

use crate::auth::Auth;
use crate::error::{ApiResult, Problem};
use crate::extract::{Json, Path};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One of the caller's feeds.
#[derive(Serialize, ToSchema)]
pub struct FeedOut {
    /// `mine` (what is due for the caller) or `organisation` (audits,
    /// management reviews and exercises).
    pub scope: String,
    pub created_at: String,
    /// The address to subscribe to: only in the answer that makes it.
    pub url: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct FeedList {
    pub items: Vec<FeedOut>,
}

/// The caller's feeds here; their addresses are shown only when made.
#[utoipa::path(get, path = "/api/v1/me/calendar-feeds", tag = "notifications",
    responses((status = 200, body = FeedList), (status = 401, body = Problem)))]
pub async fn list(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<axum::Json<FeedList>> {
    let feeds = s.app.store.org(&p.organisation.id).calendar_feeds(&p.user_id).await?;
    Ok(axum::Json(FeedList {
        items: feeds
            .into_iter()
            .map(|f| FeedOut {
                scope: f.scope,
                created_at: f.created_at,
                url: None,
            })
            .collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct FeedCreate {
    /// `mine` or `organisation`.
    pub scope: String,
}

/// Makes a feed with a new secret address, ending the caller's earlier
/// feed of the same scope. The organisation's calendar is for roles that
/// read the ISMS.
#[utoipa::path(post, path = "/api/v1/me/calendar-feeds", tag = "notifications", request_body = FeedCreate,
    responses((status = 201, body = FeedOut), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem)))]
pub async fn renew(
    State(s): State<AppState>,
    Auth(p): Auth,
    Json(body): Json<FeedCreate>,
) -> ApiResult<impl IntoResponse> {
    let (feed, secret) = pawl_app::calendar::renew(&s.app, &p, &body.scope).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(FeedOut {
            scope: feed.scope,
            created_at: feed.created_at,
            url: Some(pawl_app::calendar::address(&s.app, &secret)),
        }),
    ))
}

/// Ends the caller's feed of a scope: its address answers 404 from now on.
#[utoipa::path(delete, path = "/api/v1/me/calendar-feeds/{scope}", tag = "notifications",
    params(("scope" = String, Path)),
    responses((status = 204), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn revoke(State(s): State<AppState>, Auth(p): Auth, Path(scope): Path<String>) -> ApiResult<StatusCode> {
    pawl_app::calendar::revoke(&s.app, &p, &scope).await?;
    Ok(StatusCode::NO_CONTENT)
}
