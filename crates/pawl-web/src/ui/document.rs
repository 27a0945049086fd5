//! The pages of documented information beyond the register's own (clauses
//! 5.2, 7.3, 7.5): a version to read, write, move and compare; the owner's
//! review; the tree; the printable document; the acknowledgement report;
//! the mandatory documents; and each person's reading list, where staff
//! read what is published for them and acknowledge it.

use super::page::{field, render, PageResult, Shell};
use super::section::Section;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::{Form, Path, Query};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;
use pawl_app::document as service;
use pawl_app::Principal;
use pawl_domain::access::Permission;
use pawl_domain::document::{DiffPart, VersionNumber, VERSION_WORKFLOW};
use pawl_domain::register::fields;
use pawl_domain::register::{DOCUMENT, LEVELS};
use pawl_domain::FieldError;
use pawl_store::{DocumentVersion, Obligation, Record, TreeNode};
use serde::Deserialize;
use serde_json::{Map, Value as Json};

/// The pages; `upload_limit` bounds a version uploaded as a file.
pub fn routes(router: Router<AppState>, upload_limit: usize) -> Router<AppState> {
    router
        .route(
            "/documents/{id}/versions/file",
            post(upload_version).layer(axum::extract::DefaultBodyLimit::max(upload_limit)),
        )
        .route("/documents/{id}/versions/{version}/file", get(version_file))
        .route("/read/{id}/file", get(read_file))
        .route("/documents/tree", get(tree))
        .route("/documents/mandatory", get(mandatory))
        .route("/documents/acknowledgements", get(acks))
        .route("/documents/acknowledgements.csv", get(acks_csv))
        .route("/documents/acknowledgements.xlsx", get(acks_xlsx))
        .route("/documents/{id}/versions/new", get(new_version))
        .route("/documents/{id}/versions", post(create_version))
        .route("/documents/{id}/versions/{version}", get(version).post(edit_version))
        .route("/documents/{id}/versions/{version}/move", post(move_version))
        .route("/documents/{id}/diff", get(diff))
        .route("/documents/{id}/review", get(review_form).post(review))
        .route("/documents/{id}/print", get(print))
        .route("/read", get(reading))
        .route("/read/{id}", get(read).post(acknowledge))
}

fn level_label(code: &str) -> &'static str {
    LEVELS.iter().find(|l| l.code == code).map_or("Document", |l| l.label)
}

fn state_label(code: &str) -> &'static str {
    VERSION_WORKFLOW.label(code)
}

fn number(s: &str) -> Result<VersionNumber, ApiError> {
    Ok(VersionNumber::parse("version", s)?)
}

fn today() -> String {
    crate::api::control::today().to_string()
}

