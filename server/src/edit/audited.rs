//! Every logged edit gets its audit row, even when writing the row failed after the edit
//! log's fsync (the edit stands: it was answered). A row that could not be written waits
//! in the layer's state and is retried by the applier; a fold never drops it from the log
//! while it waits, and at start every logged edit without a row (matched by its `seq`)
//! gets one, dated when the edit was made. Writing the missing rows twice is impossible:
//! they are looked up first, so replaying the same log again writes nothing.

use std::collections::HashSet;

use serde_json::json;

use super::log::Entry;
use crate::access::{Audit, AuditEvent, AuditFilter, AuditKind};

/// The most audit rows looked at when matching a log against the audit log.
const MATCH_ROWS: usize = 1_000_000;

/// An edit's audit row: who, the operation, and the attributes before and after.
pub fn event(layer: &str, entry: &Entry, etag: Option<&str>) -> AuditEvent {
    AuditEvent::new(AuditKind::Edit)
        .user(&entry.by)
        .layer(layer)
        .detail(json!({
            "id": entry.id,
            "op": entry.op.as_str(),
            "seq": entry.seq,
            "etag": etag,
            "before": entry.before,
            "after": entry.after,
        }))
}

/// An audit row that could not be written yet.
#[derive(Debug, Clone)]
pub struct Waiting {
    pub seq: u64,
    pub at: i64,
    pub event: AuditEvent,
}

/// Tries to write the waiting rows; keeps those that still fail.
pub fn retry(audit: &Audit, layer: &str, waiting: &mut Vec<Waiting>) {
    waiting.retain(|w| match audit.record_at_blocking(w.at, w.event.clone()) {
        Ok(()) => false,
        Err(e) => {
            tracing::warn!(layer, seq = w.seq, error = %e, "an edit's audit row still cannot be written");
            true
        }
    });
}

/// Writes the audit row of every logged edit that has none (at start). Returns how many
/// were written; the rows that cannot be written are left `waiting`.
pub fn recover(
    audit: &Audit,
    layer: &str,
    entries: &[Entry],
    etag: &dyn Fn(&Entry) -> Option<String>,
    waiting: &mut Vec<Waiting>,
) -> usize {
    let Some(from) = entries.iter().map(|e| e.at).min() else {
        return 0;
    };
    let filter = AuditFilter {
        layer: Some(layer.to_owned()),
        kind: Some(AuditKind::Edit.as_str().to_owned()),
        from: Some(from),
        limit: MATCH_ROWS,
        ..AuditFilter::default()
    };
    let seen: HashSet<u64> = match audit.query_blocking(&filter) {
        Ok(rows) => rows
            .iter()
            .filter_map(|r| r.detail["seq"].as_u64())
            .collect(),
        Err(e) => {
            tracing::error!(layer, error = %e, "cannot read the audit log to match the edit log");
            return 0;
        }
    };
    let mut written = 0;
    for e in entries.iter().filter(|e| !seen.contains(&e.seq)) {
        let mut event = event(layer, e, etag(e).as_deref());
        event.detail["recovered"] = json!(true);
        let mut one = vec![Waiting {
            seq: e.seq,
            at: e.at,
            event,
        }];
        retry(audit, layer, &mut one);
        if one.is_empty() {
            written += 1;
        }
        waiting.extend(one);
    }
    if written > 0 {
        tracing::warn!(
            layer,
            written,
            "wrote the missing audit rows of logged edits"
        );
    }
    written
}

/// How many of the first `upto` entries a fold may drop from the log: none from the first
/// one whose audit row is still waiting (the rest of the log is replayed in order, which
/// changes nothing in the folded version).
pub fn foldable(entries: &[Entry], upto: usize, waiting: &[Waiting]) -> usize {
    entries[..upto]
        .iter()
        .position(|e| waiting.iter().any(|w| w.seq == e.seq))
        .unwrap_or(upto)
}
