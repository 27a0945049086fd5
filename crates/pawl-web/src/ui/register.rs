//! The pages of every declared register: a list with filters, sort and
//! search; a record with its fields, workflow buttons, links, evidence and
//! readable history; a form whose errors stand beside their fields. Kinds
//! add sections of their own through [`sections`].

use super::page::{render, PageError, PageResult, Shell};
use super::section::Section;
use crate::api::register::{list_query, record_href};
use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::{Form, Path};
use crate::AppState;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;
use pawl_app::register as service;
use pawl_app::Principal;
use pawl_domain::access::Permission;
use pawl_domain::register::link::{linkable, LINK_TYPES};
use pawl_domain::register::{Field, FieldKind, Kind, Value, KINDS};
use pawl_store::Record;
use serde_json::{Map, Value as Json};
use std::collections::HashMap;

/// The pages of every declared register, added to `router`.
pub fn routes(mut router: Router<AppState>) -> Router<AppState> {
    for &kind in KINDS {
        let base = format!("/{}", kind.path);
        router = router
            .route(
                &base,
                get(move |State(s): State<AppState>, Auth(p): Auth, RawQuery(q): RawQuery| list(kind, s, p, q)).post(
                    move |State(s): State<AppState>, Auth(p): Auth, Form(f): Form<Vec<(String, String)>>| {
                        create(kind, s, p, f)
                    },
                ),
            )
            .route(
                &format!("{base}/new"),
                get(move |State(s): State<AppState>, Auth(p): Auth, RawQuery(q): RawQuery| new_form(kind, s, p, q)),
            )
            .route(
                &format!("{base}/export.csv"),
                get(move |State(s): State<AppState>, Auth(p): Auth| export(kind, s, p, "csv")),
            )
            .route(
                &format!("{base}/export.xlsx"),
                get(move |State(s): State<AppState>, Auth(p): Auth| export(kind, s, p, "xlsx")),
            )
            .route(
                &format!("{base}/{{id}}"),
                get(
                    move |State(s): State<AppState>, Auth(p): Auth, Path(id): Path<String>, RawQuery(q): RawQuery| {
                        show(kind, s, p, id, q)
                    },
                )
                .post(
                    move |State(s): State<AppState>,
                          Auth(p): Auth,
                          Path(id): Path<String>,
                          Form(f): Form<Vec<(String, String)>>| update(kind, s, p, id, f),
                ),
            )
            .route(
                &format!("{base}/{{id}}/retire"),
                post(
                    move |State(s): State<AppState>,
                          Auth(p): Auth,
                          Path(id): Path<String>,
                          Form(f): Form<Vec<(String, String)>>| retire(kind, s, p, id, f),
                ),
            );
        if kind.workflow.is_some() {
            router = router.route(
                &format!("{base}/{{id}}/transition"),
                post(
                    move |State(s): State<AppState>,
                          Auth(p): Auth,
                          Path(id): Path<String>,
                          Form(f): Form<Vec<(String, String)>>| transition(kind, s, p, id, f),
                ),
            );
        }
    }
    router
        .route("/my-work", get(my_work))
        .route("/links", post(link_create))
        .route("/links/{id}/remove", post(link_remove))
}

/// A value as a person reads it: labels, not stored codes.
fn shown(kind: &Kind, f: &Field, v: &Value) -> String {
    let s = kind.label_of(f, v);
    if s.is_empty() {
        "—".to_owned()
    } else {
        s
    }
}

fn status_label(kind: &Kind, r: &Record) -> Option<&'static str> {
    Some(kind.workflow?.label(r.status.as_deref()?))
}

/// One row of a list page.
struct Row {
    href: String,
    title: String,
    status: Option<&'static str>,
    cells: Vec<String>,
}

/// A list filter as the page shows it.
struct FilterView {
    name: &'static str,
    label: &'static str,
    /// (code, label) of a vocabulary; empty for free text.
    options: Vec<(String, String)>,
    value: String,
}

