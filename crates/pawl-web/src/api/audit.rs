//! The audit trail: events, record history and chain verification (clause 7.5.3).

use crate::auth::Auth;
use crate::error::{ApiResult, Problem};
use crate::extract::{Path, Query};
use crate::response::{list_of, ListBody};
use crate::AppState;
use axum::extract::State;
use axum::Json;
use pawl_domain::audit::{diff, AuditEvent};
use pawl_store::{AuditFilter, ChainCheck, VerifyOutcome};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct AuditEventOut {
    pub seq: i64,
    pub occurred_at: String,
    /// `user`, `token` or `system`.
    pub actor_kind: String,
    pub actor_id: String,
    pub actor_name: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    /// The record before the change.
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    /// The record after the change.
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
    /// Each changed field, for reading.
    pub changes: Vec<ChangeOut>,
    pub prev_hash: String,
    pub hash: String,
}

#[derive(Serialize, ToSchema)]
pub struct ChangeOut {
    pub field: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

impl From<AuditEvent> for AuditEventOut {
    fn from(e: AuditEvent) -> Self {
        let parse = |s: &Option<String>| s.as_deref().and_then(|s| serde_json::from_str(s).ok());
        let changes = diff(e.before.as_deref(), e.after.as_deref())
            .into_iter()
            .map(|c| ChangeOut {
                field: c.field,
                old: c.old,
                new: c.new,
            })
            .collect();
        AuditEventOut {
            before: parse(&e.before),
            after: parse(&e.after),
            changes,
            seq: e.seq,
            occurred_at: e.occurred_at,
            actor_kind: e.actor_kind,
            actor_id: e.actor_id,
            actor_name: e.actor_name,
            action: e.action,
            entity_type: e.entity_type,
            entity_id: e.entity_id,
            prev_hash: e.prev_hash,
            hash: e.hash,
        }
    }
}

list_of!(AuditEventList, AuditEventOut);

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventParams {
    /// e.g. `member`, `api_token`, `organisation`.
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    /// Part of the actor's name, e.g. an e-mail address.
    pub actor: Option<String>,
    /// e.g. `create`, `update`, `transition`, `approve`.
    pub action: Option<String>,
    /// Events on or after this day, YYYY-MM-DD.
    pub from: Option<String>,
    /// Events on or before this day, YYYY-MM-DD.
    pub to: Option<String>,
    /// `true` leaves out signing in, signing out and failed sign-ins.
    pub without_sign_ins: Option<bool>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
    /// `desc` (default: newest first) or `asc`.
    pub order: Option<String>,
}

/// The organisation's audit trail, newest first. With a filter, `total`
/// counts matches up to 10,001 ("more than 10,000").
#[utoipa::path(get, path = "/api/v1/audit/events", tag = "audit", params(EventParams),
    responses((status = 200, body = AuditEventList), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn events(
    State(s): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<EventParams>,
) -> ApiResult<Json<AuditEventList>> {
    let list = crate::response::ListParams {
        limit: q.limit,
        cursor: q.cursor,
        sort: Some("seq".into()),
        order: Some(q.order.unwrap_or_else(|| "desc".into())),
        q: None,
    }
    .to_query()?;
    let filter = audit_filter(
        q.entity_type,
        q.entity_id,
        q.actor,
        q.action,
        q.from,
        q.to,
        q.without_sign_ins.unwrap_or(false),
    )?;
    let page = s.app.store.org(&p.organisation.id).audit_events(&filter, &list).await?;
    Ok(Json(AuditEventList::page(page)))
}

/// The trail's filters, empty ones dropped and days checked, for the API
/// and the page alike.
pub fn audit_filter(
    entity_type: Option<String>,
    entity_id: Option<String>,
    actor: Option<String>,
    action: Option<String>,
    from: Option<String>,
    to: Option<String>,
    without_sign_ins: bool,
) -> Result<AuditFilter, crate::ApiError> {
    let given = |v: Option<String>| v.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let day = |field: &str, v: Option<String>| -> Result<Option<String>, crate::ApiError> {
        Ok(match given(v) {
            Some(d) => Some(pawl_domain::time_fmt::parse_date(field, &d)?.to_string()),
            None => None,
        })
    };
    Ok(AuditFilter {
        entity_type: given(entity_type),
        entity_id: given(entity_id),
        actor: given(actor),
        action: given(action),
        from: day("from", from)?,
        to: day("to", to)?,
        without_sign_ins,
    })
}

#[derive(Serialize, ToSchema)]
pub struct VerifyOut {
    pub intact: bool,
    /// Events checked (all of them when intact).
    pub events: i64,
    /// The first sequence number that cannot be trusted.
    pub broken_at: Option<i64>,
    pub reason: Option<String>,
    /// The sequence number of the chain's head, its newest event.
    pub head_seq: i64,
    /// The head's SHA-256, in hex. Noted down, it lets a later
    /// verification show that nothing up to that event has changed since.
    pub head_hash: String,
}

/// Recomputes the organisation's hash chain.
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "audit", operation_id = "audit_verify",
    responses((status = 200, body = VerifyOut), (status = 403, body = Problem)))]
pub async fn verify(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<Json<VerifyOut>> {
    Ok(Json(s.app.store.check_audit_chain(&p.organisation.id).await?.into()))
}

impl From<ChainCheck> for VerifyOut {
    fn from(check: ChainCheck) -> Self {
        let (head_seq, head_hash) = (check.head_seq, check.head_hash);
        match check.outcome {
            VerifyOutcome::Intact { events } => VerifyOut {
                intact: true,
                events,
                broken_at: None,
                reason: None,
                head_seq,
                head_hash,
            },
            VerifyOutcome::Broken(b) => VerifyOut {
                intact: false,
                events: b.seq - 1,
                broken_at: Some(b.seq),
                reason: Some(b.reason),
                head_seq,
                head_hash,
            },
        }
    }
}

/// Every change to one record, oldest first, with readable diffs.
#[utoipa::path(get, path = "/api/v1/history/{entity_type}/{entity_id}", tag = "audit",
    params(("entity_type" = String, Path, description = "e.g. member"), ("entity_id" = String, Path)),
    responses((status = 200, body = AuditEventList), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn history(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path((entity_type, entity_id)): Path<(String, String)>,
) -> ApiResult<Json<AuditEventList>> {
    let events = s
        .app
        .store
        .org(&p.organisation.id)
        .history(&entity_type, &entity_id)
        .await?;
    if events.is_empty() {
        return Err(crate::ApiError::not_found(&format!(
            "history of {entity_type} {entity_id}"
        )));
    }
    Ok(Json(AuditEventList::whole(
        events.into_iter().map(AuditEventOut::from).collect(),
    )))
}
