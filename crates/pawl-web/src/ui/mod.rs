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
mod kinds;
mod login;
mod nonconformity;
mod notify;
pub(crate) mod page;
mod performance;
mod register;
mod risk;
mod section;
mod shell;
mod trail;
mod words;

use crate::error::ApiError;
use crate::AppState;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

/// The pages; `upload_limit` bounds evidence uploads.
pub fn router(upload_limit: usize) -> Router<AppState> {
    performance::routes(context::routes(improvement::routes(internal_audit::routes(
        nonconformity::routes(document::routes(
            register::routes(control::exports(Router::new())),
            upload_limit,
        )),
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
    .route("/password-reset", get(notify::reset_form).post(notify::reset_request))
    .route(
        "/password-reset/{secret}",
        get(notify::reset_choose).post(notify::reset_set),
    )
    .route("/calendar/{file}", get(notify::calendar_feed))
    .route("/account/calendar", get(notify::calendar).post(notify::calendar_renew))
    .route("/account/calendar/{scope}/revoke", post(notify::calendar_revoke))
    .route("/notifications", get(notify::notifications))
    .route("/notifications/read", post(notify::read))
    .route("/admin/outbox", get(notify::outbox))
    .route("/admin/outbox/{id}/retry", post(notify::retry))
    .route("/admin/invitations/{id}/revoke", post(admin::invitation_revoke))
    .route("/", get(catalog::dashboard))
    .route("/catalog/annex-a", get(catalog::annex_a))
    .route("/catalog/annex-a/{id}", get(catalog::control))
    .route("/catalog/clauses", get(catalog::clauses))
    .route("/admin/members", get(admin::members).post(admin::member_add))
    .route("/admin/members/import", post(admin::members_import))
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

const FAVICON: &str = include_str!("../../static/favicon.svg");

async fn static_file(axum::extract::Path(file): axum::extract::Path<String>) -> Response {
    let (body, mime) = match file.as_str() {
        "pawl.css" => (page::CSS, "text/css; charset=utf-8"),
        "pawl.js" => (page::JS, "text/javascript; charset=utf-8"),
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
    page::message(StatusCode::NOT_FOUND, "Not found", "There is no page at this address.")
}
