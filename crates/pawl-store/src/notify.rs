//! Notifications (issue 27): the outbox. A notification is written in the
//! transaction of the change that causes it, so that nothing is announced
//! that did not happen and nothing that happened goes unannounced. The
//! dispatcher of any server claims what is due for a while (a lease), sends
//! it and marks it; a lease that runs out, because its server died, lets
//! another server take the message again, so a message is sent at least
//! once and never by two servers at the same time.

use crate::row::{new_id, now};
use crate::{AuditedTx, OrgReader, Store, StoreError};
use pawl_domain::notify::{Category, MailState};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

/// A notification to write.
pub struct NewNotification<'a> {
    /// The recipient's account; None for an address with no account yet.
    pub user_id: Option<&'a str>,
    pub email: &'a str,
    pub category: Category,
    pub subject: &'a str,
    /// Plain text; the link follows it.
    pub body: &'a str,
    /// Where its link leads in pawl (`/incidents/…`). For a category whose
    /// link is secret, kept apart from the message and gone once sent.
    pub path: &'a str,
    /// Whether it is to be e-mailed, where a mail server is set; it is
    /// shown in the person's notification centre either way.
    pub mail: bool,
}

/// A notification as its recipient or an administrator reads it. A secret
/// link is never read back: `path` is then empty.
#[derive(Debug, Clone, Serialize)]
pub struct Notification {
    pub id: String,
    pub user_id: Option<String>,
    pub email: String,
    /// The recipient's name; empty when they have not given one.
    pub name: String,
    #[serde(serialize_with = "category_code")]
    pub category: Category,
    pub subject: String,
    pub body: String,
    pub path: String,
    pub created_at: String,
    #[serde(serialize_with = "state_code")]
    pub mail_state: MailState,
    pub attempts: i64,
    pub next_attempt_at: String,
    pub last_error: String,
    pub sent_at: Option<String>,
    pub read_at: Option<String>,
}

fn category_code<S: serde::Serializer>(c: &Category, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(c.as_str())
}

fn state_code<S: serde::Serializer>(m: &MailState, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(m.as_str())
}

/// A message claimed for sending, with its secret link where it has one.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub id: String,
    pub email: String,
    pub name: String,
    pub category: Category,
    pub subject: String,
    pub body: String,
    /// The link's path: the secret one for a category whose link is secret,
    /// None when that secret is gone (a restored backup carries none).
    pub path: Option<String>,
    pub attempts: i64,
}

/// A record due on one of a reminder run's dates, with the person named on
/// it.
#[derive(Debug, Clone)]
pub struct DueItem {
    /// Its record type's label, e.g. "Corrective action".
    pub label: String,
    /// Its page.
    pub path: String,
    /// Its reference and title as lists show them.
    pub title: String,
    pub due: String,
    pub user_id: String,
    pub email: String,
    pub name: String,
    /// How the person is named on it, e.g. "Action owner".
    pub role: String,
}

/// Which messages an administrator lists.
#[derive(Debug, Clone, Copy, Default)]
pub struct OutboxFilter {
    pub state: Option<MailState>,
}

/// A secret link is never in `path` (it is written empty, the link kept in
/// `notification_secrets`), so reading `path` never shows one.
const COLUMNS: &str = "n.id, n.user_id, n.email, COALESCE(u.name, ''), n.category, n.subject, n.body, n.path,
    n.created_at, n.mail_state, n.attempts, n.next_attempt_at, n.last_error, n.sent_at, n.read_at";

fn category(s: &str) -> Result<Category, StoreError> {
    Category::parse(s).ok_or_else(|| StoreError::Corrupt(format!("unknown notification category {s:?}")))
}

fn from_row(r: &AnyRow) -> Result<Notification, StoreError> {
    let state: String = r.try_get(9)?;
    Ok(Notification {
        id: r.try_get(0)?,
        user_id: r.try_get(1)?,
        email: r.try_get(2)?,
        name: r.try_get(3)?,
        category: category(&r.try_get::<String, _>(4)?)?,
        subject: r.try_get(5)?,
        body: r.try_get(6)?,
        path: r.try_get(7)?,
        created_at: r.try_get(8)?,
        mail_state: MailState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown mail state {state:?}")))?,
        attempts: r.try_get(10)?,
        next_attempt_at: r.try_get(11)?,
        last_error: r.try_get(12)?,
        sent_at: r.try_get(13)?,
        read_at: r.try_get(14)?,
    })
}

