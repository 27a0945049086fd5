//! Risk management services (clauses 6.1.2, 6.1.3, 8.2, 8.3): turning what a
//! person typed or imported into valid risks under the organisation's
//! method, acceptance within authority, the review list, import and export.

use crate::people::resolve_owner;
use crate::{AppError, Principal};
use pawl_domain::audit::Actor;
use pawl_domain::identity::Role;
use pawl_domain::register::ASSET;
use pawl_domain::risk::import::{self, Column, ImportProblem, ParsedRegister};
use pawl_domain::risk::method::Axis;
use pawl_domain::risk::{parse_reference, AcceptedAs, Cia, RiskMethod, RiskStatus, TreatmentOption};
use pawl_domain::DomainError;
use pawl_domain::Problems;
use pawl_store::{
    draft_from_risk, Acceptance, ListQuery, MethodVersion, Risk, RiskDraft, RiskFilter, RiskPlan, Score, Store,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A score as people give it: a number on the scale or one of its labels.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum ScoreInput {
    Number(i64),
    Label(String),
}

impl ScoreInput {
    fn text(&self) -> String {
        match self {
            ScoreInput::Number(n) => n.to_string(),
            ScoreInput::Label(s) => s.clone(),
        }
    }
}

/// Changes to a risk: `None` keeps a field, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct RiskInput {
    pub reference: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub category: Option<String>,
    pub threat: Option<String>,
    pub vulnerability: Option<String>,
    /// A member's e-mail, or the name of someone without an account.
    pub owner: Option<String>,
    /// Which of C, I, A is at stake: `CIA`, `C;I`, ...
    pub cia: Option<String>,
    pub likelihood: Option<Option<ScoreInput>>,
    pub impact: Option<Option<ScoreInput>>,
    pub residual_likelihood: Option<Option<ScoreInput>>,
    pub residual_impact: Option<Option<ScoreInput>>,
    pub target_level: Option<Option<String>>,
    /// modify, retain, avoid, share (mitigate, accept, transfer accepted).
    pub treatment: Option<Option<String>>,
    pub status: Option<String>,
    pub review_interval_days: Option<i64>,
    /// YYYY-MM-DD.
    pub next_review: Option<Option<String>>,
    pub asset_ids: Option<Vec<String>>,
    /// Why the risk was (re)assessed, kept with the dated assessment.
    pub note: Option<String>,
    /// YYYY-MM-DD when the assessment was made before today.
    pub assessed_on: Option<String>,
}

const DEFAULT_REVIEW_DAYS: i64 = 365;

fn text_field(p: &mut Problems, field: &str, v: &str, max: usize, required: bool) -> String {
    let t = v.trim();
    if required && t.is_empty() {
        p.push(field, "this cannot be empty");
    } else if t.chars().count() > max {
        p.push(field, format!("use at most {max} characters"));
    }
    t.to_owned()
}

fn parse_date(field: &str, s: &str) -> Result<String, DomainError> {
    pawl_domain::register::check_date(field, s)
}

use crate::today;

fn score(
    p: &mut Problems,
    method: &RiskMethod,
    (lf, imf): (&str, &str),
    l: &Option<ScoreInput>,
    i: &Option<ScoreInput>,
) -> Option<Option<Score>> {
    match (l, i) {
        (None, None) => Some(None),
        (Some(l), Some(i)) => {
            let lv = p.take(method.score(lf, Axis::Likelihood, &l.text()));
            let iv = p.take(method.score(imf, Axis::Impact, &i.text()));
            let (lv, iv) = (lv?, iv?);
            let level = method.level_for(lv, iv)?;
            Some(Some(Score {
                likelihood: i64::from(lv),
                impact: i64::from(iv),
                level: level.key.clone(),
                rank: method.rank(&level.key) as i64,
            }))
        }
        _ => {
            p.push(lf, format!("give both {lf} and {imf}, or neither"));
            None
        }
    }
}

fn input_of(s: &Option<Score>) -> Option<ScoreInput> {
    s.as_ref().map(|s| ScoreInput::Number(s.likelihood))
}

fn impact_of(s: &Option<Score>) -> Option<ScoreInput> {
    s.as_ref().map(|s| ScoreInput::Number(s.impact))
}

