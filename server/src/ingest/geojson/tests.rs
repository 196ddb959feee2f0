use super::*;

fn run(text: &[u8]) -> Result<(Opened, Vec<SourceFeature>), IngestError> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("in.geojson");
    std::fs::write(&p, text).unwrap();
    let opened = open(&p, "in.geojson", None, dir.path())?;
    let mut out = Vec::new();
    let Opened {
        features,
        format,
        encoding,
        crs,
        schema,
        file_label,
        notes,
        possibly_truncated,
    } = opened;
    features.run(&mut |f| {
        out.push(f);
        Ok(())
    })?;
    let opened = Opened {
        format,
        encoding,
        crs,
        schema,
        file_label,
        notes,
        possibly_truncated,
        features: Box::new(Features {
            path: PathBuf::new(),
            label: String::new(),
            index: HashMap::new(),
            types: Vec::new(),
        }),
    };
    Ok((opened, out))
}

#[test]
fn crs_after_features_is_found_and_types_inferred() {
    let text = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"名称":"避難所","n":1},"geometry":{"type":"Point","coordinates":[130.1,33.1]}},
{"type":"Feature","properties":{"名称":"公民館","n":2.5},"geometry":null}
],"crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4612"}}}"#;
    let (opened, features) = run(text.as_bytes()).unwrap();
    assert!(matches!(
        opened.crs,
        CrsFound::Declared {
            crs: Crs::Geographic(crs::Datum::Jgd2000),
            ..
        }
    ));
    assert_eq!(opened.schema.field(1).ty, FieldType::Float);
    assert_eq!(features.len(), 2);
    assert_eq!(
        features[0].properties[0],
        crate::model::Value::String("避難所".into())
    );
    assert_eq!(features[0].line, Some(2));
    assert!(features[1].geometry.is_none());
}

#[test]
fn a_single_feature_and_a_bare_geometry_are_read() {
    let (_, f) = run(br#"{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]},"properties":{"a":"b"}}"#).unwrap();
    assert_eq!(f.len(), 1);
    let (_, f) = run(br#"{"coordinates":[[0,0],[1,1]],"type":"LineString"}"#).unwrap();
    assert_eq!(f.len(), 1);
}

#[test]
fn syntax_errors_name_the_line() {
    let e = run(b"{\"type\":\"FeatureCollection\",\n\"features\":[\n{\"type\":\"Feature\",,}]}")
        .err()
        .unwrap();
    match e {
        IngestError::Malformed { at, .. } => assert_eq!(at.line, Some(3)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn unclosed_rings_are_noticed() {
    let (_, f) = run(br#"{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1]]]}}"#).unwrap();
    assert_eq!(
        f[0].issues,
        vec![crate::ingest::validate::GeomProblem::UnclosedRing]
    );
}

#[test]
fn shift_jis_geojson_is_transcoded() {
    let text = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"名称":"鹿島市役所"},"geometry":{"type":"Point","coordinates":[130.1,33.1]}}]}"#;
    let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode(text);
    let (opened, f) = run(&sjis).unwrap();
    assert_eq!(opened.encoding.unwrap().reason, Reason::NotUtf8);
    assert_eq!(opened.schema.field(0).name, "名称");
    assert_eq!(
        f[0].properties[0],
        crate::model::Value::String("鹿島市役所".into())
    );
}
