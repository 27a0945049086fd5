//! The demo organisation: a fictional 200-person SaaS company, Kestrel
//! Analytics, whose people cover every role. Later areas add their records.

use crate::{members, App, AppError};
use pawl_domain::audit::Actor;
use pawl_domain::identity::OrgSlug;
use pawl_store::StoreError;

pub const SLUG: &str = "demo";
pub const ADMIN_EMAIL: &str = "admin@demo.example";

/// The people of the demo company and their roles.
pub const PEOPLE: &[(&str, &str)] = &[
    (ADMIN_EMAIL, "admin"),
    ("priya.shah@demo.example", "manager"),
    ("tom.becker@demo.example", "contributor"),
    ("lena.okafor@demo.example", "contributor"),
    ("jorge.morales@audit.example", "auditor"),
    ("maria.lind@demo.example", "viewer"),
    ("sam.ng@demo.example", "staff"),
];

/// Creates whatever of the demo organisation is missing. Every demo person
/// gets `password` so that each role can be tried; existing accounts keep theirs.
pub async fn ensure_demo(app: &App, password: &str) -> Result<(), AppError> {
    let actor = Actor::system("demo loader");
    let org = match app.store.organisation_by_slug(SLUG).await {
        Ok(org) => org,
        Err(StoreError::NotFound { .. }) => {
            let slug = OrgSlug::parse(SLUG)?;
            app.store
                .create_organisation(&actor, &slug, "Kestrel Analytics Ltd")
                .await?
        }
        Err(e) => return Err(e.into()),
    };
    let reader = app.store.org(&org.id);
    for (email, role) in PEOPLE {
        let email_v = pawl_domain::identity::Email::parse(email)?;
        let present = match app.store.user_by_email(&email_v).await? {
            Some(u) => reader.membership_of(&u.id).await?.is_some(),
            None => false,
        };
        if !present {
            members::add_member(app, &org.id, &actor, email, role, Some(password)).await?;
        }
    }
    Ok(())
}
