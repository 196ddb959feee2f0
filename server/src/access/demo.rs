//! The demo accounts `kashimap demo-users` creates on request (never by default), one per
//! role, as documented in `docs/security.md`.

use super::{Access, AccessError, NewUser, secret};

/// One demo account: name, roles, department, staff or contractor.
#[derive(Debug, Clone, Copy)]
pub struct DemoUser {
    pub name: &'static str,
    pub roles: &'static [&'static str],
    pub department: &'static str,
    pub staff: bool,
}

/// The demo accounts. Names start with `demo-` so they stand out in the audit log.
pub const DEMO_USERS: &[DemoUser] = &[
    DemoUser {
        name: "demo-staff",
        roles: &[],
        department: "企画課",
        staff: true,
    },
    DemoUser {
        name: "demo-suido",
        roles: &["suido"],
        department: "水道課",
        staff: true,
    },
    DemoUser {
        name: "demo-kensetsu",
        roles: &["kensetsu"],
        department: "建設課",
        staff: true,
    },
    DemoUser {
        name: "demo-bunka",
        roles: &["bunka"],
        department: "生涯学習課",
        staff: true,
    },
    DemoUser {
        name: "demo-toshi",
        roles: &["toshi"],
        department: "都市建設課",
        staff: true,
    },
    DemoUser {
        name: "demo-bousai",
        roles: &["bousai"],
        department: "総務課",
        staff: true,
    },
    DemoUser {
        name: "demo-contractor",
        roles: &["contractor"],
        department: "委託業者",
        staff: false,
    },
    DemoUser {
        name: "demo-admin",
        roles: &["admin"],
        department: "情報政策担当",
        staff: true,
    },
];

/// What happened to one demo account.
#[derive(Debug, Clone)]
pub enum DemoOutcome {
    /// Created with this password (shown once).
    Created(String),
    /// Already there; left unchanged.
    Exists,
}

impl Access {
    /// Creates every missing demo account. With `password`, all get it; otherwise each
    /// gets its own random password.
    pub fn create_demo_users(
        &self,
        password: Option<&str>,
    ) -> Result<Vec<(DemoUser, DemoOutcome)>, AccessError> {
        let mut out = Vec::new();
        for demo in DEMO_USERS {
            if self.db.user(demo.name)?.is_some() {
                out.push((*demo, DemoOutcome::Exists));
                continue;
            }
            let password = match password {
                Some(p) => p.to_owned(),
                None => secret::random_hex()?[..20].to_owned(),
            };
            let new = NewUser {
                name: demo.name.to_owned(),
                roles: demo.roles.iter().map(|r| (*r).to_owned()).collect(),
                department: demo.department.to_owned(),
                staff: demo.staff,
            };
            self.add_user(&new, &password)?;
            out.push((*demo, DemoOutcome::Created(password)));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Db;
    use crate::config::AuthConfig;

    #[test]
    fn demo_users_are_created_once_with_their_roles() {
        let access = Access::with_db(Db::open_for_tests().unwrap(), &AuthConfig::default());
        let first = access.create_demo_users(None).unwrap();
        assert!(
            first
                .iter()
                .all(|(_, o)| matches!(o, DemoOutcome::Created(p) if p.len() == 20))
        );
        let again = access.create_demo_users(Some("0123456789ab")).unwrap();
        assert!(again.iter().all(|(_, o)| matches!(o, DemoOutcome::Exists)));
        let contractor = access.db.user("demo-contractor").unwrap().unwrap();
        assert!(!contractor.staff);
        assert_eq!(contractor.roles, ["contractor"]);
    }
}
