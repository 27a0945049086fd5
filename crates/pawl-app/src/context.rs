//! The organisation around the ISMS: the rules its registers add to the
//! generic path (`crate::rules`), supplier reviews and training
//! completions (4.1-4.3, 7.2, 7.3, A.5.19-5.22).

pub use crate::input::ImportReport;
use crate::input::{check_note, past_date};
use crate::rules::{rederive, Cx, KindRules, Move};
use crate::{today, AppError, Principal};
use pawl_domain::register::fields;
use pawl_domain::register::{
    counts_for_days, review_interval_days, Value, ADDRESSING_KINDS, PESTLE, SCOPE, SUPPLIER, SWOT, TRAINING,
};
use pawl_domain::risk::import::{ImportProblem, Table};
use pawl_domain::{DomainError, Problems};
use pawl_store::{AuditedTx, Completion, NewCompletion, Record, Store, SupplierReview};

fn date_plus(d: &str, days: i64) -> Option<String> {
    let d = pawl_domain::time_fmt::parse_date("date", d).ok()?;
    Some((d + time::Duration::days(days)).to_string())
}

/// The context-issue register's rules (clause 4.1): a category of the
/// method the organisation chose.
pub struct ContextIssueRules;

impl KindRules for ContextIssueRules {
    type Found = ();

    async fn check(&self, cx: &Cx<'_>, _: Option<&Record>, values: &mut [Value]) -> Result<(), AppError> {
        check_issue(cx.store, cx.org_id, values).await
    }
}

/// The requirement register's rules (clause 4.2): addressed while something
/// addresses it by a link.
pub struct RequirementRules;

impl KindRules for RequirementRules {
    type Found = ();

    async fn check(&self, _: &Cx<'_>, current: Option<&Record>, values: &mut [Value]) -> Result<(), AppError> {
        check_requirement(current, values);
        Ok(())
    }

    async fn after_link(&self, tx: &mut AuditedTx, id: &str) -> Result<(), AppError> {
        Ok(tx.refresh_requirement(id, ADDRESSING_KINDS).await?)
    }
}

/// The scope register's rules (clause 4.3, Annex A 5.3): approved by
/// someone other than its author, kept as approved, and superseding the
/// version in force.
pub struct ScopeRules;

impl KindRules for ScopeRules {
    type Found = ();
    const CREATOR: Option<&'static str> = Some("author");

    async fn check(&self, _: &Cx<'_>, current: Option<&Record>, values: &mut [Value]) -> Result<(), AppError> {
        if let Some(c) = current.filter(|c| matches!(c.status.as_deref(), Some("approved" | "superseded"))) {
            return Err(AppError::Store(pawl_store::StoreError::Conflict(format!(
                "{} was approved and is kept as approved; write a new version instead",
                c.title()
            ))));
        }
        check_scope(values)
    }

    async fn before_move(&self, _: &mut AuditedTx, m: &Move<'_>, r: &Record) -> Result<(), AppError> {
        if m.to == "approved" {
            check_approver(r, m.mover.user_id)?;
            check_scope(&r.values)?;
        }
        Ok(())
    }

    async fn after_move(&self, _: &Store, tx: &mut AuditedTx, m: &Move<'_>, moved: &Record) -> Result<(), AppError> {
        if m.to == "approved" {
            after_approval(tx, moved).await?;
        }
        Ok(())
    }
}

/// The training register's rules (clause 7.2): an audience of members and
/// roles, and the date from which a completion counts.
pub struct TrainingRules;

impl KindRules for TrainingRules {
    type Found = Vec<(String, Option<String>)>;

    async fn check(&self, cx: &Cx<'_>, _: Option<&Record>, values: &mut [Value]) -> Result<Self::Found, AppError> {
        check_training(cx.store, cx.org_id, values).await
    }

    async fn written(&self, tx: &mut AuditedTx, r: Record, audience: Self::Found, _: bool) -> Result<Record, AppError> {
        tx.set_training_audience(&r.id, &audience).await?;
        // The round's start follows the due date and the recurrence as stored.
        rederive(tx, r, check_training_round).await
    }
}

/// The supplier register's rules (Annex A 5.19-5.22): review dates that
/// follow its criticality.
pub struct SupplierRules;

impl KindRules for SupplierRules {
    type Found = ();

    async fn check(&self, _: &Cx<'_>, _: Option<&Record>, values: &mut [Value]) -> Result<(), AppError> {
        check_supplier(values);
        Ok(())
    }

