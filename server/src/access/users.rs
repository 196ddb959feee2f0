//! Users and their roles.

use rusqlite::{OptionalExtension as _, Row, params};
use serde::Serialize;

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

fn user_row(r: &Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: r.get(0)?,
        name: r.get(1)?,
        department: r.get(2)?,
        staff: r.get(3)?,
        disabled: r.get(4)?,
        roles: Vec::new(),
        created_at: r.get(5)?,
        expires_at: r.get(6)?,
    })
}

pub(crate) fn roles_of(conn: &rusqlite::Connection, user_id: i64) -> rusqlite::Result<Vec<String>> {
    let mut st =
        conn.prepare_cached("SELECT role FROM user_roles WHERE user_id = ? ORDER BY role")?;
    st.query_map([user_id], |r| r.get(0))?.collect()
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
            let exists: Option<i64> = tx
                .query_row("SELECT id FROM users WHERE name = ?", [&new.name], |r| r.get(0))
                .optional()?;
            if exists.is_some() {
                return Err(AccessError::UserExists(new.name.clone()));
            }
            tx.execute(
                "INSERT INTO users (name, password_hash, department, is_staff, created_at, password_changed_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                params![new.name, password_hash, new.department, new.staff, now],
            )?;
            let id = tx.last_insert_rowid();
            for role in &new.roles {
                tx.execute(
                    "INSERT OR IGNORE INTO user_roles (user_id, role) VALUES (?, ?)",
                    params![id, role],
                )?;
            }
            Ok(())
        })?;
        self.user(&new.name)?
            .ok_or_else(|| AccessError::NoSuchUser(new.name.clone()))
    }

    /// A user by name (case-insensitive), with roles.
    pub fn user(&self, name: &str) -> Result<Option<User>, AccessError> {
        self.with(|c| {
            let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE name = ?");
            let Some(mut user) = c.query_row(&sql, [name], user_row).optional()? else {
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
            Ok(c.query_row(
                "SELECT password_hash FROM users WHERE id = ?",
                [user.id],
                |r| r.get(0),
            )?)
        })?;
        Ok(Some((user, hash)))
    }

    /// Every user, by name.
    pub fn users(&self) -> Result<Vec<User>, AccessError> {
        self.with(|c| {
            let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY name");
            let mut st = c.prepare(&sql)?;
            let mut users: Vec<User> = st.query_map([], user_row)?.collect::<Result<_, _>>()?;
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
            tx.execute("DELETE FROM sessions WHERE user_id = ?", [id])?;
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
                tx.execute("DELETE FROM sessions WHERE user_id = ?", [id])?;
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
            tx.execute("DELETE FROM user_roles WHERE user_id = ?", [id])?;
            for role in roles {
                tx.execute(
                    "INSERT OR IGNORE INTO user_roles (user_id, role) VALUES (?, ?)",
                    params![id, role],
                )?;
            }
            tx.execute("DELETE FROM sessions WHERE user_id = ?", [id])?;
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

pub(crate) fn user_id(conn: &rusqlite::Connection, name: &str) -> Result<i64, AccessError> {
    conn.query_row("SELECT id FROM users WHERE name = ?", [name], |r| r.get(0))
        .optional()?
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
        let db = Db::open_in_memory().unwrap();
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
        let db = Db::open_in_memory().unwrap();
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
        let db = Db::open_in_memory().unwrap();
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
