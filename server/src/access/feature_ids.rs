//! Feature ids handed out by single-feature edits: one counter per layer in the identity
//! database, so a new record never takes an id that named another record before (whose
//! history, photos and audit rows go by that id), across folds, layer re-creation,
//! restarts and primaries sharing one database.

use super::sql::params;
use super::{AccessError, Db};

impl Db {
    /// A fresh id for a new feature of `layer`: above every id the database handed out
    /// for it and above `floor` (the highest id the layer holds now). One atomic upsert.
    pub fn next_feature_id(&self, layer: &str, floor: u64) -> Result<u64, AccessError> {
        let floor = i64::try_from(floor)
            .map_err(|_| AccessError::invalid("feature id", &floor.to_string(), "too large"))?;
        let sql = format!(
            "INSERT INTO feature_ids (layer, last_id) VALUES (?1, ?2 + 1)
             ON CONFLICT (layer) DO UPDATE SET last_id = {} + 1
             RETURNING last_id",
            self.dialect().greatest("feature_ids.last_id", "?2")
        );
        let id: i64 = self.write(|c| c.query_one(&sql, params![layer, floor], |r| r.get(0)))?;
        u64::try_from(id)
            .map_err(|_| AccessError::invalid("feature id", &id.to_string(), "negative"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_only_go_up_per_layer() {
        let db = Db::open_for_tests().unwrap();
        assert_eq!(db.next_feature_id("leaks", 40).unwrap(), 41);
        assert_eq!(db.next_feature_id("leaks", 40).unwrap(), 42, "not 41 again");
        // The layer now holds less (records deleted, or the layer made again): still up.
        assert_eq!(db.next_feature_id("leaks", 0).unwrap(), 43);
        // The layer holds more than was handed out (an upload): above that.
        assert_eq!(db.next_feature_id("leaks", 100).unwrap(), 101);
        assert_eq!(db.next_feature_id("farmland", 60).unwrap(), 61, "per layer");
    }
}
