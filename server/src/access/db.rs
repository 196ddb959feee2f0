//! The identity database: SQLite (bundled) in `<data-dir>/kashimap.sqlite3`, WAL mode,
//! migrated by `PRAGMA user_version`.
//!
//! [`Db`] is the narrow interface the rest of the server uses: its methods (in `users.rs`,
//! `sessions.rs`, `tokens.rs`, `grants.rs` and `audit_store.rs`) speak in domain types, and
//! no SQL leaves this module, so PostgreSQL could replace SQLite behind the same methods.
//! One connection behind a mutex: SQLite writes one at a time anyway. HTTP handlers call it
//! through [`Db::run`], on the blocking pool, and never hold the lock across an `.await`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use super::AccessError;
use super::migrations::MIGRATIONS;

/// The database file's name inside the data directory.
pub const DB_FILE: &str = "kashimap.sqlite3";

/// A handle to the identity database; cheap to clone.
#[derive(Debug, Clone)]
pub struct Db {
    conn: Arc<Mutex<Connection>>,
    path: PathBuf,
}

impl Db {
    /// Opens (creating if needed) `<data_dir>/kashimap.sqlite3` and migrates it.
    pub fn open_in(data_dir: &Path) -> Result<Self, AccessError> {
        std::fs::create_dir_all(data_dir).map_err(|source| AccessError::Io {
            path: data_dir.to_path_buf(),
            source,
        })?;
        Self::open(&data_dir.join(DB_FILE))
    }

    /// Opens (creating if needed) a database file and migrates it.
    pub fn open(path: &Path) -> Result<Self, AccessError> {
        let open_err = |source| AccessError::Open {
            path: path.to_path_buf(),
            source,
        };
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(open_err)?;
        restrict_permissions(path);
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(open_err)?;
        Self::setup(conn, path)
    }

    /// A private in-memory database (tests).
    pub fn open_in_memory() -> Result<Self, AccessError> {
        Self::setup(Connection::open_in_memory()?, Path::new(":memory:"))
    }

    fn setup(mut conn: Connection, path: &Path) -> Result<Self, AccessError> {
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        migrate(&mut conn)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` with the connection locked. Blocking: from async code use [`Db::run`].
    pub(crate) fn with<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, AccessError>,
    ) -> Result<T, AccessError> {
        // A panic inside `f` rolls back its transaction when the transaction drops, so the
        // connection is still sound and a poisoned lock can be taken over.
        let mut conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut conn)
    }

    /// Runs `f` in one write transaction.
    pub(crate) fn write<T>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, AccessError>,
    ) -> Result<T, AccessError> {
        self.with(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        })
    }

    /// Runs a blocking database operation on tokio's blocking pool.
    pub async fn run<T, F>(&self, f: F) -> Result<T, AccessError>
    where
        T: Send + 'static,
        F: FnOnce(&Db) -> Result<T, AccessError> + Send + 'static,
    {
        let db = self.clone();
        tokio::task::spawn_blocking(move || f(&db))
            .await
            .map_err(|e| AccessError::Task(e.to_string()))?
    }

    /// The schema version the database is at.
    pub fn schema_version(&self) -> Result<i64, AccessError> {
        self.with(|c| Ok(c.pragma_query_value(None, "user_version", |r| r.get(0))?))
    }
}

/// Applies every migration the database has not seen, each in its own transaction, and
/// refuses a database from a newer kashimap.
fn migrate(conn: &mut Connection) -> Result<(), AccessError> {
    let known = MIGRATIONS.len() as i64;
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let at: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if at > known {
            return Err(AccessError::SchemaTooNew { found: at, known });
        }
        let Some(sql) = MIGRATIONS.get(at as usize) else {
            return Ok(());
        };
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", at + 1)?;
        tx.commit()?;
        tracing::info!(version = at + 1, "identity database migrated");
    }
}

/// The database holds password hashes: readable by the server's user only.
fn restrict_permissions(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if let Err(e) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)) {
            tracing::warn!(path = %path.display(), error = %e, "cannot restrict database permissions");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_database_migrates_to_the_latest_version() {
        let db = Db::open_in_memory().unwrap();
        assert_eq!(db.schema_version().unwrap(), MIGRATIONS.len() as i64);
        let tables: Vec<String> = db
            .with(|c| {
                let mut st = c.prepare("SELECT name FROM sqlite_master WHERE type = 'table'")?;
                let names = st.query_map([], |r| r.get(0))?;
                Ok(names.collect::<Result<_, _>>()?)
            })
            .unwrap();
        for t in [
            "users",
            "user_roles",
            "sessions",
            "api_tokens",
            "access_requests",
            "grants",
            "audit_log",
        ] {
            assert!(tables.iter().any(|n| n == t), "{t} in {tables:?}");
        }
    }

    #[test]
    fn reopening_a_file_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let first = Db::open_in(dir.path()).unwrap();
        drop(first);
        let again = Db::open_in(dir.path()).unwrap();
        assert_eq!(again.schema_version().unwrap(), MIGRATIONS.len() as i64);
        let mode: String = again
            .with(|c| Ok(c.pragma_query_value(None, "journal_mode", |r| r.get(0))?))
            .unwrap();
        assert_eq!(mode, "wal");
    }

    #[test]
    fn a_database_from_a_newer_kashimap_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DB_FILE);
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 999).unwrap();
        drop(conn);
        let e = Db::open(&path).unwrap_err();
        assert!(
            matches!(e, AccessError::SchemaTooNew { found: 999, .. }),
            "{e}"
        );
    }
}
