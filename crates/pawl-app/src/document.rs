//! Documented information (clauses 5.2, 7.3, 7.5): the rules the document
//! register adds to the register machinery (a parent exactly one level up,
//! clauses and controls from the catalog, an audience of members), versions
//! through review and approval by someone other than their author (Annex A
//! 5.3), publication, the owner's reviews, acknowledgement by the audience,
//! comparison of versions, the mandatory documented information, and the
//! import of a folder of Markdown files.

use crate::{AppError, Principal};
use pawl_domain::audit::Actor;
use pawl_domain::document::{
    self as doc, Audience, DiffPart, Level, LineProblem, Mandatory, VersionNumber, VERSION_WORKFLOW,
};
use pawl_domain::identity::Email;
use pawl_domain::register::fields;
use pawl_domain::register::{Value, DOCUMENT};
use pawl_domain::time_fmt::add_months;
use pawl_domain::{DomainError, Problems};
use pawl_store::{
    AuditedTx, DocumentReview, DocumentVersion, Named, NewVersion, Obligation, Record, Store, StoreError,
    VersionChanges, VersionFile,
};
use serde::Serialize;
use serde_json::{Map, Value as Json};

use crate::today;

/// The most text one version may hold.
pub const MAX_CONTENT: usize = 500_000;

/// What the document register's rules found in a record's values, written
/// with it: who must read it, by role or member.
#[derive(Default)]
pub struct Audiences(Vec<(String, Option<String>)>);

fn set_text(values: &mut [Value], field: &str, text: String) {
    if let Some(i) = DOCUMENT.index_of(field) {
        values[i] = Value::Text(text);
    }
}

/// The document register's rules (clause 7.5.3): a parent one level up,
/// clauses and controls from the catalog, an audience of members, and no
/// retirement from under live children; a new document's owner is its
/// author unless named.
pub struct DocumentRules;

impl crate::rules::KindRules for DocumentRules {
    type Found = Audiences;
    const CREATOR: Option<&'static str> = Some("owner");

    async fn check(
        &self,
        cx: &crate::rules::Cx<'_>,
        current: Option<&Record>,
        values: &mut [Value],
    ) -> Result<Audiences, AppError> {
        check(cx.store, cx.org_id, current.map(|r| r.id.as_str()), values).await
    }

    async fn written(&self, tx: &mut AuditedTx, r: Record, found: Audiences, _: bool) -> Result<Record, AppError> {
        tx.set_document_audience(&r.id, &found.0).await?;
        Ok(r)
    }

    async fn before_retire(&self, tx: &mut AuditedTx, r: &Record) -> Result<(), AppError> {
        check_retire(tx, r).await
    }

    async fn after_retire(&self, tx: &mut AuditedTx, r: &Record) -> Result<(), AppError> {
        Ok(tx.refresh_obligations(Some(&r.id), None).await?)
    }
}

/// Checks a document's values against its register's rules and normalises
/// its clause and control lists; returns its audience as members.
async fn check(store: &Store, org_id: &str, id: Option<&str>, values: &mut [Value]) -> Result<Audiences, AppError> {
    let mut p = Problems::default();
    let level = Level::parse(&fields::document::LEVEL.text(values));
    let parent_id = match fields::document::PARENT_ID.value(values) {
        Some(Value::OptText(Some(id))) => Some(id.clone()),
        _ => None,
    };
    if let Some(level) = level {
        let parent = match &parent_id {
            Some(pid) if Some(pid.as_str()) == id => {
                p.push("parent_id", "a document cannot be its own parent");
                None
            }
            Some(pid) => match store.org(org_id).record(&DOCUMENT, pid).await {
                Ok(r) => Some(r),
                Err(StoreError::NotFound { .. }) => {
                    p.push("parent_id", format!("no live document with id {pid}"));
                    None
                }
                Err(e) => return Err(e.into()),
            },
            None => None,
        };
        if parent_id.is_none() || parent.is_some() {
            let named = parent.as_ref().map(|r| {
                (
                    Level::parse(&fields::document::LEVEL.text(&r.values)).unwrap_or(Level::Policy),
                    r.title(),
                )
            });
            p.take(doc::check_parent(level, named.as_ref().map(|(l, t)| (*l, t.as_str()))));
        }
    }
    if let Some(ids) = p.take(doc::parse_clauses(&fields::document::CLAUSES.text(values))) {
        set_text(values, "clauses", ids.join(", "));
    }
    if let Some(ids) = p.take(doc::parse_annex_a(&fields::document::ANNEX_A.text(values))) {
        set_text(values, "annex_a", ids.join(", "));
    }
    let audience = p
        .take(resolve_audience(store, org_id, "audience", &fields::document::AUDIENCE.text(values)).await?)
        .unwrap_or_default();
    p.finish()?;
    Ok(Audiences(audience))
}

/// A document with live children stays: retiring it would leave them
/// without a parent. The refusal names them.
async fn check_retire(tx: &mut AuditedTx, r: &Record) -> Result<(), AppError> {
    let children = tx.live_children(&r.id).await?;
    if children.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = children.iter().map(|(r, t)| format!("{r} {t}")).collect();
    Err(StoreError::Conflict(format!(
        "{} has live documents under it; retire or move them first: {}",
        r.title(),
        names.join(", ")
    ))
    .into())
}

