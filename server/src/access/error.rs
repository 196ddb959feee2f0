//! Errors of the access module: the database, secrets and identity administration.

use std::path::PathBuf;

/// What went wrong with identities, sessions, grants or the audit log.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AccessError {
    #[error("database {path}: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("database: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("database (PostgreSQL): {}", super::pg::describe(.0))]
    Postgres(#[from] postgres::Error),
    /// The database cannot be reached (PostgreSQL down, restarting or out of connections);
    /// a retry later may work.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    #[error("database column {index}: expected {want}, found {found}")]
    Column {
        index: usize,
        want: &'static str,
        found: String,
    },
    #[error(
        "database schema version {found} is newer than this kashimap knows ({known}); run a newer kashimap"
    )]
    SchemaTooNew { found: i64, known: i64 },
    #[error("{what} `{value}`: {why}")]
    Invalid {
        what: &'static str,
        value: String,
        why: String,
    },
    #[error("password: {0}")]
    WeakPassword(String),
    #[error("user `{0}` already exists")]
    UserExists(String),
    #[error("no user `{0}`")]
    NoSuchUser(String),
    #[error("no API token with id {0}")]
    NoSuchToken(i64),
    #[error("no access request with id {0}")]
    NoSuchRequest(i64),
    #[error("access request {id} is already {status}")]
    AlreadyDecided { id: i64, status: String },
    #[error("cannot hash the password: {0}")]
    Hash(String),
    #[error("the operating system's random number generator failed: {0}")]
    Random(String),
    #[error("a database task failed: {0}")]
    Task(String),
}

impl AccessError {
    /// True when the database could not be reached: the request may succeed later
    /// (HTTP 503), nothing about it was wrong.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }

    pub(crate) fn invalid(what: &'static str, value: &str, why: impl Into<String>) -> Self {
        Self::Invalid {
            what,
            value: value.chars().take(100).collect(),
            why: why.into(),
        }
    }
}
