//! The audit trail and record history as pages people read (7.5.3): each
//! event names its record by reference and title, with a link to it, and
//! its changes in words (`pawl_domain::history`).

use super::page::{render, PageResult, Shell};
use crate::auth::Auth;
use crate::extract::{Path, Query};
use crate::{ApiError, AppState};
use askama::Template;
use axum::extract::State;
use axum::response::IntoResponse;
use pawl_domain::audit::AuditEvent;
use pawl_domain::history::{self, Change, Context};
use serde::Deserialize;

/// An audit event prepared for reading.
pub struct EventView {
    pub seq: i64,
    /// When, as a `<time datetime>` takes it (at most milliseconds).
    pub datetime: String,
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
        datetime: super::words::html_datetime(&e.occurred_at),
        actor_name: e.actor_name,
    }
}

/// The page of the record an event is about, or of the record it belongs to.
fn page_of(entity_type: &str, id: &str, json: Option<&str>) -> Option<String> {
    let field = |f: &str| -> Option<String> {
        let v: serde_json::Value = serde_json::from_str(json?).ok()?;
        v.get(f)?.as_str().map(str::to_owned)
    };
    pawl_domain::record_type::record_type(entity_type)?.href_with(id, field)
}

#[derive(Deserialize, Default)]
pub struct TrailQuery {
    cursor: Option<String>,
    actor: Option<String>,
    entity_type: Option<String>,
    action: Option<String>,
    from: Option<String>,
    to: Option<String>,
    /// `true` leaves out signing in and out.
    without_sign_ins: Option<bool>,
}

impl TrailQuery {
    fn filter(&self) -> Result<pawl_store::AuditFilter, ApiError> {
        crate::api::audit::audit_filter(
            self.entity_type.clone(),
            None,
            self.actor.clone(),
            self.action.clone(),
            self.from.clone(),
            self.to.clone(),
            self.without_sign_ins.unwrap_or(false),
        )
    }

    /// The filters as query parameters, for the next page and the export.
    fn params(&self) -> Vec<(&'static str, Option<String>)> {
        vec![
            ("actor", self.actor.clone()),
            ("entity_type", self.entity_type.clone()),
            ("action", self.action.clone()),
            ("from", self.from.clone()),
            ("to", self.to.clone()),
            (
                "without_sign_ins",
                self.without_sign_ins.filter(|w| *w).map(|_| "true".to_owned()),
            ),
        ]
    }
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
    /// The export of the events these filters select.
    export: String,
    kinds: Vec<(&'static str, String)>,
    actions: Vec<(&'static str, &'static str)>,
    error: Option<String>,
}

impl AuditPage {
    fn chosen(v: &Option<String>) -> &str {
        v.as_deref().unwrap_or("")
    }

    fn without_sign_ins(&self) -> bool {
        self.q.without_sign_ins.unwrap_or(false)
    }
}

/// The trail, newest first, filtered by person, kind of record, action and
/// day, sign-ins left out or not; with the chain's verification and head.
pub async fn audit(State(s): State<AppState>, Auth(p): Auth, Query(q): Query<TrailQuery>) -> PageResult {
    // Verifying reads the whole trail (370 ms at 100,000 events, growing
    // with it), so the page shows the last verification made at this chain
    // head within the minute (see `crate::figures`); a moved head verifies
    // again, and the API's verify always reads every event.
    let verify = (*s
        .figures
        .get_or(&s.app.store, &p.organisation.id, "chain", || async {
            Ok(s.app.store.check_audit_chain(&p.organisation.id).await?)
        })
        .await?)
        .clone()
        .into();
    let params = q.params();
    let (events, total, next, error) = match q.filter() {
        Ok(filter) => {
            let list = crate::response::ListParams {
                cursor: q.cursor.clone(),
                sort: Some("seq".into()),
                order: Some("desc".into()),
                ..Default::default()
            }
            .to_query()?;
            let page = s.app.store.org(&p.organisation.id).audit_events(&filter, &list).await?;
            let kept: Vec<(&str, &Option<String>)> = params.iter().map(|(k, v)| (*k, v)).collect();
            let next = page.next_cursor.map(|c| super::page::next_page("/audit", &c, &kept));
            (read(&s, &p.organisation.id, page.items).await?, page.total, next, None)
        }
        Err(e) => (Vec::new(), 0, None, Some(e.message())),
    };
    let given: Vec<(&str, &str)> = params
        .iter()
        .filter_map(|(k, v)| v.as_deref().filter(|v| !v.is_empty()).map(|v| (*k, v)))
        .collect();
    let filtered = !given.is_empty();
    let export = if filtered {
        format!(
            "/audit/export.csv?{}",
            serde_urlencoded::to_string(&given).unwrap_or_default()
        )
    } else {
        "/audit/export.csv".to_owned()
    };
    Ok(render(&AuditPage {
        shell: Shell::new(&s, &p, "audit").await?,
        events,
        total,
        next,
        verify,
        q,
        filtered,
        export,
        kinds: history::entity_kinds(),
        actions: history::actions(),
        error,
    }))
}

/// Events an export reads from the store at a time.
const EXPORT_BATCH: u32 = 2_000;

/// The columns of the export: each event as stored, its record text and
/// both hashes, so that whoever keeps the file can recompute the chain.
const EXPORT_HEADER: [&str; 12] = [
    "seq",
    "occurred_at",
    "actor_kind",
    "actor_id",
    "actor_name",
    "action",
    "entity_type",
    "entity_id",
    "before",
    "after",
    "prev_hash",
    "hash",
];

/// One CSV line, every cell quoted, and a cell a spreadsheet would take
/// for a formula made plain text.
fn csv_line(out: &mut Vec<u8>, cells: &[&str]) {
    for (i, c) in cells.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.push(b'"');
        let safe = pawl_domain::risk::import::spreadsheet_safe(c);
        out.extend_from_slice(safe.replace('"', "\"\"").as_bytes());
        out.push(b'"');
    }
    out.extend_from_slice(b"\r\n");
}

