//! Calendar feeds (issue 27): secret addresses a calendar subscribes to,
//! kept as the secret's SHA-256, and the records the organisation's
//! calendar shows.

use crate::row::{new_id, now};
use crate::{AuditedTx, OrgReader, Store, StoreError};
use serde::Serialize;
use sqlx::Row;

/// A person's feed in one organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CalendarFeed {
    pub id: String,
    pub org_id: String,
    pub user_id: String,
    /// `mine` (what is due for the person) or `organisation` (the ISMS's
    /// audits, reviews and exercises).
    pub scope: String,
    pub created_at: String,
}

/// A record on the organisation's calendar: its type, id, reference and
/// title, first and last day.
#[derive(Debug, Clone)]
pub struct CalendarEntry {
    pub kind: &'static pawl_domain::register::Kind,
    pub id: String,
    pub title: String,
    pub first_day: String,
    pub last_day: Option<String>,
}

const COLUMNS: &str = "id, org_id, user_id, scope, created_at";

fn from_row(r: &sqlx::any::AnyRow) -> Result<CalendarFeed, StoreError> {
    Ok(CalendarFeed {
        id: r.try_get(0)?,
        org_id: r.try_get(1)?,
        user_id: r.try_get(2)?,
        scope: r.try_get(3)?,
        created_at: r.try_get(4)?,
    })
}

impl AuditedTx {
    /// Gives a person a feed of `scope` with a new secret, ending the one
    /// they had: a renewed address is the only way to stop one that leaked.
    pub async fn set_calendar_feed(
        &mut self,
        user_id: &str,
        scope: &str,
        token_hash: &str,
    ) -> Result<CalendarFeed, StoreError> {
        self.remove_calendar_feed(user_id, scope).await?;
        let feed = CalendarFeed {
            id: new_id(),
            org_id: self.org_id.clone(),
            user_id: user_id.to_owned(),
            scope: scope.to_owned(),
            created_at: now(),
        };
        sqlx::query(
            "INSERT INTO calendar_feeds (id, org_id, user_id, scope, token_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&feed.id)
        .bind(&self.org_id)
        .bind(user_id)
        .bind(scope)
        .bind(token_hash)
        .bind(&feed.created_at)
        .execute(&mut *self.tx)
        .await?;
        self.record::<(), _>("create", "calendar_feed", &feed.id, None, Some(&feed))
            .await?;
        Ok(feed)
    }

    /// Ends a person's feed of `scope`; whether there was one.
    pub async fn remove_calendar_feed(&mut self, user_id: &str, scope: &str) -> Result<bool, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM calendar_feeds WHERE org_id = $1 AND user_id = $2 AND scope = $3"
        ))
        .bind(&self.org_id)
        .bind(user_id)
        .bind(scope)
        .fetch_optional(&mut *self.tx)
        .await?;
        let Some(before) = row.as_ref().map(from_row).transpose()? else {
            return Ok(false);
        };
        sqlx::query("DELETE FROM calendar_feeds WHERE org_id = $1 AND id = $2")
            .bind(&self.org_id)
            .bind(&before.id)
            .execute(&mut *self.tx)
            .await?;
        self.record::<_, ()>("revoke", "calendar_feed", &before.id, Some(&before), None)
            .await?;
        Ok(true)
    }
}

impl OrgReader<'_> {
    /// A person's feeds here.
    pub async fn calendar_feeds(&self, user_id: &str) -> Result<Vec<CalendarFeed>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM calendar_feeds WHERE org_id = $1 AND user_id = $2 ORDER BY scope"
        ))
        .bind(&self.org_id)
        .bind(user_id)
        .fetch_all(&self.store.read)
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// The records the organisation's calendar shows, from `since` on: the
    /// kinds that declare a calendar span, live records with a first day.
    pub async fn calendar_entries(&self, since: &str, limit: i64) -> Result<Vec<CalendarEntry>, StoreError> {
        let mut out = Vec::new();
        for k in pawl_domain::register::KINDS {
            let Some(span) = k.calendar else { continue };
            let (Some(from), title) = (k.field(span.from), k.field(k.title).map_or("id", |f| f.column)) else {
                continue;
            };
            let to = span
                .to
                .and_then(|t| k.field(t))
                .map_or("CAST(NULL AS TEXT)", |f| f.column);
            let named = match k.prefix {
                Some(_) => format!("reference || ' ' || {title}"),
                None => title.to_owned(),
            };
            let rows = sqlx::query(&format!(
                "SELECT id, {named}, {from}, {to} FROM {table}
                 WHERE org_id = $1 AND deleted_at IS NULL AND {from} IS NOT NULL AND {from} >= $2
                 ORDER BY {from}, id LIMIT $3",
                from = from.column,
                table = k.table
            ))
            .bind(&self.org_id)
            .bind(since)
            .bind(limit)
            .fetch_all(&self.store.read)
            .await?;
            for r in rows {
                out.push(CalendarEntry {
                    kind: k,
                    id: r.try_get(0)?,
                    title: r.try_get(1)?,
                    first_day: r.try_get(2)?,
                    last_day: r.try_get(3)?,
                });
            }
        }
        Ok(out)
    }
}

impl Store {
    /// The feed whose secret hashes to `token_hash`, while its person is
    /// still a member of its organisation: the one global read of feeds,
    /// returning the feed's own organisation.
    pub async fn calendar_feed_by_token(&self, token_hash: &str) -> Result<Option<CalendarFeed>, StoreError> {
        let row = sqlx::query(
            "SELECT f.id, f.org_id, f.user_id, f.scope, f.created_at FROM calendar_feeds f
             JOIN memberships m ON m.org_id = f.org_id AND m.user_id = f.user_id WHERE f.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(from_row).transpose()
    }
}
