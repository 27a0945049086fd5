//! Organisations, people, memberships, API tokens and sessions
//! (clause 5.3; Annex A 5.15 to 5.18).

use crate::page::{Cursor, ListQuery, Page};
use crate::row::{check_version, new_id, now};
use crate::{AuditedTx, OrgReader, Store, StoreError};
use pawl_domain::audit::Actor;
use pawl_domain::identity::{Email, OrgSlug, Role};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Organisation {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub created_at: String,
    pub version: i64,
    /// Every change through the API must name the version it read.
    pub require_if_match: bool,
    /// An audit whose auditors own something in its scope is refused, not
    /// only warned about (9.2.2 c).
    pub refuse_auditor_conflicts: bool,
    /// A corrective-action plan may be approved before a root cause is
    /// recorded (10.2 b); not by default.
    pub allow_plan_without_root_cause: bool,
    /// How context issues are categorised (4.1): `pestle` or `swot`.
    pub context_method: String,
}

/// What a change of the organisation sets; `None` keeps the value.
#[derive(Debug, Clone, Default)]
pub struct OrganisationChange<'a> {
    pub name: Option<&'a str>,
    pub require_if_match: Option<bool>,
    pub refuse_auditor_conflicts: Option<bool>,
    pub allow_plan_without_root_cause: Option<bool>,
    pub context_method: Option<&'a str>,
}

/// A person who can sign in. Global: one user may belong to several organisations.
#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub email: String,
    /// The name the person goes by; empty until given.
    pub name: String,
    pub password_hash: String,
    /// When the address was proven to be the person's (by an operator, a
    /// link pawl mailed, or an identity provider); `None` while unproven.
    pub proven_at: Option<String>,
    /// The organisation that created the account. While the address is
    /// unproven, the account works there alone (Annex A 5.16).
    pub home_org_id: Option<String>,
}

impl User {
    /// Whether the account may join `org_id`: an account whose address is
    /// unproven belongs to the organisation that created it alone, so that
    /// no organisation's admin can end up holding an account that another
    /// organisation relies on (Annex A 5.16, 5.17).
    pub fn may_join(&self, org_id: &str) -> bool {
        self.proven_at.is_some() || self.home_org_id.as_deref() == Some(org_id)
    }
}

/// A user's role in one organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Member {
    pub id: String,
    pub user_id: String,
    pub email: String,
    /// The name on the person's account; empty until they give one.
    pub name: String,
    pub role: Role,
    pub created_at: String,
    pub updated_at: String,
    pub version: i64,
}

pub struct NewMember {
    pub email: Email,
    /// The name of a new account; an existing account keeps its own.
    pub name: String,
    pub role: Role,
    /// Used only when the person has no account yet.
    pub password_hash: String,
    /// Who vouches for the address of an account made here: an operator
    /// does, an organisation's admin does not.
    pub address: AddressProof,
}

/// Whether a new account's address is taken as proven.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressProof {
    /// An operator (the CLI, the demo) made the account and vouches for it.
    Proven,
    /// An organisation made it (an invitation accepted through its link):
    /// the account is that organisation's alone until the address is proven.
    Unproven,
}

/// An API token's record; the secret itself is never stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    pub id: String,
    pub user_id: String,
    pub email: String,
    /// The owner's name; empty until they give one.
    pub owner_name: String,
    pub name: String,
    /// The first characters of the secret, so a person can tell tokens apart.
    pub prefix: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
    pub version: i64,
}

/// Who a presented token acts for.
#[derive(Debug, Clone)]
pub struct TokenOwner {
    pub token: ApiToken,
    /// The name on the owner's account; empty until given.
    pub name: String,
    pub organisation: Organisation,
    pub role: Role,
}

#[derive(Debug, Clone)]
pub struct Session {
    pub id_hash: String,
    pub user_id: String,
    pub email: String,
    /// The name on the account; empty until given.
    pub name: String,
    pub org_id: Option<String>,
    pub csrf_token: String,
    pub expires_at: String,
}

const ORG_COLUMNS: &str =
    "id, slug, name, created_at, version, require_if_match, refuse_auditor_conflicts, allow_plan_without_root_cause, context_method";
const MEMBER_COLUMNS: &str = "m.id, m.user_id, u.email, m.role, m.created_at, m.updated_at, m.version, u.name";
const TOKEN_COLUMNS: &str =
    "t.id, t.user_id, u.email, t.name, t.prefix, t.created_at, t.last_used_at, t.revoked_at, t.version, u.name";

