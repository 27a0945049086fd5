//! Adding people to an organisation and changing their roles (clause 5.3).

use crate::{auth, App, AppError};
use pawl_domain::audit::Actor;
use pawl_domain::identity::{Email, Role};
use pawl_store::{AddressProof, Member, NewMember};

/// Adds a person, as an operator does (the CLI, the demo): a new account's
/// address is taken as proven. A password is needed only when they have no
/// account yet; someone who already has one (a consultant, say) keeps theirs.
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
            name: String::new(),
            role,
            password_hash,
            address: AddressProof::Proven,
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
/// pawl elsewhere. Where pawl sends e-mail, it mails the link itself and
/// shows it to nobody, and accepting it proves the address; otherwise the
/// link's secret is returned, shown once, for the administrator to pass on.
pub async fn invite(
    app: &App,
    org_id: &str,
    actor: &Actor,
    email: &str,
    role: &str,
) -> Result<(pawl_store::Invitation, Option<String>), AppError> {
    let mut problems = pawl_domain::Problems::default();
    let email = problems.take(Email::parse(email));
    let role = problems.take(Role::parse(role));
    let (Some(email), Some(role)) = (email, role) else {
        return Err(problems.into_error().into());
    };
    let mut tx = app.store.write(org_id, actor).await?;
    let organisation = app.store.organisation(org_id).await?;
    let invited = invite_in(app, &mut tx, &organisation, actor, &email, role).await?;
    tx.commit().await?;
    Ok(invited)
}

/// One invitation in `tx`, mailed where pawl sends e-mail.
async fn invite_in(
    app: &App,
    tx: &mut pawl_store::AuditedTx,
    organisation: &pawl_store::Organisation,
    actor: &Actor,
    email: &Email,
    role: Role,
) -> Result<(pawl_store::Invitation, Option<String>), AppError> {
    let secret = auth::random_secret();
    let expires = time::OffsetDateTime::now_utc() + time::Duration::days(INVITATION_DAYS);
    let mailed = app.store.dispatching();
    let invitation = tx
        .invite(
            email.as_str(),
            role,
            &auth::sha256_hex(&secret),
            &pawl_domain::time_fmt::format_instant(expires),
            mailed,
        )
        .await?;
    if mailed {
        let invited_by = match actor.name.trim() {
            "" => "An administrator".to_owned(),
            name => name.to_owned(),
        };
        tx.notify(&pawl_store::NewNotification {
            user_id: None,
            email: email.as_str(),
            category: pawl_domain::notify::Category::Invitation,
            subject: &format!("You are invited to {}'s ISMS in pawl", organisation.name),
            body: &format!(
                "{invited_by} invites you to join {} in pawl as {}. The link below lets you accept or decline; \
                 it works for {INVITATION_DAYS} days.",
                organisation.name,
                role.label().to_lowercase()
            ),
            path: &format!("/invitations/{secret}"),
            mail: true,
        })
        .await?;
    }
    Ok((invitation, (!mailed).then_some(secret)))
}

/// What inviting a list of people did, or would do.
#[derive(Debug, Default)]
pub struct Invited {
    /// Each person invited (or to be, on a dry run): address, role, and the
    /// link's secret where pawl sends no e-mail.
    pub people: Vec<(String, Role, Option<String>)>,
    /// Every problem, each at its line and column; none were invited then.
    pub problems: Vec<String>,
    pub dry_run: bool,
}

