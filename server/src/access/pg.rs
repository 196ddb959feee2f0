//! The PostgreSQL backend (`--database postgres://…`): a small pool of sync connections
//! that reconnects by itself, and the schema migration every primary runs at start.
//!
//! While PostgreSQL is down, every call fails at once with [`AccessError::Unavailable`]
//! (the HTTP edge answers 503 `database_unavailable`); a connection found broken is dropped
//! with every idle one (they broke together), and the next call connects afresh, so the
//! server recovers when the database is back without being restarted.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use postgres::types::Type;

use super::AccessError;
use super::migrations::POSTGRES;
use super::sql::{Owned, PgConn};

/// Connections one process keeps at most; requests beyond wait for one to come back.
pub const POOL_SIZE: usize = 8;

/// How long a connection attempt may take before the database counts as unavailable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// How long a call waits for a free connection before it gives up.
const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(10);

/// Migrations of two primaries starting at once take turns on this advisory lock.
const MIGRATION_LOCK: i64 = 0x6b61_7368_696d_6170; // "kashimap"

/// A pool of PostgreSQL connections to one database.
pub struct PgPool {
    config: postgres::Config,
    /// The URL without its password, for messages.
    shown: String,
    state: Mutex<PoolState>,
    returned: Condvar,
}

#[derive(Default)]
struct PoolState {
    idle: Vec<PgConn>,
    open: usize,
}

impl std::fmt::Debug for PgPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgPool")
            .field("url", &self.shown)
            .finish_non_exhaustive()
    }
}

impl PgPool {
    /// Parses the URL, connects once and migrates the schema.
    pub fn open(url: &str) -> Result<Self, AccessError> {
        let shown = redact(url);
        let mut config: postgres::Config = url.parse().map_err(|e: postgres::Error| {
            AccessError::invalid("database URL", &shown, e.to_string())
        })?;
        config.connect_timeout(CONNECT_TIMEOUT);
        config.application_name("kashimap");
        let pool = Self {
            config,
            shown,
            state: Mutex::default(),
            returned: Condvar::new(),
        };
        pool.with(migrate)?;
        Ok(pool)
    }

    /// The URL without its password.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// A fresh connection outside the pool (the LISTEN side of notifications).
    pub fn connect(&self) -> Result<postgres::Client, AccessError> {
        off_runtime(|| {
            self.config
                .connect(postgres::NoTls)
                .map_err(|e| unavailable(&self.shown, &e))
        })
    }

    /// `NOTIFY channel, payload` on a pooled connection.
    pub fn notify(&self, channel: &str, payload: &str) -> Result<(), AccessError> {
        self.with(|c| {
            c.client
                .execute("SELECT pg_notify($1, $2)", &[&channel, &payload])
                .map_err(error)?;
            Ok(())
        })
    }

    /// Runs `f` on a pooled connection.
    pub fn with<T: Send>(
        &self,
        f: impl FnOnce(&mut PgConn) -> Result<T, AccessError> + Send,
    ) -> Result<T, AccessError> {
        off_runtime(|| self.with_here(f))
    }

    fn with_here<T>(
        &self,
        f: impl FnOnce(&mut PgConn) -> Result<T, AccessError>,
    ) -> Result<T, AccessError> {
        let mut lease = Lease {
            pool: self,
            conn: Some(self.checkout()?),
            broken: false,
        };
        let conn = lease
            .conn
            .as_mut()
            .ok_or(AccessError::Task("no lease".into()))?;
        let out = f(conn);
        if out.as_ref().is_err_and(AccessError::is_unavailable) {
            lease.broken = true;
        }
        out
    }