#[derive(Template)]
#[template(path = "register_list.html")]
struct ListPage {
    shell: Shell,
    kind: &'static Kind,
    columns: Vec<&'static str>,
    rows: Vec<Row>,
    total: i64,
    filters: Vec<FilterView>,
    q: String,
    sort: String,
    order: String,
    sorts: Vec<(&'static str, &'static str)>,
    filtered: bool,
    next_href: Option<String>,
    can_write: bool,
    notice: Option<String>,
}

fn query_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    serde_urlencoded::from_str(raw.unwrap_or("")).unwrap_or_default()
}

fn param_of<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

async fn list(kind: &'static Kind, s: AppState, p: Principal, raw: Option<String>) -> PageResult {
    let pairs = query_pairs(raw.as_deref());
    // The page's own parameters are not filters.
    let own = ["notice"];
    let narrowed: Vec<(String, String)> = pairs
        .iter()
        .filter(|(k, _)| !own.contains(&k.as_str()))
        .cloned()
        .collect();
    let query = serde_urlencoded::to_string(&narrowed).unwrap_or_default();
    let (q, f) = list_query(kind, Some(&query))?;
    let page = s.app.store.org(&p.organisation.id).records(kind, &f, &q).await?;
    let listed: Vec<&'static Field> = kind.fields.iter().filter(|f| f.list).collect();
    let records_named = names_of_targets(&s, &p, kind, &page.items).await?;
    let rows = page
        .items
        .iter()
        .map(|r| Row {
            href: format!("/{}/{}", kind.path, r.id),
            title: r.title(),
            status: status_label(kind, r),
            cells: listed
                .iter()
                .filter(|f| f.name != kind.title)
                .map(|f| shown_with_targets(kind, f, r, &records_named))
                .collect(),
        })
        .collect();
    let mut filters: Vec<FilterView> = kind
        .fields
        .iter()
        .filter(|f| f.filter && !matches!(f.kind, FieldKind::Record { .. }))
        .map(|f| FilterView {
            name: f.name,
            label: f.label,
            options: match f.kind {
                FieldKind::Choice(c) => c.iter().map(|c| (c.code.to_owned(), c.label.to_owned())).collect(),
                _ => Vec::new(),
            },
            value: param_of(&pairs, f.name).unwrap_or("").to_owned(),
        })
        .collect();
    if let Some(w) = kind.workflow {
        filters.insert(
            0,
            FilterView {
                name: "status",
                label: "Status",
                options: w
                    .states
                    .iter()
                    .map(|s| (s.code.to_owned(), s.label.to_owned()))
                    .collect(),
                value: param_of(&pairs, "status").unwrap_or("").to_owned(),
            },
        );
    }
    let next_href = page.next_cursor.map(|c| {
        let mut next: Vec<(String, String)> = narrowed.iter().filter(|(k, _)| k != "cursor").cloned().collect();
        next.push(("cursor".into(), c));
        format!(
            "/{}?{}",
            kind.path,
            serde_urlencoded::to_string(&next).unwrap_or_default()
        )
    });
    let mut sorts: Vec<(&str, &str)> = Vec::new();
    if kind.prefix.is_some() {
        sorts.push(("reference", "Reference"));
    }
    sorts.extend(kind.fields.iter().filter(|f| f.sort).map(|f| (f.name, f.label)));
    if kind.workflow.is_some() {
        sorts.push(("status", "Status"));
    }
    sorts.extend([("updated_at", "Last changed"), ("created_at", "Added")]);
    Ok(render(&ListPage {
        shell: Shell::new(&s, &p, kind.path).await?,
        kind,
        columns: listed
            .iter()
            .filter(|f| f.name != kind.title)
            .map(|f| f.label)
            .collect(),
        rows,
        total: page.total,
        filtered: narrowed
            .iter()
            .any(|(k, v)| !v.is_empty() && !["sort", "order", "cursor", "limit"].contains(&k.as_str())),
        filters,
        q: param_of(&pairs, "q").unwrap_or("").to_owned(),
        sort: param_of(&pairs, "sort").unwrap_or(kind.default_sort).to_owned(),
        order: param_of(&pairs, "order").unwrap_or("asc").to_owned(),
        sorts,
        next_href,
        can_write: p.can(kind.write),
        notice: param_of(&pairs, "notice").map(str::to_owned),
    }))
}

