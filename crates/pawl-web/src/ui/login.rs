//! Signing in and out, and switching organisation.

use super::page::{render, PageResult};
use crate::auth::{cookie, Auth, SESSION_COOKIE};
use crate::extract::{Form, Path, Query};
use crate::AppState;
use askama::Template;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use pawl_app::{auth, AppError};
use serde::Deserialize;
use std::net::SocketAddr;

#[derive(Template, Default)]
#[template(path = "login.html")]
struct LoginPage {
    static_version: &'static str,
    next: String,
    email: String,
    error: Option<String>,
    email_error: Option<String>,
    password_error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct NextQuery {
    next: Option<String>,
}

/// Only local paths: never an open redirect to another site.
/// Where to go after signing in: a path on this site, or the home page.
/// Only visible ASCII is kept, because browsers drop tabs and newlines from
/// a `Location` before they read it (`/<TAB>/evil.example` becomes
/// `//evil.example`, another host), and a header cannot carry the rest.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/') && !n.starts_with("//") && n.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') =>
        {
            n.to_owned()
        }
        _ => "/".to_owned(),
    }
}

pub async fn form(Query(q): Query<NextQuery>) -> Response {
    render(&LoginPage {
        next: safe_next(q.next.as_deref()),
        static_version: super::page::static_version(),
        ..Default::default()
    })
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    next: Option<String>,
}

fn session_cookie(value: &str, max_age: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .unwrap_or(HeaderValue::from_static(""))
}

/// Behind a TLS-terminating proxy the cookie must be marked Secure.
fn behind_tls(headers: &HeaderMap) -> bool {
    headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()) == Some("https")
}

