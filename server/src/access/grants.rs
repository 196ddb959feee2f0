//! Web approval (決裁): access requests, their decisions, and the grants approvals create.

use serde::Serialize;
use serde_json::json;

use super::sql::{Conn, Row, params};
use super::users::user_id;
use super::{AccessError, Db, Grant};
use crate::catalog::AttributeRule;
use crate::time::rfc3339;

/// What a request asks for beyond what the requester already sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requested {
    /// The layer itself (for staff who cannot see it), with no extra attributes.
    Layer,
    /// Every attribute.
    All,
    /// These attributes.
    Only(Vec<String>),
}

impl Requested {
    /// The JSON form: `null`, `"*"` or a list of names.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Self::Layer => serde_json::Value::Null,
            Self::All => json!("*"),
            Self::Only(names) => json!(names),
        }
    }

    fn to_sql(&self) -> Option<String> {
        match self {
            Self::Layer => None,
            other => Some(other.to_json().to_string()),
        }
    }

    fn from_sql(text: Option<&str>) -> Self {
        let Some(text) = text else { return Self::Layer };
        match serde_json::from_str::<serde_json::Value>(text) {
            Ok(serde_json::Value::String(s)) if s == "*" => Self::All,
            Ok(serde_json::Value::Array(items)) => Self::Only(
                items
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect(),
            ),
            // Unreadable means "nothing extra": failing closed never widens a grant.
            _ => Self::Only(Vec::new()),
        }
    }

    /// The attribute rule a grant adds to the policy.
    pub fn rule(&self) -> AttributeRule {
        match self {
            Self::Layer => AttributeRule::Only(Vec::new()),
            Self::All => AttributeRule::All,
            Self::Only(names) => AttributeRule::Only(names.clone()),
        }
    }
}

/// The state of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pending,
    Approved,
    Rejected,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "approved" => Self::Approved,
            "rejected" => Self::Rejected,
            _ => Self::Pending,
        }
    }
}

/// One access request and, once decided, its decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessRequest {
    pub id: i64,
    pub user: String,
    pub layer: String,
    pub attributes: Requested,
    pub reason: String,
    pub days: u32,
    pub status: Status,
    pub created_at: i64,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    pub comment: Option<String>,
    /// When the grant an approval made ends.
    pub grant_expires_at: Option<i64>,
}

impl AccessRequest {
    /// The API's JSON form.
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "id": self.id,
            "user": self.user,
            "layer": self.layer,
            "attributes": self.attributes.to_json(),
            "reason": self.reason,
            "days": self.days,
            "status": self.status,
            "requested_at": rfc3339(self.created_at),
            "decided_by": self.decided_by,
            "decided_at": self.decided_at.map(rfc3339),
            "comment": self.comment,
            "grant_expires_at": self.grant_expires_at.map(rfc3339),
        })
    }
}

/// A request to be stored.
#[derive(Debug, Clone)]
pub struct NewRequest {
    pub user: String,
    pub layer: String,
    pub attributes: Requested,
    pub reason: String,
    pub days: u32,
}

/// Which pending requests to list.
#[derive(Debug, Clone)]
pub enum Pending<'a> {
    /// Every pending request (admins).
    All,
    /// Pending requests for these layers.
    Layers(&'a [String]),
}

const REQUEST_SELECT: &str = "
    SELECT r.id, u.name, r.layer, r.attributes, r.reason, r.days, r.status, r.created_at,
           d.name, r.decided_at, r.comment, g.expires_at
    FROM access_requests r
    JOIN users u ON u.id = r.user_id
    LEFT JOIN users d ON d.id = r.decided_by
    LEFT JOIN grants g ON g.request_id = r.id";

