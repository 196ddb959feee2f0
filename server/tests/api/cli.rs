//! The command line as scripts use it: what is meant for `$(…)` goes alone to stdout.

use std::process::Command;

use crate::helpers::TestApp;

const BIN: &str = env!("CARGO_BIN_EXE_kashimap");

#[tokio::test]
async fn token_create_prints_the_token_alone_on_stdout() {
    let t = TestApp::sample();
    t.add_user("tanaka", &["suido"], true);
    let out = command(&t, &["token", "create", "tanaka", "--expires", "30"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{stderr}");

    // `TOKEN=$(kashimap token create …)` keeps the token and nothing else.
    let token = stdout.strip_suffix('\n').unwrap_or(&stdout);
    assert!(
        token.starts_with("kmap_") && !token.contains(char::is_whitespace),
        "stdout is the token alone: {stdout:?}"
    );
    // The notice, on stderr, makes sense when stdout went into a variable.
    assert!(
        stderr.contains("token 1 for tanaka") && stderr.contains("standard output"),
        "{stderr}"
    );
    assert!(!stderr.contains(token), "{stderr}");

    let res = t
        .get_bearer(token, "/ogc/collections/pipes/items?limit=1")
        .await;
    assert_eq!(res.status, 200, "the printed token works: {}", res.text());
}

/// `kashimap ARGS` on the test app's data folder and database.
fn command(t: &TestApp, args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.envs(
        t.app
            .config
            .database
            .as_ref()
            .map(|d| ("KASHIMAP_DATABASE", d)),
    )
    .arg("--data-dir")
    .arg(&t.app.config.data_dir)
    .args(args);
    c
}

fn kashimap(t: &TestApp, args: &[&str]) -> (bool, String) {
    let out = command(t, args).output().unwrap();
    (out.status.success(), String::from_utf8(out.stderr).unwrap())
}

#[tokio::test]
async fn user_set_roles_and_expire_change_the_account_or_name_what_is_wrong() {
    let t = TestApp::sample();
    t.add_user("yamada", &["suido"], true);
    let (ok, err) = kashimap(&t, &["user", "set-roles", "yamada", "toshi", "bousai"]);
    assert!(ok, "{err}");
    assert!(err.contains("bousai, toshi"), "{err}");
    let (ok, err) = kashimap(&t, &["user", "expire", "yamada", "2099-03-31"]);
    assert!(ok && err.contains("2099-03-31T15:00:00Z"), "{err}");
    let u = t.app.access.db.user("yamada").unwrap().unwrap();
    assert_eq!(u.roles, ["bousai", "toshi"]);
    assert!(u.expires_at.is_some());

    for (args, named) in [
        (&["user", "set-roles", "nobody", "toshi"][..], "nobody"),
        (&["user", "set-roles", "yamada", "Bad Role"][..], "role"),
        (&["user", "expire", "yamada", "2001-01-01"][..], "expiry"),
        (&["user", "expire", "yamada", "someday"][..], "expiry"),
    ] {
        let (ok, err) = kashimap(&t, args);
        assert!(!ok && err.contains(named), "{args:?}: {err}");
    }
    let u = t.app.access.db.user("yamada").unwrap().unwrap();
    assert_eq!(u.roles, ["bousai", "toshi"], "nothing changed");
    let audit = t
        .app
        .access
        .audit
        .query(kashimap::access::AuditFilter {
            user: Some("yamada".into()),
            kind: Some("user_change".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(audit.len(), 2, "each change is audited once");
    assert_eq!(audit[0].detail["by"], "cli");
}

#[tokio::test]
async fn import_map_takes_field_equals_column() {
    let t = TestApp::sample();
    let (ok, err) = kashimap(&t, &["import", "shelters", "x.csv", "--map", "名称"]);
    assert!(
        !ok && err.contains("--map") && err.contains("FIELD=COLUMN"),
        "{err}"
    );
}
