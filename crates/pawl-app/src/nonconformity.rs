//! Nonconformity and corrective action (clause 10.2): the rules the two
//! registers add to the register machinery, the root-cause analysis, and
//! verification of effectiveness by someone other than the implementer.
//!
//! A nonconformity moves open → action plan approved (not before a root
//! cause is recorded) → awaiting verification (every action implemented)
//! → closed (every action verified effective and the change to the ISMS
//! linked). A verification that finds an action not effective reopens it.

use crate::rules::{record_reason, set, Cx, KindRules, Move};
use crate::{AppError, Principal};
use pawl_domain::nonconformity::{
    check_verification, closure_gaps, recurrence_keys, Effectiveness, RootCauseAnalysis, RECURRENCE_DAYS,
};
use pawl_domain::register::fields;
use pawl_domain::register::{Kind, Value, CORRECTIVE_ACTION, NONCONFORMITY};
use pawl_domain::Problems;
use pawl_store::{
    AuditedTx, NewVerification, Organisation, Record, RecurrenceKeys, Store, StoredAnalysis, Verification,
};

use crate::today;

/// Checks a nonconformity's values: its clauses and controls against the
/// catalog (normalised), found today when no date is given. Returns the
/// keys it recurs on, written with it.
pub(crate) fn check(values: &mut [Value]) -> Result<RecurrenceKeys, AppError> {
    crate::input::catalog_ids(&NONCONFORMITY, values)?;
    if fields::nonconformity::DETECTED_ON.text(values).is_empty() {
        set(
            &NONCONFORMITY,
            values,
            "detected_on",
            Value::OptText(Some(today().to_string())),
        );
    }
    Ok(keys_of(values))
}

fn keys_of(values: &[Value]) -> RecurrenceKeys {
    let detected = fields::nonconformity::DETECTED_ON.text(values);
    let day = time::Date::parse(&detected, &time::format_description::well_known::Iso8601::DATE).unwrap_or(today());
    RecurrenceKeys {
        detected_on: day.to_string(),
        window_start: (day - time::Duration::days(RECURRENCE_DAYS)).to_string(),
        window_end: (day + time::Duration::days(RECURRENCE_DAYS)).to_string(),
        keys: recurrence_keys(
            &fields::nonconformity::CLAUSES.list(values),
            &fields::nonconformity::ANNEX_A.list(values),
        ),
    }
}

/// A corrective action is planned for a nonconformity still open to it.
async fn check_action(store: &Store, org_id: &str, values: &[Value]) -> Result<(), AppError> {
    let nc = fields::corrective_action::NONCONFORMITY_ID.text(values);
    if nc.is_empty() {
        return Ok(());
    }
    let r = match store.org(org_id).record(&NONCONFORMITY, &nc).await {
        Ok(r) => r,
        Err(pawl_store::StoreError::NotFound { .. }) => {
            return Err(
                pawl_domain::DomainError::field("nonconformity_id", format!("no nonconformity with id {nc}")).into(),
            )
        }
        Err(e) => return Err(e.into()),
    };
    if r.status.as_deref() == Some("closed") {
        return Err(AppError::Refused(format!(
            "{} is closed; a new problem is a new nonconformity",
            r.title()
        )));
    }
    Ok(())
}

/// An action's effectiveness criteria and verify-from date are what its
/// verifier judges it by: fixed once it is implemented.
fn check_action_change(current: &Record, values: &[Value]) -> Result<(), AppError> {
    if matches!(current.status.as_deref(), Some("planned") | Some("in_progress")) {
        return Ok(());
    }
    let mut p = Problems::default();
    for field in ["effectiveness_criteria", "verify_not_before"] {
        if CORRECTIVE_ACTION.text(&current.values, field) != CORRECTIVE_ACTION.text(values, field) {
            p.push(
                field,
                "fixed once the action is implemented: its verifier judges it by this; move it back to in progress to change it",
            );
        }
    }
    Ok(p.finish()?)
}

/// The nonconformity register's rules (clause 10.2): its clauses and
/// controls from the catalog, the keys it recurs on, what each move needs,
/// and no retirement while it has corrective actions.
pub struct NonconformityRules;

impl KindRules for NonconformityRules {
    type Found = Option<RecurrenceKeys>;

    async fn check(&self, _: &Cx<'_>, _: Option<&Record>, values: &mut [Value]) -> Result<Self::Found, AppError> {
        check(values).map(Some)
    }

