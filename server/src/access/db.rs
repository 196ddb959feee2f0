//! The identity database: by default SQLite (bundled) in `<data-dir>/kashimap.sqlite3`,
//! WAL mode, migrated by `PRAGMA user_version`; with `--database postgres://…` a PostgreSQL
//! database that several primaries share (`pg.rs`).
//!
//! [`Db`] is the narrow interface the rest of the server uses: its methods (in `users.rs`,
//! `sessions.rs`, `tokens.rs`, `grants.rs` and `audit_store.rs`) speak in domain types, and
//! no SQL leaves this module. Each statement is written once against [`Conn`], which speaks
//! both dialects (`sql.rs`). SQLite: one connection behind a mutex (SQLite writes one at a
//! time anyway). PostgreSQL: a small pool. HTTP handlers call it through [`Db::run`], on the
//! blocking pool, and never hold a connection across an `.await`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use super::AccessError;
use super::migrations::MIGRATIONS;
use super::pg::{self, PgPool};
use super::sql::{Conn, Dialect};

/// The database file's name inside the data directory.
pub const DB_FILE: &str = "kashimap.sqlite3";

/// The environment variable that points the tests at a PostgreSQL server
/// (`scripts/lib.sh` `start_postgres` sets it); unset, tests use SQLite in memory.
pub const TEST_POSTGRES_ENV: &str = "KASHIMAP_TEST_POSTGRES";

/// A handle to the identity database; cheap to clone.
#[derive(Debug, Clone)]
pub struct Db {
    backend: Backend,
}

#[derive(Debug, Clone)]
enum Backend {
    Sqlite {
        conn: Arc<Mutex<Connection>>,
        path: PathBuf,
    },
    Postgres(Arc<PgPool>),
}

impl Db {
    /// The database `database` names (`postgres://…` or `postgresql://…`), or, when it
    /// names none, the SQLite file in `data_dir`.
    pub fn connect(database: Option<&str>, data_dir: &Path) -> Result<Self, AccessError> {
        match database {
            None => Self::open_in(data_dir),
            Some(url) if is_postgres_url(url) => Self::open_postgres(url),
            Some(other) => Err(AccessError::invalid(
                "database",
                other,
                "use postgres://user@host:port/database, or leave it unset for the SQLite file in the data folder",
            )),
        }
    }

    /// Connects to PostgreSQL and migrates the schema.
    pub fn open_postgres(url: &str) -> Result<Self, AccessError> {
        Ok(Self {
            backend: Backend::Postgres(Arc::new(PgPool::open(url)?)),
        })
    }

    /// An empty database for a test: a fresh schema in the PostgreSQL server that
    /// [`TEST_POSTGRES_ENV`] names, or else SQLite in memory. Tests only.
    pub fn open_for_tests() -> Result<Self, AccessError> {
        match Self::test_database()? {
            Some(url) => Self::open_postgres(&url),
            None => Self::open_in_memory(),
        }
    }

    /// When [`TEST_POSTGRES_ENV`] is set: a `postgres://` URL of a new, empty schema in that
    /// server, for one test (or one test server) to own. Tests only.
    pub fn test_database() -> Result<Option<String>, AccessError> {
        let Ok(url) = std::env::var(TEST_POSTGRES_ENV) else {
            return Ok(None);
        };
        let schema = format!(
            "t_{}",
            super::secret::random_hex()?.get(..16).unwrap_or("x")
        );
        pg::create_schema(&url, &schema)?;
        let join = if url.contains('?') { '&' } else { '?' };
        Ok(Some(format!(
            "{url}{join}options=-c%20search_path%3D{schema}"
        )))
    }

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

    /// A private in-memory database (`check`, replicas, tests).
    pub fn open_in_memory() -> Result<Self, AccessError> {
        Self::setup(Connection::open_in_memory()?, Path::new(":memory:"))
    }

    fn setup(mut conn: Connection, path: &Path) -> Result<Self, AccessError> {
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.set_prepared_statement_cache_capacity(64);
        migrate(&mut conn)?;
        Ok(Self {
            backend: Backend::Sqlite {
                conn: Arc::new(Mutex::new(conn)),
                path: path.to_path_buf(),
            },
        })
    }

    /// Where the database is, for messages: the file, or the URL without its password.
    pub fn describe(&self) -> String {
        match &self.backend {
            Backend::Sqlite { path, .. } => path.display().to_string(),
            Backend::Postgres(pool) => pool.shown().to_owned(),
        }
    }

