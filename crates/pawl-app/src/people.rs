//! People as records name them: a member when the text is the address of
//! one, otherwise the name as given. A leaf of the crate.

use crate::AppError;
use pawl_domain::identity::Email;
use pawl_store::Store;

/// Resolves an owner to a member when the text names one.
pub async fn resolve_owner(store: &Store, org_id: &str, owner: &str) -> Result<(Option<String>, String), AppError> {
    let t = owner.trim();
    if let Ok(email) = Email::parse(t) {
        if let Some(user) = store.user_by_email(&email).await? {
            if store.org(org_id).membership_of(&user.id).await?.is_some() {
                return Ok((Some(user.id), user.email));
            }
        }
    }
    Ok((None, t.to_owned()))
}