/// Writes one notification, and its secret link apart, in `tx`.
async fn insert(
    tx: &mut Transaction<'static, Any>,
    org_id: Option<&str>,
    n: &NewNotification<'_>,
    dispatching: bool,
) -> Result<String, StoreError> {
    let id = new_id();
    let at = now();
    let secret = n.category.secret_link();
    sqlx::query(
        "INSERT INTO notifications (id, org_id, user_id, email, category, subject, body, path, created_at, mail_state,
            attempts, next_attempt_at, last_error)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, $9, '')",
    )
    .bind(&id)
    .bind(org_id)
    .bind(n.user_id)
    .bind(n.email)
    .bind(n.category.as_str())
    .bind(n.subject)
    .bind(n.body)
    .bind(if secret { "" } else { n.path })
    .bind(&at)
    .bind(
        if n.mail && dispatching {
            MailState::Pending
        } else {
            MailState::None
        }
        .as_str(),
    )
    .execute(&mut **tx)
    .await?;
    if secret {
        sqlx::query("INSERT INTO notification_secrets (notification_id, path) VALUES ($1, $2)")
            .bind(&id)
            .bind(n.path)
            .execute(&mut **tx)
            .await?;
    }
    Ok(id)
}

impl AuditedTx {
    /// Writes a notification with the change that causes it; the
    /// dispatcher is woken when the transaction commits.
    pub async fn notify(&mut self, n: &NewNotification<'_>) -> Result<String, StoreError> {
        let id = insert(&mut self.tx, Some(&self.org_id), n, self.dispatching).await?;
        self.enqueued += 1;
        Ok(id)
    }

