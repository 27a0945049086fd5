//! Everything that differs between SQLite and PostgreSQL, and nothing else.
//!
//! Queries elsewhere are written once, with `$1` placeholders (which both
//! engines accept) and portable types: ids and instants are TEXT, counters
//! BIGINT, JSON is TEXT.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
        }
    }

    /// Run on every new connection.
    pub(crate) fn connection_setup(self) -> &'static [&'static str] {
        match self {
            // WAL lets readers run beside the one writer; NORMAL sync is safe
            // with WAL (a crash may lose the last commits, never corrupt).
            Engine::Sqlite => &[
                "PRAGMA journal_mode = WAL",
                "PRAGMA synchronous = NORMAL",
                "PRAGMA foreign_keys = ON",
                "PRAGMA busy_timeout = 10000",
            ],
            Engine::Postgres => &["SET TIME ZONE 'UTC'"],
        }
    }

    /// How a write transaction starts. SQLite's IMMEDIATE takes the write
    /// lock up front, so two writers never deadlock upgrading a read lock.
    pub(crate) fn begin_write(self) -> &'static str {
        match self {
            Engine::Sqlite => "BEGIN IMMEDIATE",
            Engine::Postgres => "BEGIN",
        }
    }

    /// Serialises schema migrations between processes sharing one database.
    pub(crate) fn migration_lock(self) -> Option<&'static str> {
        match self {
            Engine::Sqlite => None,
            Engine::Postgres => Some("SELECT pg_advisory_xact_lock(727001)"),
        }
    }

    /// Case-insensitive substring match, as a SQL operator.
    pub(crate) fn ilike(self) -> &'static str {
        match self {
            // SQLite's LIKE is already case-insensitive for ASCII.
            Engine::Sqlite => "LIKE",
            Engine::Postgres => "ILIKE",
        }
    }
}

pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => {
            // 23505: PostgreSQL unique_violation; 2067/1555: SQLite UNIQUE and PRIMARY KEY.
            matches!(db.code().as_deref(), Some("23505") | Some("2067") | Some("1555"))
                || db.message().contains("UNIQUE constraint failed")
        }
        _ => false,
    }
}

/// A database URL fit for logs: the password replaced.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{}:***{}", &url[..scheme_end + 3], user, &url[at..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_never_reach_logs() {
        assert_eq!(
            super::redact_url("postgres://pawl:s3cret@db:5432/pawl"),
            "postgres://pawl:***@db:5432/pawl"
        );
        assert_eq!(super::redact_url("postgres://db/pawl"), "postgres://db/pawl");
    }
}
