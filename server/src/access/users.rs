//! Users and their roles.

use serde::Serialize;

use super::sessions::user_from;
use super::sql::{Conn, Row, params};
use super::{AccessError, Db};
use crate::catalog::valid_role;

/// A user account. Contractors sign in but are not staff (`staff = false`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: i64,
    pub name: String,
    /// 課名, e.g. 水道課.
    pub department: String,
    pub staff: bool,
    pub disabled: bool,
    pub roles: Vec<String>,
    pub created_at: i64,
    /// Unix seconds when the account ends by itself (contractors), if ever.
    pub expires_at: Option<i64>,
}

impl User {
    /// True when the account may act: enabled and not past its expiry.
    pub fn active(&self, now: i64) -> bool {
        !self.disabled && self.expires_at.is_none_or(|e| now < e)
    }
}

/// What `kashimap user add` creates. The password is hashed before it reaches the database.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub name: String,
    pub roles: Vec<String>,
    pub department: String,
    pub staff: bool,
}

/// A user name: 1-64 ASCII letters, digits, `.`, `_`, `-` or `@`.
pub fn check_user_name(name: &str) -> Result<(), AccessError> {
    let ok = (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(())
    } else {
        Err(AccessError::invalid(
            "user name",
            name,
            "use 1-64 ASCII letters, digits, `.`, `_`, `-` or `@`",
        ))
    }
}

/// Role names follow the layer files' audience names; `public` and `staff` are not roles.
pub fn check_role(role: &str) -> Result<(), AccessError> {
    if role == "public" || role == "staff" {
        return Err(AccessError::invalid(
            "role",
            role,
            "`public` and `staff` are audiences, not roles (staff is --contractor's opposite)",
        ));
    }
    if role == "admin" || valid_role(role) {
        Ok(())
    } else {
        Err(AccessError::invalid(
            "role",
            role,
            "use lowercase letters, digits, `-` and `_`, starting with a letter",
        ))
    }
}

const USER_COLUMNS: &str = "id, name, department, is_staff, disabled, created_at, expires_at";

fn user_row(r: &Row<'_, '_>) -> Result<User, AccessError> {
    user_from(r, 0)
}

pub(crate) fn roles_of(c: &mut Conn<'_>, user_id: i64) -> Result<Vec<String>, AccessError> {
    c.query(
        "SELECT role FROM user_roles WHERE user_id = ? ORDER BY role",
        params![user_id],
        |r| r.get(0),
    )
}

fn insert_roles(c: &mut Conn<'_>, id: i64, roles: &[String]) -> Result<(), AccessError> {
    for role in roles {
        c.execute(
            "INSERT INTO user_roles (user_id, role) VALUES (?, ?) ON CONFLICT DO NOTHING",
            params![id, role],
        )?;
    }
    Ok(())
}

impl Db {
    /// Creates a user with an already hashed password.
    pub fn add_user(
        &self,
        new: &NewUser,
        password_hash: &str,
        now: i64,
    ) -> Result<User, AccessError> {
        check_user_name(&new.name)?;
        new.roles.iter().try_for_each(|r| check_role(r))?;
        self.write(|tx| {
            let exists =
                tx.query_opt("SELECT id FROM users WHERE name = ?", params![new.name], |r| {
                    r.get::<i64>(0)
                })?;
            if exists.is_some() {
                return Err(AccessError::UserExists(new.name.clone()));
            }
            let id = tx.query_one(
                "INSERT INTO users (name, password_hash, department, is_staff, created_at, password_changed_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5) RETURNING id",
                params![new.name, password_hash, new.department, new.staff, now],
                |r| r.get(0),
            )?;
            insert_roles(tx, id, &new.roles)
        })?;
        self.user(&new.name)?
            .ok_or_else(|| AccessError::NoSuchUser(new.name.clone()))
    }

    /// A user by name (case-insensitive), with roles.
    pub fn user(&self, name: &str) -> Result<Option<User>, AccessError> {
        self.with(|c| {
            let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE name = ?");
            let Some(mut user) = c.query_opt(&sql, params![name], user_row)? else {
                return Ok(None);
            };
            user.roles = roles_of(c, user.id)?;
            Ok(Some(user))
        })
    }

    /// A user and their password hash, for sign-in.
    pub fn user_with_hash(&self, name: &str) -> Result<Option<(User, String)>, AccessError> {
        let Some(user) = self.user(name)? else {
            return Ok(None);
        };
        let hash: String = self.with(|c| {
            c.query_one(
                "SELECT password_hash FROM users WHERE id = ?",
                params![user.id],
                |r| r.get(0),
            )
        })?;
        Ok(Some((user, hash)))
    }

    /// Every user, by name.
    pub fn users(&self) -> Result<Vec<User>, AccessError> {
        self.with(|c| {
            let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY name");
            let mut users = c.query(&sql, &[], user_row)?;
            for u in &mut users {
                u.roles = roles_of(c, u.id)?;
            }
            Ok(users)
        })
    }

    /// Replaces a password hash and ends the user's sessions, so a stolen cookie stops
    /// working when the password is changed.
    pub fn set_password(
        &self,
        name: &str,
        password_hash: &str,
        now: i64,
    ) -> Result<(), AccessError> {
        self.write(|tx| {
            let id = user_id(tx, name)?;
            tx.execute(
                "UPDATE users SET password_hash = ?, password_changed_at = ? WHERE id = ?",
                params![password_hash, now, id],
            )?;
            tx.execute("DELETE FROM sessions WHERE user_id = ?", params![id])?;
            Ok(())
        })
    }

