//! The audit log: who signed in, viewed restricted layers, exported, uploaded, published,
//! rolled back, asked for, was granted or refused access, and who made or revoked tokens.
//!
//! Views are counted in memory per (user, credential, layer, hour) and written in batches by
//! [`Audit::flush_views`], so a tile storm costs a hash-map increment per tile, not a row.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use serde::Serialize;
use serde_json::json;

use super::{AccessError, AuditFilter, Clock, Db, LayerView, Principal};
use crate::time::rfc3339;

/// What happened. Stored as its `as_str` text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuditKind {
    Login,
    LoginFailure,
    Logout,
    /// Restricted layer views, aggregated per hour.
    View,
    Export,
    Upload,
    Publish,
    Rollback,
    AccessRequest,
    /// An approved request (a grant).
    Grant,
    /// A rejected request.
    Refusal,
    /// A signed-in user was refused an action (e.g. approving their own request).
    Forbidden,
    TokenCreate,
    TokenRevoke,
    UserAdd,
    UserChange,
    /// A feature created, replaced, updated or deleted (`edit`), with before and after.
    Edit,
    /// A printed map that shows a restricted layer (one row per such layer).
    Print,
    /// A layer created or removed by an administrator (`layer.created`, `layer.removed`).
    Layer,
}

impl AuditKind {
    pub const ALL: [Self; 19] = [
        Self::Login,
        Self::LoginFailure,
        Self::Logout,
        Self::View,
        Self::Export,
        Self::Upload,
        Self::Publish,
        Self::Rollback,
        Self::AccessRequest,
        Self::Grant,
        Self::Refusal,
        Self::Forbidden,
        Self::TokenCreate,
        Self::TokenRevoke,
        Self::UserAdd,
        Self::UserChange,
        Self::Edit,
        Self::Print,
        Self::Layer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::LoginFailure => "login_failure",
            Self::Logout => "logout",
            Self::View => "view",
            Self::Export => "export",
            Self::Upload => "upload",
            Self::Publish => "publish",
            Self::Rollback => "rollback",
            Self::AccessRequest => "access_request",
            Self::Grant => "grant",
            Self::Refusal => "refusal",
            Self::Forbidden => "forbidden",
            Self::TokenCreate => "token_create",
            Self::TokenRevoke => "token_revoke",
            Self::UserAdd => "user_add",
            Self::UserChange => "user_change",
            Self::Edit => "edit",
            Self::Print => "print",
            Self::Layer => "layer",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One event to append. Build with [`AuditEvent::new`] and the setters.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    pub kind: AuditKind,
    pub user: Option<String>,
    pub credential: Option<String>,
    pub client_ip: Option<String>,
    pub layer: Option<String>,
    pub detail: serde_json::Value,
}

impl AuditEvent {
    pub fn new(kind: AuditKind) -> Self {
        Self {
            kind,
            user: None,
            credential: None,
            client_ip: None,
            layer: None,
            detail: json!({}),
        }
    }

    /// The acting principal: its user name and credential.
    pub fn by(mut self, principal: &Principal) -> Self {
        self.user.clone_from(&principal.user);
        self.credential = principal.credential.map(|c| c.to_string());
        self
    }

    pub fn user(mut self, name: &str) -> Self {
        self.user = Some(name.to_owned());
        self
    }

    pub fn ip(mut self, ip: Option<&str>) -> Self {
        self.client_ip = ip.map(str::to_owned);
        self
    }

    pub fn layer(mut self, layer: &str) -> Self {
        self.layer = Some(layer.to_owned());
        self
    }

    pub fn detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = detail;
        self
    }
}

/// A stored audit row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: i64,
    pub kind: String,
    pub user: Option<String>,
    pub credential: Option<String>,
    pub client_ip: Option<String>,
    pub layer: Option<String>,
    pub detail: serde_json::Value,
}

impl AuditEntry {
    /// The API's JSON form (times as RFC 3339).
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "id": self.id,
            "at": rfc3339(self.at),
            "kind": self.kind,
            "user": self.user,
            "credential": self.credential,
            "client_ip": self.client_ip,
            "layer": self.layer,
            "detail": self.detail,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ViewKey {
    user: String,
    credential: Option<String>,
    layer: String,
    hour: i64,
}

#[derive(Debug, Clone, Copy)]
struct ViewCount {
    requests: u64,
    first: i64,
    last: i64,
}

/// The audit log: appends events and aggregates views.
#[derive(Debug)]
pub struct Audit {
    db: Db,
    clock: Arc<Clock>,
    views: Mutex<HashMap<ViewKey, ViewCount>>,
}

impl Audit {
    pub fn new(db: Db, clock: Arc<Clock>) -> Self {
        Self {
            db,
            clock,
            views: Mutex::default(),
        }
    }