fn org_from_row(r: &AnyRow) -> Result<Organisation, sqlx::Error> {
    Ok(Organisation {
        id: r.try_get(0)?,
        slug: r.try_get(1)?,
        name: r.try_get(2)?,
        created_at: r.try_get(3)?,
        version: r.try_get(4)?,
        require_if_match: r.try_get::<i64, _>(5)? != 0,
        refuse_auditor_conflicts: r.try_get::<i64, _>(6)? != 0,
        allow_plan_without_root_cause: r.try_get::<i64, _>(7)? != 0,
        context_method: r.try_get(8)?,
    })
}

const USER_BY_EMAIL: &str = "SELECT id, email, password_hash, proven_at, home_org_id, name FROM users WHERE email = $1";

fn user_from_row(r: &AnyRow) -> Result<User, sqlx::Error> {
    Ok(User {
        id: r.try_get(0)?,
        email: r.try_get(1)?,
        password_hash: r.try_get(2)?,
        proven_at: r.try_get(3)?,
        home_org_id: r.try_get(4)?,
        name: r.try_get(5)?,
    })
}

fn role_of(s: &str) -> Result<Role, StoreError> {
    Role::parse(s).map_err(|_| StoreError::Corrupt(format!("unknown role {s:?}")))
}

fn member_from_row(r: &AnyRow) -> Result<Member, StoreError> {
    let role: String = r.try_get(3)?;
    Ok(Member {
        id: r.try_get(0)?,
        user_id: r.try_get(1)?,
        email: r.try_get(2)?,
        role: role_of(&role)?,
        created_at: r.try_get(4)?,
        updated_at: r.try_get(5)?,
        version: r.try_get(6)?,
        name: r.try_get(7)?,
    })
}

fn token_from_row(r: &AnyRow) -> Result<ApiToken, sqlx::Error> {
    Ok(ApiToken {
        id: r.try_get(0)?,
        user_id: r.try_get(1)?,
        email: r.try_get(2)?,
        name: r.try_get(3)?,
        prefix: r.try_get(4)?,
        created_at: r.try_get(5)?,
        last_used_at: r.try_get(6)?,
        revoked_at: r.try_get(7)?,
        version: r.try_get(8)?,
        owner_name: r.try_get(9)?,
    })
}

const MEMBER_BY_ID: &str = "SELECT m.id, m.user_id, u.email, m.role, m.created_at, m.updated_at, m.version, u.name
    FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 AND m.id = $2";
const TOKEN_BY_ID: &str =
    "SELECT t.id, t.user_id, u.email, t.name, t.prefix, t.created_at, t.last_used_at, t.revoked_at, t.version, u.name
    FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.org_id = $1 AND t.id = $2";

/// One tenant row by id, through a pool or inside a transaction.
async fn fetch_by_id<'e, E, T>(
    exec: E,
    sql: &str,
    org_id: &str,
    id: &str,
    entity: &'static str,
    map: impl Fn(&AnyRow) -> Result<T, StoreError>,
) -> Result<T, StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row = sqlx::query(sql).bind(org_id).bind(id).fetch_optional(exec).await?;
    row.as_ref()
        .map(map)
        .transpose()?
        .ok_or(StoreError::NotFound { entity })
}

fn token_row(r: &AnyRow) -> Result<ApiToken, StoreError> {
    Ok(token_from_row(r)?)
}

impl Store {
    /// Creates an organisation and opens its audit chain with the creation event.
    pub async fn create_organisation(
        &self,
        actor: &Actor,
        slug: &OrgSlug,
        name: &str,
    ) -> Result<Organisation, StoreError> {
        let name = pawl_domain::identity::parse_name("name", name)?;
        let org = Organisation {
            id: new_id(),
            slug: slug.as_str().to_owned(),
            name,
            created_at: now(),
            version: 1,
            require_if_match: false,
            refuse_auditor_conflicts: false,
            allow_plan_without_root_cause: false,
            context_method: "pestle".into(),
        };
        let mut tx = self.write(&org.id, actor).await?;
        let inserted =
            sqlx::query("INSERT INTO organisations (id, slug, name, created_at, version) VALUES ($1, $2, $3, $4, 1)")
                .bind(&org.id)
                .bind(&org.slug)
                .bind(&org.name)
                .bind(&org.created_at)
                .execute(&mut *tx.tx)
                .await;
        if let Err(e) = inserted {
            return Err(match StoreError::from(e) {
                StoreError::Conflict(_) => {
                    StoreError::Conflict(format!("an organisation with slug {:?} already exists", org.slug))
                }
                other => other,
            });
        }
        sqlx::query("INSERT INTO audit_heads (org_id, seq, hash) VALUES ($1, 0, $2)")
            .bind(&org.id)
            .bind(pawl_domain::audit::GENESIS_HASH)
            .execute(&mut *tx.tx)
            .await?;
        tx.record::<(), _>("create", "organisation", &org.id, None, Some(&org))
            .await?;
        tx.commit().await?;
        Ok(org)
    }

