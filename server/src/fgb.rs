//! FlatGeobuf files: the store's on-disk format and the `export.fgb` output.
//!
//! Store files keep feature order (no Hilbert sort) so that feature ids, which are
//! positions, stay stable across a restart. Exports are written with a spatial index.

use std::borrow::Borrow;
use std::io::{BufReader, Read, Write};

use flatgeobuf::{
    ColumnType, FallibleStreamingIterator, FgbCrs, FgbReader, FgbWriter, FgbWriterOptions,
    GeometryType,
};
use geozero::{ColumnValue, FeatureProperties, PropertyProcessor, ToGeo};

use crate::model::{Feature, Field, FieldType, Schema, Value};

/// An error reading or writing FlatGeobuf.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FgbError {
    #[error("FlatGeobuf: {0}")]
    Format(#[from] flatgeobuf::Error),
    #[error("FlatGeobuf feature {index}: {message}")]
    Feature { index: usize, message: String },
    #[error("FlatGeobuf: {0}")]
    Io(#[from] std::io::Error),
    #[error("FlatGeobuf: {0}")]
    Geozero(#[from] geozero::error::GeozeroError),
}

/// Options for [`write`].
#[derive(Debug, Clone, Copy, Default)]
pub struct WriteOptions<'a> {
    /// Write a packed Hilbert R-tree (reorders features). Off for the store, on for exports.
    pub index: bool,
    pub title: Option<&'a str>,
    pub description: Option<&'a str>,
}

/// Writes features in EPSG:4326 with the given schema.
///
/// `features` may yield references or owned features, so a generator can stream a
/// million features through without holding them all (the writer spools to a temp file).
pub fn write<F: Borrow<Feature>>(
    out: impl Write,
    name: &str,
    schema: &Schema,
    columns: &[usize],
    features: impl IntoIterator<Item = F>,
    options: WriteOptions<'_>,
) -> Result<(), FgbError> {
    let mut fgb = FgbWriter::create_with_options(
        name,
        GeometryType::Unknown,
        FgbWriterOptions {
            write_index: options.index,
            detect_type: false,
            promote_to_multi: false,
            crs: FgbCrs {
                code: 4326,
                ..FgbCrs::default()
            },
            title: options.title,
            description: options.description,
            ..FgbWriterOptions::default()
        },
    )?;
    for &c in columns {
        let f = schema.field(c);
        fgb.add_column(&f.name, column_type(f.ty), |_, col| col.nullable = true);
    }
    for feature in features {
        let feature = feature.borrow();
        let mut result = Ok(false);
        fgb.add_feature_geom(feature.geometry.clone(), |w| {
            result = columns
                .iter()
                .enumerate()
                .try_for_each(|(out_idx, &c)| {
                    let f = schema.field(c);
                    match column_value(feature.property(c), f.ty) {
                        Some(v) => w.property(out_idx, &f.name, &v).map(|_| ()),
                        None => Ok(()),
                    }
                })
                .map(|()| false);
        })?;
        result.map_err(|e| FgbError::Feature {
            index: feature.id as usize,
            message: e.to_string(),
        })?;
    }
    fgb.write(out)?;
    Ok(())
}

/// Writes features one at a time. The FlatGeobuf writer spools them to a temporary file,
/// so an import never holds a whole layer in memory; only about 56 bytes per feature of
/// offsets stay in memory until [`StreamWriter::finish`].
pub struct StreamWriter<'a> {
    fgb: FgbWriter<'a>,
    types: Vec<(String, FieldType)>,
    count: usize,
}

