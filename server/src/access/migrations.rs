//! The identity database's schema, as an ordered list of migrations, once per dialect.
//!
//! Migration `i` takes the database from version `i` to `i + 1` (SQLite's `user_version`,
//! PostgreSQL's `kashimap_schema` table). Both lists have the same steps: the tables,
//! columns and rules are the same, only the DDL's spelling differs. Never edit a released
//! migration: append a new one to both lists.

/// Every SQLite migration, oldest first.
pub const MIGRATIONS: &[&str] = &[V1, V2, V3];

/// Every PostgreSQL migration, oldest first: step for step the same schema as
/// [`MIGRATIONS`].
pub const POSTGRES: &[&str] = &[PG_V1, PG_V2, PG_V3];

/// Accounts that end by themselves (contractors): after `expires_at` (Unix seconds) the
/// account's sessions and tokens are refused and it cannot sign in.
const V2: &str = "ALTER TABLE users ADD COLUMN expires_at INTEGER;";

/// [`V2`] in PostgreSQL (Unix seconds need 64 bits there).
const PG_V2: &str = "ALTER TABLE users ADD COLUMN expires_at BIGINT;";

/// The last feature id handed out per layer, so an id is never given twice: not after its
/// record is deleted and folded away, not after the layer is removed and created again,
/// and not by two primaries sharing the database (an id names a record's history).
const V3: &str = "CREATE TABLE feature_ids (layer TEXT PRIMARY KEY, last_id INTEGER NOT NULL);";

/// [`V3`] in PostgreSQL.
const PG_V3: &str = "CREATE TABLE feature_ids (layer TEXT PRIMARY KEY, last_id BIGINT NOT NULL);";

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

/// [`V1`] in PostgreSQL: `BIGINT` identities for SQLite's rowids, `BYTEA` for blobs, a
/// nondeterministic ICU collation named `nocase` for SQLite's `NOCASE` (so queries may say
/// `COLLATE NOCASE` in both), and one trigger function for the append-only audit log.
const PG_V1: &str = r#"
CREATE COLLATION nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false);

CREATE TABLE users (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    name TEXT COLLATE nocase NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    department TEXT NOT NULL DEFAULT '',
    is_staff BIGINT NOT NULL CHECK (is_staff IN (0, 1)),
    disabled BIGINT NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at BIGINT NOT NULL,
    password_changed_at BIGINT NOT NULL
);

CREATE TABLE user_roles (
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    PRIMARY KEY (user_id, role)
);

CREATE TABLE sessions (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    secret_hash BYTEA NOT NULL UNIQUE,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    client_ip TEXT
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    secret_hash BYTEA NOT NULL UNIQUE,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    label TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    revoked_at BIGINT,
    last_used BIGINT
);

CREATE TABLE access_requests (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    layer TEXT NOT NULL,
    attributes TEXT,
    reason TEXT NOT NULL,
    days BIGINT NOT NULL CHECK (days > 0),
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'approved', 'rejected')),
    created_at BIGINT NOT NULL,
    decided_by BIGINT REFERENCES users(id),
    decided_at BIGINT,
    comment TEXT
);
CREATE INDEX access_requests_pending ON access_requests(status, layer);
CREATE INDEX access_requests_user ON access_requests(user_id);

CREATE TABLE grants (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    request_id BIGINT REFERENCES access_requests(id),
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    layer TEXT NOT NULL,
    attributes TEXT,
    starts_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    granted_by BIGINT REFERENCES users(id)
);
CREATE INDEX grants_user ON grants(user_id, expires_at);

CREATE TABLE audit_log (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    "user" TEXT,
    credential TEXT,
    client_ip TEXT,
    layer TEXT,
    detail TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log(at);
CREATE INDEX audit_log_user ON audit_log("user", at);
CREATE INDEX audit_log_layer ON audit_log(layer, at);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'the audit log is append-only';
    END IF;
    IF OLD.at > CAST(extract(epoch FROM now()) AS BIGINT) - 30 * 86400 THEN
        RAISE EXCEPTION 'audit rows younger than 30 days cannot be deleted';
    END IF;
    RETURN OLD;
END;
$$;
CREATE TRIGGER audit_log_guard BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
"#;