    async fn written(&self, tx: &mut AuditedTx, r: Record, keys: Self::Found, _: bool) -> Result<Record, AppError> {
        let Some(keys) = keys else { return Ok(r) };
        tx.set_recurrence_keys(&r.id, Some(&keys)).await?;
        Ok(tx.record_for_update(r.kind, &r.id).await?)
    }

    async fn before_move(&self, tx: &mut AuditedTx, m: &Move<'_>, r: &Record) -> Result<(), AppError> {
        check_move(tx, m.mover.organisation, r, m.to).await
    }

    async fn before_retire(&self, tx: &mut AuditedTx, r: &Record) -> Result<(), AppError> {
        let actions = tx.action_states(&r.id).await?;
        if actions.is_empty() {
            return Ok(());
        }
        let names: Vec<&str> = actions.iter().map(|(a, _)| a.as_str()).collect();
        Err(AppError::Store(pawl_store::StoreError::Conflict(format!(
            "{} has corrective actions; retire them first: {}",
            r.title(),
            names.join(", ")
        ))))
    }

    async fn after_retire(&self, tx: &mut AuditedTx, r: &Record) -> Result<(), AppError> {
        Ok(tx.set_recurrence_keys(&r.id, None).await?)
    }
}

/// The corrective-action register's rules (clause 10.2 c, d): planned for
/// a nonconformity still open, judged by criteria fixed once implemented,
/// implemented with evidence, by whoever marked it so.
pub struct CorrectiveActionRules;

impl KindRules for CorrectiveActionRules {
    type Found = ();

    async fn check(&self, cx: &Cx<'_>, current: Option<&Record>, values: &mut [Value]) -> Result<(), AppError> {
        match current {
            None => check_action(cx.store, cx.org_id, values).await,
            Some(c) => check_action_change(c, values),
        }
    }

    async fn before_move(&self, _: &mut AuditedTx, m: &Move<'_>, r: &Record) -> Result<(), AppError> {
        if m.to == "implemented"
            && fields::corrective_action::COMPLETION_EVIDENCE
                .text(&r.values)
                .is_empty()
        {
            return Err(pawl_domain::DomainError::field(
                "completion_evidence",
                "say what shows the action was done before marking it implemented",
            )
            .into());
        }
        Ok(())
    }

    fn on_move(&self, kind: &Kind, m: &Move<'_>, values: &mut [Value]) {
        record_reason(kind, m, values);
        if m.to == "implemented" {
            fields::corrective_action::IMPLEMENTED_BY.set(values, m.mover.person());
            set(
                kind,
                values,
                "implemented_on",
                Value::OptText(Some(today().to_string())),
            );
        }
    }
}

/// What a nonconformity's move needs beyond its declaration, checked in the
/// transaction that makes it: its plan needs a root cause and an action,
/// verification needs every action done, closing needs them verified and
/// the change recorded.
async fn check_move(tx: &mut AuditedTx, org: &Organisation, r: &Record, to: &str) -> Result<(), AppError> {
    let actions = tx.action_states(&r.id).await?;
    let live: Vec<&(String, String)> = actions.iter().filter(|(_, s)| s != "not_effective").collect();
    match to {
        "actioned" => {
            let no_cause = fields::nonconformity::ROOT_CAUSE.text(&r.values).is_empty()
                || fields::nonconformity::ROOT_CAUSE_CATEGORY.text(&r.values).is_empty();
            if no_cause && !org.allow_plan_without_root_cause {
                return Err(AppError::Refused(format!(
                    "{} has no root cause recorded (a statement and its category); analyse it first (5 whys, fishbone, fault tree or barrier analysis) so that the actions remove the cause, not the symptom (10.2 b)",
                    r.title()
                )));
            }
            // Actions already verified answer for an earlier plan; a
            // reopened nonconformity needs a new one.
            if !live.iter().any(|(_, s)| s != "effective") {
                return Err(AppError::Refused(format!(
                    "{} has no corrective action to approve; plan at least one{}",
                    r.title(),
                    if r.status.as_deref() == Some("reopened") {
                        " that is new since the last one was found not effective"
                    } else {
                        ""
                    }
                )));
            }
        }
        "awaiting_verification" => {
            let open: Vec<String> = live
                .iter()
                .filter(|(_, s)| s == "planned" || s == "in_progress")
                .map(|(reference, _)| reference.clone())
                .collect();
            if !open.is_empty() || live.is_empty() {
                return Err(AppError::Refused(format!(
                    "every corrective action must be implemented first; still open: {}",
                    if open.is_empty() {
                        "none planned".to_owned()
                    } else {
                        open.join(", ")
                    }
                )));
            }
        }
        "closed" => {
            let changes = tx.changes_recorded(&r.id).await?;
            let gaps = closure_gaps(&actions, changes);
            if !gaps.is_empty() {
                return Err(AppError::Refused(format!(
                    "{} cannot close: {}",
                    r.title(),
                    gaps.join("; ")
                )));
            }
        }
        _ => {}
    }
    Ok(())
}