/// The sections the document page adds to the register's record page.
pub(crate) async fn sections(s: &AppState, p: &Principal, r: &Record) -> Result<Vec<Section>, ApiError> {
    let reader = s.app.store.org(&p.organisation.id);
    let versions = reader.document_versions(&r.id).await?;
    let working = versions.iter().any(|v| pawl_domain::document::is_working(&v.status));
    let trace = reader.document_trace(&r.id).await?;
    let children = reader.document_children(&r.id).await?;
    let obligations = reader.obligations(Some(&r.id)).await?;
    let reviews = reader.document_reviews(&r.id).await?;
    let t = today();
    let read = obligations.iter().filter(|o| o.acknowledged_at.is_some()).count();
    let overdue = obligations
        .iter()
        .filter(|o| o.acknowledged_at.is_none() && o.due.as_deref().is_some_and(|d| d < t.as_str()))
        .count();
    let node = |n: &TreeNode| {
        (
            format!("/documents/{}", n.id),
            format!("{} {} · {}", n.reference, n.title, level_label(&n.level)),
        )
    };
    let mut place: Vec<(String, String)> = trace
        .iter()
        .skip(1)
        .rev()
        .map(|n| {
            let (h, t) = node(n);
            (h, format!("Under {t}"))
        })
        .collect();
    place.extend(children.iter().map(|n| {
        let (h, t) = node(n);
        (h, format!("Above {t}"))
    }));
    let can_write = p.can(DOCUMENT.write);
    Ok(vec![
        Section {
            title: format!("Versions ({})", versions.len()),
            empty: "No version yet. Write the first one in Markdown; it is numbered 1.0.".into(),
            lines: versions
                .iter()
                .map(|v| {
                    (
                        format!("/documents/{}/versions/{}", r.id, v.number),
                        format!("{} · {} · {}", v.number, state_label(&v.status), v.change_summary),
                    )
                })
                .collect(),
            action: (can_write && !working).then(|| {
                (
                    "Start a new version".into(),
                    format!("/documents/{}/versions/new", r.id),
                )
            }),
        },
        Section {
            title: "Place in the tree".into(),
            empty: "A policy with nothing under it yet.".into(),
            lines: place,
            action: Some(("The whole document tree".into(), "/documents/tree".into())),
        },
        Section {
            title: "Acknowledgement".into(),
            empty: if fields::document::PUBLISHED_VERSION.text(&r.values).is_empty() {
                "Nothing to acknowledge until a version is published.".into()
            } else {
                "Nobody is asked to read it: name its audience.".into()
            },
            lines: if obligations.is_empty() {
                Vec::new()
            } else {
                vec![(
                    "/documents/acknowledgements".into(),
                    format!(
                        "{read} of {} have read version {}{}",
                        obligations.len(),
                        fields::document::PUBLISHED_VERSION.text(&r.values),
                        if overdue > 0 {
                            format!("; {overdue} overdue")
                        } else {
                            String::new()
                        }
                    ),
                )]
            },
            action: Some(("Print it with its history".into(), format!("/documents/{}/print", r.id))),
        },
        Section {
            title: format!("Reviews ({})", reviews.len()),
            empty: "Never reviewed. A review with no change still counts, and sets the next review date.".into(),
            lines: reviews
                .iter()
                .map(|v| {
                    (
                        format!("/documents/{}/review", r.id),
                        format!(
                            "{} by {}: {}{}",
                            v.reviewed_on,
                            v.reviewer_name,
                            outcome_label(&v.outcome),
                            if v.note.is_empty() {
                                String::new()
                            } else {
                                format!(" — {}", v.note)
                            }
                        ),
                    )
                })
                .collect(),
            action: can_write.then(|| ("Record a review".into(), format!("/documents/{}/review", r.id))),
        },
    ])
}

/// The problem a refused form has with one of its fields.
fn error_of<'a>(errors: &'a [FieldError], field: &str) -> Option<&'a str> {
    errors.iter().find(|e| e.field == field).map(|e| e.message.as_str())
}

fn outcome_label(code: &str) -> &'static str {
    service::REVIEW_OUTCOMES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or("Reviewed", |(_, l)| l)
}

/// A version as a page shows it.
struct VersionView {
    number: String,
    status: &'static str,
    status_code: String,
    summary: String,
    author: String,
    approver: String,
    reviewers: String,
    approved_at: String,
    published_at: String,
    created_at: String,
    html: String,
    file: Option<String>,
}

