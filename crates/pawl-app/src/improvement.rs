//! Continual improvement (clause 10.1): the rules of the improvement
//! register, incidents and near misses, lessons learned and staff
//! suggestions, which the generic register path reaches through
//! `crate::rules`.

use crate::rules::{record_reason, set, Cx, KindRules, Move};
use crate::{today, AppError, Principal};
use pawl_domain::register::fields;
use pawl_domain::register::{
    phase_of, source_kind, FieldRef, Kind, Value, CHANGE_KINDS, IMPROVEMENT, INCIDENT, LESSON, STEPS, SUGGESTION,
};
use pawl_domain::{DomainError, Problems};
use pawl_store::{AuditedTx, Record, Store, TimelineEntry};

pub(crate) fn text(s: impl Into<String>) -> Value {
    Value::Text(s.into())
}

/// Today's date where a date field was left empty.
pub(crate) fn default_today(field: FieldRef, values: &mut [Value]) {
    if field.is_empty(values) {
        field.set(values, Value::OptText(Some(today().to_string())));
    }
}

/// The improvement register's rules (clause 10.1): a source, resolved and
/// linked; a phase that follows its step; an evaluation that knows what the
/// change touched; a log of skipped steps and failed evaluations.
pub struct ImprovementRules;

impl KindRules for ImprovementRules {
    type Found = Option<(&'static str, String)>;

    async fn check(
        &self,
        cx: &Cx<'_>,
        current: Option<&Record>,
        values: &mut [Value],
    ) -> Result<Self::Found, AppError> {
        check_improvement(current, values)?;
        resolve_source(cx.store, cx.org_id, &IMPROVEMENT, values).await
    }

    async fn written(&self, tx: &mut AuditedTx, r: Record, source: Self::Found, _: bool) -> Result<Record, AppError> {
        linked_to_source(tx, r, source).await
    }

    async fn before_move(&self, tx: &mut AuditedTx, m: &Move<'_>, r: &Record) -> Result<(), AppError> {
        if m.to != "evaluate" {
            return Ok(());
        }
        let kinds = [
            "document",
            "applied_control",
            "risk",
            "training",
            "treatment_action",
            "asset",
        ];
        if tx.links_from((IMPROVEMENT.key, &r.id), "changed", &kinds).await? == 0 {
            return Err(DomainError::field(
                "links",
                "link what the change touched first (this improvement *changed* a document, control, risk or training), so that the evaluation knows what to measure",
            )
            .into());
        }
        Ok(())
    }

    /// The phase, the evaluation's decision, and the reason given for a
    /// skipped step or a withdrawal, appended to the step log.
    fn on_move(&self, kind: &Kind, m: &Move<'_>, values: &mut [Value]) {
        let (from, to, who) = (m.from, m.to, m.mover.email);
        let day = today().to_string();
        let append = |values: &mut [Value], field: &str, line: String| {
            let old = kind.text(values, field);
            let new = if old.is_empty() { line } else { format!("{old}\n{line}") };
            set(kind, values, field, text(new));
        };
        if let Some((field, why)) = m.reason {
            let skipped: Vec<&str> = STEPS
                .iter()
                .skip_while(|s| **s != from)
                .skip(1)
                .take_while(|s| **s != to)
                .map(|s| step_label(s))
                .collect();
            let line = if to == "withdrawn" || skipped.is_empty() {
                format!("{day} {} by {who}: {why}", step_label(to))
            } else {
                format!("{day} skipped {} by {who}: {why}", skipped.join(" and "))
            };
            append(values, field, line);
        }
        fields::improvement::PHASE.set(values, text(phase_of(to)));
        match (from, to) {
            ("evaluate", "closed") => {
                fields::improvement::EVALUATION.set(values, text("effective"));
                default_today(fields::improvement::EVALUATED_ON, values);
            }
            ("evaluate", "analyse") => {
                // The failed measurement is kept in the log; the next
                // evaluation must measure again.
                let result = fields::improvement::MEASURED_RESULT.text(values);
                append(
                    values,
                    "step_log",
                    format!("{day} not effective, back to analysis by {who}: {result}"),
                );
                fields::improvement::EVALUATION.set(values, text("not_effective"));
                let n = match fields::improvement::SENT_BACK.value(values) {
                    Some(Value::Int(n)) => *n,
                    _ => 0,
                };
                fields::improvement::SENT_BACK.set(values, Value::Int(n + 1));
                fields::improvement::MEASURED_RESULT.set(values, text(""));
                fields::improvement::EVALUATED_ON.set(values, Value::OptText(None));
            }
            (_, "implement") => default_today(fields::improvement::IMPLEMENTED_ON, values),
            _ => {}
        }
    }
}

/// A record written with the source its check resolved, linked to it.
async fn linked_to_source(
    tx: &mut AuditedTx,
    r: Record,
    source: Option<(&'static str, String)>,
) -> Result<Record, AppError> {
    if let Some((kind, id)) = source {
        link_source(tx, &r, (kind, &id)).await?;
    }
    Ok(r)
}

/// The lesson register's rules (clause 10.1): learned today unless told
/// otherwise, linked to where it came from, and whether it drove a change
/// kept in step with its links.
pub struct LessonRules;

impl KindRules for LessonRules {
    type Found = Option<(&'static str, String)>;

    async fn check(
        &self,
        cx: &Cx<'_>,
        current: Option<&Record>,
        values: &mut [Value],
    ) -> Result<Self::Found, AppError> {
        check_lesson(current, values);
        resolve_source(cx.store, cx.org_id, &LESSON, values).await
    }

    async fn written(&self, tx: &mut AuditedTx, r: Record, source: Self::Found, _: bool) -> Result<Record, AppError> {
        linked_to_source(tx, r, source).await
    }

    async fn after_link(&self, tx: &mut AuditedTx, id: &str) -> Result<(), AppError> {
        Ok(tx.refresh_lesson_change(id, CHANGE_KINDS).await?)
    }
}

/// The incident register's rules (Annex A 5.24-5.28): found today unless
/// told otherwise, reported by whoever reports it, and a timeline that
/// records the report and each move with its date.
pub struct IncidentRules;

impl KindRules for IncidentRules {
    type Found = ();
    const CREATOR: Option<&'static str> = Some("reported_by");

    async fn check(&self, _: &Cx<'_>, current: Option<&Record>, values: &mut [Value]) -> Result<(), AppError> {
        check_incident(current, values)
    }

    async fn written(&self, tx: &mut AuditedTx, r: Record, _: (), created: bool) -> Result<Record, AppError> {
        if !created {
            return Ok(r);
        }
        let kind_of = fields::incident::TYPE;
        let as_type = kind_of
            .value(&r.values)
            .map_or(String::new(), |v| r.kind.label_of(kind_of.field(), v).to_lowercase());
        let entry = match fields::incident::REPORTED_BY.value(&r.values) {
            Some(Value::Person { user_id: Some(_), name }) => format!("Reported by {name} as {as_type}"),
            _ => format!("Reported as {as_type}"),
        };
        tx.add_timeline(&r.id, &fields::incident::DETECTED_ON.text(&r.values), &entry)
            .await?;
        Ok(r)
    }

    /// The reason, and the day of containment or recovery when none is given.
    fn on_move(&self, kind: &Kind, m: &Move<'_>, values: &mut [Value]) {
        record_reason(kind, m, values);
        match m.to {
            "contained" => default_today(fields::incident::CONTAINED_ON, values),
            "recovered" => default_today(fields::incident::RECOVERED_ON, values),
            _ => {}
        }
    }

    async fn after_move(&self, _: &Store, tx: &mut AuditedTx, m: &Move<'_>, moved: &Record) -> Result<(), AppError> {
        timeline_of_move(tx, moved, m.reason.map(|(_, why)| why)).await
    }
}

/// The suggestion register's rules (clause 10.1): a submitter who may stay
/// unnamed, and an accepted suggestion that becomes an improvement.
pub struct SuggestionRules;

impl KindRules for SuggestionRules {
    type Found = Option<String>;
    const CREATOR: Option<&'static str> = Some("submitted_by");

    async fn check(&self, _: &Cx<'_>, current: Option<&Record>, values: &mut [Value]) -> Result<Self::Found, AppError> {
        Ok(if current.is_none() {
            take_submitter(values)
        } else {
            None
        })
    }

    async fn written(
        &self,
        tx: &mut AuditedTx,
        r: Record,
        submitter: Self::Found,
        _: bool,
    ) -> Result<Record, AppError> {
        if let Some(user) = submitter {
            tx.set_submitter(&r.id, &user).await?;
        }
        Ok(r)
    }

    async fn after_move(&self, _: &Store, tx: &mut AuditedTx, m: &Move<'_>, moved: &Record) -> Result<(), AppError> {
        if m.to == "accepted" {
            accept_suggestion(tx, m.mover.user_id, m.mover.email, moved).await?;
        }
        Ok(())
    }
}

/// The record a source names by reference, resolved against the register
/// of its source (an improvement may also come from a lesson). A source
/// pawl has no register for yet keeps the text as given.
async fn resolve_source(
    store: &Store,
    org_id: &str,
    kind: &Kind,
    values: &[Value],
) -> Result<Option<(&'static str, String)>, AppError> {
    let reference = kind.text(values, "source_record");
    if reference.is_empty() {
        return Ok(None);
    }
    let source = kind.text(values, "source");
    let reader = store.org(org_id);
    let mut tried = Vec::new();
    for target in source_kind(&source).into_iter().chain(["lesson"]) {
        if target == kind.key {
            continue;
        }
        if let Some(id) = reader.find_record(target, &reference).await? {
            return Ok(Some((target, id)));
        }
        tried.push(
            pawl_domain::register::link::linkable(target)
                .unwrap_or(target)
                .to_lowercase(),
        );
    }
    if source_kind(&source).is_none() {
        return Ok(None);
    }
    Err(DomainError::field(
        "source_record",
        format!("no live {} is named {reference:?}", tried.join(" or ")),
    )
    .into())
}

/// An improvement's values before they are stored: Other as the source
/// when none is given, identified today, its phase from its step.
pub fn check_improvement(current: Option<&Record>, values: &mut [Value]) -> Result<(), AppError> {
    let k = &IMPROVEMENT;
    if fields::improvement::SOURCE.text(values).is_empty() {
        fields::improvement::SOURCE.set(values, text("other"));
    }
    default_today(fields::improvement::IDENTIFIED_ON, values);
    let status = current
        .and_then(|r| r.status.clone())
        .unwrap_or_else(|| "identify".into());
    fields::improvement::PHASE.set(values, text(phase_of(&status)));
    // A state's fields stay needed while the record is in it.
    if let (Some(r), Some(w)) = (current, k.workflow) {
        w.check_entry(k, r.status.as_deref().unwrap_or(""), values)?;
    }
    Ok(())
}

/// An incident is found today unless told otherwise; its reporter is
/// whoever reported it.
fn check_incident(current: Option<&Record>, values: &mut [Value]) -> Result<(), AppError> {
    default_today(fields::incident::DETECTED_ON, values);
    let mut p = Problems::default();
    let (occurred, detected) = (
        fields::incident::OCCURRED_ON.text(values),
        fields::incident::DETECTED_ON.text(values),
    );
    if !occurred.is_empty() && occurred > detected {
        p.push("occurred_on", "it cannot have happened after it was found");
    }
    if let (Some(r), Some(w)) = (current, INCIDENT.workflow) {
        if let Err(DomainError::Invalid(e)) = w.check_entry(&INCIDENT, r.status.as_deref().unwrap_or(""), values) {
            p.0.extend(e);
        }
    }
    Ok(p.finish()?)
}

/// A lesson is learned today unless told otherwise; a new one has driven
/// no change yet.
fn check_lesson(current: Option<&Record>, values: &mut [Value]) {
    default_today(fields::lesson::LEARNED_ON, values);
    if current.is_none() {
        fields::lesson::CHANGE.set(values, text("none"));
    }
}

/// A new suggestion's submitter, taken out of its fields when they asked
/// for their name to be hidden. Returns the member to keep apart.
fn take_submitter(values: &mut [Value]) -> Option<String> {
    let submitted_by = fields::suggestion::SUBMITTED_BY;
    let user = match submitted_by.value(values)? {
        Value::Person { user_id, .. } => user_id.clone(),
        _ => None,
    };
    if fields::suggestion::HIDDEN.text(values) == "yes" {
        submitted_by.set(
            values,
            Value::Person {
                user_id: None,
                name: String::new(),
            },
        );
    }
    user
}

/// Links a record to the one it came from, once, and keeps the lesson it
/// may have come from up to date.
pub async fn link_source(tx: &mut AuditedTx, r: &Record, source: (&str, &str)) -> Result<(), AppError> {
    let me = (r.kind.key, r.id.as_str());
    if !tx.is_linked(me, "derived_from", source).await? {
        tx.link_records(me, "derived_from", source, "where it came from")
            .await?;
    }
    if source.0 == LESSON.key {
        tx.refresh_lesson_change(source.1, CHANGE_KINDS).await?;
    }
    Ok(())
}

/// The label of a step for a person.
fn step_label(code: &str) -> &'static str {
    IMPROVEMENT.workflow.map_or("Unknown", |w| w.label(code))
}

/// What an incident's move writes in its timeline.
async fn timeline_of_move(tx: &mut AuditedTx, moved: &Record, reason: Option<&str>) -> Result<(), AppError> {
    let Some(w) = INCIDENT.workflow else { return Ok(()) };
    let to = moved.status.as_deref().unwrap_or("");
    let entry = match reason {
        Some(r) => format!("{}: {r}", w.label(to)),
        None => w.label(to).to_owned(),
    };
    // Containment and recovery keep the dates recorded for them.
    let day = match to {
        "contained" => fields::incident::CONTAINED_ON.text(&moved.values),
        "recovered" => fields::incident::RECOVERED_ON.text(&moved.values),
        _ => String::new(),
    };
    let day = if day.is_empty() { today().to_string() } else { day };
    tx.add_timeline(&moved.id, &day, &entry).await?;
    Ok(())
}

/// An accepted suggestion becomes an improvement, derived from it, owned
/// by whoever accepted it.
async fn accept_suggestion(
    tx: &mut AuditedTx,
    user_id: Option<&str>,
    email: &str,
    s: &Record,
) -> Result<Record, AppError> {
    let mut values = IMPROVEMENT.empty();
    let k = &IMPROVEMENT;
    fields::improvement::TITLE.set(&mut values, text(fields::suggestion::TITLE.text(&s.values)));
    fields::improvement::DESCRIPTION.set(&mut values, text(fields::suggestion::DESCRIPTION.text(&s.values)));
    fields::improvement::SOURCE.set(&mut values, text("staff_suggestion"));
    set(
        k,
        &mut values,
        "source_record",
        text(s.reference.clone().unwrap_or_default()),
    );
    set(
        k,
        &mut values,
        "owner",
        Value::Person {
            user_id: user_id.map(str::to_owned),
            name: email.to_owned(),
        },
    );
    check_improvement(None, &mut values)?;
    let improvement = tx.create_record(&IMPROVEMENT, values).await?;
    link_source(tx, &improvement, (SUGGESTION.key, &s.id)).await?;
    let mut values = s.values.clone();
    set(
        &SUGGESTION,
        &mut values,
        "improvement_id",
        Value::OptText(Some(improvement.id.clone())),
    );
    Ok(tx.update_record(&SUGGESTION, &s.id, values, None).await?)
}

/// The most a timeline entry holds.
const MAX_ENTRY: usize = 2000;

/// Adds a dated entry to an incident's timeline: `happened_at` is a date,
/// or a date and time as `YYYY-MM-DDTHH:MM`.
pub async fn add_timeline(
    store: &Store,
    p: &Principal,
    incident_id: &str,
    happened_at: &str,
    entry: &str,
) -> Result<TimelineEntry, AppError> {
    let mut problems = Problems::default();
    let entry = entry.trim();
    if entry.is_empty() {
        problems.push("entry", "say what happened or what was done");
    } else if entry.chars().count() > MAX_ENTRY {
        problems.push("entry", format!("use at most {MAX_ENTRY} characters"));
    } else {
        problems.take(pawl_domain::register::check_text("entry", entry));
    }
    let at = happened_at.trim();
    let (date, clock) = at.split_once('T').unwrap_or((at, ""));
    let clock_ok = clock.is_empty()
        || (clock.len() == 5
            && clock.as_bytes()[2] == b':'
            && clock[..2].parse::<u8>().is_ok_and(|h| h < 24)
            && clock[3..].parse::<u8>().is_ok_and(|m| m < 60));
    match pawl_domain::register::check_date("happened_at", date) {
        Ok(d) if clock_ok => {
            if d > today().to_string() {
                problems.push(
                    "happened_at",
                    "a timeline records what has happened; this is in the future",
                );
            }
        }
        Ok(_) => problems.push("happened_at", "give the time as HH:MM after a T, e.g. 2026-03-04T14:30"),
        Err(e) => {
            problems.take::<()>(Err(e));
        }
    }
    problems.finish()?;
    // The incident must be a live one of this organisation.
    store.org(&p.organisation.id).record(&INCIDENT, incident_id).await?;
    let mut tx = store.write(&p.organisation.id, &p.actor()).await?;
    let e = tx.add_timeline(incident_id, at, entry).await?;
    tx.commit().await?;
    Ok(e)
}

/// A column of the improvement board: a step (or the closed items), its
/// count under the filter, and its first cards, soonest due first.
#[derive(Debug, Clone)]
pub struct BoardColumn {
    pub step: &'static str,
    pub label: &'static str,
    pub phase: &'static str,
    pub count: i64,
    pub cards: Vec<Record>,
}

/// The improvement board (10.1): a column per step and one for the items
/// closed effective, each with its count and its first `per_column` cards.
pub async fn board(
    store: &Store,
    org_id: &str,
    filter: &pawl_store::RecordFilter,
    per_column: u32,
) -> Result<Vec<BoardColumn>, AppError> {
    let reader = store.org(org_id);
    let counts = reader.status_counts(&IMPROVEMENT, filter).await?;
    let mut out = Vec::new();
    for step in STEPS.iter().copied().chain(["closed"]) {
        let count = counts.iter().find(|(s, _)| s == step).map_or(0, |(_, n)| *n);
        let cards = if count == 0 {
            Vec::new()
        } else {
            let f = pawl_store::RecordFilter {
                status: vec![step.to_owned()],
                ..filter.clone()
            };
            reader
                .records(
                    &IMPROVEMENT,
                    &f,
                    &pawl_store::ListQuery {
                        limit: Some(per_column),
                        sort: Some("target_date".into()),
                        skip_total: true,
                        ..Default::default()
                    },
                )
                .await?
                .items
        };
        out.push(BoardColumn {
            step,
            label: step_label(step),
            phase: phase_of(step),
            count,
            cards,
        });
    }
    Ok(out)
}
