//! The one service path of every declared register: input read against the
//! declaration, people resolved to members, the row-level rules a kind adds,
//! workflow moves under the permission they declare, links and my-work.
//! A document's own rules live in `crate::document`; this path calls them. The
//! API, the UI and the CLI all come through here (clause 7.5.3).

use crate::{context, improvement, performance, AppError, Principal};
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
    /// A new finding, checked against its audit again and which may open
    /// a nonconformity.
    NewFinding,
    /// The record a new or changed record came from, to link to.
    Source(Option<(&'static str, String)>),
    /// Who submitted a new suggestion, kept apart from its fields.
    Submitter(Option<String>),
    /// A new incident, whose timeline starts with its report.
    Reported,
    /// Who must complete a training campaign.
    TrainingAudience(Vec<(String, Option<String>)>),
    /// A supplier, whose review dates follow its criticality.
    SupplierDates,
    /// A metric, whose status follows its thresholds and latest measurement.
    Metric,
    /// An objective, whose progress follows its metrics and date.
    Objective,
    /// A new review decision, which may open an improvement.
    Decision,
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
            let checklist = crate::internal_audit::check_audit(current, values)?;
            if let Some(p) = p {
                crate::internal_audit::refuse_conflicts(store, p, values).await?;
            }
            Found::Checklist(checklist)
        }
        "audit_programme" => {
            crate::internal_audit::check_programme(values)?;
            Found::Nothing
        }
        "finding" => {
            crate::internal_audit::check_finding(store, org_id, current, values).await?;
            if current.is_none() {
                Found::NewFinding
            } else {
                Found::Nothing
            }
        }
        "improvement" => {
            improvement::check_improvement(current, values)?;
            Found::Source(improvement::resolve_source(store, org_id, kind, values).await?)
        }
        "lesson" => {
            improvement::check_lesson(current, values);
            Found::Source(improvement::resolve_source(store, org_id, kind, values).await?)
        }
        "incident" => {
            improvement::check_incident(current, values)?;
            if current.is_none() {
                Found::Reported
            } else {
                Found::Nothing
            }
        }
        "suggestion" if current.is_none() => Found::Submitter(improvement::take_submitter(values)),
        "cycle" => {
            crate::cycle::check(store, org_id, current, values).await?;
            Found::Nothing
        }
        "context_issue" => {
            context::check_issue(store, org_id, values).await?;
            Found::Nothing
        }
        "requirement" => {
            context::check_requirement(current, values);
            Found::Nothing
        }
        "scope" => {
            if let Some(c) = current.filter(|c| matches!(c.status.as_deref(), Some("approved" | "superseded"))) {
                return Err(AppError::Store(pawl_store::StoreError::Conflict(format!(
                    "{} was approved and is kept as approved; write a new version instead",
                    c.title()
                ))));
            }
            context::check_scope(values)?;
            Found::Nothing
        }
        "training" => Found::TrainingAudience(context::check_training(store, org_id, values).await?),
        "supplier" => {
            context::check_supplier(values);
            Found::SupplierDates
        }
        "metric" => {
            performance::check_metric(current, values)?;
            Found::Metric
        }
        "objective" => Found::Objective,
        "review_decision" if current.is_none() => Found::Decision,
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
        ("finding", false) => crate::internal_audit::check_finding_retire(tx, r).await?,
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
            // A reported, closed or cancelled audit's checklist is kept as it was.
            if !matches!(r.status.as_deref(), Some("reported" | "closed" | "cancelled")) {
                tx.sync_checklist(&r.id, &items).await?;
            }
            return Ok(r);
        }
        Found::Recurrence(keys) => tx.set_recurrence_keys(&r.id, Some(&keys)).await?,
        Found::NewFinding => crate::internal_audit::new_finding(tx, &r).await?,
        Found::Source(None) | Found::Submitter(None) => return Ok(r),
        Found::Source(Some((kind, id))) => {
            improvement::link_source(tx, &r, (kind, &id)).await?;
            return Ok(r);
        }
        Found::Submitter(Some(user)) => {
            tx.set_submitter(&r.id, &user).await?;
            return Ok(r);
        }
        Found::TrainingAudience(entries) => {
            tx.set_training_audience(&r.id, &entries).await?;
            // The round's start follows the due date and the recurrence as stored.
            return rederive(tx, r, context::check_training_round).await;
        }
        Found::SupplierDates => return rederive(tx, r, context::check_supplier).await,
        Found::Metric => return performance::refresh_metric(tx, &r.id).await,
        Found::Objective => return performance::refresh_objective(tx, &r.id).await,
        Found::Decision => return performance::open_improvement(tx, &r).await,
        Found::Reported => {
            let as_type = r.kind.field("type").map_or(String::new(), |f| {
                r.kind
                    .label_of(f, r.value("type").unwrap_or(&Value::Text(String::new())))
                    .to_lowercase()
            });
            let entry = match r.value("reported_by") {
                Some(Value::Person { user_id: Some(_), name }) => format!("Reported by {name} as {as_type}"),
                _ => format!("Reported as {as_type}"),
            };
            tx.add_timeline(&r.id, &r.text("detected_on"), &entry).await?;
            return Ok(r);
        }
    }
    Ok(tx.record_for_update(r.kind, &r.id).await?)
}

