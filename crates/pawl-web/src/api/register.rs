//! Every declared register over the API, with one set of handlers routed
//! once per kind, and its OpenAPI paths and schemas generated from the same
//! declaration, so a new register cannot be missing from the document.
//! Also the typed links between records and "my work".

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::etag::{if_match, with_etag};
use crate::extract::{Json, Path, Query};
use crate::response::{attachment, ListParams};
use crate::AppState;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use pawl_app::register as service;
use pawl_domain::register::{FieldKind, Kind, KINDS};
use pawl_store::{Link, ListQuery, Page, Record, RecordName, WorkItem};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as JsonValue};
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{AdditionalProperties, ArrayBuilder, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::{Content, OpenApi, Ref, RefOr, Required};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The query parameters every list takes; the rest are the kind's filters.
const LIST_PARAMS: [&str; 5] = ["limit", "cursor", "sort", "order", "q"];

/// Splits a raw query into the list's paging and the register's filters.
pub(crate) fn list_query(kind: &'static Kind, raw: Option<&str>) -> ApiResult<(ListQuery, pawl_store::RecordFilter)> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or("")).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed-query",
            "Malformed query",
            e.to_string(),
        )
    })?;
    let (paging, filters): (Vec<_>, Vec<_>) = pairs.into_iter().partition(|(k, _)| LIST_PARAMS.contains(&k.as_str()));
    let get = |name: &str| paging.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let limit = match get("limit") {
        None => None,
        Some(l) => Some(l.trim().parse::<u32>().map_err(|_| {
            ApiError::invalid(vec![pawl_domain::FieldError::new(
                "limit",
                "give a whole number from 1 to 500",
            )])
        })?),
    };
    let params = ListParams {
        limit,
        cursor: get("cursor").filter(|c| !c.is_empty()),
        sort: get("sort").filter(|c| !c.is_empty()),
        order: get("order").filter(|c| !c.is_empty()),
        q: get("q"),
    };
    if let Some(q) = &params.q {
        pawl_domain::register::check_text("q", q)?;
    }
    Ok((params.to_query()?, service::filter(kind, &filters)?))
}

/// The one list shape, for any register.
#[derive(Serialize)]
struct RecordPage {
    items: Vec<Record>,
    total: i64,
    next_cursor: Option<String>,
}

impl From<Page<Record>> for RecordPage {
    fn from(p: Page<Record>) -> Self {
        RecordPage {
            items: p.items,
            total: p.total,
            next_cursor: p.next_cursor,
        }
    }
}

async fn list(kind: &'static Kind, s: AppState, p: pawl_app::Principal, raw: Option<String>) -> ApiResult<Response> {
    let (q, f) = list_query(kind, raw.as_deref())?;
    let page = s.app.store.org(&p.organisation.id).records(kind, &f, &q).await?;
    Ok(axum::Json(RecordPage::from(page)).into_response())
}

async fn create(
    kind: &'static Kind,
    s: AppState,
    p: pawl_app::Principal,
    input: Map<String, JsonValue>,
) -> ApiResult<Response> {
    let r = service::create(&s.app.store, &p, kind, &input).await?;
    Ok((StatusCode::CREATED, with_etag(r.version), axum::Json(r)).into_response())
}

async fn read(kind: &'static Kind, s: AppState, p: pawl_app::Principal, id: String) -> ApiResult<Response> {
    let r = s.app.store.org(&p.organisation.id).record(kind, &id).await?;
    Ok((with_etag(r.version), axum::Json(r)).into_response())
}

async fn patch(
    kind: &'static Kind,
    s: AppState,
    p: pawl_app::Principal,
    id: String,
    headers: HeaderMap,
    input: Map<String, JsonValue>,
) -> ApiResult<Response> {
    let expected = if_match(&headers, &p.organisation)?;
    let r = service::update(&s.app.store, &p, kind, &id, &input, expected).await?;
    Ok((with_etag(r.version), axum::Json(r)).into_response())
}

