//! Adding people to an organisation and changing their roles (clause 5.3).

use crate::{auth, App, AppError};
use pawl_domain::audit::Actor;
use pawl_domain::identity::{Email, Role};
use pawl_store::{Member, NewMember};

/// Adds a person. A password is needed only when they have no account yet;
/// someone who already has one (a consultant, say) keeps theirs.
pub async fn add_member(
    app: &App,
    org_id: &str,
    actor: &Actor,
    email: &str,
    role: &str,
    password: Option<&str>,
) -> Result<(Member, bool), AppError> {
    let mut problems = pawl_domain::Problems::default();
    let email = problems.take(Email::parse(email));
    let role = problems.take(Role::parse(role));
    let (Some(email), Some(role)) = (email, role) else {
        return Err(problems.into_error().into());
    };
    let exists = app.store.user_by_email(&email).await?.is_some();
    let password_hash = match (exists, password.filter(|p| !p.is_empty())) {
        (true, _) => String::new(),
        (false, Some(p)) => auth::hash_password(p)?,
        (false, None) => {
            return Err(pawl_domain::DomainError::field("password", "set a first password for a new account").into());
        }
    };
    let mut tx = app.store.write(org_id, actor).await?;
    let added = tx
        .add_member(&NewMember {
            email,
            role,
            password_hash,
        })
        .await?;
    tx.commit().await?;
    Ok(added)
}

/// How long an invitation stays open.
pub const INVITATION_DAYS: i64 = 14;

/// Invites a person to the organisation (5.16, 5.18). Nobody joins without
/// saying yes: the invitation is accepted through its secret link, or by
/// the person after signing in. The answer is the same whether or not the
/// address has an account, so that an administrator cannot learn who uses
/// pawl elsewhere. Returns the invitation and its link's secret, shown once.
pub async fn invite(
    app: &App,
    org_id: &str,
    actor: &Actor,
    email: &str,
    role: &str,
) -> Result<(pawl_store::Invitation, String), AppError> {
    let mut problems = pawl_domain::Problems::default();
    let email = problems.take(Email::parse(email));
    let role = problems.take(Role::parse(role));
    let (Some(email), Some(role)) = (email, role) else {
        return Err(problems.into_error().into());
    };
    let secret = auth::random_secret();
    let expires = time::OffsetDateTime::now_utc() + time::Duration::days(INVITATION_DAYS);
    let mut tx = app.store.write(org_id, actor).await?;
    let invitation = tx
        .invite(
            email.as_str(),
            role,
            &auth::sha256_hex(&secret),
            &pawl_domain::time_fmt::format_instant(expires),
        )
        .await?;
    tx.commit().await?;
    Ok((invitation, secret))
}

/// Withdraws an open invitation.
pub async fn revoke_invitation(app: &App, org_id: &str, actor: &Actor, id: &str) -> Result<(), AppError> {
    let mut tx = app.store.write(org_id, actor).await?;
    tx.answer_invitation(id, pawl_store::Answer::Revoked).await?;
    tx.commit().await?;
    Ok(())
}

/// An invitation as its link shows it, when it is still open.
pub async fn invitation_for_link(
    app: &App,
    secret: &str,
) -> Result<(pawl_store::Invitation, pawl_store::Organisation), AppError> {
    let now = pawl_domain::time_fmt::format_instant(time::OffsetDateTime::now_utc());
    match app.store.invitation_by_token(&auth::sha256_hex(secret)).await? {
        Some((i, o)) if i.is_open(&now) => Ok((i, o)),
        _ => Err(pawl_store::StoreError::NotFound {
            entity: "open invitation",
        }
        .into()),
    }
}

/// Accepts an invitation through its link: the person signs in with their
/// password or, with no account yet, chooses one; they land in the
/// organisation they joined.
pub async fn accept_by_link(
    app: &App,
    secret: &str,
    password: &str,
    address: &str,
) -> Result<auth::SignedIn, AppError> {
    let (inv, org) = invitation_for_link(app, secret).await?;
    let email = Email::parse(&inv.email)?;
    let existing = app.store.user_by_email(&email).await?;
    // An existing account proves itself by signing in, throttled as ever.
    let signed = match existing {
        Some(_) => Some(auth::sign_in(app, email.as_str(), password, address).await?),
        None => None,
    };
    let password_hash = match signed {
        Some(_) => String::new(),
        None => auth::hash_password(password)?,
    };
    let person = Actor {
        kind: pawl_domain::audit::ActorKind::User,
        id: email.as_str().to_owned(),
        name: email.as_str().to_owned(),
    };
    let mut tx = app.store.write(&org.id, &person).await?;
    tx.answer_invitation(&inv.id, pawl_store::Answer::Accepted).await?;
    let (member, _) = tx
        .add_member(&NewMember {
            email: email.clone(),
            role: inv.role,
            password_hash,
        })
        .await?;
    tx.commit().await?;
    let signed = match signed {
        Some(s) => s,
        None => auth::sign_in(app, email.as_str(), password, address).await?,
    };
    app.store.set_session_org(&signed.session.id_hash, &org.id).await?;
    app.store.set_last_organisation(&member.user_id, &org.id).await?;
    Ok(signed)
}

/// Declines an invitation through its link.
pub async fn decline_by_link(app: &App, secret: &str) -> Result<(), AppError> {
    let (inv, org) = invitation_for_link(app, secret).await?;
    let mut tx = app
        .store
        .write(&org.id, &Actor::system(&format!("{} (invitation link)", inv.email)))
        .await?;
    tx.answer_invitation(&inv.id, pawl_store::Answer::Declined).await?;
    tx.commit().await?;
    Ok(())
}

/// A signed-in person answers an invitation to their own address.
pub async fn answer_invitation(
    app: &App,
    user_id: &str,
    email: &str,
    invitation_id: &str,
    accept: bool,
) -> Result<pawl_store::Organisation, AppError> {
    let (inv, org) = app
        .store
        .invitations_to(email)
        .await?
        .into_iter()
        .find(|(i, _)| i.id == invitation_id)
        .ok_or(pawl_store::StoreError::NotFound {
            entity: "open invitation",
        })?;
    let person = Actor {
        kind: pawl_domain::audit::ActorKind::User,
        id: user_id.to_owned(),
        name: email.to_owned(),
    };
    let mut tx = app.store.write(&org.id, &person).await?;
    let answer = match accept {
        true => pawl_store::Answer::Accepted,
        false => pawl_store::Answer::Declined,
    };
    tx.answer_invitation(&inv.id, answer).await?;
    if accept {
        tx.add_member(&NewMember {
            email: Email::parse(email)?,
            role: inv.role,
            password_hash: String::new(),
        })
        .await?;
    }
    tx.commit().await?;
    Ok(org)
}