/// An audience as (role, member) entries: `everyone`, roles, and members
/// by e-mail; an address that is no member is named under `field`.
pub(crate) async fn resolve_audience(
    store: &Store,
    org_id: &str,
    field: &str,
    text: &str,
) -> Result<Result<Vec<(String, Option<String>)>, DomainError>, AppError> {
    let entries = match doc::parse_audience(text) {
        Ok(e) => e,
        Err(DomainError::Invalid(mut errors)) => {
            errors.iter_mut().for_each(|e| e.field = field.to_owned());
            return Ok(Err(DomainError::Invalid(errors)));
        }
    };
    let (mut audience, mut missing) = (Vec::new(), Vec::new());
    for e in entries {
        match e {
            Audience::Everyone => audience.push(("everyone".to_owned(), None)),
            Audience::Role(r) => audience.push((r.as_str().to_owned(), None)),
            Audience::Person(email) => match member(store, org_id, &email).await? {
                Some(m) => audience.push((String::new(), Some(m.user_id))),
                None => missing.push(email.to_string()),
            },
        }
    }
    if !missing.is_empty() {
        return Ok(Err(DomainError::field(
            field,
            format!(
                "{} {} not a member of this organisation",
                missing.join(", "),
                if missing.len() == 1 { "is" } else { "are" }
            ),
        )));
    }
    Ok(Ok(audience))
}

/// A member of the organisation by e-mail.
async fn member(store: &Store, org_id: &str, email: &Email) -> Result<Option<pawl_store::Member>, AppError> {
    let Some(user) = store.user_by_email(email).await? else {
        return Ok(None);
    };
    Ok(store.org(org_id).membership_of(&user.id).await?)
}

/// A member named by e-mail in `field`, or a problem naming the field.
async fn named(store: &Store, org_id: &str, field: &str, text: &str) -> Result<pawl_store::Member, AppError> {
    let email =
        Email::parse(text).map_err(|_| DomainError::field(field, format!("{text:?} is not an e-mail address")))?;
    member(store, org_id, &email)
        .await?
        .ok_or_else(|| DomainError::field(field, format!("{email} is not a member of this organisation")).into())
}

/// A new version as people write it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct VersionInput {
    /// Markdown.
    #[serde(default)]
    pub content: String,
    #[serde(default)]
    pub change_summary: String,
    /// A material change: a new major version, which the audience
    /// acknowledges again.
    #[serde(default)]
    pub major: bool,
    /// The approver's e-mail address.
    #[serde(default)]
    pub approver: Option<String>,
    /// Reviewers' e-mail addresses.
    #[serde(default)]
    pub reviewers: Vec<String>,
}

async fn people(
    store: &Store,
    org_id: &str,
    approver: Option<&str>,
    reviewers: &[String],
    author: Option<&str>,
) -> Result<(Option<Named>, Vec<Named>), AppError> {
    let mut p = Problems::default();
    let approver = match approver.map(str::trim).filter(|a| !a.is_empty()) {
        None => None,
        Some(a) => match named(store, org_id, "approver", a).await {
            Ok(m) if !pawl_domain::access::allows(m.role, pawl_domain::access::Permission::WriteIsms) => {
                p.push(
                    "approver",
                    format!(
                        "{} is {}; an approver must be an administrator, ISMS manager or contributor",
                        m.email,
                        m.role.label()
                    ),
                );
                None
            }
            Ok(m) => {
                p.take(doc::check_named_approver(author, &m.user_id));
                Some(Named {
                    user_id: m.user_id,
                    name: m.email,
                })
            }
            Err(AppError::Invalid(e)) => {
                p.take::<()>(Err(e));
                None
            }
            Err(e) => return Err(e),
        },
    };
    let mut list = Vec::new();
    for r in reviewers.iter().map(|r| r.trim()).filter(|r| !r.is_empty()) {
        match named(store, org_id, "reviewers", r).await {
            Ok(m) if !list.iter().any(|n: &Named| n.user_id == m.user_id) => list.push(Named {
                user_id: m.user_id,
                name: m.email,
            }),
            Ok(_) => {}
            Err(AppError::Invalid(e)) => {
                p.take::<()>(Err(e));
            }
            Err(e) => return Err(e),
        }
    }
    p.finish()?;
    Ok((approver, list))
}

fn check_content(content: &str, change_summary: &str) -> Result<(), DomainError> {
    let mut p = Problems::default();
    p.take(pawl_domain::register::check_text("content", content));
    p.take(pawl_domain::register::check_text("change_summary", change_summary));
    if content.chars().count() > MAX_CONTENT {
        p.push(
            "content",
            format!("use at most {MAX_CONTENT} characters; attach a longer document as a file"),
        );
    }
    if change_summary.trim().is_empty() {
        p.push(
            "change_summary",
            "say what this version changes (for a first version, what it is for)",
        );
    } else if change_summary.chars().count() > 2000 {
        p.push("change_summary", "use at most 2000 characters");
    }
    p.finish()
}

/// Adds a draft version. Only one version is worked on at a time; the
/// first is 1.0, then major or minor after the newest.
pub async fn add_version(
    store: &Store,
    p: &Principal,
    document_id: &str,
    input: &VersionInput,
    file: Option<VersionFile>,
) -> Result<DocumentVersion, AppError> {
    add_version_as(
        store,
        &p.organisation.id,
        &p.actor(),
        &p.user_id,
        &p.email,
        document_id,
        input,
        file,
    )
    .await
}

