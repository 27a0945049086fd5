//! Invitations to join an organisation (Annex A 5.16 identity management,
//! 5.18 access rights): a person joins only by accepting one.

use crate::row::{new_id, now};
use crate::{AuditedTx, OrgReader, Organisation, Store, StoreError};
use pawl_domain::identity::Role;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

/// An invitation; `answer` is `accepted`, `declined` or `revoked` once
/// given, `None` while it is open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Invitation {
    pub id: String,
    pub org_id: String,
    pub email: String,
    pub role: Role,
    pub invited_by: String,
    pub created_at: String,
    pub expires_at: String,
    pub answer: Option<String>,
    pub answered_at: Option<String>,
    pub version: i64,
    /// Its link was e-mailed by pawl and shown to nobody: accepting it
    /// proves the address is the person's.
    pub mailed: bool,
}

/// How an open invitation is answered: by the person (accepted,
/// declined) or by an administrator (revoked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Accepted,
    Declined,
    Revoked,
}

impl Answer {
    pub fn as_str(self) -> &'static str {
        match self {
            Answer::Accepted => "accepted",
            Answer::Declined => "declined",
            Answer::Revoked => "revoked",
        }
    }

    /// The audit trail's verb for it.
    fn action(self) -> &'static str {
        match self {
            Answer::Accepted => "accept",
            Answer::Declined => "decline",
            Answer::Revoked => "revoke",
        }
    }
}

impl Invitation {
    /// Open and not yet expired at `now` (an RFC 3339 instant).
    pub fn is_open(&self, now: &str) -> bool {
        self.answer.is_none() && self.expires_at.as_str() > now
    }
}

const COLUMNS: &str =
    "i.id, i.org_id, i.email, i.role, i.invited_by, i.created_at, i.expires_at, i.answer, i.answered_at, i.version, i.mailed";

fn from_row(r: &AnyRow) -> Result<Invitation, StoreError> {
    let role: String = r.try_get(3)?;
    Ok(Invitation {
        id: r.try_get(0)?,
        org_id: r.try_get(1)?,
        email: r.try_get(2)?,
        role: Role::parse(&role).map_err(|_| StoreError::Corrupt(format!("unknown role {role:?}")))?,
        invited_by: r.try_get(4)?,
        created_at: r.try_get(5)?,
        expires_at: r.try_get(6)?,
        answer: r.try_get(7)?,
        answered_at: r.try_get(8)?,
        version: r.try_get(9)?,
        mailed: r.try_get::<i64, _>(10)? != 0,
    })
}

/// An invitation with the organisation it is to, for the invited person.
fn with_org(r: &AnyRow) -> Result<(Invitation, Organisation), StoreError> {
    Ok((
        from_row(r)?,
        Organisation {
            id: r.try_get(11)?,
            slug: r.try_get(12)?,
            name: r.try_get(13)?,
            created_at: r.try_get(14)?,
            version: r.try_get(15)?,
            require_if_match: r.try_get::<i64, _>(16)? != 0,
            refuse_auditor_conflicts: r.try_get::<i64, _>(17)? != 0,
            allow_plan_without_root_cause: r.try_get::<i64, _>(18)? != 0,
            context_method: r.try_get(19)?,
        },
    ))
}

const WITH_ORG: &str = "JOIN organisations o ON o.id = i.org_id";

impl OrgReader<'_> {
    /// The organisation's open invitations, newest first.
    pub async fn open_invitations(&self) -> Result<Vec<Invitation>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM invitations i WHERE i.org_id = $1 AND i.answer IS NULL AND i.expires_at > $2
             ORDER BY i.created_at DESC, i.id"
        ))
        .bind(&self.org_id)
        .bind(now())
        .fetch_all(&self.store.read)
        .await?;
        rows.iter().map(from_row).collect()
    }
}

