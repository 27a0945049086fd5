//! The organisation, its members and API tokens (clause 5.3; Annex A 5.16 to 5.18).

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, Problem};
use crate::etag::{if_match, with_etag};
use crate::extract::{Json, Path, Query};
use crate::response::{list_of, ListBody, ListParams};
use crate::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use pawl_app::{auth, members};
use pawl_domain::access::Permission;
use pawl_domain::identity::Role;
use pawl_store::{ApiToken, Member, Organisation};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct OrganisationOut {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub created_at: String,
    pub version: i64,
    /// Every change through the API must send `If-Match`.
    pub require_if_match: bool,
    /// An audit whose lead auditor or team owns a control or document in
    /// its scope is refused, not only warned about (9.2.2 c).
    pub refuse_auditor_conflicts: bool,
    /// A corrective-action plan may be approved before the root cause is
    /// recorded (10.2 b); false by default.
    pub allow_plan_without_root_cause: bool,
    /// How context issues are categorised (4.1): `pestle` or `swot`.
    pub context_method: String,
}

impl From<Organisation> for OrganisationOut {
    fn from(o: Organisation) -> Self {
        OrganisationOut {
            id: o.id,
            slug: o.slug,
            name: o.name,
            created_at: o.created_at,
            version: o.version,
            require_if_match: o.require_if_match,
            refuse_auditor_conflicts: o.refuse_auditor_conflicts,
            allow_plan_without_root_cause: o.allow_plan_without_root_cause,
            context_method: o.context_method,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganisationPatch {
    pub name: Option<String>,
    /// When true, every change through the API must send `If-Match` with
    /// the ETag it read; one without gets 428.
    pub require_if_match: Option<bool>,
    /// When true, an audit whose auditors own something in its scope is refused.
    pub refuse_auditor_conflicts: Option<bool>,
    /// When true, a corrective-action plan may be approved before the root cause is recorded.
    pub allow_plan_without_root_cause: Option<bool>,
    /// `pestle` or `swot`: the categories new and changed context issues use.
    pub context_method: Option<String>,
}

/// The caller's organisation.
#[utoipa::path(get, path = "/api/v1/organisation", tag = "organisation",
    responses((status = 200, body = OrganisationOut, headers(("ETag" = String))), (status = 401, body = Problem)))]
pub async fn organisation_get(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<impl IntoResponse> {
    let org = s.app.store.org(&p.organisation.id).organisation().await?;
    Ok((with_etag(org.version), axum::Json(OrganisationOut::from(org))))
}

/// Renames the organisation, or sets whether changes must send `If-Match`.
#[utoipa::path(patch, path = "/api/v1/organisation", tag = "organisation", request_body = OrganisationPatch,
    params(("If-Match" = Option<String>, Header, description = "The ETag last read; a stale one gets 412")),
    responses((status = 200, body = OrganisationOut, headers(("ETag" = String))), (status = 403, body = Problem),
        (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn organisation_patch(
    State(s): State<AppState>,
    Auth(p): Auth,
    headers: HeaderMap,
    Json(body): Json<OrganisationPatch>,
) -> ApiResult<impl IntoResponse> {
    let expected = if_match(&headers, &p.organisation)?;
    let mut tx = s.app.store.write(&p.organisation.id, &p.actor()).await?;
    let org = tx
        .update_organisation(
            &pawl_store::OrganisationChange {
                name: body.name.as_deref(),
                require_if_match: body.require_if_match,
                refuse_auditor_conflicts: body.refuse_auditor_conflicts,
                allow_plan_without_root_cause: body.allow_plan_without_root_cause,
                context_method: body.context_method.as_deref(),
            },
            expected,
        )
        .await?;
    tx.commit().await?;
    Ok((with_etag(org.version), axum::Json(OrganisationOut::from(org))))
}

#[derive(Serialize, ToSchema)]
pub struct MemberOut {
    pub id: String,
    pub user_id: String,
    pub email: String,
    /// The name the person goes by; empty until they give one.
    pub name: String,
    /// admin, manager, contributor, auditor, viewer or staff.
    pub role: String,
    pub created_at: String,
    pub updated_at: String,
    pub version: i64,
}

impl From<Member> for MemberOut {
    fn from(m: Member) -> Self {
        MemberOut {
            id: m.id,
            user_id: m.user_id,
            email: m.email,
            name: m.name,
            role: m.role.as_str().into(),
            created_at: m.created_at,
            updated_at: m.updated_at,
            version: m.version,
        }
    }
}

list_of!(MemberList, MemberOut);

/// Members of the organisation. Sort by `email` (default), `role` or `created_at`; `q` searches e-mail addresses.
#[utoipa::path(get, path = "/api/v1/members", tag = "organisation", params(ListParams),
    responses((status = 200, body = MemberList), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn members_list(
    State(s): State<AppState>,
    Auth(p): Auth,
    Query(params): Query<ListParams>,
) -> ApiResult<axum::Json<MemberList>> {
    let page = s.app.store.org(&p.organisation.id).members(&params.to_query()?).await?;
    Ok(axum::Json(MemberList::page(page)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberCreate {
    pub email: String,
    pub role: String,
}

/// An invitation to join the organisation.
#[derive(Serialize, ToSchema)]
pub struct InvitationOut {
    pub id: String,
    pub email: String,
    pub role: String,
    pub invited_by: String,
    pub created_at: String,
    pub expires_at: String,
    /// Where the person accepts: give them this path on this server. Only
    /// in the answer that creates or renews the invitation, and only where
    /// pawl sends no e-mail.
    pub accept_path: Option<String>,
    /// pawl e-mailed the link to the address and shows it to nobody;
    /// accepting it proves the address is the person's.
    pub mailed: bool,
}

impl InvitationOut {
    fn of(i: pawl_store::Invitation, secret: Option<&str>) -> Self {
        InvitationOut {
            id: i.id,
            email: i.email,
            role: i.role.as_str().to_owned(),
            invited_by: i.invited_by,
            created_at: i.created_at,
            expires_at: i.expires_at,
            accept_path: secret.map(|s| format!("/invitations/{s}")),
            mailed: i.mailed,
        }
    }
}

list_of!(InvitationList, InvitationOut);

/// Invites a person to join the organisation with a role. They join only
/// by accepting, through the link or after signing in; the answer is the
/// same whether or not the address has an account. Inviting an address
/// again renews its open invitation with the new role and a new link.
#[utoipa::path(post, path = "/api/v1/members", tag = "organisation", request_body = MemberCreate,
    responses((status = 202, body = InvitationOut), (status = 403, body = Problem),
        (status = 409, body = Problem, description = "already a member"), (status = 422, body = Problem)))]
pub async fn member_create(
    State(s): State<AppState>,
    Auth(p): Auth,
    Json(body): Json<MemberCreate>,
) -> ApiResult<impl IntoResponse> {
    let (invitation, secret) = members::invite(&s.app, &p.organisation.id, &p.actor(), &body.email, &body.role).await?;
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(InvitationOut::of(invitation, secret.as_deref())),
    ))
}

/// The organisation's open invitations, newest first.
#[utoipa::path(get, path = "/api/v1/invitations", tag = "organisation",
    responses((status = 200, body = InvitationList), (status = 403, body = Problem)))]
pub async fn invitations_list(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<axum::Json<InvitationList>> {
    let open = s.app.store.org(&p.organisation.id).open_invitations().await?;
    Ok(axum::Json(InvitationList::whole(
        open.into_iter().map(|i| InvitationOut::of(i, None)).collect(),
    )))
}

/// Withdraws an open invitation.
#[utoipa::path(delete, path = "/api/v1/invitations/{id}", tag = "organisation", params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn invitation_revoke(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    members::revoke_invitation(&s.app, &p.organisation.id, &p.actor(), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An invitation to the caller, with the organisation it is to.
#[derive(Serialize, ToSchema)]
pub struct MyInvitationOut {
    pub id: String,
    pub organisation: String,
    pub role: String,
    pub invited_by: String,
    pub expires_at: String,
}

list_of!(MyInvitationList, MyInvitationOut);

/// The open invitations to the caller's own address, in any organisation.
#[utoipa::path(get, path = "/api/v1/me/invitations", tag = "organisation",
    responses((status = 200, body = MyInvitationList)))]
pub async fn my_invitations(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<axum::Json<MyInvitationList>> {
    let open = s.app.store.invitations_to(&p.email).await?;
    Ok(axum::Json(MyInvitationList::whole(
        open.into_iter()
            .map(|(i, o)| MyInvitationOut {
                id: i.id,
                organisation: o.name,
                role: i.role.as_str().to_owned(),
                invited_by: i.invited_by,
                expires_at: i.expires_at,
            })
            .collect(),
    )))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvitationAnswer {
    /// True to join, false to decline.
    pub accept: bool,
}

/// Accepts or declines an invitation to the caller's own address.
#[utoipa::path(post, path = "/api/v1/me/invitations/{id}", tag = "organisation", params(("id" = String, Path)),
    request_body = InvitationAnswer,
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn my_invitation_answer(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    Json(body): Json<InvitationAnswer>,
) -> ApiResult<StatusCode> {
    members::answer_invitation(&s.app, &p.user_id, &p.email, &id, body.accept).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    /// The password the caller signs in with now.
    pub current_password: String,
    /// At least 12 characters, and not the current one.
    pub new_password: String,
}

/// Changes the caller's own password (Annex A 5.17). The current password
/// is needed and is throttled as signing in is; every session of the
/// caller ends but the one the change came from.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "organisation", request_body = PasswordChange,
    responses((status = 204), (status = 401, body = Problem), (status = 422, body = Problem),
        (status = 429, body = Problem)))]
pub async fn my_password_change(
    State(s): State<AppState>,
    Auth(p): Auth,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    Json(body): Json<PasswordChange>,
) -> ApiResult<StatusCode> {
    let address = crate::extract::client_address(peer.ip(), &headers, &s.app.trusted_proxies);
    members::change_password(&s.app, &p, &body.current_password, &body.new_password, &address).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One member.
#[utoipa::path(get, path = "/api/v1/members/{id}", tag = "organisation", params(("id" = String, Path)),
    responses((status = 200, body = MemberOut, headers(("ETag" = String))), (status = 404, body = Problem)))]
