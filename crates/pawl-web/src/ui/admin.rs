//! Members, organisation settings, API tokens, the audit trail and record history.

use super::page::{render, PageResult, Shell};
use crate::auth::Auth;
use crate::extract::{Form, Path, Query};
use crate::{ApiError, AppState};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use pawl_app::{auth, members, AppError};
use pawl_domain::access::Permission;
use pawl_domain::identity::Role;
use pawl_domain::DomainError;
use pawl_store::{ApiToken, Member, Organisation, StoreError};
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Default)]
struct MemberForm {
    email: String,
    role: String,
    errors: HashMap<String, String>,
}

#[derive(Template)]
#[template(path = "members.html")]
struct MembersPage {
    shell: Shell,
    members: Vec<Member>,
    next_cursor: Option<String>,
    roles: Vec<(&'static str, &'static str)>,
    can_manage: bool,
    can_read_trail: bool,
    form: MemberForm,
    notice: Option<String>,
    error: Option<String>,
    invitations: Vec<pawl_store::Invitation>,
    /// The link of an invitation just made, shown once.
    invited: Option<(String, String)>,
    /// A pasted list: its text, its problems, or the links just made.
    bulk_text: String,
    bulk_problems: Vec<String>,
    bulk_links: Vec<(String, String)>,
}

#[derive(Deserialize, Default)]
pub struct PageQuery {
    cursor: Option<String>,
    notice: Option<String>,
}

async fn members_page(
    s: &AppState,
    p: &pawl_app::Principal,
    cursor: Option<String>,
    form: MemberForm,
    notice: Option<String>,
    error: Option<String>,
) -> Result<MembersPage, ApiError> {
    let q = crate::response::ListParams {
        cursor,
        ..Default::default()
    }
    .to_query()?;
    let page = s.app.store.org(&p.organisation.id).members(&q).await?;
    let invitations = s.app.store.org(&p.organisation.id).open_invitations().await?;
    Ok(MembersPage {
        invitations,
        invited: None,
        shell: Shell::new(s, p, "members").await?,
        members: page.items,
        next_cursor: page.next_cursor,
        roles: Role::ALL.iter().map(|r| (r.as_str(), r.label())).collect(),
        can_manage: p.can(Permission::ManageOrganisation),
        can_read_trail: p.can(Permission::ReadAuditTrail),
        form,
        notice,
        error,
        bulk_text: String::new(),
        bulk_problems: Vec::new(),
        bulk_links: Vec::new(),
    })
}

#[derive(Deserialize)]
pub struct PeopleForm {
    people: String,
}

/// Invites everyone a pasted list names, all or nothing.
pub async fn members_import(State(s): State<AppState>, Auth(p): Auth, Form(f): Form<PeopleForm>) -> PageResult {
    let done = members::invite_many(&s.app, &p.organisation.id, &p.actor(), f.people.as_bytes(), false).await?;
    let form = MemberForm {
        role: "viewer".into(),
        ..Default::default()
    };
    if !done.problems.is_empty() {
        let mut page = members_page(&s, &p, None, form, None, None).await?;
        page.bulk_text = f.people;
        page.bulk_problems = done.problems;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response());
    }
    let notice = format!(
        "{} people are invited{}. They join when they accept.",
        done.people.len(),
        if s.app.store.dispatching() {
            ": pawl has e-mailed each their link"
        } else {
            ""
        }
    );
    let mut page = members_page(&s, &p, None, form, Some(notice), None).await?;
    page.bulk_links = done
        .people
        .into_iter()
        .filter_map(|(email, _, secret)| secret.map(|s| (email, format!("/invitations/{s}"))))
        .collect();
    Ok((StatusCode::CREATED, render(&page)).into_response())
}

pub async fn members(State(s): State<AppState>, Auth(p): Auth, Query(q): Query<PageQuery>) -> PageResult {
    let form = MemberForm {
        role: "viewer".into(),
        ..Default::default()
    };
    Ok(render(&members_page(&s, &p, q.cursor, form, q.notice, None).await?))
}

#[derive(Deserialize)]
pub struct AddMember {
    email: String,
    role: String,
}