/// [`add_version`] for an author who is not a signed-in principal (the demo).
#[allow(clippy::too_many_arguments)]
pub async fn add_version_as(
    store: &Store,
    org_id: &str,
    actor: &Actor,
    author_id: &str,
    author_name: &str,
    document_id: &str,
    input: &VersionInput,
    file: Option<VersionFile>,
) -> Result<DocumentVersion, AppError> {
    check_content(&input.content, &input.change_summary)?;
    if file.is_none() && input.content.trim().is_empty() {
        return Err(DomainError::field("content", "write the document in Markdown, or attach it as a file").into());
    }
    let (approver, reviewers) = people(
        store,
        org_id,
        input.approver.as_deref(),
        &input.reviewers,
        Some(author_id),
    )
    .await?;
    let mut tx = store.write(org_id, actor).await?;
    let latest = tx.latest_version(document_id).await?;
    if let Some(l) = latest.as_ref().filter(|l| doc::is_working(&l.status)) {
        return Err(StoreError::Conflict(format!(
            "version {} is still {}; change it, or withdraw it, before starting another",
            l.number,
            VERSION_WORKFLOW.label(&l.status).to_lowercase()
        ))
        .into());
    }
    let number = latest.map_or(VersionNumber::FIRST, |l| l.number.next(input.major));
    let v = tx
        .create_document_version(
            document_id,
            NewVersion {
                number,
                content: input.content.clone(),
                file,
                change_summary: input.change_summary.trim().to_owned(),
                author: Named {
                    user_id: author_id.to_owned(),
                    name: author_name.to_owned(),
                },
                approver,
                reviewers,
            },
        )
        .await?;
    tx.commit().await?;
    Ok(v)
}

/// The types a document uploaded as a file may have.
pub const FILE_TYPES: [(&str, &str); 3] = [
    ("application/pdf", "PDF"),
    (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "DOCX",
    ),
    ("application/vnd.oasis.opendocument.text", "ODT"),
];

/// Adds a draft version that is an uploaded file (PDF, DOCX or ODT), kept
/// in the evidence store by its hash. The file is placed before its record
/// is written, so a refused version leaves at most an unreferenced file.
pub async fn add_file_version(
    store: &Store,
    p: &Principal,
    document_id: &str,
    input: &VersionInput,
    file: crate::evidence::SealedFile,
) -> Result<DocumentVersion, AppError> {
    let t = file.stored.content_type.clone();
    if !FILE_TYPES.iter().any(|(c, _)| *c == t) {
        return Err(DomainError::field(
            "file",
            format!("a document file is PDF, DOCX or ODT; this one reads as {t}"),
        )
        .into());
    }
    store.org(&p.organisation.id).record(&DOCUMENT, document_id).await?;
    check_content("", &input.change_summary)?;
    let stored = file.place().await?;
    add_version(
        store,
        p,
        document_id,
        input,
        Some(VersionFile {
            sha256: stored.sha256,
            name: stored.file_name,
            content_type: stored.content_type,
            size: stored.size,
        }),
    )
    .await
}

/// Reads a draft's changes from JSON: `content`, `change_summary`,
/// `approver` (an e-mail, null for none) and `reviewers`.
pub async fn change_version(
    store: &Store,
    p: &Principal,
    document_id: &str,
    number: VersionNumber,
    input: &Map<String, Json>,
    expected: Option<i64>,
) -> Result<DocumentVersion, AppError> {
    let org = &p.organisation.id;
    let current = store.org(org).document_version(document_id, number).await?;
    let mut problems = Problems::default();
    let text = |name: &str, problems: &mut Problems| match input.get(name) {
        None => None,
        Some(Json::String(s)) => Some(s.clone()),
        Some(Json::Null) => Some(String::new()),
        Some(_) => {
            problems.push(name, "give text");
            None
        }
    };
    for k in input.keys() {
        if !["content", "change_summary", "approver", "reviewers"].contains(&k.as_str()) {
            problems.push(
                k,
                "not a field of a version; change content, change_summary, approver or reviewers",
            );
        }
    }
    let content = text("content", &mut problems);
    let summary = text("change_summary", &mut problems);
    let approver = text("approver", &mut problems);
    let reviewers: Option<Vec<String>> = match input.get("reviewers") {
        None => None,
        Some(Json::Array(a)) => Some(a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect()),
        Some(Json::String(s)) => Some(s.split([',', '\n']).map(str::to_owned).collect()),
        Some(_) => {
            problems.push("reviewers", "give a list of e-mail addresses");
            None
        }
    };
    problems.finish()?;
    check_content(
        content.as_deref().unwrap_or(&current.content),
        summary.as_deref().unwrap_or(&current.change_summary),
    )?;
    let (named_approver, named_reviewers) = people(
        store,
        org,
        approver.as_deref(),
        reviewers.as_deref().unwrap_or(&[]),
        current.author_user_id.as_deref(),
    )
    .await?;
    let mut tx = store.write(org, &p.actor()).await?;
    let v = tx
        .update_document_version(
            &current.id,
            VersionChanges {
                content,
                change_summary: summary.map(|s| s.trim().to_owned()),
                approver: approver.map(|_| named_approver),
                reviewers: reviewers.map(|_| named_reviewers),
            },
            expected,
        )
        .await?;
    tx.commit().await?;
    Ok(v)
}

