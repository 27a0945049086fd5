//! Notifications (issue 27): a person's notification centre, the
//! organisation's outbox for its administrators, and a password reset by
//! e-mail (Annex A 5.17).

use crate::auth::Auth;
use crate::error::{ApiResult, Problem};
use crate::extract::{Json, Path, Query};
use crate::response::{list_of, ListBody};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use pawl_domain::notify::MailState;
use pawl_store::{Notification, OutboxFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// How many notifications a list holds: the newest.
pub const SHOWN: i64 = 200;

/// A notification: what a person was told, and whether it was e-mailed.
#[derive(Serialize, ToSchema)]
pub struct NotificationOut {
    pub id: String,
    /// The recipient's name; their address where they have given none.
    pub recipient: String,
    pub email: String,
    /// `password_reset`, `invitation`, `new_record` or `test`.
    pub category: String,
    pub subject: String,
    pub body: String,
    /// Where it leads in pawl; empty for a one-time link, which only its
    /// recipient's mailbox sees.
    pub path: String,
    pub created_at: String,
    /// `pending`, `sent`, `failed`, or `none` when it was not to be e-mailed.
    pub mail_state: String,
    pub attempts: i64,
    /// When the next attempt is due, while pending.
    pub next_attempt_at: String,
    /// Why the last attempt failed; empty when none did.
    pub last_error: String,
    pub sent_at: Option<String>,
    pub read_at: Option<String>,
}

impl From<Notification> for NotificationOut {
    fn from(n: Notification) -> Self {
        NotificationOut {
            id: n.id,
            recipient: if n.name.is_empty() { n.email.clone() } else { n.name },
            email: n.email,
            category: n.category.as_str().to_owned(),
            subject: n.subject,
            body: n.body,
            path: n.path,
            created_at: n.created_at,
            mail_state: n.mail_state.as_str().to_owned(),
            attempts: n.attempts,
            next_attempt_at: n.next_attempt_at,
            last_error: n.last_error,
            sent_at: n.sent_at,
            read_at: n.read_at,
        }
    }
}

list_of!(NotificationList, NotificationOut);

fn list(items: Vec<Notification>) -> NotificationList {
    let total = items.len() as i64;
    NotificationList::from_parts(items.into_iter().map(NotificationOut::from).collect(), total, None)
}

/// The caller's notifications in this organisation, newest first (the
/// newest 200).
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications",
    responses((status = 200, body = NotificationList), (status = 401, body = Problem)))]
pub async fn mine(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<axum::Json<NotificationList>> {
    let items = s
        .app
        .store
        .org(&p.organisation.id)
        .notifications_for(&p.user_id, SHOWN)
        .await?;
    Ok(axum::Json(list(items)))
}

/// How many notifications were marked read.
#[derive(Serialize, ToSchema)]
pub struct Marked {
    pub marked: u64,
}

/// Marks all of the caller's notifications here read.
#[utoipa::path(post, path = "/api/v1/notifications/read", tag = "notifications",
    responses((status = 200, body = Marked), (status = 401, body = Problem)))]
pub async fn read_all(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<axum::Json<Marked>> {
    let marked = s.app.store.org(&p.organisation.id).mark_read(&p.user_id, None).await?;
    Ok(axum::Json(Marked { marked }))
}

/// Marks one of the caller's notifications read.
#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "notifications",
    params(("id" = String, Path)),
    responses((status = 204), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn read_one(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<String>) -> ApiResult<StatusCode> {
    s.app
        .store
        .org(&p.organisation.id)
        .mark_read(&p.user_id, Some(&id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
pub struct OutboxQuery {
    /// Only messages in this state: `pending`, `sent`, `failed` or `none`.
    pub state: Option<String>,
}

/// What `state` asks for, refused by name when it is no state.
pub fn outbox_filter(state: Option<&str>) -> Result<OutboxFilter, pawl_domain::DomainError> {
    match state.filter(|s| !s.is_empty()) {
        None => Ok(OutboxFilter::default()),
        Some(s) => MailState::parse(s)
            .map(|m| OutboxFilter { state: Some(m) })
            .ok_or_else(|| pawl_domain::DomainError::field("state", "give pending, sent, failed or none")),
    }
}

/// The organisation's messages, newest first (the newest 200): who was
/// told what, what was e-mailed and what failed, with the reason. One-time
/// links are never shown.
#[utoipa::path(get, path = "/api/v1/outbox", tag = "notifications", params(OutboxQuery),
    responses((status = 200, body = NotificationList), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn outbox(
    State(s): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<OutboxQuery>,
) -> ApiResult<axum::Json<NotificationList>> {
    let filter = outbox_filter(q.state.as_deref())?;
    let items = s.app.store.org(&p.organisation.id).outbox(filter, SHOWN).await?;
    Ok(axum::Json(list(items)))
}

/// Tries a message again at once, from its first attempt (after the cause
/// of a failure is fixed). Recorded in the audit trail.
#[utoipa::path(post, path = "/api/v1/outbox/{id}/retry", tag = "notifications", params(("id" = String, Path)),
    responses((status = 200, body = NotificationOut), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "never to be e-mailed")))]
pub async fn retry(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<NotificationOut>> {
    let n = pawl_app::notify::retry(&s.app, &p, &id).await?;
    Ok(axum::Json(n.into()))
}

#[derive(Deserialize, ToSchema)]
pub struct ResetRequest {
    pub email: String,
}

/// Asks for a link to choose a new password, e-mailed to the address. The
/// answer is the same whether or not the address has an account.
#[utoipa::path(post, path = "/api/v1/password-reset", tag = "notifications", request_body = ResetRequest,
    responses((status = 202), (status = 422, body = Problem),
        (status = 409, body = Problem, description = "this server sends no e-mail")))]
pub async fn reset_request(State(s): State<AppState>, Json(body): Json<ResetRequest>) -> ApiResult<StatusCode> {
    pawl_app::notify::request_password_reset(&s.app, &body.email).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Deserialize, ToSchema)]
pub struct ResetComplete {
    /// At least 12 characters.
    pub new_password: String,
}

/// Sets a new password through the secret of a reset link. The link works
/// once, within the hour; every session of the person ends.
#[utoipa::path(post, path = "/api/v1/password-reset/{secret}", tag = "notifications",
    params(("secret" = String, Path)), request_body = ResetComplete,
    responses((status = 204), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn reset_complete(
    State(s): State<AppState>,
    Path(secret): Path<String>,
    Json(body): Json<ResetComplete>,
) -> ApiResult<StatusCode> {
    pawl_app::notify::complete_password_reset(&s.app, &secret, &body.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}
