//! The audit trail and record history as pages people read (7.5.3): each
//! event names its record by reference and title, with a link to it, and
//! its changes in words (`pawl_domain::history`).

use super::{render, PageResult, Shell};
use crate::auth::Auth;
use crate::extract::{Path, Query};
use crate::{ApiError, AppState};
use askama::Template;
use axum::extract::State;
use pawl_domain::audit::AuditEvent;
use pawl_domain::history::{self, Change, Context};
use pawl_domain::register::KINDS;
use serde::Deserialize;

/// An audit event prepared for reading.
pub struct EventView {
    pub seq: i64,
    pub occurred_at: String,
    /// When, to the minute, for reading.
    pub when: String,
    pub actor_name: String,
    pub actor_kind: &'static str,
    pub action: String,
    /// The kind of record, e.g. "Risk".
    pub what: String,
    /// Its reference and title, e.g. "R-0041 Lost laptop".
    pub name: String,
    /// Its page, where it has one.
    pub href: Option<String>,
    pub history_href: String,
    pub changes: Vec<Change>,
}

/// Reads events for people: one look-up of every record they name, and
/// the organisation's risk level names.
pub async fn read(s: &AppState, org_id: &str, events: Vec<AuditEvent>) -> Result<Vec<EventView>, ApiError> {
    let reader = s.app.store.org(org_id);
    let refs: Vec<(String, String)> = events
        .iter()
        .flat_map(|e| history::references(&e.entity_type, e.before.as_deref(), e.after.as_deref()))
        .collect();
    let names = reader
        .record_names(&refs)
        .await?
        .into_iter()
        .map(|(k, n)| {
            let mut name = [n.reference.as_str(), n.title.as_str()]
                .iter()
                .filter(|s| !s.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(" ");
            if n.retired {
                name.push_str(" (retired)");
            }
            (k, name)
        })
        .collect();
    let levels = reader.risk_method().await?.method.level_labels();
    let ctx = Context { levels, names };
    Ok(events.into_iter().map(|e| view(e, &ctx)).collect())
}

fn view(e: AuditEvent, ctx: &Context) -> EventView {
    let (before, after) = (e.before.as_deref(), e.after.as_deref());
    EventView {
        when: e.occurred_at.get(..16).unwrap_or(&e.occurred_at).replace('T', " "),
        actor_kind: match e.actor_kind.as_str() {
            "token" => "API token",
            "system" => "pawl",
            _ => "person",
        },
        action: history::action_label(&e.action),
        what: history::entity_label(&e.entity_type),
        name: history::entity_name(&e.entity_type, before, after, ctx),
        href: page_of(&e.entity_type, &e.entity_id, after.or(before)),
        history_href: format!("/history/{}/{}", e.entity_type, e.entity_id),
        changes: history::changes(&e.entity_type, before, after, ctx),
        seq: e.seq,
        occurred_at: e.occurred_at,
        actor_name: e.actor_name,
    }
}

/// The page of the record an event is about, or of the record it belongs to.
fn page_of(entity_type: &str, id: &str, json: Option<&str>) -> Option<String> {
    let field = |f: &str| -> Option<String> {
        let v: serde_json::Value = serde_json::from_str(json?).ok()?;
        v.get(f)?.as_str().map(str::to_owned)
    };
    if let Some(k) = KINDS.iter().find(|k| k.key == entity_type) {
        return Some(format!("/{}/{id}", k.path));
    }
    match entity_type {
        "risk" => Some(format!("/risks/{id}")),
        "risk_acceptance" | "risk_assessment" => field("risk_id").map(|r| format!("/risks/{r}")),
        "applied_control" => Some(format!("/controls/{id}")),
        "control_check" => field("control_id").map(|c| format!("/controls/{c}")),
        "evidence" => Some(format!("/evidence/{id}")),
        "soa_entry" => Some(format!("/soa#a-{id}")),
        "soa_version" | "risk_method" => Some(
            if entity_type == "soa_version" {
                "/soa"
            } else {
                "/risk-method"
            }
            .to_owned(),
        ),
        "member" => Some("/admin/members".to_owned()),
        _ => None,
    }
}

#[derive(Deserialize, Default)]
pub struct TrailQuery {
    cursor: Option<String>,
    actor: Option<String>,
    entity_type: Option<String>,
    action: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    shell: Shell,
    events: Vec<EventView>,
    total: i64,
    next: Option<String>,
    verify: crate::api::audit::VerifyOut,
    q: TrailQuery,
    filtered: bool,
    kinds: Vec<(&'static str, String)>,
    actions: Vec<(&'static str, &'static str)>,
    error: Option<String>,
}

impl AuditPage {
    fn chosen(v: &Option<String>) -> &str {
        v.as_deref().unwrap_or("")
    }
}

/// The trail, newest first, filtered by person, kind of record, action and day.
pub async fn audit(State(s): State<AppState>, Auth(p): Auth, Query(q): Query<TrailQuery>) -> PageResult {
    let verify = s.app.store.verify_audit_chain(&p.organisation.id).await?.into();
    let filter = crate::api::audit::audit_filter(
        q.entity_type.clone(),
        None,
        q.actor.clone(),
        q.action.clone(),
        q.from.clone(),
        q.to.clone(),
    );
    let (events, total, next, error) = match filter {
        Ok(filter) => {
            let list = crate::api::ListParams {
                cursor: q.cursor.clone(),
                sort: Some("seq".into()),
                order: Some("desc".into()),
                ..Default::default()
            }
            .to_query()?;
            let page = s.app.store.org(&p.organisation.id).audit_events(&filter, &list).await?;
            let next = page.next_cursor.map(|c| {
                super::next_page(
                    "/audit",
                    &c,
                    &[
                        ("actor", &q.actor),
                        ("entity_type", &q.entity_type),
                        ("action", &q.action),
                        ("from", &q.from),
                        ("to", &q.to),
                    ],
                )
            });
            (read(&s, &p.organisation.id, page.items).await?, page.total, next, None)
        }
        Err(e) => (Vec::new(), 0, None, Some(e.message())),
    };
    let filtered = [&q.actor, &q.entity_type, &q.action, &q.from, &q.to]
        .iter()
        .any(|v| v.as_ref().is_some_and(|v| !v.is_empty()));
    Ok(render(&AuditPage {
        shell: Shell::new(&s, &p, "audit").await?,
        events,
        total,
        next,
        verify,
        q,
        filtered,
        kinds: history::entity_kinds(),
        actions: history::actions(),
        error,
    }))
}

#[derive(Template)]
#[template(path = "history.html")]
struct HistoryPage {
    shell: Shell,
    what: String,
    name: String,
    href: Option<String>,
    events: Vec<EventView>,
}

/// Every change to one record, oldest first.
pub async fn history(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path((entity_type, entity_id)): Path<(String, String)>,
) -> PageResult {
    let events = s
        .app
        .store
        .org(&p.organisation.id)
        .history(&entity_type, &entity_id)
        .await?;
    let events = read(&s, &p.organisation.id, events).await?;
    let (name, href) = events
        .last()
        .map(|e| (e.name.clone(), e.href.clone()))
        .unwrap_or_default();
    Ok(render(&HistoryPage {
        shell: Shell::new(&s, &p, "audit").await?,
        what: history::entity_label(&entity_type),
        name,
        href,
        events,
    }))
}
