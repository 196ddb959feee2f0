//! The principal: the audiences a request speaks for, and its active grants.

use std::collections::BTreeSet;

use crate::catalog::{AttributeRule, Audience};

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

/// Who is asking: an anonymous citizen, a member of staff, a contractor or an admin.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    /// The signed-in user's name; `None` for anonymous requests.
    pub user: Option<String>,
    /// Audiences the principal belongs to. Always contains `Public`.
    audiences: BTreeSet<Audience>,
    pub grants: Vec<Grant>,
}

impl Principal {
    /// An anonymous caller: the public audience only.
    pub fn anonymous() -> Self {
        Self {
            user: None,
            audiences: BTreeSet::from([Audience::Public]),
            grants: Vec::new(),
        }
    }

    /// A signed-in user. `staff` is true for city employees (contractors sign in but are
    /// not staff); `roles` are role names such as `suido` or `admin`.
    pub fn user(name: &str, staff: bool, roles: &[String], grants: Vec<Grant>) -> Self {
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
        }
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

    pub fn has(&self, audience: &Audience) -> bool {
        self.audiences.contains(audience)
    }

    /// The grants in force for a layer.
    pub fn grants_for<'a>(&'a self, layer: &'a str) -> impl Iterator<Item = &'a Grant> + 'a {
        self.grants.iter().filter(move |g| g.layer == layer)
    }
}