/// Moves a version through its workflow (7.5.2, 7.5.3). Review needs an
/// approver named; approval is the named approver's and never the author's
/// (Annex A 5.3); publishing supersedes the version in force and sets the
/// next review date, and for a new major version the date by which the
/// audience acknowledges it.
pub async fn move_version(
    store: &Store,
    p: &Principal,
    document_id: &str,
    number: VersionNumber,
    to: &str,
    expected: Option<i64>,
) -> Result<DocumentVersion, AppError> {
    let org = &p.organisation.id;
    let reader = store.org(org);
    let document = reader.record(&DOCUMENT, document_id).await?;
    let versions = reader.document_versions(document_id).await?;
    let v = versions
        .iter()
        .find(|v| v.number == number)
        .ok_or(StoreError::NotFound { entity: "version" })?;
    if to == "superseded" && v.status == "published" {
        return Err(DomainError::field("to", "a published version is superseded by publishing the next one").into());
    }
    VERSION_WORKFLOW.check_move("version", &v.status, to)?;
    let approver = v.approver.as_ref().map(|a| (a.user_id.as_str(), a.name.as_str()));
    match to {
        "in_review" if approver.is_none() => {
            return Err(DomainError::field("approver", "name an approver before sending the version for review").into())
        }
        "approved" => doc::check_approval(v.author_user_id.as_deref(), approver, &p.user_id)
            .map_err(|e| AppError::Refused(e.to_string()))?,
        _ => {}
    }
    let (mut review_by, mut ack_by) = (None, None);
    if to == "published" {
        let today = today();
        let months = match fields::document::REVIEW_MONTHS.value(&document.values) {
            Some(Value::Int(n)) => *n,
            _ => 12,
        };
        review_by = Some(add_months(today, months).to_string());
        let previous_major = versions
            .iter()
            .find(|x| x.status == "published")
            .map(|x| x.number.major);
        if previous_major != Some(v.number.major) {
            let days = match fields::document::ACK_DAYS.value(&document.values) {
                Some(Value::Int(n)) => *n,
                _ => 30,
            };
            ack_by = Some((today + time::Duration::days(days)).to_string());
        }
    }
    let mut tx = store.write(org, &p.actor()).await?;
    let moved = tx
        .transition_document_version(&v.id, to, expected, review_by, ack_by)
        .await?;
    tx.commit().await?;
    Ok(moved)
}

/// The principal read the published version. Only the audience
/// acknowledges; anyone else is told they are not asked to.
pub async fn acknowledge(store: &Store, p: &Principal, document_id: &str) -> Result<Obligation, AppError> {
    let org = &p.organisation.id;
    let document = store.org(org).record(&DOCUMENT, document_id).await?;
    if !store.org(org).in_audience(document_id, &p.user_id).await? {
        return Err(AppError::Refused(format!(
            "{} does not ask you to read it: you are not in its audience",
            document.title()
        )));
    }
    let mut tx = store.write(org, &p.actor()).await?;
    let o = tx
        .acknowledge_document(
            document_id,
            &Named {
                user_id: p.user_id.clone(),
                name: p.email.clone(),
            },
        )
        .await?;
    tx.commit().await?;
    Ok(o)
}

pub use pawl_domain::document::REVIEW_OUTCOMES;

/// Records a review of the document (7.5.2) and sets the next one from
/// its interval.
pub async fn review(
    store: &Store,
    p: &Principal,
    document_id: &str,
    outcome: &str,
    note: &str,
) -> Result<DocumentReview, AppError> {
    let mut problems = Problems::default();
    if !REVIEW_OUTCOMES.iter().any(|(c, _)| *c == outcome) {
        problems.push("outcome", "use no_change or change_needed");
    }
    problems.take(pawl_domain::register::check_text("note", note));
    if note.chars().count() > 2000 {
        problems.push("note", "use at most 2000 characters");
    }
    problems.finish()?;
    let org = &p.organisation.id;
    let document = store.org(org).record(&DOCUMENT, document_id).await?;
    let months = match fields::document::REVIEW_MONTHS.value(&document.values) {
        Some(Value::Int(n)) => *n,
        _ => 12,
    };
    let today = today();
    let mut tx = store.write(org, &p.actor()).await?;
    let r = tx
        .record_document_review(
            document_id,
            &Named {
                user_id: p.user_id.clone(),
                name: p.email.clone(),
            },
            &today.to_string(),
            outcome,
            note.trim(),
            Some(add_months(today, months).to_string()),
        )
        .await?;
    tx.commit().await?;
    Ok(r)
}