    async fn written(&self, tx: &mut AuditedTx, r: Record, _: (), _: bool) -> Result<Record, AppError> {
        rederive(tx, r, check_supplier).await
    }
}

/// A context issue's category belongs to the method the organisation chose.
async fn check_issue(store: &Store, org_id: &str, values: &[Value]) -> Result<(), AppError> {
    let method = store.organisation(org_id).await?.context_method;
    let (allowed, name) = if method == "swot" {
        (SWOT, "SWOT")
    } else {
        (PESTLE, "PESTLE")
    };
    let category = fields::context_issue::CATEGORY.text(values);
    if !category.is_empty() && !allowed.contains(&category.as_str()) {
        return Err(DomainError::field(
            "category",
            format!(
                "the organisation categorises its issues by {name}; use one of: {}",
                allowed.join(", ")
            ),
        )
        .into());
    }
    Ok(())
}

/// A new requirement is not addressed until something is linked to it.
fn check_requirement(current: Option<&Record>, values: &mut [Value]) {
    if current.is_none() {
        fields::requirement::ADDRESSED.set(&mut *values, Value::Text("unaddressed".into()));
    }
}

/// A scope version's approver is never its author (A.5.3).
fn check_scope(values: &[Value]) -> Result<(), AppError> {
    let person = |f: &str| match SCOPE.index_of(f).map(|i| &values[i]) {
        Some(Value::Person { user_id, name }) => (user_id.clone(), name.to_lowercase()),
        _ => (None, String::new()),
    };
    let (author, approver) = (person("author"), person("approver"));
    let same = match (&author.0, &approver.0) {
        (Some(a), Some(b)) => a == b,
        _ => !author.1.is_empty() && author.1 == approver.1,
    };
    if same {
        return Err(DomainError::field(
            "approver",
            "the author of a scope statement cannot approve it (segregation of duties, Annex A 5.3); name someone else",
        )
        .into());
    }
    Ok(())
}

/// Only the approver a scope version names approves it.
fn check_approver(r: &Record, user_id: Option<&str>) -> Result<(), AppError> {
    let Some(me) = user_id else { return Ok(()) };
    match fields::scope::APPROVER.value(&r.values) {
        Some(Value::Person { user_id: Some(a), .. }) if a == me => Ok(()),
        _ => Err(AppError::Refused(format!(
            "{} names {} as its approver; only they approve it",
            r.title(),
            fields::scope::APPROVER.text(&r.values)
        ))),
    }
}

/// Approving a scope version dates it and supersedes the one in force.
async fn after_approval(tx: &mut AuditedTx, r: &Record) -> Result<(), AppError> {
    let mut values = r.values.clone();
    fields::scope::APPROVED_ON.set(&mut values, Value::OptText(Some(today().to_string())));
    tx.update_record(&SCOPE, &r.id, values, None).await?;
    for other in tx.ids_in_state(&SCOPE, "approved").await? {
        if other != r.id {
            tx.force_status(&SCOPE, &other, "superseded").await?;
        }
    }
    Ok(())
}

/// A campaign's audience as members and roles, and the date from which a
/// completion counts for its current round.
async fn check_training(
    store: &Store,
    org_id: &str,
    values: &mut [Value],
) -> Result<Vec<(String, Option<String>)>, AppError> {
    let audience =
        crate::document::resolve_audience(store, org_id, "audience", &fields::training::AUDIENCE.text(values))
            .await??;
    check_training_round(values);
    Ok(audience)
}

/// The date from which a completion counts for a campaign's current
/// round: one interval before its due date; any date for a course done once.
fn check_training_round(values: &mut [Value]) {
    let due = fields::training::DUE_DATE.text(values);
    let from = counts_for_days(&fields::training::RECURRENCE.text(values)).and_then(|d| date_plus(&due, -d));
    fields::training::COUNTS_FROM.set(&mut *values, Value::OptText(from));
}

/// A supplier's next review: its interval after the last, or at once for
/// one never reviewed (due diligence comes before the contract).
pub fn check_supplier(values: &mut [Value]) {
    let last = fields::supplier::LAST_REVIEW.text(values);
    let interval = review_interval_days(&fields::supplier::CRITICALITY.text(values));
    let next = if last.is_empty() {
        let start = fields::supplier::CONTRACT_START.text(values);
        Some(if start.is_empty() { today().to_string() } else { start })
    } else {
        date_plus(&last, interval)
    };
    fields::supplier::NEXT_REVIEW.set(&mut *values, Value::OptText(next));
}