    /// The PostgreSQL pool, when the database is one (notifications between primaries).
    pub fn postgres(&self) -> Option<&Arc<PgPool>> {
        match &self.backend {
            Backend::Postgres(pool) => Some(pool),
            Backend::Sqlite { .. } => None,
        }
    }

    pub fn dialect(&self) -> Dialect {
        match self.backend {
            Backend::Sqlite { .. } => Dialect::Sqlite,
            Backend::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Runs `f` on a connection. Blocking: from async code use [`Db::run`].
    pub(crate) fn with<T: Send>(
        &self,
        f: impl FnOnce(&mut Conn<'_>) -> Result<T, AccessError> + Send,
    ) -> Result<T, AccessError> {
        match &self.backend {
            Backend::Sqlite { conn, .. } => {
                // A panic inside `f` rolls back its transaction when the transaction drops,
                // so the connection is still sound and a poisoned lock can be taken over.
                let conn = conn.lock().unwrap_or_else(PoisonError::into_inner);
                f(&mut Conn::Sqlite(&conn))
            }
            Backend::Postgres(pool) => pool.with(|c| f(&mut Conn::Postgres(c))),
        }
    }

    /// Runs `f` in one write transaction.
    pub(crate) fn write<T: Send>(
        &self,
        f: impl FnOnce(&mut Conn<'_>) -> Result<T, AccessError> + Send,
    ) -> Result<T, AccessError> {
        match &self.backend {
            Backend::Sqlite { conn, .. } => {
                let mut conn = conn.lock().unwrap_or_else(PoisonError::into_inner);
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let out = f(&mut Conn::Sqlite(&tx))?;
                tx.commit()?;
                Ok(out)
            }
            Backend::Postgres(pool) => pool.with(|c| {
                c.client.batch_execute("BEGIN").map_err(pg::error)?;
                match f(&mut Conn::Postgres(c)) {
                    Ok(out) => {
                        c.client.batch_execute("COMMIT").map_err(pg::error)?;
                        Ok(out)
                    }
                    Err(e) => {
                        c.client.batch_execute("ROLLBACK").map_err(pg::error)?;
                        Err(e)
                    }
                }
            }),
        }
    }

    /// Runs a blocking database operation on tokio's blocking pool.
    pub async fn run<T, F>(&self, f: F) -> Result<T, AccessError>
    where
        T: Send + 'static,
        F: FnOnce(&Db) -> Result<T, AccessError> + Send + 'static,
    {
        let db = self.clone();
        tokio::task::spawn_blocking(move || {
            pg::may_block_here();
            f(&db)
        })
        .await
        .map_err(|e| AccessError::Task(e.to_string()))?
    }

    /// The schema version the database is at.
    pub fn schema_version(&self) -> Result<i64, AccessError> {
        match &self.backend {
            Backend::Sqlite { conn, .. } => {
                let conn = conn.lock().unwrap_or_else(PoisonError::into_inner);
                Ok(conn.pragma_query_value(None, "user_version", |r| r.get(0))?)
            }
            Backend::Postgres(pool) => pool.with(pg::schema_version),
        }
    }
}

fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
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
        let db = Db::open_for_tests().unwrap();
        assert_eq!(db.schema_version().unwrap(), MIGRATIONS.len() as i64);
        let sql = match db.dialect() {
            Dialect::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table'",
            Dialect::Postgres => {
                "SELECT CAST(table_name AS TEXT) FROM information_schema.tables
                 WHERE table_schema = current_schema()"
            }
        };
        let tables: Vec<String> = db.with(|c| c.query(sql, &[], |r| r.get(0))).unwrap();
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
    fn both_dialects_have_the_same_migration_steps() {
        assert_eq!(MIGRATIONS.len(), super::super::migrations::POSTGRES.len());
    }

    #[test]
    fn only_postgres_urls_name_another_database() {
        let dir = tempfile::tempdir().unwrap();
        let e = Db::connect(Some("mysql://x/y"), dir.path()).unwrap_err();
        assert!(e.to_string().contains("postgres://"), "{e}");
        let db = Db::connect(None, dir.path()).unwrap();
        assert!(db.describe().ends_with(DB_FILE));
    }

    #[test]
    fn reopening_a_file_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let first = Db::open_in(dir.path()).unwrap();
        drop(first);
        let again = Db::open_in(dir.path()).unwrap();
        assert_eq!(again.schema_version().unwrap(), MIGRATIONS.len() as i64);
        let mode: String = again
            .with(|c| c.query_one("PRAGMA journal_mode", &[], |r| r.get(0)))
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