/// A word-level comparison of two Markdown versions.
pub async fn diff(
    store: &Store,
    org_id: &str,
    document_id: &str,
    from: &str,
    to: &str,
) -> Result<Vec<DiffPart>, AppError> {
    let (a, b) = (VersionNumber::parse("from", from)?, VersionNumber::parse("to", to)?);
    let versions = store.org(org_id).document_versions(document_id).await?;
    let find = |n: VersionNumber, field: &str| {
        versions
            .iter()
            .find(|v| v.number == n)
            .ok_or_else(|| DomainError::field(field, format!("this document has no version {n}")))
            .and_then(|v| match &v.file {
                Some(_) => Err(DomainError::field(
                    field,
                    format!("version {n} is a file; only Markdown versions compare"),
                )),
                None => Ok(v),
            })
    };
    let mut p = Problems::default();
    let (va, vb) = (p.take(find(a, "from")), p.take(find(b, "to")));
    p.finish()?;
    match (va, vb) {
        (Some(va), Some(vb)) => Ok(doc::diff_words(&va.content, &vb.content)),
        _ => Ok(Vec::new()),
    }
}

/// Completion of acknowledgements for one document or a person.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Completion {
    pub required: usize,
    pub acknowledged: usize,
    pub overdue: usize,
}

impl Completion {
    /// Whole per cent acknowledged; None when nobody is asked.
    pub fn percent(&self) -> Option<usize> {
        (self.required > 0).then(|| self.acknowledged * 100 / self.required)
    }
}

/// The acknowledgement report (7.3): completion per document and per
/// person, from one read of every obligation.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AckReport {
    /// (document id, reference and title, published version, completion), in reference order.
    pub documents: Vec<(String, String, String, Completion)>,
    /// (person, completion), most overdue first.
    pub people: Vec<(String, Completion)>,
    pub total: Completion,
}

pub async fn ack_report(store: &Store, org_id: &str) -> Result<AckReport, AppError> {
    let counts = store.org(org_id).obligation_counts(&today().to_string()).await?;
    Ok(report_of(counts))
}

/// The report from counts: per document, per person (most overdue first,
/// then most unread) and in total.
fn report_of(counts: pawl_store::ObligationCounts) -> AckReport {
    let completion = |(required, acknowledged, overdue): (i64, i64, i64)| Completion {
        required: required as usize,
        acknowledged: acknowledged as usize,
        overdue: overdue as usize,
    };
    let mut report = AckReport::default();
    for (id, name, version, c) in counts.documents {
        let c = completion(c);
        report.total.required += c.required;
        report.total.acknowledged += c.acknowledged;
        report.total.overdue += c.overdue;
        report.documents.push((id, name, version, c));
    }
    let mut people: Vec<(String, Completion)> = counts.people.into_iter().map(|(n, c)| (n, completion(c))).collect();
    people.sort_by(|a, b| {
        b.1.overdue
            .cmp(&a.1.overdue)
            .then((b.1.required - b.1.acknowledged).cmp(&(a.1.required - a.1.acknowledged)))
            .then(a.0.cmp(&b.0))
    });
    report.people = people;
    report
}

/// The columns of the acknowledgement export, for the auditor.
pub const ACK_HEADER: [&str; 7] = [
    "Document",
    "Title",
    "Published version",
    "Person",
    "Acknowledged",
    "Version acknowledged",
    "State",
];

/// One obligation as export cells.
pub fn ack_cells(o: &Obligation, today: &str) -> Vec<String> {
    let state = match (&o.acknowledged_at, &o.due) {
        (Some(_), _) => "Acknowledged",
        (None, Some(d)) if d.as_str() < today => "Overdue",
        _ => "Waiting",
    };
    vec![
        o.reference.clone(),
        o.title.clone(),
        o.published_version.clone(),
        o.name.clone(),
        o.acknowledged_at
            .as_deref()
            .map(|a| a.get(..10).unwrap_or(a).to_owned())
            .unwrap_or_default(),
        o.acknowledged_version.clone().unwrap_or_default(),
        state.to_owned(),
    ]
}

/// The acknowledgement export as CSV.
pub fn ack_csv(all: &[Obligation]) -> Result<Vec<u8>, AppError> {
    let today = today().to_string();
    crate::csv_out::csv_bytes(&ACK_HEADER, all.iter().map(|o| ack_cells(o, &today)))
}

