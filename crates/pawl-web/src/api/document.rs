//! Documented information beyond the register's own routes (clauses 5.2,
//! 7.3, 7.5): versions and their workflow, word-level comparison, the tree
//! and the trace, the owner's reviews, acknowledgements and their report,
//! and the mandatory documented information.

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, Problem};
use crate::etag::{if_match, with_etag};
use crate::extract::{Json, Path, Query};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use pawl_app::document as service;
use pawl_domain::document::{DiffPart, VersionNumber};
use pawl_store::{DocumentReview, DocumentVersion, Obligation, TreeNode};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as JsonValue};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct NamedOut {
    pub user_id: String,
    /// Their e-mail address.
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct VersionFileOut {
    pub sha256: String,
    pub name: String,
    pub content_type: String,
    pub size: i64,
}

/// One version of a document (7.5.2, 7.5.3).
#[derive(Serialize, ToSchema)]
pub struct DocumentVersionOut {
    pub id: String,
    pub document_id: String,
    /// major.minor, e.g. 2.0.
    pub number: String,
    /// draft, in_review, approved, published, superseded or withdrawn.
    pub status: String,
    /// Markdown; empty when the version is a file.
    pub content: String,
    pub file: Option<VersionFileOut>,
    pub change_summary: String,
    pub author_user_id: Option<String>,
    pub author_name: String,
    pub approver: Option<NamedOut>,
    pub reviewers: Vec<NamedOut>,
    pub approved_at: Option<String>,
    pub published_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub version: i64,
}

impl From<DocumentVersion> for DocumentVersionOut {
    fn from(v: DocumentVersion) -> Self {
        let named = |n: pawl_store::Named| NamedOut {
            user_id: n.user_id,
            name: n.name,
        };
        DocumentVersionOut {
            id: v.id,
            document_id: v.document_id,
            number: v.number.to_string(),
            status: v.status,
            content: v.content,
            file: v.file.map(|f| VersionFileOut {
                sha256: f.sha256,
                name: f.name,
                content_type: f.content_type,
                size: f.size,
            }),
            change_summary: v.change_summary,
            author_user_id: v.author_user_id,
            author_name: v.author_name,
            approver: v.approver.map(named),
            reviewers: v.reviewers.into_iter().map(named).collect(),
            approved_at: v.approved_at,
            published_at: v.published_at,
            created_at: v.created_at,
            updated_at: v.updated_at,
            version: v.version,
        }
    }
}

crate::response::list_of!(DocumentVersionList, DocumentVersionOut);

fn number(field: &str, s: &str) -> ApiResult<VersionNumber> {
    Ok(VersionNumber::parse(field, s)?)
}

/// The versions of a document, newest first.
#[utoipa::path(get, path = "/api/v1/documents/{id}/versions", tag = "documents", params(("id" = String, Path)),
    responses((status = 200, body = DocumentVersionList), (status = 404, body = Problem)))]