impl Store {
    /// The open invitations to one address, in every organisation: read for
    /// the person who signed in with it, never for anyone else.
    pub async fn invitations_to(&self, email: &str) -> Result<Vec<(Invitation, Organisation)>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS}, o.id, o.slug, o.name, o.created_at, o.version, o.require_if_match,
                o.refuse_auditor_conflicts, o.allow_plan_without_root_cause, o.context_method FROM invitations i {WITH_ORG}
             WHERE i.email = $1 AND i.answer IS NULL AND i.expires_at > $2 ORDER BY o.name, i.id"
        ))
        .bind(email)
        .bind(now())
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(with_org).collect()
    }

    /// The invitation whose link hashes to `token_hash`, open or not.
    pub async fn invitation_by_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<(Invitation, Organisation)>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS}, o.id, o.slug, o.name, o.created_at, o.version, o.require_if_match,
                o.refuse_auditor_conflicts, o.allow_plan_without_root_cause, o.context_method FROM invitations i {WITH_ORG}
             WHERE i.token_hash = $1"
        ))
        .bind(token_hash)
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(with_org).transpose()
    }

    /// Remembers where a person last worked, to offer it first at sign-in.
    /// Authentication state, like a session: not an ISMS record.
    pub async fn set_last_organisation(&self, user_id: &str, org_id: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE users SET last_org_id = $1 WHERE id = $2")
            .bind(org_id)
            .bind(user_id)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    pub async fn last_organisation(&self, user_id: &str) -> Result<Option<String>, StoreError> {
        let v: Option<Option<String>> = sqlx::query_scalar("SELECT last_org_id FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&self.read)
            .await?;
        Ok(v.flatten())
    }
}

impl AuditedTx {
    /// Invites an address: a new invitation, or the open one renewed with
    /// this role, link and expiry. Refused for someone already a member.
    pub async fn invite(
        &mut self,
        email: &str,
        role: Role,
        token_hash: &str,
        expires_at: &str,
        mailed: bool,
    ) -> Result<Invitation, StoreError> {
        let member: Option<(String,)> = sqlx::query_as(
            "SELECT m.id FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 AND u.email = $2",
        )
        .bind(&self.org_id)
        .bind(email)
        .fetch_optional(&mut *self.tx)
        .await?;
        if member.is_some() {
            return Err(StoreError::Conflict(format!("{email} is already a member")));
        }
        let open = self
            .invitation_where("i.email = $2 AND i.answer IS NULL", email)
            .await?;
        let invited_by = self.actor.name.clone();
        match open {
            Some(before) => {
                let after = Invitation {
                    role,
                    invited_by,
                    expires_at: expires_at.to_owned(),
                    version: before.version + 1,
                    mailed,
                    ..before.clone()
                };
                sqlx::query(
                    "UPDATE invitations SET role = $1, token_hash = $2, invited_by = $3, expires_at = $4, version = $5,
                        mailed = $8
                     WHERE org_id = $6 AND id = $7",
                )
                .bind(after.role.as_str())
                .bind(token_hash)
                .bind(&after.invited_by)
                .bind(&after.expires_at)
                .bind(after.version)
                .bind(&self.org_id)
                .bind(&after.id)
                .bind(i64::from(mailed))
                .execute(&mut *self.tx)
                .await?;
                self.record("update", "invitation", &after.id, Some(&before), Some(&after))
                    .await?;
                Ok(after)
            }
            None => {
                let inv = Invitation {
                    id: new_id(),
                    org_id: self.org_id.clone(),
                    email: email.to_owned(),
                    role,
                    invited_by,
                    created_at: now(),
                    expires_at: expires_at.to_owned(),
                    answer: None,
                    answered_at: None,
                    version: 1,
                    mailed,
                };
                sqlx::query(
                    "INSERT INTO invitations (id, org_id, email, role, token_hash, invited_by, created_at, expires_at, version,
                        mailed)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9)",
                )
                .bind(&inv.id)
                .bind(&self.org_id)
                .bind(&inv.email)
                .bind(inv.role.as_str())
                .bind(token_hash)
                .bind(&inv.invited_by)
                .bind(&inv.created_at)
                .bind(&inv.expires_at)
                .bind(i64::from(mailed))
                .execute(&mut *self.tx)
                .await?;
                self.record::<(), _>("create", "invitation", &inv.id, None, Some(&inv))
                    .await?;
                Ok(inv)
            }
        }
    }

    /// Answers an open invitation of this organisation: `accepted`,
    /// `declined` or `revoked`. An accepted one is followed by the
    /// membership, in the same transaction.
    pub async fn answer_invitation(&mut self, id: &str, answer: Answer) -> Result<Invitation, StoreError> {
        let lock = self.engine.lock_rows_of("i");
        let before = self
            .invitation_where(&format!("i.id = $2{lock}"), id)
            .await?
            .ok_or(StoreError::NotFound { entity: "invitation" })?;
        if !before.is_open(&now()) {
            return Err(StoreError::Conflict(
                "the invitation is no longer open: it was answered, withdrawn or has expired".into(),
            ));
        }
        let after = Invitation {
            answer: Some(answer.as_str().to_owned()),
            answered_at: Some(now()),
            version: before.version + 1,
            ..before.clone()
        };
        sqlx::query("UPDATE invitations SET answer = $1, answered_at = $2, version = $3 WHERE org_id = $4 AND id = $5")
            .bind(&after.answer)
            .bind(&after.answered_at)
            .bind(after.version)
            .bind(&self.org_id)
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        self.record(answer.action(), "invitation", id, Some(&before), Some(&after))
            .await?;
        Ok(after)
    }

    /// This organisation's invitation that `condition` (binding `key` as
    /// $2) picks, if any.
    async fn invitation_where(&mut self, condition: &str, key: &str) -> Result<Option<Invitation>, StoreError> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM invitations i WHERE i.org_id = $1 AND {condition}"
        ))
        .bind(&self.org_id)
        .bind(key)
        .fetch_optional(&mut *self.tx)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
    }
}
