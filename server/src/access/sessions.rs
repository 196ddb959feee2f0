//! Sessions: server-side, looked up by the SHA-256 of the cookie value, with an absolute
//! expiry and an idle timeout. Also [`Identity`], what a valid session or token resolves to.

use super::grants::active_grants;
use super::sql::{Conn, Row, params};
use super::users::roles_of;
use super::{AccessError, Credential, Db, Grant, Principal, User};

/// `last_seen` is written at most this often per session, not on every tile.
pub const TOUCH_EVERY_SECS: i64 = 60;

/// A signed-in user as a credential resolves it: account, roles and grants in force.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    pub user: User,
    pub grants: Vec<Grant>,
    pub credential: Credential,
    /// When the credential stops working (a session's absolute expiry; a token's expiry).
    pub expires_at: Option<i64>,
}

impl Identity {
    /// The principal the policy decides for.
    pub fn principal(&self) -> Principal {
        Principal::user(
            &self.user.name,
            self.user.staff,
            &self.user.roles,
            self.grants.clone(),
        )
        .with_credential(self.credential)
    }
}

/// Columns for [`user_from`], prefixed with the users table alias `u`.
pub(crate) const JOINED_USER: &str =
    "u.id, u.name, u.department, u.is_staff, u.disabled, u.created_at, u.expires_at";

/// Reads a [`User`] (without roles) from columns `at..at + 7` of a row.
pub(crate) fn user_from(r: &Row<'_, '_>, at: usize) -> Result<User, AccessError> {
    Ok(User {
        id: r.get(at)?,
        name: r.get(at + 1)?,
        department: r.get(at + 2)?,
        staff: r.get(at + 3)?,
        disabled: r.get(at + 4)?,
        roles: Vec::new(),
        created_at: r.get(at + 5)?,
        expires_at: r.get(at + 6)?,
    })
}

/// Completes an identity with the user's roles and active grants.
pub(crate) fn identity(
    conn: &mut Conn<'_>,
    mut user: User,
    credential: Credential,
    expires_at: Option<i64>,
    now: i64,
) -> Result<Identity, AccessError> {
    user.roles = roles_of(conn, user.id)?;
    let grants = active_grants(conn, user.id, now)?;
    Ok(Identity {
        user,
        grants,
        credential,
        expires_at,
    })
}

struct SessionRow {
    id: i64,
    last_seen: i64,
    expires_at: i64,
    user: User,
}

impl Db {
    /// Stores a new session and returns its id.
    pub fn create_session(
        &self,
        user_id: i64,
        secret_hash: &[u8],
        now: i64,
        expires_at: i64,
        client_ip: Option<&str>,
    ) -> Result<i64, AccessError> {
        self.with(|c| {
            c.query_one(
                "INSERT INTO sessions (secret_hash, user_id, created_at, last_seen, expires_at, client_ip)
                 VALUES (?1, ?2, ?3, ?3, ?4, ?5) RETURNING id",
                params![secret_hash, user_id, now, expires_at, client_ip],
                |r| r.get(0),
            )
        })
    }

    /// The identity behind a session, or `None` when it is unknown, expired, idle too long
    /// or its user is disabled. A dead session is deleted on sight.
    pub fn session_identity(
        &self,
        secret_hash: &[u8],
        now: i64,
        idle_secs: i64,
    ) -> Result<Option<Identity>, AccessError> {
        self.with(|c| {
            let sql = format!(
                "SELECT s.id, s.last_seen, s.expires_at, {JOINED_USER}
                 FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.secret_hash = ?"
            );
            let row = c.query_opt(&sql, params![secret_hash], |r| {
                Ok(SessionRow {
                    id: r.get(0)?,
                    last_seen: r.get(1)?,
                    expires_at: r.get(2)?,
                    user: user_from(r, 3)?,
                })
            })?;
            let Some(s) = row else { return Ok(None) };
            if now >= s.expires_at || now - s.last_seen >= idle_secs || !s.user.active(now) {
                c.execute("DELETE FROM sessions WHERE id = ?", params![s.id])?;
                return Ok(None);
            }
            if now - s.last_seen >= TOUCH_EVERY_SECS {
                c.execute(
                    "UPDATE sessions SET last_seen = ? WHERE id = ?",
                    params![now, s.id],
                )?;
            }
            let credential = Credential::Session(s.id);
            identity(c, s.user, credential, Some(s.expires_at), now).map(Some)
        })
    }

