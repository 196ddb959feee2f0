//! GeoPackage (SQLite): the feature table chosen by `source_layer`, geometry blobs parsed
//! as WKB, the CRS from `gpkg_spatial_ref_sys` by the column's `srs_id`.
//!
//! The database is untrusted: it is opened read-only in SQLite's defensive mode with
//! `trusted_schema` off, views and triggers disabled (a view can compute rows without end:
//! a recursive CTE, `zeroblob`), no extension loading (rusqlite is built without it, and
//! SQLite's `load_extension()` is off), checked with `quick_check`, and only plain SELECTs
//! with quoted identifiers are run. A feature table must be a real table without
//! generated columns (computed on every read).

use std::path::Path;

use rusqlite::config::DbConfig;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

use super::IngestError;
use super::budget::BudgetLimits;
use super::crs::{self, CrsProblem};
use super::encoding::{Choice, Reason};
use super::report::{FormatInfo, Where, msg};
use super::source::{CrsFound, FeatureSource, Opened, Sink, SourceFeature};
use super::wkb;
use crate::model::{Field, FieldType, Schema, Value};

/// GeoPackage `application_id`s: `GPKG`, `GP10`, `GP11`.
const APPLICATION_IDS: [i64; 3] = [0x4750_4B47, 0x4750_3130, 0x4750_3131];

/// One feature table.
struct Table {
    name: String,
    geometry: String,
    srs_id: i64,
}

/// Opens a GeoPackage and chooses its feature table.
/// Opens a GeoPackage; `limits` bound each attribute value, checked before it is copied.
pub fn open(
    path: &Path,
    label: &str,
    source_layer: Option<&str>,
    limits: BudgetLimits,
) -> Result<Opened, IngestError> {
    let conn = connect(path, label)?;
    let tables = feature_tables(&conn, label)?;
    let names: Vec<String> = tables.iter().map(|t| t.name.clone()).collect();
    let table = choose(tables, source_layer)?;
    plain_table(&conn, &table.name, label)?;
    let (fields, columns) = attribute_columns(&conn, &table, label)?;
    let crs = srs(&conn, table.srs_id);
    Ok(Opened {
        format: FormatInfo {
            code: "geopackage",
            name: "GeoPackage",
            source_layer: Some(table.name.clone()),
            layers_available: if names.len() > 1 { names } else { Vec::new() },
        },
        encoding: Some(Choice::new(encoding_rs::UTF_8, Reason::Format)),
        crs,
        schema: Schema::new(fields.clone()),
        file_label: format!("{label}:{}", table.name),
        notes: Vec::new(),
        possibly_truncated: Vec::new(),
        features: Box::new(Features {
            conn,
            label: format!("{label}:{}", table.name),
            table,
            columns,
            types: fields.iter().map(|f| f.ty).collect(),
            limits,
        }),
    })
}

fn sql_error(label: &str, e: &rusqlite::Error) -> IngestError {
    IngestError::malformed(
        Where::file(label),
        format!("GeoPackage が読めません: {e}"),
        format!("cannot read the GeoPackage: {e}"),
    )
}

fn connect(path: &Path, label: &str) -> Result<Connection, IngestError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| sql_error(label, &e))?;
    for (setting, on) in [
        (DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true),
        (DbConfig::SQLITE_DBCONFIG_ENABLE_VIEW, false),
        (DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER, false),
        (DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false),
    ] {
        conn.set_db_config(setting, on)
            .map_err(|e| sql_error(label, &e))?;
    }
    for (k, v) in [
        ("trusted_schema", "OFF"),
        ("cell_size_check", "ON"),
        ("mmap_size", "0"),
        ("query_only", "ON"),
    ] {
        conn.pragma_update(None, k, v)
            .map_err(|e| sql_error(label, &e))?;
    }
    let check: String = conn
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .map_err(|e| sql_error(label, &e))?;
    if check != "ok" {
        return Err(IngestError::malformed(
            Where::file(label),
            format!("GeoPackage が壊れています: {check}"),
            format!("the GeoPackage is damaged: {check}"),
        ));
    }
    let app_id: i64 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(|e| sql_error(label, &e))?;
    let has_contents = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'gpkg_contents'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .map_err(|e| sql_error(label, &e))?
        > 0;
    if !APPLICATION_IDS.contains(&app_id) && !has_contents {
        return Err(IngestError::Unsupported {
            message: msg(
                "SQLite データベースですが GeoPackage ではありません",
                "this is an SQLite database but not a GeoPackage",
            ),
        });
    }
    Ok(conn)
}