fn request_row(r: &Row<'_, '_>) -> Result<AccessRequest, AccessError> {
    let attributes: Option<String> = r.get(3)?;
    let status: String = r.get(6)?;
    Ok(AccessRequest {
        id: r.get(0)?,
        user: r.get(1)?,
        layer: r.get(2)?,
        attributes: Requested::from_sql(attributes.as_deref()),
        reason: r.get(4)?,
        days: r.get(5)?,
        status: Status::parse(&status),
        created_at: r.get(7)?,
        decided_by: r.get(8)?,
        decided_at: r.get(9)?,
        comment: r.get(10)?,
        grant_expires_at: r.get(11)?,
    })
}

/// The grants of a user in force at `now`.
pub(crate) fn active_grants(
    c: &mut Conn<'_>,
    user_id: i64,
    now: i64,
) -> Result<Vec<Grant>, AccessError> {
    c.query(
        "SELECT layer, attributes, expires_at FROM grants
         WHERE user_id = ?1 AND starts_at <= ?2 AND expires_at > ?2 ORDER BY id",
        params![user_id, now],
        |r| {
            let attributes: Option<String> = r.get(1)?;
            Ok(Grant {
                layer: r.get(0)?,
                attributes: Requested::from_sql(attributes.as_deref()).rule(),
                expires_at: r.get(2)?,
            })
        },
    )
}

impl Db {
    /// Stores a pending request.
    pub fn create_request(&self, new: &NewRequest, now: i64) -> Result<AccessRequest, AccessError> {
        let id =
            self.write(|tx| {
                let uid = user_id(tx, &new.user)?;
                tx.query_one(
                "INSERT INTO access_requests (user_id, layer, attributes, reason, days, created_at)
                 VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                params![uid, new.layer, new.attributes.to_sql(), new.reason, new.days, now],
                |r| r.get(0),
            )
            })?;
        self.request(id)?.ok_or(AccessError::NoSuchRequest(id))
    }

    pub fn request(&self, id: i64) -> Result<Option<AccessRequest>, AccessError> {
        self.with(|c| {
            c.query_opt(
                &format!("{REQUEST_SELECT} WHERE r.id = ?"),
                params![id],
                request_row,
            )
        })
    }

    /// A user's own requests, newest first.
    pub fn requests_of(&self, user: &str) -> Result<Vec<AccessRequest>, AccessError> {
        self.with(|c| {
            let sql = format!("{REQUEST_SELECT} WHERE u.name = ? ORDER BY r.id DESC");
            c.query(&sql, params![user], request_row)
        })
    }

    /// Pending requests, oldest first, excluding `except_user`'s own.
    pub fn pending_requests(
        &self,
        which: &Pending<'_>,
        except_user: &str,
    ) -> Result<Vec<AccessRequest>, AccessError> {
        self.with(|c| {
            let sql = format!(
                "{REQUEST_SELECT} WHERE r.status = 'pending' AND u.name <> ? ORDER BY r.id"
            );
            let all = c.query(&sql, params![except_user], request_row)?;
            Ok(match which {
                Pending::All => all,
                Pending::Layers(layers) => all
                    .into_iter()
                    .filter(|r| layers.contains(&r.layer))
                    .collect(),
            })
        })
    }

