//! The access policy: which role may do what (clause 5.3, Annex A 5.15 and 8.2).
//!
//! This table is the only place where roles meet permissions. The web layer
//! maps each route to one [`Permission`] and asks [`allows`]; no handler
//! checks a role itself.

use crate::identity::Role;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// See the organisation's home, the standards catalog, one's own account.
    Enter,
    /// Read the ISMS records (risks, controls, documents, audits...).
    ReadIsms,
    /// Create and change ISMS records.
    WriteIsms,
    /// Read the audit trail and any record's history.
    ReadAuditTrail,
    /// Manage members, roles and the organisation's settings.
    ManageOrganisation,
    /// Create and revoke one's own API tokens.
    ManageOwnTokens,
    /// Change the risk method: scales, matrix, acceptance criteria (6.1.2 a).
    ManageRiskMethod,
    /// Approve a version of the Statement of Applicability (6.1.3 d).
    ApproveSoa,
    /// Record audit results and judge whether corrective actions worked
    /// (9.2, 10.2 d): an auditor's judgement, not a change to the records
    /// judged.
    RecordAuditResults,
    /// Decide for the ISMS as its management: close a cycle and freeze its
    /// figures (10.1), hold a management review (9.3).
    DirectIsms,
}

impl Permission {
    pub const ALL: [Permission; 10] = [
        Permission::Enter,
        Permission::ReadIsms,
        Permission::WriteIsms,
        Permission::ReadAuditTrail,
        Permission::ManageOrganisation,
        Permission::ManageOwnTokens,
        Permission::ManageRiskMethod,
        Permission::ApproveSoa,
        Permission::RecordAuditResults,
        Permission::DirectIsms,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::Enter => "enter",
            Permission::ReadIsms => "read_isms",
            Permission::WriteIsms => "write_isms",
            Permission::ReadAuditTrail => "read_audit_trail",
            Permission::ManageOrganisation => "manage_organisation",
            Permission::ManageOwnTokens => "manage_own_tokens",
            Permission::ManageRiskMethod => "manage_risk_method",
            Permission::ApproveSoa => "approve_soa",
            Permission::RecordAuditResults => "record_audit_results",
            Permission::DirectIsms => "direct_isms",
        }
    }
}

/// The declared policy. Auditors read everything, the audit trail included,
/// but can never write ISMS records, so they cannot alter evidence; they
/// record their own judgements (audit results, verifications of
/// effectiveness). Nobody can alter history, because the store offers no
/// way to.
pub fn allows(role: Role, permission: Permission) -> bool {
    use Permission::*;
    use Role::*;
    match permission {
        Enter => true,
        ReadIsms => !matches!(role, Staff),
        WriteIsms => matches!(role, Admin | Manager | Contributor),
        ReadAuditTrail => matches!(role, Admin | Manager | Auditor),
        ManageOrganisation => matches!(role, Admin),
        ManageOwnTokens => !matches!(role, Staff),
        ManageRiskMethod => matches!(role, Admin | Manager),
        ApproveSoa => matches!(role, Admin | Manager),
        RecordAuditResults => matches!(role, Admin | Manager | Auditor),
        DirectIsms => matches!(role, Admin | Manager),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auditors_read_everything_but_cannot_write_records() {
        assert!(allows(Role::Auditor, Permission::ReadIsms));
        assert!(allows(Role::Auditor, Permission::ReadAuditTrail));
        assert!(!allows(Role::Auditor, Permission::WriteIsms));
        assert!(!allows(Role::Auditor, Permission::ManageOrganisation));
    }

    #[test]
    fn staff_only_enter() {
        for p in Permission::ALL {
            assert_eq!(allows(Role::Staff, p), p == Permission::Enter, "{p:?}");
        }
    }

    #[test]
    fn only_admins_manage_the_organisation() {
        for r in Role::ALL {
            assert_eq!(allows(r, Permission::ManageOrganisation), r == Role::Admin);
        }
    }
}