    /// Writes one notification for each member holding one of `roles` but
    /// `except` (who caused it), in one statement: a write that tells
    /// nobody costs no more than one that tells its managers. The
    /// recipient and address of `n` are each member's; a secret link is
    /// never sent this way.
    pub async fn notify_roles(
        &mut self,
        roles: &[pawl_domain::identity::Role],
        except: Option<&str>,
        n: &NewNotification<'_>,
    ) -> Result<u64, StoreError> {
        if roles.is_empty() || n.category.secret_link() {
            return Ok(0);
        }
        let mut sql = crate::sql::Sql::new("");
        let batch = sql.text_arg(new_id());
        let org = sql.text_arg(&self.org_id);
        let category = sql.text_arg(n.category.as_str());
        let subject = sql.text_arg(n.subject);
        let body = sql.text_arg(n.body);
        let path = sql.text_arg(n.path);
        let at = sql.text_arg(now());
        let state = sql.text_arg(
            if n.mail && self.dispatching {
                MailState::Pending
            } else {
                MailState::None
            }
            .as_str(),
        );
        let except = sql.text_arg(except.unwrap_or(""));
        let codes: Vec<String> = roles.iter().map(|r| r.as_str().to_owned()).collect();
        let list = sql.text_list(&codes);
        sql.push(&format!(
            "INSERT INTO notifications (id, org_id, user_id, email, category, subject, body, path, created_at, mail_state,
                attempts, next_attempt_at, last_error)
             SELECT {batch} || '.' || u.id, {org}, u.id, u.email, {category}, {subject}, {body}, {path}, {at}, {state},
                0, {at}, ''
             FROM memberships m JOIN users u ON u.id = m.user_id
             WHERE m.org_id = {org} AND m.role IN ({list}) AND u.id <> {except}"
        ));
        let written = sql.query().execute(&mut *self.tx).await?.rows_affected();
        self.enqueued += written;
        Ok(written)
    }

    /// Tries a message again at once, from its first attempt (an
    /// administrator's retry after the cause of a failure is fixed).
    pub async fn retry_delivery(&mut self, id: &str) -> Result<Notification, StoreError> {
        let before = self.outbox_entry(id).await?;
        if before.mail_state == MailState::None {
            return Err(StoreError::Conflict(
                "this notification was never to be e-mailed".into(),
            ));
        }
        sqlx::query(
            "UPDATE notifications SET mail_state = 'pending', attempts = 0, next_attempt_at = $1, claimed_until = NULL,
                claimed_by = NULL WHERE org_id = $2 AND id = $3",
        )
        .bind(now())
        .bind(&self.org_id)
        .bind(id)
        .execute(&mut *self.tx)
        .await?;
        let after = self.outbox_entry(id).await?;
        self.record("retry", "notification", id, Some(&before), Some(&after))
            .await?;
        self.enqueued += 1;
        Ok(after)
    }

    /// Takes the day's reminder run for this organisation: false when it
    /// was taken already (by another server, or earlier today).
    pub async fn claim_reminder_day(&mut self, day: &str) -> Result<bool, StoreError> {
        let taken = sqlx::query(
            "INSERT INTO reminder_runs (org_id, day, ran_at) VALUES ($1, $2, $3) ON CONFLICT (org_id, day) DO NOTHING",
        )
        .bind(&self.org_id)
        .bind(day)
        .bind(now())
        .execute(&mut *self.tx)
        .await?
        .rows_affected();
        Ok(taken == 1)
    }

    /// Every open record due on one of `dates`, once for each person named
    /// on it: the declared registers' due dates and their people (the same
    /// fields my-work lists), and risks' review dates with their owners.
    pub async fn due_on(&mut self, dates: &[String]) -> Result<Vec<DueItem>, StoreError> {
        use pawl_domain::register::{FieldKind, KINDS};
        let mut sql = crate::sql::Sql::new("");
        let org = sql.text_arg(&self.org_id);
        let on = sql.text_list(dates);
        let mut branches = Vec::new();
        for k in KINDS {
            let Some(due) = k.due.and_then(|d| k.field(d)) else {
                continue;
            };
            let title = k.field(k.title).map_or("id", |f| f.column);
            let named = match k.prefix {
                Some(_) => format!("reference || ' ' || {title}"),
                None => title.to_owned(),
            };
            let open = match k.workflow {
                Some(w) => {
                    let open: Vec<String> = w.states.iter().filter(|s| s.open).map(|s| s.code.to_owned()).collect();
                    format!(" AND status IN ({})", sql.text_list(&open))
                }
                None => String::new(),
            };
            for f in k.fields.iter().filter(|f| !f.derived && !f.followed) {
                if let FieldKind::Person { role } = f.kind {
                    let label = sql.text_arg(k.label);
                    let path = sql.text_arg(format!("/{}/", k.path));
                    let role = sql.text_arg(role);
                    branches.push(format!(
                        "SELECT {label} AS label, {path} || t.id AS path, {named} AS title, {due} AS due,
                            t.{col}_user_id AS user_id, {role} AS role
                         FROM {table} t WHERE t.org_id = {org} AND t.deleted_at IS NULL AND t.{col}_user_id IS NOT NULL
                           AND {due} IN ({on}){open}",
                        due = due.column,
                        table = k.table,
                        col = f.column,
                    ));
                }
            }
        }
        branches.push(format!(
            "SELECT 'Risk' AS label, '/risks/' || id AS path, reference || ' ' || title AS title, next_review AS due,
                owner_user_id AS user_id, 'Risk owner' AS role
             FROM risks WHERE org_id = {org} AND deleted_at IS NULL AND owner_user_id IS NOT NULL
               AND status <> 'closed' AND next_review IN ({on})"
        ));
        sql.push(&format!(
            "SELECT w.label, w.path, w.title, w.due, w.user_id, u.email, u.name, w.role
             FROM ({}) w JOIN users u ON u.id = w.user_id
             JOIN memberships m ON m.org_id = {org} AND m.user_id = w.user_id
             ORDER BY u.email, w.due, w.title",
            branches.join(" UNION ALL ")
        ));
        let rows = sql.query().fetch_all(&mut *self.tx).await?;
        rows.iter()
            .map(|r| {
                Ok(DueItem {
                    label: r.try_get(0)?,
                    path: r.try_get(1)?,
                    title: r.try_get(2)?,
                    due: r.try_get(3)?,
                    user_id: r.try_get(4)?,
                    email: r.try_get(5)?,
                    name: r.try_get(6)?,
                    role: r.try_get(7)?,
                })
            })
            .collect()
    }

    async fn outbox_entry(&mut self, id: &str) -> Result<Notification, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM notifications n LEFT JOIN users u ON u.id = n.user_id WHERE n.org_id = $1 AND n.id = $2"
        ))
        .bind(&self.org_id)
        .bind(id)
        .fetch_optional(&mut *self.tx)
        .await?;
        row.as_ref()
            .map(from_row)
            .transpose()?
            .ok_or(StoreError::NotFound { entity: "notification" })
    }
}

