//! `kill -9` right after a 201: every answered edit is there after a restart, with the same
//! ETag. Drives the real binary over TCP.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::process::{add_user, serve, token};

/// One HTTP/1.1 request; returns the status, the ETag and the body.
pub fn request(
    addr: &str,
    method: &str,
    path: &str,
    token: &str,
    body: &str,
) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/geo+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let etag = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .starts_with("etag:")
                .then(|| l[5..].trim().to_owned())
        })
        .unwrap_or_default();
    (status, etag, body.to_owned())
}

fn setup(root: &Path) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for dir in ["layers", "data/source"] {
        std::fs::create_dir_all(root.join(dir)).unwrap();
    }
    for f in [
        "layers/leaks.toml",
        "data/leaks.fgb",
        "data/source/kashima_boundary_41207_s0010.geojson",
    ] {
        std::fs::copy(repo.join(f), root.join(f)).unwrap();
    }
}

/// A data folder with the leaks layer and a `suido` user; returns its bearer token.
pub fn prepared(root: &Path) -> String {
    setup(root);
    add_user(root, "tanaka", "suido", "correct horse battery");
    token(root, "tanaka")
}

#[test]
fn kill_9_right_after_a_201_loses_no_edit() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let token = prepared(root);

    let (mut server, addr) = serve(root);
    let mut made = Vec::new();
    for i in 0..20 {
        let body = format!(
            r#"{{"type":"Feature","geometry":{{"type":"Point","coordinates":[130.1085,33.0744]}},"properties":{{"漏水有無":"無","備考":"kill-9 記録 {i}"}}}}"#
        );
        let (status, etag, text) =
            request(&addr, "POST", "/ogc/collections/leaks/items", &token, &body);
        assert_eq!(status, 201, "{text}");
        let id = serde_json::from_str::<serde_json::Value>(&text).unwrap()["id"]
            .as_u64()
            .unwrap();
        made.push((id, etag, i));
    }
    // A change too, answered just before the kill.
    let (id0, tag0, _) = made[0].clone();
    let (status, tag, text) = request(
        &addr,
        "PATCH",
        &format!("/ogc/collections/leaks/items/{id0}"),
        &format!("{token}\r\nIf-Match: {tag0}"),
        r#"{"properties":{"修繕状況":"修繕済"}}"#,
    );
    assert_eq!(status, 200, "{text}");
    made[0].1 = tag;
    server.kill().unwrap(); // SIGKILL
    server.wait().unwrap();

    let (mut server, addr) = serve(root);
    for (id, etag, i) in &made {
        let (status, got, text) = request(
            &addr,
            "GET",
            &format!("/ogc/collections/leaks/items/{id}"),
            &token,
            "",
        );
        assert_eq!(status, 200, "record {i} after restart: {text}");
        assert_eq!(&got, etag, "record {i} is as answered");
        assert!(text.contains(&format!("kill-9 記録 {i}")));
    }
    let _ = server.kill();
    let _ = server.wait();
}

/// The edits' audit rows in the real database: (`seq`, recovered) of each.
fn edit_rows(db: &rusqlite::Connection) -> Vec<(u64, bool)> {
    let mut q = db
        .prepare("SELECT detail FROM audit_log WHERE kind = 'edit' ORDER BY id")
        .unwrap();
    q.query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(|d| {
            let d: serde_json::Value = serde_json::from_str(&d.unwrap()).unwrap();
            (d["seq"].as_u64().unwrap(), d["recovered"] == true)
        })
        .collect()
}

fn post_leak(addr: &str, token: &str, note: &str) {
    let body = format!(
        r#"{{"type":"Feature","geometry":{{"type":"Point","coordinates":[130.1085,33.0744]}},"properties":{{"漏水有無":"無","備考":"{note}"}}}}"#
    );
    let (status, _, text) = request(addr, "POST", "/ogc/collections/leaks/items", token, &body);
    assert_eq!(status, 201, "{text}");
}

/// The audit database refuses the edit's row (a real SQLite failure: a trigger), after the
/// edit log's fsync. The edit is answered and stands; its row is written by the applier's
/// retry while the server runs, or at the next start after a `kill -9`, once, dated when
/// the edit was made.
#[test]
fn an_edit_whose_audit_row_failed_is_audited_later_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let token = prepared(root);
    let (mut server, addr) = serve(root);
    let db = rusqlite::Connection::open(root.join("var/kashimap.sqlite3")).unwrap();
    db.busy_timeout(Duration::from_secs(10)).unwrap();
    let refuse = "CREATE TRIGGER refuse_edits BEFORE INSERT ON audit_log WHEN NEW.kind = 'edit' \
                  BEGIN SELECT RAISE(ABORT, 'disk full (test)'); END;";
    db.execute_batch(refuse).unwrap();
    post_leak(&addr, &token, "監査が書けない記録 1");
    assert!(edit_rows(&db).is_empty(), "the row could not be written");

    // kill -9 while the row is missing; the next start writes it from the edit log.
    server.kill().unwrap();
    server.wait().unwrap();
    db.execute_batch("DROP TRIGGER refuse_edits;").unwrap();
    let (mut server, addr) = serve(root);
    let rows = edit_rows(&db);
    assert_eq!(rows.len(), 1, "written at start: {rows:?}");
    assert!(rows[0].1, "marked as recovered");
    server.kill().unwrap();
    server.wait().unwrap();
    let (mut server, addr2) = serve(root);
    assert_eq!(edit_rows(&db), rows, "a second start writes nothing again");
    drop(addr);

    // While the server runs: the applier retries the waiting row with the next edit.
    db.execute_batch(refuse).unwrap();
    post_leak(&addr2, &token, "監査が書けない記録 2");
    assert_eq!(edit_rows(&db).len(), 1);
    db.execute_batch("DROP TRIGGER refuse_edits;").unwrap();
    post_leak(&addr2, &token, "次の記録");
    let deadline = Instant::now() + Duration::from_secs(10);
    while edit_rows(&db).len() < 3 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let rows = edit_rows(&db);
    assert_eq!(rows.len(), 3, "{rows:?}");
    let mut seqs: Vec<u64> = rows.iter().map(|r| r.0).collect();
    seqs.sort_unstable();
    seqs.dedup();
    assert_eq!(seqs.len(), 3, "each edit once");
    let _ = server.kill();
    let _ = server.wait();
}
