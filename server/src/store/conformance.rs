//! One suite of store tests run against every [`VersionStore`]: the folder store always,
//! and the S3 store against a real S3 server when `KASHIMAP_TEST_S3` names a bucket
//! (`s3://bucket?endpoint=http://127.0.0.1:PORT`, credentials in `AWS_*`; scripts/test-scale
//! starts s3s-fs and sets it). Each S3 test works under a fresh random prefix.

use std::io::Read;
use std::sync::{Arc, Barrier};

use super::{FsStore, NewVersion, S3Store, StoreError, VersionStore};

/// Opens stores on one shared location: two calls give two independent writers (two
/// primaries) on the same versions.
struct Location {
    name: &'static str,
    _dir: Option<tempfile::TempDir>,
    open: Box<dyn Fn() -> Arc<dyn VersionStore>>,
    /// Removes data objects without metadata at once (the store's `recover`).
    recover: Box<dyn Fn() -> usize>,
    /// Leaves a data object without metadata, as a crash between the two writes would.
    orphan: Box<dyn Fn(u64)>,
}

/// Small listing pages on S3, so that a layer's listing spans several pages.
const PAGE: u32 = 3;

fn locations() -> Vec<Location> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    let (p1, p2, p3) = (path.clone(), path.clone(), path);
    let mut out = vec![Location {
        name: "folder",
        _dir: Some(dir),
        open: Box::new(move || Arc::new(FsStore::open(&p1).unwrap())),
        recover: Box::new(move || FsStore::open(&p2).unwrap().recover().unwrap().len()),
        orphan: Box::new(move |v| {
            let d = p3.join("layers/shelters");
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join(format!("v{v:06}.fgb")), b"partial").unwrap();
        }),
    }];
    match std::env::var("KASHIMAP_TEST_S3") {
        Ok(base) if !base.is_empty() => {
            let (bucket, query) = base.split_once('?').unwrap_or((&base, ""));
            let url = format!(
                "{}/conformance-{:016x}?{query}",
                bucket.trim_end_matches('/'),
                rand::random::<u64>()
            );
            let (u1, u2, u3) = (url.clone(), url.clone(), url);
            out.push(Location {
                name: "s3",
                _dir: None,
                open: Box::new(move || Arc::new(S3Store::open_paged(&u1, false, PAGE).unwrap())),
                recover: Box::new(move || {
                    let s = S3Store::open(&u2, false).unwrap();
                    s.recover_older_than(0).unwrap().len()
                }),
                orphan: Box::new(move |v| {
                    let c = crate::s3::Client::from_url(&u3).unwrap();
                    let rel = format!("layers/shelters/v{v:06}.fgb");
                    c.put(&rel, crate::s3::Body::Bytes(b"partial"), &[])
                        .unwrap();
                }),
            });
        }
        _ => eprintln!(
            "note: the S3 store's conformance tests are skipped: set KASHIMAP_TEST_S3 \
             (scripts/test-scale runs them against a real S3 server)"
        ),
    }
    out
}

fn put(store: &dyn VersionStore, bytes: &[u8]) -> u64 {
    let meta = NewVersion {
        feature_count: bytes.len(),
        source_name: "test.geojson".into(),
        ..NewVersion::default()
    };
    store
        .put("shelters", &meta, &mut &bytes[..])
        .unwrap()
        .version
}

fn read(store: &dyn VersionStore, version: u64) -> Vec<u8> {
    let mut out = Vec::new();
    store
        .get("shelters", version)
        .unwrap()
        .read_to_end(&mut out)
        .unwrap();
    out
}