fn view(v: &DocumentVersion) -> VersionView {
    let day = |s: &Option<String>| {
        s.as_deref()
            .map(|d| d.get(..10).unwrap_or(d).to_owned())
            .unwrap_or_default()
    };
    VersionView {
        number: v.number.to_string(),
        status: state_label(&v.status),
        status_code: v.status.clone(),
        summary: v.change_summary.clone(),
        author: v.author_name.clone(),
        approver: v.approver.as_ref().map(|a| a.name.clone()).unwrap_or_default(),
        reviewers: v
            .reviewers
            .iter()
            .map(|r| r.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        approved_at: day(&v.approved_at),
        published_at: day(&v.published_at),
        created_at: day(&Some(v.created_at.clone())),
        html: pawl_reports::markdown::to_html(&v.content),
        file: v.file.as_ref().map(|f| format!("{} ({} bytes)", f.name, f.size)),
    }
}

struct MoveButton {
    to: &'static str,
    label: &'static str,
}

#[derive(Template)]
#[template(path = "document_version.html")]
struct VersionPage {
    shell: Shell,
    doc: Record,
    v: VersionView,
    version: i64,
    moves: Vec<MoveButton>,
    others: Vec<String>,
    can_write: bool,
    content: String,
    approver_email: String,
    reviewer_emails: String,
    errors: Vec<FieldError>,
    error: Option<String>,
    notice: Option<String>,
}

impl VersionPage {
    fn err(&self, field: &str) -> Option<&str> {
        error_of(&self.errors, field)
    }
}

#[derive(Deserialize)]
struct Notice {
    notice: Option<String>,
    error: Option<String>,
}

async fn version_page(
    s: &AppState,
    p: &Principal,
    id: &str,
    n: VersionNumber,
    errors: Vec<FieldError>,
    typed: Option<&[(String, String)]>,
) -> Result<VersionPage, ApiError> {
    let reader = s.app.store.org(&p.organisation.id);
    let doc = reader.record(&DOCUMENT, id).await?;
    let versions = reader.document_versions(id).await?;
    let v = versions
        .iter()
        .find(|v| v.number == n)
        .ok_or(pawl_store::StoreError::NotFound { entity: "version" })?;
    let can_write = p.can(DOCUMENT.write);
    let moves = if can_write {
        VERSION_WORKFLOW
            .moves_from(&v.status)
            .map(|t| MoveButton {
                to: t.to,
                label: t.label,
            })
            .collect()
    } else {
        Vec::new()
    };
    let typed_of = |name: &str, stored: String| {
        typed
            .and_then(|t| t.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
            .unwrap_or(stored)
    };
    Ok(VersionPage {
        shell: Shell::new(s, p, DOCUMENT.path).await?,
        content: typed_of("content", v.content.clone()),
        approver_email: typed_of(
            "approver",
            v.approver.as_ref().map(|a| a.name.clone()).unwrap_or_default(),
        ),
        reviewer_emails: typed_of(
            "reviewers",
            v.reviewers
                .iter()
                .map(|r| r.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        ),
        others: versions
            .iter()
            .filter(|o| o.number != n && o.file.is_none())
            .map(|o| o.number.to_string())
            .collect(),
        v: view(v),
        version: v.version,
        moves,
        can_write,
        doc,
        errors,
        error: None,
        notice: None,
    })
}

async fn version(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path((id, v)): Path<(String, String)>,
    Query(q): Query<Notice>,
) -> PageResult {
    let mut page = version_page(&s, &p, &id, number(&v)?, Vec::new(), None).await?;
    page.notice = q.notice;
    page.error = q.error;
    Ok(render(&page))
}

fn expected(form: &[(String, String)]) -> Result<Option<i64>, ApiError> {
    match field(form, "version") {
        "" => Ok(None),
        v => v
            .parse()
            .map(Some)
            .map_err(|_| ApiError::bad_request("the form's version is not a number; reload the page")),
    }
}

fn reviewers_of(text: &str) -> Vec<String> {
    text.split([',', '\n', ';'])
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty())
        .collect()
}

/// Saves a draft from its page; refused changes come back beside their fields.
async fn edit_version(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path((id, v)): Path<(String, String)>,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    let n = number(&v)?;
    let mut input = Map::new();
    for k in ["content", "change_summary", "approver"] {
        input.insert(k.into(), Json::String(field(&form, k).to_owned()));
    }
    input.insert(
        "reviewers".into(),
        Json::Array(
            reviewers_of(field(&form, "reviewers"))
                .into_iter()
                .map(Json::String)
                .collect(),
        ),
    );
    match service::change_version(&s.app.store, &p, &id, n, &input, expected(&form)?).await {
        Ok(_) => Ok(Redirect::to(&format!("/documents/{id}/versions/{n}?notice=Draft+saved")).into_response()),
        Err(pawl_app::AppError::Invalid(pawl_domain::DomainError::Invalid(errors))) => {
            let mut page = version_page(&s, &p, &id, n, errors, Some(&form)).await?;
            page.error = Some("The draft was not saved; see the fields marked below.".into());
            Ok(render(&page))
        }
        Err(e) => Err(e.into()),
    }
}

async fn move_version(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path((id, v)): Path<(String, String)>,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    let n = number(&v)?;
    let to = field(&form, "to").to_owned();
    let back = |key: &str, msg: String| {
        Redirect::to(&format!(
            "/documents/{id}/versions/{n}?{}",
            serde_urlencoded::to_string([(key, msg)]).unwrap_or_default()
        ))
        .into_response()
    };
    match service::move_version(&s.app.store, &p, &id, n, &to, expected(&form)?).await {
        Ok(moved) => Ok(back(
            "notice",
            format!("Version {n} is now {}", state_label(&moved.status).to_lowercase()),
        )),
        // A refused move is told on the version's page, where it was asked.
        Err(e @ (pawl_app::AppError::Invalid(_) | pawl_app::AppError::Refused(_))) => Ok(back("error", e.to_string())),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "document_version_form.html")]
struct NewVersionPage {
    shell: Shell,
    doc: Record,
    first: bool,
    next_minor: String,
    next_major: String,
    content: String,
    change_summary: String,
    approver: String,
    reviewers: String,
    major: bool,
    errors: Vec<FieldError>,
    error: Option<String>,
}

impl NewVersionPage {
    fn err(&self, field: &str) -> Option<&str> {
        error_of(&self.errors, field)
    }
}

async fn new_version_page(
    s: &AppState,
    p: &Principal,
    id: &str,
    form: &[(String, String)],
    errors: Vec<FieldError>,
) -> Result<NewVersionPage, ApiError> {
    let reader = s.app.store.org(&p.organisation.id);
    let doc = reader.record(&DOCUMENT, id).await?;
    let versions = reader.document_versions(id).await?;
    let latest = versions.first();
    // A new version starts from the text of the newest one.
    let start = latest.map(|v| v.content.clone()).unwrap_or_default();
    let typed = |name: &str| form.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    Ok(NewVersionPage {
        shell: Shell::new(s, p, DOCUMENT.path).await?,
        first: latest.is_none(),
        next_minor: latest
            .map_or(VersionNumber::FIRST, |v| v.number.next(false))
            .to_string(),
        next_major: latest.map_or(VersionNumber::FIRST, |v| v.number.next(true)).to_string(),
        content: typed("content").unwrap_or(start),
        change_summary: typed("change_summary").unwrap_or_default(),
        approver: typed("approver").unwrap_or_else(|| {
            latest
                .and_then(|v| v.approver.as_ref())
                .map(|a| a.name.clone())
                .unwrap_or_default()
        }),
        reviewers: typed("reviewers").unwrap_or_default(),
        major: typed("major").is_some_and(|m| m == "on" || m == "true"),
        doc,
        errors,
        error: None,
    })
}

async fn new_version(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<String>) -> PageResult {
    Ok(render(&new_version_page(&s, &p, &id, &[], Vec::new()).await?))
}

async fn create_version(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    let input = service::VersionInput {
        content: field(&form, "content").to_owned(),
        change_summary: field(&form, "change_summary").to_owned(),
        major: matches!(field(&form, "major"), "on" | "true"),
        approver: Some(field(&form, "approver").to_owned()),
        reviewers: reviewers_of(field(&form, "reviewers")),
    };
    match service::add_version(&s.app.store, &p, &id, &input, None).await {
        Ok(v) => {
            Ok(Redirect::to(&format!("/documents/{id}/versions/{}?notice=Draft+started", v.number)).into_response())
        }
        Err(pawl_app::AppError::Invalid(pawl_domain::DomainError::Invalid(errors))) => {
            let mut page = new_version_page(&s, &p, &id, &form, errors).await?;
            page.error = Some("The version was not started; see the fields marked below.".into());
            Ok(render(&page))
        }
        Err(e) => Err(e.into()),
    }
}

async fn upload_version(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    crate::extract::Upload(mut form): crate::extract::Upload,
) -> PageResult {
    let (input, file) = crate::api::document::read_version_form(&s, &mut form).await?;
    let refused = |errors: Vec<FieldError>| async {
        let mut page = new_version_page(&s, &p, &id, &[], errors).await?;
        page.error = Some("The file was not added; see the fields marked below.".into());
        Ok::<_, super::page::PageError>(render(&page))
    };
    let Some(file) = file else {
        return refused(vec![FieldError::new("file", "choose a PDF, DOCX or ODT file")]).await;
    };
    match service::add_file_version(&s.app.store, &p, &id, &input, file).await {
        Ok(v) => Ok(Redirect::to(&format!(
            "/documents/{id}/versions/{}?notice=File+added+as+a+draft",
            v.number
        ))
        .into_response()),
        Err(pawl_app::AppError::Invalid(pawl_domain::DomainError::Invalid(errors))) => refused(errors).await,
        Err(e) => Err(e.into()),
    }
}

async fn version_file(State(s): State<AppState>, Auth(p): Auth, Path((id, v)): Path<(String, String)>) -> PageResult {
    let v = s
        .app
        .store
        .org(&p.organisation.id)
        .document_version(&id, number(&v)?)
        .await?;
    Ok(crate::api::document::file_download(&s, &v).await?)
}

#[derive(Deserialize)]
struct DiffQuery {
    from: Option<String>,
    to: Option<String>,
}

#[derive(Template)]
#[template(path = "document_diff.html")]
struct DiffPage {
    shell: Shell,
    doc: Record,
    from: String,
    to: String,
    numbers: Vec<String>,
    parts: Vec<(&'static str, String)>,
    error: Option<String>,
}

async fn diff(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    Query(q): Query<DiffQuery>,
) -> PageResult {
    let reader = s.app.store.org(&p.organisation.id);
    let doc = reader.record(&DOCUMENT, &id).await?;
    let versions = reader.document_versions(&id).await?;
    let numbers: Vec<String> = versions
        .iter()
        .filter(|v| v.file.is_none())
        .map(|v| v.number.to_string())
        .collect();
    let to =
        q.to.filter(|t| !t.is_empty())
            .or_else(|| numbers.first().cloned())
            .unwrap_or_default();
    let from = q
        .from
        .filter(|t| !t.is_empty())
        .or_else(|| numbers.get(1).cloned())
        .unwrap_or_else(|| to.clone());
    let (parts, error) = if to.is_empty() {
        (Vec::new(), None)
    } else {
        match service::diff(&s.app.store, &p.organisation.id, &id, &from, &to).await {
            Ok(parts) => (
                parts
                    .into_iter()
                    .map(|d| match d {
                        DiffPart::Same(t) => ("same", t),
                        DiffPart::Added(t) => ("added", t),
                        DiffPart::Removed(t) => ("removed", t),
                    })
                    .collect(),
                None,
            ),
            Err(e) => (Vec::new(), Some(e.to_string())),
        }
    };
    Ok(render(&DiffPage {
        shell: Shell::new(&s, &p, DOCUMENT.path).await?,
        doc,
        from,
        to,
        numbers,
        parts,
        error,
    }))
}

#[derive(Template)]
#[template(path = "document_review.html")]
struct ReviewPage {
    shell: Shell,
    doc: Record,
    outcomes: &'static [(&'static str, &'static str)],
    errors: Vec<FieldError>,
}

impl ReviewPage {
    fn err(&self, field: &str) -> Option<&str> {
        error_of(&self.errors, field)
    }
}

async fn review_form(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<String>) -> PageResult {
    let doc = s.app.store.org(&p.organisation.id).record(&DOCUMENT, &id).await?;
    Ok(render(&ReviewPage {
        shell: Shell::new(&s, &p, DOCUMENT.path).await?,
        doc,
        outcomes: service::REVIEW_OUTCOMES,
        errors: Vec::new(),
    }))
}

async fn review(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    match service::review(&s.app.store, &p, &id, field(&form, "outcome"), field(&form, "note")).await {
        Ok(r) => Ok(Redirect::to(&format!(
            "/documents/{id}?{}",
            serde_urlencoded::to_string([(
                "notice",
                format!("Review recorded; next review {}", r.next_review.unwrap_or_default())
            )])
            .unwrap_or_default()
        ))
        .into_response()),
        Err(pawl_app::AppError::Invalid(pawl_domain::DomainError::Invalid(errors))) => {
            let doc = s.app.store.org(&p.organisation.id).record(&DOCUMENT, &id).await?;
            Ok(render(&ReviewPage {
                shell: Shell::new(&s, &p, DOCUMENT.path).await?,
                doc,
                outcomes: service::REVIEW_OUTCOMES,
                errors,
            }))
        }
        Err(e) => Err(e.into()),
    }
}

/// One line of the tree page.
struct TreeLine {
    id: String,
    reference: String,
    title: String,
    level: &'static str,
    depth: i64,
    published: String,
    working: &'static str,
}

#[derive(Template)]
#[template(path = "document_tree.html")]
struct TreePage {
    shell: Shell,
    lines: Vec<TreeLine>,
    cut: bool,
}

/// The most lines the tree page draws; the API gives any one tree whole.
const TREE_LINES: usize = 2000;

async fn tree(State(s): State<AppState>, Auth(p): Auth) -> PageResult {
    let reader = s.app.store.org(&p.organisation.id);
    let mut lines = Vec::new();
    let mut cut = false;
    for root in reader.document_roots().await? {
        if lines.len() >= TREE_LINES {
            cut = true;
            break;
        }
        for n in reader.document_tree(&root.id).await? {
            lines.push(TreeLine {
                level: level_label(&n.level),
                working: if n.working_status.is_empty() {
                    ""
                } else {
                    state_label(&n.working_status)
                },
                id: n.id,
                reference: n.reference,
                title: n.title,
                depth: n.depth,
                published: n.published_version,
            });
        }
    }
    Ok(render(&TreePage {
        shell: Shell::new(&s, &p, "documents-tree").await?,
        lines,
        cut,
    }))
}

#[derive(Template)]
#[template(path = "document_print.html")]
struct PrintPage {
    doc: Record,
    level: &'static str,
    /// (label, value) of the document's particulars, empty ones left out.
    facts: Vec<(&'static str, String)>,
    /// (how it is linked, the linked record) from both sides.
    links: Vec<(String, String)>,
    current: Option<VersionView>,
    versions: Vec<VersionView>,
    obligations: Vec<(String, String, String)>,
    reviews: Vec<pawl_store::DocumentReview>,
    printed: String,
    static_version: &'static str,
}

impl PrintPage {
    fn outcome(&self, code: &str) -> &'static str {
        outcome_label(code)
    }
}

async fn print(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<String>) -> PageResult {
    let reader = s.app.store.org(&p.organisation.id);
    let doc = reader.record(&DOCUMENT, &id).await?;
    let versions = reader.document_versions(&id).await?;
    let t = today();
    let obligations = reader
        .obligations(Some(&id))
        .await?
        .into_iter()
        .map(|o| {
            let state = match (&o.acknowledged_at, &o.due) {
                (Some(a), _) => format!(
                    "Read {} (version {})",
                    a.get(..10).unwrap_or(a),
                    o.acknowledged_version.clone().unwrap_or_default()
                ),
                (None, Some(d)) if d.as_str() < t.as_str() => format!("Overdue since {d}"),
                (None, d) => format!(
                    "Waiting{}",
                    d.as_ref().map(|d| format!(", due {d}")).unwrap_or_default()
                ),
            };
            (o.name, state, o.published_version)
        })
        .collect();
    let mut facts = Vec::new();
    for f in [
        "owner",
        "classification",
        "audience",
        "clauses",
        "annex_a",
        "review_months",
        "next_review",
    ] {
        if let (Some(field), Some(v)) = (DOCUMENT.field(f), doc.value(f)) {
            let shown = DOCUMENT.label_of(field, v);
            if !shown.is_empty() {
                facts.push((field.label, shown));
            }
        }
    }
    let above: Vec<String> = reader
        .document_trace(&id)
        .await?
        .iter()
        .skip(1)
        .rev()
        .map(|n| format!("{} {}", n.reference, n.title))
        .collect();
    if !above.is_empty() {
        facts.push(("Sits under", above.join(" › ")));
    }
    let mut links = Vec::new();
    for outgoing in [true, false] {
        for l in reader.links(DOCUMENT.key, &id, outgoing).await? {
            let t = pawl_domain::register::link::LINK_TYPES
                .iter()
                .find(|t| t.code == l.link_type);
            let (how, other) = match (outgoing, t) {
                (true, Some(t)) => (t.label, &l.to),
                (false, Some(t)) => (t.inverse, &l.from),
                (_, None) => ("is linked to", if outgoing { &l.to } else { &l.from }),
            };
            let kind = pawl_domain::register::link::linkable(&other.kind).unwrap_or("Record");
            links.push((
                format!("{}{}", how[..1].to_uppercase(), &how[1..]),
                format!("{kind} {} {}", other.reference, other.title).replace("  ", " "),
            ));
        }
    }
    Ok(render(&PrintPage {
        facts,
        links,
        level: level_label(&fields::document::LEVEL.text(&doc.values)),
        current: versions.iter().find(|v| v.status == "published").map(view),
        versions: versions.iter().map(view).collect(),
        obligations,
        reviews: reader.document_reviews(&id).await?,
        printed: t,
        doc,
        static_version: super::page::static_version(),
    }))
}

struct AckLine {
    href: String,
    title: String,
    version: String,
    required: usize,
    acknowledged: usize,
    overdue: usize,
    percent: String,
}

#[derive(Template)]
#[template(path = "document_acks.html")]
struct AcksPage {
    shell: Shell,
    total: AckLine,
    documents: Vec<AckLine>,
    people: Vec<AckLine>,
}

fn ack_line(href: String, title: String, version: String, c: &service::Completion) -> AckLine {
    AckLine {
        href,
        title,
        version,
        required: c.required,
        acknowledged: c.acknowledged,
        overdue: c.overdue,
        percent: c.percent().map_or("no data".into(), |p| format!("{p}%")),
    }
}

async fn acks(State(s): State<AppState>, Auth(p): Auth) -> PageResult {
    let r = service::ack_report(&s.app.store, &p.organisation.id).await?;
    Ok(render(&AcksPage {
        shell: Shell::new(&s, &p, "documents-acks").await?,
        total: ack_line(String::new(), "Everyone".into(), String::new(), &r.total),
        documents: r
            .documents
            .iter()
            .map(|(id, t, v, c)| ack_line(format!("/documents/{id}"), t.clone(), v.clone(), c))
            .collect(),
        people: r
            .people
            .iter()
            .take(500)
            .map(|(n, c)| ack_line(String::new(), n.clone(), String::new(), c))
            .collect(),
    }))
}

async fn acks_csv(State(s): State<AppState>, Auth(p): Auth) -> PageResult {
    Ok(crate::api::document::ack_download(&s, &p.organisation.id, "csv").await?)
}

async fn acks_xlsx(State(s): State<AppState>, Auth(p): Auth) -> PageResult {
    Ok(crate::api::document::ack_download(&s, &p.organisation.id, "xlsx").await?)
}

#[derive(Template)]
#[template(path = "document_mandatory.html")]
struct MandatoryPage {
    shell: Shell,
    items: Vec<service::MandatoryStatus>,
    covered: usize,
    missing: usize,
}

impl MandatoryPage {
    fn status_label(&self, code: &str) -> &'static str {
        match code {
            "covered" => "Covered",
            "not_required" => "Not required",
            _ => "Missing",
        }
    }
}

async fn mandatory(State(s): State<AppState>, Auth(p): Auth) -> PageResult {
    let items = service::mandatory(&s.app.store, &p.organisation.id).await?;
    Ok(render(&MandatoryPage {
        shell: Shell::new(&s, &p, "documents-mandatory").await?,
        covered: items.iter().filter(|i| i.status == "covered").count(),
        missing: items.iter().filter(|i| i.status == "missing").count(),
        items,
    }))
}

struct ReadingLine {
    id: String,
    title: String,
    version: String,
    due: String,
    overdue: bool,
    read: String,
}

fn reading_line(o: Obligation, today: &str) -> ReadingLine {
    ReadingLine {
        overdue: o.acknowledged_at.is_none() && o.due.as_deref().is_some_and(|d| d < today),
        id: o.document_id,
        title: format!("{} {}", o.reference, o.title),
        version: o.published_version,
        due: o.due.unwrap_or_default(),
        read: o
            .acknowledged_at
            .map(|a| {
                format!(
                    "{} (version {})",
                    a.get(..10).unwrap_or(&a),
                    o.acknowledged_version.unwrap_or_default()
                )
            })
            .unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "document_reading.html")]
struct ReadingPage {
    shell: Shell,
    to_read: Vec<ReadingLine>,
    done: Vec<ReadingLine>,
}

async fn reading(State(s): State<AppState>, Auth(p): Auth) -> PageResult {
    let t = today();
    let (done, to_read): (Vec<_>, Vec<_>) = s
        .app
        .store
        .org(&p.organisation.id)
        .reading_list(&p.user_id)
        .await?
        .into_iter()
        .map(|o| reading_line(o, &t))
        .partition(|l| !l.read.is_empty());
    Ok(render(&ReadingPage {
        shell: Shell::new(&s, &p, "read").await?,
        to_read,
        done,
    }))
}

#[derive(Template)]
#[template(path = "document_read.html")]
struct ReadPage {
    shell: Shell,
    /// Who answers questions about it: its owner, by name.
    owner: String,
    doc: Record,
    level: &'static str,
    v: VersionView,
    line: Option<ReadingLine>,
    notice: Option<String>,
}

/// The published version for its reader: anyone in the audience, and
/// whoever may read the ISMS.
async fn read(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<String>, Query(q): Query<Notice>) -> PageResult {
    let reader = s.app.store.org(&p.organisation.id);
    let doc = reader.record(&DOCUMENT, &id).await?;
    let line = reader
        .reading_list(&p.user_id)
        .await?
        .into_iter()
        .find(|o| o.document_id == id)
        .map(|o| reading_line(o, &today()));
    let published = published_for(&s, &p, &doc, line.is_some()).await?;
    Ok(render(&ReadPage {
        shell: Shell::new(&s, &p, "read").await?,
        owner: fields::document::OWNER.text(&doc.values),
        level: level_label(&fields::document::LEVEL.text(&doc.values)),
        v: view(&published),
        doc,
        line,
        notice: q.notice,
    }))
}

/// The published version of a document for a reader: someone in its
/// audience (`asked`), or anyone who may read the ISMS.
async fn published_for(s: &AppState, p: &Principal, doc: &Record, asked: bool) -> Result<DocumentVersion, ApiError> {
    if !asked && !p.can(Permission::ReadIsms) {
        return Err(pawl_app::AppError::Refused(format!("{} is not published for you to read", doc.title())).into());
    }
    let versions = s.app.store.org(&p.organisation.id).document_versions(&doc.id).await?;
    versions
        .into_iter()
        .find(|v| v.status == "published")
        .ok_or_else(|| pawl_app::AppError::Refused(format!("{} has no published version yet", doc.title())).into())
}

async fn read_file(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<String>) -> PageResult {
    let doc = s.app.store.org(&p.organisation.id).record(&DOCUMENT, &id).await?;
    let asked = s.app.store.org(&p.organisation.id).in_audience(&id, &p.user_id).await?;
    let v = published_for(&s, &p, &doc, asked).await?;
    Ok(crate::api::document::file_download(&s, &v).await?)
}

async fn acknowledge(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<String>) -> PageResult {
    service::acknowledge(&s.app.store, &p, &id).await?;
    Ok(Redirect::to(&format!(
        "/read/{id}?notice=Thank+you%3B+your+acknowledgement+is+recorded"
    ))
    .into_response())
}
