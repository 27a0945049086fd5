//! What every page is drawn with: the shell around it, rendering, the
//! message pages and page errors, and form and paging helpers. A leaf of
//! the UI: page modules and the access policy use it; it uses none of them.

use crate::error::ApiError;
use crate::AppState;
use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use pawl_app::{Principal, Via};

/// The static files, served from the binary.
pub(super) const CSS: &str = include_str!("../../static/pawl.css");
pub(super) const JS: &str = include_str!("../../static/pawl.js");

/// A digest of the static files, put in their URLs so that browsers may
/// cache them and still never use a stale copy after an upgrade.
pub fn static_version() -> &'static str {
    static V: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    V.get_or_init(|| {
        use sha2::{Digest, Sha256};
        hex::encode(&Sha256::new().chain_update(CSS).chain_update(JS).finalize()[..6])
    })
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
