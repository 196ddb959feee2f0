//! Account administration with an actor: what an administrator does from the staff view or
//! the CLI (create, change roles, department, expiry, disable, reset a password), each
//! change checked before anything is written and recorded in the audit log with who did it.

use super::users::{User, check_role, check_user_name};
use super::{Access, AccessError, AuditEvent, AuditKind, NewUser, secret};

/// One change to an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountChange {
    /// Replace the roles (a 異動): the user's sessions end, so the new roles apply at once.
    Roles(Vec<String>),
    Department(String),
    /// End the account at this time (Unix seconds; must be in the future), or never.
    Expiry(Option<i64>),
    Disabled(bool),
}

impl AccountChange {
    fn audit_detail(&self) -> serde_json::Value {
        match self {
            Self::Roles(r) => serde_json::json!({ "change": "roles", "roles": r }),
            Self::Department(d) => serde_json::json!({ "change": "department", "department": d }),
            Self::Expiry(e) => serde_json::json!({
                "change": "expiry",
                "expires_at": e.map(crate::time::rfc3339),
            }),
            Self::Disabled(true) => serde_json::json!({ "change": "disabled" }),
            Self::Disabled(false) => serde_json::json!({ "change": "enabled" }),
        }
    }
}

impl Access {
    /// Every account, by name. Blocking.
    pub fn list_users(&self) -> Result<Vec<User>, AccessError> {
        self.db.users()
    }

    /// The current time of the access clock (for expiry checks by callers).
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Creates an account for `by` (an administrator, or `cli`). Blocking.
    pub fn create_user(
        &self,
        by: &str,
        new: &NewUser,
        password: &str,
        expires_at: Option<i64>,
    ) -> Result<User, AccessError> {
        check_user_name(&new.name)?;
        new.roles.iter().try_for_each(|r| check_role(r))?;
        self.check_expiry(expires_at)?;
        secret::check_password_policy(&new.name, password)?;
        let hash = secret::hash_password(password)?;
        let mut user = self.db.add_user(new, &hash, self.clock.now())?;
        if expires_at.is_some() {
            self.db.set_expiry(&user.name, expires_at)?;
            user.expires_at = expires_at;
        }
        let detail = serde_json::json!({
            "roles": user.roles,
            "staff": user.staff,
            "department": user.department,
            "expires_at": expires_at.map(crate::time::rfc3339),
            "by": by,
        });
        self.audit.record_blocking(
            AuditEvent::new(AuditKind::UserAdd)
                .user(&user.name)
                .detail(detail),
        )?;
        Ok(user)
    }

    /// Applies one change to an account, audited as done by `by`. Nothing is written when
    /// the change is refused (unknown user, bad role, expiry in the past). Blocking.
    pub fn change_user(
        &self,
        by: &str,
        name: &str,
        change: &AccountChange,
    ) -> Result<User, AccessError> {
        let Some(user) = self.db.user(name)? else {
            return Err(AccessError::NoSuchUser(name.to_owned()));
        };
        match change {
            AccountChange::Roles(roles) => self.db.set_roles(&user.name, roles)?,
            AccountChange::Department(d) => self.db.set_department(&user.name, d)?,
            AccountChange::Expiry(e) => {
                self.check_expiry(*e)?;
                self.db.set_expiry(&user.name, *e)?;
            }
            AccountChange::Disabled(d) => self.db.set_disabled(&user.name, *d)?,
        }
        let mut detail = change.audit_detail();
        detail["by"] = serde_json::json!(by);
        self.audit.record_blocking(
            AuditEvent::new(AuditKind::UserChange)
                .user(&user.name)
                .detail(detail),
        )?;
        self.db
            .user(&user.name)?
            .ok_or_else(|| AccessError::NoSuchUser(name.to_owned()))
    }

    /// Sets a new random password (shown once) and ends the user's sessions. Blocking.
    pub fn reset_password(&self, by: &str, name: &str) -> Result<String, AccessError> {
        if self.db.user(name)?.is_none() {
            return Err(AccessError::NoSuchUser(name.to_owned()));
        }
        let password = secret::random_hex()?[..20].to_owned();
        let hash = secret::hash_password(&password)?;
        self.db.set_password(name, &hash, self.clock.now())?;
        let detail = serde_json::json!({ "change": "password_reset", "by": by });
        self.audit.record_blocking(
            AuditEvent::new(AuditKind::UserChange)
                .user(name)
                .detail(detail),
        )?;
        Ok(password)
    }

    fn check_expiry(&self, expires_at: Option<i64>) -> Result<(), AccessError> {
        match expires_at {
            Some(e) if e <= self.clock.now() => Err(AccessError::invalid(
                "expiry",
                &crate::time::rfc3339(e),
                "is not in the future; give a later date (or none)",
            )),
            _ => Ok(()),
        }
    }
}

/// The end of an expiry date: `YYYY-MM-DD` is the last day the account works, so it ends at
/// the following midnight in Japan (15:00 UTC that day). `never` clears the expiry.
pub fn parse_expiry(text: &str) -> Result<Option<i64>, AccessError> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("never") || t.is_empty() {
        return Ok(None);
    }
    if t.len() == 10
        && let Some(day) = crate::time::parse_rfc3339(t)
    {
        return Ok(Some(day + 86_400 - 9 * 3600));
    }
    crate::time::parse_rfc3339(t).map(Some).ok_or_else(|| {
        AccessError::invalid(
            "expiry",
            t,
            "use a date YYYY-MM-DD (the last day the account works), an RFC 3339 time, or `never`",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_expiry_date_is_the_last_day_in_japan() {
        let end = parse_expiry("2027-03-31").unwrap().unwrap();
        assert_eq!(crate::time::rfc3339(end), "2027-03-31T15:00:00Z");
        assert_eq!(parse_expiry("never").unwrap(), None);
        assert!(parse_expiry("31/03/2027").is_err());
    }
}
