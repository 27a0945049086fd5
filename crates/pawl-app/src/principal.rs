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
    /// The name on the account; empty until the person gives one.
    pub name: String,
    pub organisation: Organisation,
    pub role: Role,
    pub via: Via,
}

impl Principal {
    /// Whether the role allows this; the web layer's policy asks it for every route.
    pub fn can(&self, permission: Permission) -> bool {
        allows(self.role, permission)
    }

    /// How people read who this is: the name, or the address until a name
    /// is given.
    pub fn display_name(&self) -> &str {
        match self.name.as_str() {
            "" => &self.email,
            n => n,
        }
    }

    /// The actor recorded in the audit trail: the token, when one was used,
    /// named with its owner so the trail reads "ci-upload (Ada Lovelace)".
    pub fn actor(&self) -> Actor {
        match &self.via {
            Via::Session { .. } => Actor {
                kind: ActorKind::User,
                id: self.user_id.clone(),
                name: self.display_name().to_owned(),
            },
            Via::ApiToken { token_id, name } => Actor {
                kind: ActorKind::Token,
                id: token_id.clone(),
                name: format!("{name} ({})", self.display_name()),
            },
        }
    }
}
