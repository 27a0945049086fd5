//! The one service path of every declared register: input read against the
//! declaration, people resolved to members, the row-level rules a kind adds,
//! workflow moves under the permission they declare, links and my-work.
//! It names no kind: a kind's own rules are reached through `crate::kinds`
//! and run in the order `crate::rules` declares. The API, the UI and the
//! CLI all come through here (clause 7.5.3).

pub use crate::input::{filter, new_values};
use crate::kinds::{rules_of, rules_of_key};
use crate::rules::{Cx, Move, Mover};
use crate::{AppError, Principal};
use pawl_domain::register::{FieldKind, Kind, Value};
use pawl_domain::{DomainError, Problems};
use pawl_store::{Link, ListQuery, Page, Record, RecordFilter, Store, WorkItem};
use serde_json::{Map, Value as Json};

/// Resolves each person field to a member when its text names one by
/// e-mail, and each record field given by reference or title to its id.
pub async fn resolve_people(store: &Store, org_id: &str, kind: &Kind, values: &mut [Value]) -> Result<(), AppError> {
    for (f, v) in kind.fields.iter().zip(values.iter_mut()) {
        match (&f.kind, &*v) {
            (FieldKind::Person { .. }, Value::Person { name, .. }) => {
                let (user_id, name) = crate::people::resolve_owner(store, org_id, name).await?;
                *v = Value::Person { user_id, name };
            }
            (FieldKind::Record { kind: target }, Value::OptText(Some(text))) => {
                if let Some(id) = store.org(org_id).find_record(target, text).await? {
                    *v = Value::OptText(Some(id));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// The rules a kind adds on top of the role's permission, checked for every
/// change of its records, whichever front end makes it.
async fn may_change(store: &Store, p: &Principal, kind: &'static Kind, values: &[Value]) -> Result<(), AppError> {
    rules_of(kind).may_change(store, p, values).await
}

/// The most a move's reason holds.
const MAX_REASON: usize = 2000;

/// Moves a record in `tx` once the new state's fields are there and its
/// kind's own conditions hold, and sets what the move implies through the
/// kind's rules (an improvement's phase, an incident's timeline, a cycle's
/// frozen figures).
#[allow(clippy::too_many_arguments)]
async fn make_move(
    store: &Store,
    tx: &mut pawl_store::AuditedTx,
    mover: &Mover<'_>,
    kind: &'static Kind,
    r: &Record,
    to: &str,
    expected: Option<i64>,
    reason: Option<&str>,
) -> Result<Record, AppError> {
    let from = r.status.clone().unwrap_or_default();
    let declared = kind.workflow.and_then(|w| w.moves_from(&from).find(|t| t.to == to));
    let reason = match (
        declared.and_then(|t| t.reason),
        reason.map(str::trim).filter(|s| !s.is_empty()),
    ) {
        (Some(field), Some(why)) => {
            pawl_domain::register::check_text("reason", why)?;
            if why.chars().count() > MAX_REASON {
                return Err(DomainError::field("reason", format!("use at most {MAX_REASON} characters")).into());
            }
            Some((field, why))
        }
        (Some(_), None) => {
            return Err(DomainError::field(
                "reason",
                format!(
                    "moving to {} needs a reason, which is recorded",
                    kind.workflow.map_or(to, |w| w.label(to))
                ),
            )
            .into())
        }
        (None, _) => None,
    };
    if let Some(w) = kind.workflow {
        w.check_entry(kind, to, &r.values)?;
    }
    let rules = rules_of(kind);
    let m = Move {
        from: &from,
        to,
        reason,
        mover,
    };
    rules.before_move(tx, &m, r).await?;
    let mut moved = tx.transition_record(kind, &r.id, to, expected).await?;
    let mut values = moved.values.clone();
    rules.on_move(kind, &m, &mut values);
    if values != moved.values {
        moved = tx.update_record(kind, &r.id, values, None).await?;
    }
    rules.after_move(store, tx, &m, &moved).await?;
    Ok(tx.record_for_update(kind, &r.id).await?)
}

/// A person field of a new record that names its creator, where the kind
/// says so, when none is given.
fn creator_defaults(kind: &'static Kind, values: &mut [Value], email: &str) {
    if let Some(i) = rules_of(kind).creator().and_then(|f| kind.index_of(f)) {
        if values[i].is_empty() {
            values[i] = Value::Person {
                user_id: None,
                name: email.to_owned(),
            };
        }
    }
}

/// A member whose role may not write a register may still report to one
/// that takes reports (an incident, a suggestion), with only the fields a
/// report has.
fn check_reporter(p: &Principal, kind: &Kind, input: &Map<String, Json>) -> Result<(), AppError> {
    if p.can(kind.write) {
        return Ok(());
    }
    if kind.report.is_empty() {
        return Err(AppError::Forbidden);
    }
    let mut problems = Problems::default();
    for name in input.keys().filter(|n| !kind.report.contains(&n.as_str())) {
        problems.push(
            name,
            format!(
                "a report gives only {}; the ISMS manager fills in the rest",
                kind.report.join(", ")
            ),
        );
    }
    Ok(problems.finish()?)
}

/// A new record must hold what its first state requires.
fn check_initial(kind: &Kind, values: &[Value]) -> Result<(), DomainError> {
    match kind.workflow {
        Some(w) => w.check_entry(kind, w.initial, values),
        None => Ok(()),
    }
}

/// Adds a record as `actor` without a principal's row-level rules: for the
/// demo and other system callers.
pub async fn create_as(
    store: &Store,
    org_id: &str,
    actor: &pawl_domain::audit::Actor,
    kind: &'static Kind,
    input: Map<String, Json>,
) -> Result<Record, AppError> {
    let mut values = new_values(kind, &input)?;
    creator_defaults(kind, &mut values, &actor.name);
    resolve_people(store, org_id, kind, &mut values).await?;
    let rules = rules_of(kind);
    let cx = Cx {
        store,
        org_id,
        principal: None,
    };
    let found = rules.check(&cx, None, &mut values).await?;
    check_initial(kind, &values)?;
    let mut tx = store.write(org_id, actor).await?;
    let r = tx.create_record(kind, values).await?;
    let r = rules.written(&mut tx, r, found, true).await?;
    crate::notify::announce_new(&mut tx, &r, None).await?;
    tx.commit().await?;
    Ok(r)
}

pub async fn create(
    store: &Store,
    p: &Principal,
    kind: &'static Kind,
    input: &Map<String, Json>,
) -> Result<Record, AppError> {
    let org = &p.organisation.id;
    check_reporter(p, kind, input)?;
    let mut values = new_values(kind, input)?;
    creator_defaults(kind, &mut values, &p.email);
    resolve_people(store, org, kind, &mut values).await?;
    may_change(store, p, kind, &values).await?;
    let rules = rules_of(kind);
    let cx = Cx {
        store,
        org_id: org,
        principal: Some(p),
    };
    let found = rules.check(&cx, None, &mut values).await?;
    check_initial(kind, &values)?;
    let mut tx = store.write(org, &p.actor()).await?;
    let r = tx.create_record(kind, values).await?;
    let r = rules.written(&mut tx, r, found, true).await?;
    crate::notify::announce_new(&mut tx, &r, Some(&p.user_id)).await?;
    tx.commit().await?;
    Ok(r)
}

/// Changes the fields `input` names; the others keep their values. A
/// `status` in the input is a workflow move, made after the fields change,
/// with the `reason` the move may need.
pub async fn update(
    store: &Store,
    p: &Principal,
    kind: &'static Kind,
    id: &str,
    input: &Map<String, Json>,
    expected: Option<i64>,
) -> Result<Record, AppError> {
    let org = &p.organisation.id;
    let mut fields = input.clone();
    let status = match fields.remove("status") {
        None => None,
        Some(Json::String(s)) if kind.workflow.is_some() => Some(s),
        Some(_) if kind.workflow.is_none() => {
            return Err(DomainError::field("status", format!("{} have no workflow", kind.plural)).into())
        }
        Some(_) => return Err(DomainError::field("status", "give the state as text").into()),
    };
    let reason = match fields.remove("reason") {
        None | Some(Json::Null) => None,
        Some(Json::String(s)) if status.is_some() => Some(s),
        Some(_) => {
            return Err(DomainError::field("reason", "give a reason as text, with the status it moves to").into())
        }
    };
    let current = store.org(org).record(kind, id).await?;
    may_change(store, p, kind, &current.values).await?;
    let mut values = kind.apply(&current.values, &fields, false)?;
    resolve_people(store, org, kind, &mut values).await?;
    let rules = rules_of(kind);
    let cx = Cx {
        store,
        org_id: org,
        principal: Some(p),
    };
    let found = rules.check(&cx, Some(&current), &mut values).await?;
    let mut tx = store.write(org, &p.actor()).await?;
    // Fields pawl derives may have moved since `current` was read (a
    // recurrence flag set by another nonconformity): keep them as stored.
    let locked = tx.record_for_update(kind, id).await?;
    for (i, f) in kind.fields.iter().enumerate() {
        if f.derived {
            values[i] = locked.values[i].clone();
        }
    }
    let r = tx.update_record(kind, id, values, expected).await?;
    let mut r = rules.written(&mut tx, r, found, false).await?;
    if let Some(to) = status.filter(|s| Some(s) != r.status.as_ref()) {
        check_move(p, kind, &r, &to)?;
        // The version was checked by the change above, in this transaction.
        r = make_move(store, &mut tx, &Mover::of(p), kind, &r, &to, None, reason.as_deref()).await?;
    }
    tx.commit().await?;
    Ok(r)
}

/// The declared move exists and the principal's role may make it.
fn check_move(p: &Principal, kind: &Kind, r: &Record, to: &str) -> Result<(), AppError> {
    let Some(w) = kind.workflow else {
        return Err(DomainError::field("status", format!("{} have no workflow", kind.plural)).into());
    };
    let t = w.transition(kind, r.status.as_deref().unwrap_or(""), to)?;
    if !p.can(t.permission) {
        return Err(AppError::Forbidden);
    }
    Ok(())
}

/// Moves a record through its workflow; `reason` for the moves that need
/// one (skipping a step, declining).
pub async fn transition(
    store: &Store,
    p: &Principal,
    kind: &'static Kind,
    id: &str,
    to: &str,
    reason: Option<&str>,
    expected: Option<i64>,
) -> Result<Record, AppError> {
    let org = &p.organisation.id;
    let current = store.org(org).record(kind, id).await?;
    may_change(store, p, kind, &current.values).await?;
    check_move(p, kind, &current, to)?;
    let mut tx = store.write(org, &p.actor()).await?;
    let r = make_move(store, &mut tx, &Mover::of(p), kind, &current, to, expected, reason).await?;
    tx.commit().await?;
    Ok(r)
}

/// Moves a record as `actor` without a principal's permission: for the
/// demo. The move's own conditions still hold.
pub async fn transition_as(
    store: &Store,
    org_id: &str,
    actor: &pawl_domain::audit::Actor,
    kind: &'static Kind,
    id: &str,
    to: &str,
    reason: Option<&str>,
) -> Result<Record, AppError> {
    let organisation = store.organisation(org_id).await?;
    let current = store.org(org_id).record(kind, id).await?;
    let mover = Mover {
        organisation: &organisation,
        user_id: None,
        email: &actor.name,
    };
    let mut tx = store.write(org_id, actor).await?;
    let r = make_move(store, &mut tx, &mover, kind, &current, to, None, reason).await?;
    tx.commit().await?;
    Ok(r)
}

/// Retires a record: it leaves the lists; history and links stay.
pub async fn retire(
    store: &Store,
    p: &Principal,
    kind: &'static Kind,
    id: &str,
    expected: Option<i64>,
) -> Result<Record, AppError> {
    let org = &p.organisation.id;
    let current = store.org(org).record(kind, id).await?;
    may_change(store, p, kind, &current.values).await?;
    let mut tx = store.write(org, &p.actor()).await?;
    let rules = rules_of(kind);
    rules.before_retire(&mut tx, &current).await?;
    let r = tx.retire_record(kind, id, expected).await?;
    rules.after_retire(&mut tx, &r).await?;
    tx.commit().await?;
    Ok(r)
}

/// The whole of a register, for exports: every live record in the list's
/// default order, a page at a time.
pub async fn for_each(
    store: &Store,
    org_id: &str,
    kind: &'static Kind,
    mut visit: impl FnMut(&Record, &Names) -> Result<(), AppError>,
) -> Result<usize, AppError> {
    let reader = store.org(org_id);
    let (mut cursor, mut n) = (None, 0);
    // The fields that hold another record's id, with that record's kind.
    let linked: Vec<(usize, &str)> = kind
        .fields
        .iter()
        .enumerate()
        .filter_map(|(i, f)| match f.kind {
            FieldKind::Record { kind } => Some((i, kind)),
            _ => None,
        })
        .collect();
    loop {
        let page: Page<Record> = reader
            .records(
                kind,
                &RecordFilter::default(),
                &ListQuery {
                    limit: Some(500),
                    cursor,
                    skip_total: true,
                    ..Default::default()
                },
            )
            .await?;
        let refs: Vec<(String, String)> = page
            .items
            .iter()
            .flat_map(|r| {
                linked.iter().filter_map(|(i, k)| match r.values.get(*i) {
                    Some(Value::OptText(Some(id))) | Some(Value::Text(id)) if !id.is_empty() => {
                        Some(((*k).to_owned(), id.clone()))
                    }
                    _ => None,
                })
            })
            .collect();
        let names: Names = reader
            .record_names(&refs)
            .await?
            .into_iter()
            .map(|(k, n)| (k, format!("{} {}", n.reference, n.title).trim().to_owned()))
            .collect();
        for r in &page.items {
            visit(r, &names)?;
            n += 1;
        }
        match page.next_cursor {
            Some(c) => cursor = Some(pawl_store::Cursor::decode(&c)?),
            None => return Ok(n),
        }
    }
}

/// The columns of a register's export: reference, each listed field as a
/// person reads it (and a choice's code beside its label), state, dates.
pub fn export_header(kind: &Kind) -> Vec<String> {
    let mut h = Vec::new();
    if kind.prefix.is_some() {
        h.push("Reference".to_owned());
    }
    for f in kind.fields {
        h.push(f.label.to_owned());
        if matches!(f.kind, FieldKind::Choice(_)) {
            h.push(format!("{} (code)", f.label));
        }
    }
    if kind.workflow.is_some() {
        h.extend(["Status".to_owned(), "Status (code)".to_owned()]);
    }
    h.extend(["Created".to_owned(), "Updated".to_owned(), "Version".to_owned()]);
    h
}

/// The records a page of a register links to, by (kind, id): "R-0001 Lost laptop".
pub type Names = std::collections::HashMap<(String, String), String>;

/// One record as export cells, in [`export_header`] order; a linked record
/// by its reference and title.
pub fn export_cells(r: &Record, names: &Names) -> Vec<String> {
    let kind = r.kind;
    let mut c = Vec::new();
    if kind.prefix.is_some() {
        c.push(r.reference.clone().unwrap_or_default());
    }
    for (f, v) in kind.fields.iter().zip(&r.values) {
        let named = match (&f.kind, v) {
            (FieldKind::Record { kind }, Value::OptText(Some(id)) | Value::Text(id)) => {
                names.get(&((*kind).to_owned(), id.clone())).cloned()
            }
            _ => None,
        };
        c.push(named.unwrap_or_else(|| kind.label_of(f, v)));
        if matches!(f.kind, FieldKind::Choice(_)) {
            c.push(v.display());
        }
    }
    if let Some(w) = kind.workflow {
        let s = r.status.clone().unwrap_or_default();
        c.push(w.label(&s).to_owned());
        c.push(s);
    }
    c.extend([
        r.created_at[..10.min(r.created_at.len())].to_owned(),
        r.updated_at[..10.min(r.updated_at.len())].to_owned(),
        r.version.to_string(),
    ]);
    c
}

/// Writes a register as CSV, formula-like cells neutralised.
pub async fn export_csv<W: std::io::Write>(
    store: &Store,
    org_id: &str,
    kind: &'static Kind,
    out: W,
) -> Result<usize, AppError> {
    let io = |e: csv::Error| AppError::Store(pawl_store::StoreError::Corrupt(format!("writing the export: {e}")));
    let mut w = csv::Writer::from_writer(out);
    w.write_record(export_header(kind)).map_err(io)?;
    let n = for_each(store, org_id, kind, |r, names| {
        w.write_record(
            export_cells(r, names)
                .iter()
                .map(|c| pawl_domain::risk::import::spreadsheet_safe(c).into_owned()),
        )
        .map_err(io)
    })
    .await?;
    w.flush().map_err(|e| io(e.into()))?;
    Ok(n)
}

/// Links two records; both must be live records of the principal's
/// organisation.
pub async fn link(
    store: &Store,
    p: &Principal,
    from: (&str, &str),
    link_type: &str,
    to: (&str, &str),
    note: &str,
) -> Result<Link, AppError> {
    pawl_domain::register::check_text("note", note)?;
    if note.chars().count() > 1000 {
        return Err(DomainError::field("note", "use at most 1000 characters").into());
    }
    let mut tx = store.write(&p.organisation.id, &p.actor()).await?;
    let l = tx.link_records(from, link_type, to, note).await?;
    let ends = [
        (from.0.to_owned(), from.1.to_owned()),
        (to.0.to_owned(), to.1.to_owned()),
    ];
    after_link(&mut tx, &ends).await?;
    tx.commit().await?;
    Ok(l)
}

pub async fn unlink(store: &Store, p: &Principal, id: &str) -> Result<(), AppError> {
    let mut tx = store.write(&p.organisation.id, &p.actor()).await?;
    let ends = tx.unlink(id).await?;
    after_link(&mut tx, &ends).await?;
    tx.commit().await?;
    Ok(())
}

/// What a link or unlink keeps in step on its two ends, by each end's
/// kind's rules: whether a lesson drove a change, an objective's progress,
/// whether a requirement is addressed.
pub async fn after_link(tx: &mut pawl_store::AuditedTx, ends: &[(String, String); 2]) -> Result<(), AppError> {
    for (key, id) in ends {
        if let Some(rules) = rules_of_key(key) {
            rules.after_link(tx, id).await?;
        }
    }
    Ok(())
}

/// The most items my-work shows; beyond this a person has a backlog, not a list.
pub const MY_WORK_LIMIT: i64 = 1000;

/// Everything assigned to the principal, soonest due (so overdue) first.
pub async fn my_work(store: &Store, p: &Principal) -> Result<Vec<WorkItem>, AppError> {
    Ok(store.org(&p.organisation.id).my_work(&p.user_id, MY_WORK_LIMIT).await?)
}