/// Who makes a move: a member, or pawl itself (the demo), who is no member.
pub struct Mover<'a> {
    pub organisation: &'a pawl_store::Organisation,
    pub user_id: Option<&'a str>,
    pub email: &'a str,
}

impl<'a> Mover<'a> {
    fn of(p: &'a Principal) -> Self {
        Mover {
            organisation: &p.organisation,
            user_id: Some(&p.user_id),
            email: &p.email,
        }
    }
}

/// The most a move's reason holds.
const MAX_REASON: usize = 2000;

/// Sets a record's derived fields again from its stored values, for the
/// kinds whose derived fields follow other fields (a change copies the
/// derived ones as stored); writes only when they moved.
async fn rederive(tx: &mut pawl_store::AuditedTx, r: Record, derive: fn(&mut [Value])) -> Result<Record, AppError> {
    let mut values = r.values.clone();
    derive(&mut values);
    if values == r.values {
        return Ok(r);
    }
    Ok(tx.update_record(r.kind, &r.id, values, None).await?)
}

/// Moves a record in `tx` once the new state's fields are there and its
/// kind's own conditions hold, and sets what the move implies: the reason a
/// move needs, an improvement's phase and evaluation, an incident's
/// timeline, a suggestion's improvement, a cycle's frozen figures.
#[allow(clippy::too_many_arguments)]
async fn make_move(
    store: &Store,
    tx: &mut pawl_store::AuditedTx,
    p: &Mover<'_>,
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
    crate::nonconformity::check_move(tx, p.organisation, r, to).await?;
    improvement::check_move(tx, r, to).await?;
    if (kind.key, to) == ("scope", "approved") {
        context::check_approver(r, p.user_id)?;
        context::check_scope(&r.values)?;
    }
    let moved = tx.transition_record(kind, &r.id, to, expected).await?;
    crate::nonconformity::after_move(tx, p, &moved).await?;
    if let Some(values) = improvement::moved_values(kind, &from, &moved, reason, p.email) {
        tx.update_record(kind, &r.id, values, None).await?;
    }
    match (kind.key, to) {
        ("incident", _) => improvement::timeline_of_move(tx, &moved, reason.map(|(_, why)| why)).await?,
        ("suggestion", "accepted") => {
            improvement::accept_suggestion(tx, p.user_id, p.email, &moved).await?;
        }
        ("cycle", "closed") => {
            crate::cycle::freeze(store, &p.organisation.id, tx, &moved).await?;
        }
        ("scope", "approved") => context::after_approval(tx, &moved).await?,
        ("management_review", "approved") => {
            performance::freeze(store, &p.organisation.id, tx, &moved).await?;
        }
        ("objective", _) => {
            performance::refresh_objective(tx, &moved.id).await?;
        }
        _ => {}
    }
    Ok(tx.record_for_update(kind, &r.id).await?)
}

/// A person field of a new record that names its creator, where the kind
/// says so: a document's owner when none is given, who reported an
/// incident, who submitted a suggestion.
fn creator_defaults(kind: &Kind, values: &mut [Value], email: &str) {
    let field = match kind.key {
        "document" => "owner",
        "incident" => "reported_by",
        "suggestion" => "submitted_by",
        "scope" => "author",
        _ => return,
    };
    if let Some(i) = kind.index_of(field) {
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
    creator_defaults(kind, &mut values, &actor.name);
    resolve_people(store, org_id, kind, &mut values).await?;
    let found = kind_rules(store, org_id, None, kind, None, &mut values).await?;
    check_initial(kind, &values)?;
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
    check_reporter(p, kind, input)?;
    let mut values = new_values(kind, input)?;
    creator_defaults(kind, &mut values, &p.email);
    resolve_people(store, org, kind, &mut values).await?;
    may_change(store, p, kind, &values).await?;
    let found = kind_rules(store, org, Some(p), kind, None, &mut values).await?;
    check_initial(kind, &values)?;
    let mut tx = store.write(org, &p.actor()).await?;
    let r = tx.create_record(kind, values).await?;
    let r = write_found(&mut tx, r, found).await?;
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
                Some(field) => {
                    let values = split(value);
                    if let FieldKind::Choice(choices) = &field.kind {
                        if let Some(bad) = values.iter().find(|v| !choices.iter().any(|c| c.code == v.as_str())) {
                            let all: Vec<&str> = choices.iter().map(|c| c.code).collect();
                            p.push(other, format!("{bad:?} is not one of: {}", all.join(", ")));
                        }
                    }
                    f.fields.push((field, values));
                }
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

/// What a link or unlink keeps in step on its two ends: whether a lesson
/// drove a change, an objective's progress, whether a requirement is
/// addressed.
pub async fn after_link(tx: &mut pawl_store::AuditedTx, ends: &[(String, String); 2]) -> Result<(), AppError> {
    improvement::after_link(tx, ends).await?;
    performance::after_link(tx, ends).await?;
    context::after_link(tx, ends).await
}

/// The most items my-work shows; beyond this a person has a backlog, not a list.
pub const MY_WORK_LIMIT: i64 = 1000;

/// Everything assigned to the principal, soonest due (so overdue) first.
pub async fn my_work(store: &Store, p: &Principal) -> Result<Vec<WorkItem>, AppError> {
    Ok(store.org(&p.organisation.id).my_work(&p.user_id, MY_WORK_LIMIT).await?)
}
