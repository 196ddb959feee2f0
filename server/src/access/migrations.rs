//! The identity database's schema, as an ordered list of migrations.
//!
//! Migration `i` takes the database from `user_version = i` to `i + 1`. Never edit a
//! released migration: append a new one.

/// Every migration, oldest first.
pub const MIGRATIONS: &[&str] = &[V1, V2];

/// Accounts that end by themselves (contractors): after `expires_at` (Unix seconds) the
/// account's sessions and tokens are refused and it cannot sign in.
const V2: &str = "ALTER TABLE users ADD COLUMN expires_at INTEGER;";

/// Users, roles, sessions, API tokens, access requests, grants and the audit log.
///
/// Secrets are stored only as SHA-256 (`secret_hash`), passwords only as argon2id. The audit
/// log names users by name, not by id, so it outlives the users table; triggers make it
/// append-only except for retention pruning of rows older than 30 days.
const V1: &str = r"
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    department TEXT NOT NULL DEFAULT '',
    is_staff INTEGER NOT NULL CHECK (is_staff IN (0, 1)),
    disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at INTEGER NOT NULL,
    password_changed_at INTEGER NOT NULL
);

CREATE TABLE user_roles (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    PRIMARY KEY (user_id, role)
) WITHOUT ROWID;

CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    secret_hash BLOB NOT NULL UNIQUE,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    client_ip TEXT
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    secret_hash BLOB NOT NULL UNIQUE,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    label TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    revoked_at INTEGER,
    last_used INTEGER
);

CREATE TABLE access_requests (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    layer TEXT NOT NULL,
    attributes TEXT,
    reason TEXT NOT NULL,
    days INTEGER NOT NULL CHECK (days > 0),
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'approved', 'rejected')),
    created_at INTEGER NOT NULL,
    decided_by INTEGER REFERENCES users(id),
    decided_at INTEGER,
    comment TEXT
);
CREATE INDEX access_requests_pending ON access_requests(status, layer);
CREATE INDEX access_requests_user ON access_requests(user_id);

CREATE TABLE grants (
    id INTEGER PRIMARY KEY,
    request_id INTEGER REFERENCES access_requests(id),
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    layer TEXT NOT NULL,
    attributes TEXT,
    starts_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    granted_by INTEGER REFERENCES users(id)
);
CREATE INDEX grants_user ON grants(user_id, expires_at);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    user TEXT,
    credential TEXT,
    client_ip TEXT,
    layer TEXT,
    detail TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log(at);
CREATE INDEX audit_log_user ON audit_log(user, at);
CREATE INDEX audit_log_layer ON audit_log(layer, at);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

CREATE TRIGGER audit_log_no_early_delete BEFORE DELETE ON audit_log
WHEN old.at > CAST(strftime('%s', 'now') AS INTEGER) - 30 * 86400
BEGIN
    SELECT RAISE(ABORT, 'audit rows younger than 30 days cannot be deleted');
END;
";