fn feature_tables(conn: &Connection, label: &str) -> Result<Vec<Table>, IngestError> {
    let mut stmt = conn
        .prepare(
            "SELECT c.table_name, g.column_name, g.srs_id FROM gpkg_contents c \
             JOIN gpkg_geometry_columns g ON g.table_name = c.table_name \
             WHERE c.data_type = 'features' ORDER BY c.table_name",
        )
        .map_err(|e| sql_error(label, &e))?;
    let rows = stmt
        .query_map([], |r| {
            Ok(Table {
                name: r.get(0)?,
                geometry: r.get(1)?,
                srs_id: r.get(2)?,
            })
        })
        .map_err(|e| sql_error(label, &e))?;
    rows.collect::<Result<Vec<_>, _>>()
        .map_err(|e| sql_error(label, &e))
}

fn choose(mut tables: Vec<Table>, wanted: Option<&str>) -> Result<Table, IngestError> {
    let names: Vec<String> = tables.iter().map(|t| t.name.clone()).collect();
    match wanted {
        Some(w) => match tables.iter().position(|t| t.name == w) {
            Some(i) => Ok(tables.swap_remove(i)),
            None => Err(IngestError::Choose {
                message: msg(
                    format!("GeoPackage にレイヤー「{w}」がありません。次から選んでください"),
                    format!("the GeoPackage has no layer `{w}`; choose one of"),
                ),
                options: names,
            }),
        },
        None if tables.len() == 1 => Ok(tables.remove(0)),
        None if tables.is_empty() => Err(IngestError::Unsupported {
            message: msg(
                "GeoPackage に地物 (features) のレイヤーがありません",
                "the GeoPackage holds no feature layer",
            ),
        }),
        None => Err(IngestError::Choose {
            message: msg(
                "GeoPackage に複数のレイヤーがあります。source_layer で次から選んでください",
                "the GeoPackage holds several layers; choose one with source_layer",
            ),
            options: names,
        }),
    }
}

/// Refuses a feature "table" that is a view, a virtual table or has generated columns:
/// each computes its rows on reading, without bound.
fn plain_table(conn: &Connection, name: &str, label: &str) -> Result<(), IngestError> {
    let sql: Option<String> = conn
        .query_row(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [name],
            |r| r.get(0),
        )
        .ok();
    let generated = || -> Result<bool, rusqlite::Error> {
        let sql = format!(
            "SELECT count(*) FROM pragma_table_xinfo({}) WHERE hidden <> 0",
            literal(name)
        );
        conn.query_row(&sql, [], |r| r.get::<_, i64>(0))
            .map(|n| n > 0)
    };
    let virtual_table = sql.as_deref().is_some_and(|s| {
        s.trim_start()
            .to_ascii_uppercase()
            .starts_with("CREATE VIRTUAL")
    });
    if sql.is_none() || virtual_table || generated().map_err(|e| sql_error(label, &e))? {
        return Err(IngestError::Unsupported {
            message: msg(
                format!(
                    "GeoPackage のレイヤー「{name}」は通常のテーブルではありません（ビュー・仮想テーブル・生成列）。テーブルとして書き出してください"
                ),
                format!(
                    "the GeoPackage layer `{name}` is not a plain table (a view, virtual table or generated columns); export it as a table"
                ),
            ),
        });
    }
    Ok(())
}

/// An SQL string literal.
fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