/// The names of the records that the records' reference fields point at.
async fn names_of_targets(
    s: &AppState,
    p: &Principal,
    kind: &Kind,
    records: &[Record],
) -> Result<HashMap<(String, String), pawl_store::RecordName>, ApiError> {
    let mut refs = Vec::new();
    for r in records {
        for (f, v) in kind.fields.iter().zip(&r.values) {
            if let (FieldKind::Record { kind: target }, Value::OptText(Some(id))) = (&f.kind, v) {
                refs.push(((*target).to_owned(), id.clone()));
            }
        }
    }
    Ok(s.app.store.org(&p.organisation.id).record_names(&refs).await?)
}

fn shown_with_targets(
    kind: &Kind,
    f: &Field,
    r: &Record,
    names: &HashMap<(String, String), pawl_store::RecordName>,
) -> String {
    let v = r.value(f.name).cloned().unwrap_or(Value::Text(String::new()));
    match (&f.kind, &v) {
        (FieldKind::Record { kind: target }, Value::OptText(Some(id))) => {
            names.get(&((*target).to_owned(), id.clone())).map_or_else(
                || id.clone(),
                |n| format!("{} {}", n.reference, n.title).trim().to_owned(),
            )
        }
        _ => shown(kind, f, &v),
    }
}

/// A form field as the page draws it, with what was typed and its error.
pub(crate) struct FormField {
    name: &'static str,
    label: &'static str,
    help: &'static str,
    /// text, textarea, select, date or number.
    input: &'static str,
    value: String,
    options: Vec<(String, String)>,
    required: bool,
    min: i64,
    max: i64,
    max_length: usize,
    error: Option<String>,
}

fn form_fields(
    kind: &Kind,
    values: &[Value],
    typed: &[(String, String)],
    errors: &[pawl_domain::FieldError],
    creating: bool,
) -> Vec<FormField> {
    kind.fields
        .iter()
        .zip(values)
        .filter(|(f, _)| (creating || !f.fixed) && !f.derived)
        .map(|(f, v)| {
            let (input, options, min, max, max_length) = match &f.kind {
                FieldKind::Text { max } => ("text", Vec::new(), 0, 0, *max),
                FieldKind::LongText { max } => ("textarea", Vec::new(), 0, 0, *max),
                FieldKind::Choice(c) => (
                    "select",
                    c.iter().map(|c| (c.code.to_owned(), c.label.to_owned())).collect(),
                    0,
                    0,
                    0,
                ),
                FieldKind::Date => ("date", Vec::new(), 0, 0, 10),
                FieldKind::Number { min, max, .. } => ("number", Vec::new(), *min, *max, 0),
                FieldKind::Person { .. } => ("text", Vec::new(), 0, 0, 200),
                FieldKind::Record { .. } => ("text", Vec::new(), 0, 0, 64),
            };
            FormField {
                name: f.name,
                label: f.label,
                help: if f.help.is_empty() && matches!(f.kind, FieldKind::Person { .. }) {
                    "A member's e-mail address links it to their work; any other name is kept as written."
                } else {
                    f.help
                },
                input,
                value: typed
                    .iter()
                    .rev()
                    .find(|(k, _)| k == f.name)
                    .map_or_else(|| v.display(), |(_, t)| t.clone()),
                options,
                required: f.required,
                min,
                max,
                max_length,
                error: errors.iter().find(|e| e.field == f.name).map(|e| e.message.clone()),
            }
        })
        .collect()
}

