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

/// A random JSON value shaped like GeoJSON coordinates, often well formed and often not.
fn random_coordinates(rng: &mut crate::ingest::fuzz::Rng, depth: usize) -> String {
    let scalar = |rng: &mut crate::ingest::fuzz::Rng| match rng.below(8) {
        0 => "\"x\"".to_owned(),
        1 => "null".to_owned(),
        2 => "{\"a\":[1,2]}".to_owned(),
        3 => "true".to_owned(),
        4 => format!("{}", rng.below(1000)),
        _ => format!("{}.{}", 130 + rng.below(3), rng.below(100_000)),
    };
    if depth == 0 || rng.below(10) == 0 {
        return scalar(rng);
    }
    let n = rng.below(4);
    let items: Vec<String> = (0..n)
        .map(|_| {
            if depth == 1 && rng.below(6) != 0 {
                scalar(rng)
            } else {
                random_coordinates(rng, depth - 1)
            }
        })
        .collect();
    format!("[{}]", items.join(","))
}

fn random_geometry(rng: &mut crate::ingest::fuzz::Rng, depth: usize) -> String {
    let types = [
        "\"Point\"",
        "\"MultiPoint\"",
        "\"LineString\"",
        "\"MultiLineString\"",
        "\"Polygon\"",
        "\"MultiPolygon\"",
        "\"GeometryCollection\"",
        "\"Curve\"",
        "7",
    ];
    let mut members = Vec::new();
    if rng.below(12) != 0 {
        members.push(format!("\"type\":{}", types[rng.below(types.len())]));
    }
    match rng.below(6) {
        0 => {}
        1 => members.push("\"coordinates\":null".to_owned()),
        _ => {
            let depth = 1 + rng.below(4);
            members.push(format!(
                "\"coordinates\":{}",
                random_coordinates(rng, depth)
            ));
        }
    }
    if depth < 10 && rng.below(3) == 0 {
        let parts: Vec<String> = (0..rng.below(3))
            .map(|_| match rng.below(8) {
                0 => "null".to_owned(),
                1 => "[1,2]".to_owned(),
                _ => random_geometry(rng, depth + 1),
            })
            .collect();
        members.push(format!("\"geometries\":[{}]", parts.join(",")));
    }
    // Members come in any order: `type` after `coordinates` must read the same.
    if rng.below(2) == 0 {
        members.reverse();
    }
    format!("{{{}}}", members.join(","))
}

#[test]
fn streaming_geometries_read_as_the_value_based_reader_did() {
    let mut rng = crate::ingest::fuzz::Rng(0x6E0_4A50);
    let mut malformed = 0;
    for _ in 0..20_000 {
        let text = random_geometry(&mut rng, 0);
        let value: Json = serde_json::from_str(&text).unwrap();
        let expected = reference::from_json(&value);
        let slot: Slot = serde_json::from_str(&text).unwrap();
        let got = geometry::convert(slot);
        assert_eq!(format!("{got:?}"), format!("{expected:?}"), "{text}");
        malformed += usize::from(got.is_err());
    }
    // Both outcomes were exercised.
    assert!((2_000..18_000).contains(&malformed), "{malformed}");
}

#[test]
fn a_long_line_is_read_into_its_coordinates_without_a_value_tree() {
    // A structural check of the memory bound: the coordinates of a LineString are parsed
    // into the geometry's own vector (taken whole, so its capacity is the vertex count),
    // never into a `serde_json::Value` (32 bytes a number, plus a vector per position).
    let n = 100_000;
    let coords: Vec<String> = (0..n).map(|i| format!("[{}.{i:06},33.1]", 130)).collect();
    let text = format!(
        r#"{{"coordinates":[{}],"type":"LineString"}}"#,
        coords.join(",")
    );
    let slot: Slot = serde_json::from_str(&text).unwrap();
    let Slot::Object(raw) = &slot else {
        panic!("not an object")
    };
    let c = raw.coordinates.as_ref().unwrap();
    assert_eq!(c.points.len(), n);
    assert_eq!(
        c.shape.len(),
        n + 2,
        "one byte of shape per position, plus the array"
    );
    assert_eq!(size_of::<coords::Token>(), 1);
    let (g, _) = geometry::convert(slot).unwrap();
    let Some(geo::Geometry::LineString(l)) = g else {
        panic!("not a line")
    };
    assert_eq!(l.0.len(), n);
    assert_eq!(
        l.0.capacity(),
        n,
        "the positions were taken, not copied into a grown vector"
    );
}
