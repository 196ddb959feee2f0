//! A publish or rollback and its audit row commit together: the intent is written to the
//! audit log before the store switches, and the outcome after. A process killed between the
//! two leaves an intent without an outcome; [`reconcile`] at the next start reads the store
//! and records what really happened, under the intent's user, marked `recovered`.

use super::{PublishError, Publisher};
use crate::access::{AuditEvent, AuditFilter, AuditKind};

/// What is being switched: a staged upload's publish, or a rollback to a version.
#[derive(Debug, Clone, Copy)]
pub enum Switch<'a> {
    Publish { upload: &'a str },
    Rollback,
}

impl Switch<'_> {
    fn kind(self) -> AuditKind {
        match self {
            Self::Publish { .. } => AuditKind::Publish,
            Self::Rollback => AuditKind::Rollback,
        }
    }

    fn action(self) -> &'static str {
        match self {
            Self::Publish { .. } => "upload.publishing",
            Self::Rollback => "version.activating",
        }
    }
}

/// Writes the intent to switch `layer` to `version`. A publish whose intent cannot be
/// written does not happen.
pub fn begin(
    p: &Publisher,
    switch: Switch<'_>,
    who: &str,
    layer: &str,
    version: u64,
) -> Result<(), PublishError> {
    let upload = match switch {
        Switch::Publish { upload } => upload,
        Switch::Rollback => "",
    };
    let event = AuditEvent::new(switch.kind())
        .user(who)
        .layer(layer)
        .detail(serde_json::json!({
            "action": switch.action(),
            "state": "intent",
            "version": version,
            "upload": upload,
        }));
    p.audit.record_blocking(event).map_err(PublishError::Audit)
}

/// Records that a switch whose intent was written did not happen (it failed cleanly).
pub fn abandoned(p: &Publisher, switch: Switch<'_>, who: &str, layer: &str, version: u64) {
    let action = match switch {
        Switch::Publish { .. } => "upload.publish_abandoned",
        Switch::Rollback => "version.activate_abandoned",
    };
    let event = AuditEvent::new(switch.kind())
        .user(who)
        .layer(layer)
        .detail(serde_json::json!({ "action": action, "version": version }));
    if let Err(e) = p.audit.record_blocking(event) {
        tracing::error!(error = %e, action, "cannot write the audit log");
    }
}

/// At start, before anything is published: every layer whose newest publish or rollback row
/// is an intent gets its outcome recorded — done when the store's current version is the
/// intended one, else abandoned.
pub fn reconcile(p: &Publisher) {
    for def in p.layers.catalog().layers() {
        if let Err(e) = reconcile_layer(p, &def.id) {
            tracing::error!(layer = %def.id, error = %e, "cannot reconcile the audit log");
        }
    }
}

fn reconcile_layer(p: &Publisher, layer: &str) -> Result<(), PublishError> {
    let newest = |kind: AuditKind| {
        p.audit.query_blocking(&AuditFilter {
            layer: Some(layer.to_owned()),
            kind: Some(kind.as_str().to_owned()),
            limit: 1,
            ..AuditFilter::default()
        })
    };
    let audit = PublishError::Audit;
    let rows = [
        newest(AuditKind::Publish).map_err(audit)?,
        newest(AuditKind::Rollback).map_err(audit)?,
    ];
    let Some(last) = rows.into_iter().flatten().max_by_key(|r| r.id) else {
        return Ok(());
    };
    if last.detail["state"] != "intent" {
        return Ok(());
    }
    let version = last.detail["version"].as_u64();
    let done = version.is_some() && p.store.current(layer)? == version;
    let action = match (last.detail["action"].as_str(), done) {
        (Some("upload.publishing"), true) => "upload.published",
        (Some("upload.publishing"), false) => "upload.publish_abandoned",
        (_, true) => "version.activated",
        (_, false) => "version.activate_abandoned",
    };
    tracing::warn!(
        layer,
        action,
        ?version,
        "recording the outcome of an interrupted switch"
    );
    let kind = AuditKind::parse(&last.kind).unwrap_or(AuditKind::Publish);
    let mut event = AuditEvent::new(kind)
        .layer(layer)
        .detail(serde_json::json!({
            "action": action,
            "version": version,
            "upload": last.detail["upload"],
            "recovered": true,
            "intent": last.id,
        }));
    event.user = last.user;
    p.audit.record_blocking(event).map_err(audit)
}
