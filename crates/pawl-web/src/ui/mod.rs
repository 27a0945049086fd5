//! The server-rendered web UI: askama templates, plain forms, a little
//! optional JavaScript. Each page calls the same application services and
//! store reads as the API.

mod admin;
mod catalog;
mod context;
mod control;
mod document;
mod improvement;
mod internal_audit;
mod login;
mod nonconformity;
mod performance;
mod register;
mod risk;
mod trail;
mod words;

pub(crate) use login::client_address;

use crate::error::ApiError;
use crate::AppState;
use askama::Template;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use pawl_app::{Principal, Via};

/// The pages; `upload_limit` bounds evidence uploads.
pub fn router(upload_limit: usize) -> Router<AppState> {
    performance::routes(context::routes(improvement::routes(internal_audit::routes(
        nonconformity::routes(document::routes(register::routes(Router::new()), upload_limit)),
    ))))
    .route("/static/{file}", get(static_file))
    .route("/favicon.ico", get(favicon))
    .route("/login", get(login::form).post(login::submit))
    .route("/logout", post(login::logout))
    .route("/switch-org", post(login::switch_org))
    .route("/organisations", get(login::organisations))
    .route(
        "/invitations/{secret}",
        get(login::invitation).post(login::invitation_answer),
    )
    .route("/me/invitations/{id}", post(login::answer_invitation))
    .route("/admin/invitations/{id}/revoke", post(admin::invitation_revoke))
    .route("/", get(catalog::dashboard))
    .route("/catalog/annex-a", get(catalog::annex_a))
    .route("/catalog/annex-a/{id}", get(catalog::control))
    .route("/catalog/clauses", get(catalog::clauses))
    .route("/admin/members", get(admin::members).post(admin::member_add))
    .route("/admin/members/{id}/role", post(admin::member_role))
    .route("/admin/members/{id}/remove", post(admin::member_remove))
    .route(
        "/admin/organisation",
        get(admin::organisation).post(admin::organisation_save),
    )
    .route("/account/tokens", get(admin::tokens).post(admin::token_create))
    .route("/account", get(admin::account))
    .route("/account/name", post(admin::name_change))
    .route("/account/password", post(admin::password_change))
    .route("/account/tokens/{id}/revoke", post(admin::token_revoke))
    .route("/risks", get(risk::register))
    .route("/risks/levels.css", get(risk::levels_css))
    .route("/risks/new", get(risk::new_form).post(risk::create))
    .route("/risks/due", get(risk::due))
    .route("/risks/export.csv", get(risk::export_csv))
    .route("/risks/export.xlsx", get(risk::export_xlsx))
    .route("/risks/report", get(risk::report))
    .route("/risks/import", get(risk::import_form).post(risk::import))
    .route("/risks/import/{id}", post(risk::import_checked))
    .route("/risks/register", get(risk::register_as_of))
    .route("/risks/{id}", get(risk::risk))
    .route("/risks/{id}/edit", get(risk::edit_form).post(risk::update))
    .route("/risks/{id}/accept", post(risk::accept))
    .route("/risks/{id}/actions", post(risk::add_action))
    .route("/risk-method", get(risk::method).post(risk::method_save))
    .route("/risk-method/edit", get(risk::method_edit))
    .route("/controls", get(control::controls))
    .route("/controls/new", get(control::new_form).post(control::create))
    .route("/controls/{id}", get(control::control))
    .route("/controls/{id}/edit", get(control::edit_form).post(control::update))
    .route("/controls/{id}/checks", post(control::add_check))
    .route("/controls/{id}/retire", post(control::retire))
    .route("/checks/{id}/results", post(control::add_result))
    .route("/soa", get(control::soa))
    .route("/soa/export.csv", get(control::soa_export_csv))
    .route("/soa/export.xlsx", get(control::soa_export_xlsx))
    .route("/soa/print", get(control::soa_print))
    .route("/soa/compare", get(control::soa_compare))
    .route("/soa/versions", post(control::soa_approve))
    .route("/soa/{annex}", get(control::soa_entry).post(control::soa_entry_save))
    .route(
        "/evidence",
        get(control::evidence_list)
            .post(control::evidence_upload)
            .layer(axum::extract::DefaultBodyLimit::max(upload_limit)),
    )
    .route("/evidence/{id}", get(control::evidence_item))
    .route("/evidence/{id}/download", get(control::evidence_download))
    .route(
        "/crosswalks/import",
        get(control::framework_import_form).post(control::framework_import),
    )
    .route("/crosswalks/{framework}", get(control::crosswalk))
    .route("/audit", get(trail::audit))
    .route("/audit/export.csv", get(trail::export_csv))
    .route("/history/{entity_type}/{entity_id}", get(trail::history))
    .fallback(fallback)
}