pub async fn submit(
    State(s): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let next = safe_next(f.next.as_deref());
    let mut page = LoginPage {
        static_version: super::page::static_version(),
        next: next.clone(),
        email: f.email.clone(),
        ..Default::default()
    };
    if f.email.trim().is_empty() || f.password.is_empty() {
        if f.email.trim().is_empty() {
            page.email_error = Some("Enter your e-mail address.".into());
        }
        if f.password.is_empty() {
            page.password_error = Some("Enter your password.".into());
        }
        return (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response();
    }
    let address = crate::extract::client_address(addr.ip(), &headers, &s.app.trusted_proxies);
    match auth::sign_in(&s.app, &f.email, &f.password, &address).await {
        Ok(signed) => {
            // A fresh session id at every sign-in; the old one, if any, ends.
            if let Some(old) = cookie(&headers, SESSION_COOKIE) {
                let _ = s.app.store.delete_session(&auth::sha256_hex(&old)).await;
            }
            // Someone in several organisations chooses where to work.
            let to = if signed.organisations > 1 {
                format!(
                    "/organisations?{}",
                    serde_urlencoded::to_string([("next", next.as_str())]).unwrap_or_default()
                )
            } else {
                next.clone()
            };
            let mut resp = Redirect::to(&to).into_response();
            resp.headers_mut().insert(
                header::SET_COOKIE,
                session_cookie(&signed.cookie_secret, auth::SESSION_HOURS * 3600, behind_tls(&headers)),
            );
            resp
        }
        Err(e @ (AppError::BadCredentials | AppError::RateLimited { .. })) => {
            let status = if matches!(e, AppError::RateLimited { .. }) {
                StatusCode::TOO_MANY_REQUESTS
            } else {
                StatusCode::UNAUTHORIZED
            };
            page.error = Some(format!("{}.", capitalise(&e.to_string())));
            (status, render(&page)).into_response()
        }
        Err(e) => super::page::PageError::from(e).into_response(),
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

pub async fn logout(State(s): State<AppState>, Auth(p): Auth, headers: HeaderMap) -> PageResult {
    auth::sign_out(&s.app, &p).await?;
    let mut resp = Redirect::to("/login").into_response();
    resp.headers_mut()
        .insert(header::SET_COOKIE, session_cookie("", 0, behind_tls(&headers)));
    Ok(resp)
}

#[derive(Deserialize)]
pub struct SwitchForm {
    slug: String,
    next: Option<String>,
}

pub async fn switch_org(State(s): State<AppState>, Auth(p): Auth, Form(f): Form<SwitchForm>) -> PageResult {
    auth::switch_organisation(&s.app, &p, &f.slug).await?;
    Ok(Redirect::to(&safe_next(f.next.as_deref())).into_response())
}

#[derive(Template)]
#[template(path = "organisations.html")]
struct OrganisationsPage {
    shell: super::page::Shell,
    next: String,
    /// (slug, name, role, last used)
    choices: Vec<(String, String, &'static str, bool)>,
}

/// Where a person in several organisations chooses to work, the one they
/// last used first.
pub async fn organisations(State(s): State<AppState>, Auth(p): Auth, Query(q): Query<NextQuery>) -> PageResult {
    let last = s.app.store.last_organisation(&p.user_id).await?;
    let mut choices: Vec<(String, String, &'static str, bool)> = s
        .app
        .store
        .memberships_of_user(&p.user_id)
        .await?
        .into_iter()
        .map(|(o, role)| {
            let used = Some(&o.id) == last.as_ref();
            (o.slug, o.name, role.label(), used)
        })
        .collect();
    choices.sort_by_key(|c| !c.3);
    Ok(render(&OrganisationsPage {
        shell: super::page::Shell::new(&s, &p, "home").await?,
        next: safe_next(q.next.as_deref()),
        choices,
    }))
}

#[derive(Template)]
#[template(path = "invitation.html")]
struct InvitationPage {
    static_version: &'static str,
    secret: String,
    email: String,
    organisation: String,
    role: &'static str,
    invited_by: String,
    error: Option<String>,
    done: Option<&'static str>,
}

impl InvitationPage {
    fn of(secret: String, inv: pawl_store::Invitation, org: pawl_store::Organisation) -> Self {
        InvitationPage {
            static_version: super::page::static_version(),
            secret,
            email: inv.email,
            organisation: org.name,
            role: inv.role.label(),
            invited_by: inv.invited_by,
            error: None,
            done: None,
        }
    }
}

/// An invitation opened through its link: join by signing in, or by
/// choosing a password when there is no account yet; or decline.
pub async fn invitation(State(s): State<AppState>, Path(secret): Path<String>) -> Response {
    match pawl_app::members::invitation_for_link(&s.app, &secret).await {
        Ok((inv, org)) => render(&InvitationPage::of(secret, inv, org)),
        Err(_) => super::page::message(
            StatusCode::NOT_FOUND,
            "Invitation not found",
            "This invitation was answered, withdrawn or has expired. Ask for a new one.",
        ),
    }
}

/// An invitation's answer as a form sends it; anything else is refused
/// rather than taken for either.
fn accepts(answer: &str) -> Result<bool, crate::ApiError> {
    match answer {
        "accept" => Ok(true),
        "decline" => Ok(false),
        other => Err(crate::ApiError::from(pawl_domain::DomainError::field(
            "answer",
            format!("{other:?} is not an answer: accept or decline"),
        ))),
    }
}

#[derive(Deserialize)]
pub struct AnswerForm {
    answer: String,
}

/// A signed-in person accepts or declines an invitation to their address;
/// on accepting, they go to work in the organisation they joined.
pub async fn answer_invitation(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    Form(f): Form<AnswerForm>,
) -> PageResult {
    let accept = accepts(&f.answer)?;
    let org = pawl_app::members::answer_invitation(&s.app, &p.user_id, &p.email, &id, accept).await?;
    if accept {
        auth::switch_organisation(&s.app, &p, &org.slug).await?;
    }
    Ok(Redirect::to("/").into_response())
}

#[derive(Deserialize)]
pub struct InvitationForm {
    answer: String,
    password: Option<String>,
    name: Option<String>,
}

pub async fn invitation_answer(
    State(s): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(secret): Path<String>,
    Form(f): Form<InvitationForm>,
) -> Response {
    let Ok((inv, org)) = pawl_app::members::invitation_for_link(&s.app, &secret).await else {
        return invitation(State(s), Path(secret)).await;
    };
    let mut page = InvitationPage::of(secret.clone(), inv, org);
    let accept = match accepts(&f.answer) {
        Ok(a) => a,
        Err(e) => return super::page::PageError(e).into_response(),
    };
    if !accept {
        return match pawl_app::members::decline_by_link(&s.app, &secret).await {
            Ok(()) => {
                page.done = Some("You declined the invitation. Nothing changed.");
                render(&page)
            }
            Err(e) => super::page::PageError::from(e).into_response(),
        };
    }
    let address = crate::extract::client_address(addr.ip(), &headers, &s.app.trusted_proxies);
    match pawl_app::members::accept_by_link(
        &s.app,
        &secret,
        f.password.as_deref().unwrap_or(""),
        f.name.as_deref().unwrap_or(""),
        &address,
    )
    .await
    {
        Ok(signed) => {
            // Whoever was signed in in this browser before is signed out on
            // the server too, not only by the new cookie.
            if let Some(old) = cookie(&headers, SESSION_COOKIE) {
                s.app.store.delete_session(&auth::sha256_hex(&old)).await.ok();
            }
            let mut resp = Redirect::to("/").into_response();
            resp.headers_mut().insert(
                header::SET_COOKIE,
                session_cookie(&signed.cookie_secret, auth::SESSION_HOURS * 3600, behind_tls(&headers)),
            );
            resp
        }
        Err(e) => {
            // One answer for a wrong password and for one too short to
            // become a new account's, so that the link's holder cannot tell
            // whether the address already has an account.
            let (status, message) = match &e {
                AppError::BadCredentials => (
                    StatusCode::UNAUTHORIZED,
                    "That password did not work. If you already use pawl, enter your password; if not, choose one of at least 12 characters.".to_owned(),
                ),
                AppError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, format!("{}.", capitalise(&e.to_string()))),
                AppError::Store(pawl_store::StoreError::Conflict(m)) => (StatusCode::CONFLICT, format!("{}.", capitalise(m))),
                // Only the name is checked before the password.
                AppError::Invalid(_) => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Your name: enter 1 to 200 printable characters.".to_owned(),
                ),
                _ => return super::page::PageError::from(e).into_response(),
            };
            page.error = Some(message);
            (status, render(&page)).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(super::safe_next(Some("/audit?x=1")), "/audit?x=1");
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil",
            "audit",
            "/\t/evil.example",
            "/\n/x",
            "/\r/evil.example",
            "/ /evil",
            "/\u{7f}",
            "/é",
        ] {
            assert_eq!(super::safe_next(Some(bad)), "/", "{bad}");
        }
    }
}
