//! The principal: the audiences a request speaks for, and its active grants.

use std::collections::BTreeSet;
use std::fmt;

use crate::catalog::{AttributeRule, Audience};
use crate::time::unix_now;

/// An approved, unexpired access grant (web approval, 決裁) for one layer.
#[derive(Debug, Clone, PartialEq)]
pub struct Grant {
    pub layer: String,
    /// Attributes granted on top of the principal's own; `All` for every attribute.
    pub attributes: AttributeRule,
    /// Unix seconds at which the grant ends. Part of the policy class, so a cached tile made
    /// under a grant is never served after it expires.
    pub expires_at: i64,
}

/// How a signed-in principal proved who it is: a session or an API token, by database id.
/// Not a secret; the audit log aggregates views per credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Credential {
    Session(i64),
    Token(i64),
}

impl fmt::Display for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Session(id) => write!(f, "session:{id}"),
            Self::Token(id) => write!(f, "token:{id}"),
        }
    }
}

/// Who is asking: an anonymous citizen, a member of staff, a contractor or an admin.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    /// The signed-in user's name; `None` for anonymous requests.
    pub user: Option<String>,
    /// Audiences the principal belongs to. Always contains `Public`.
    audiences: BTreeSet<Audience>,
    /// Unexpired grants only: [`Principal::user`] drops the rest.
    pub grants: Vec<Grant>,
    /// The session or token this request came with; `None` when anonymous (or built in code).
    pub credential: Option<Credential>,
}

impl Principal {
    /// An anonymous caller: the public audience only.
    pub fn anonymous() -> Self {
        Self {
            user: None,
            audiences: BTreeSet::from([Audience::Public]),
            grants: Vec::new(),
            credential: None,
        }
    }

    /// A signed-in user. `staff` is true for city employees (contractors sign in but are
    /// not staff); `roles` are role names such as `suido` or `admin`. Expired grants are
    /// dropped here, so a principal never carries one.
    pub fn user(name: &str, staff: bool, roles: &[String], mut grants: Vec<Grant>) -> Self {
        let now = unix_now();
        grants.retain(|g| g.expires_at > now);
        let mut audiences = BTreeSet::from([Audience::Public]);
        if staff {
            audiences.insert(Audience::Staff);
        }
        for r in roles {
            audiences.insert(if r == "admin" {
                Audience::Admin
            } else {
                Audience::Role(r.clone())
            });
        }
        Self {
            user: Some(name.to_owned()),
            audiences,
            grants,
            credential: None,
        }
    }

    /// The same principal, remembering the credential it signed in with.
    pub fn with_credential(mut self, credential: Credential) -> Self {
        self.credential = Some(credential);
        self
    }

    pub fn audiences(&self) -> &BTreeSet<Audience> {
        &self.audiences
    }

    pub fn is_admin(&self) -> bool {
        self.audiences.contains(&Audience::Admin)
    }

    pub fn is_anonymous(&self) -> bool {
        self.user.is_none()
    }

    /// True if this is exactly [`Principal::anonymous`]: no user, no grants, the public
    /// audience only.
    pub fn is_plain_anonymous(&self) -> bool {
        self.user.is_none() && self.grants.is_empty() && self.audiences.len() == 1
    }

    pub fn has(&self, audience: &Audience) -> bool {
        self.audiences.contains(audience)
    }

    /// The grants in force for a layer. Checks expiry again, so a principal that outlives
    /// a grant (a long export, say) stops using it when it ends.
    pub fn grants_for<'a>(&'a self, layer: &'a str) -> impl Iterator<Item = &'a Grant> + 'a {
        let now = unix_now();
        self.grants
            .iter()
            .filter(move |g| g.layer == layer && g.expires_at > now)
    }
}