pub async fn member_get(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    let m = s.app.store.org(&p.organisation.id).member(&id).await?;
    Ok((with_etag(m.version), axum::Json(MemberOut::from(m))))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberPatch {
    pub role: String,
}

/// Changes a member's role. Honours `If-Match`; the last admin cannot be demoted.
#[utoipa::path(patch, path = "/api/v1/members/{id}", tag = "organisation", request_body = MemberPatch,
    params(("id" = String, Path), ("If-Match" = Option<String>, Header, description = "The ETag last read")),
    responses((status = 200, body = MemberOut, headers(("ETag" = String))), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn member_patch(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
    Json(body): Json<MemberPatch>,
) -> ApiResult<impl IntoResponse> {
    let expected = if_match(&headers, &p.organisation)?;
    let role = Role::parse(&body.role)?;
    let mut tx = s.app.store.write(&p.organisation.id, &p.actor()).await?;
    let m = tx.set_member_role(&id, role, expected).await?;
    tx.commit().await?;
    Ok((with_etag(m.version), axum::Json(MemberOut::from(m))))
}

/// Removes a member and revokes their tokens here. Honours `If-Match`.
#[utoipa::path(delete, path = "/api/v1/members/{id}", tag = "organisation",
    params(("id" = String, Path), ("If-Match" = Option<String>, Header, description = "The ETag last read")),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem), (status = 412, body = Problem)))]
