//! The guard against an upload that wipes a layer: a publish that drops more than the
//! layer's `max_drop_percent` of its features needs an explicit confirmation, and a
//! confirmed one is recorded in the audit log.

use serde::Serialize;

use super::record::Record;
use super::{PublishError, Publisher};
use crate::access::{AuditEvent, AuditKind};
use crate::catalog::LayerDef;

/// How far a publish would shrink a layer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Drop {
    pub before: u64,
    pub after: u64,
    /// The share dropped, in percent.
    pub percent: f64,
    /// The layer's limit, in percent.
    pub limit_percent: f64,
}

/// The drop when it is over the layer's limit: an error without `confirmed`, else `Some`
/// (to be audited once the publish succeeds). `None` when within the limit.
pub fn check(
    p: &Publisher,
    def: &LayerDef,
    rec: &Record,
    confirmed: bool,
) -> Result<Option<Drop>, PublishError> {
    let before = p.layers.get(&def.id).map_or(0, |v| v.features.len() as u64);
    let after = rec.feature_count;
    if before == 0 || after >= before {
        return Ok(None);
    }
    let percent = (before - after) as f64 * 100.0 / before as f64;
    if percent <= def.max_drop_percent {
        return Ok(None);
    }
    let drop = Drop {
        before,
        after,
        percent,
        limit_percent: def.max_drop_percent,
    };
    if confirmed {
        Ok(Some(drop))
    } else {
        Err(PublishError::NeedsConfirmation {
            layer: def.id.clone(),
            drop,
        })
    }
}

/// Records a confirmed large drop: who, which upload, before and after.
pub fn audit_confirmed(p: &Publisher, who: &str, rec: &Record, d: &Drop) {
    tracing::info!(target: "audit", action = "upload.drop_confirmed", user = who, layer = %rec.layer, before = d.before, after = d.after, "upload.drop_confirmed");
    let event = AuditEvent::new(AuditKind::Publish)
        .user(who)
        .layer(&rec.layer)
        .detail(serde_json::json!({
            "action": "upload.drop_confirmed",
            "version": rec.version,
            "upload": rec.id,
            "file": rec.file_name,
            "before": d.before,
            "after": d.after,
            "percent": d.percent,
            "limit_percent": d.limit_percent,
        }));
    if let Err(e) = p.audit.record_blocking(event) {
        tracing::error!(error = %e, "cannot write the audit log");
    }
}
