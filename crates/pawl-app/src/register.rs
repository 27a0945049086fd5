//! The one service path of every declared register: input read against the
//! declaration, people resolved to members, the row-level rules a kind adds,
//! workflow moves under the permission they declare, links and my-work.
//! A document's own rules live in `crate::document`; this path calls them. The
//! API, the UI and the CLI all come through here (clause 7.5.3).

use crate::{AppError, Principal};
use pawl_domain::register::{FieldKind, Kind, Value, DOCUMENT};
use pawl_domain::{DomainError, Problems};
use pawl_store::{Link, ListQuery, Page, Record, RecordFilter, Store, WorkItem};
use serde_json::{Map, Value as Json};

/// Resolves each person field to a member when its text names one by
/// e-mail, and each record field given by reference or title to its id.
pub async fn resolve_people(store: &Store, org_id: &str, kind: &Kind, values: &mut [Value]) -> Result<(), AppError> {
    for (f, v) in kind.fields.iter().zip(values.iter_mut()) {
        match (&f.kind, &*v) {
            (FieldKind::Person { .. }, Value::Person { name, .. }) => {
                let (user_id, name) = crate::risk::resolve_owner(store, org_id, name).await?;
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
/// change of its records, whichever front end makes it: a treatment action
/// may be changed by whoever may change its risk.
async fn may_change(store: &Store, p: &Principal, kind: &Kind, values: &[Value]) -> Result<(), AppError> {
    if kind.key == pawl_domain::register::TREATMENT_ACTION.key {
        if let Some(Value::OptText(Some(risk))) = kind.index_of("risk_id").map(|i| &values[i]) {
            crate::risk::ensure_may_change(store, p, risk)
                .await
                .map_err(|e| match e {
                    AppError::Store(pawl_store::StoreError::NotFound { .. }) => {
                        AppError::Invalid(DomainError::field("risk_id", format!("no risk with id {risk}")))
                    }
                    other => other,
                })?;
        }
    }
    Ok(())
}

/// What a kind's rules found in a record's values, written with it.
enum Found {
    Nothing,
    /// Who must read a document.
    Audience(crate::document::Audiences),
    /// The keys a nonconformity recurs on.
    Recurrence(pawl_store::RecurrenceKeys),
    /// An audit's checklist: (requirement, title) in order.
    Checklist(Vec<(String, String)>),
    /// A new finding, which may open a nonconformity.
    NewFinding,
}

/// The one place where a kind adds checks to a new or changed record's
/// values (`current` is the stored record of a change), and what they found
/// to write with it. `p` is None for system callers such as the demo, whom
/// the organisation's own choices do not bind.
async fn kind_rules(
    store: &Store,
    org_id: &str,
    p: Option<&Principal>,
    kind: &Kind,
    current: Option<&Record>,
    values: &mut [Value],
) -> Result<Found, AppError> {
    Ok(match kind.key {
        "document" => {
            Found::Audience(crate::document::check(store, org_id, current.map(|r| r.id.as_str()), values).await?)
        }
        "nonconformity" => Found::Recurrence(crate::nonconformity::check(values)?),
        "corrective_action" => {
            match current {
                // Planned only for a nonconformity still open to it.
                None => crate::nonconformity::check_action(store, org_id, values).await?,
                Some(c) => crate::nonconformity::check_action_change(c, values)?,
            }
            Found::Nothing
        }
        "audit" => {
            let checklist = crate::internal_audit::check_audit(values)?;
            if let Some(p) = p {
                crate::internal_audit::refuse_conflicts(store, p, values).await?;
            }
            Found::Checklist(checklist)
        }
        "finding" => {
            crate::internal_audit::check_finding(values)?;
            if current.is_none() {
                Found::NewFinding
            } else {
                Found::Nothing
            }
        }
        _ => Found::Nothing,
    })
}

/// What a kind checks before one of its records is retired, and keeps in
/// step after, in the retiring transaction.
async fn retire_rules(tx: &mut pawl_store::AuditedTx, r: &Record, done: bool) -> Result<(), AppError> {
    match (r.kind.key, done) {
        ("document", false) => crate::document::check_retire(tx, r).await?,
        ("document", true) => tx.refresh_obligations(Some(&r.id), None).await?,
        ("nonconformity", false) => {
            let actions = tx.action_states(&r.id).await?;
            if !actions.is_empty() {
                let names: Vec<&str> = actions.iter().map(|(a, _)| a.as_str()).collect();
                return Err(AppError::Store(pawl_store::StoreError::Conflict(format!(
                    "{} has corrective actions; retire them first: {}",
                    r.title(),
                    names.join(", ")
                ))));
            }
        }
        ("nonconformity", true) => tx.set_recurrence_keys(&r.id, None).await?,
        _ => {}
    }
    Ok(())
}

/// Writes what the kind's rules found; the record as it then stands, since
/// recurrence flags and a finding's nonconformity change it.
async fn write_found(tx: &mut pawl_store::AuditedTx, r: Record, found: Found) -> Result<Record, AppError> {
    match found {
        Found::Nothing => return Ok(r),
        Found::Audience(a) => {
            crate::document::write_audience(tx, &r, &a).await?;
            return Ok(r);
        }
        Found::Checklist(items) => {
            // A closed or cancelled audit's checklist is kept as it was.
            if !matches!(r.status.as_deref(), Some("closed") | Some("cancelled")) {
                tx.sync_checklist(&r.id, &items).await?;
            }
            return Ok(r);
        }
        Found::Recurrence(keys) => tx.set_recurrence_keys(&r.id, Some(&keys)).await?,
        Found::NewFinding => crate::internal_audit::open_nonconformity(tx, &r).await?,
    }
    Ok(tx.record_for_update(r.kind, &r.id).await?)
}

/// Moves a record in `tx` once its kind's own conditions hold, and sets
/// what the move implies.
async fn make_move(
    tx: &mut pawl_store::AuditedTx,
    p: &Principal,
    kind: &'static Kind,
    r: &Record,
    to: &str,
    expected: Option<i64>,
) -> Result<Record, AppError> {
    crate::nonconformity::check_move(tx, &p.organisation, r, to).await?;
    let moved = tx.transition_record(kind, &r.id, to, expected).await?;
    crate::nonconformity::after_move(tx, p, &moved).await?;
    Ok(tx.record_for_update(kind, &r.id).await?)
}

/// A person field left empty on a new record names its creator, where the
/// kind says so (a document's owner).
fn default_owner(kind: &Kind, values: &mut [Value], email: &str) {
    if kind.key != DOCUMENT.key {
        return;
    }
    if let Some(i) = kind.index_of("owner") {
        if values[i].is_empty() {
            values[i] = Value::Person {
                user_id: None,
                name: email.to_owned(),
            };
        }
    }
}

/// Reads a new record's values from `input`, every problem at once.
pub fn new_values(kind: &Kind, input: &Map<String, Json>) -> Result<Vec<Value>, DomainError> {
    kind.apply(&kind.empty(), input, true)
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
    default_owner(kind, &mut values, &actor.name);
    resolve_people(store, org_id, kind, &mut values).await?;
    let found = kind_rules(store, org_id, None, kind, None, &mut values).await?;
    let mut tx = store.write(org_id, actor).await?;
    let r = tx.create_record(kind, values).await?;
    let r = write_found(&mut tx, r, found).await?;
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
    let mut values = new_values(kind, input)?;
    default_owner(kind, &mut values, &p.email);
    resolve_people(store, org, kind, &mut values).await?;
    may_change(store, p, kind, &values).await?;
    let found = kind_rules(store, org, Some(p), kind, None, &mut values).await?;
    let mut tx = store.write(org, &p.actor()).await?;
    let r = tx.create_record(kind, values).await?;
    let r = write_found(&mut tx, r, found).await?;
    tx.commit().await?;
    Ok(r)
}

/// Changes the fields `input` names; the others keep their values. A
/// `status` in the input is a workflow move, made after the fields change.
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
    let current = store.org(org).record(kind, id).await?;
    may_change(store, p, kind, &current.values).await?;
    let mut values = kind.apply(&current.values, &fields, false)?;
    resolve_people(store, org, kind, &mut values).await?;
    let found = kind_rules(store, org, Some(p), kind, Some(&current), &mut values).await?;
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
    let mut r = write_found(&mut tx, r, found).await?;
    if let Some(to) = status.filter(|s| Some(s) != r.status.as_ref()) {
        check_move(p, kind, &r, &to)?;
        // The version was checked by the change above, in this transaction.
        r = make_move(&mut tx, p, kind, &r, &to, None).await?;
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

/// Moves a record through its workflow.
pub async fn transition(
    store: &Store,
    p: &Principal,
    kind: &'static Kind,
    id: &str,
    to: &str,
    expected: Option<i64>,
) -> Result<Record, AppError> {
    let org = &p.organisation.id;
    let current = store.org(org).record(kind, id).await?;
    may_change(store, p, kind, &current.values).await?;
    check_move(p, kind, &current, to)?;
    let mut tx = store.write(org, &p.actor()).await?;
    let r = make_move(&mut tx, p, kind, &current, to, expected).await?;
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
    retire_rules(&mut tx, &current, false).await?;
    let r = tx.retire_record(kind, id, expected).await?;
    retire_rules(&mut tx, &r, true).await?;
    tx.commit().await?;
    Ok(r)
}

/// A list filter from query parameters: each declared filter field by name
/// (comma-separated values match any), `status` and `due_by`. Other
/// parameters are the caller's (paging, sorting); unknown filter-like
/// names are refused by the caller's own parameter check.
pub fn filter(kind: &'static Kind, params: &[(String, String)]) -> Result<RecordFilter, DomainError> {
    let mut p = Problems::default();
    let mut f = RecordFilter::default();
    let split = |v: &str| -> Vec<String> {
        v.split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    };
    for (name, value) in params {
        if value.trim().is_empty() {
            continue;
        }
        if let Err(e) = pawl_domain::register::check_text(name, value) {
            p.take::<()>(Err(e));
            continue;
        }
        match name.as_str() {
            "status" => match kind.workflow {
                Some(w) => {
                    let states = split(value);
                    if let Some(bad) = states.iter().find(|s| w.state(s).is_none()) {
                        let all: Vec<&str> = w.states.iter().map(|s| s.code).collect();
                        p.push("status", format!("{bad:?} is not a state; use: {}", all.join(", ")));
                    }
                    f.status = states;
                }
                None => p.push("status", format!("{} have no workflow", kind.plural)),
            },
            "due_by" if kind.due.is_some() => {
                if let Some(d) = p.take(pawl_domain::register::check_date("due_by", value)) {
                    f.due_by = Some(d);
                }
            }
            other => match kind.field(other).filter(|f| f.filter) {
                Some(field) => f.fields.push((field, split(value))),
                None => {
                    let mut allowed: Vec<&str> = kind.fields.iter().filter(|f| f.filter).map(|f| f.name).collect();
                    if kind.workflow.is_some() {
                        allowed.push("status");
                    }
                    if kind.due.is_some() {
                        allowed.push("due_by");
                    }
                    p.push(
                        other,
                        format!("not a filter of this register; filter by: {}", allowed.join(", ")),
                    );
                }
            },
        }
    }
    p.finish().map(|()| f)
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
    tx.commit().await?;
    Ok(l)
}

pub async fn unlink(store: &Store, p: &Principal, id: &str) -> Result<(), AppError> {
    let mut tx = store.write(&p.organisation.id, &p.actor()).await?;
    tx.unlink(id).await?;
    tx.commit().await?;
    Ok(())
}

/// The most items my-work shows; beyond this a person has a backlog, not a list.
pub const MY_WORK_LIMIT: i64 = 1000;

/// Everything assigned to the principal, soonest due (so overdue) first.
pub async fn my_work(store: &Store, p: &Principal) -> Result<Vec<WorkItem>, AppError> {
    Ok(store.org(&p.organisation.id).my_work(&p.user_id, MY_WORK_LIMIT).await?)
}