    pub async fn organisation_by_slug(&self, slug: &str) -> Result<Organisation, StoreError> {
        let sql = format!("SELECT {ORG_COLUMNS} FROM organisations WHERE slug = $1");
        let row = sqlx::query(&sql).bind(slug).fetch_optional(&self.read).await?;
        row.as_ref()
            .map(org_from_row)
            .transpose()?
            .ok_or(StoreError::NotFound { entity: "organisation" })
    }

    pub async fn organisation(&self, id: &str) -> Result<Organisation, StoreError> {
        let sql = format!("SELECT {ORG_COLUMNS} FROM organisations WHERE id = $1");
        let row = sqlx::query(&sql).bind(id).fetch_optional(&self.read).await?;
        row.as_ref()
            .map(org_from_row)
            .transpose()?
            .ok_or(StoreError::NotFound { entity: "organisation" })
    }

    pub async fn organisations(&self) -> Result<Vec<Organisation>, StoreError> {
        let sql = format!("SELECT {ORG_COLUMNS} FROM organisations ORDER BY slug");
        let rows = sqlx::query(&sql).fetch_all(&self.read).await?;
        Ok(rows.iter().map(org_from_row).collect::<Result<_, _>>()?)
    }

    /// The organisations a person belongs to, with their role in each.
    pub async fn memberships_of_user(&self, user_id: &str) -> Result<Vec<(Organisation, Role)>, StoreError> {
        let rows = sqlx::query(
            "SELECT o.id, o.slug, o.name, o.created_at, o.version, o.require_if_match, o.refuse_auditor_conflicts,
                    o.allow_plan_without_root_cause, o.context_method, m.role
             FROM memberships m JOIN organisations o ON o.id = m.org_id
             WHERE m.user_id = $1 ORDER BY o.slug",
        )
        .bind(user_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                let role: String = r.try_get(9)?;
                Ok((org_from_row(r)?, role_of(&role)?))
            })
            .collect()
    }

    pub async fn user_by_email(&self, email: &Email) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(USER_BY_EMAIL)
            .bind(email.as_str())
            .fetch_optional(&self.read)
            .await?;
        Ok(row.as_ref().map(user_from_row).transpose()?)
    }

    /// Sets a person's password and ends their sessions but `keep_session`
    /// (the one they changed it from). Authentication state, like a
    /// session: the caller records the change in each organisation's trail.
    /// `proven` marks the address as proven (an operator set it).
    pub async fn set_password(
        &self,
        user_id: &str,
        password_hash: &str,
        proven: bool,
        keep_session: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin_with(self.engine.begin_write()).await?;
        let changed = sqlx::query(
            "UPDATE users SET password_hash = $1, version = version + 1,
                proven_at = CASE WHEN $2 = 1 AND proven_at IS NULL THEN $3 ELSE proven_at END
             WHERE id = $4",
        )
        .bind(password_hash)
        .bind(i64::from(proven))
        .bind(now())
        .bind(user_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed != 1 {
            return Err(StoreError::NotFound { entity: "account" });
        }
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
            .bind(user_id)
            .bind(keep_session.unwrap_or(""))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets the name a person goes by. Account state, like the password:
    /// the caller records it in each organisation's trail.
    pub async fn set_user_name(&self, user_id: &str, name: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE users SET name = $1, version = version + 1 WHERE id = $2")
            .bind(name)
            .bind(user_id)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// The account of a user id.
    pub async fn user(&self, user_id: &str) -> Result<User, StoreError> {
        let sql = USER_BY_EMAIL.replace("email = $1", "id = $1");
        let row = sqlx::query(&sql).bind(user_id).fetch_optional(&self.read).await?;
        row.as_ref()
            .map(user_from_row)
            .transpose()?
            .ok_or(StoreError::NotFound { entity: "account" })
    }

    /// Finds the live token whose secret hashes to `token_hash`.
    pub async fn token_owner(&self, token_hash: &str) -> Result<Option<TokenOwner>, StoreError> {
        let sql = format!(
            "SELECT {TOKEN_COLUMNS}, t.org_id, m.role FROM api_tokens t
             JOIN users u ON u.id = t.user_id
             JOIN memberships m ON m.org_id = t.org_id AND m.user_id = t.user_id
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL"
        );
        let Some(row) = sqlx::query(&sql).bind(token_hash).fetch_optional(&self.read).await? else {
            return Ok(None);
        };
        let token = token_from_row(&row)?;
        let org_id: String = row.try_get(10)?;
        let role: String = row.try_get(11)?;
        Ok(Some(TokenOwner {
            name: token.owner_name.clone(),
            token,
            organisation: self.organisation(&org_id).await?,
            role: role_of(&role)?,
        }))
    }

    /// Notes when a token was last used. Operational metadata, not an ISMS
    /// record: it is not audited, and it is written at most once a minute.
    pub async fn touch_token(&self, token_id: &str, last_used_at: Option<&str>) -> Result<(), StoreError> {
        let now = now();
        let fresh = last_used_at.is_some_and(|t| t.get(..16) == now.get(..16));
        if !fresh {
            sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(&now)
                .bind(token_id)
                .execute(&self.write)
                .await?;
        }
        Ok(())
    }

    pub async fn create_session(&self, s: &Session) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, org_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&s.id_hash)
        .bind(&s.user_id)
        .bind(&s.org_id)
        .bind(&s.csrf_token)
        .bind(now())
        .bind(&s.expires_at)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// A session that has not expired.
    pub async fn session(&self, id_hash: &str) -> Result<Option<Session>, StoreError> {
        let row = sqlx::query(
            "SELECT s.id_hash, s.user_id, u.email, s.org_id, s.csrf_token, s.expires_at, u.name
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1 AND s.expires_at > $2",
        )
        .bind(id_hash)
        .bind(now())
        .fetch_optional(&self.read)
        .await?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some(Session {
            id_hash: r.try_get(0)?,
            user_id: r.try_get(1)?,
            email: r.try_get(2)?,
            org_id: r.try_get(3)?,
            csrf_token: r.try_get(4)?,
            expires_at: r.try_get(5)?,
            name: r.try_get(6)?,
        }))
    }

    pub async fn set_session_org(&self, id_hash: &str, org_id: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE sessions SET org_id = $1 WHERE id_hash = $2")
            .bind(org_id)
            .bind(id_hash)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// Ends a session, and sweeps expired ones while at it.
    pub async fn delete_session(&self, id_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1 OR expires_at < $2")
            .bind(id_hash)
            .bind(now())
            .execute(&self.write)
            .await?;
        Ok(())
    }
}

impl OrgReader<'_> {
    pub async fn organisation(&self) -> Result<Organisation, StoreError> {
        self.store.organisation(&self.org_id).await
    }

    /// Members, sortable by `email` (default), `role` or `created_at`.
    pub async fn members(&self, q: &ListQuery) -> Result<Page<Member>, StoreError> {
        let col = q.sort_column(&[("email", "u.email"), ("role", "m.role"), ("created_at", "m.created_at")])?;
        let mut sql = crate::sql::Sql::new("");
        let org = sql.text_arg(&self.org_id);
        let mut cond = format!(" WHERE m.org_id = {org}");
        if let Some(s) = q.q.as_deref() {
            let p = sql.text_arg(crate::engine::contains_pattern(s));
            cond.push_str(&format!(
                " AND ({} OR {})",
                self.store.engine.contains("u.email", &p),
                self.store.engine.contains("u.name", &p)
            ));
        }
        let base = format!("FROM memberships m JOIN users u ON u.id = m.user_id{cond}");
        let mut count = sql.clone();
        count.push(&format!("SELECT COUNT(*) {base}"));
        let total: i64 = count.scalar().fetch_one(&self.store.read).await?;
        let (keyset, order) = q.keyset(&mut sql, col, "m.id", false)?;
        sql.push(&format!(
            "SELECT {MEMBER_COLUMNS} {base}{keyset}{order} LIMIT {}",
            q.limit() + 1
        ));
        let rows = sql.query().fetch_all(&self.store.read).await?;
        let members = rows.iter().map(member_from_row).collect::<Result<Vec<_>, _>>()?;
        let key_of = |m: &Member| match col {
            "m.role" => m.role.as_str().to_owned(),
            "m.created_at" => m.created_at.clone(),
            _ => m.email.clone(),
        };
        Ok(Page::from_rows(members, q.limit(), total, |m| Cursor {
            key: key_of(m),
            id: m.id.clone(),
        }))
    }

    pub async fn member(&self, id: &str) -> Result<Member, StoreError> {
        fetch_by_id(
            &self.store.read,
            MEMBER_BY_ID,
            &self.org_id,
            id,
            "member",
            member_from_row,
        )
        .await
    }

    /// The membership of one user in this organisation, if any.
    pub async fn membership_of(&self, user_id: &str) -> Result<Option<Member>, StoreError> {
        let sql = format!("SELECT {MEMBER_COLUMNS} FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 AND m.user_id = $2");
        let row = sqlx::query(&sql)
            .bind(&self.org_id)
            .bind(user_id)
            .fetch_optional(&self.store.read)
            .await?;
        row.as_ref().map(member_from_row).transpose()
    }

    /// Tokens, newest first; only `user_id`'s when given.
    pub async fn tokens(&self, user_id: Option<&str>) -> Result<Vec<ApiToken>, StoreError> {
        let sql = format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id
             WHERE t.org_id = $1 AND ($2 = '' OR t.user_id = $2) ORDER BY t.created_at DESC, t.id DESC"
        );
        let rows = sqlx::query(&sql)
            .bind(&self.org_id)
            .bind(user_id.unwrap_or(""))
            .fetch_all(&self.store.read)
            .await?;
        Ok(rows.iter().map(token_from_row).collect::<Result<_, _>>()?)
    }

    pub async fn token(&self, id: &str) -> Result<ApiToken, StoreError> {
        fetch_by_id(&self.store.read, TOKEN_BY_ID, &self.org_id, id, "token", token_row).await
    }
}

