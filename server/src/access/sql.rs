//! One SQL for both identity backends: the store modules (`users.rs`, `sessions.rs`, …)
//! write each statement once, with `?` or `?N` placeholders, through [`Conn`]; values go in
//! as [`ToValue`] and come out through [`Row::get`]. Where the dialects really differ (a
//! time function, a JSON field, the schema itself) the statement asks [`Dialect`].
//!
//! Both dialects agree on `INSERT … RETURNING id`, `ON CONFLICT DO NOTHING`, `"quoted"`
//! identifiers and `COLLATE NOCASE` (PostgreSQL gets a case-insensitive ICU collation of
//! that name in its schema), so most statements need nothing more.

use std::collections::HashMap;
use std::error::Error as StdError;

use bytes::BytesMut;
use postgres::types::{IsNull, ToSql, Type, to_sql_checked};

use super::AccessError;
use super::pg;

/// Which SQL the connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// The database clock in Unix seconds.
    pub(crate) fn now_secs(self) -> &'static str {
        match self {
            Self::Sqlite => "CAST(strftime('%s', 'now') AS INTEGER)",
            Self::Postgres => "CAST(extract(epoch FROM now()) AS BIGINT)",
        }
    }

    /// `YYYY-MM-DD` of a Unix-seconds expression, on the UTC calendar.
    pub(crate) fn utc_day(self, seconds: &str) -> String {
        match self {
            Self::Sqlite => format!("date({seconds}, 'unixepoch')"),
            Self::Postgres => {
                format!("to_char(to_timestamp({seconds}) AT TIME ZONE 'UTC', 'YYYY-MM-DD')")
            }
        }
    }

    /// The larger of two integer expressions.
    pub(crate) fn greatest(self, a: &str, b: &str) -> String {
        match self {
            Self::Sqlite => format!("max({a}, {b})"),
            Self::Postgres => format!("GREATEST({a}, {b})"),
        }
    }

    /// An integer member of a JSON object stored as text (NULL when absent).
    pub(crate) fn json_int(self, column: &str, key: &str) -> String {
        match self {
            Self::Sqlite => format!("json_extract({column}, '$.{key}')"),
            Self::Postgres => format!("CAST(CAST({column} AS jsonb) ->> '{key}' AS BIGINT)"),
        }
    }
}

/// A value bound to a placeholder.
#[derive(Debug, Clone, Copy)]
pub enum Value<'a> {
    Null,
    Int(i64),
    Text(&'a str),
    Blob(&'a [u8]),
}

/// Anything that binds to a placeholder (see `params!`).
pub trait ToValue: Sync {
    fn to_value(&self) -> Value<'_>;
}

impl ToValue for i64 {
    fn to_value(&self) -> Value<'_> {
        Value::Int(*self)
    }
}

impl ToValue for u32 {
    fn to_value(&self) -> Value<'_> {
        Value::Int(i64::from(*self))
    }
}

/// Booleans are stored as 0 and 1 in both dialects (`CHECK (x IN (0, 1))`).
impl ToValue for bool {
    fn to_value(&self) -> Value<'_> {
        Value::Int(i64::from(*self))
    }
}

impl ToValue for str {
    fn to_value(&self) -> Value<'_> {
        Value::Text(self)
    }
}

impl ToValue for String {
    fn to_value(&self) -> Value<'_> {
        Value::Text(self)
    }
}

impl ToValue for [u8] {
    fn to_value(&self) -> Value<'_> {
        Value::Blob(self)
    }
}

impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> Value<'_> {
        self.as_ref().map_or(Value::Null, ToValue::to_value)
    }
}

impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> Value<'_> {
        (**self).to_value()
    }
}

/// The placeholders' values: `params![a, b]` like rusqlite's.
macro_rules! params {
    ($($v:expr),* $(,)?) => {
        &[$(&$v as &dyn $crate::access::sql::ToValue),*] as &[&dyn $crate::access::sql::ToValue]
    };
}
pub(crate) use params;