/// Invites a person; the page shows the invitation's link once, to pass on.
pub async fn member_add(State(s): State<AppState>, Auth(p): Auth, Form(f): Form<AddMember>) -> PageResult {
    match members::invite(&s.app, &p.organisation.id, &p.actor(), &f.email, &f.role).await {
        Ok((inv, secret)) => {
            let form = MemberForm {
                role: "viewer".into(),
                ..Default::default()
            };
            let notice = match secret {
                Some(_) => format!(
                    "{} is invited as {}. They join when they accept.",
                    inv.email,
                    inv.role.label()
                ),
                None => format!(
                    "{} is invited as {}: pawl has e-mailed them the link. They join when they accept.",
                    inv.email,
                    inv.role.label()
                ),
            };
            let mut page = members_page(&s, &p, None, form, Some(notice), None).await?;
            page.invited = secret.map(|secret| (inv.email, format!("/invitations/{secret}")));
            Ok((StatusCode::CREATED, render(&page)).into_response())
        }
        Err(e) => {
            let mut form = MemberForm {
                email: f.email,
                role: f.role,
                errors: HashMap::new(),
            };
            let mut banner = None;
            match e {
                AppError::Invalid(DomainError::Invalid(fields)) => {
                    for fe in fields {
                        form.errors.insert(fe.field, fe.message);
                    }
                }
                AppError::Store(StoreError::Conflict(msg)) => {
                    form.errors.insert("email".into(), msg);
                }
                other => banner = Some(other.to_string()),
            }
            let page = members_page(&s, &p, None, form, None, banner).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
    }
}

pub(crate) fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .unwrap_or_default()
        .trim_start_matches('=')
        .to_owned()
}

#[derive(Deserialize)]
pub struct RoleForm {
    role: String,
    version: Option<i64>,
}

/// Store errors a person can act on become a message on the page.
async fn members_with_error(s: &AppState, p: &pawl_app::Principal, e: ApiError) -> PageResult {
    if e.status.is_server_error() || e.status == StatusCode::NOT_FOUND {
        return Err(e.into());
    }
    let page = members_page(s, p, None, MemberForm::default(), None, Some(e.message())).await?;
    Ok((e.status, render(&page)).into_response())
}

pub async fn member_role(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    Form(f): Form<RoleForm>,
) -> PageResult {
    let result: Result<Member, ApiError> = async {
        let role = Role::parse(&f.role)?;
        let mut tx = s.app.store.write(&p.organisation.id, &p.actor()).await?;
        let m = tx.set_member_role(&id, role, f.version).await?;
        tx.commit().await?;
        Ok(m)
    }
    .await;
    match result {
        Ok(m) => Ok(Redirect::to(&format!(
            "/admin/members?notice={}",
            urlencode(&format!("{} is now {}.", m.email, m.role.label()))
        ))
        .into_response()),
        Err(e) => members_with_error(&s, &p, e).await,
    }
}

#[derive(Deserialize)]
pub struct VersionForm {
    version: Option<i64>,
}

pub async fn member_remove(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    Form(f): Form<VersionForm>,
) -> PageResult {
    let result: Result<(), ApiError> = async {
        let mut tx = s.app.store.write(&p.organisation.id, &p.actor()).await?;
        tx.remove_member(&id, f.version).await?;
        tx.commit().await?;
        Ok(())
    }
    .await;
    match result {
        Ok(()) => Ok(Redirect::to("/admin/members?notice=Member%20removed.").into_response()),
        Err(e) => members_with_error(&s, &p, e).await,
    }
}

#[derive(Template)]
#[template(path = "organisation.html")]
struct OrganisationPage {
    shell: Shell,
    org: Organisation,
    name: String,
    error: Option<String>,
    notice: Option<String>,
}

pub async fn organisation(State(s): State<AppState>, Auth(p): Auth, Query(q): Query<PageQuery>) -> PageResult {
    let org = s.app.store.org(&p.organisation.id).organisation().await?;
    Ok(render(&OrganisationPage {
        shell: Shell::new(&s, &p, "organisation").await?,
        name: org.name.clone(),
        org,
        error: None,
        notice: q.notice,
    }))
}

#[derive(Deserialize)]
pub struct OrgForm {
    name: String,
    version: Option<i64>,
    /// A ticked box sends "on"; an unticked one sends nothing.
    require_if_match: Option<String>,
    refuse_auditor_conflicts: Option<String>,
    allow_plan_without_root_cause: Option<String>,
    context_method: Option<String>,
}