/// An unrouted address: a problem document under the API, a page elsewhere.
async fn fallback(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        return ApiError::not_found(&format!("{} (no such API path)", uri.path())).into_response();
    }
    not_found().await
}

const CSS: &str = include_str!("../../static/pawl.css");
const JS: &str = include_str!("../../static/pawl.js");
const FAVICON: &str = include_str!("../../static/favicon.svg");

/// A digest of the static files, put in their URLs so that browsers may
/// cache them and still never use a stale copy after an upgrade.
pub fn static_version() -> &'static str {
    static V: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    V.get_or_init(|| {
        use sha2::{Digest, Sha256};
        hex::encode(&Sha256::new().chain_update(CSS).chain_update(JS).finalize()[..6])
    })
}

async fn static_file(axum::extract::Path(file): axum::extract::Path<String>) -> Response {
    let (body, mime) = match file.as_str() {
        "pawl.css" => (CSS, "text/css; charset=utf-8"),
        "pawl.js" => (JS, "text/javascript; charset=utf-8"),
        "favicon.svg" => (FAVICON, "image/svg+xml"),
        _ => return not_found().await,
    };
    (
        [
            (header::CONTENT_TYPE, mime),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

/// Browsers ask for `/favicon.ico` on every page whatever the page links;
/// they accept an SVG there.
async fn favicon() -> Response {
    static_file(axum::extract::Path("favicon.svg".to_owned())).await
}

async fn not_found() -> Response {
    message(StatusCode::NOT_FOUND, "Not found", "There is no page at this address.")
}

/// The last value a form sent for `name` ("" when it sent none).
pub(crate) fn field<'a>(form: &'a [(String, String)], name: &str) -> &'a str {
    form.iter()
        .rev()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

/// One entry of the side navigation.
pub struct NavItem {
    pub key: &'static str,
    pub label: &'static str,
    pub href: String,
}

pub struct NavGroup {
    pub title: &'static str,
    pub items: Vec<NavItem>,
}

/// What every signed-in page shows around its content.
pub struct Shell {
    pub email: String,
    /// The signed-in person as others read them: their name, or their
    /// address until they give one.
    pub name: String,
    pub role: &'static str,
    pub org_name: String,
    pub org_slug: String,
    pub organisations: Vec<(String, String)>,
    pub csrf: String,
    pub current: &'static str,
    pub nav: Vec<NavGroup>,
    pub version: &'static str,
    pub static_version: &'static str,
}

fn item(key: &'static str, label: &'static str, href: &str) -> NavItem {
    NavItem {
        key,
        label,
        href: href.to_owned(),
    }
}

impl Shell {
    pub async fn new(state: &AppState, p: &Principal, current: &'static str) -> Result<Shell, ApiError> {
        let organisations = state
            .app
            .store
            .memberships_of_user(&p.user_id)
            .await?
            .into_iter()
            .map(|(o, _)| (o.slug, o.name))
            .collect();
        let mut nav = vec![
            NavGroup {
                title: "Plan",
                items: vec![
                    item("risks", "Risk register", "/risks"),
                    item("risk-method", "Risk method", "/risk-method"),
                    item("soa", "Statement of Applicability", "/soa"),
                ],
            },
            NavGroup {
                title: "Do",
                items: vec![
                    item("controls", "Applied controls", "/controls"),
                    item("evidence", "Evidence", "/evidence"),
                    item("read", "My reading", "/read"),
                    item("documents-tree", "Document tree", "/documents/tree"),
                    item("documents-acks", "Acknowledgements", "/documents/acknowledgements"),
                    item("documents-mandatory", "Mandatory documents", "/documents/mandatory"),
                    item("training-report", "Training report", "/trainings/report"),
                ],
            },
            NavGroup {
                title: "Check",
                items: vec![
                    item("readiness", "Audit readiness", "/readiness"),
                    item("report", "Report a problem or idea", "/report"),
                ],
            },
            NavGroup {
                title: "Act",
                items: vec![
                    item("ageing", "Ageing and overdue", "/ageing"),
                    item("improvements-board", "Improvement board", "/improvements/board"),
                    item("cycles-compare", "Year over year", "/cycles/compare"),
                ],
            },
            NavGroup {
                title: "Catalog",
                items: vec![
                    item("annex-a", "Annex A controls", "/catalog/annex-a"),
                    item("clauses", "Clauses 4 to 10", "/catalog/clauses"),
                    item("crosswalks", "Crosswalks", "/crosswalks/nist-csf-2.0"),
                ],
            },
            NavGroup {
                title: "Administration",
                items: vec![
                    item("members", "Members", "/admin/members"),
                    item("organisation", "Organisation", "/admin/organisation"),
                    item("tokens", "API tokens", "/account/tokens"),
                    item("account", "Your account", "/account"),
                    item("audit", "Audit trail", "/audit"),
                ],
            },
        ];
        // Every declared register is listed in its PDCA area.
        for k in pawl_domain::register::KINDS {
            if let Some(g) = nav.iter_mut().find(|g| g.title == k.area) {
                g.items.push(NavItem {
                    key: k.path,
                    label: k.plural,
                    href: format!("/{}", k.path),
                });
            }
        }
        // Navigation offers only what the access policy lets this role open.
        for g in &mut nav {
            g.items.retain(|i| crate::policy::may_open(p, &i.href));
        }
        nav.retain(|g| !g.items.is_empty());
        Ok(Shell {
            email: p.email.clone(),
            name: p.display_name().to_owned(),
            role: p.role.label(),
            org_name: p.organisation.name.clone(),
            org_slug: p.organisation.slug.clone(),
            organisations,
            csrf: match &p.via {
                Via::Session { csrf_token, .. } => csrf_token.clone(),
                Via::ApiToken { .. } => String::new(),
            },
            current,
            nav,
            version: env!("CARGO_PKG_VERSION"),
            static_version: static_version(),
        })
    }
}

/// The address of a list's next page: the cursor and the filters given.
pub fn next_page(path: &str, cursor: &str, filters: &[(&str, &Option<String>)]) -> String {
    let mut params: Vec<(&str, &str)> = vec![("cursor", cursor)];
    for (k, v) in filters {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            params.push((k, v));
        }
    }
    format!("{path}?{}", serde_urlencoded::to_string(params).unwrap_or_default())
}

/// Renders a page; a template error becomes a logged 500 page.
pub fn render<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "The page could not be drawn; the error was logged.",
            )
        }
    }
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    title: &'a str,
    detail: &'a str,
    static_version: &'a str,
}

pub fn message(status: StatusCode, title: &str, detail: &str) -> Response {
    let html = MessagePage {
        title,
        detail,
        static_version: static_version(),
    }
    .render()
    .unwrap_or_else(|_| detail.to_owned());
    (status, Html(html)).into_response()
}

pub fn forbidden_page(p: &Principal) -> Response {
    message(
        StatusCode::FORBIDDEN,
        "Not allowed",
        &format!(
            "Your role in {} ({}) does not allow this page.",
            p.organisation.name,
            p.role.label()
        ),
    )
}

pub fn no_organisation_page() -> Response {
    message(
        StatusCode::FORBIDDEN,
        "No organisation",
        "You are signed in but belong to no organisation. If you were invited, open the invitation's link; otherwise ask an administrator to invite you.",
    )
}

/// An error while serving a page, shown as a page.
pub struct PageError(pub ApiError);

impl<E: Into<ApiError>> From<E> for PageError {
    fn from(e: E) -> Self {
        PageError(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let e = self.0;
        message(e.status, e.title, &e.detail)
    }
}

pub type PageResult = Result<Response, PageError>;