/// Applies `input` to `base` under `method`, reporting every problem at once.
pub fn apply(
    method: &MethodVersion,
    base: &RiskDraft,
    input: &RiskInput,
    owner: Option<(Option<String>, String)>,
) -> Result<RiskDraft, DomainError> {
    let m = &method.method;
    let mut p = Problems::default();
    let mut d = base.clone();
    if let Some(r) = &input.reference {
        d.reference = p.take(parse_reference(r)).or(d.reference);
    }
    if let Some(v) = &input.title {
        d.title = text_field(&mut p, "title", v, 300, true);
    } else if d.title.is_empty() {
        p.push("title", "give the risk a title");
    }
    for (field, v, slot, max) in [
        ("description", &input.description, &mut d.description, 10_000),
        ("category", &input.category, &mut d.category, 100),
        ("threat", &input.threat, &mut d.threat, 1_000),
        ("vulnerability", &input.vulnerability, &mut d.vulnerability, 1_000),
    ] {
        if let Some(v) = v {
            *slot = text_field(&mut p, field, v, max, false);
        }
    }
    if let Some((id, name)) = owner {
        d.owner_user_id = id;
        d.owner_name = text_field(&mut p, "owner", &name, 200, false);
    }
    if let Some(c) = &input.cia {
        d.cia = p.take(Cia::parse(c)).map(Cia::code).unwrap_or_default();
    }
    let l = input.likelihood.clone().unwrap_or_else(|| input_of(&base.inherent));
    let i = input.impact.clone().unwrap_or_else(|| impact_of(&base.inherent));
    let rl = input
        .residual_likelihood
        .clone()
        .unwrap_or_else(|| input_of(&base.residual));
    let ri = input
        .residual_impact
        .clone()
        .unwrap_or_else(|| impact_of(&base.residual));
    let scores_changed = input.likelihood.is_some()
        || input.impact.is_some()
        || input.residual_likelihood.is_some()
        || input.residual_impact.is_some();
    // Scores carried over from an older method are kept as given unless
    // re-scored: changing the method never rewrites them silently.
    if scores_changed || d.method_version == method.version || d.method_version == 0 {
        if let Some(s) = score(&mut p, m, ("likelihood", "impact"), &l, &i) {
            d.inherent = s;
        }
        if let Some(s) = score(&mut p, m, ("residual_likelihood", "residual_impact"), &rl, &ri) {
            d.residual = s;
        }
        d.method_version = method.version;
    }
    if let Some(t) = &input.target_level {
        d.target_level = match t.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            None => None,
            Some(t) => match m.levels.iter().find(|l| l.key == t || l.label.eq_ignore_ascii_case(t)) {
                Some(l) => Some(l.key.clone()),
                None => {
                    p.push("target_level", format!("{t:?} is not a level of the risk method"));
                    None
                }
            },
        };
    }
    if let Some(t) = &input.treatment {
        d.treatment = match t.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            None => None,
            Some(t) => p.take(TreatmentOption::parse(t)).map(|t| t.as_str().to_owned()),
        };
    }
    if let Some(s) = &input.status {
        if let Some(st) = p.take(RiskStatus::parse(s)) {
            if st == RiskStatus::Accepted && base.status != "accepted" {
                p.push(
                    "status",
                    "a risk becomes accepted by recording its acceptance, with approver and expiry",
                );
            }
            d.status = st.as_str().to_owned();
        }
    } else if d.status.is_empty() {
        d.status = if d.inherent.is_some() { "assessed" } else { "identified" }.to_owned();
    }
    if let Some(n) = input.review_interval_days {
        if (1..=3660).contains(&n) {
            d.review_interval_days = n;
        } else {
            p.push("review_interval_days", "use 1 to 3660 days");
        }
    } else if d.review_interval_days == 0 {
        d.review_interval_days = DEFAULT_REVIEW_DAYS;
    }
    d.assessed_on = None;
    if let Some(day) = input.assessed_on.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        match pawl_domain::time_fmt::parse_date("assessed_on", day) {
            Ok(date) if date > today() => p.push("assessed_on", "an assessment cannot be dated in the future"),
            Ok(date) if date.year() < 2000 => p.push("assessed_on", "use a date from 2000 on"),
            Ok(date) if date < today() => d.assessed_on = Some(date.to_string()),
            Ok(_) => {}
            Err(e) => {
                p.take::<()>(Err(e));
            }
        }
    }
    // The next review (8.2) follows from the assessment and the interval
    // unless a date is given: set on creation, and again whenever the risk
    // is scored or its interval changes. An empty date means "follow the
    // interval", so no risk is left without one.
    let explicit = input
        .next_review
        .as_ref()
        .and_then(|nr| nr.as_deref().map(str::trim).filter(|s| !s.is_empty()));
    let reassessed = input.likelihood.is_some()
        || input.impact.is_some()
        || input.residual_likelihood.is_some()
        || input.residual_impact.is_some()
        || input.review_interval_days.is_some();
    match explicit {
        Some(s) => d.next_review = p.take(parse_date("next_review", s)),
        None if reassessed || input.next_review.is_some() || d.next_review.is_none() => {
            let from = d
                .assessed_on
                .as_deref()
                .and_then(|a| time::Date::parse(a, time::macros::format_description!("[year]-[month]-[day]")).ok())
                .unwrap_or_else(today);
            d.next_review = Some((from + time::Duration::days(d.review_interval_days)).to_string());
        }
        None => {}
    }
    p.finish()?;
    Ok(d)
}