/// The fields a form sent, as the service's input: the page's own fields
/// (`_csrf`, `version`) left out.
fn form_input(form: &[(String, String)]) -> Map<String, Json> {
    form.iter()
        .filter(|(k, _)| !k.starts_with('_') && k != "version" && k != "back")
        .map(|(k, v)| (k.clone(), Json::String(v.clone())))
        .collect()
}

fn form_version(form: &[(String, String)]) -> Result<Option<i64>, ApiError> {
    match param_of(form, "version") {
        None | Some("") => Ok(None),
        Some(v) => v
            .parse()
            .map(Some)
            .map_err(|_| ApiError::bad_request("the form's version is not a number; reload the page")),
    }
}

#[derive(Template)]
#[template(path = "register_form.html")]
struct NewPage {
    shell: Shell,
    kind: &'static Kind,
    fields: Vec<FormField>,
    error: Option<String>,
}

async fn new_form(kind: &'static Kind, s: AppState, p: Principal, raw: Option<String>) -> PageResult {
    // A link from another page may fill fields in, e.g. the risk of a new action.
    let typed: Vec<(String, String)> = query_pairs(raw.as_deref())
        .into_iter()
        .filter(|(k, _)| kind.field(k).is_some())
        .collect();
    Ok(render(&NewPage {
        shell: Shell::new(&s, &p, kind.path).await?,
        kind,
        fields: form_fields(kind, &kind.empty(), &typed, &[], true),
        error: None,
    }))
}

async fn create(kind: &'static Kind, s: AppState, p: Principal, form: Vec<(String, String)>) -> PageResult {
    match service::create(&s.app.store, &p, kind, &form_input(&form)).await {
        Ok(r) => Ok(Redirect::to(&format!(
            "/{}/{}?notice={}",
            kind.path,
            r.id,
            super::admin::urlencode(&format!("{} added.", kind.label))
        ))
        .into_response()),
        Err(e) => {
            let e = ApiError::from(e);
            if !e.status.is_client_error() || e.status == StatusCode::FORBIDDEN {
                return Err(PageError(e));
            }
            let page = NewPage {
                shell: Shell::new(&s, &p, kind.path).await?,
                kind,
                fields: form_fields(kind, &kind.empty(), &form, &e.fields, true),
                error: Some(if e.fields.is_empty() {
                    e.detail.clone()
                } else {
                    "Some fields need a look; each says why.".into()
                }),
            };
            Ok((e.status, render(&page)).into_response())
        }
    }
}

/// A detail row: label and value, and where the value links to.
struct Detail {
    label: &'static str,
    value: String,
    href: Option<String>,
}

/// A workflow button; a move that records a reason asks for it.
struct Move {
    to: &'static str,
    label: &'static str,
    reason: bool,
    /// What the move's text is, where it is not a reason.
    prompt: Option<&'static str>,
}

/// A link as a record's page shows it: what it is to the other record.
struct LinkView {
    id: String,
    phrase: &'static str,
    other_title: String,
    other_href: String,
    other_kind: &'static str,
    retired: bool,
    note: String,
}

/// A change of one field in the record's history, in the field's words.
struct ChangeView {
    label: String,
    old: String,
    new: String,
}

struct HistoryView {
    when: String,
    who: String,
    what: &'static str,
    changes: Vec<ChangeView>,
}

#[derive(Template)]
#[template(path = "register_record.html")]
struct RecordPage {
    shell: Shell,
    kind: &'static Kind,
    record: Record,
    status: Option<&'static str>,
    details: Vec<Detail>,
    fields: Vec<FormField>,
    moves: Vec<Move>,
    outgoing: Vec<LinkView>,
    incoming: Vec<LinkView>,
    link_types: Vec<(&'static str, &'static str)>,
    link_kinds: Vec<(&'static str, &'static str)>,
    evidence: Vec<(String, String, Option<String>)>,
    sections: Vec<Section>,
    history: Vec<HistoryView>,
    can_write: bool,
    notice: Option<String>,
    error: Option<String>,
}