impl OrgReader<'_> {
    /// A person's notifications in this organisation, newest first.
    pub async fn notifications_for(&self, user_id: &str, limit: i64) -> Result<Vec<Notification>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM notifications n LEFT JOIN users u ON u.id = n.user_id
             WHERE n.org_id = $1 AND n.user_id = $2 ORDER BY n.created_at DESC, n.id DESC LIMIT $3"
        ))
        .bind(&self.org_id)
        .bind(user_id)
        .bind(limit)
        .fetch_all(&self.store.read)
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// How many of a person's notifications here they have not read.
    pub async fn unread_notifications(&self, user_id: &str) -> Result<i64, StoreError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM notifications WHERE org_id = $1 AND user_id = $2 AND read_at IS NULL",
        )
        .bind(&self.org_id)
        .bind(user_id)
        .fetch_one(&self.store.read)
        .await?;
        Ok(n)
    }

    /// Marks one of a person's notifications read, or all of them (`id`
    /// None). A person's own reading state, like their last organisation:
    /// not an ISMS record, so not in the audit trail. Returns how many.
    pub async fn mark_read(&self, user_id: &str, id: Option<&str>) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE notifications SET read_at = $1
             WHERE org_id = $2 AND user_id = $3 AND read_at IS NULL AND ($4 = '' OR id = $4)",
        )
        .bind(now())
        .bind(&self.org_id)
        .bind(user_id)
        .bind(id.unwrap_or(""))
        .execute(&self.store.write)
        .await?
        .rows_affected();
        if done == 0 {
            if let Some(id) = id {
                let mine: Option<(String,)> =
                    sqlx::query_as("SELECT id FROM notifications WHERE org_id = $1 AND user_id = $2 AND id = $3")
                        .bind(&self.org_id)
                        .bind(user_id)
                        .bind(id)
                        .fetch_optional(&self.store.read)
                        .await?;
                if mine.is_none() {
                    return Err(StoreError::NotFound { entity: "notification" });
                }
            }
        }
        Ok(done)
    }

    /// The organisation's messages, newest first: what was sent to whom and
    /// what failed, for its administrators. Secret links are never read.
    pub async fn outbox(&self, filter: OutboxFilter, limit: i64) -> Result<Vec<Notification>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM notifications n LEFT JOIN users u ON u.id = n.user_id
             WHERE n.org_id = $1 AND ($2 = '' OR n.mail_state = $2) ORDER BY n.created_at DESC, n.id DESC LIMIT $3"
        ))
        .bind(&self.org_id)
        .bind(filter.state.map_or("", MailState::as_str))
        .bind(limit)
        .fetch_all(&self.store.read)
        .await?;
        rows.iter().map(from_row).collect()
    }
}

