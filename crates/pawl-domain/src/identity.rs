//! Organisations, people and their roles (clause 5.3: roles, responsibilities
//! and authorities), as validated values.

use crate::DomainError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The short, URL-safe name of an organisation, e.g. `demo` or `acme-eu`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct OrgSlug(String);

impl OrgSlug {
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let ok_len = (2..=40).contains(&s.len());
        let ok_chars = s
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        let ok_edges = !s.starts_with('-') && !s.ends_with('-');
        if ok_len && ok_chars && ok_edges {
            Ok(Self(s.to_owned()))
        } else {
            Err(DomainError::field(
                "slug",
                "use 2 to 40 lowercase letters, digits or hyphens, not starting or ending with a hyphen",
            ))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrgSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An e-mail address, normalised to lower case. Checked for shape only: the
/// address is a login name, not a promise that mail arrives.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let s = s.trim().to_lowercase();
        let valid = match s.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !s.chars().any(|c| c.is_whitespace() || c.is_control())
                    && !domain.contains('@')
                    && s.len() <= 254
            }
            None => false,
        };
        if valid {
            Ok(Self(s))
        } else {
            Err(DomainError::field("email", "enter an address like name@example.com"))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A display name for an organisation or token: trimmed, 1 to 200 characters.
pub fn parse_name(field: &str, s: &str) -> Result<String, DomainError> {
    let t = s.trim();
    if t.is_empty() || t.chars().count() > 200 || t.chars().any(|c| c.is_control()) {
        return Err(DomainError::field(field, "enter 1 to 200 printable characters"));
    }
    Ok(t.to_owned())
}

/// Passwords: long enough to resist guessing, bounded so hashing stays cheap.
pub fn check_password(s: &str) -> Result<(), DomainError> {
    check_password_as("password", s)
}

/// [`check_password`] for a form whose field has another name.
pub fn check_password_as(field: &str, s: &str) -> Result<(), DomainError> {
    let n = s.chars().count();
    if n < 12 {
        return Err(DomainError::field(field, "use at least 12 characters"));
    }
    if n > 256 {
        return Err(DomainError::field(field, "use at most 256 characters"));
    }
    Ok(())
}

/// A person's role in one organisation. A user may hold different roles in
/// different organisations (consultants running several ISMSs do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Manages the organisation, its members and its tokens.
    Admin,
    /// Runs the ISMS day to day.
    Manager,
    /// Owns the risks, controls and actions assigned to them.
    Contributor,
    /// Reads everything, the audit trail included; never alters evidence or history.
    Auditor,
    /// Reads the ISMS.
    Viewer,
    /// Reads published policies, acknowledges them, submits suggestions.
    Staff,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::Manager,
        Role::Contributor,
        Role::Auditor,
        Role::Viewer,
        Role::Staff,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Contributor => "contributor",
            Role::Auditor => "auditor",
            Role::Viewer => "viewer",
            Role::Staff => "staff",
        }
    }

    /// The role as people read it.
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Administrator",
            Role::Manager => "ISMS manager",
            Role::Contributor => "Contributor",
            Role::Auditor => "Auditor",
            Role::Viewer => "Viewer",
            Role::Staff => "Staff",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim().to_lowercase())
            .ok_or_else(|| {
                DomainError::field(
                    "role",
                    "choose one of admin, manager, contributor, auditor, viewer, staff",
                )
            })
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_url_safe() {
        assert!(OrgSlug::parse("acme-eu").is_ok());
        for bad in ["", "a", "Acme", "-acme", "acme-", "ac me", "acmé"] {
            assert!(OrgSlug::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn emails_are_normalised_and_shape_checked() {
        assert_eq!(Email::parse(" Ada@Example.COM ").unwrap().as_str(), "ada@example.com");
        for bad in ["ada", "ada@", "@x.io", "ada@localhost", "a b@x.io", "a@b@x.io"] {
            assert!(Email::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn roles_parse_their_own_names_only() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()).unwrap(), r);
        }
        assert!(Role::parse("root").is_err());
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(check_password("short").is_err());
        assert!(check_password("correct horse battery").is_ok());
    }
}