/// Records a supplier's due-diligence review; its last and next review
/// dates follow (A.5.22).
pub async fn review_supplier(
    store: &Store,
    p: &Principal,
    supplier_id: &str,
    reviewed_on: &str,
    result: &str,
    notes: &str,
    evidence: &str,
) -> Result<SupplierReview, AppError> {
    let mut problems = Problems::default();
    let day = past_date(
        "reviewed_on",
        reviewed_on,
        "a review is recorded once it has been done",
        &mut problems,
    );
    if !pawl_domain::register::REVIEW_RESULTS.iter().any(|c| c.code == result) {
        problems.push("result", "use satisfactory, concerns or unsatisfactory");
    }
    if notes.trim().is_empty() {
        problems.push("notes", "say what was reviewed and what it showed");
    }
    check_note("notes", notes, 5000, &mut problems);
    check_note("evidence", evidence, 1000, &mut problems);
    problems.finish()?;
    let day = day.unwrap_or_default();
    let mut tx = store.write(&p.organisation.id, &p.actor()).await?;
    let supplier = tx.record_for_update(&SUPPLIER, supplier_id).await?;
    let review = tx
        .add_supplier_review(supplier_id, &day, result, notes.trim(), evidence.trim())
        .await?;
    let last = tx.last_supplier_review(supplier_id).await?;
    let mut values = supplier.values.clone();
    fields::supplier::LAST_REVIEW.set(&mut values, Value::OptText(last));
    check_supplier(&mut values);
    tx.update_record(&SUPPLIER, supplier_id, values, None).await?;
    tx.commit().await?;
    Ok(review)
}

/// A completion as an LMS or a person gives it.
pub struct CompletionInput<'a> {
    pub email: &'a str,
    pub completed_on: &'a str,
    pub notes: &'a str,
}

/// Records that someone completed a campaign (entered or from an LMS).
pub async fn complete(
    store: &Store,
    p: &Principal,
    training_id: &str,
    input: CompletionInput<'_>,
    source: &str,
) -> Result<Completion, AppError> {
    let mut problems = Problems::default();
    let email = problems.take(
        pawl_domain::identity::Email::parse(input.email.trim())
            .map_err(|_| DomainError::field("email", format!("{:?} is not an e-mail address", input.email))),
    );
    let day = past_date(
        "completed_on",
        input.completed_on,
        "a completion is recorded once it has happened",
        &mut problems,
    );
    check_note("notes", input.notes, 2000, &mut problems);
    let (Some(email), Some(day), true) = (email, day, problems.0.is_empty()) else {
        return Err(DomainError::Invalid(problems.0).into());
    };
    let training = store.org(&p.organisation.id).record(&TRAINING, training_id).await?;
    let user_id = member_id(store, &p.organisation.id, &email).await?;
    let mut tx = store.write(&p.organisation.id, &p.actor()).await?;
    let done = tx
        .add_completions(&[NewCompletion {
            training_id: training.id.clone(),
            email: email.as_str().to_owned(),
            user_id,
            completed_on: day,
            notes: input.notes.trim().to_owned(),
            source: source.to_owned(),
        }])
        .await?;
    tx.commit().await?;
    done.into_iter()
        .next()
        .ok_or_else(|| AppError::Store(pawl_store::StoreError::Corrupt("a completion was not recorded".into())))
}

/// A person says they completed a campaign they are asked to complete
/// (7.2, 7.3): recorded as their own declaration, beside what an LMS or an
/// administrator records. A campaign that is not theirs is not found.
pub async fn complete_own(
    store: &Store,
    p: &Principal,
    training_id: &str,
    completed_on: &str,
    notes: &str,
) -> Result<Completion, AppError> {
    if store
        .org(&p.organisation.id)
        .training_of(&p.user_id, training_id)
        .await?
        .is_none()
    {
        return Err(pawl_store::StoreError::NotFound {
            entity: "training you are asked to complete",
        }
        .into());
    }
    let input = CompletionInput {
        email: &p.email,
        completed_on,
        notes,
    };
    complete(store, p, training_id, input, SELF_DECLARED).await
}

/// The source of a completion the person declared themselves.
pub const SELF_DECLARED: &str = "self_declared";