pub async fn versions_list(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<DocumentVersionList>> {
    let reader = s.app.store.org(&p.organisation.id);
    reader.record(&pawl_domain::register::DOCUMENT, &id).await?;
    let versions = reader.document_versions(&id).await?;
    Ok(axum::Json(crate::response::ListBody::whole(
        versions.into_iter().map(Into::into).collect(),
    )))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionInputDoc {
    /// The version in Markdown.
    pub content: String,
    /// What this version changes.
    pub change_summary: String,
    /// A material change: the next major version, which the audience
    /// acknowledges again. The first version is 1.0 whatever this says.
    #[serde(default)]
    pub major: bool,
    /// The approver's e-mail address: a member who is not the author.
    #[serde(default)]
    pub approver: Option<String>,
    /// Reviewers' e-mail addresses.
    #[serde(default)]
    pub reviewers: Vec<String>,
}

/// Starts a new draft version, numbered after the newest one.
#[utoipa::path(post, path = "/api/v1/documents/{id}/versions", tag = "documents", params(("id" = String, Path)),
    request_body = VersionInputDoc,
    responses((status = 201, body = DocumentVersionOut), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn version_create(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    Json(input): Json<VersionInputDoc>,
) -> ApiResult<Response> {
    let v = service::add_version(
        &s.app.store,
        &p,
        &id,
        &service::VersionInput {
            content: input.content,
            change_summary: input.change_summary,
            major: input.major,
            approver: input.approver,
            reviewers: input.reviewers,
        },
        None,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        with_etag(v.version),
        axum::Json(DocumentVersionOut::from(v)),
    )
        .into_response())
}

/// Reads a version upload: `file`, `change_summary`, `major`, `approver`
/// and any number of `reviewer` parts.
pub(crate) async fn read_version_form(
    s: &AppState,
    form: &mut axum::extract::Multipart,
) -> ApiResult<(service::VersionInput, Option<pawl_app::evidence::SealedFile>)> {
    let mut input = service::VersionInput::default();
    let mut file = None;
    loop {
        let field = form
            .next_field()
            .await
            .map_err(|e| ApiError::bad_request(format!("unreadable upload: {e}")))?;
        let Some(field) = field else { break };
        if field.name() == Some("file") {
            file = crate::api::control::read_file_part(s, field).await?;
            continue;
        }
        let (name, value) = crate::api::control::read_text_part(s, field).await?;
        match name.as_str() {
            "change_summary" => input.change_summary = value,
            "major" => input.major = matches!(value.as_str(), "true" | "on" | "1"),
            "approver" => input.approver = Some(value),
            "reviewer" | "reviewers" => input.reviewers.extend(value.split(',').map(|r| r.trim().to_owned())),
            _ => {
                return Err(ApiError::invalid(vec![pawl_domain::FieldError::new(
                    name,
                    "not a part of a version upload; send file, change_summary, major, approver or reviewer",
                )]))
            }
        }
    }
    Ok((input, file))
}

/// Starts a new draft version that is a file (PDF, DOCX or ODT), as
/// `multipart/form-data`: `file`, `change_summary`, `major`, `approver`
/// and `reviewer` parts.
#[utoipa::path(post, path = "/api/v1/documents/{id}/versions/file", tag = "documents", params(("id" = String, Path)),
    request_body(content_type = "multipart/form-data", description = "The file and the version's summary and people"),
    responses((status = 201, body = DocumentVersionOut), (status = 400, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn version_upload(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    crate::extract::Upload(mut form): crate::extract::Upload,
) -> ApiResult<Response> {
    let (input, file) = read_version_form(&s, &mut form).await?;
    let file = file.ok_or_else(|| {
        ApiError::invalid(vec![pawl_domain::FieldError::new(
            "file",
            "attach the document as a PDF, DOCX or ODT file",
        )])
    })?;
    let v = service::add_file_version(&s.app.store, &p, &id, &input, file).await?;
    Ok((
        StatusCode::CREATED,
        with_etag(v.version),
        axum::Json(DocumentVersionOut::from(v)),
    )
        .into_response())
}

/// The file of a version, after its SHA-256 is checked again.
#[utoipa::path(get, path = "/api/v1/documents/{id}/versions/{version}/file", tag = "documents",
    params(("id" = String, Path), ("version" = String, Path)),
    responses((status = 200, description = "The file"), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn version_file(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path((id, version)): Path<(String, String)>,
) -> ApiResult<Response> {
    let v = s
        .app
        .store
        .org(&p.organisation.id)
        .document_version(&id, number("version", &version)?)
        .await?;
    file_download(&s, &v).await
}

/// A version's file as a download.
pub(crate) async fn file_download(s: &AppState, v: &DocumentVersion) -> ApiResult<Response> {
    let Some(f) = &v.file else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "Not found",
            format!("version {} is Markdown, not a file", v.number),
        ));
    };
    let file = s.app.blobs.open_verified(&f.sha256).await?;
    let body = axum::body::Body::from_stream(tokio_util::io::ReaderStream::with_capacity(file, 1 << 16));
    Ok((
        crate::response::attachment(&f.content_type, &f.name),
        [(axum::http::header::CONTENT_LENGTH, f.size.to_string())],
        body,
    )
        .into_response())
}

/// One version, e.g. `1.0`.
#[utoipa::path(get, path = "/api/v1/documents/{id}/versions/{version}", tag = "documents",
    params(("id" = String, Path), ("version" = String, Path, description = "major.minor")),
    responses((status = 200, body = DocumentVersionOut), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn version_get(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path((id, version)): Path<(String, String)>,
) -> ApiResult<Response> {
    let v = s
        .app
        .store
        .org(&p.organisation.id)
        .document_version(&id, number("version", &version)?)
        .await?;
    Ok((with_etag(v.version), axum::Json(DocumentVersionOut::from(v))).into_response())
}

/// The body of a draft's change, for the API document only: the handler
/// reads it as a map, to tell a field left out from one set to null.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct VersionPatchDoc {
    pub content: Option<String>,
    pub change_summary: Option<String>,
    /// An e-mail address; null names none.
    pub approver: Option<String>,
    pub reviewers: Option<Vec<String>>,
}

/// Changes a draft: its content, change summary, approver or reviewers.
#[utoipa::path(patch, path = "/api/v1/documents/{id}/versions/{version}", tag = "documents",
    params(("id" = String, Path), ("version" = String, Path), ("If-Match" = Option<String>, Header)),
    request_body = VersionPatchDoc,
    responses((status = 200, body = DocumentVersionOut), (status = 404, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn version_patch(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path((id, version)): Path<(String, String)>,
    headers: axum::http::HeaderMap,
    Json(input): Json<Map<String, JsonValue>>,
) -> ApiResult<Response> {
    let expected = if_match(&headers, &p.organisation)?;
    let v = service::change_version(&s.app.store, &p, &id, number("version", &version)?, &input, expected).await?;
    Ok((with_etag(v.version), axum::Json(DocumentVersionOut::from(v))).into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionMove {
    /// in_review, draft, approved, published or withdrawn.
    pub to: String,
}

/// Moves a version: draft → in_review → approved → published, back to
/// draft, or withdrawn. Only the named approver approves, never the author
/// (segregation of duties, A.5.3); publishing supersedes the version in force.
#[utoipa::path(post, path = "/api/v1/documents/{id}/versions/{version}/transitions", tag = "documents",
    params(("id" = String, Path), ("version" = String, Path), ("If-Match" = Option<String>, Header)),
    request_body = VersionMove,
    responses((status = 200, body = DocumentVersionOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn version_transition(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path((id, version)): Path<(String, String)>,
    headers: axum::http::HeaderMap,
    Json(input): Json<VersionMove>,
) -> ApiResult<Response> {
    let expected = if_match(&headers, &p.organisation)?;
    let v = service::move_version(&s.app.store, &p, &id, number("version", &version)?, &input.to, expected).await?;
    Ok((with_etag(v.version), axum::Json(DocumentVersionOut::from(v))).into_response())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DiffParams {
    /// The older version, e.g. 1.0.
    pub from: String,
    /// The newer version, e.g. 2.0.
    pub to: String,
}

#[derive(Serialize, ToSchema)]
pub struct DiffPartOut {
    /// same, added or removed.
    pub change: String,
    pub text: String,
}

#[derive(Serialize, ToSchema)]
pub struct DiffOut {
    pub from: String,
    pub to: String,
    /// Runs of words, in order.
    pub parts: Vec<DiffPartOut>,
}

/// A word-level comparison of two Markdown versions.
#[utoipa::path(get, path = "/api/v1/documents/{id}/diff", tag = "documents", params(("id" = String, Path), DiffParams),
    responses((status = 200, body = DiffOut), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn diff(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    Query(q): Query<DiffParams>,
) -> ApiResult<axum::Json<DiffOut>> {
    s.app
        .store
        .org(&p.organisation.id)
        .record(&pawl_domain::register::DOCUMENT, &id)
        .await?;
    let parts = service::diff(&s.app.store, &p.organisation.id, &id, &q.from, &q.to).await?;
    Ok(axum::Json(DiffOut {
        from: q.from,
        to: q.to,
        parts: parts
            .into_iter()
            .map(|d| match d {
                DiffPart::Same(t) => DiffPartOut {
                    change: "same".into(),
                    text: t,
                },
                DiffPart::Added(t) => DiffPartOut {
                    change: "added".into(),
                    text: t,
                },
                DiffPart::Removed(t) => DiffPartOut {
                    change: "removed".into(),
                    text: t,
                },
            })
            .collect(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct TreeNodeOut {
    pub id: String,
    pub reference: String,
    pub title: String,
    /// policy, process, procedure or work_instruction.
    pub level: String,
    pub parent_id: Option<String>,
    /// 0 for the document asked for.
    pub depth: i64,
    pub published_version: String,
    pub working_status: String,
}

impl From<TreeNode> for TreeNodeOut {
    fn from(n: TreeNode) -> Self {
        TreeNodeOut {
            id: n.id,
            reference: n.reference,
            title: n.title,
            level: n.level,
            parent_id: n.parent_id,
            depth: n.depth,
            published_version: n.published_version,
            working_status: n.working_status,
        }
    }
}

crate::response::list_of!(TreeList, TreeNodeOut);

/// A document and everything under it, depth first.
#[utoipa::path(get, path = "/api/v1/documents/{id}/tree", tag = "documents", params(("id" = String, Path)),
    responses((status = 200, body = TreeList), (status = 404, body = Problem)))]
pub async fn tree(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<String>) -> ApiResult<axum::Json<TreeList>> {
    let reader = s.app.store.org(&p.organisation.id);
    reader.record(&pawl_domain::register::DOCUMENT, &id).await?;
    let nodes = reader.document_tree(&id).await?;
    Ok(axum::Json(crate::response::ListBody::whole(
        nodes.into_iter().map(Into::into).collect(),
    )))
}

/// From a document up to its policy, the document first.
#[utoipa::path(get, path = "/api/v1/documents/{id}/trace", tag = "documents", params(("id" = String, Path)),
    responses((status = 200, body = TreeList), (status = 404, body = Problem)))]
pub async fn trace(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<TreeList>> {
    let reader = s.app.store.org(&p.organisation.id);
    reader.record(&pawl_domain::register::DOCUMENT, &id).await?;
    let nodes = reader.document_trace(&id).await?;
    Ok(axum::Json(crate::response::ListBody::whole(
        nodes.into_iter().map(Into::into).collect(),
    )))
}

#[derive(Serialize, ToSchema)]
pub struct ObligationOut {
    pub document_id: String,
    pub reference: String,
    pub title: String,
    pub published_version: String,
    pub user_id: String,
    /// Their e-mail address.
    pub person: String,
    pub acknowledged_at: Option<String>,
    pub acknowledged_version: Option<String>,
    /// When it must be acknowledged by.
    pub due: Option<String>,
    pub overdue: bool,
}

fn obligation_out(o: Obligation, today: &str) -> ObligationOut {
    ObligationOut {
        overdue: o.acknowledged_at.is_none() && o.due.as_deref().is_some_and(|d| d < today),
        document_id: o.document_id,
        reference: o.reference,
        title: o.title,
        published_version: o.published_version,
        user_id: o.user_id,
        person: o.name,
        acknowledged_at: o.acknowledged_at,
        acknowledged_version: o.acknowledged_version,
        due: o.due,
    }
}

crate::response::list_of!(ObligationList, ObligationOut);

fn today() -> String {
    crate::api::control::today().to_string()
}

/// Who must read the published version and who has (7.3).
#[utoipa::path(get, path = "/api/v1/documents/{id}/acknowledgements", tag = "documents", params(("id" = String, Path)),
    responses((status = 200, body = ObligationList), (status = 404, body = Problem)))]
pub async fn acknowledgements(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<ObligationList>> {
    let reader = s.app.store.org(&p.organisation.id);
    reader.record(&pawl_domain::register::DOCUMENT, &id).await?;
    let t = today();
    let all = reader.obligations(Some(&id)).await?;
    Ok(axum::Json(crate::response::ListBody::whole(
        all.into_iter().map(|o| obligation_out(o, &t)).collect(),
    )))
}

/// The signed-in person acknowledges the published version: they read it.
#[utoipa::path(post, path = "/api/v1/documents/{id}/acknowledgements", tag = "documents", params(("id" = String, Path)),
    responses((status = 201, body = ObligationOut), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn acknowledge(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<String>) -> ApiResult<Response> {
    let o = service::acknowledge(&s.app.store, &p, &id).await?;
    Ok((StatusCode::CREATED, axum::Json(obligation_out(o, &today()))).into_response())
}

/// What the signed-in person must read, read or not.
#[utoipa::path(get, path = "/api/v1/me/reading", tag = "documents", responses((status = 200, body = ObligationList)))]
pub async fn my_reading(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<axum::Json<ObligationList>> {
    let t = today();
    let all = s.app.store.org(&p.organisation.id).reading_list(&p.user_id).await?;
    Ok(axum::Json(crate::response::ListBody::whole(
        all.into_iter().map(|o| obligation_out(o, &t)).collect(),
    )))
}

#[derive(Serialize, ToSchema)]
pub struct CompletionOut {
    pub required: usize,
    pub acknowledged: usize,
    pub overdue: usize,
    /// Whole per cent; null when nobody is asked.
    pub percent: Option<usize>,
}

impl From<&service::Completion> for CompletionOut {
    fn from(c: &service::Completion) -> Self {
        CompletionOut {
            required: c.required,
            acknowledged: c.acknowledged,
            overdue: c.overdue,
            percent: c.percent(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct DocumentCompletionOut {
    pub document_id: String,
    pub title: String,
    pub published_version: String,
    pub completion: CompletionOut,
}

#[derive(Serialize, ToSchema)]
pub struct PersonCompletionOut {
    pub person: String,
    pub completion: CompletionOut,
}

#[derive(Serialize, ToSchema)]
pub struct AckReportOut {
    pub total: CompletionOut,
    pub documents: Vec<DocumentCompletionOut>,
    /// Most overdue first.
    pub people: Vec<PersonCompletionOut>,
}

/// Acknowledgement completion per document and per person (7.3).
#[utoipa::path(get, path = "/api/v1/acknowledgements", tag = "documents", responses((status = 200, body = AckReportOut)))]
pub async fn ack_report(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<axum::Json<AckReportOut>> {
    let r = service::ack_report(&s.app.store, &p.organisation.id).await?;
    Ok(axum::Json(AckReportOut {
        total: (&r.total).into(),
        documents: r
            .documents
            .iter()
            .map(|(id, title, v, c)| DocumentCompletionOut {
                document_id: id.clone(),
                title: title.clone(),
                published_version: v.clone(),
                completion: c.into(),
            })
            .collect(),
        people: r
            .people
            .iter()
            .map(|(person, c)| PersonCompletionOut {
                person: person.clone(),
                completion: c.into(),
            })
            .collect(),
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormatParams {
    /// csv (default) or xlsx.
    pub format: Option<String>,
}

/// Every person and document they must read, as CSV or XLSX, for the auditor.
#[utoipa::path(get, path = "/api/v1/acknowledgements/export", tag = "documents", params(FormatParams),
    responses((status = 200, description = "The acknowledgement status of every person and document", content_type = "text/csv"), (status = 422, body = Problem)))]
pub async fn ack_export(
    State(s): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<FormatParams>,
) -> ApiResult<Response> {
    ack_download(&s, &p.organisation.id, q.format.as_deref().unwrap_or("csv")).await
}

pub(crate) async fn ack_download(s: &AppState, org_id: &str, format: &str) -> ApiResult<Response> {
    let all = s.app.store.org(org_id).obligations(None).await?;
    let name = format!("acknowledgements-{}", today());
    match format {
        "csv" => Ok((
            crate::response::attachment("text/csv; charset=utf-8", &format!("{name}.csv")),
            service::ack_csv(&all)?,
        )
            .into_response()),
        "xlsx" => {
            let t = today();
            let rows: Vec<Vec<String>> = all.iter().map(|o| service::ack_cells(o, &t)).collect();
            let bytes = pawl_reports::xlsx::table_bytes("Acknowledgements", &service::ACK_HEADER, &rows)?;
            Ok((
                crate::response::attachment(
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    &format!("{name}.xlsx"),
                ),
                bytes,
            )
                .into_response())
        }
        other => Err(ApiError::invalid(vec![pawl_domain::FieldError::new(
            "format",
            format!("{other:?} is not csv or xlsx"),
        )])),
    }
}

#[derive(Serialize, ToSchema)]
pub struct ReviewOut {
    pub id: String,
    pub reviewed_on: String,
    pub reviewer_name: String,
    /// no_change or change_needed.
    pub outcome: String,
    pub note: String,
    pub next_review: Option<String>,
}

impl From<DocumentReview> for ReviewOut {
    fn from(r: DocumentReview) -> Self {
        ReviewOut {
            id: r.id,
            reviewed_on: r.reviewed_on,
            reviewer_name: r.reviewer_name,
            outcome: r.outcome,
            note: r.note,
            next_review: r.next_review,
        }
    }
}

crate::response::list_of!(ReviewList, ReviewOut);

/// The owner's reviews of a document, newest first.
#[utoipa::path(get, path = "/api/v1/documents/{id}/reviews", tag = "documents", params(("id" = String, Path)),
    responses((status = 200, body = ReviewList), (status = 404, body = Problem)))]
pub async fn reviews(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<ReviewList>> {
    let reader = s.app.store.org(&p.organisation.id);
    reader.record(&pawl_domain::register::DOCUMENT, &id).await?;
    let all = reader.document_reviews(&id).await?;
    Ok(axum::Json(crate::response::ListBody::whole(
        all.into_iter().map(Into::into).collect(),
    )))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    /// no_change (still fit for purpose) or change_needed.
    pub outcome: String,
    #[serde(default)]
    pub note: String,
}

/// Records a review of the document; the next review date moves on by
/// its interval.
#[utoipa::path(post, path = "/api/v1/documents/{id}/reviews", tag = "documents", params(("id" = String, Path)),
    request_body = ReviewInput,
    responses((status = 201, body = ReviewOut), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn review_create(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    Json(input): Json<ReviewInput>,
) -> ApiResult<Response> {
    let r = service::review(&s.app.store, &p, &id, &input.outcome, &input.note).await?;
    Ok((StatusCode::CREATED, axum::Json(ReviewOut::from(r))).into_response())
}

#[derive(Serialize, ToSchema)]
pub struct CoveredByOut {
    pub title: String,
    pub href: String,
}

#[derive(Serialize, ToSchema)]
pub struct MandatoryOut {
    /// document or record.
    pub kind: String,
    pub name: String,
    /// The clause or control, e.g. 6.1.3 d).
    pub reference: String,
    /// covered, missing or not_required.
    pub status: String,
    pub covered_by: Vec<CoveredByOut>,
    pub note: String,
}

crate::response::list_of!(MandatoryList, MandatoryOut);

/// The documented information ISO/IEC 27001 requires, item by item: covered
/// (and by what), missing, or not required because the SoA excludes its control.
#[utoipa::path(get, path = "/api/v1/mandatory-documents", tag = "documents", responses((status = 200, body = MandatoryList)))]
pub async fn mandatory(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<axum::Json<MandatoryList>> {
    let items = service::mandatory(&s.app.store, &p.organisation.id).await?;
    Ok(axum::Json(crate::response::ListBody::whole(
        items
            .into_iter()
            .map(|m| MandatoryOut {
                kind: m.kind.into(),
                name: m.name,
                reference: m.reference,
                status: m.status.into(),
                covered_by: m
                    .covered_by
                    .into_iter()
                    .map(|c| CoveredByOut {
                        title: c.title,
                        href: c.href,
                    })
                    .collect(),
                note: m.note,
            })
            .collect(),
    )))
}
