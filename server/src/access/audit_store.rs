//! The audit log table: append, query, prune. Nothing here updates or deletes a row except
//! [`Db::prune_audit`], and triggers in the schema refuse anything else.

use super::audit::{AuditEntry, AuditEvent};
use super::sql::{Row, ToValue, params};
use super::{AccessError, Db};

/// Which audit rows to return, newest first.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub user: Option<String>,
    pub layer: Option<String>,
    pub kind: Option<String>,
    /// Unix seconds, inclusive.
    pub from: Option<i64>,
    /// Unix seconds, exclusive.
    pub to: Option<i64>,
    /// Only rows with an id below this (paging backwards).
    pub before: Option<i64>,
    pub limit: usize,
}

fn entry_row(r: &Row<'_, '_>) -> Result<AuditEntry, AccessError> {
    let detail: String = r.get(7)?;
    Ok(AuditEntry {
        id: r.get(0)?,
        at: r.get(1)?,
        kind: r.get(2)?,
        user: r.get(3)?,
        credential: r.get(4)?,
        client_ip: r.get(5)?,
        layer: r.get(6)?,
        detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::String(detail)),
    })
}

impl Db {
    /// Appends events, all in one transaction.
    pub fn append_audit(&self, events: &[(i64, AuditEvent)]) -> Result<(), AccessError> {
        self.write(|tx| {
            for (at, e) in events {
                tx.execute(
                    "INSERT INTO audit_log (at, kind, \"user\", credential, client_ip, layer, detail)
                     VALUES (?, ?, ?, ?, ?, ?, ?)",
                    params![
                        at,
                        e.kind.as_str(),
                        e.user,
                        e.credential,
                        e.client_ip,
                        e.layer,
                        e.detail.to_string()
                    ],
                )?;
            }
            Ok(())
        })
    }

    /// Rows matching a filter, newest first.
    pub fn query_audit<'a>(&self, f: &'a AuditFilter) -> Result<Vec<AuditEntry>, AccessError> {
        let mut sql = String::from(
            "SELECT id, at, kind, \"user\", credential, client_ip, layer, detail FROM audit_log WHERE 1 = 1",
        );
        let limit = f.limit as i64;
        let mut args: Vec<&dyn ToValue> = Vec::new();
        let mut add = |clause: &str, v: &'a dyn ToValue| {
            sql.push_str(clause);
            args.push(v);
        };
        if let Some(u) = &f.user {
            add(" AND \"user\" = ? COLLATE NOCASE", u);
        }
        if let Some(l) = &f.layer {
            add(" AND layer = ?", l);
        }
        if let Some(k) = &f.kind {
            add(" AND kind = ?", k);
        }
        if let Some(t) = &f.from {
            add(" AND at >= ?", t);
        }
        if let Some(t) = &f.to {
            add(" AND at < ?", t);
        }
        if let Some(id) = &f.before {
            add(" AND id < ?", id);
        }
        sql.push_str(" ORDER BY id DESC LIMIT ?");
        args.push(&limit);
        self.with(|c| c.query(&sql, &args, entry_row))
    }

    /// Deletes rows older than `cutoff` (retention). Never touches rows younger than 30 days
    /// by the database's own clock, which the schema's trigger would refuse anyway.
    pub fn prune_audit(&self, cutoff: i64) -> Result<u64, AccessError> {
        self.with(|c| {
            let sql = format!(
                "DELETE FROM audit_log WHERE at < ? AND at < {} - 30 * 86400",
                c.dialect().now_secs()
            );
            c.execute(&sql, params![cutoff])
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::AuditKind;
    use crate::time::unix_now;

    fn db_with_rows() -> Db {
        let db = Db::open_for_tests().unwrap();
        let now = unix_now();
        let rows = [
            (
                now - 400 * 86_400,
                AuditEvent::new(AuditKind::Login).user("old"),
            ),
            (now - 60, AuditEvent::new(AuditKind::Login).user("tanaka")),
            (
                now,
                AuditEvent::new(AuditKind::Export)
                    .user("sato")
                    .layer("pipes"),
            ),
        ];
        db.append_audit(&rows).unwrap();
        db
    }

    #[test]
    fn rows_cannot_be_updated_or_deleted_young() {
        let db = db_with_rows();
        let update = db.with(|c| c.execute("UPDATE audit_log SET \"user\" = 'x'", &[]));
        assert!(update.unwrap_err().to_string().contains("append-only"));
        let delete = db.with(|c| c.execute("DELETE FROM audit_log WHERE \"user\" = 'tanaka'", &[]));
        assert!(delete.unwrap_err().to_string().contains("30 days"));
        assert_eq!(
            db.query_audit(&AuditFilter {
                limit: 10,
                ..AuditFilter::default()
            })
            .unwrap()
            .len(),
            3
        );
    }

    #[test]
    fn pruning_removes_only_rows_past_retention() {
        let db = db_with_rows();
        // Even a cutoff in the future leaves rows younger than 30 days alone.
        assert_eq!(db.prune_audit(unix_now() + 86_400).unwrap(), 1);
        let left = db
            .query_audit(&AuditFilter {
                limit: 10,
                ..AuditFilter::default()
            })
            .unwrap();
        assert_eq!(left.len(), 2);
    }

    #[test]
    fn filters_combine_and_newest_comes_first() {
        let db = db_with_rows();
        let all = db
            .query_audit(&AuditFilter {
                limit: 10,
                ..AuditFilter::default()
            })
            .unwrap();
        assert_eq!(all[0].user.as_deref(), Some("sato"));
        let f = AuditFilter {
            kind: Some("login".into()),
            from: Some(unix_now() - 3600),
            limit: 10,
            ..AuditFilter::default()
        };
        let found = db.query_audit(&f).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].user.as_deref(), Some("tanaka"));
        let paged = AuditFilter {
            before: Some(all[0].id),
            limit: 1,
            ..AuditFilter::default()
        };
        assert_eq!(db.query_audit(&paged).unwrap()[0].id, all[1].id);
    }
}
