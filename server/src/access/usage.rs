//! Usage per day and layer from the audit log: prints, restricted-view requests and
//! exports, to show a department whether counter visits fall as staff print for themselves.

use serde::Serialize;

use super::sql::params;
use super::{AccessError, Db};

/// One day's use of one layer (days are Japan's calendar days).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UsageRow {
    /// `YYYY-MM-DD` in Japan time.
    pub day: String,
    pub layer: String,
    pub prints: i64,
    /// Requests that showed the layer beyond its public view (tiles, items, …).
    pub requests: i64,
    pub exports: i64,
}

impl Db {
    /// Usage per day and layer between `from` (inclusive) and `to` (exclusive), Unix seconds.
    pub fn usage(&self, from: i64, to: i64) -> Result<Vec<UsageRow>, AccessError> {
        self.with(|c| {
            let d = c.dialect();
            // Japan is UTC+9 all year: its calendar day is the UTC day of `at + 9 h`.
            let sql = format!(
                "SELECT {day} AS day, layer,
                        CAST(SUM(CASE WHEN kind = 'print' THEN 1 ELSE 0 END) AS BIGINT),
                        CAST(SUM(CASE WHEN kind = 'view' THEN COALESCE({requests}, 1) ELSE 0 END) AS BIGINT),
                        CAST(SUM(CASE WHEN kind = 'export' THEN 1 ELSE 0 END) AS BIGINT)
                 FROM audit_log
                 WHERE kind IN ('print', 'view', 'export') AND layer IS NOT NULL
                   AND at >= ?1 AND at < ?2
                 GROUP BY day, layer ORDER BY day, layer",
                day = d.utc_day("at + 32400"),
                requests = d.json_int("detail", "requests"),
            );
            c.query(&sql, params![from, to], |r| {
                Ok(UsageRow {
                    day: r.get(0)?,
                    layer: r.get(1)?,
                    prints: r.get(2)?,
                    requests: r.get(3)?,
                    exports: r.get(4)?,
                })
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::{AuditEvent, AuditKind};

    #[test]
    fn prints_and_views_are_counted_per_japan_day_and_layer() {
        let db = Db::open_for_tests().unwrap();
        let print = |layer: &str| AuditEvent::new(AuditKind::Print).user("a").layer(layer);
        let view = AuditEvent::new(AuditKind::View)
            .user("a")
            .layer("pipes")
            .detail(serde_json::json!({ "requests": 40 }));
        // 2026-04-01 14:00 UTC is 23:00 in Japan; 16:00 UTC is already 2 April there.
        let day = 1_775_001_600 + 14 * 3600;
        db.append_audit(&[
            (day, print("pipes")),
            (day + 60, view),
            (day + 2 * 3600, print("pipes")),
            (day + 2 * 3600, print("sewers")),
        ])
        .unwrap();
        let rows = db.usage(0, i64::MAX).unwrap();
        let got: Vec<(&str, &str, i64, i64)> = rows
            .iter()
            .map(|r| (r.day.as_str(), r.layer.as_str(), r.prints, r.requests))
            .collect();
        assert_eq!(
            got,
            [
                ("2026-04-01", "pipes", 1, 40),
                ("2026-04-02", "pipes", 1, 0),
                ("2026-04-02", "sewers", 1, 0)
            ]
        );
    }
}
