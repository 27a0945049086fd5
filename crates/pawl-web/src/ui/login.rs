//! Signing in and out, and switching organisation.

use super::{render, PageResult};
use crate::auth::{cookie, Auth, SESSION_COOKIE};
use crate::extract::{Form, Query};
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
        static_version: super::static_version(),
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
        static_version: super::static_version(),
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
    match auth::sign_in(&s.app, &f.email, &f.password, &addr.ip().to_string()).await {
        Ok(signed) => {
            // A fresh session id at every sign-in; the old one, if any, ends.
            if let Some(old) = cookie(&headers, SESSION_COOKIE) {
                let _ = s.app.store.delete_session(&auth::sha256_hex(&old)).await;
            }
            let mut resp = Redirect::to(&next).into_response();
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
        Err(e) => super::PageError::from(e).into_response(),
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
}

pub async fn switch_org(State(s): State<AppState>, Auth(p): Auth, Form(f): Form<SwitchForm>) -> PageResult {
    auth::switch_organisation(&s.app, &p, &f.slug).await?;
    Ok(Redirect::to("/").into_response())
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