/// Invites everyone a CSV names (onboarding 150 staff in one go): columns
/// `email` (or `e-mail`) and `role` (a code or a label), `name` read and
/// kept out of the way. All or nothing: a file with any problem (an
/// address or role that is none, an address twice, someone already a
/// member) invites nobody and names every problem by line and column.
pub async fn invite_many(
    app: &App,
    org_id: &str,
    actor: &Actor,
    csv_text: &[u8],
    dry_run: bool,
) -> Result<Invited, AppError> {
    let mut out = Invited {
        dry_run,
        ..Invited::default()
    };
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(csv_text);
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h
            .iter()
            .map(|h| h.trim().trim_start_matches('\u{feff}').to_lowercase())
            .collect(),
        Err(e) => {
            out.problems.push(format!("line 1: {e}"));
            return Ok(out);
        }
    };
    let column = |names: &[&str]| headers.iter().position(|h| names.contains(&h.as_str()));
    let (Some(email_at), Some(role_at)) = (column(&["email", "e-mail", "email address"]), column(&["role"])) else {
        out.problems
            .push("line 1: the header must name an email and a role column".into());
        return Ok(out);
    };
    let mut seen = std::collections::HashMap::new();
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                out.problems.push(format!("line {line}: {e}"));
                continue;
            }
        };
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let cell = |at: usize| record.get(at).unwrap_or("").trim().to_owned();
        let (email, role) = (cell(email_at), cell(role_at));
        let email = match Email::parse(&email) {
            Ok(e) => Some(e),
            Err(_) => {
                out.problems.push(format!(
                    "line {line}, column {}: {email:?} is not an e-mail address",
                    email_at + 1
                ));
                None
            }
        };
        let role = Role::ALL
            .into_iter()
            .find(|r| r.as_str() == role.to_lowercase() || r.label().eq_ignore_ascii_case(&role));
        if role.is_none() {
            out.problems.push(format!(
                "line {line}, column {}: {:?} is not a role; give admin, manager, contributor, auditor, viewer or staff",
                role_at + 1,
                cell(role_at)
            ));
        }
        let (Some(email), Some(role)) = (email, role) else {
            continue;
        };
        if let Some(first) = seen.insert(email.as_str().to_owned(), line) {
            out.problems
                .push(format!("line {line}: {} is on line {first} already", email.as_str()));
            continue;
        }
        rows.push((line, email, role));
    }
    if rows.is_empty() && out.problems.is_empty() {
        out.problems.push("the file names nobody to invite".into());
    }
    if !out.problems.is_empty() {
        return Ok(out);
    }
    // Written in one transaction, which a dry run or any refusal (someone
    // already a member) drops, so that nothing is half invited.
    let mut tx = app.store.write(org_id, actor).await?;
    let organisation = app.store.organisation(org_id).await?;
    for (line, email, role) in rows {
        match invite_in(app, &mut tx, &organisation, actor, &email, role).await {
            Ok((_, secret)) => out.people.push((email.as_str().to_owned(), role, secret)),
            Err(AppError::Store(pawl_store::StoreError::Conflict(why))) => {
                out.problems.push(format!("line {line}: {why}"))
            }
            Err(e) => return Err(e),
        }
    }
    if out.problems.is_empty() && !dry_run {
        tx.commit().await?;
    } else {
        for p in &mut out.people {
            p.2 = None;
        }
    }
    Ok(out)
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
/// organisation they joined. A new account made this way is the inviting
/// organisation's alone until its address is proven, since the link's
/// holder may be its admin rather than the mailbox's owner.
///
/// The answer does not tell the link's holder whether the address has an
/// account: a password too short to become a new account's is refused as a
/// wrong password is, with the same error.
pub async fn accept_by_link(
    app: &App,
    secret: &str,
    password: &str,
    name: &str,
    address: &str,
) -> Result<auth::SignedIn, AppError> {
    let (inv, org) = invitation_for_link(app, secret).await?;
    // A new account's name, when given; an existing account keeps its own.
    let name = match name.trim() {
        "" => String::new(),
        n => pawl_domain::identity::parse_name("name", n)?,
    };
    let email = Email::parse(&inv.email)?;
    let existing = app.store.user_by_email(&email).await?;
    // An existing account proves itself by signing in, throttled as ever.
    let signed = match existing {
        Some(_) => Some(auth::sign_in(app, email.as_str(), password, address).await?),
        None => None,
    };
    let password_hash = match signed {
        Some(_) => String::new(),
        None => auth::hash_password(password).map_err(|_| AppError::BadCredentials)?,
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
            name,
            role: inv.role,
            password_hash,
            // Only the mailbox saw a link pawl mailed; a link an
            // administrator passed on may be in the administrator's hands.
            address: if inv.mailed {
                AddressProof::Proven
            } else {
                AddressProof::Unproven
            },
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

/// Changes one's own password (Annex A 5.17): the current one is needed,
/// the new one must meet the policy, and every other session of the person
/// ends. Recorded in the trail of each organisation they belong to.
pub async fn change_password(
    app: &App,
    principal: &crate::Principal,
    current: &str,
    new: &str,
    address: &str,
) -> Result<(), AppError> {
    let account = app.store.user(&principal.user_id).await?;
    // Through the sign-in throttle, so that the form cannot be used to
    // guess the current password faster than signing in can.
    let attempt = crate::rate_limit::begin(&app.store, &account.email, address).await?;
    if !auth::verify_password(&account.password_hash, current) {
        return Err(pawl_domain::DomainError::field("current_password", "this is not your current password").into());
    }
    crate::rate_limit::succeeded(&app.store, attempt).await?;
    if new == current {
        return Err(
            pawl_domain::DomainError::field("new_password", "choose a password other than the current one").into(),
        );
    }
    pawl_domain::identity::check_password_as("new_password", new)?;
    let hash = auth::hash_password(new)?;
    let keep = match &principal.via {
        crate::Via::Session { id_hash, .. } => Some(id_hash.as_str()),
        crate::Via::ApiToken { .. } => None,
    };
    app.store.set_password(&account.id, &hash, false, keep).await?;
    record_account_change(app, &account, &principal.actor(), "password_changed").await
}

/// Sets the name a person goes by, shown wherever pawl shows them (their
/// records, cards, the trail from now on); their address stays beside it
/// where it helps.
pub async fn set_name(app: &App, principal: &crate::Principal, name: &str) -> Result<String, AppError> {
    let name = pawl_domain::identity::parse_name("name", name)?;
    let account = app.store.user(&principal.user_id).await?;
    app.store.set_user_name(&account.id, &name).await?;
    record_account_change(app, &account, &principal.actor(), "renamed").await?;
    Ok(name)
}

/// Sets a person's password as an operator does (`pawl user set-password`):
/// no current password is asked for, the address counts as proven from now
/// on (the operator vouches for who receives the password), and every
/// session of the person ends.
pub async fn set_password_by_operator(app: &App, email: &str, password: &str) -> Result<pawl_store::User, AppError> {
    let email = Email::parse(email)?;
    let account = app
        .store
        .user_by_email(&email)
        .await?
        .ok_or(pawl_store::StoreError::NotFound { entity: "account" })?;
    let hash = auth::hash_password(password)?;
    app.store.set_password(&account.id, &hash, true, None).await?;
    record_account_change(
        app,
        &account,
        &Actor::system("pawl user set-password"),
        "password_changed",
    )
    .await?;
    Ok(account)
}

/// A change of an account goes into the trail of every organisation the
/// person belongs to, as a failed sign-in does (Annex A 8.15).
pub(crate) async fn record_account_change(
    app: &App,
    account: &pawl_store::User,
    actor: &Actor,
    action: &str,
) -> Result<(), AppError> {
    for (org, _) in app.store.memberships_of_user(&account.id).await? {
        let mut tx = app.store.write(&org.id, actor).await?;
        tx.record_event(
            action,
            "user",
            &account.id,
            &serde_json::json!({ "email": account.email }),
        )
        .await?;
        tx.commit().await?;
    }
    Ok(())
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
            name: String::new(),
            role: inv.role,
            password_hash: String::new(),
            address: AddressProof::Unproven,
        })
        .await?;
    }
    tx.commit().await?;
    Ok(org)
}
