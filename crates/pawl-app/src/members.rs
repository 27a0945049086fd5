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