impl StreamWriter<'_> {
    /// Starts a store file (EPSG:4326, file order kept, no index) with every column of
    /// `schema`.
    pub fn new(name: &str, schema: &Schema) -> Result<Self, FgbError> {
        let mut fgb = FgbWriter::create_with_options(
            name,
            GeometryType::Unknown,
            FgbWriterOptions {
                write_index: false,
                detect_type: false,
                promote_to_multi: false,
                crs: FgbCrs {
                    code: 4326,
                    ..FgbCrs::default()
                },
                ..FgbWriterOptions::default()
            },
        )?;
        for f in schema.fields() {
            fgb.add_column(&f.name, column_type(f.ty), |_, col| col.nullable = true);
        }
        let types = schema
            .fields()
            .iter()
            .map(|f| (f.name.clone(), f.ty))
            .collect();
        Ok(Self {
            fgb,
            types,
            count: 0,
        })
    }

    /// Appends one feature; `properties` are in schema order.
    pub fn add(
        &mut self,
        geometry: geo::Geometry<f64>,
        properties: &[Value],
    ) -> Result<(), FgbError> {
        let mut result = Ok(());
        let types = &self.types;
        self.fgb.add_feature_geom(geometry, |w| {
            result =
                types
                    .iter()
                    .zip(properties)
                    .enumerate()
                    .try_for_each(|(i, ((name, ty), v))| match column_value(v, *ty) {
                        Some(cv) => w.property(i, name, &cv).map(|_| ()),
                        None => Ok(()),
                    });
        })?;
        self.count += 1;
        result.map_err(|e| FgbError::Feature {
            index: self.count,
            message: e.to_string(),
        })
    }

    pub fn count(&self) -> usize {
        self.count
    }

    /// Writes the file and returns the number of features.
    pub fn finish(self, out: impl Write) -> Result<usize, FgbError> {
        self.fgb.write(out)?;
        Ok(self.count)
    }
}

fn column_type(ty: FieldType) -> ColumnType {
    match ty {
        FieldType::Bool => ColumnType::Bool,
        FieldType::Int => ColumnType::Long,
        FieldType::Float => ColumnType::Double,
        FieldType::String => ColumnType::String,
        FieldType::Date => ColumnType::DateTime,
        FieldType::Json => ColumnType::Json,
    }
}

fn column_value(v: &Value, ty: FieldType) -> Option<ColumnValue<'_>> {
    Some(match (v, ty) {
        (Value::Null, _) => return None,
        (Value::Bool(b), _) => ColumnValue::Bool(*b),
        (Value::Int(i), _) => ColumnValue::Long(*i),
        (Value::Float(f), _) => ColumnValue::Double(*f),
        (Value::String(s), FieldType::Date) => ColumnValue::DateTime(s),
        (Value::String(s), FieldType::Json) => ColumnValue::Json(s),
        (Value::String(s), _) => ColumnValue::String(s),
    })
}

/// Our type for a FlatGeobuf column type.
pub fn field_type(ty: ColumnType) -> FieldType {
    match ty {
        ColumnType::Bool => FieldType::Bool,
        ColumnType::Byte
        | ColumnType::UByte
        | ColumnType::Short
        | ColumnType::UShort
        | ColumnType::Int
        | ColumnType::UInt
        | ColumnType::Long
        | ColumnType::ULong => FieldType::Int,
        ColumnType::Float | ColumnType::Double => FieldType::Float,
        ColumnType::DateTime => FieldType::Date,
        ColumnType::Json => FieldType::Json,
        _ => FieldType::String,
    }
}