/// One item of the mandatory documented information for this organisation.
#[derive(Debug, Clone, Serialize)]
pub struct MandatoryStatus {
    /// `document` or `record`.
    pub kind: &'static str,
    pub name: String,
    pub reference: String,
    /// `covered`, `missing` or `not_required`.
    pub status: &'static str,
    /// What covers it: published documents, or pawl's own records.
    pub covered_by: Vec<CoveredBy>,
    /// Why it is not required, or what would cover it.
    pub note: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CoveredBy {
    pub title: String,
    /// The page that shows it.
    pub href: String,
}

/// The 27 items of documented information ISO/IEC 27001 requires, each
/// covered (by a published document serving its clause or control, or by
/// the records pawl keeps), missing, or not required (a conditional item
/// whose Annex A control the Statement of Applicability excludes).
pub async fn mandatory(store: &Store, org_id: &str) -> Result<Vec<MandatoryStatus>, AppError> {
    let reader = store.org(org_id);
    let served: Vec<(pawl_store::ServingDocument, Vec<String>)> = reader
        .serving_documents()
        .await?
        .into_iter()
        .map(|d| {
            let ids: Vec<String> = d
                .clauses
                .split(',')
                .chain(d.annex_a.split(','))
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect();
            (d, ids)
        })
        .collect();
    let excluded_controls: Vec<String> = reader
        .soa_entries()
        .await?
        .into_iter()
        .filter(|e| !e.decision.applicable)
        .map(|e| format!("A.{}", e.annex_id.trim_start_matches("A.")))
        .collect();
    let risks = reader
        .risks(
            &pawl_store::RiskFilter::default(),
            &pawl_store::ListQuery {
                limit: Some(1),
                ..Default::default()
            },
        )
        .await?
        .total;
    let approved_soa = reader.soa_versions().await?.len();
    let count = |c: Vec<(String, i64)>| c.iter().map(|(_, n)| n).sum::<i64>();
    let actions = count(reader.record_counts(&pawl_domain::register::TREATMENT_ACTION).await?);
    let assets = count(reader.record_counts(&pawl_domain::register::ASSET).await?);
    // The registers that keep the records an item asks for (4.3 to 10.2).
    let kept = |kind: &'static pawl_domain::register::Kind, states: &'static [&'static str]| {
        let reader = &reader;
        async move {
            Ok::<i64, AppError>(
                reader
                    .record_counts(kind)
                    .await?
                    .iter()
                    .filter(|(s, _)| states.is_empty() || states.contains(&s.as_str()))
                    .map(|(_, n)| n)
                    .sum(),
            )
        }
    };
    use pawl_domain::register as reg;
    let scopes = kept(&reg::SCOPE, &["approved"]).await?;
    let objectives = kept(&reg::OBJECTIVE, &[]).await?;
    let competences = kept(&reg::COMPETENCE, &[]).await?;
    let metrics = kept(&reg::METRIC, &[]).await?;
    let programmes = kept(&reg::AUDIT_PROGRAMME, &[]).await?;
    let audits_reported = kept(&reg::AUDIT, &["reported", "closed"]).await?;
    let reviews = kept(&reg::MANAGEMENT_REVIEW, &["held", "approved"]).await?;
    let nonconformities = kept(&reg::NONCONFORMITY, &[]).await?;
    let corrective = kept(&reg::CORRECTIVE_ACTION, &["effective", "not_effective"]).await?;
    let mut out = Vec::new();
    for item in doc::mandatory_items() {
        let mut covered_by: Vec<CoveredBy> = served
            .iter()
            .filter(|(_, ids)| item.ids.iter().any(|i| doc::serves(ids, i)))
            .map(|(d, _)| CoveredBy {
                title: format!("{} {}", d.reference, d.title),
                href: format!("/documents/{}", d.id),
            })
            .collect();
        let first = item.ids.first().map(String::as_str).unwrap_or("");
        let own = |n: i64, title: String, href: &str| {
            (n > 0).then(|| CoveredBy {
                title,
                href: href.to_owned(),
            })
        };
        covered_by.extend(match first {
            "6.1.3" if item.reference.contains("d)") => own(
                approved_soa as i64,
                format!("Statement of Applicability, {approved_soa} approved version(s)"),
                "/soa",
            ),
            "6.1.3" if item.reference.contains("e)") => own(
                actions,
                format!("Risk treatment plan, {actions} treatment action(s)"),
                "/treatment-actions",
            ),
            "8.2" => own(
                risks,
                format!("Risk register, {risks} assessed risk(s)"),
                "/risks/register",
            ),
            "8.3" => own(actions, format!("Treatment actions, {actions}"), "/treatment-actions"),
            "A.5.9" => own(assets, format!("Asset register, {assets} asset(s)"), "/assets"),
            "4.3" => own(scopes, "The approved scope statement".into(), "/scope?status=approved"),
            "6.2" => own(objectives, format!("Objectives, {objectives}"), "/objectives"),
            "7.2" => own(
                competences,
                format!("Competence records, {competences}"),
                "/competences",
            ),
            "9.1" => own(
                metrics,
                format!("Metrics and their measurements, {metrics}"),
                "/metrics",
            ),
            "9.2.2" if item.name.contains("programme") => own(
                programmes,
                format!("Audit programmes, {programmes}"),
                "/audit-programmes",
            ),
            "9.2.2" => own(
                audits_reported,
                format!("Audit reports, {audits_reported}"),
                "/audits?status=reported,closed",
            ),
            "9.3.3" => own(
                reviews,
                format!("Management reviews held, {reviews}"),
                "/management-reviews",
            ),
            "10.2" if item.reference.contains("f)") => own(
                nonconformities,
                format!("Nonconformity register, {nonconformities}"),
                "/nonconformities",
            ),
            "10.2" => own(
                corrective,
                format!("Corrective actions verified, {corrective}"),
                "/corrective-actions?status=effective,not_effective",
            ),
            _ => None,
        });
        let excluded = item.conditional && item.ids.iter().all(|id| excluded_controls.contains(id));
        let (status, note) = if !covered_by.is_empty() {
            ("covered", String::new())
        } else if excluded {
            (
                "not_required",
                format!("the Statement of Applicability excludes {}", item.ids.join(", ")),
            )
        } else {
            (
                "missing",
                match item.kind {
                    Mandatory::Document => format!("publish a document that serves {}", item.ids.join(", ")),
                    Mandatory::Record => format!(
                        "keep the records of {} in pawl, or publish a document that serves it",
                        item.ids.join(", ")
                    ),
                },
            )
        };
        out.push(MandatoryStatus {
            kind: match item.kind {
                Mandatory::Document => "document",
                Mandatory::Record => "record",
            },
            name: item.name.clone(),
            reference: item.reference.clone(),
            status,
            covered_by,
            note,
        });
    }
    Ok(out)
}

/// One Markdown file of an import, read and checked.
struct ImportFile {
    name: String,
    title: String,
    level: Level,
    parent: Option<String>,
    owner: String,
    body: String,
    version: Option<VersionNumber>,
}

/// A problem in one imported file, at a line and column.
#[derive(Debug, Clone, Serialize)]
pub struct FileProblem {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for FileProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}: {}", self.file, self.line, self.column, self.message)
    }
}

