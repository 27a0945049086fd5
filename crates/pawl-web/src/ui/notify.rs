//! The notification centre, the organisation's outbox and a password reset
//! by e-mail (issue 27).

use super::page::{render, PageResult, Shell};
use crate::auth::Auth;
use crate::extract::{Form, Path, Query};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use pawl_app::AppError;
use pawl_domain::notify::MailState;
use pawl_domain::DomainError;
use pawl_store::Notification;
use serde::Deserialize;

/// A notification as a page shows it: labels, not codes.
pub struct Shown {
    pub n: Notification,
    pub recipient: String,
    pub category: &'static str,
    pub state: &'static str,
    /// For people, to the minute.
    pub when: String,
    /// For `<time datetime>`.
    pub datetime: String,
}

impl From<Notification> for Shown {
    fn from(n: Notification) -> Self {
        Shown {
            recipient: if n.name.is_empty() {
                n.email.clone()
            } else {
                n.name.clone()
            },
            category: n.category.label(),
            state: n.mail_state.label(),
            when: n.created_at.get(..16).unwrap_or(&n.created_at).replace('T', " "),
            datetime: super::words::html_datetime(&n.created_at),
            n,
        }
    }
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NotificationsPage {
    shell: Shell,
    items: Vec<Shown>,
    unread: usize,
}

/// The signed-in person's notifications here, newest first.
pub async fn notifications(State(s): State<AppState>, Auth(p): Auth) -> PageResult {
    let items: Vec<Shown> = s
        .app
        .store
        .org(&p.organisation.id)
        .notifications_for(&p.user_id, crate::api::notify::SHOWN)
        .await?
        .into_iter()
        .map(Shown::from)
        .collect();
    Ok(render(&NotificationsPage {
        shell: Shell::new(&s, &p, "notifications").await?,
        unread: items.iter().filter(|i| i.n.read_at.is_none()).count(),
        items,
    }))
}

#[derive(Deserialize)]
pub struct ReadForm {
    /// One notification; all of them when absent.
    id: Option<String>,
}

/// Marks one notification, or all, read; back to the list.
pub async fn read(State(s): State<AppState>, Auth(p): Auth, Form(f): Form<ReadForm>) -> PageResult {
    s.app
        .store
        .org(&p.organisation.id)
        .mark_read(&p.user_id, f.id.as_deref().filter(|i| !i.is_empty()))
        .await?;
    Ok(Redirect::to("/notifications").into_response())
}

#[derive(Template)]
#[template(path = "outbox.html")]
struct OutboxPage {
    shell: Shell,
    items: Vec<Shown>,
    state: String,
    states: Vec<(&'static str, &'static str)>,
    mailing: bool,
    notice: Option<String>,
}

#[derive(Deserialize)]
pub struct OutboxQuery {
    state: Option<String>,
    notice: Option<String>,
}

/// What was sent to whom, what waits and what failed, with the reason.
pub async fn outbox(State(s): State<AppState>, Auth(p): Auth, Query(q): Query<OutboxQuery>) -> PageResult {
    let filter = crate::api::notify::outbox_filter(q.state.as_deref())?;
    let items = s
        .app
        .store
        .org(&p.organisation.id)
        .outbox(filter, crate::api::notify::SHOWN)
        .await?;
    Ok(render(&OutboxPage {
        shell: Shell::new(&s, &p, "outbox").await?,
        items: items.into_iter().map(Shown::from).collect(),
        state: q.state.unwrap_or_default(),
        states: [MailState::Pending, MailState::Sent, MailState::Failed, MailState::None]
            .into_iter()
            .map(|m| (m.as_str(), m.label()))
            .collect(),
        mailing: s.app.store.dispatching(),
        notice: q.notice,
    }))
}

/// Tries a message again at once.
pub async fn retry(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<String>) -> PageResult {
    pawl_app::notify::retry(&s.app, &p, &id).await?;
    Ok(Redirect::to("/admin/outbox?notice=The+message+is+being+sent+again.").into_response())
}

#[derive(Template, Default)]
#[template(path = "password_reset.html")]
struct ResetPage {
    static_version: &'static str,
    /// The link's secret, on the page that asks for the new password.
    secret: Option<String>,
    email: String,
    error: Option<String>,
    done: Option<&'static str>,
}

fn reset_page() -> ResetPage {
    ResetPage {
        static_version: super::page::static_version(),
        ..Default::default()
    }
}

/// Asks for the address to send a reset link to.
pub async fn reset_form() -> Response {
    render(&reset_page())
}

#[derive(Deserialize)]
pub struct ResetRequestForm {
    email: String,
}

pub async fn reset_request(State(s): State<AppState>, Form(f): Form<ResetRequestForm>) -> Response {
    let mut page = reset_page();
    match pawl_app::notify::request_password_reset(&s.app, &f.email).await {
        Ok(()) => {
            page.done = Some(
                "If an account uses this address, a link to choose a new password is on its way to it. It works \
                 once, for an hour.",
            );
            (StatusCode::ACCEPTED, render(&page)).into_response()
        }
        Err(AppError::Invalid(DomainError::Invalid(fields))) => {
            page.email = f.email;
            page.error = fields.into_iter().next().map(|f| f.message);
            (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response()
        }
        Err(AppError::Unavailable(why)) => {
            page.email = f.email;
            page.error = Some(format!("{}.", why.replacen("this", "This", 1)));
            (StatusCode::CONFLICT, render(&page)).into_response()
        }
        Err(e) => super::page::PageError::from(e).into_response(),
    }
}

fn link_gone() -> Response {
    super::page::message(
        StatusCode::NOT_FOUND,
        "This link no longer works",
        "A password reset link works once, for an hour. Ask for a new one from the sign-in page.",
    )
}

/// Asks for the new password, while the link works.
pub async fn reset_choose(State(s): State<AppState>, Path(secret): Path<String>) -> Response {
    match pawl_app::notify::password_reset_open(&s.app, &secret).await {
        Ok(true) => render(&ResetPage {
            secret: Some(secret),
            ..reset_page()
        }),
        Ok(false) => link_gone(),
        Err(e) => super::page::PageError::from(e).into_response(),
    }
}

#[derive(Deserialize)]
pub struct ResetSetForm {
    new_password: String,
}

pub async fn reset_set(State(s): State<AppState>, Path(secret): Path<String>, Form(f): Form<ResetSetForm>) -> Response {
    match pawl_app::notify::complete_password_reset(&s.app, &secret, &f.new_password).await {
        Ok(()) => render(&ResetPage {
            done: Some("Your new password is set, and every earlier sign-in has ended. Sign in with it now."),
            ..reset_page()
        }),
        Err(AppError::Invalid(DomainError::Invalid(fields))) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            render(&ResetPage {
                secret: Some(secret),
                error: fields.into_iter().next().map(|f| f.message),
                ..reset_page()
            }),
        )
            .into_response(),
        Err(AppError::Store(pawl_store::StoreError::NotFound { .. })) => link_gone(),
        Err(e) => super::page::PageError::from(e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "calendar.html")]
struct CalendarPage {
    shell: Shell,
    /// (scope, what it shows, made on, whether the person has one).
    scopes: Vec<(&'static str, &'static str, Option<String>)>,
    /// A feed just made: its scope's label and address, shown once.
    made: Option<(&'static str, String)>,
    notice: Option<String>,
}

async fn calendar_page(s: &AppState, p: &pawl_app::Principal) -> Result<CalendarPage, crate::ApiError> {
    use pawl_domain::calendar::Scope;
    let feeds = s.app.store.org(&p.organisation.id).calendar_feeds(&p.user_id).await?;
    let mut scopes = vec![Scope::Mine];
    if p.can(pawl_domain::access::Permission::ReadIsms) {
        scopes.push(Scope::Organisation);
    }
    Ok(CalendarPage {
        shell: Shell::new(s, p, "calendar").await?,
        scopes: scopes
            .into_iter()
            .map(|sc| {
                let made = feeds
                    .iter()
                    .find(|f| f.scope == sc.as_str())
                    .map(|f| f.created_at.get(..10).unwrap_or(&f.created_at).to_owned());
                (sc.as_str(), sc.label(), made)
            })
            .collect(),
        made: None,
        notice: None,
    })
}

#[derive(Deserialize)]
pub struct CalendarQuery {
    notice: Option<String>,
}

/// The person's calendar feeds: what each shows, when it was made.
pub async fn calendar(State(s): State<AppState>, Auth(p): Auth, Query(q): Query<CalendarQuery>) -> PageResult {
    let mut page = calendar_page(&s, &p).await?;
    page.notice = q.notice;
    Ok(render(&page))
}

#[derive(Deserialize)]
pub struct ScopeForm {
    scope: String,
}

/// Makes or renews a feed; the page itself answers, so that the address
/// never appears in a URL or the browser's history.
pub async fn calendar_renew(State(s): State<AppState>, Auth(p): Auth, Form(f): Form<ScopeForm>) -> PageResult {
    let (feed, secret) = pawl_app::calendar::renew(&s.app, &p, &f.scope).await?;
    let mut page = calendar_page(&s, &p).await?;
    let label = pawl_domain::calendar::Scope::parse(&feed.scope)?.label();
    page.made = Some((label, pawl_app::calendar::address(&s.app, &secret)));
    Ok((StatusCode::CREATED, render(&page)).into_response())
}

pub async fn calendar_revoke(State(s): State<AppState>, Auth(p): Auth, Path(scope): Path<String>) -> PageResult {
    pawl_app::calendar::revoke(&s.app, &p, &scope).await?;
    Ok(Redirect::to("/account/calendar?notice=The+feed+is+ended%3A+its+address+no+longer+answers.").into_response())
}

/// A feed at its secret address (`…/calendar/SECRET.ics`). A wrong or
/// ended address is a plain 404 that says nothing of whether it existed.
pub async fn calendar_feed(State(s): State<AppState>, Path(file): Path<String>) -> Response {
    let secret = file.strip_suffix(".ics").unwrap_or(&file);
    match pawl_app::calendar::feed(&s.app, secret).await {
        Ok(text) => (
            [
                (axum::http::header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
                (axum::http::header::CACHE_CONTROL, "private, max-age=300"),
            ],
            text,
        )
            .into_response(),
        Err(AppError::Store(pawl_store::StoreError::NotFound { .. })) => {
            (StatusCode::NOT_FOUND, "no such calendar feed").into_response()
        }
        Err(e) => super::page::PageError::from(e).into_response(),
    }
}