#[test]
fn versions_are_put_then_activated_by_compare_and_swap() {
    for loc in locations() {
        let store = (loc.open)();
        let s = &*store;
        assert_eq!(s.current("shelters").unwrap(), None, "{}", loc.name);
        assert_eq!(s.list("shelters").unwrap(), vec![], "{}", loc.name);
        let v1 = put(s, b"abc");
        assert_eq!(
            s.current("shelters").unwrap(),
            None,
            "{}: put does not activate",
            loc.name
        );
        s.activate("shelters", v1, None).unwrap();
        let v2 = put(s, b"abcde");
        assert!(v2 > v1, "{}", loc.name);
        s.activate("shelters", v2, Some(v1)).unwrap();
        assert_eq!(s.current("shelters").unwrap(), Some(v2), "{}", loc.name);
        assert_eq!(read(s, v2), b"abcde", "{}", loc.name);
        assert_eq!(read(s, v1), b"abc", "{}", loc.name);
        let info = s.info("shelters", v2).unwrap();
        assert_eq!(
            (info.feature_count, info.source_name.as_str()),
            (5, "test.geojson")
        );
        // A writer that still believes v1 is current loses, and nothing changes.
        let lost = s.activate("shelters", v1, Some(v1)).unwrap_err();
        assert!(
            matches!(lost, StoreError::Conflict { expected: Some(e), actual: Some(a), .. } if e == v1 && a == v2),
            "{}: {lost}",
            loc.name
        );
        assert!(matches!(
            s.activate("shelters", 999, Some(v2)),
            Err(StoreError::NoSuchVersion { .. })
        ));
        assert!(matches!(
            s.get("shelters", 999),
            Err(StoreError::NoSuchVersion { .. })
        ));
        assert_eq!(s.current("shelters").unwrap(), Some(v2), "{}", loc.name);
        // Another writer on the same location sees the same.
        let other = (loc.open)();
        assert_eq!(other.current("shelters").unwrap(), Some(v2), "{}", loc.name);
        assert_eq!(other.list("shelters").unwrap().len(), 2, "{}", loc.name);
    }
}

#[test]
fn listing_and_removal_span_pages_and_spare_the_current_version() {
    for loc in locations() {
        let store = (loc.open)();
        let s = &*store;
        // Seven versions: 21 objects, seven listing pages of three on S3.
        let versions: Vec<u64> = (0..7).map(|i| put(s, format!("v{i}").as_bytes())).collect();
        assert_eq!(
            s.list("shelters")
                .unwrap()
                .iter()
                .map(|v| v.version)
                .collect::<Vec<_>>(),
            versions,
            "{}: oldest first, every page",
            loc.name
        );
        s.activate("shelters", versions[6], None).unwrap();
        assert!(matches!(
            s.remove("shelters", versions[6]),
            Err(StoreError::RemoveCurrent { .. })
        ));
        for v in &versions[..5] {
            s.remove("shelters", *v).unwrap();
        }
        s.remove("shelters", versions[0]).unwrap(); // removing twice is no error
        assert_eq!(
            s.list("shelters")
                .unwrap()
                .iter()
                .map(|v| v.version)
                .collect::<Vec<_>>(),
            &versions[5..],
            "{}",
            loc.name
        );
        assert!(matches!(
            s.get("shelters", versions[0]),
            Err(StoreError::NoSuchVersion { .. })
        ));
        // A new version never takes a removed one's number below the highest.
        assert!(put(s, b"new") > versions[6], "{}", loc.name);
    }
}

#[test]
fn a_large_version_streams_back_whole() {
    for loc in locations() {
        let store = (loc.open)();
        let bytes: Vec<u8> = (0..6_000_000u32).map(|i| (i % 251) as u8).collect();
        let v = put(&*store, &bytes);
        let mut reader = store.get("shelters", v).unwrap();
        let mut first = vec![0u8; 1000];
        reader.read_exact(&mut first).unwrap();
        assert_eq!(first, bytes[..1000], "{}", loc.name);
        let mut rest = Vec::new();
        reader.read_to_end(&mut rest).unwrap();
        assert_eq!(rest.len(), bytes.len() - 1000, "{}", loc.name);
        assert!(rest == bytes[1000..], "{}", loc.name);
    }
}

#[test]
fn two_writers_never_share_a_version_number() {
    for loc in locations() {
        let (a, b) = ((loc.open)(), (loc.open)());
        let versions: Vec<u64> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|i| {
                    let store = if i % 2 == 0 { &a } else { &b };
                    s.spawn(move || (put(&**store, format!("{i}").as_bytes()), i))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    let (v, i) = h.join().unwrap();
                    // Each number holds the bytes of the writer that took it.
                    assert_eq!(read(&*a, v), format!("{i}").as_bytes(), "{}", loc.name);
                    v
                })
                .collect()
        });
        let mut sorted = versions.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 8, "{}: {versions:?}", loc.name);
        assert_eq!(a.list("shelters").unwrap().len(), 8, "{}", loc.name);
    }
}

