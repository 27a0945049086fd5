//! What every page is drawn with: the shell around it, rendering, the
//! message pages and page errors, and form and paging helpers. A leaf of
//! the UI: page modules and the access policy use it; it uses none of them.

use crate::error::ApiError;

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use pawl_app::Principal;

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
    /// The person's unread notifications here, counted in the header.
    pub unread: i64,
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