/// Imports Markdown files with front matter (`title`, `level`, `parent`,
/// `owner`, `version`) as draft documents, all or none: every problem of
/// every file is reported with its file, line and column, and nothing is
/// written if there is one. A parent is named by a document's reference
/// or title, in pawl or in the same import.
pub async fn import_markdown(
    store: &Store,
    org_id: &str,
    actor: &Actor,
    author: &Named,
    files: &[(String, String)],
) -> Result<Vec<Record>, Vec<FileProblem>> {
    let mut problems = Vec::new();
    let mut read = Vec::new();
    for (name, text) in files {
        let at = |p: LineProblem| FileProblem {
            file: name.clone(),
            line: p.line,
            column: p.column,
            message: p.message,
        };
        let fm = match doc::parse_front_matter(text) {
            Ok(fm) => fm,
            Err(ps) => {
                problems.extend(ps.into_iter().map(at));
                continue;
            }
        };
        let mut bad = |key: &str, e: DomainError| problems.extend(doc::problem_at(&fm, key, e).into_iter().map(at));
        let title = fm.get("title").map(|(t, _)| t.trim().to_owned()).unwrap_or_default();
        if title.is_empty() {
            bad("title", DomainError::field("title", "give the document a title"));
        } else if title.chars().count() > 200 {
            bad("title", DomainError::field("title", "use at most 200 characters"));
        }
        let level = match fm.get("level") {
            None => {
                bad(
                    "level",
                    DomainError::field(
                        "level",
                        "give the level: policy, process, procedure or work_instruction",
                    ),
                );
                None
            }
            Some((l, _)) => {
                let parsed = Level::parse(l);
                if parsed.is_none() {
                    bad(
                        "level",
                        DomainError::field(
                            "level",
                            format!("{l:?} is not policy, process, procedure or work_instruction"),
                        ),
                    );
                }
                parsed
            }
        };
        let version = match fm.get("version") {
            None => None,
            Some((v, _)) => match VersionNumber::parse("version", v) {
                Ok(n) => Some(n),
                Err(e) => {
                    bad("version", e);
                    None
                }
            },
        };
        let owner = fm.get("owner").map(|(o, _)| o.trim().to_owned()).unwrap_or_default();
        if !owner.is_empty() {
            match Email::parse(&owner) {
                Ok(e) => match member(store, org_id, &e).await {
                    Ok(Some(_)) => {}
                    Ok(None) => bad(
                        "owner",
                        DomainError::field("owner", format!("{e} is not a member of this organisation")),
                    ),
                    Err(e) => bad("owner", DomainError::field("owner", e.to_string())),
                },
                Err(_) => bad(
                    "owner",
                    DomainError::field("owner", format!("{owner:?} is not an e-mail address")),
                ),
            }
        }
        if let Err(e) = check_content(&fm.body, "imported") {
            bad("title", e);
        }
        if let Some(level) = level {
            read.push((
                fm.get("parent").map(|(p, l)| (p.trim().to_owned(), l)),
                ImportFile {
                    name: name.clone(),
                    title,
                    level,
                    parent: None,
                    owner,
                    body: fm.body.clone(),
                    version,
                },
            ));
        }
    }
    // Parents: another file of the import by title, or a live document;
    // higher levels first, so that a parent in the import is known.
    read.sort_by_key(|(_, f)| f.level);
    let reader = store.org(org_id);
    let mut checked = Vec::new();
    for (parent, mut f) in read {
        let at = |line: usize, message: String| FileProblem {
            file: f.name.clone(),
            line,
            column: 1,
            message,
        };
        let found: Option<(Level, String, Option<String>)> = match &parent {
            None => None,
            Some((p, _)) if p.is_empty() => None,
            Some((p, line)) => {
                let in_import = files_by_title(&checked, p);
                match in_import {
                    Some((level, title)) => Some((level, title, None)),
                    None => match reader.find_record(DOCUMENT.key, p).await {
                        Ok(Some(id)) => match reader.record(&DOCUMENT, &id).await {
                            Ok(r) => Some((
                                Level::parse(&fields::document::LEVEL.text(&r.values)).unwrap_or(Level::Policy),
                                r.title(),
                                Some(id),
                            )),
                            Err(e) => {
                                problems.push(at(*line, format!("parent: {e}")));
                                continue;
                            }
                        },
                        Ok(None) => {
                            problems.push(at(
                                *line,
                                format!("parent: no document {p:?} in pawl or in this folder (name it by reference or title)"),
                            ));
                            continue;
                        }
                        Err(e) => {
                            problems.push(at(*line, format!("parent: {e}")));
                            continue;
                        }
                    },
                }
            }
        };
        if let Err(e) = doc::check_parent(f.level, found.as_ref().map(|(l, t, _)| (*l, t.as_str()))) {
            let line = parent.as_ref().map_or(1, |(_, l)| *l);
            let DomainError::Invalid(fields) = e;
            for f in fields {
                problems.push(at(line, format!("parent: {}", f.message)));
            }
            continue;
        }
        f.parent = match found {
            Some((_, _, Some(id))) => Some(format!("id:{id}")),
            Some((_, title, None)) => Some(format!("title:{title}")),
            None => None,
        };
        checked.push(f);
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let whole = |e: AppError| {
        vec![FileProblem {
            file: String::new(),
            line: 0,
            column: 0,
            message: e.to_string(),
        }]
    };
    // Parents before children, so that each names a document that exists.
    checked.sort_by_key(|f| f.level);
    let mut tx = store.write(org_id, actor).await.map_err(|e| whole(e.into()))?;
    let mut made: Vec<Record> = Vec::new();
    for f in &checked {
        let parent_id = match f.parent.as_deref() {
            Some(p) if p.starts_with("id:") => Some(p[3..].to_owned()),
            Some(p) => made
                .iter()
                .find(|r| fields::document::TITLE.value(&r.values).map(Value::display).as_deref() == Some(&p[6..]))
                .map(|r| r.id.clone()),
            None => None,
        };
        let mut input = Map::new();
        input.insert("title".into(), Json::String(f.title.clone()));
        input.insert("level".into(), Json::String(f.level.code().into()));
        input.insert("parent_id".into(), parent_id.map_or(Json::Null, Json::String));
        input.insert(
            "owner".into(),
            Json::String(if f.owner.is_empty() {
                author.name.clone()
            } else {
                f.owner.clone()
            }),
        );
        let problem = |e: AppError| {
            vec![FileProblem {
                file: f.name.clone(),
                line: 1,
                column: 1,
                message: e.to_string(),
            }]
        };
        let mut values = crate::input::new_values(&DOCUMENT, &input).map_err(|e| problem(e.into()))?;
        let owner = fields::document::OWNER.text(&values);
        let (user_id, name) = crate::people::resolve_owner(store, org_id, &owner)
            .await
            .map_err(problem)?;
        fields::document::OWNER.set(&mut values, Value::Person { user_id, name });
        let r = tx
            .create_record(&DOCUMENT, values)
            .await
            .map_err(|e| problem(e.into()))?;
        tx.create_document_version(
            &r.id,
            NewVersion {
                number: f.version.unwrap_or(VersionNumber::FIRST),
                content: f.body.clone(),
                file: None,
                change_summary: format!("Imported from {}", f.name),
                author: author.clone(),
                approver: None,
                reviewers: Vec::new(),
            },
        )
        .await
        .map_err(|e| problem(e.into()))?;
        made.push(r);
    }
    tx.commit().await.map_err(|e| whole(e.into()))?;
    Ok(made)
}

fn files_by_title(checked: &[ImportFile], p: &str) -> Option<(Level, String)> {
    checked
        .iter()
        .find(|f| f.title.eq_ignore_ascii_case(p))
        .map(|f| (f.level, f.title.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obligation(doc: &str, person: &str, read: bool, due: &str) -> Obligation {
        Obligation {
            document_id: doc.into(),
            reference: doc.to_uppercase(),
            title: format!("Policy {doc}"),
            published_version: "2.0".into(),
            user_id: person.into(),
            name: format!("{person}@example.com"),
            acknowledged_at: read.then(|| "2026-11-02T10:00:00Z".into()),
            acknowledged_version: read.then(|| "2.0".into()),
            due: Some(due.into()),
        }
    }

    #[test]
    fn the_report_puts_the_most_overdue_first_and_adds_up() {
        let r = report_of(pawl_store::ObligationCounts {
            documents: vec![
                ("a".into(), "DOC-0001 A".into(), "2.0".into(), (2, 1, 1)),
                ("b".into(), "DOC-0002 B".into(), "1.0".into(), (2, 0, 0)),
            ],
            people: vec![
                ("sam@example.com".into(), (2, 1, 0)),
                ("kim@example.com".into(), (2, 0, 1)),
            ],
        });
        let per_person: Vec<(&str, usize, usize)> = r
            .people
            .iter()
            .map(|(n, c)| (n.as_str(), c.acknowledged, c.overdue))
            .collect();
        assert_eq!(per_person, [("kim@example.com", 0, 1), ("sam@example.com", 1, 0)]);
        assert_eq!((r.total.required, r.total.acknowledged, r.total.overdue), (4, 1, 1));
        assert_eq!(r.total.percent(), Some(25));
    }

    #[test]
    fn each_line_of_the_export_says_whether_it_is_overdue() {
        let all = [
            obligation("a", "sam", true, "2026-11-30"),
            obligation("a", "kim", false, "2026-11-30"),
            obligation("b", "sam", false, "2026-12-31"),
        ];
        assert_eq!(
            ack_cells(&all[1], "2026-12-06").last().map(String::as_str),
            Some("Overdue")
        );
        assert_eq!(
            ack_cells(&all[2], "2026-12-06").last().map(String::as_str),
            Some("Waiting")
        );
        assert_eq!(ack_cells(&all[0], "2026-12-06")[4], "2026-11-02");
    }
}