async fn owner_of(
    store: &Store,
    org_id: &str,
    input: &RiskInput,
) -> Result<Option<(Option<String>, String)>, AppError> {
    match &input.owner {
        Some(o) => Ok(Some(resolve_owner(store, org_id, o).await?)),
        None => Ok(None),
    }
}

pub async fn create_risk(store: &Store, org_id: &str, actor: &Actor, input: &RiskInput) -> Result<Risk, AppError> {
    let owner = owner_of(store, org_id, input).await?;
    let mut tx = store.write(org_id, actor).await?;
    let method = tx.ensure_risk_method().await?;
    let draft = apply(&method, &RiskDraft::default(), input, owner)?;
    let risk = tx
        .create_risk(&draft, input.note.as_deref().unwrap_or("Identified"))
        .await?;
    if let Some(ids) = &input.asset_ids {
        tx.set_risk_assets(&risk.id, ids).await?;
    }
    tx.commit().await?;
    Ok(risk)
}

/// Who changes risks, and which ones: contributors change only the risks
/// they own, managers and admins any, the command line any. The one rule
/// that the API, the pages, re-scoring, retiring and import all pass
/// through, checked against the row as the write transaction reads it.
#[derive(Debug, Clone)]
pub struct RiskEditor {
    pub actor: Actor,
    /// Set for contributors: the user whose risks they may change.
    owned_by: Option<String>,
}

impl RiskEditor {
    pub fn of(p: &Principal) -> Self {
        Self {
            actor: p.actor(),
            owned_by: (p.role == Role::Contributor).then(|| p.user_id.clone()),
        }
    }

    /// The command line and the demo, which act for the organisation.
    pub fn system(actor: &Actor) -> Self {
        Self {
            actor: actor.clone(),
            owned_by: None,
        }
    }

    /// Whether a risk with this owner may be changed.
    pub fn may_change(&self, owner_user_id: Option<&str>) -> bool {
        match &self.owned_by {
            Some(me) => owner_user_id == Some(me.as_str()),
            None => true,
        }
    }

    fn check(&self, risk: &Risk) -> Result<(), AppError> {
        if self.may_change(risk.owner_user_id.as_deref()) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}

/// The risk, when `p` may change it; forbidden otherwise.
pub async fn ensure_may_change(store: &Store, p: &Principal, id: &str) -> Result<Risk, AppError> {
    let risk = store.org(&p.organisation.id).risk(id).await?;
    RiskEditor::of(p).check(&risk)?;
    Ok(risk)
}

/// The treatment-action register's rules (clause 6.1.3 e): an action may be
/// changed by whoever may change its risk.
pub struct TreatmentActionRules;

impl crate::rules::KindRules for TreatmentActionRules {
    type Found = ();