    /// Counts one request that showed `principal` a restricted layer. Cheap enough for
    /// every tile: call it whenever the view served was not the public one (`!view.public`);
    /// anonymous principals are never counted.
    pub fn record_view(&self, principal: &Principal, layer: &str) {
        let Some(user) = &principal.user else { return };
        let now = self.clock.now();
        let key = ViewKey {
            user: user.clone(),
            credential: principal.credential.map(|c| c.to_string()),
            layer: layer.to_owned(),
            hour: now - now.rem_euclid(3600),
        };
        let mut views = self.lock_views();
        let count = views.entry(key).or_insert(ViewCount {
            requests: 0,
            first: now,
            last: now,
        });
        count.requests += 1;
        count.last = now;
    }

    /// [`Audit::record_view`] when `view` shows more than the public sees.
    pub fn record_view_of(&self, principal: &Principal, view: &LayerView) {
        if !view.public {
            self.record_view(principal, view.layer.id());
        }
    }

    /// Writes the counted views as `view` rows and forgets them. Blocking; the server calls
    /// it every `audit_flush_secs` and at shutdown. Returns the rows written.
    pub fn flush_views(&self) -> Result<usize, AccessError> {
        let taken = std::mem::take(&mut *self.lock_views());
        if taken.is_empty() {
            return Ok(0);
        }
        let events: Vec<(i64, AuditEvent)> = taken
            .iter()
            .map(|(k, c)| (k.hour, view_event(k, *c)))
            .collect();
        if let Err(e) = self.db.append_audit(&events) {
            // Keep the counts so the next flush retries them.
            let mut views = self.lock_views();
            for (k, c) in taken {
                let slot = views.entry(k).or_insert(ViewCount { requests: 0, ..c });
                slot.requests += c.requests;
                slot.first = slot.first.min(c.first);
            }
            return Err(e);
        }
        Ok(events.len())
    }

    fn lock_views(&self) -> std::sync::MutexGuard<'_, HashMap<ViewKey, ViewCount>> {
        self.views.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Appends one event now. Blocking: from async code use [`Audit::record`].
    pub fn record_blocking(&self, event: AuditEvent) -> Result<(), AccessError> {
        self.db.append_audit(&[(self.clock.now(), event)])
    }

    /// Appends one event dated when it happened (a row written late, after a failure).
    /// Blocking.
    pub fn record_at_blocking(&self, at: i64, event: AuditEvent) -> Result<(), AccessError> {
        self.db.append_audit(&[(at, event)])
    }

    /// Appends one event (uploads, publishes, rollbacks, exports, …) on the blocking pool.
    pub async fn record(&self, event: AuditEvent) -> Result<(), AccessError> {
        let at = self.clock.now();
        self.db.run(move |db| db.append_audit(&[(at, event)])).await
    }

    /// Rows matching a filter, newest first.
    pub async fn query(&self, filter: AuditFilter) -> Result<Vec<AuditEntry>, AccessError> {
        self.db.run(move |db| db.query_audit(&filter)).await
    }

    /// Rows matching a filter, newest first. Blocking.
    pub fn query_blocking(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, AccessError> {
        self.db.query_audit(filter)
    }

    /// Deletes rows older than the retention period. Returns how many.
    pub fn prune(&self, retention_days: u32) -> Result<u64, AccessError> {
        self.db
            .prune_audit(self.clock.now() - i64::from(retention_days) * 86_400)
    }
}

fn view_event(k: &ViewKey, c: ViewCount) -> AuditEvent {
    AuditEvent {
        kind: AuditKind::View,
        user: Some(k.user.clone()),
        credential: k.credential.clone(),
        client_ip: None,
        layer: Some(k.layer.clone()),
        detail: json!({
            "hour": rfc3339(k.hour),
            "requests": c.requests,
            "first": rfc3339(c.first),
            "last": rfc3339(c.last),
        }),
    }
}
