//! API tokens for scripts, QGIS and GDAL: `Authorization: Bearer kmap_…`. Stored only as
//! SHA-256; they may expire and can be revoked.

use serde::Serialize;

use super::sessions::{JOINED_USER, TOUCH_EVERY_SECS, identity, user_from};
use super::sql::{Row, params};
use super::users::user_id;
use super::{AccessError, Credential, Db, Identity};

/// What is known about a token (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenInfo {
    pub id: i64,
    pub user: String,
    pub label: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub last_used: Option<i64>,
}

const TOKEN_COLUMNS: &str =
    "t.id, u.name, t.label, t.created_at, t.expires_at, t.revoked_at, t.last_used";

fn token_row(r: &Row<'_, '_>) -> Result<TokenInfo, AccessError> {
    Ok(TokenInfo {
        id: r.get(0)?,
        user: r.get(1)?,
        label: r.get(2)?,
        created_at: r.get(3)?,
        expires_at: r.get(4)?,
        revoked_at: r.get(5)?,
        last_used: r.get(6)?,
    })
}

/// Why a bearer token did not resolve; all of them answer the same 401.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRefusal {
    Unknown,
    Expired,
    Revoked,
    UserDisabled,
}

impl Db {
    /// Stores a token's hash for a user.
    pub fn create_token(
        &self,
        user: &str,
        secret_hash: &[u8],
        label: &str,
        now: i64,
        expires_at: Option<i64>,
    ) -> Result<TokenInfo, AccessError> {
        let id = self.write(|tx| {
            let uid = user_id(tx, user)?;
            tx.query_one(
                "INSERT INTO api_tokens (secret_hash, user_id, label, created_at, expires_at)
                 VALUES (?, ?, ?, ?, ?) RETURNING id",
                params![secret_hash, uid, label, now, expires_at],
                |r| r.get(0),
            )
        })?;
        self.token(id)
    }

    /// One token's record.
    pub fn token(&self, id: i64) -> Result<TokenInfo, AccessError> {
        self.with(|c| {
            let sql = format!(
                "SELECT {TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.id = ?"
            );
            c.query_opt(&sql, params![id], token_row)?
                .ok_or(AccessError::NoSuchToken(id))
        })
    }

    /// Every token, newest first.
    pub fn tokens(&self) -> Result<Vec<TokenInfo>, AccessError> {
        self.with(|c| {
            let sql = format!(
                "SELECT {TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id ORDER BY t.id DESC"
            );
            c.query(&sql, &[], token_row)
        })
    }

    /// Revokes a token (idempotent: the first revocation time is kept).
    pub fn revoke_token(&self, id: i64, now: i64) -> Result<TokenInfo, AccessError> {
        let changed = self.with(|c| {
            c.execute(
                "UPDATE api_tokens SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?",
                params![now, id],
            )
        })?;
        if changed == 0 {
            return Err(AccessError::NoSuchToken(id));
        }
        self.token(id)
    }

    /// The identity behind a bearer token, or why there is none.
    pub fn token_identity(
        &self,
        secret_hash: &[u8],
        now: i64,
    ) -> Result<Result<Identity, TokenRefusal>, AccessError> {
        self.with(|c| {
            let sql = format!(
                "SELECT t.id, t.expires_at, t.revoked_at, t.last_used, {JOINED_USER}
                 FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.secret_hash = ?"
            );
            let row = c.query_opt(&sql, params![secret_hash], |r| {
                let t: (i64, Option<i64>, Option<i64>, Option<i64>) =
                    (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
                Ok((t, user_from(r, 4)?))
            })?;
            let Some(((id, expires_at, revoked_at, last_used), user)) = row else {
                return Ok(Err(TokenRefusal::Unknown));
            };
            let refusal = if revoked_at.is_some() {
                Some(TokenRefusal::Revoked)
            } else if expires_at.is_some_and(|e| now >= e) {
                Some(TokenRefusal::Expired)
            } else if !user.active(now) {
                Some(TokenRefusal::UserDisabled)
            } else {
                None
            };
            if let Some(r) = refusal {
                return Ok(Err(r));
            }
            if last_used.is_none_or(|t| now - t >= TOUCH_EVERY_SECS) {
                c.execute(
                    "UPDATE api_tokens SET last_used = ? WHERE id = ?",
                    params![now, id],
                )?;
            }
            identity(c, user, Credential::Token(id), expires_at, now).map(Ok)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::NewUser;

    fn db() -> Db {
        let db = Db::open_for_tests().unwrap();
        let new = NewUser {
            name: "script".into(),
            roles: vec!["toshi".into()],
            department: String::new(),
            staff: true,
        };
        db.add_user(&new, "h", 0).unwrap();
        db
    }

    #[test]
    fn tokens_resolve_until_they_expire_or_are_revoked() {
        let db = db();
        let t = db
            .create_token("script", &[1; 32], "qgis", 100, Some(200))
            .unwrap();
        let ok = db.token_identity(&[1; 32], 150).unwrap().unwrap();
        assert_eq!(ok.user.name, "script");
        assert_eq!(ok.credential, Credential::Token(t.id));
        assert_eq!(
            db.token_identity(&[1; 32], 200).unwrap(),
            Err(TokenRefusal::Expired)
        );
        assert_eq!(
            db.token_identity(&[2; 32], 150).unwrap(),
            Err(TokenRefusal::Unknown)
        );
        let revoked = db.revoke_token(t.id, 160).unwrap();
        assert_eq!(revoked.revoked_at, Some(160));
        assert_eq!(
            db.token_identity(&[1; 32], 170).unwrap(),
            Err(TokenRefusal::Revoked)
        );
        assert!(matches!(
            db.revoke_token(99, 1),
            Err(AccessError::NoSuchToken(99))
        ));
    }

    #[test]
    fn a_disabled_users_tokens_stop_working() {
        let db = db();
        db.create_token("script", &[1; 32], "", 100, None).unwrap();
        db.set_disabled("script", true).unwrap();
        assert_eq!(
            db.token_identity(&[1; 32], 150).unwrap(),
            Err(TokenRefusal::UserDisabled)
        );
    }
}