/// Two primaries publish at the same moment, round after round: each puts its own version
/// and switches `CURRENT` from the same expected one. Exactly one switch wins each round;
/// the loser is told (a conflict) and no version is lost.
#[test]
fn two_writers_racing_activate_exactly_one_wins() {
    for loc in locations() {
        let (a, b) = ((loc.open)(), (loc.open)());
        let rounds = 6;
        let barrier = Barrier::new(2);
        let barrier = &barrier;
        let run = |store: &Arc<dyn VersionStore>, who: u8| {
            let mut out = Vec::new();
            for round in 0..rounds {
                let v = put(&**store, &[who, round]);
                barrier.wait();
                let expected = store.current("shelters").unwrap();
                barrier.wait();
                let won = match store.activate("shelters", v, expected) {
                    Ok(()) => true,
                    Err(StoreError::Conflict { .. }) => false,
                    Err(e) => panic!("{e}"),
                };
                out.push((u64::from(round), v, won));
                barrier.wait();
            }
            out
        };
        let results: Vec<(u64, u64, bool)> = std::thread::scope(|s| {
            let run = &run;
            let ha = s.spawn(|| run(&a, 1));
            let hb = s.spawn(|| run(&b, 2));
            let mut all = ha.join().unwrap();
            all.extend(hb.join().unwrap());
            all
        });
        for round in 0..u64::from(rounds) {
            let winners: Vec<_> = results.iter().filter(|r| r.0 == round && r.2).collect();
            assert_eq!(winners.len(), 1, "{}: round {round}: {results:?}", loc.name);
        }
        let last_winner = results
            .iter()
            .filter(|r| r.0 == u64::from(rounds) - 1 && r.2)
            .map(|r| r.1)
            .next();
        assert_eq!(a.current("shelters").unwrap(), last_winner, "{}", loc.name);
        // Every version put, winner or loser, is still there to publish again.
        assert_eq!(
            a.list("shelters").unwrap().len(),
            2 * rounds as usize,
            "{}",
            loc.name
        );
    }
}

#[test]
fn data_without_metadata_is_ignored_then_recovered() {
    for loc in locations() {
        let store = (loc.open)();
        let v = put(&*store, b"12");
        store.activate("shelters", v, None).unwrap();
        (loc.orphan)(v + 1);
        assert_eq!(store.list("shelters").unwrap().len(), 1, "{}", loc.name);
        assert!(matches!(
            store.get("shelters", v + 1),
            Err(StoreError::NoSuchVersion { .. })
        ));
        assert!(matches!(
            store.activate("shelters", v + 1, Some(v)),
            Err(StoreError::NoSuchVersion { .. })
        ));
        assert_eq!((loc.recover)(), 1, "{}", loc.name);
        assert_eq!((loc.recover)(), 0, "{}", loc.name);
        // The orphan's number is not reused by mistake for a half-visible version.
        let next = put(&*store, b"34");
        assert_eq!(read(&*store, next), b"34", "{}", loc.name);
        assert_eq!(read(&*store, v), b"12", "{}", loc.name);
        assert_eq!(store.current("shelters").unwrap(), Some(v), "{}", loc.name);
    }
}

/// The lock's lease is judged by the server's `LastModified` of the claims: the listing's
/// times must be read (a time read as 0 would make every other claim look dead).
#[test]
fn listed_objects_carry_the_servers_time() {
    let Some(base) = std::env::var("KASHIMAP_TEST_S3")
        .ok()
        .filter(|b| !b.is_empty())
    else {
        eprintln!("note: skipped without KASHIMAP_TEST_S3");
        return;
    };
    let (bucket, query) = base.split_once('?').unwrap_or((&base, ""));
    let url = format!("{bucket}/times-{:016x}?{query}", rand::random::<u64>());
    let c = crate::s3::Client::from_url(&url).unwrap();
    c.put("a", crate::s3::Body::Bytes(b"x"), &[]).unwrap();
    let listed = c.list("").unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].rel.as_str(), listed[0].size), ("a", 1));
    assert!(
        (listed[0].modified - crate::time::unix_now()).abs() < 600,
        "{listed:?}"
    );
    c.delete("a").unwrap();
    assert!(c.list("").unwrap().is_empty());
}

#[test]
fn a_bucket_keeps_created_layers_definitions_for_every_writer_and_a_folder_leaves_them_to_its_catalog()
 {
    for loc in locations() {
        let (a, b) = ((loc.open)(), (loc.open)());
        let text = b"id = \"made\"\n";
        a.put_definition("made", Some(text)).unwrap();
        if !a.keeps_definitions() {
            assert!(b.definition_ids().unwrap().is_empty(), "{}", loc.name);
            continue;
        }
        assert_eq!(b.definition_ids().unwrap(), ["made"], "{}", loc.name);
        assert_eq!(b.definition("made").unwrap().as_deref(), Some(&text[..]));
        assert_eq!(b.definition("other").unwrap(), None);
        a.put_definition("made", None).unwrap();
        assert!(b.definition_ids().unwrap().is_empty(), "{}", loc.name);
        assert_eq!(b.definition("made").unwrap(), None);
    }
}