impl RecordPage {
    fn has_links(&self) -> bool {
        !self.outgoing.is_empty() || !self.incoming.is_empty()
    }
}

/// A record's history with the records its fields point at named, not
/// shown by id.
async fn named_history(
    reader: &pawl_store::OrgReader<'_>,
    kind: &'static Kind,
    id: &str,
) -> Result<Vec<HistoryView>, ApiError> {
    let events = reader.history(kind.key, id).await?;
    let mut refs = Vec::new();
    for e in &events {
        for side in [&e.before, &e.after] {
            let Some(m) = side
                .as_deref()
                .and_then(|s| serde_json::from_str::<Map<String, Json>>(s).ok())
            else {
                continue;
            };
            for f in kind.fields {
                if let (FieldKind::Record { kind: target }, Some(Json::String(id))) = (&f.kind, m.get(f.name)) {
                    refs.push((target.to_string(), id.clone()));
                }
            }
        }
    }
    let names = reader.record_names(&refs).await?;
    Ok(history_views(kind, events, &|target, id| {
        names
            .get(&(target.to_owned(), id.to_owned()))
            .map(|n| format!("{} {}", n.reference, n.title).trim().to_owned())
    }))
}

fn history_views(
    kind: &Kind,
    events: Vec<pawl_domain::audit::AuditEvent>,
    name_of: &dyn Fn(&str, &str) -> Option<String>,
) -> Vec<HistoryView> {
    let parse = |s: &Option<String>| -> Map<String, Json> {
        s.as_deref()
            .and_then(|s| serde_json::from_str::<Json>(s).ok())
            .and_then(|v| v.as_object().cloned())
            .unwrap_or_default()
    };
    let text = |f: Option<&Field>, v: Option<&Json>| -> String {
        let raw = match v {
            None | Some(Json::Null) => return "—".into(),
            Some(Json::String(s)) if s.is_empty() => return "—".into(),
            Some(Json::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        };
        match f.map(|f| &f.kind) {
            Some(FieldKind::Choice(c)) => c.iter().find(|c| c.code == raw).map_or(raw, |c| c.label.to_owned()),
            Some(FieldKind::Record { kind: target }) => name_of(target, &raw).unwrap_or(raw),
            _ => raw,
        }
    };
    events
        .into_iter()
        .rev()
        .map(|e| {
            let (before, after) = (parse(&e.before), parse(&e.after));
            let mut changes = Vec::new();
            if e.action == "update" || e.action == "transition" {
                for f in kind.fields {
                    let (old, new) = (text(Some(f), before.get(f.name)), text(Some(f), after.get(f.name)));
                    // Null and empty read the same: no change to show.
                    if old != new {
                        changes.push(ChangeView {
                            label: f.label.to_owned(),
                            old,
                            new,
                        });
                    }
                }
                if let Some(w) = kind.workflow {
                    let st = |m: &Map<String, Json>| {
                        m.get("status")
                            .and_then(Json::as_str)
                            .map(|s| w.label(s))
                            .unwrap_or("—")
                    };
                    if before.get("status") != after.get("status") {
                        changes.push(ChangeView {
                            label: "Status".into(),
                            old: st(&before).into(),
                            new: st(&after).into(),
                        });
                    }
                }
            }
            HistoryView {
                when: e.occurred_at.get(..16).unwrap_or(&e.occurred_at).replace('T', " "),
                who: e.actor_name,
                what: match e.action.as_str() {
                    "create" => "Added",
                    "update" => "Changed",
                    "transition" => "Moved",
                    "delete" => "Retired",
                    _ => "Recorded",
                },
                changes,
            }
        })
        .collect()
}

async fn record_page(
    kind: &'static Kind,
    s: &AppState,
    p: &Principal,
    r: Record,
    typed: &[(String, String)],
    errors: &[pawl_domain::FieldError],
) -> Result<RecordPage, ApiError> {
    let reader = s.app.store.org(&p.organisation.id);
    let names = names_of_targets(s, p, kind, std::slice::from_ref(&r)).await?;
    let details = kind
        .fields
        .iter()
        .map(|f| Detail {
            label: f.label,
            value: shown_with_targets(kind, f, &r, &names),
            href: match (&f.kind, r.value(f.name)) {
                (FieldKind::Record { kind: target }, Some(Value::OptText(Some(id)))) => Some(record_href(target, id)),
                _ => None,
            },
        })
        .collect();
    let moves = match kind.workflow {
        Some(w) => w
            .moves_from(r.status.as_deref().unwrap_or(""))
            .filter(|t| p.can(t.permission))
            .map(|t| Move {
                to: t.to,
                label: t.label,
                reason: t.reason.is_some(),
                prompt: t.prompt,
            })
            .collect(),
        None => Vec::new(),
    };
    let view = |l: pawl_store::Link, outgoing: bool| {
        let t = LINK_TYPES.iter().find(|t| t.code == l.link_type);
        let other = if outgoing { l.to } else { l.from };
        LinkView {
            id: l.id,
            phrase: t.map_or("relates to", |t| if outgoing { t.label } else { t.inverse }),
            other_title: format!("{} {}", other.reference, other.title).trim().to_owned(),
            other_href: record_href(&other.kind, &other.id),
            other_kind: linkable(&other.kind).unwrap_or("Record"),
            retired: other.retired,
            note: l.note,
        }
    };
    let outgoing = reader
        .links(kind.key, &r.id, true)
        .await?
        .into_iter()
        .map(|l| view(l, true))
        .collect();
    let incoming = reader
        .links(kind.key, &r.id, false)
        .await?
        .into_iter()
        .map(|l| view(l, false))
        .collect();
    let evidence = reader
        .evidence_list(
            &[(kind.key, r.id.as_str())],
            None,
            &pawl_store::ListQuery {
                limit: Some(100),
                ..Default::default()
            },
        )
        .await?
        .items
        .into_iter()
        .map(|e| (format!("/evidence/{}", e.id), e.title, e.valid_until))
        .collect();
    let history = if p.can(Permission::ReadAuditTrail) {
        named_history(&reader, kind, &r.id).await?
    } else {
        Vec::new()
    };
    Ok(RecordPage {
        shell: Shell::new(s, p, kind.path).await?,
        kind,
        status: status_label(kind, &r),
        details,
        fields: form_fields(kind, &r.values, typed, errors, false),
        moves,
        outgoing,
        incoming,
        link_types: LINK_TYPES.iter().map(|t| (t.code, t.label)).collect(),
        link_kinds: pawl_domain::record_type::linkable().map(|t| (t.key, t.label)).collect(),
        evidence,
        sections: super::kinds::sections(s, p, &r).await?,
        history,
        can_write: p.can(kind.write),
        record: r,
        notice: None,
        error: None,
    })
}

async fn show(kind: &'static Kind, s: AppState, p: Principal, id: String, raw: Option<String>) -> PageResult {
    let pairs = query_pairs(raw.as_deref());
    let r = s.app.store.org(&p.organisation.id).record(kind, &id).await?;
    let mut page = record_page(kind, &s, &p, r, &[], &[]).await?;
    page.notice = param_of(&pairs, "notice").map(str::to_owned);
    page.error = param_of(&pairs, "error").map(str::to_owned);
    Ok(render(&page))
}

/// After a refused change: the page again, with what was typed and why.
async fn refused(
    kind: &'static Kind,
    s: &AppState,
    p: &Principal,
    id: &str,
    form: &[(String, String)],
    e: ApiError,
) -> PageResult {
    if !e.status.is_client_error() || matches!(e.status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN) {
        return Err(PageError(e));
    }
    let current = s.app.store.org(&p.organisation.id).record(kind, id).await?;
    let mut page = record_page(kind, s, p, current, form, &e.fields).await?;
    page.error = Some(if e.status == StatusCode::PRECONDITION_FAILED {
        "Someone else changed this record while you were editing. Your text is kept below; check the record and save again.".into()
    } else if e.fields.is_empty() {
        e.detail.clone()
    } else {
        "Some fields need a look; each says why.".into()
    });
    Ok((e.status, render(&page)).into_response())
}

async fn update(kind: &'static Kind, s: AppState, p: Principal, id: String, form: Vec<(String, String)>) -> PageResult {
    let expected = form_version(&form)?;
    match service::update(&s.app.store, &p, kind, &id, &form_input(&form), expected).await {
        Ok(r) => Ok(Redirect::to(&format!("/{}/{}?notice=Saved.", kind.path, r.id)).into_response()),
        Err(e) => refused(kind, &s, &p, &id, &form, e.into()).await,
    }
}

async fn transition(
    kind: &'static Kind,
    s: AppState,
    p: Principal,
    id: String,
    form: Vec<(String, String)>,
) -> PageResult {
    let expected = form_version(&form)?;
    let to = param_of(&form, "to").unwrap_or("");
    let reason = param_of(&form, "reason");
    match service::transition(&s.app.store, &p, kind, &id, to, reason, expected).await {
        Ok(r) => {
            let notice = match status_label(kind, &r) {
                Some(label) => format!("Moved to “{label}”."),
                None => "Moved.".to_owned(),
            };
            Ok(Redirect::to(&format!(
                "/{}/{}?notice={}",
                kind.path,
                r.id,
                super::admin::urlencode(&notice)
            ))
            .into_response())
        }
        Err(e) => refused(kind, &s, &p, &id, &[], e.into()).await,
    }
}

async fn retire(kind: &'static Kind, s: AppState, p: Principal, id: String, form: Vec<(String, String)>) -> PageResult {
    let expected = form_version(&form)?;
    match service::retire(&s.app.store, &p, kind, &id, expected).await {
        Ok(r) => Ok(Redirect::to(&format!(
            "/{}?notice={}",
            kind.path,
            super::admin::urlencode(&format!("{} retired.", r.title()))
        ))
        .into_response()),
        Err(e) => refused(kind, &s, &p, &id, &[], e.into()).await,
    }
}

async fn export(kind: &'static Kind, s: AppState, p: Principal, format: &str) -> PageResult {
    Ok(crate::api::register::download(kind, &s, &p.organisation.id, format).await?)
}

/// The page to go back to after a link form: a record's own page, never
/// another site.
fn back_to(form: &[(String, String)]) -> String {
    match param_of(form, "back") {
        Some(b) if b.starts_with('/') && !b.starts_with("//") && !b.contains(['\\', '\n', '\r', '\t']) => b.to_owned(),
        _ => "/".to_owned(),
    }
}

async fn link_create(State(s): State<AppState>, Auth(p): Auth, Form(form): Form<Vec<(String, String)>>) -> PageResult {
    let back = back_to(&form);
    let sep = if back.contains('?') { '&' } else { '?' };
    let from = param_of(&form, "from").unwrap_or("");
    let (to_kind, to_text) = (
        param_of(&form, "to_kind").unwrap_or(""),
        param_of(&form, "to").unwrap_or("").trim(),
    );
    let result: Result<pawl_store::Link, ApiError> = async {
        let (fk, fid) = from
            .split_once(':')
            .ok_or_else(|| ApiError::bad_request("the form names no record to link from; reload the page"))?;
        let to_id = s
            .app
            .store
            .org(&p.organisation.id)
            .find_record(to_kind, to_text)
            .await?
            .ok_or_else(|| {
                ApiError::invalid(vec![pawl_domain::FieldError::new(
                    "to",
                    format!(
                        "no live {} is called {to_text:?}; give its reference, name or id",
                        linkable(to_kind).unwrap_or("record").to_lowercase()
                    ),
                )])
            })?;
        Ok(service::link(
            &s.app.store,
            &p,
            (fk, fid),
            param_of(&form, "type").unwrap_or(""),
            (to_kind, &to_id),
            param_of(&form, "note").unwrap_or(""),
        )
        .await?)
    }
    .await;
    Ok(match result {
        Ok(_) => Redirect::to(&format!("{back}{sep}notice=Linked.")).into_response(),
        Err(e) if e.status.is_client_error() => {
            Redirect::to(&format!("{back}{sep}error={}", super::admin::urlencode(&e.message()))).into_response()
        }
        Err(e) => return Err(PageError(e)),
    })
}

async fn link_remove(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    let back = back_to(&form);
    let sep = if back.contains('?') { '&' } else { '?' };
    service::unlink(&s.app.store, &p, &id).await?;
    Ok(Redirect::to(&format!("{back}{sep}notice=Link%20removed.")).into_response())
}

#[derive(Template)]
#[template(path = "my_work.html")]
struct MyWorkPage {
    shell: Shell,
    items: Vec<crate::api::register::WorkItemOut>,
    /// How much work there is in all, listed or not.
    total: usize,
    overdue: usize,
    /// What the list is narrowed to, as the home page links to it: None
    /// for everything.
    narrowed: Option<String>,
}

/// The part of a person's work the home page counts: one kind, or what is overdue.
#[derive(serde::Deserialize, Default)]
pub struct MyWorkQuery {
    kind: Option<String>,
    overdue: Option<bool>,
}

impl MyWorkPage {
    fn kind_label(&self, kind: &str) -> &'static str {
        linkable(kind).unwrap_or("Record")
    }

    fn state_label(&self, kind: &str, status: &str) -> &'static str {
        pawl_domain::register::kind(kind)
            .and_then(|k| k.workflow)
            .map_or("", |w| w.label(status))
    }
}