    /// Disables (or re-enables) a user. Disabling ends every session at once; tokens stop
    /// working because sign-in checks `disabled` on every request.
    pub fn set_disabled(&self, name: &str, disabled: bool) -> Result<(), AccessError> {
        self.write(|tx| {
            let id = user_id(tx, name)?;
            tx.execute(
                "UPDATE users SET disabled = ? WHERE id = ?",
                params![disabled, id],
            )?;
            if disabled {
                tx.execute("DELETE FROM sessions WHERE user_id = ?", params![id])?;
            }
            Ok(())
        })
    }
}

impl Db {
    /// Replaces a user's roles (a 異動). Ends their sessions, so the new roles apply at
    /// the next sign-in and the old ones stop at once.
    pub fn set_roles(&self, name: &str, roles: &[String]) -> Result<(), AccessError> {
        roles.iter().try_for_each(|r| check_role(r))?;
        self.write(|tx| {
            let id = user_id(tx, name)?;
            tx.execute("DELETE FROM user_roles WHERE user_id = ?", params![id])?;
            insert_roles(tx, id, roles)?;
            tx.execute("DELETE FROM sessions WHERE user_id = ?", params![id])?;
            Ok(())
        })
    }

    /// Sets (or clears) the time an account ends by itself.
    pub fn set_expiry(&self, name: &str, expires_at: Option<i64>) -> Result<(), AccessError> {
        self.write(|tx| {
            let id = user_id(tx, name)?;
            tx.execute(
                "UPDATE users SET expires_at = ? WHERE id = ?",
                params![expires_at, id],
            )?;
            Ok(())
        })
    }

    /// Changes a user's department (課名).
    pub fn set_department(&self, name: &str, department: &str) -> Result<(), AccessError> {
        self.write(|tx| {
            let id = user_id(tx, name)?;
            tx.execute(
                "UPDATE users SET department = ? WHERE id = ?",
                params![department, id],
            )?;
            Ok(())
        })
    }
}

pub(crate) fn user_id(c: &mut Conn<'_>, name: &str) -> Result<i64, AccessError> {
    c.query_opt("SELECT id FROM users WHERE name = ?", params![name], |r| {
        r.get(0)
    })?
    .ok_or_else(|| AccessError::NoSuchUser(name.to_owned()))
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    fn new(name: &str, roles: &[&str]) -> NewUser {
        NewUser {
            name: name.into(),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            department: "水道課".into(),
            staff: true,
        }
    }

    #[test]
    fn users_are_created_once_and_found_case_insensitively() {
        let db = Db::open_for_tests().unwrap();
        let u = db
            .add_user(&new("Tanaka", &["suido", "admin"]), "h", 1)
            .unwrap();
        assert_eq!(u.roles, ["admin", "suido"]);
        assert_eq!(db.user("tanaka").unwrap().unwrap().id, u.id);
        assert!(matches!(
            db.add_user(&new("TANAKA", &[]), "h", 1),
            Err(AccessError::UserExists(_))
        ));
    }

    #[test]
    fn disabling_and_password_changes_end_sessions() {
        let db = Db::open_for_tests().unwrap();
        let u = db.add_user(&new("sato", &[]), "h", 1).unwrap();
        db.create_session(u.id, &[1; 32], 10, 100, None).unwrap();
        db.set_password("sato", "h2", 2).unwrap();
        assert_eq!(db.user_with_hash("sato").unwrap().unwrap().1, "h2");
        assert_eq!(db.session_count(u.id).unwrap(), 0);
        db.create_session(u.id, &[2; 32], 10, 100, None).unwrap();
        db.set_disabled("sato", true).unwrap();
        assert_eq!(db.session_count(u.id).unwrap(), 0);
        assert!(db.user("sato").unwrap().unwrap().disabled);
    }

    #[test]
    fn roles_are_replaced_and_expiry_ends_the_account() {
        let db = Db::open_for_tests().unwrap();
        let u = db.add_user(&new("ito", &["suido"]), "h", 1).unwrap();
        db.create_session(u.id, &[3; 32], 10, 100, None).unwrap();
        db.set_roles("ito", &["toshi".into(), "admin".into()])
            .unwrap();
        let u = db.user("ito").unwrap().unwrap();
        assert_eq!(u.roles, ["admin", "toshi"]);
        assert_eq!(
            db.session_count(u.id).unwrap(),
            0,
            "old roles end with the sessions"
        );
        assert!(db.set_roles("ito", &["Bad Role".into()]).is_err());
        assert!(matches!(
            db.set_roles("nobody", &[]),
            Err(AccessError::NoSuchUser(_))
        ));
        db.set_expiry("ito", Some(50)).unwrap();
        let u = db.user("ito").unwrap().unwrap();
        assert!(u.active(49) && !u.active(50));
        db.create_session(u.id, &[4; 32], 10, 100, None).unwrap();
        assert!(db.session_identity(&[4; 32], 20, 1000).unwrap().is_some());
        assert!(
            db.session_identity(&[4; 32], 60, 1000).unwrap().is_none(),
            "an expired account's session is refused"
        );
    }

    #[rstest]
    #[case("tanaka.t", true)]
    #[case("a@city.kashima.lg.jp", true)]
    #[case("", false)]
    #[case("田中", false)]
    #[case("with space", false)]
    fn user_names_are_checked(#[case] name: &str, #[case] ok: bool) {
        assert_eq!(check_user_name(name).is_ok(), ok);
    }

    #[rstest]
    #[case("suido", true)]
    #[case("admin", true)]
    #[case("bousai-lead", true)]
    #[case("staff", false)]
    #[case("public", false)]
    #[case("Suido", false)]
    fn roles_are_checked(#[case] role: &str, #[case] ok: bool) {
        assert_eq!(check_role(role).is_ok(), ok);
    }
}