    fn lock(&self) -> MutexGuard<'_, PoolState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn checkout(&self) -> Result<PgConn, AccessError> {
        let mut state = self.lock();
        loop {
            while let Some(conn) = state.idle.pop() {
                if !conn.client.is_closed() {
                    return Ok(conn);
                }
                state.open -= 1;
            }
            if state.open < POOL_SIZE {
                state.open += 1;
                drop(state);
                return self.connect().map(PgConn::new).inspect_err(|_| {
                    self.lock().open -= 1;
                    self.returned.notify_one();
                });
            }
            let (next, wait) = self
                .returned
                .wait_timeout(state, CHECKOUT_TIMEOUT)
                .unwrap_or_else(PoisonError::into_inner);
            state = next;
            if wait.timed_out() {
                return Err(AccessError::Unavailable(format!(
                    "{}: all {POOL_SIZE} connections stayed busy for {} s",
                    self.shown,
                    CHECKOUT_TIMEOUT.as_secs()
                )));
            }
        }
    }
}

thread_local! {
    /// Set on threads where blocking is expected (tokio's blocking pool, through `Db::run`).
    static MAY_BLOCK: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Marks this thread as one that may block on the database (`Db::run`'s blocking tasks).
pub(crate) fn may_block_here() {
    MAY_BLOCK.with(|b| b.set(true));
}

/// The sync client drives its socket with a runtime of its own, which cannot run on a
/// thread of an async runtime (start-up inside tests, a synchronous call from async code):
/// there the call runs on a short-lived thread of its own. On plain threads and on
/// `Db::run`'s blocking threads it runs directly.
fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    if tokio::runtime::Handle::try_current().is_err() || MAY_BLOCK.with(std::cell::Cell::get) {
        return f();
    }
    std::thread::scope(|s| {
        s.spawn(f)
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// A checked-out connection: back to the pool when done, or dropped (with every idle one)
/// when it broke or its call panicked.
struct Lease<'a> {
    pool: &'a PgPool,
    conn: Option<PgConn>,
    broken: bool,
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        let mut state = self.pool.lock();
        if self.broken || std::thread::panicking() || conn.client.is_closed() {
            state.open -= 1 + state.idle.len();
            state.idle.clear();
        } else {
            state.idle.push(conn);
        }
        drop(state);
        self.pool.returned.notify_all();
    }
}

/// Brings the schema to the latest version in one transaction, holding an advisory lock so
/// that a second primary starting at the same moment waits and then finds nothing to do.
fn migrate(conn: &mut PgConn) -> Result<(), AccessError> {
    let known = POSTGRES.len() as i64;
    let mut tx = conn.client.transaction().map_err(error)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .map_err(error)?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS kashimap_schema (version BIGINT NOT NULL)")
        .map_err(error)?;
    let found = tx
        .query_opt("SELECT version FROM kashimap_schema", &[])
        .map_err(error)?;
    let at: i64 = found.as_ref().map_or(0, |r| r.get(0));
    if at > known {
        return Err(AccessError::SchemaTooNew { found: at, known });
    }
    for sql in POSTGRES
        .iter()
        .skip(usize::try_from(at).unwrap_or(usize::MAX))
    {
        tx.batch_execute(sql).map_err(error)?;
    }
    let set = if found.is_some() {
        "UPDATE kashimap_schema SET version = $1"
    } else {
        "INSERT INTO kashimap_schema (version) VALUES ($1)"
    };
    tx.execute(set, &[&known]).map_err(error)?;
    tx.commit().map_err(error)?;
    if at < known {
        tracing::info!(
            from = at,
            to = known,
            "identity database (PostgreSQL) migrated"
        );
    }
    Ok(())
}

/// Creates an empty schema (each test's own database).
pub(crate) fn create_schema(url: &str, schema: &str) -> Result<(), AccessError> {
    off_runtime(|| {
        let mut admin = postgres::Client::connect(url, postgres::NoTls).map_err(error)?;
        admin
            .batch_execute(&format!("CREATE SCHEMA {schema}"))
            .map_err(error)
    })
}

/// The schema version of the database behind `conn`.
pub(crate) fn schema_version(conn: &mut PgConn) -> Result<i64, AccessError> {
    let row = conn
        .client
        .query_one("SELECT version FROM kashimap_schema", &[])
        .map_err(error)?;
    Ok(row.get(0))
}

/// Column `i` of a row, by the column's type.
pub(crate) fn value(row: &postgres::Row, i: usize) -> Result<Owned, AccessError> {
    let ty = row
        .columns()
        .get(i)
        .map(|c| c.type_().clone())
        .ok_or_else(|| AccessError::Column {
            index: i,
            want: "a column",
            found: format!("{} columns", row.len()),
        })?;
    let owned = match ty {
        Type::INT8 => row.try_get::<_, Option<i64>>(i)?.map(Owned::Int),
        Type::INT4 => row
            .try_get::<_, Option<i32>>(i)?
            .map(|v| Owned::Int(v.into())),
        Type::INT2 => row
            .try_get::<_, Option<i16>>(i)?
            .map(|v| Owned::Int(v.into())),
        Type::BOOL => row
            .try_get::<_, Option<bool>>(i)?
            .map(|v| Owned::Int(v.into())),
        Type::FLOAT8 => row.try_get::<_, Option<f64>>(i)?.map(Owned::Real),
        Type::BYTEA => row.try_get::<_, Option<Vec<u8>>>(i)?.map(Owned::Blob),
        Type::TEXT | Type::VARCHAR | Type::NAME | Type::BPCHAR => {
            row.try_get::<_, Option<String>>(i)?.map(Owned::Text)
        }
        other => {
            return Err(AccessError::Column {
                index: i,
                want: "int, text, bytea or float8 (cast it in the SQL)",
                found: other.name().to_owned(),
            });
        }
    };
    Ok(owned.unwrap_or(Owned::Null))
}

/// A PostgreSQL error as an access error: the connection or server going away is
/// [`AccessError::Unavailable`], anything else a statement error.
pub fn error(e: postgres::Error) -> AccessError {
    if is_connection_error(&e) {
        AccessError::Unavailable(describe(&e))
    } else {
        AccessError::Postgres(e)
    }
}

fn unavailable(shown: &str, e: &postgres::Error) -> AccessError {
    AccessError::Unavailable(format!("{shown}: {}", describe(e)))
}

/// The error with its cause: the server's own message for a statement it refused.
pub(crate) fn describe(e: &postgres::Error) -> String {
    use std::error::Error as _;
    match (e.as_db_error(), e.source()) {
        (Some(db), _) => format!("{} {}: {}", db.severity(), db.code().code(), db.message()),
        (None, Some(cause)) => format!("{e}: {cause}"),
        (None, None) => e.to_string(),
    }
}

fn is_connection_error(e: &postgres::Error) -> bool {
    use std::error::Error as _;
    if e.is_closed() {
        return true;
    }
    if let Some(code) = e.code() {
        // 08: connection exception; 57P01-57P03: shutdown, crash, starting up.
        let code = code.code();
        return code.starts_with("08") || code.starts_with("57P");
    }
    e.source()
        .is_some_and(<dyn std::error::Error>::is::<std::io::Error>)
}

/// `postgres://user:secret@host/db` as `postgres://user:***@host/db`.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((auth, host)) = rest.rsplit_once('@') else {
        return url.to_owned();
    };
    match auth.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_show() {
        assert_eq!(
            redact("postgres://km:s3cret@db.example:5432/kashimap"),
            "postgres://km:***@db.example:5432/kashimap"
        );
        assert_eq!(redact("postgres://km@h/db"), "postgres://km@h/db");
    }

    #[test]
    fn an_unreachable_server_is_unavailable_not_a_crash() {
        // Port 1 on loopback refuses at once.
        let e = PgPool::open("postgres://nobody@127.0.0.1:1/kashimap").unwrap_err();
        assert!(e.is_unavailable(), "{e}");
    }
}