    async fn may_change(
        &self,
        store: &Store,
        p: &Principal,
        values: &[pawl_domain::register::Value],
    ) -> Result<(), AppError> {
        let risk = pawl_domain::register::fields::treatment_action::RISK_ID.text(values);
        if risk.is_empty() {
            return Ok(());
        }
        ensure_may_change(store, p, &risk).await.map(drop).map_err(|e| match e {
            AppError::Store(pawl_store::StoreError::NotFound { .. }) => {
                AppError::Invalid(DomainError::field("risk_id", format!("no risk with id {risk}")))
            }
            other => other,
        })
    }
}

/// Retires a risk: it leaves the register; its history and past
/// assessments stay.
pub async fn retire_risk(
    store: &Store,
    org_id: &str,
    editor: &RiskEditor,
    id: &str,
    expected: Option<i64>,
) -> Result<(), AppError> {
    let mut tx = store.write(org_id, &editor.actor).await?;
    editor.check(&tx.risk_for_update(id).await?)?;
    tx.delete_risk(id, expected).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn update_risk(
    store: &Store,
    org_id: &str,
    editor: &RiskEditor,
    id: &str,
    input: &RiskInput,
    expected: Option<i64>,
) -> Result<Risk, AppError> {
    let owner = owner_of(store, org_id, input).await?;
    let mut tx = store.write(org_id, &editor.actor).await?;
    let method = tx.ensure_risk_method().await?;
    let current = tx.risk_for_update(id).await?;
    editor.check(&current)?;
    let draft = apply(&method, &draft_from_risk(&current), input, owner)?;
    let risk = tx
        .update_risk(id, &draft, expected, input.note.as_deref().unwrap_or(""))
        .await?;
    if let Some(ids) = &input.asset_ids {
        tx.set_risk_assets(id, ids).await?;
    }
    tx.commit().await?;
    Ok(risk)
}

/// Re-scores a risk under the current method: an explicit, audited act.
pub async fn rescore(
    store: &Store,
    org_id: &str,
    editor: &RiskEditor,
    id: &str,
    input: &RiskInput,
    expected: Option<i64>,
) -> Result<Risk, AppError> {
    let current = store.org(org_id).risk(id).await?;
    let mut input = input.clone();
    input.likelihood.get_or_insert(input_of(&current.inherent));
    input.impact.get_or_insert(impact_of(&current.inherent));
    input.residual_likelihood.get_or_insert(input_of(&current.residual));
    input.residual_impact.get_or_insert(impact_of(&current.residual));
    input
        .note
        .get_or_insert_with(|| "Re-scored under the current risk method".into());
    update_risk(store, org_id, editor, id, &input, expected).await
}

#[derive(Debug, Clone)]
pub struct AcceptanceInput {
    pub rationale: String,
    /// YYYY-MM-DD; a year from today when absent.
    pub expires_on: Option<String>,
}

/// Whether this person may accept the risk's residual level, and as whom
/// (6.1.3 f): the page asks before it offers the form, the service before
/// it records. A risk with no owner has no one to act for.
pub fn acceptance_by(risk: &Risk, method: &RiskMethod, level: &str, p: &Principal) -> Result<AcceptedAs, String> {
    let is_owner = risk.owner_user_id.as_deref() == Some(p.user_id.as_str());
    if !is_owner && risk.owner_name.is_empty() {
        return Err("name the risk owner first: acceptance is theirs, or made on their behalf".into());
    }
    method.acceptance_by(level, p.role, is_owner)
}

/// The risk owner accepts the residual risk where the method lets their
/// role accept its level; otherwise an ISMS manager or administrator the
/// method allows accepts it on the owner's behalf (6.1.3 f).
pub async fn accept(
    store: &Store,
    p: &Principal,
    id: &str,
    input: &AcceptanceInput,
    expected: Option<i64>,
) -> Result<Risk, AppError> {
    let org_id = &p.organisation.id;
    let risk = store.org(org_id).risk(id).await?;
    let method = store.org(org_id).risk_method().await?;
    let mut problems = Problems::default();
    let rationale = text_field(&mut problems, "rationale", &input.rationale, 2_000, true);
    let expires_on = match &input.expires_on {
        Some(e) => problems.take(parse_date("expires_on", e)),
        None => Some((today() + time::Duration::days(365)).to_string()),
    };
    if let Some(e) = &expires_on {
        if e.as_str() <= today().to_string().as_str() {
            problems.push("expires_on", "an acceptance must expire after today");
        }
    }
    let level = match risk.residual.as_ref().or(risk.inherent.as_ref()) {
        Some(s) => s.level.clone(),
        None => {
            problems.push("risk", "assess the risk before accepting it");
            String::new()
        }
    };
    problems.finish()?;
    if risk.method_version != method.version {
        return Err(DomainError::field(
            "risk",
            format!(
                "the risk was scored under method version {}; re-score it under version {} before accepting",
                risk.method_version, method.version
            ),
        )
        .into());
    }
    let on_behalf_of =
        match acceptance_by(&risk, &method.method, &level, p).map_err(|why| DomainError::field("risk", why))? {
            AcceptedAs::Owner => None,
            AcceptedAs::OnOwnersBehalf => Some(risk.owner_name.clone()),
        };
    let mut tx = store.write(org_id, &p.actor()).await?;
    let accepted = tx
        .accept_risk(
            id,
            &Acceptance {
                id: String::new(),
                risk_id: id.to_owned(),
                level,
                accepted_by_id: p.user_id.clone(),
                accepted_by_name: p.email.clone(),
                role: p.role.as_str().to_owned(),
                rationale,
                accepted_on: today().to_string(),
                expires_on: expires_on.unwrap_or_default(),
                created_at: String::new(),
                on_behalf_of,
            },
            expected,
        )
        .await?;
    tx.commit().await?;
    Ok(accepted)
}

/// The register's filter of accepted risks by when their current
/// acceptance lapses, as of today.
pub fn acceptance_window(lapse: pawl_domain::risk::AcceptanceLapse) -> pawl_store::ExpiryWindow {
    let (from, before) = lapse.expiries(today());
    pawl_store::ExpiryWindow {
        from: from.map(|d| d.to_string()),
        before: before.to_string(),
    }
}

/// How many risks [`due_for_review`] lists, counted rather than listed.
pub async fn due_for_review_count(store: &Store, org_id: &str) -> Result<i64, AppError> {
    Ok(store.org(org_id).due_for_review_count(&today().to_string()).await?)
}

/// How many accepted risks the register's `acceptance` filter `lapse` shows.
pub async fn acceptances(
    store: &Store,
    org_id: &str,
    lapse: pawl_domain::risk::AcceptanceLapse,
) -> Result<i64, AppError> {
    let filter = RiskFilter {
        acceptance_expires: Some(acceptance_window(lapse)),
        ..Default::default()
    };
    let one = ListQuery {
        limit: Some(1),
        ..Default::default()
    };
    Ok(store.org(org_id).risks(&filter, &one).await?.total)
}

/// Why a risk is on the review list.
#[derive(Debug, Clone, Serialize)]
pub struct DueForReview {
    pub risk: Risk,
    pub reason: String,
}

/// Risks whose review date has come, and accepted risks whose acceptance
/// has expired (they are due again), soonest first.
pub async fn due_for_review(store: &Store, org_id: &str, limit: u32) -> Result<Vec<DueForReview>, AppError> {
    let reader = store.org(org_id);
    let today = today().to_string();
    let filter = RiskFilter {
        review_due_by: Some(today.clone()),
        ..Default::default()
    };
    let q = ListQuery {
        limit: Some(limit),
        sort: Some("next_review".into()),
        ..Default::default()
    };
    let mut due: Vec<DueForReview> = reader
        .risks(&filter, &q)
        .await?
        .items
        .into_iter()
        .map(|r| DueForReview {
            reason: format!("review was due on {}", r.next_review.clone().unwrap_or_default()),
            risk: r,
        })
        .collect();
    for (risk_id, expired) in reader.expired_acceptances(&today).await? {
        if due.iter().any(|d| d.risk.id == risk_id) {
            continue;
        }
        let risk = reader.risk(&risk_id).await?;
        due.push(DueForReview {
            risk,
            reason: format!("acceptance expired on {expired}"),
        });
    }
    Ok(due)
}

/// What an import did or would do.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    pub dry_run: bool,
    /// True when nothing was written because of errors (or a dry run).
    pub refused: bool,
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    pub assets_created: Vec<String>,
    pub errors: Vec<ImportProblem>,
    pub warnings: Vec<ImportProblem>,
    pub columns: Vec<(String, Option<Column>)>,
}

/// Imports a register: every row or none. Rows whose reference matches a
/// live risk update it; others create risks. Owners that match no member
/// are kept by name and reported as warnings; unknown assets are created.
/// The table is read from CSV or, by `pawl-reports`, XLSX.
pub async fn import_table(
    store: &Store,
    org_id: &str,
    editor: &RiskEditor,
    table: Result<import::Table, ImportProblem>,
    mapping: &HashMap<String, String>,
    dry_run: bool,
) -> Result<ImportReport, AppError> {
    let method = store.org(org_id).risk_method().await?;
    let mut report = ImportReport {
        dry_run,
        ..Default::default()
    };
    let table = match table {
        Ok(t) => t,
        Err(problem) => {
            report.refused = true;
            report.errors.push(problem);
            return Ok(report);
        }
    };
    report.rows = table.rows.len();
    let ParsedRegister {
        rows,
        errors,
        warnings,
        columns,
    } = import::parse_table(table, &method.method, mapping);
    report.errors = errors;
    report.warnings = warnings;
    report.columns = columns;
    let owner_col = report.columns.iter().position(|(_, c)| *c == Some(Column::Owner));
    let mut owners: HashMap<String, (Option<String>, String)> = HashMap::new();
    for r in &rows {
        let Some(o) = &r.owner else { continue };
        if owners.contains_key(o) {
            continue;
        }
        let resolved = resolve_owner(store, org_id, o).await?;
        if resolved.0.is_none() {
            report.warnings.push(ImportProblem {
                line: r.line,
                column: owner_col.map(|c| c + 1),
                header: owner_col.map(|c| report.columns[c].0.clone()),
                message: format!("owner {o:?} matches no member; kept as a name"),
            });
        }
        owners.insert(o.clone(), resolved);
    }
    let live = store.org(org_id).live_risk_references().await?;
    let exists = |r: &import::ImportedRisk| r.reference.as_ref().is_some_and(|x| live.contains_key(x));
    // The rule PATCH applies, row by row, before anything is written.
    for r in &rows {
        let Some((owner_id, owner_name)) = r.reference.as_ref().and_then(|x| live.get(x)) else {
            continue;
        };
        if !editor.may_change(owner_id.as_deref()) {
            report.errors.push(ImportProblem {
                line: r.line,
                column: None,
                header: None,
                message: format!(
                    "{} belongs to {}; a contributor changes only the risks they own",
                    r.reference.as_deref().unwrap_or_default(),
                    if owner_name.is_empty() { "no owner" } else { owner_name }
                ),
            });
        }
    }
    if !report.errors.is_empty() || dry_run {
        report.refused = !report.errors.is_empty();
        if dry_run {
            report.updated = rows.iter().filter(|r| exists(r)).count();
            report.created = rows.len() - report.updated;
        }
        return Ok(report);
    }
    let mut tx = store.write(org_id, &editor.actor).await?;
    let method = tx.ensure_risk_method().await?;
    let mut asset_ids: HashMap<String, String> = HashMap::new();
    // New risks go in together through the bulk path; rows that match a
    // live risk update it one by one.
    let mut new_risks: Vec<(RiskDraft, Vec<String>)> = Vec::new();
    let file_refs: std::collections::HashSet<String> = rows.iter().filter_map(|r| r.reference.clone()).collect();
    // Rows without a reference get the next free numbers, skipping those the
    // file itself uses for other rows, reserved all at once.
    let unnumbered = rows.iter().filter(|r| r.reference.is_none()).count();
    let mut fresh_refs = tx.next_references(unnumbered, &file_refs).await?.into_iter();
    // Each row is consumed as it is written, so the parsed file shrinks while
    // the database grows.
    for r in rows {
        let is_live = exists(&r);
        let input = RiskInput {
            reference: r.reference.clone(),
            title: Some(r.title),
            description: Some(r.description),
            category: Some(r.category),
            threat: Some(r.threat),
            vulnerability: Some(r.vulnerability),
            owner: None,
            cia: Some(r.cia.code()),
            likelihood: Some(r.likelihood.map(|v| ScoreInput::Number(i64::from(v)))),
            impact: Some(r.impact.map(|v| ScoreInput::Number(i64::from(v)))),
            residual_likelihood: Some(r.residual_likelihood.map(|v| ScoreInput::Number(i64::from(v)))),
            residual_impact: Some(r.residual_impact.map(|v| ScoreInput::Number(i64::from(v)))),
            target_level: None,
            treatment: Some(r.treatment.map(|t| t.as_str().to_owned())),
            status: r.status.map(|s| s.as_str().to_owned()),
            review_interval_days: None,
            next_review: r.next_review.map(|d| Some(d.to_string())),
            asset_ids: None,
            note: Some(format!("Imported (line {})", r.line)),
            assessed_on: r.assessed_on.map(|d| d.to_string()),
        };
        let owner = r.owner.as_ref().and_then(|o| owners.get(o).cloned());
        let located = |e: DomainError| -> AppError {
            let DomainError::Invalid(fields) = e;
            AppError::Invalid(DomainError::Invalid(
                fields
                    .into_iter()
                    .map(|f| pawl_domain::FieldError::new(f.field, format!("line {}: {}", r.line, f.message)))
                    .collect(),
            ))
        };
        let mut ids = Vec::new();
        for name in &r.assets {
            let id = match asset_ids.get(name) {
                Some(id) => id.clone(),
                None => {
                    let id = match store.org(org_id).asset_id_by_name(name).await? {
                        Some(id) => id,
                        None => {
                            report.assets_created.push(name.clone());
                            let input = serde_json::Map::from_iter([
                                ("name".to_owned(), serde_json::json!(name)),
                                ("asset_type".to_owned(), serde_json::json!("unclassified")),
                            ]);
                            let values = crate::input::new_values(&ASSET, &input)?;
                            tx.create_record(&ASSET, values).await?.id
                        }
                    };
                    asset_ids.insert(name.clone(), id.clone());
                    id
                }
            };
            ids.push(id);
        }
        let existing = match &r.reference {
            Some(reference) if is_live => tx.risk_by_reference(reference).await?,
            _ => None,
        };
        match existing {
            Some(current) => {
                // Checked again on the locked row: the owner may have changed since.
                editor.check(&current)?;
                let mut input = input;
                // An import states the row as it is now: accepted stays accepted.
                if current.status == "accepted" && input.status.as_deref() == Some("accepted") {
                    input.status = None;
                }
                let draft = apply(&method, &draft_from_risk(&current), &input, owner).map_err(located)?;
                report.updated += 1;
                // A row's date may come before what pawl already holds.
                tx.update_risk(&current.id, &draft, None, input.note.as_deref().unwrap_or(""))
                    .await
                    .map_err(|e| match e {
                        pawl_store::StoreError::Invalid(d) => located(d),
                        other => other.into(),
                    })?;
                if !ids.is_empty() {
                    tx.set_risk_assets(&current.id, &ids).await?;
                }
            }
            None => {
                let mut input = input;
                if input.status.as_deref() == Some("accepted") {
                    input.status = Some("treatment_planned".into());
                    report.warnings.push(ImportProblem {
                        line: r.line,
                        column: None,
                        header: None,
                        message:
                            "imported as treatment planned: record the acceptance in pawl, with approver and expiry"
                                .into(),
                    });
                }
                let mut draft = apply(&method, &RiskDraft::default(), &input, owner).map_err(located)?;
                if draft.reference.is_none() {
                    draft.reference = fresh_refs.next();
                }
                report.created += 1;
                new_risks.push((draft, ids));
                // Written a batch at a time, so memory does not grow with the file.
                if new_risks.len() == 400 {
                    tx.create_risks_bulk(&new_risks, "Imported from a spreadsheet").await?;
                    new_risks.clear();
                }
            }
        }
    }
    tx.create_risks_bulk(&new_risks, "Imported from a spreadsheet").await?;
    tx.commit().await?;
    Ok(report)
}

/// The columns of the register export (8.2, 6.1.3 e and f): first those
/// import reads, so that an export reads back in, then what people filter
/// on: levels by name, the treatment plan and the latest acceptance.
pub fn register_header() -> Vec<&'static str> {
    let mut header: Vec<&str> = Column::ALL.iter().map(|c| c.header()).collect();
    header.extend(REGISTER_EXTRA);
    header
}