pub async fn member_delete(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    let expected = if_match(&headers, &p.organisation)?;
    let mut tx = s.app.store.write(&p.organisation.id, &p.actor()).await?;
    tx.remove_member(&id, expected).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct TokenOut {
    pub id: String,
    pub name: String,
    pub email: String,
    /// The first characters of the secret, to tell tokens apart.
    pub prefix: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
    pub version: i64,
}

impl From<ApiToken> for TokenOut {
    fn from(t: ApiToken) -> Self {
        TokenOut {
            id: t.id,
            name: t.name,
            email: t.email,
            prefix: t.prefix,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
            version: t.version,
        }
    }
}

list_of!(TokenList, TokenOut);

/// The caller's API tokens (all of the organisation's, for admins), newest first.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "organisation",
    responses((status = 200, body = TokenList), (status = 401, body = Problem)))]
pub async fn tokens_list(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<axum::Json<TokenList>> {
    let whose = (!p.can(Permission::ManageOrganisation)).then_some(p.user_id.as_str());
    Ok(axum::Json(TokenList::whole(
        s.app
            .store
            .org(&p.organisation.id)
            .tokens(whose)
            .await?
            .into_iter()
            .map(TokenOut::from)
            .collect(),
    )))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenCreate {
    /// What the token is for, e.g. `ci-evidence-upload`.
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct TokenCreated {
    /// The secret: shown this once, never again.
    pub token: String,
    pub record: TokenOut,
}

/// Creates an API token acting as the caller, with the caller's role.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "organisation", request_body = TokenCreate,
    responses((status = 201, body = TokenCreated), (status = 422, body = Problem)))]
pub async fn token_create(
    State(s): State<AppState>,
    Auth(p): Auth,
    Json(body): Json<TokenCreate>,
) -> ApiResult<impl IntoResponse> {
    let (secret, token) = auth::issue_token(&s.app, &p.organisation.id, &p.actor(), &p.user_id, &body.name).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(TokenCreated {
            token: secret,
            record: TokenOut::from(token),
        }),
    ))
}