async fn retire(
    kind: &'static Kind,
    s: AppState,
    p: pawl_app::Principal,
    id: String,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let expected = if_match(&headers, &p.organisation)?;
    service::retire(&s.app.store, &p, kind, &id, expected).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionInput {
    /// The state to move to; the kind's workflow names the moves allowed.
    pub to: String,
    /// Why: needed by the moves that record one (skipping an improvement's
    /// step, withdrawing it, declining a suggestion, dismissing an
    /// incident), ignored by the others.
    #[serde(default)]
    pub reason: Option<String>,
}

async fn transition(
    kind: &'static Kind,
    s: AppState,
    p: pawl_app::Principal,
    id: String,
    headers: HeaderMap,
    input: TransitionInput,
) -> ApiResult<Response> {
    let expected = if_match(&headers, &p.organisation)?;
    let r = service::transition(
        &s.app.store,
        &p,
        kind,
        &id,
        &input.to,
        input.reason.as_deref(),
        expected,
    )
    .await?;
    Ok((with_etag(r.version), axum::Json(r)).into_response())
}

#[derive(Deserialize)]
struct ExportParams {
    format: Option<String>,
}

/// A register as CSV or XLSX, for the API and the UI's download buttons.
pub(crate) async fn download(kind: &'static Kind, s: &AppState, org_id: &str, format: &str) -> ApiResult<Response> {
    let name = format!("{}-{}", kind.path, crate::api::control::today());
    match format {
        "csv" => {
            let mut out = Vec::new();
            service::export_csv(&s.app.store, org_id, kind, &mut out).await?;
            Ok((attachment("text/csv; charset=utf-8", &format!("{name}.csv")), out).into_response())
        }
        "xlsx" => {
            let bytes = pawl_reports::xlsx::records_bytes(&s.app.store, org_id, kind).await?;
            Ok((
                attachment(
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

async fn export(kind: &'static Kind, s: AppState, p: pawl_app::Principal, q: ExportParams) -> ApiResult<Response> {
    download(kind, &s, &p.organisation.id, q.format.as_deref().unwrap_or("csv")).await
}

/// The API of every declared register, added to `router`.
pub fn routes(mut router: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    for &kind in KINDS {
        let base = format!("/api/v1/{}", kind.path);
        router = router
            .route(
                &base,
                get(move |State(s): State<AppState>, Auth(p): Auth, RawQuery(q): RawQuery| list(kind, s, p, q)).post(
                    move |State(s): State<AppState>, Auth(p): Auth, Json(input): Json<Map<String, JsonValue>>| {
                        create(kind, s, p, input)
                    },
                ),
            )
            .route(
                &format!("{base}/export"),
                get(
                    move |State(s): State<AppState>, Auth(p): Auth, Query(q): Query<ExportParams>| {
                        export(kind, s, p, q)
                    },
                ),
            )
            .route(
                &format!("{base}/{{id}}"),
                get(move |State(s): State<AppState>, Auth(p): Auth, Path(id): Path<String>| read(kind, s, p, id))
                    .patch(
                        move |State(s): State<AppState>,
                              Auth(p): Auth,
                              Path(id): Path<String>,
                              headers: HeaderMap,
                              Json(input): Json<Map<String, JsonValue>>| {
                            patch(kind, s, p, id, headers, input)
                        },
                    )
                    .delete(
                        move |State(s): State<AppState>, Auth(p): Auth, Path(id): Path<String>, headers: HeaderMap| {
                            retire(kind, s, p, id, headers)
                        },
                    ),
            );
        if kind.workflow.is_some() {
            router = router.route(
                &format!("{base}/{{id}}/transitions"),
                post(
                    move |State(s): State<AppState>,
                          Auth(p): Auth,
                          Path(id): Path<String>,
                          headers: HeaderMap,
                          Json(input): Json<TransitionInput>| {
                        transition(kind, s, p, id, headers, input)
                    },
                ),
            );
        }
    }
    router
        .routes(routes!(links_list, link_create))
        .routes(routes!(link_delete))
        .routes(routes!(my_work))
}

#[derive(Serialize, ToSchema)]
pub struct RecordNameOut {
    /// The kind of record, e.g. `asset`, `risk`.
    pub kind: String,
    pub id: String,
    /// E.g. `R-0041`; empty for kinds without references.
    pub reference: String,
    pub title: String,
    /// The record was retired; the link is kept.
    pub retired: bool,
}

impl From<RecordName> for RecordNameOut {
    fn from(n: RecordName) -> Self {
        RecordNameOut {
            kind: n.kind,
            id: n.id,
            reference: n.reference,
            title: n.title,
            retired: n.retired,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct LinkOut {
    pub id: String,
    /// addresses, caused_by, changed, describes, evidence_for, derived_from or relates_to.
    #[serde(rename = "type")]
    pub link_type: String,
    pub from: RecordNameOut,
    pub to: RecordNameOut,
    pub note: String,
    pub created_at: String,
    pub created_by: String,
}

impl From<Link> for LinkOut {
    fn from(l: Link) -> Self {
        LinkOut {
            id: l.id,
            link_type: l.link_type,
            from: l.from.into(),
            to: l.to.into(),
            note: l.note,
            created_at: l.created_at,
            created_by: l.created_by,
        }
    }
}

crate::response::list_of!(LinkList, LinkOut);

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LinkParams {
    /// `kind:id` of the record the links start from, e.g. `asset:0193…`.
    pub from: Option<String>,
    /// `kind:id` of the record the links point at.
    pub to: Option<String>,
}

fn kind_and_id<'a>(field: &str, s: &'a str) -> ApiResult<(&'a str, &'a str)> {
    s.split_once(':')
        .filter(|(k, id)| !k.is_empty() && !id.is_empty())
        .ok_or_else(|| {
            ApiError::invalid(vec![pawl_domain::FieldError::new(
                field,
                "give kind:id, e.g. risk:0193…",
            )])
        })
}

/// The links from one record (`from=kind:id`) or to one (`to=kind:id`),
/// with both ends named; a retired end is kept and marked.
#[utoipa::path(get, path = "/api/v1/links", tag = "registers", params(LinkParams),
    responses((status = 200, body = LinkList), (status = 422, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn links_list(
    State(s): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<LinkParams>,
) -> ApiResult<axum::Json<LinkList>> {
    let (spec, outgoing) = match (&q.from, &q.to) {
        (Some(f), None) => (kind_and_id("from", f)?, true),
        (None, Some(t)) => (kind_and_id("to", t)?, false),
        _ => {
            return Err(ApiError::invalid(vec![pawl_domain::FieldError::new(
                "from",
                "give exactly one of from=kind:id or to=kind:id",
            )]))
        }
    };
    let links = s
        .app
        .store
        .org(&p.organisation.id)
        .links(spec.0, spec.1, outgoing)
        .await?;
    Ok(axum::Json(crate::response::ListBody::whole(
        links.into_iter().map(LinkOut::from).collect(),
    )))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkInput {
    /// `kind:id` of the first record, e.g. `treatment_action:0193…`.
    pub from: String,
    /// addresses, caused_by, changed, describes, evidence_for, derived_from or relates_to.
    #[serde(rename = "type")]
    pub link_type: String,
    /// `kind:id` of the second record.
    pub to: String,
    #[serde(default)]
    pub note: String,
}

/// Links two records of the organisation with a typed link.
#[utoipa::path(post, path = "/api/v1/links", tag = "registers", request_body = LinkInput,
    responses((status = 201, body = LinkOut), (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn link_create(
    State(s): State<AppState>,
    Auth(p): Auth,
    Json(input): Json<LinkInput>,
) -> ApiResult<impl IntoResponse> {
    let from = kind_and_id("from", &input.from)?;
    let to = kind_and_id("to", &input.to)?;
    let made = service::link(&s.app.store, &p, from, &input.link_type, to, &input.note).await?;
    // Answered as a read names it: both ends with their reference and title.
    let l = s
        .app
        .store
        .org(&p.organisation.id)
        .links(&made.from.kind, &made.from.id, true)
        .await?
        .into_iter()
        .find(|l| l.id == made.id)
        .unwrap_or(made);
    Ok((StatusCode::CREATED, axum::Json(LinkOut::from(l))))
}

/// Removes a link; the audit trail keeps what it was.
#[utoipa::path(delete, path = "/api/v1/links/{id}", tag = "registers", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn link_delete(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<String>) -> ApiResult<StatusCode> {
    service::unlink(&s.app.store, &p, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct WorkItemOut {
    pub kind: String,
    pub id: String,
    pub reference: String,
    pub title: String,
    /// The workflow state's code, empty for kinds without one.
    pub status: String,
    /// How the person is named on it, e.g. "Risk owner".
    pub role: String,
    /// YYYY-MM-DD when it needs them; null when undated.
    pub due: Option<String>,
    /// The due date has passed.
    pub overdue: bool,
    /// The record's page in the web UI.
    pub href: String,
    /// What the person should know: why a suggestion of theirs was declined.
    pub note: String,
}

pub(crate) fn work_item(w: WorkItem, today: &str) -> WorkItemOut {
    WorkItemOut {
        overdue: w.due.as_deref().is_some_and(|d| d < today),
        // A document to read opens where its reader reads it, not in the register.
        href: if w.status == "to_read" {
            format!("/read/{}", w.id)
        } else if w.status == "to_complete" {
            // A course opens where its trainee reads it and says it is done.
            format!("/me/trainings/{}", w.id)
        } else {
            record_href(&w.kind, &w.id)
        },
        kind: w.kind,
        id: w.id,
        reference: w.reference,
        title: w.title,
        status: w.status,
        role: w.role,
        due: w.due,
        note: w.note,
    }
}

/// The web page of a record of any linkable kind.
pub(crate) fn record_href(kind: &str, id: &str) -> String {
    pawl_domain::record_type::record_type(kind)
        .and_then(|t| t.href(id))
        .unwrap_or_else(|| "/".to_owned())
}

crate::response::list_of!(WorkList, WorkItemOut);

/// Everything assigned to the signed-in person across every register
/// (owner, assignee, reviewer, approver), overdue first, then by due date.
#[utoipa::path(get, path = "/api/v1/my-work", tag = "registers", responses((status = 200, body = WorkList)))]
pub async fn my_work(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<axum::Json<WorkList>> {
    let today = crate::api::control::today().to_string();
    let items = service::my_work(&s.app.store, &p).await?;
    Ok(axum::Json(crate::response::ListBody::whole(
        items.into_iter().map(|w| work_item(w, &today)).collect(),
    )))
}

/// `Treatment action` → `TreatmentAction`.
fn schema_name(kind: &Kind) -> String {
    kind.label
        .split(' ')
        .map(|w| {
            let mut c = w.chars();
            c.next().map_or(String::new(), |f| f.to_uppercase().chain(c).collect())
        })
        .collect()
}

/// A field's schema; `input` for a request body, where `null` empties a
/// field that may be empty.
fn field_schema(kind: &Kind, f: &pawl_domain::register::Field, input: bool) -> Schema {
    let nullable = |t: Type| SchemaType::from_iter([t, Type::Null]);
    let plain = |t: Type| match input && !f.required {
        true => nullable(t),
        false => SchemaType::Type(t),
    };
    let mut help = format!("{}.", f.label);
    if !f.help.is_empty() {
        help = format!("{} {}", f.label, f.help);
    }
    let o = ObjectBuilder::new().description(Some(help));
    let o = match &f.kind {
        FieldKind::Text { max } | FieldKind::LongText { max } => {
            o.schema_type(plain(Type::String)).max_length(Some(*max))
        }
        FieldKind::Choice(choices) => {
            let empty = match input && !f.required {
                true => vec![serde_json::json!(""), serde_json::Value::Null],
                false => vec![serde_json::json!("")],
            };
            o.schema_type(plain(Type::String))
                .enum_values(Some(choices.iter().map(|c| serde_json::json!(c.code)).chain(empty)))
        }
        // In a request an empty text empties the date, as null does.
        FieldKind::Date if input => o
            .schema_type(nullable(Type::String))
            .pattern(Some(r"^([0-9]{4}-[0-9]{2}-[0-9]{2})?$")),
        FieldKind::Date => {
            o.schema_type(nullable(Type::String))
                .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                    utoipa::openapi::KnownFormat::Date,
                )))
        }
        FieldKind::Number { min, max, .. } => o
            .schema_type(plain(Type::Integer))
            .minimum(Some(*min as f64))
            .maximum(Some(*max as f64)),
        FieldKind::Person { .. } => o.schema_type(plain(Type::String)).max_length(Some(200)),
        FieldKind::Record { kind: target } => o
            .schema_type(nullable(Type::String))
            .description(Some(format!("{}: the id of a {target} of this organisation.", f.label))),
    };
    let _ = kind;
    o.build().into()
}

/// The record, its input and its list, as the declaration describes them.
fn schemas(kind: &Kind) -> Vec<(String, Schema)> {
    let name = schema_name(kind);
    let text = || ObjectBuilder::new().schema_type(SchemaType::Type(Type::String));
    let mut out = ObjectBuilder::new()
        .description(Some(format!("{} ({}). {}", kind.label, kind.clause, kind.about)))
        .property("id", text())
        .required("id");
    let mut input = ObjectBuilder::new().description(Some(format!(
        "A new {}; fields left out take their defaults.",
        kind.label.to_lowercase()
    )));
    let mut patch = ObjectBuilder::new().description(Some(format!(
        "Changes to a {}: a field left out keeps its value, null empties it.",
        kind.label.to_lowercase()
    )));
    if kind.prefix.is_some() {
        out = out
            .property(
                "reference",
                text().description(Some("E.g. NC-0001; unique in the organisation.")),
            )
            .required("reference");
    }
    for f in kind.fields {
        out = out.property(f.name, field_schema(kind, f, false)).required(f.name);
        if let FieldKind::Person { .. } = f.kind {
            let id = format!("{}_user_id", f.name);
            out = out
                .property(
                    id.clone(),
                    ObjectBuilder::new()
                        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
                        .description(Some("The member this names, when it names one by e-mail.")),
                )
                .required(id);
        }
        if f.derived {
            continue;
        }
        input = input.property(f.name, field_schema(kind, f, true));
        if f.required {
            input = input.required(f.name);
        }
        if !f.fixed {
            patch = patch.property(f.name, field_schema(kind, f, true));
        }
    }
    if let Some(w) = kind.workflow {
        let states = || w.states.iter().map(|s| s.code);
        out = out
            .property(
                "status",
                text().enum_values(Some(states())).description(Some(format!(
                    "One of: {}.",
                    w.states.iter().map(|s| s.label).collect::<Vec<_>>().join(", ")
                ))),
            )
            .required("status");
        patch = patch.property(
            "status",
            text().enum_values(Some(states())).description(Some(
                "A workflow move, made after the fields change; it must be allowed from the current state.",
            )),
        );
        if w.transitions.iter().any(|t| t.reason.is_some()) {
            patch = patch.property(
                "reason",
                text().description(Some(
                    "With `status`: why, for the moves that record a reason (see the transitions).",
                )),
            );
        }
    }
    for c in ["created_at", "updated_at"] {
        out = out.property(c, text()).required(c);
    }
    out = out
        .property(
            "version",
            ObjectBuilder::new().schema_type(SchemaType::Type(Type::Integer)),
        )
        .required("version");
    let list = ObjectBuilder::new()
        .property("items", ArrayBuilder::new().items(Ref::from_schema_name(&name)))
        .required("items")
        .property(
            "total",
            ObjectBuilder::new().schema_type(SchemaType::Type(Type::Integer)),
        )
        .required("total")
        .property(
            "next_cursor",
            ObjectBuilder::new().schema_type(SchemaType::from_iter([Type::String, Type::Null])),
        )
        .required("next_cursor");
    vec![
        (
            name.clone(),
            out.additional_properties(Some(AdditionalProperties::FreeForm(false)))
                .build()
                .into(),
        ),
        (
            format!("{name}Input"),
            input
                .additional_properties(Some(AdditionalProperties::FreeForm(false)))
                .build()
                .into(),
        ),
        (
            format!("{name}Patch"),
            patch
                .additional_properties(Some(AdditionalProperties::FreeForm(false)))
                .build()
                .into(),
        ),
        (format!("{name}List"), list.build().into()),
    ]
}

fn json_of(schema: &str) -> Content {
    Content::new(Some(Ref::from_schema_name(schema)))
}

fn problem() -> RefOr<utoipa::openapi::Response> {
    ResponseBuilder::new()
        .description("A problem document (RFC 9457) naming what was wrong.")
        .content("application/problem+json", json_of("Problem"))
        .build()
        .into()
}

fn ok(description: &str, schema: &str) -> RefOr<utoipa::openapi::Response> {
    ResponseBuilder::new()
        .description(description)
        .content("application/json", json_of(schema))
        .build()
        .into()
}

fn param(name: &str, at: ParameterIn, required: bool, description: String) -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(at)
        .required(if required { Required::True } else { Required::False })
        .description(Some(description))
        .schema(Some(ObjectBuilder::new().schema_type(SchemaType::Type(Type::String))))
        .build()
}

/// Adds every declared register's paths and schemas to the API document.
pub fn document(api: &mut OpenApi) {
    let components = api.components.get_or_insert_with(Default::default);
    for &kind in KINDS {
        for (name, schema) in schemas(kind) {
            components.schemas.insert(name, schema.into());
        }
    }
    for &kind in KINDS {
        let name = schema_name(kind);
        let base = format!("/api/v1/{}", kind.path);
        let op = |summary: String| {
            OperationBuilder::new()
                .tag("registers")
                .summary(Some(summary))
                .description(Some(format!("{} ({}). {}", kind.plural, kind.clause, kind.about)))
        };
        let id = || {
            param(
                "id",
                ParameterIn::Path,
                true,
                format!("The {}'s id.", kind.label.to_lowercase()),
            )
        };
        let if_match = || {
            param(
                "If-Match",
                ParameterIn::Header,
                false,
                "The ETag last read; a stale one gets 412.".into(),
            )
        };
        let mut filters: Vec<_> = kind
            .fields
            .iter()
            .filter(|f| f.filter)
            .map(|f| {
                param(
                    f.name,
                    ParameterIn::Query,
                    false,
                    format!(
                        "Only {} with this {} (comma-separated: any of them).",
                        kind.plural.to_lowercase(),
                        f.label.to_lowercase()
                    ),
                )
            })
            .collect();
        if let Some(w) = kind.workflow {
            filters.push(param(
                "status",
                ParameterIn::Query,
                false,
                format!(
                    "Only these states (comma-separated): {}.",
                    w.states.iter().map(|s| s.code).collect::<Vec<_>>().join(", ")
                ),
            ));
        }
        if kind.due.is_some() {
            filters.push(param(
                "due_by",
                ParameterIn::Query,
                false,
                "Only open records due on or before this date.".into(),
            ));
        }
        let sorts: Vec<&str> = kind.fields.iter().filter(|f| f.sort).map(|f| f.name).collect();
        let mut list_params = ListParams::into_params(|| Some(ParameterIn::Query));
        list_params.extend(filters);
        let body = |schema: String| {
            RequestBodyBuilder::new()
                .required(Some(Required::True))
                .content("application/json", json_of(&schema))
                .build()
        };
        let list_op = op(format!(
            "List {} (sort by {}, updated_at, created_at)",
            kind.plural.to_lowercase(),
            sorts.join(", ")
        ))
        .operation_id(Some(format!("{}_list", kind.key)))
        .parameters(Some(list_params))
        .response("200", ok("One page.", &format!("{name}List")))
        .response("400", problem())
        .response("422", problem());
        let mut create_op =
            op(format!("Add a {}", kind.label.to_lowercase())).operation_id(Some(format!("{}_create", kind.key)));
        if !kind.report.is_empty() {
            create_op = create_op.description(Some(format!(
                "{} ({}). {} Any member, staff included, may report one with only: {}; the other fields need a role that writes ISMS records.",
                kind.plural,
                kind.clause,
                kind.about,
                kind.report.join(", ")
            )));
        }
        let create_op = create_op
            .request_body(Some(body(format!("{name}Input"))))
            .response("201", ok("Created; the ETag header carries its version.", &name))
            .response("400", problem())
            .response("403", problem())
            .response("409", problem())
            .response("415", problem())
            .response("422", problem());
        let mut collection = PathItem::new(HttpMethod::Get, list_op);
        collection.post = Some(create_op.build());
        api.paths.paths.insert(base.clone(), collection);

        let export_op = op(format!("Download {} as CSV or XLSX", kind.plural.to_lowercase()))
            .operation_id(Some(format!("{}_export", kind.key)))
            .parameter(param(
                "format",
                ParameterIn::Query,
                false,
                "csv (default) or xlsx.".into(),
            ))
            .response(
                "200",
                ResponseBuilder::new()
                    .description("The register; formula-like cells are neutralised.")
                    .content(
                        "text/csv",
                        Content::new(Some(ObjectBuilder::new().schema_type(SchemaType::Type(Type::String)))),
                    )
                    .build(),
            )
            .response("422", problem());
        api.paths
            .paths
            .insert(format!("{base}/export"), PathItem::new(HttpMethod::Get, export_op));

        let get_op = op(format!("One {}", kind.label.to_lowercase()))
            .operation_id(Some(format!("{}_get", kind.key)))
            .parameter(id())
            .response("200", ok("The record; the ETag header carries its version.", &name))
            .response("404", problem());
        let patch_op = op(format!("Change a {}", kind.label.to_lowercase()))
            .operation_id(Some(format!("{}_patch", kind.key)))
            .parameter(id())
            .parameter(if_match())
            .request_body(Some(body(format!("{name}Patch"))))
            .response("200", ok("Changed.", &name))
            .response("400", problem())
            .response("403", problem())
            .response("404", problem())
            .response("409", problem())
            .response("412", problem())
            .response("422", problem());
        let delete_op = op(format!("Retire a {}", kind.label.to_lowercase()))
            .operation_id(Some(format!("{}_retire", kind.key)))
            .parameter(id())
            .parameter(if_match())
            .response(
                "204",
                ResponseBuilder::new()
                    .description("Retired; its history and links are kept.")
                    .build(),
            )
            .response("404", problem())
            // A record others still depend on (a document with live children).
            .response("409", problem())
            .response("412", problem());
        let mut item = PathItem::new(HttpMethod::Get, get_op);
        item.patch = Some(patch_op.build());
        item.delete = Some(delete_op.build());
        api.paths.paths.insert(format!("{base}/{{id}}"), item);

        if let Some(w) = kind.workflow {
            let moves: Vec<String> = w
                .transitions
                .iter()
                .map(|t| {
                    format!(
                        "{} → {} ({}{})",
                        t.from.join("|"),
                        t.to,
                        t.label,
                        if t.reason.is_some() { ", needs a reason" } else { "" }
                    )
                })
                .collect();
            let t_op = op(format!("Move a {} through its workflow", kind.label.to_lowercase()))
                .operation_id(Some(format!("{}_transition", kind.key)))
                .description(Some(format!("Allowed moves: {}.", moves.join("; "))))
                .parameter(id())
                .parameter(if_match())
                .request_body(Some(body("TransitionInput".into())))
                .response("200", ok("Moved.", &name))
                .response("403", problem())
                .response("404", problem())
                .response("412", problem())
                .response("422", problem());
            api.paths.paths.insert(
                format!("{base}/{{id}}/transitions"),
                PathItem::new(HttpMethod::Post, t_op),
            );
        }
    }
    let components = api.components.get_or_insert_with(Default::default);
    components.schemas.insert(
        "TransitionInput".into(),
        RefOr::T(<TransitionInput as utoipa::PartialSchema>::schema().into()),
    );
}