const REGISTER_EXTRA: [&str; 12] = [
    "Inherent level",
    "Residual level",
    "Target level",
    "Treatment actions",
    "Open actions",
    "Accepted by",
    "Accepted on behalf of",
    "Acceptance rationale",
    "Accepted on",
    "Acceptance expires",
    "Method version",
    "Updated",
];

/// One register row as export cells, in `register_header` order, with
/// labels where people read codes (import reads the labels back).
pub fn register_cells(r: &Risk, assets: &[String], plan: &RiskPlan, levels: &HashMap<String, String>) -> Vec<String> {
    let num = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    let level = |k: Option<&str>| {
        k.map(|k| levels.get(k).cloned().unwrap_or_else(|| k.to_owned()))
            .unwrap_or_default()
    };
    let workflow = pawl_domain::register::TREATMENT_ACTION.workflow;
    let actions: Vec<String> = plan
        .actions
        .iter()
        .map(|a| {
            let mut s = a.description.clone();
            if !a.owner.is_empty() {
                s.push_str(&format!("; {}", a.owner));
            }
            if let Some(d) = &a.due {
                s.push_str(&format!("; due {d}"));
            }
            s.push_str(&format!("; {}", workflow.map_or("", |w| w.label(&a.status))));
            s
        })
        .collect();
    let open = plan
        .actions
        .iter()
        .filter(|a| workflow.and_then(|w| w.state(&a.status)).is_some_and(|s| s.open))
        .count();
    let acc = plan.acceptance.as_ref();
    let acc_text = |f: fn(&Acceptance) -> String| acc.map(f).unwrap_or_default();
    let mut cells = vec![
        r.reference.clone(),
        r.title.clone(),
        r.description.clone(),
        r.category.clone(),
        assets.join("; "),
        r.threat.clone(),
        r.vulnerability.clone(),
        r.owner_name.clone(),
        r.cia.clone(),
        num(r.inherent.as_ref().map(|s| s.likelihood)),
        num(r.inherent.as_ref().map(|s| s.impact)),
        r.treatment
            .as_deref()
            .and_then(|t| TreatmentOption::parse(t).ok())
            .map(|t| t.label().to_owned())
            .unwrap_or_default(),
        num(r.residual.as_ref().map(|s| s.likelihood)),
        num(r.residual.as_ref().map(|s| s.impact)),
        r.next_review.clone().unwrap_or_default(),
        RiskStatus::parse(&r.status).map_or_else(|_| r.status.clone(), |s| s.label().to_owned()),
    ];
    cells.extend([
        level(r.inherent.as_ref().map(|s| s.level.as_str())),
        level(r.residual.as_ref().map(|s| s.level.as_str())),
        level(r.target_level.as_deref()),
        actions.join("\n"),
        open.to_string(),
        acc_text(|a| a.accepted_by_name.clone()),
        acc_text(|a| a.on_behalf_of.clone().unwrap_or_default()),
        acc_text(|a| a.rationale.clone()),
        acc_text(|a| a.accepted_on.clone()),
        acc_text(|a| a.expires_on.clone()),
        r.method_version.to_string(),
        r.updated_at.clone(),
    ]);
    cells
}