async fn member_id(
    store: &Store,
    org_id: &str,
    email: &pawl_domain::identity::Email,
) -> Result<Option<String>, AppError> {
    let Some(u) = store.user_by_email(email).await? else {
        return Ok(None);
    };
    Ok(store.org(org_id).membership_of(&u.id).await?.map(|m| m.user_id))
}

/// Imports completions from a table: every row or none. Campaigns are
/// named by reference or title; an address that is no member is kept as
/// given (people train before they are in pawl).
pub async fn import(
    store: &Store,
    org_id: &str,
    actor: &pawl_domain::audit::Actor,
    table: Result<Table, ImportProblem>,
    dry_run: bool,
) -> Result<ImportReport, AppError> {
    let mut report = ImportReport::default();
    let table = match table {
        Ok(t) => t,
        Err(p) => {
            report.problems.push(p);
            return Ok(report);
        }
    };
    report.rows = table.rows.len();
    let rows = match pawl_domain::training::parse_completions(&table) {
        Ok(r) => r,
        Err(p) => {
            report.problems = p;
            return Ok(report);
        }
    };
    let campaign_col = table
        .header
        .iter()
        .position(|h| h.trim().eq_ignore_ascii_case("campaign"))
        .map(|c| c + 1);
    let reader = store.org(org_id);
    let mut campaigns = std::collections::HashMap::new();
    let mut members = std::collections::HashMap::new();
    let mut seen = std::collections::HashSet::new();
    let mut new = Vec::with_capacity(rows.len());
    for r in rows {
        if !campaigns.contains_key(&r.campaign) {
            let id = reader.find_record(TRAINING.key, &r.campaign).await?;
            campaigns.insert(r.campaign.clone(), id);
        }
        let Some(training_id) = campaigns[&r.campaign].clone() else {
            report.problems.push(ImportProblem {
                line: r.line,
                column: campaign_col,
                header: Some("campaign".into()),
                message: format!("no live campaign has the reference or title {:?}", r.campaign),
            });
            continue;
        };
        if !seen.insert((training_id.clone(), r.email.clone(), r.completed_on.clone())) {
            report.problems.push(ImportProblem {
                line: r.line,
                column: None,
                header: None,
                message: format!(
                    "{} completing this campaign on {} is in the file twice",
                    r.email, r.completed_on
                ),
            });
            continue;
        }
        if !members.contains_key(&r.email) {
            let email = pawl_domain::identity::Email::parse(&r.email)?;
            members.insert(r.email.clone(), member_id(store, org_id, &email).await?);
        }
        new.push(NewCompletion {
            training_id,
            email: r.email.clone(),
            user_id: members[&r.email].clone(),
            completed_on: r.completed_on,
            notes: r.notes,
            source: "import".into(),
        });
    }
    if !report.problems.is_empty() || dry_run {
        report.recorded = if report.problems.is_empty() { new.len() } else { 0 };
        return Ok(report);
    }
    let mut tx = store.write(org_id, actor).await?;
    report.recorded = tx.add_completions(&new).await?.len();
    tx.commit().await?;
    Ok(report)
}

/// Completions per month from `from` (`YYYY-MM`, twelve months back when
/// absent) to this month, every month listed; of one campaign (by id or
/// reference) or of all.
pub async fn monthly(
    store: &Store,
    org_id: &str,
    training: Option<&str>,
    from: Option<&str>,
) -> Result<Vec<(String, i64)>, AppError> {
    let now = today();
    let this = format!("{:04}-{:02}", now.year(), u8::from(now.month()));
    let from = match from.map(str::trim).filter(|f| !f.is_empty()) {
        None => {
            let back = now - time::Duration::days(334);
            format!("{:04}-{:02}", back.year(), u8::from(back.month()))
        }
        Some(f) => {
            pawl_domain::register::check_date("from", &format!("{f}-01"))
                .map_err(|_| DomainError::field("from", format!("{f:?} is not a month as YYYY-MM")))?;
            f.to_owned()
        }
    };
    let reader = store.org(org_id);
    let id = match training {
        None => None,
        Some(t) => Some(
            reader
                .find_record(TRAINING.key, t)
                .await?
                .ok_or(pawl_store::StoreError::NotFound {
                    entity: "Training campaign",
                })?,
        ),
    };
    let counts = reader
        .completions_by_month(id.as_deref(), &format!("{from}-01"))
        .await?;
    Ok(pawl_domain::training::fill_months(&from, &this, &counts))
}