pub async fn organisation_save(State(s): State<AppState>, Auth(p): Auth, Form(f): Form<OrgForm>) -> PageResult {
    let result: Result<Organisation, ApiError> = async {
        let mut tx = s.app.store.write(&p.organisation.id, &p.actor()).await?;
        let org = tx
            .update_organisation(
                &pawl_store::OrganisationChange {
                    name: Some(&f.name),
                    require_if_match: Some(f.require_if_match.is_some()),
                    refuse_auditor_conflicts: Some(f.refuse_auditor_conflicts.is_some()),
                    allow_plan_without_root_cause: Some(f.allow_plan_without_root_cause.is_some()),
                    context_method: f.context_method.as_deref(),
                },
                f.version,
            )
            .await?;
        tx.commit().await?;
        Ok(org)
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to("/admin/organisation?notice=Saved.").into_response()),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND => {
            let org = s.app.store.org(&p.organisation.id).organisation().await?;
            let status = e.status;
            let page = OrganisationPage {
                shell: Shell::new(&s, &p, "organisation").await?,
                org,
                name: f.name,
                error: Some(e.message()),
                notice: None,
            };
            Ok((status, render(&page)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    shell: Shell,
    tokens: Vec<ApiToken>,
    new_secret: Option<String>,
    name: String,
    error: Option<String>,
    notice: Option<String>,
}

async fn tokens_page(s: &AppState, p: &pawl_app::Principal) -> Result<TokensPage, ApiError> {
    let whose = (!p.can(Permission::ManageOrganisation)).then_some(p.user_id.as_str());
    Ok(TokensPage {
        shell: Shell::new(s, p, "tokens").await?,
        tokens: s.app.store.org(&p.organisation.id).tokens(whose).await?,
        new_secret: None,
        name: String::new(),
        error: None,
        notice: None,
    })
}

pub async fn tokens(State(s): State<AppState>, Auth(p): Auth, Query(q): Query<PageQuery>) -> PageResult {
    let mut page = tokens_page(&s, &p).await?;
    page.notice = q.notice;
    Ok(render(&page))
}

#[derive(Deserialize)]
pub struct TokenForm {
    name: String,
}

/// Answers with the page itself (not a redirect) so the secret never
/// appears in a URL or the browser history.
pub async fn token_create(State(s): State<AppState>, Auth(p): Auth, Form(f): Form<TokenForm>) -> PageResult {
    match auth::issue_token(&s.app, &p.organisation.id, &p.actor(), &p.user_id, &f.name).await {
        Ok((secret, _)) => {
            let mut page = tokens_page(&s, &p).await?;
            page.new_secret = Some(secret);
            Ok((StatusCode::CREATED, render(&page)).into_response())
        }
        Err(AppError::Invalid(DomainError::Invalid(fields))) => {
            let mut page = tokens_page(&s, &p).await?;
            page.name = f.name;
            page.error = fields.first().map(|x| x.message.clone());
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn token_revoke(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<String>) -> PageResult {
    crate::api::identity::revoke(&s, &p, &id, None).await?;
    Ok(Redirect::to("/account/tokens?notice=Token%20revoked.").into_response())
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    shell: Shell,
    notice: Option<String>,
    /// The name as it stands, or as just typed when it was refused.
    name: String,
    /// By field; ordered so that the summary reads the same every time.
    errors: std::collections::BTreeMap<String, String>,
}

impl AccountPage {
    fn error_of(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }

    fn of(shell: Shell, name: String) -> AccountPage {
        AccountPage {
            shell,
            notice: None,
            name,
            errors: Default::default(),
        }
    }
}

/// The person's own account: the name they go by and their password.
pub async fn account(State(s): State<AppState>, Auth(p): Auth, Query(q): Query<PageQuery>) -> PageResult {
    let mut page = AccountPage::of(Shell::new(&s, &p, "account").await?, p.name.clone());
    page.notice = q.notice;
    Ok(render(&page))
}

/// The page again with what went wrong beside each field.
async fn account_refused(
    s: &AppState,
    p: &pawl_app::Principal,
    name: String,
    errors: std::collections::BTreeMap<String, String>,
) -> PageResult {
    let mut page = AccountPage::of(Shell::new(s, p, "account").await?, name);
    page.errors = errors;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
}

fn field_errors(fields: Vec<pawl_domain::FieldError>) -> std::collections::BTreeMap<String, String> {
    fields.into_iter().map(|x| (x.field, x.message)).collect()
}

#[derive(Deserialize)]
pub struct NameForm {
    name: String,
}

pub async fn name_change(State(s): State<AppState>, Auth(p): Auth, Form(f): Form<NameForm>) -> PageResult {
    match members::set_name(&s.app, &p, &f.name).await {
        Ok(_) => Ok(Redirect::to("/account?notice=Name%20saved.").into_response()),
        Err(AppError::Invalid(DomainError::Invalid(fields))) => {
            account_refused(&s, &p, f.name, field_errors(fields)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
    confirm_password: String,
}

/// Changes the person's own password; their other sessions end.
pub async fn password_change(
    State(s): State<AppState>,
    Auth(p): Auth,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    headers: axum::http::HeaderMap,
    Form(f): Form<PasswordForm>,
) -> PageResult {
    if f.new_password != f.confirm_password {
        let errors = [("confirm_password".to_owned(), "the two new passwords differ".to_owned())];
        return account_refused(&s, &p, p.name.clone(), errors.into_iter().collect()).await;
    }
    let address = crate::extract::client_address(peer.ip(), &headers, &s.app.trusted_proxies);
    match members::change_password(&s.app, &p, &f.current_password, &f.new_password, &address).await {
        Ok(()) => Ok(
            Redirect::to("/account?notice=Password%20changed.%20Your%20other%20sessions%20have%20ended.")
                .into_response(),
        ),
        Err(AppError::Invalid(DomainError::Invalid(fields))) => {
            account_refused(&s, &p, p.name.clone(), field_errors(fields)).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn invitation_revoke(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<String>) -> PageResult {
    members::revoke_invitation(&s.app, &p.organisation.id, &p.actor(), &id).await?;
    Ok(Redirect::to("/admin/members?notice=Invitation%20withdrawn.").into_response())
}