/// Walks the whole register in reference order, a page at a time, so that
/// no caller holds more of it than it keeps; `visit` gets each risk with the
/// names of its assets and its treatment plan.
pub async fn for_each_risk(
    store: &Store,
    org_id: &str,
    mut visit: impl FnMut(&Risk, &[String], &RiskPlan) -> Result<(), AppError>,
) -> Result<usize, AppError> {
    let reader = store.org(org_id);
    let mut cursor = None;
    let mut n = 0;
    let none = RiskPlan::default();
    loop {
        let page = reader
            .risks(
                &RiskFilter::default(),
                &ListQuery {
                    limit: Some(500),
                    cursor,
                    sort: Some("reference".into()),
                    skip_total: true,
                    ..Default::default()
                },
            )
            .await?;
        let ids: Vec<String> = page.items.iter().map(|r| r.id.clone()).collect();
        let mut assets = reader.asset_names_for_risks(&ids).await?;
        let plans = reader.plans_for_risks(&ids).await?;
        for r in &page.items {
            visit(
                r,
                &assets.remove(&r.id).unwrap_or_default(),
                plans.get(&r.id).unwrap_or(&none),
            )?;
            n += 1;
        }
        match page.next_cursor {
            Some(c) => cursor = Some(pawl_store::Cursor::decode(&c)?),
            None => break,
        }
    }
    Ok(n)
}

/// The register as export rows, in `register_header` order.
pub async fn for_each_register_row(
    store: &Store,
    org_id: &str,
    mut row: impl FnMut(&[String]) -> Result<(), AppError>,
) -> Result<usize, AppError> {
    let levels = store.org(org_id).risk_method().await?.method.level_labels();
    for_each_risk(store, org_id, |r, assets, plan| {
        row(&register_cells(r, assets, plan, &levels))
    })
    .await
}

/// Writes the register (risk assessment report and treatment plan) as CSV,
/// with formula-like cells neutralised.
pub async fn export_csv<W: std::io::Write>(store: &Store, org_id: &str, out: W) -> Result<usize, AppError> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(register_header()).map_err(io)?;
    let n = for_each_register_row(store, org_id, |cells| {
        w.write_record(cells.iter().map(|c| import::spreadsheet_safe(c).into_owned()))
            .map_err(io)
    })
    .await?;
    w.flush().map_err(|e| io(e.into()))?;
    Ok(n)
}

fn io(e: csv::Error) -> AppError {
    AppError::Store(pawl_store::StoreError::Corrupt(format!("writing the export: {e}")))
}