pub(crate) fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The attribute columns (not the primary key, not the geometry) and their types.
fn attribute_columns(
    conn: &Connection,
    t: &Table,
    label: &str,
) -> Result<(Vec<Field>, Vec<String>), IngestError> {
    let sql = format!("PRAGMA table_info({})", quote(&t.name));
    let mut stmt = conn.prepare(&sql).map_err(|e| sql_error(label, &e))?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(5)?,
            ))
        })
        .map_err(|e| sql_error(label, &e))?;
    let mut fields = Vec::new();
    let mut columns = Vec::new();
    for row in rows {
        let (name, decl, pk) = row.map_err(|e| sql_error(label, &e))?;
        if pk > 0 || name.eq_ignore_ascii_case(&t.geometry) {
            continue;
        }
        fields.push(Field {
            name: name.clone(),
            ty: declared_type(&decl),
        });
        columns.push(name);
    }
    Ok((fields, columns))
}

fn declared_type(decl: &str) -> FieldType {
    let d = decl.to_ascii_uppercase();
    if d.contains("INT") {
        FieldType::Int
    } else if d.contains("REAL") || d.contains("FLOAT") || d.contains("DOUBLE") {
        FieldType::Float
    } else if d.contains("BOOL") {
        FieldType::Bool
    } else if d.starts_with("DATE") {
        FieldType::Date
    } else {
        FieldType::String
    }
}

fn srs(conn: &Connection, srs_id: i64) -> CrsFound {
    let row = conn.query_row(
        "SELECT organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys WHERE srs_id = ?1",
        [srs_id],
        |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?)),
    );
    let found = match row {
        Ok((org, code, _)) if org.eq_ignore_ascii_case("EPSG") => u32::try_from(code)
            .ok()
            .and_then(crs::Crs::from_epsg)
            .ok_or(CrsProblem::NotAccepted(format!("EPSG:{code}"))),
        Ok((_, _, wkt)) => crs::from_wkt(&wkt),
        Err(_) => Err(CrsProblem::Unrecognised(format!("srs_id {srs_id}"))),
    };
    match found {
        Ok(crs) => CrsFound::Declared {
            crs,
            source: "gpkg_srs_id",
        },
        Err(problem) => CrsFound::Unusable {
            problem,
            source: "gpkg_srs_id",
        },
    }
}

struct Features {
    conn: Connection,
    label: String,
    table: Table,
    columns: Vec<String>,
    types: Vec<FieldType>,
    limits: BudgetLimits,
}

impl FeatureSource for Features {
    fn run(self: Box<Self>, sink: &mut Sink<'_>) -> Result<(), IngestError> {
        let mut cols = vec![quote(&self.table.geometry)];
        cols.extend(self.columns.iter().map(|c| quote(c)));
        let sql = format!(
            "SELECT {} FROM {}",
            cols.join(", "),
            quote(&self.table.name)
        );
        let mut stmt = self
            .conn
            .prepare(&sql)
            .map_err(|e| sql_error(&self.label, &e))?;
        let mut rows = stmt.query([]).map_err(|e| sql_error(&self.label, &e))?;
        let mut number = 0u64;
        while let Some(row) = rows.next().map_err(|e| sql_error(&self.label, &e))? {
            number += 1;
            let (geometry, issues) = match row.get_ref(0).map_err(|e| sql_error(&self.label, &e))? {
                ValueRef::Blob(b) => wkb::parse_gpkg(b).map_err(|e| {
                    IngestError::malformed(
                        Where::file(&self.label).feature(number),
                        format!("ジオメトリが壊れています: {}", e.ja()),
                        format!("broken geometry: {e}"),
                    )
                })?,
                _ => (None, Vec::new()),
            };
            let mut properties = Vec::with_capacity(self.types.len());
            for (i, ty) in self.types.iter().enumerate() {
                let v = row.get_ref(i + 1).map_err(|e| sql_error(&self.label, &e))?;
                self.limits.value(number, converted_size(v))?;
                properties.push(value(v, *ty));
            }
            sink(SourceFeature {
                geometry,
                issues,
                properties,
                line: None,
                bad_fields: Vec::new(),
            })?;
        }
        Ok(())
    }
}

/// The bytes [`value`] would make of a text or blob (a blob becomes hex, twice its size).
fn converted_size(v: ValueRef<'_>) -> usize {
    match v {
        ValueRef::Text(t) => t.len(),
        ValueRef::Blob(b) => b.len().saturating_mul(2),
        _ => 0,
    }
}

