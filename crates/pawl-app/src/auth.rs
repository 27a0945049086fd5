//! Authentication: passwords, sessions and API tokens (Annex A 5.17, 8.5).
//!
//! Secrets handed to clients (session cookies, API tokens) are random and
//! stored only as SHA-256 hashes; passwords are stored as argon2id hashes.

use crate::{App, AppError, Principal, Via};
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use pawl_domain::identity::Email;
use pawl_domain::time_fmt::format_instant;
use pawl_store::{ApiToken, Session, StoreError};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// How long a browser session lasts without signing in again.
pub const SESSION_HOURS: i64 = 12;

pub fn hash_password(password: &str) -> Result<String, AppError> {
    pawl_domain::identity::check_password(password)?;
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Store(StoreError::Corrupt(format!("password hashing failed: {e}"))))
}

pub fn verify_password(stored_hash: &str, password: &str) -> bool {
    PasswordHash::new(stored_hash)
        .map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

/// A random secret as hex: 256 bits, for cookies, tokens and CSRF.
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// A generated password a person can type: 20 characters from an unambiguous alphabet.
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

/// The outcome of a successful sign-in: the cookie secret and the session.
pub struct SignedIn {
    pub cookie_secret: String,
    pub session: Session,
    /// How many organisations the person belongs to: with more than one,
    /// they choose where to work.
    pub organisations: usize,
}

/// Signs a person in after checking the throttle and their password; records
/// the sign-in in the audit trail of the organisation they land in.
pub async fn sign_in(app: &App, email: &str, password: &str, address: &str) -> Result<SignedIn, AppError> {
    let account = email.trim().to_lowercase();
    let attempt = crate::rate_limit::begin(&app.store, &account, address).await?;
    let user = match Email::parse(&account) {
        Ok(e) => app.store.user_by_email(&e).await?,
        Err(_) => None,
    };
    // Verify against a fixed hash when the account does not exist, so the
    // response time does not tell which addresses have accounts.
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let ok = match &user {
        Some(u) => verify_password(&u.password_hash, password),
        None => {
            let dummy = DUMMY.get_or_init(|| hash_password("a password nobody has").unwrap_or_default());
            verify_password(dummy, password);
            false
        }
    };
    let user = match (ok, user) {
        (true, Some(u)) => u,
        (false, Some(u)) => {
            record_failure(app, &u, address).await?;
            return Err(AppError::BadCredentials);
        }
        _ => {
            tracing::warn!(address, "sign-in failed for an address with no account");
            return Err(AppError::BadCredentials);
        }
    };
    crate::rate_limit::succeeded(&app.store, attempt).await?;
    let memberships = app.store.memberships_of_user(&user.id).await?;
    // Where they last worked, while they still belong there; else the first.
    let last = app.store.last_organisation(&user.id).await?;
    let org = memberships
        .iter()
        .find(|(o, _)| Some(&o.id) == last.as_ref())
        .or(memberships.first())
        .map(|(o, _)| o.clone());
    let cookie_secret = random_secret();
    let expires = time::OffsetDateTime::now_utc() + time::Duration::hours(SESSION_HOURS);
    let session = Session {
        id_hash: sha256_hex(&cookie_secret),
        user_id: user.id.clone(),
        email: user.email.clone(),
        name: user.name.clone(),
        org_id: org.as_ref().map(|o| o.id.clone()),
        csrf_token: random_secret(),
        expires_at: format_instant(expires),
    };
    app.store.create_session(&session).await?;
    if let Some(org) = org {
        let actor = pawl_domain::audit::Actor {
            kind: pawl_domain::audit::ActorKind::User,
            id: user.id.clone(),
            name: user.email.clone(),
        };
        let mut tx = app.store.write(&org.id, &actor).await?;
        tx.record_event("sign_in", "user", &user.id, &serde_json::json!({ "address": address }))
            .await?;
        tx.commit().await?;
    }
    Ok(SignedIn {
        cookie_secret,
        session,
        organisations: memberships.len(),
    })
}

/// A wrong password for an existing account goes into the audit trail of
/// every organisation the account belongs to, with the client address, so
/// that their admins and auditors read it where they read everything else
/// (Annex A 8.15, logging). Throttled attempts are refused before this, so
/// the trail grows no faster than the throttle allows.
async fn record_failure(app: &App, user: &pawl_store::User, address: &str) -> Result<(), AppError> {
    let actor = pawl_domain::audit::Actor::system("sign-in");
    for (org, _) in app.store.memberships_of_user(&user.id).await? {
        let mut tx = app.store.write(&org.id, &actor).await?;
        tx.record_event(
            "sign_in_failed",
            "user",
            &user.id,
            &serde_json::json!({ "address": address, "email": user.email }),
        )
        .await?;
        tx.commit().await?;
    }
    Ok(())
}

/// Ends a session and records it.
pub async fn sign_out(app: &App, principal: &Principal) -> Result<(), AppError> {
    if let Via::Session { id_hash, .. } = &principal.via {
        app.store.delete_session(id_hash).await?;
        let mut tx = app.store.write(&principal.organisation.id, &principal.actor()).await?;
        tx.record_event("sign_out", "user", &principal.user_id, &serde_json::json!({}))
            .await?;
        tx.commit().await?;
    }
    Ok(())
}

/// What a session cookie amounts to: `Ok(None)` when signed in but a member
/// of no organisation.
pub async fn session_principal(app: &App, cookie_secret: &str) -> Result<Option<Principal>, AppError> {
    let Some(session) = app.store.session(&sha256_hex(cookie_secret)).await? else {
        return Err(AppError::Unauthenticated);
    };
    let Some(org_id) = session.org_id.clone() else {
        return Ok(None);
    };
    let Some(member) = app.store.org(&org_id).membership_of(&session.user_id).await? else {
        return Ok(None);
    };
    Ok(Some(Principal {
        user_id: session.user_id,
        email: session.email,
        name: session.name,
        organisation: app.store.organisation(&org_id).await?,
        role: member.role,
        via: Via::Session {
            id_hash: session.id_hash,
            csrf_token: session.csrf_token,
        },
    }))
}

/// What an `Authorization: Bearer` token amounts to.
pub async fn token_principal(app: &App, token: &str) -> Result<Principal, AppError> {
    let owner = app
        .store
        .token_owner(&sha256_hex(token.trim()))
        .await?
        .ok_or(AppError::Unauthenticated)?;
    app.store
        .touch_token(&owner.token.id, owner.token.last_used_at.as_deref())
        .await?;
    Ok(Principal {
        user_id: owner.token.user_id.clone(),
        email: owner.token.email.clone(),
        name: owner.name,
        organisation: owner.organisation,
        role: owner.role,
        via: Via::ApiToken {
            token_id: owner.token.id,
            name: owner.token.name,
        },
    })
}

/// Moves a session to another organisation the person belongs to.
pub async fn switch_organisation(app: &App, principal: &Principal, slug: &str) -> Result<(), AppError> {
    let Via::Session { id_hash, .. } = &principal.via else {
        return Err(AppError::Forbidden);
    };
    let org = app.store.organisation_by_slug(slug).await?;
    if app
        .store
        .org(&org.id)
        .membership_of(&principal.user_id)
        .await?
        .is_none()
    {
        return Err(AppError::Forbidden);
    }
    app.store.set_session_org(id_hash, &org.id).await?;
    app.store.set_last_organisation(&principal.user_id, &org.id).await?;
    Ok(())
}

/// Issues an API token for `user_id` in the actor's organisation. The
/// secret is returned once and never stored.
pub async fn issue_token(
    app: &App,
    org_id: &str,
    actor: &pawl_domain::audit::Actor,
    user_id: &str,
    name: &str,
) -> Result<(String, ApiToken), AppError> {
    let secret = format!("pawl_{}", random_secret());
    let prefix = secret[..12].to_owned();
    let mut tx = app.store.write(org_id, actor).await?;
    let token = tx.create_token(user_id, name, &sha256_hex(&secret), &prefix).await?;
    tx.commit().await?;
    Ok((secret, token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password(&h, "correct horse battery"));
        assert!(!verify_password(&h, "correct horse battery!"));
        assert!(!verify_password("not a hash", "x"));
    }

    #[test]
    fn generated_passwords_are_long_enough_to_be_accepted() {
        let p = generate_password();
        assert_eq!(p.len(), 20);
        assert!(pawl_domain::identity::check_password(&p).is_ok());
        assert_ne!(p, generate_password());
    }
}