/// The most items the my-work page lists unnarrowed, the soonest due.
const MY_WORK_SHOWN: i64 = 200;

/// Everything assigned to the signed-in person, overdue first; or only
/// items of one kind, or only the overdue ones.
pub async fn my_work(
    State(s): State<AppState>,
    Auth(p): Auth,
    crate::extract::Query(q): crate::extract::Query<MyWorkQuery>,
) -> PageResult {
    let today = crate::api::control::today().to_string();
    let kind = q.kind.filter(|k| !k.is_empty());
    let only_overdue = q.overdue.unwrap_or(false);
    let mut narrowed: Vec<String> = Vec::new();
    if let Some(k) = &kind {
        narrowed.push(linkable(k).unwrap_or("Record").to_lowercase());
    }
    if only_overdue {
        narrowed.push("overdue".into());
    }
    // The whole list only when narrowed; else the soonest due, with the
    // figures counted: a risk owner may have thousands of items, and 1,000
    // rows took 40 ms to read and draw.
    let reader = s.app.store.org(&p.organisation.id);
    let (listed, counted) = match narrowed.is_empty() {
        true => (
            reader.my_work(&p.user_id, MY_WORK_SHOWN).await?,
            Some(reader.my_work_counts(&p.user_id, &today).await?),
        ),
        false => (service::my_work(&s.app.store, &p).await?, None),
    };
    let items: Vec<_> = listed
        .into_iter()
        .filter(|w| kind.as_ref().is_none_or(|k| &w.kind == k))
        .map(|w| crate::api::register::work_item(w, &today))
        .filter(|i| !only_overdue || i.overdue)
        .map(|mut i| {
            // A suggestion's submitter may not read the register it is in.
            if !crate::policy::may_open(&p, &i.href) {
                i.href.clear();
            }
            i
        })
        .collect();
    Ok(render(&MyWorkPage {
        shell: Shell::new(&s, &p, "my-work").await?,
        total: counted.map_or(items.len(), |c| c.all as usize),
        overdue: counted.map_or_else(|| items.iter().filter(|i| i.overdue).count(), |c| c.overdue as usize),
        items,
        narrowed: (!narrowed.is_empty()).then(|| narrowed.join(", ")),
    }))
}