impl AuditedTx {
    /// Renames the organisation and sets its choices (If-Match required,
    /// auditor conflicts refused, plans before root causes allowed).
    pub async fn update_organisation(
        &mut self,
        change: &OrganisationChange<'_>,
        expected_version: Option<i64>,
    ) -> Result<Organisation, StoreError> {
        let name = change
            .name
            .map(|n| pawl_domain::identity::parse_name("name", n))
            .transpose()?;
        if let Some(m) = change.context_method.filter(|m| !["pestle", "swot"].contains(m)) {
            return Err(StoreError::Invalid(pawl_domain::DomainError::field(
                "context_method",
                format!("{m:?} is not pestle or swot"),
            )));
        }
        let sql = format!("SELECT {ORG_COLUMNS} FROM organisations WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(&self.org_id)
            .fetch_optional(&mut *self.tx)
            .await?;
        let before = row
            .as_ref()
            .map(org_from_row)
            .transpose()?
            .ok_or(StoreError::NotFound { entity: "organisation" })?;
        check_version("organisation", before.version, expected_version)?;
        let after = Organisation {
            name: name.unwrap_or_else(|| before.name.clone()),
            require_if_match: change.require_if_match.unwrap_or(before.require_if_match),
            refuse_auditor_conflicts: change
                .refuse_auditor_conflicts
                .unwrap_or(before.refuse_auditor_conflicts),
            allow_plan_without_root_cause: change
                .allow_plan_without_root_cause
                .unwrap_or(before.allow_plan_without_root_cause),
            context_method: change
                .context_method
                .map_or_else(|| before.context_method.clone(), str::to_owned),
            version: before.version + 1,
            ..before.clone()
        };
        sqlx::query(
            "UPDATE organisations SET name = $1, require_if_match = $2, refuse_auditor_conflicts = $6,
                allow_plan_without_root_cause = $7, context_method = $8, version = $3 WHERE id = $4 AND version = $5",
        )
        .bind(&after.name)
        .bind(i64::from(after.require_if_match))
        .bind(after.version)
        .bind(&self.org_id)
        .bind(before.version)
        .bind(i64::from(after.refuse_auditor_conflicts))
        .bind(i64::from(after.allow_plan_without_root_cause))
        .bind(&after.context_method)
        .execute(&mut *self.tx)
        .await?;
        self.record("update", "organisation", &after.id.clone(), Some(&before), Some(&after))
            .await?;
        Ok(after)
    }

    /// Adds a person to this organisation, creating their account if needed.
    /// Returns the membership and whether a new account was made. An
    /// existing account whose address is unproven joins only the
    /// organisation that created it ([`User::may_join`]).
    pub async fn add_member(&mut self, new: &NewMember) -> Result<(Member, bool), StoreError> {
        let existing = sqlx::query(USER_BY_EMAIL)
            .bind(new.email.as_str())
            .fetch_optional(&mut *self.tx)
            .await?
            .as_ref()
            .map(user_from_row)
            .transpose()?;
        let now = now();
        let (user_id, name, created) = match existing {
            Some(user) if !user.may_join(&self.org_id) => {
                return Err(StoreError::Conflict(format!(
                    "nobody has proven yet that {} is this person's address, so the account works only in the \
                     organisation that created it; an operator proves it with `pawl user set-password`",
                    user.email
                )))
            }
            Some(user) => (user.id, user.name, false),
            None => {
                let id = new_id();
                let proven = (new.address == AddressProof::Proven).then_some(now.as_str());
                sqlx::query(
                    "INSERT INTO users (id, email, password_hash, created_at, version, proven_at, home_org_id, name)
                     VALUES ($1, $2, $3, $4, 1, $5, $6, $7)",
                )
                .bind(&id)
                .bind(new.email.as_str())
                .bind(&new.password_hash)
                .bind(&now)
                .bind(proven)
                .bind(&self.org_id)
                .bind(new.name.trim())
                .execute(&mut *self.tx)
                .await?;
                (id, new.name.trim().to_owned(), true)
            }
        };
        let member = Member {
            id: new_id(),
            user_id,
            email: new.email.as_str().to_owned(),
            name,
            role: new.role,
            created_at: now.clone(),
            updated_at: now,
            version: 1,
        };
        let inserted = sqlx::query(
            "INSERT INTO memberships (id, org_id, user_id, role, created_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, 1)",
        )
        .bind(&member.id)
        .bind(&self.org_id)
        .bind(&member.user_id)
        .bind(member.role.as_str())
        .bind(&member.created_at)
        .bind(&member.updated_at)
        .execute(&mut *self.tx)
        .await;
        if let Err(e) = inserted {
            return Err(match StoreError::from(e) {
                StoreError::Conflict(_) => StoreError::Conflict(format!("{} is already a member", member.email)),
                other => other,
            });
        }
        self.record::<(), _>("create", "member", &member.id, None, Some(&member))
            .await?;
        // A newcomer is asked to read what their role's audience reads.
        self.refresh_obligations(None, Some(&member.user_id)).await?;
        Ok((member, created))
    }

    async fn member_for_update(&mut self, id: &str, expected_version: Option<i64>) -> Result<Member, StoreError> {
        let sql = format!("{MEMBER_BY_ID}{}", self.engine.lock_rows_of("m"));
        let m = fetch_by_id(&mut *self.tx, &sql, &self.org_id, id, "member", member_from_row).await?;
        check_version("member", m.version, expected_version)?;
        Ok(m)
    }

    /// Refuses to leave the organisation without an admin.
    async fn ensure_another_admin(&mut self, leaving: &Member) -> Result<(), StoreError> {
        if leaving.role != Role::Admin {
            return Ok(());
        }
        // The other admins' rows are held, so two admins cannot demote or
        // remove each other at the same moment (a count cannot be locked).
        let admins: Vec<(String,)> = sqlx::query_as(&format!(
            "SELECT id FROM memberships WHERE org_id = $1 AND role = 'admin' AND id <> $2{}",
            self.engine.lock_rows()
        ))
        .bind(&self.org_id)
        .bind(&leaving.id)
        .fetch_all(&mut *self.tx)
        .await?;
        if admins.is_empty() {
            return Err(StoreError::Conflict("the organisation needs at least one admin".into()));
        }
        Ok(())
    }

    pub async fn set_member_role(
        &mut self,
        id: &str,
        role: Role,
        expected_version: Option<i64>,
    ) -> Result<Member, StoreError> {
        let before = self.member_for_update(id, expected_version).await?;
        if role != Role::Admin {
            self.ensure_another_admin(&before).await?;
        }
        let after = Member {
            role,
            updated_at: now(),
            version: before.version + 1,
            ..before.clone()
        };
        let changed = sqlx::query(
            "UPDATE memberships SET role = $1, updated_at = $2, version = $3 WHERE org_id = $4 AND id = $5 AND version = $6",
        )
        .bind(after.role.as_str())
        .bind(&after.updated_at)
        .bind(after.version)
        .bind(&self.org_id)
        .bind(id)
        .bind(before.version)
        .execute(&mut *self.tx)
        .await?
        .rows_affected();
        if changed != 1 {
            return Err(StoreError::PreconditionFailed {
                entity: "member",
                current_etag: crate::row::etag(before.version),
            });
        }
        self.record("update", "member", id, Some(&before), Some(&after)).await?;
        self.refresh_obligations(None, Some(&after.user_id)).await?;
        Ok(after)
    }

    /// Removes a membership and revokes the person's tokens here.
    pub async fn remove_member(&mut self, id: &str, expected_version: Option<i64>) -> Result<(), StoreError> {
        let before = self.member_for_update(id, expected_version).await?;
        self.ensure_another_admin(&before).await?;
        let live: Vec<(String,)> =
            sqlx::query_as("SELECT id FROM api_tokens WHERE org_id = $1 AND user_id = $2 AND revoked_at IS NULL")
                .bind(&self.org_id)
                .bind(&before.user_id)
                .fetch_all(&mut *self.tx)
                .await?;
        for (token_id,) in live {
            self.revoke_token(&token_id, None).await?;
        }
        sqlx::query("DELETE FROM memberships WHERE org_id = $1 AND id = $2")
            .bind(&self.org_id)
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        self.record::<_, ()>("delete", "member", id, Some(&before), None)
            .await?;
        self.refresh_obligations(None, Some(&before.user_id)).await?;
        Ok(())
    }

    pub async fn create_token(
        &mut self,
        user_id: &str,
        name: &str,
        token_hash: &str,
        prefix: &str,
    ) -> Result<ApiToken, StoreError> {
        let name = pawl_domain::identity::parse_name("name", name)?;
        let owner: Option<(String, String)> = sqlx::query_as(
            "SELECT u.email, u.name FROM users u JOIN memberships m ON m.user_id = u.id WHERE m.org_id = $1 AND u.id = $2",
        )
        .bind(&self.org_id)
        .bind(user_id)
        .fetch_optional(&mut *self.tx)
        .await?;
        let (email, owner_name) = owner.ok_or(StoreError::NotFound { entity: "member" })?;
        let token = ApiToken {
            id: new_id(),
            user_id: user_id.to_owned(),
            email,
            owner_name,
            name,
            prefix: prefix.to_owned(),
            created_at: now(),
            last_used_at: None,
            revoked_at: None,
            version: 1,
        };
        sqlx::query(
            "INSERT INTO api_tokens (id, org_id, user_id, name, token_hash, prefix, created_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, 1)",
        )
        .bind(&token.id)
        .bind(&self.org_id)
        .bind(&token.user_id)
        .bind(&token.name)
        .bind(token_hash)
        .bind(&token.prefix)
        .bind(&token.created_at)
        .execute(&mut *self.tx)
        .await?;
        self.record::<(), _>("create", "api_token", &token.id, None, Some(&token))
            .await?;
        Ok(token)
    }

    pub async fn revoke_token(&mut self, id: &str, expected_version: Option<i64>) -> Result<ApiToken, StoreError> {
        let before = fetch_by_id(&mut *self.tx, TOKEN_BY_ID, &self.org_id, id, "token", token_row).await?;
        check_version("token", before.version, expected_version)?;
        if before.revoked_at.is_some() {
            return Ok(before);
        }
        let after = ApiToken {
            revoked_at: Some(now()),
            version: before.version + 1,
            ..before.clone()
        };
        sqlx::query("UPDATE api_tokens SET revoked_at = $1, version = $2 WHERE org_id = $3 AND id = $4")
            .bind(&after.revoked_at)
            .bind(after.version)
            .bind(&self.org_id)
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        self.record("revoke", "api_token", id, Some(&before), Some(&after))
            .await?;
        Ok(after)
    }
}