/// Records a nonconformity's root-cause analysis (10.2 b 2). Its category
/// sorts causes for trends; recurrence follows the requirements failed
/// (`recurrence_keys`), so the keys stay as they are.
pub async fn set_root_cause(
    store: &Store,
    p: &Principal,
    nonconformity_id: &str,
    analysis: RootCauseAnalysis,
    expected: Option<i64>,
) -> Result<StoredAnalysis, AppError> {
    let analysis = analysis.check()?;
    let org = &p.organisation.id;
    let nc = store.org(org).record(&NONCONFORMITY, nonconformity_id).await?;
    if nc.status.as_deref() == Some("closed") {
        return Err(AppError::Refused(format!(
            "{} is closed; its analysis is kept as it was",
            nc.title()
        )));
    }
    let mut tx = store.write(org, &p.actor()).await?;
    let stored = tx.set_root_cause(nonconformity_id, &analysis, expected).await?;
    tx.commit().await?;
    Ok(stored)
}

/// Verifies a corrective action's effectiveness (10.2 d): by someone other
/// than its implementer and owner, not before the date set when it was
/// planned. Not effective reopens the nonconformity for new actions.
pub async fn verify(
    store: &Store,
    p: &Principal,
    action_id: &str,
    result: &str,
    notes: &str,
    evidence: &str,
) -> Result<(Verification, Record), AppError> {
    let mut problems = Problems::default();
    let result = problems.take(Effectiveness::parse(result));
    for (field, value) in [("notes", notes), ("evidence", evidence)] {
        problems.take(pawl_domain::register::check_text(field, value));
        if value.chars().count() > 5000 {
            problems.push(field, "use at most 5000 characters");
        }
    }
    if notes.trim().is_empty() {
        problems.push("notes", "say what was checked and what it showed");
    }
    problems.finish()?;
    let result = result.unwrap_or(Effectiveness::NotEffective);
    let org = &p.organisation.id;
    let mut tx = store.write(org, &p.actor()).await?;
    let action = tx.record_for_update(&CORRECTIVE_ACTION, action_id).await?;
    let person = |field: &str| match action.value(field) {
        Some(Value::Person { user_id, .. }) => user_id.clone(),
        _ => None,
    };
    let day = today().to_string();
    let not_before = fields::corrective_action::VERIFY_NOT_BEFORE.text(&action.values);
    check_verification(
        action.status.as_deref().unwrap_or(""),
        &p.user_id,
        person("implemented_by").as_deref(),
        person("owner").as_deref(),
        Some(not_before.as_str()).filter(|d| !d.is_empty()),
        &day,
    )
    .map_err(|why| AppError::Refused(format!("{} cannot be verified by you now: {why}", action.title())))?;
    let v = tx
        .add_verification(&NewVerification {
            action_id: action_id.to_owned(),
            result,
            verified_on: day,
            verifier_user_id: p.user_id.clone(),
            verifier: p.email.clone(),
            notes: notes.trim().to_owned(),
            evidence: evidence.trim().to_owned(),
        })
        .await?;
    let moved = tx.force_status(&CORRECTIVE_ACTION, action_id, result.as_str()).await?;
    if result == Effectiveness::NotEffective {
        let nc = fields::corrective_action::NONCONFORMITY_ID.text(&action.values);
        tx.force_status(&NONCONFORMITY, &nc, "reopened").await?;
    }
    tx.commit().await?;
    Ok((v, moved))
}

/// Why a nonconformity cannot close yet, for its page: empty when it can.
pub async fn closure_check(store: &Store, org_id: &str, nc: &Record) -> Result<Vec<String>, AppError> {
    let reader = store.org(org_id);
    let actions = reader.action_states(&nc.id).await?;
    let changes = reader.changes_recorded(&nc.id).await?;
    Ok(closure_gaps(&actions, changes))
}