/// The attribute columns a FlatGeobuf header declares.
pub fn header_fields(header: &flatgeobuf::Header<'_>) -> Vec<Field> {
    header
        .columns()
        .map(|cols| {
            cols.iter()
                .map(|c| Field {
                    name: c.name().to_owned(),
                    ty: field_type(c.type_()),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Reads a whole FlatGeobuf file into features with ids `1..=n` in file order.
/// Features without geometry are skipped.
pub fn read(input: impl Read) -> Result<(Schema, Vec<Feature>), FgbError> {
    let reader = FgbReader::open(BufReader::new(input))?;
    let header = reader.header();
    let fields = header_fields(&header);
    // Cap the allocation: the header's count is untrusted.
    let capacity = (header.features_count() as usize).min(1 << 20);
    let schema = Schema::new(fields);
    let mut iter = reader.select_all_seq()?;
    let mut features = Vec::with_capacity(capacity);
    let mut index = 0usize;
    while let Some(feat) = iter.next()? {
        index += 1;
        let bad = |e: geozero::error::GeozeroError| FgbError::Feature {
            index,
            message: e.to_string(),
        };
        let Ok(geometry) = feat.to_geo() else {
            continue;
        };
        let mut props = Props(vec![Value::Null; schema.len()]);
        feat.process_properties(&mut props).map_err(bad)?;
        features.push(Feature::new(
            index as u64,
            geometry,
            props.0.into_boxed_slice(),
        ));
    }
    Ok((schema, features))
}

struct Props(Vec<Value>);

impl PropertyProcessor for Props {
    fn property(&mut self, i: usize, _: &str, v: &ColumnValue) -> geozero::error::Result<bool> {
        if let Some(slot) = self.0.get_mut(i) {
            *slot = value_of(v);
        }
        Ok(false)
    }
}

/// Converts a geozero column value to ours.
pub fn value_of(v: &ColumnValue) -> Value {
    match *v {
        ColumnValue::Bool(b) => Value::Bool(b),
        ColumnValue::Byte(i) => Value::Int(i.into()),
        ColumnValue::UByte(i) => Value::Int(i.into()),
        ColumnValue::Short(i) => Value::Int(i.into()),
        ColumnValue::UShort(i) => Value::Int(i.into()),
        ColumnValue::Int(i) => Value::Int(i.into()),
        ColumnValue::UInt(i) => Value::Int(i.into()),
        ColumnValue::Long(i) => Value::Int(i),
        ColumnValue::ULong(i) => i64::try_from(i).map_or(Value::Float(i as f64), Value::Int),
        ColumnValue::Float(f) => Value::Float(f.into()),
        ColumnValue::Double(f) => Value::Float(f),
        ColumnValue::String(s) | ColumnValue::Json(s) | ColumnValue::DateTime(s) => {
            Value::String(s.into())
        }
        ColumnValue::Binary(b) => Value::String(hex::encode(b).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Geometry, line_string, point, polygon};

    fn sample() -> (Schema, Vec<Feature>) {
        let schema = Schema::new(vec![
            Field {
                name: "名称".into(),
                ty: FieldType::String,
            },
            Field {
                name: "口径".into(),
                ty: FieldType::Int,
            },
            Field {
                name: "率".into(),
                ty: FieldType::Float,
            },
            Field {
                name: "公開".into(),
                ty: FieldType::Bool,
            },
            Field {
                name: "日付".into(),
                ty: FieldType::Date,
            },
            Field {
                name: "履歴".into(),
                ty: FieldType::Json,
            },
        ]);
        let props = |n: &str| -> Box<[Value]> {
            vec![
                Value::String(n.into()),
                Value::Int(150),
                Value::Float(0.6),
                Value::Bool(true),
                Value::String("2020-04-01".into()),
                Value::String(r#"[{"種別":"届出"}]"#.into()),
            ]
            .into()
        };
        let features = vec![
            Feature::new(
                1,
                Geometry::Point(point!(x: 130.1, y: 33.1)),
                props("避難所"),
            ),
            Feature::new(
                2,
                Geometry::LineString(line_string![(x: 130.0, y: 33.0), (x: 130.1, y: 33.05)]),
                props("市道"),
            ),
            Feature::new(
                3,
                Geometry::Polygon(
                    polygon![(x: 130.0, y: 33.0), (x: 130.1, y: 33.0), (x: 130.1, y: 33.1), (x: 130.0, y: 33.0)],
                ),
                vec![Value::Null; 6].into(),
            ),
        ];
        (schema, features)
    }

    #[test]
    fn round_trip_keeps_order_types_and_japanese_text() {
        let (schema, features) = sample();
        let mut buf = Vec::new();
        let cols: Vec<usize> = (0..schema.len()).collect();
        write(
            &mut buf,
            "t",
            &schema,
            &cols,
            &features,
            WriteOptions::default(),
        )
        .unwrap();
        let (schema2, back) = read(buf.as_slice()).unwrap();
        assert_eq!(schema2, schema);
        assert_eq!(back.len(), 3);
        for (a, b) in features.iter().zip(&back) {
            assert_eq!(a.id, b.id);
            assert_eq!(a.geometry, b.geometry);
            assert_eq!(a.properties, b.properties);
        }
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(read(&b"fgb\x03fgb\x00\xff\xff\xff\x7f"[..]).is_err());
        assert!(read(&b"not a flatgeobuf file"[..]).is_err());
    }
}