impl rusqlite::ToSql for Value<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match *self {
            Self::Null => ValueRef::Null,
            Self::Int(i) => ValueRef::Integer(i),
            Self::Text(s) => ValueRef::Text(s.as_bytes()),
            Self::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

/// PostgreSQL infers each placeholder's type from the statement; the value is converted to
/// it (an integer to `int8`, `int4` or `bool`), and a value of the wrong kind is an error,
/// never silently re-encoded.
impl ToSql for Value<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn StdError + Sync + Send>> {
        match *self {
            Self::Null => Ok(IsNull::Yes),
            Self::Int(i) => match *ty {
                Type::INT4 => i32::try_from(i)?.to_sql_checked(ty, out),
                Type::INT2 => i16::try_from(i)?.to_sql_checked(ty, out),
                Type::BOOL => (i != 0).to_sql_checked(ty, out),
                _ => i.to_sql_checked(ty, out),
            },
            Self::Text(s) => s.to_sql_checked(ty, out),
            Self::Blob(b) => b.to_sql_checked(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// A value read from a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Owned {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

/// Anything a column reads into.
pub trait FromValue: Sized {
    fn from_value(v: Owned) -> Option<Self>;
}

impl FromValue for i64 {
    fn from_value(v: Owned) -> Option<Self> {
        match v {
            Owned::Int(i) => Some(i),
            _ => None,
        }
    }
}

impl FromValue for u32 {
    fn from_value(v: Owned) -> Option<Self> {
        i64::from_value(v).and_then(|i| u32::try_from(i).ok())
    }
}

impl FromValue for bool {
    fn from_value(v: Owned) -> Option<Self> {
        i64::from_value(v).map(|i| i != 0)
    }
}

impl FromValue for String {
    fn from_value(v: Owned) -> Option<Self> {
        match v {
            Owned::Text(s) => Some(s),
            _ => None,
        }
    }
}

impl FromValue for Vec<u8> {
    fn from_value(v: Owned) -> Option<Self> {
        match v {
            Owned::Blob(b) => Some(b),
            _ => None,
        }
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(v: Owned) -> Option<Self> {
        match v {
            Owned::Null => Some(None),
            v => T::from_value(v).map(Some),
        }
    }
}

/// One result row of either backend.
pub enum Row<'a, 'b> {
    Sqlite(&'a rusqlite::Row<'b>),
    Postgres(&'a postgres::Row),
}

impl Row<'_, '_> {
    /// Column `i` as `T`; a NULL or a value of another kind where `T` cannot hold it is an
    /// error naming the column.
    pub fn get<T: FromValue>(&self, i: usize) -> Result<T, AccessError> {
        let v = match self {
            Self::Sqlite(r) => sqlite_value(r.get_ref(i)?),
            Self::Postgres(r) => pg::value(r, i)?,
        };
        let kind = format!("{v:?}");
        T::from_value(v).ok_or_else(|| AccessError::Column {
            index: i,
            want: std::any::type_name::<T>(),
            found: kind.chars().take(60).collect(),
        })
    }
}

fn sqlite_value(v: rusqlite::types::ValueRef<'_>) -> Owned {
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Null => Owned::Null,
        ValueRef::Integer(i) => Owned::Int(i),
        ValueRef::Real(f) => Owned::Real(f),
        ValueRef::Text(t) => Owned::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Owned::Blob(b.to_vec()),
    }
}

/// A PostgreSQL connection with its prepared statements (keyed by the statement as written).
pub struct PgConn {
    pub(crate) client: postgres::Client,
    statements: HashMap<String, postgres::Statement>,
}

impl PgConn {
    pub(crate) fn new(client: postgres::Client) -> Self {
        Self {
            client,
            statements: HashMap::new(),
        }
    }

    fn prepare(&mut self, sql: &str) -> Result<postgres::Statement, AccessError> {
        if let Some(st) = self.statements.get(sql) {
            return Ok(st.clone());
        }
        let st = self
            .client
            .prepare(&numbered_placeholders(sql))
            .map_err(pg::error)?;
        self.statements.insert(sql.to_owned(), st.clone());
        Ok(st)
    }
}

impl std::fmt::Debug for PgConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgConn")
            .field("statements", &self.statements.len())
            .finish_non_exhaustive()
    }
}

/// A connection (or an open transaction on one) of either backend.
pub enum Conn<'a> {
    Sqlite(&'a rusqlite::Connection),
    Postgres(&'a mut PgConn),
}

impl Conn<'_> {
    pub fn dialect(&self) -> Dialect {
        match self {
            Self::Sqlite(_) => Dialect::Sqlite,
            Self::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Runs a statement that returns no rows; returns how many rows it changed.
    pub fn execute(&mut self, sql: &str, args: &[&dyn ToValue]) -> Result<u64, AccessError> {
        match self {
            Self::Sqlite(c) => {
                let n = c.prepare_cached(sql)?.execute(sqlite_args(args))?;
                Ok(n as u64)
            }
            Self::Postgres(c) => {
                let st = c.prepare(sql)?;
                let values = pg_values(args);
                c.client.execute(&st, &pg_refs(&values)).map_err(pg::error)
            }
        }
    }

    /// Every row, each read by `f`.
    pub fn query<T>(
        &mut self,
        sql: &str,
        args: &[&dyn ToValue],
        mut f: impl FnMut(&Row<'_, '_>) -> Result<T, AccessError>,
    ) -> Result<Vec<T>, AccessError> {
        match self {
            Self::Sqlite(c) => {
                let mut st = c.prepare_cached(sql)?;
                let mut rows = st.query(sqlite_args(args))?;
                let mut out = Vec::new();
                while let Some(r) = rows.next()? {
                    out.push(f(&Row::Sqlite(r))?);
                }
                Ok(out)
            }
            Self::Postgres(c) => {
                let st = c.prepare(sql)?;
                let values = pg_values(args);
                let rows = c.client.query(&st, &pg_refs(&values)).map_err(pg::error)?;
                rows.iter().map(|r| f(&Row::Postgres(r))).collect()
            }
        }
    }

    /// The first row, if any.
    pub fn query_opt<T>(
        &mut self,
        sql: &str,
        args: &[&dyn ToValue],
        f: impl FnMut(&Row<'_, '_>) -> Result<T, AccessError>,
    ) -> Result<Option<T>, AccessError> {
        Ok(self.query(sql, args, f)?.into_iter().next())
    }

    /// The first row; none is an error (for `count(*)`, `RETURNING`).
    pub fn query_one<T>(
        &mut self,
        sql: &str,
        args: &[&dyn ToValue],
        f: impl FnMut(&Row<'_, '_>) -> Result<T, AccessError>,
    ) -> Result<T, AccessError> {
        self.query_opt(sql, args, f)?
            .ok_or_else(|| AccessError::Task(format!("no row from `{sql}`")))
    }

    /// Several statements without placeholders (migrations, tests).
    pub fn batch(&mut self, sql: &str) -> Result<(), AccessError> {
        match self {
            Self::Sqlite(c) => Ok(c.execute_batch(sql)?),
            Self::Postgres(c) => c.client.batch_execute(sql).map_err(pg::error),
        }
    }
}

fn sqlite_args<'a>(args: &'a [&dyn ToValue]) -> rusqlite::ParamsFromIter<Vec<Value<'a>>> {
    rusqlite::params_from_iter(args.iter().map(|a| a.to_value()).collect::<Vec<_>>())
}

fn pg_values<'a>(args: &'a [&dyn ToValue]) -> Vec<Value<'a>> {
    args.iter().map(|a| a.to_value()).collect()
}

fn pg_refs<'a>(values: &'a [Value<'_>]) -> Vec<&'a (dyn ToSql + Sync)> {
    values.iter().map(|v| v as &(dyn ToSql + Sync)).collect()
}

/// SQLite's `?` and `?N` as PostgreSQL's `$N`, leaving quoted text alone.
pub(crate) fn numbered_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut next = 0;
    let mut quote: Option<char> = None;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, '\'' | '"') => quote = Some(c),
            (None, '?') => {
                let mut digits = String::new();
                while let Some(d) = chars.next_if(char::is_ascii_digit) {
                    digits.push(d);
                }
                if digits.is_empty() {
                    next += 1;
                    digits = next.to_string();
                }
                out.push('$');
                out.push_str(&digits);
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    #[rstest]
    #[case(
        "SELECT a FROM t WHERE b = ? AND c = ?",
        "SELECT a FROM t WHERE b = $1 AND c = $2"
    )]
    #[case("VALUES (?1, ?2, ?1)", "VALUES ($1, $2, $1)")]
    #[case("WHERE x = '?' AND \"q?\" = ?", "WHERE x = '?' AND \"q?\" = $1")]
    #[case("SELECT 1", "SELECT 1")]
    fn placeholders_are_numbered_outside_quotes(#[case] sql: &str, #[case] want: &str) {
        assert_eq!(numbered_placeholders(sql), want);
    }
}
