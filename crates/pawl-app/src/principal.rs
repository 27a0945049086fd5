//! Who is asking, in which organisation, with which role.

use pawl_domain::access::{allows, Permission};
use pawl_domain::audit::{Actor, ActorKind};
use pawl_domain::identity::Role;
use pawl_store::Organisation;

/// How the principal proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// A browser session; carries the CSRF token its forms must echo.
    Session {
        id_hash: String,
        csrf_token: String,
    },
    ApiToken {
        token_id: String,
        name: String,
    },
}

#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: String,
    pub email: String,
    pub organisation: Organisation,
    pub role: Role,
    pub via: Via,
}

impl Principal {
    /// Whether the role allows this; the web layer's policy asks it for every route.
    pub fn can(&self, permission: Permission) -> bool {
        allows(self.role, permission)
    }

    /// The actor recorded in the audit trail: the token, when one was used,
    /// named with its owner so the trail reads "ci-upload (ada@...)".
    pub fn actor(&self) -> Actor {
        match &self.via {
            Via::Session { .. } => Actor {
                kind: ActorKind::User,
                id: self.user_id.clone(),
                name: self.email.clone(),
            },
            Via::ApiToken { token_id, name } => Actor {
                kind: ActorKind::Token,
                id: token_id.clone(),
                name: format!("{name} ({})", self.email),
            },
        }
    }
}