    /// Ends a session; returns its id and user name if it existed.
    pub fn delete_session(&self, secret_hash: &[u8]) -> Result<Option<(i64, String)>, AccessError> {
        self.with(|c| {
            let found: Option<(i64, String)> = c.query_opt(
                "SELECT s.id, u.name FROM sessions s JOIN users u ON u.id = s.user_id
                 WHERE s.secret_hash = ?",
                params![secret_hash],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            if let Some((id, _)) = &found {
                c.execute("DELETE FROM sessions WHERE id = ?", params![id])?;
            }
            Ok(found)
        })
    }

    /// Deletes expired and idle sessions (daily housekeeping).
    pub fn prune_sessions(&self, now: i64, idle_secs: i64) -> Result<u64, AccessError> {
        self.with(|c| {
            c.execute(
                "DELETE FROM sessions WHERE expires_at <= ? OR last_seen <= ?",
                params![now, now - idle_secs],
            )
        })
    }

    /// How many sessions a user has open.
    pub fn session_count(&self, user_id: i64) -> Result<i64, AccessError> {
        self.with(|c| {
            c.query_one(
                "SELECT count(*) FROM sessions WHERE user_id = ?",
                params![user_id],
                |r| r.get(0),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;
    use crate::access::NewUser;

    fn db_with_session() -> (Db, i64) {
        let db = Db::open_for_tests().unwrap();
        let new = NewUser {
            name: "sato".into(),
            roles: vec!["suido".into()],
            department: "水道課".into(),
            staff: true,
        };
        let u = db.add_user(&new, "h", 0).unwrap();
        db.create_session(u.id, &[7; 32], 1000, 1000 + 12 * 3600, None)
            .unwrap();
        (db, u.id)
    }

    #[rstest]
    #[case::fresh(1010, true)]
    #[case::active_within_idle(1000 + 29 * 60, true)]
    #[case::idle_too_long(1000 + 30 * 60, false)]
    #[case::past_expiry(1000 + 12 * 3600, false)]
    fn sessions_expire_by_age_and_idleness(#[case] now: i64, #[case] alive: bool) {
        let (db, _) = db_with_session();
        let id = db.session_identity(&[7; 32], now, 30 * 60).unwrap();
        assert_eq!(id.is_some(), alive);
        if let Some(id) = id {
            assert_eq!(id.user.roles, ["suido"]);
            assert!(id.principal().user.is_some());
        }
    }

    #[test]
    fn activity_keeps_a_session_alive_and_dead_ones_are_deleted() {
        let (db, uid) = db_with_session();
        // Active every 20 minutes for two hours: never idle for 30.
        for step in 1..=6 {
            let now = 1000 + step * 20 * 60;
            assert!(
                db.session_identity(&[7; 32], now, 30 * 60)
                    .unwrap()
                    .is_some()
            );
        }
        assert!(
            db.session_identity(&[7; 32], 1000 + 3 * 3600, 30 * 60)
                .unwrap()
                .is_none()
        );
        assert_eq!(db.session_count(uid).unwrap(), 0);
    }

    #[test]
    fn unknown_and_logged_out_sessions_resolve_to_nobody() {
        let (db, _) = db_with_session();
        assert!(db.session_identity(&[8; 32], 1001, 1800).unwrap().is_none());
        assert_eq!(db.delete_session(&[7; 32]).unwrap().unwrap().1, "sato");
        assert!(db.session_identity(&[7; 32], 1001, 1800).unwrap().is_none());
    }
}
