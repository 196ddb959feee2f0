//! Access: who is asking (the principal) and what they may see (the policy), plus the
//! identities behind principals: users, sessions, API tokens, web-approval grants (決裁) and
//! the audit log.
//!
//! [`policy::decide`] is the one function that says, for a principal and a layer, whether the
//! layer is visible, which attributes show and which features pass. Every output path
//! (tiles, OGC API, spatial questions, search, exports, styles, caches, counts, errors)
//! goes through it. See `docs/security.md` for the threat model.

mod accounts;
mod audit;
mod audit_store;
mod clock;
mod db;
mod demo;
mod error;
mod feature_ids;
mod grants;
mod limiter;
mod migrations;
mod pg;
mod policy;
mod principal;
pub mod secret;
mod service;
mod sessions;
pub mod sql;
mod tokens;
mod usage;
mod users;

pub use accounts::{AccountChange, parse_expiry};
pub use audit::{Audit, AuditEntry, AuditEvent, AuditKind};
pub use audit_store::AuditFilter;
pub use clock::Clock;
pub use db::{DB_FILE, Db, TEST_POSTGRES_ENV};
pub use demo::{DEMO_USERS, DemoOutcome, DemoUser};
pub use error::AccessError;
pub use grants::{AccessRequest, NewRequest, Pending, Requested, Status};
pub use limiter::SignInLimiter;
pub use pg::{POOL_SIZE, PgPool, error as pg_error};
pub use policy::{LayerView, PolicyClass, PublicViews, decide, decide_all};
pub use principal::{Credential, Grant, Principal};
pub use service::{Access, LoginOutcome, maintenance};
pub use sessions::Identity;
pub use tokens::{TokenInfo, TokenRefusal};
pub use usage::UsageRow;
pub use users::{NewUser, User, check_role, check_user_name};
