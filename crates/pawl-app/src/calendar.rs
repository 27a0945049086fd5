//! Calendar feeds (RFC 5545; issue 27): a person's due dates, and the
//! organisation's ISMS calendar, at a secret address a calendar subscribes
//! to. A feed can be renewed (a new address, the old one ends) and
//! revoked; a wrong or ended address answers as one that never existed.

use crate::{auth, App, AppError, Principal};
use pawl_domain::access::Permission;
use pawl_domain::calendar::{ics, Event, Scope};
use pawl_store::CalendarFeed;

/// Records in one feed, at most: a person's soonest, the organisation's
/// from a year back on, for each kind.
const FEED_ITEMS: i64 = 2_000;

/// Gives the person a feed of `scope` with a new secret address, ending
/// the one they had; returns it and its secret, shown once. The ISMS
/// calendar is for those who may read the ISMS.
pub async fn renew(app: &App, p: &Principal, scope: &str) -> Result<(CalendarFeed, String), AppError> {
    let scope = Scope::parse(scope)?;
    if scope == Scope::Organisation && !p.can(Permission::ReadIsms) {
        return Err(AppError::Forbidden);
    }
    let secret = auth::random_secret();
    let mut tx = app.store.write(&p.organisation.id, &p.actor()).await?;
    let feed = tx
        .set_calendar_feed(&p.user_id, scope.as_str(), &auth::sha256_hex(&secret))
        .await?;
    tx.commit().await?;
    Ok((feed, secret))
}

/// Ends the person's feed of `scope`.
pub async fn revoke(app: &App, p: &Principal, scope: &str) -> Result<(), AppError> {
    let scope = Scope::parse(scope)?;
    let mut tx = app.store.write(&p.organisation.id, &p.actor()).await?;
    if !tx.remove_calendar_feed(&p.user_id, scope.as_str()).await? {
        return Err(pawl_store::StoreError::NotFound {
            entity: "calendar feed",
        }
        .into());
    }
    tx.commit().await?;
    Ok(())
}

/// The address of a feed: under the public URL where one is set.
pub fn address(app: &App, secret: &str) -> String {
    format!("{}/calendar/{secret}.ics", app.public_url.as_deref().unwrap_or(""))
}

/// The feed at a secret address, as iCalendar text.
pub async fn feed(app: &App, secret: &str) -> Result<String, AppError> {
    let feed = app
        .store
        .calendar_feed_by_token(&auth::sha256_hex(secret))
        .await?
        .ok_or(pawl_store::StoreError::NotFound {
            entity: "calendar feed",
        })?;
    let org = app.store.organisation(&feed.org_id).await?;
    let reader = app.store.org(&feed.org_id);
    let base = app.public_url.as_deref().unwrap_or("");
    let day = |s: &str| pawl_domain::time_fmt::parse_date("date", s).ok();
    let mut events = Vec::new();
    let name = match Scope::parse(&feed.scope)? {
        Scope::Mine => {
            for item in reader.my_work(&feed.user_id, FEED_ITEMS).await? {
                let Some(due) = item.due.as_deref().and_then(day) else {
                    continue;
                };
                let href = pawl_domain::record_type::record_type(&item.kind).and_then(|t| t.href(&item.id));
                let named = match item.reference.as_str() {
                    "" => item.title.clone(),
                    r => format!("{r} {}", item.title),
                };
                events.push(Event {
                    uid: format!("{}-{}-{}@pawl", item.kind, item.id, slug(&item.role)),
                    first_day: due,
                    last_day: due,
                    summary: format!("Due: {named}"),
                    description: format!("You are named on it as {}.", item.role.to_lowercase()),
                    url: href.map(|h| format!("{base}{h}")).unwrap_or_default(),
                });
            }
            format!("pawl: what is due for me in {}", org.name)
        }
        Scope::Organisation => {
            let since = (crate::today() - time::Duration::days(365)).to_string();
            for e in reader.calendar_entries(&since, FEED_ITEMS).await? {
                let Some(first) = day(&e.first_day) else { continue };
                let last = e
                    .last_day
                    .as_deref()
                    .and_then(day)
                    .filter(|l| *l >= first)
                    .unwrap_or(first);
                events.push(Event {
                    uid: format!("{}-{}@pawl", e.kind.key, e.id),
                    first_day: first,
                    last_day: last,
                    summary: format!("{}: {}", e.kind.label, e.title),
                    description: String::new(),
                    url: format!("{base}/{}/{}", e.kind.path, e.id),
                });
            }
            format!("pawl: {}'s ISMS calendar", org.name)
        }
    };
    Ok(ics(&name, &events, time::OffsetDateTime::now_utc()))
}

fn slug(role: &str) -> String {
    role.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}