fn csv_events(out: &mut Vec<u8>, events: &[AuditEvent]) {
    for e in events {
        let seq = e.seq.to_string();
        csv_line(
            out,
            &[
                &seq,
                &e.occurred_at,
                &e.actor_kind,
                &e.actor_id,
                &e.actor_name,
                &e.action,
                &e.entity_type,
                &e.entity_id,
                e.before.as_deref().unwrap_or(""),
                e.after.as_deref().unwrap_or(""),
                &e.prev_hash,
                &e.hash,
            ],
        );
    }
}

/// The filtered trail as CSV, oldest first. It is read and sent a batch at
/// a time, so that a trail of millions of events is never held whole; the
/// first batch is read before answering, so that a failure there is an
/// error page, and a failure later breaks the download off rather than
/// ending it as if it were whole.
pub async fn export_csv(State(s): State<AppState>, Auth(p): Auth, Query(q): Query<TrailQuery>) -> PageResult {
    let filter = q.filter()?;
    let org_id = p.organisation.id.clone();
    let first = s
        .app
        .store
        .org(&org_id)
        .audit_events_after(&filter, 0, EXPORT_BATCH)
        .await?;
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Vec<u8>>>(2);
    let store = s.app.store.clone();
    tokio::spawn(async move {
        let mut chunk = Vec::new();
        csv_line(&mut chunk, &EXPORT_HEADER);
        let mut batch = first;
        loop {
            csv_events(&mut chunk, &batch);
            if tx.send(Ok(std::mem::take(&mut chunk))).await.is_err() {
                // The client has gone; nobody reads the rest.
                return;
            }
            let Some(after) = batch.last().map(|e| e.seq) else {
                return;
            };
            if batch.len() < EXPORT_BATCH as usize {
                return;
            }
            batch = match store
                .org(&org_id)
                .audit_events_after(&filter, after, EXPORT_BATCH)
                .await
            {
                Ok(b) => b,
                Err(e) => {
                    tracing::error!(error = %e, "audit trail export stopped");
                    let _ = tx.send(Err(std::io::Error::other(e.to_string()))).await;
                    return;
                }
            };
        }
    });
    let name = format!(
        "audit-trail-{}-{}.csv",
        p.organisation.slug.as_str(),
        crate::api::control::today()
    );
    let body = axum::body::Body::from_stream(tokio_util::io::ReaderStream::new(ChunkReader {
        rx,
        chunk: Vec::new(),
        at: 0,
    }));
    Ok((crate::response::attachment("text/csv; charset=utf-8", &name), body).into_response())
}

/// Reads the chunks a task sends as one byte stream; an error sent ends
/// the stream with that error.
struct ChunkReader {
    rx: tokio::sync::mpsc::Receiver<std::io::Result<Vec<u8>>>,
    chunk: Vec<u8>,
    at: usize,
}

impl tokio::io::AsyncRead for ChunkReader {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        use std::task::Poll;
        loop {
            if self.at < self.chunk.len() {
                let n = buf.remaining().min(self.chunk.len() - self.at);
                let at = self.at;
                buf.put_slice(&self.chunk[at..at + n]);
                self.at += n;
                return Poll::Ready(Ok(()));
            }
            match self.rx.poll_recv(cx) {
                Poll::Ready(Some(Ok(chunk))) => {
                    self.chunk = chunk;
                    self.at = 0;
                }
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Err(e)),
                Poll::Ready(None) => return Poll::Ready(Ok(())),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
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