    /// Approves or rejects a pending request. An approval creates a grant from `now` for
    /// the requested number of days, in the same transaction. Of two deciders at the same
    /// moment (on two primaries), only the first changes the request; the other is told it
    /// is already decided.
    pub fn decide_request(
        &self,
        id: i64,
        decider: &str,
        approve: bool,
        comment: Option<&str>,
        now: i64,
    ) -> Result<AccessRequest, AccessError> {
        self.write(|tx| {
            let current = tx
                .query_opt(&format!("{REQUEST_SELECT} WHERE r.id = ?"), params![id], request_row)?
                .ok_or(AccessError::NoSuchRequest(id))?;
            let decided = |status: Status| AccessError::AlreadyDecided { id, status: status.as_str().into() };
            if current.status != Status::Pending {
                return Err(decided(current.status));
            }
            let decider_id = user_id(tx, decider)?;
            let status = if approve { Status::Approved } else { Status::Rejected };
            let changed = tx.execute(
                "UPDATE access_requests SET status = ?, decided_by = ?, decided_at = ?, comment = ?
                 WHERE id = ? AND status = 'pending'",
                params![status.as_str(), decider_id, now, comment, id],
            )?;
            if changed == 0 {
                return Err(decided(status));
            }
            if approve {
                tx.execute(
                    "INSERT INTO grants (request_id, user_id, layer, attributes, starts_at, expires_at, granted_by)
                     SELECT id, user_id, layer, attributes, ?1, ?1 + days * 86400, ?2
                     FROM access_requests WHERE id = ?3",
                    params![now, decider_id, id],
                )?;
            }
            Ok(())
        })?;
        self.request(id)?.ok_or(AccessError::NoSuchRequest(id))
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;
    use crate::access::NewUser;

    fn db() -> Db {
        let db = Db::open_for_tests().unwrap();
        for (name, role) in [("c1", "contractor"), ("lead", "suido-lead")] {
            let new = NewUser {
                name: name.into(),
                roles: vec![role.into()],
                department: String::new(),
                staff: name != "c1",
            };
            db.add_user(&new, "h", 0).unwrap();
        }
        db
    }

    fn request(db: &Db, attributes: Requested) -> AccessRequest {
        let new = NewRequest {
            user: "c1".into(),
            layer: "pipes".into(),
            attributes,
            reason: "工事のため".into(),
            days: 2,
        };
        db.create_request(&new, 1000).unwrap()
    }

    #[test]
    fn an_approval_creates_a_grant_for_the_period() {
        let db = db();
        let r = request(&db, Requested::Only(vec!["深さ".into()]));
        assert_eq!(r.status, Status::Pending);
        let uid = db.user("c1").unwrap().unwrap().id;
        assert!(db.with(|c| active_grants(c, uid, 1500)).unwrap().is_empty());
        let d = db
            .decide_request(r.id, "lead", true, Some("ok"), 2000)
            .unwrap();
        assert_eq!(d.status, Status::Approved);
        assert_eq!(d.decided_by.as_deref(), Some("lead"));
        assert_eq!(d.grant_expires_at, Some(2000 + 2 * 86400));
        let grants = db.with(|c| active_grants(c, uid, 2001)).unwrap();
        assert_eq!(
            grants[0].attributes,
            AttributeRule::Only(vec!["深さ".into()])
        );
        assert!(
            db.with(|c| active_grants(c, uid, 2000 + 2 * 86400))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn a_decided_request_cannot_be_decided_again() {
        let db = db();
        let r = request(&db, Requested::All);
        db.decide_request(r.id, "lead", false, Some("no"), 2000)
            .unwrap();
        let again = db.decide_request(r.id, "lead", true, None, 2001);
        assert!(matches!(again, Err(AccessError::AlreadyDecided { .. })));
        let uid = db.user("c1").unwrap().unwrap().id;
        assert!(db.with(|c| active_grants(c, uid, 2002)).unwrap().is_empty());
    }

    #[test]
    fn pending_lists_filter_by_layer_and_skip_ones_own() {
        let db = db();
        request(&db, Requested::Layer);
        let pipes = ["pipes".to_owned()];
        let roads = ["roads".to_owned()];
        assert_eq!(
            db.pending_requests(&Pending::Layers(&pipes), "lead")
                .unwrap()
                .len(),
            1
        );
        assert!(
            db.pending_requests(&Pending::Layers(&roads), "lead")
                .unwrap()
                .is_empty()
        );
        assert!(db.pending_requests(&Pending::All, "c1").unwrap().is_empty());
        assert_eq!(db.requests_of("c1").unwrap().len(), 1);
    }

    #[rstest]
    #[case(Requested::Layer)]
    #[case(Requested::All)]
    #[case(Requested::Only(vec!["口径".into(), "深さ".into()]))]
    fn requested_attributes_round_trip(#[case] r: Requested) {
        assert_eq!(Requested::from_sql(r.to_sql().as_deref()), r);
    }
}