impl Store {
    /// Asks for a password reset: the reset (its secret's hash) and the
    /// message carrying the secret link, in one transaction. The account's
    /// own message, in no organisation. At most one a quarter of an hour
    /// for an account, so that nobody can fill a mailbox with them; returns
    /// whether one was written.
    pub async fn request_password_reset(
        &self,
        user_id: &str,
        token_hash: &str,
        expires_at: &str,
        message: &NewNotification<'_>,
    ) -> Result<bool, StoreError> {
        let at = now();
        let since =
            pawl_domain::time_fmt::format_instant(time::OffsetDateTime::now_utc() - time::Duration::minutes(15));
        let mut tx = self.write.begin_with(self.engine.begin_write()).await?;
        let recent: Option<(String,)> =
            sqlx::query_as("SELECT id FROM password_resets WHERE user_id = $1 AND created_at > $2 LIMIT 1")
                .bind(user_id)
                .bind(&since)
                .fetch_optional(&mut *tx)
                .await?;
        if recent.is_some() {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO password_resets (id, user_id, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(new_id())
        .bind(user_id)
        .bind(token_hash)
        .bind(&at)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
        insert(&mut tx, None, message, self.dispatching()).await?;
        tx.commit().await?;
        self.outbox.notify_one();
        Ok(true)
    }

    /// Uses a password reset once, within its time: the account it is for.
    pub async fn use_password_reset(&self, token_hash: &str) -> Result<Option<String>, StoreError> {
        let at = now();
        let user: Option<(String,)> = sqlx::query_as(
            "UPDATE password_resets SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1
             RETURNING user_id",
        )
        .bind(&at)
        .bind(token_hash)
        .fetch_optional(&self.write)
        .await?;
        Ok(user.map(|u| u.0))
    }

    /// Whether a reset is still open, for the page that asks for the new
    /// password.
    pub async fn password_reset_open(&self, token_hash: &str) -> Result<bool, StoreError> {
        let open: Option<(String,)> = sqlx::query_as(
            "SELECT id FROM password_resets WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now())
        .fetch_optional(&self.read)
        .await?;
        Ok(open.is_some())
    }

    /// From now on, notifications that want e-mail wait to be sent: the
    /// server has a mail server and runs a dispatcher.
    pub fn set_dispatching(&self) {
        self.dispatching.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn dispatching(&self) -> bool {
        self.dispatching.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Waits until a transaction that wrote notifications commits in this
    /// process.
    pub async fn outbox_written(&self) {
        self.outbox.notified().await;
    }

    /// Claims up to `limit` messages due at `at` for `claimer` until
    /// `until`. The conditions are repeated outside the sub-select so that
    /// PostgreSQL checks them again on the row it locks: of two servers
    /// claiming at once, the second finds the row already claimed and skips
    /// it.
    pub async fn claim_due(&self, claimer: &str, until: &str, limit: i64) -> Result<Vec<Outgoing>, StoreError> {
        let at = now();
        let due = "mail_state = 'pending' AND next_attempt_at <= $3 AND (claimed_until IS NULL OR claimed_until < $3)";
        let claimed = sqlx::query(&format!(
            "UPDATE notifications SET claimed_by = $1, claimed_until = $2
             WHERE {due} AND id IN (SELECT id FROM notifications WHERE {due} ORDER BY next_attempt_at LIMIT $4)"
        ))
        .bind(claimer)
        .bind(until)
        .bind(&at)
        .bind(limit)
        .execute(&self.write)
        .await?
        .rows_affected();
        if claimed == 0 {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(
            "SELECT n.id, n.email, COALESCE(u.name, ''), n.category, n.subject, n.body, n.path, s.path, n.attempts
             FROM notifications n LEFT JOIN users u ON u.id = n.user_id
             LEFT JOIN notification_secrets s ON s.notification_id = n.id
             WHERE n.claimed_by = $1 AND n.mail_state = 'pending' ORDER BY n.next_attempt_at, n.id",
        )
        .bind(claimer)
        .fetch_all(&self.write)
        .await?;
        rows.iter()
            .map(|r| {
                let category = category(&r.try_get::<String, _>(3)?)?;
                let secret: Option<String> = r.try_get(7)?;
                Ok(Outgoing {
                    id: r.try_get(0)?,
                    email: r.try_get(1)?,
                    name: r.try_get(2)?,
                    category,
                    subject: r.try_get(4)?,
                    body: r.try_get(5)?,
                    path: if category.secret_link() {
                        secret
                    } else {
                        Some(r.try_get(6)?)
                    },
                    attempts: r.try_get(8)?,
                })
            })
            .collect()
    }

    /// Marks a claimed message sent and forgets its secret link.
    pub async fn mark_sent(&self, id: &str, claimer: &str) -> Result<(), StoreError> {
        let mut tx = self.write.begin_with(self.engine.begin_write()).await?;
        sqlx::query(
            "UPDATE notifications SET mail_state = 'sent', sent_at = $1, attempts = attempts + 1, last_error = '',
                claimed_until = NULL WHERE id = $2 AND claimed_by = $3",
        )
        .bind(now())
        .bind(id)
        .bind(claimer)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM notification_secrets WHERE notification_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a failed attempt with its cause: tried again at `retry_at`,
    /// or given up (`None`) and shown as failed.
    pub async fn mark_failed(
        &self,
        id: &str,
        claimer: &str,
        error: &str,
        retry_at: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE notifications SET attempts = attempts + 1, last_error = $1, claimed_until = NULL,
                mail_state = CASE WHEN $2 = '' THEN 'failed' ELSE 'pending' END,
                next_attempt_at = CASE WHEN $2 = '' THEN next_attempt_at ELSE $2 END
             WHERE id = $3 AND claimed_by = $4",
        )
        .bind(error)
        .bind(retry_at.unwrap_or(""))
        .bind(id)
        .bind(claimer)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// Every message waiting or failed, in every organisation and none, for
    /// the operator's command line.
    pub async fn undelivered(&self, org_id: Option<&str>, limit: i64) -> Result<Vec<Notification>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM notifications n LEFT JOIN users u ON u.id = n.user_id
             WHERE n.mail_state IN ('pending', 'failed') AND ($1 = '' OR n.org_id = $1)
             ORDER BY n.created_at DESC, n.id DESC LIMIT $2"
        ))
        .bind(org_id.unwrap_or(""))
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(from_row).collect()
    }
}