/// Revokes a token: one's own, or anyone's for an admin. Honours `If-Match`.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "organisation",
    params(("id" = String, Path), ("If-Match" = Option<String>, Header, description = "The ETag last read")),
    responses((status = 204), (status = 404, body = Problem), (status = 412, body = Problem)))]
pub async fn token_revoke(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    let expected = if_match(&headers, &p.organisation)?;
    revoke(&s, &p, &id, expected).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Shared with the UI: only the owner or an admin may revoke a token, and
/// someone else's token is reported as absent rather than forbidden.
pub(crate) async fn revoke(
    s: &AppState,
    p: &pawl_app::Principal,
    id: &str,
    expected: Option<i64>,
) -> Result<(), ApiError> {
    let token = s.app.store.org(&p.organisation.id).token(id).await?;
    if token.user_id != p.user_id && !p.can(Permission::ManageOrganisation) {
        return Err(ApiError::not_found("token"));
    }
    let mut tx = s.app.store.write(&p.organisation.id, &p.actor()).await?;
    tx.revoke_token(id, expected).await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct InviteManyParams {
    /// Check the file and say who would be invited; invite nobody.
    #[serde(default)]
    pub dry_run: bool,
}

/// One person of a list invited.
#[derive(Serialize, ToSchema)]
pub struct InvitedOut {
    pub email: String,
    pub role: String,
    /// Where the person accepts, where pawl sends no e-mail; pawl mails the
    /// link otherwise.
    pub accept_path: Option<String>,
}

/// What inviting a list did, or would do.
#[derive(Serialize, ToSchema)]
pub struct InvitedReport {
    pub dry_run: bool,
    /// Nobody was invited: `problems` says why.
    pub refused: bool,
    pub invited: Vec<InvitedOut>,
    /// Every problem, at its line and column.
    pub problems: Vec<String>,
}

/// Invites everyone a CSV body names (columns `email` and `role`, `name`
/// allowed): all or nothing, every problem named by line and column.
#[utoipa::path(post, path = "/api/v1/invitations/import", tag = "organisation", params(InviteManyParams),
    request_body(content_type = "text/csv", description = "email,role (and name) on the first line, one person a line"),
    responses((status = 200, body = InvitedReport, description = "a dry run"), (status = 201, body = InvitedReport),
        (status = 403, body = Problem), (status = 422, body = InvitedReport)))]
pub async fn invite_many(
    State(s): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<InviteManyParams>,
    body: axum::body::Bytes,
) -> ApiResult<axum::response::Response> {
    let done = members::invite_many(&s.app, &p.organisation.id, &p.actor(), &body, q.dry_run).await?;
    let refused = !done.problems.is_empty();
    let status = if refused {
        StatusCode::UNPROCESSABLE_ENTITY
    } else if done.dry_run {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let report = InvitedReport {
        dry_run: done.dry_run,
        refused,
        invited: done
            .people
            .into_iter()
            .map(|(email, role, secret)| InvitedOut {
                email,
                role: role.as_str().to_owned(),
                accept_path: secret.map(|s| format!("/invitations/{s}")),
            })
            .collect(),
        problems: done.problems,
    };
    Ok((status, axum::Json(report)).into_response())
}