fn value(v: ValueRef<'_>, ty: FieldType) -> Value {
    match (v, ty) {
        (ValueRef::Null, _) => Value::Null,
        (ValueRef::Integer(i), FieldType::Bool) => Value::Bool(i != 0),
        (ValueRef::Integer(i), FieldType::Float) => Value::Float(i as f64),
        (ValueRef::Integer(i), FieldType::String) => Value::String(i.to_string().into()),
        (ValueRef::Integer(i), _) => Value::Int(i),
        (ValueRef::Real(f), FieldType::String) => Value::String(f.to_string().into()),
        (ValueRef::Real(f), _) => Value::Float(f),
        (ValueRef::Text(t), _) => Value::String(String::from_utf8_lossy(t).as_ref().into()),
        (ValueRef::Blob(b), _) => Value::String(hex::encode(b).into()),
    }
}

#[cfg(test)]
mod tests {
    use geo::Geometry;

    use super::*;

    /// A minimal GeoPackage: one feature table `parcels` (EPSG:6670) with the given geometry
    /// blobs and a name each.
    fn geopackage(dir: &Path, blobs: &[Vec<u8>]) -> std::path::PathBuf {
        let path = dir.join("t.gpkg");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "PRAGMA application_id = 1196444487;
             CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT, srs_id INTEGER PRIMARY KEY,
               organization TEXT, organization_coordsys_id INTEGER, definition TEXT);
             INSERT INTO gpkg_spatial_ref_sys VALUES ('JGD2011 / II', 6670, 'EPSG', 6670, '');
             CREATE TABLE gpkg_contents (table_name TEXT PRIMARY KEY, data_type TEXT);
             INSERT INTO gpkg_contents VALUES ('parcels', 'features');
             CREATE TABLE gpkg_geometry_columns (table_name TEXT, column_name TEXT,
               srs_id INTEGER);
             INSERT INTO gpkg_geometry_columns VALUES ('parcels', 'geom', 6670);
             CREATE TABLE parcels (fid INTEGER PRIMARY KEY, geom BLOB, name TEXT);",
        )
        .unwrap();
        for (i, b) in blobs.iter().enumerate() {
            conn.execute(
                "INSERT INTO parcels (geom, name) VALUES (?1, ?2)",
                rusqlite::params![b, format!("区画{i}")],
            )
            .unwrap();
        }
        path
    }

    fn blob(wkb: &[u8]) -> Vec<u8> {
        let mut b = b"GP\x00\x01".to_vec(); // little-endian, no envelope
        b.extend(6670i32.to_le_bytes());
        b.extend(wkb);
        b
    }

    fn square_wkb() -> Vec<u8> {
        let mut b = vec![1u8];
        b.extend(3u32.to_le_bytes());
        b.extend(1u32.to_le_bytes());
        b.extend(5u32.to_le_bytes());
        for (x, y) in [
            (0.0f64, 0.0f64),
            (10.0, 0.0),
            (10.0, 10.0),
            (0.0, 10.0),
            (0.0, 0.0),
        ] {
            b.extend(x.to_le_bytes());
            b.extend(y.to_le_bytes());
        }
        b
    }

    fn read(path: &Path) -> Result<Vec<SourceFeature>, IngestError> {
        let opened = open(path, "t.gpkg", None, BudgetLimits::default())?;
        let mut out = Vec::new();
        opened.features.run(&mut |f| {
            out.push(f);
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn polygons_and_attributes_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = geopackage(dir.path(), &[blob(&square_wkb())]);
        let features = read(&path).unwrap();
        assert_eq!(features.len(), 1);
        let Some(Geometry::Polygon(p)) = &features[0].geometry else {
            panic!("not a polygon: {:?}", features[0].geometry);
        };
        assert_eq!(p.exterior().0.len(), 5);
        assert_eq!(features[0].properties, vec![Value::String("区画0".into())]);
    }

    /// A blob claiming `u32::MAX` rings, one cut short and one of an unknown type: each is a
    /// malformed-file error naming the feature, in both languages.
    #[test]
    fn hostile_geometry_blobs_are_malformed_file_errors() {
        let mut huge = vec![1u8];
        huge.extend(3u32.to_le_bytes());
        huge.extend(u32::MAX.to_le_bytes());
        let square = square_wkb();
        let mut unknown = vec![1u8];
        unknown.extend(99u32.to_le_bytes());
        unknown.extend([0u8; 16]);
        for (bad, en, ja) in [
            (&huge[..], "claims 4294967295 items", "4294967295 個の要素"),
            (&square[..7], "ends early", "途中で終わって"),
            (
                &unknown[..],
                "unknown WKB geometry type",
                "不明な WKB ジオメトリ型",
            ),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let path = geopackage(dir.path(), &[blob(&square), blob(bad)]);
            let err = read(&path).unwrap_err();
            let IngestError::Malformed { message, at } = &err else {
                panic!("not a malformed-file error: {err:?}");
            };
            assert!(message.en.contains(en), "{}", message.en);
            assert!(message.ja.contains(ja), "{}", message.ja);
            assert_eq!(at.feature, Some(2));
        }
    }

    /// A feature "table" that is a view over a recursive CTE (2,000,000 rows from 116 KiB),
    /// or a table with a generated column, is refused before a row is read.
    #[rstest::rstest]
    #[case::recursive_view(
        "ALTER TABLE parcels RENAME TO base;
         CREATE VIEW parcels AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n)
           SELECT i AS fid, (SELECT geom FROM base) AS geom, 'x' AS name FROM n;"
    )]
    #[case::zeroblob_view(
        "ALTER TABLE parcels RENAME TO base;
         CREATE VIEW parcels AS SELECT fid, geom, zeroblob(900000000) AS name FROM base;"
    )]
    #[case::generated_column("ALTER TABLE parcels ADD COLUMN big BLOB AS (zeroblob(900000000));")]
    fn tables_that_compute_their_rows_are_refused(#[case] sql: &str) {
        let dir = tempfile::tempdir().unwrap();
        let path = geopackage(dir.path(), &[blob(&square_wkb())]);
        Connection::open(&path).unwrap().execute_batch(sql).unwrap();
        let err = read(&path).expect_err("refused");
        assert!(matches!(err, IngestError::Unsupported { .. }), "{err}");
        assert!(err.to_string().contains("not a plain table"), "{err}");
    }

    #[test]
    fn an_uploaded_database_cannot_load_extensions_or_use_views() {
        let dir = tempfile::tempdir().unwrap();
        let path = geopackage(dir.path(), &[blob(&square_wkb())]);
        let conn = connect(&path, "t.gpkg").unwrap();
        let load = conn.query_row("SELECT load_extension('/tmp/nothing')", [], |r| {
            r.get::<_, Option<String>>(0)
        });
        assert!(load.is_err());
        Connection::open(&path)
            .unwrap()
            .execute_batch("CREATE VIEW v AS SELECT 1")
            .unwrap();
        let conn = connect(&path, "t.gpkg").unwrap();
        assert!(
            conn.query_row("SELECT * FROM v", [], |r| r.get::<_, i64>(0))
                .is_err()
        );
    }

    /// A blob over the value budget is refused as it is read, before it becomes a hex
    /// string of twice its size (an 80 MB blob was once stored as 152 MB of text).
    #[test]
    fn a_blob_over_the_value_budget_is_refused_before_it_is_encoded() {
        let dir = tempfile::tempdir().unwrap();
        let path = geopackage(dir.path(), &[blob(&square_wkb())]);
        Connection::open(&path)
            .unwrap()
            .execute_batch(
                "ALTER TABLE parcels ADD COLUMN data BLOB;
                 UPDATE parcels SET data = zeroblob(600000);",
            )
            .unwrap();
        let limits = BudgetLimits {
            max_value_bytes: 1 << 20,
            ..BudgetLimits::default()
        };
        let opened = open(&path, "t.gpkg", None, limits).unwrap();
        let err = opened
            .features
            .run(&mut |f| panic!("a feature got through: {:?}", f.properties.len()))
            .expect_err("refused");
        assert!(matches!(err, IngestError::TooLarge { .. }), "{err}");
        assert!(err.to_string().contains("1200000 bytes"), "{err}");
    }
}
