//! The command line as scripts use it: what is meant for `$(…)` goes alone to stdout.

use std::process::Command;

use crate::helpers::TestApp;

const BIN: &str = env!("CARGO_BIN_EXE_kashimap");

#[tokio::test]
async fn token_create_prints_the_token_alone_on_stdout() {
    let t = TestApp::sample();
    t.add_user("tanaka", &["suido"], true);
    let out = Command::new(BIN)
        .arg("--data-dir")
        .arg(&t.app.config.data_dir)
        .args(["token", "create", "tanaka", "--expires", "30"])
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
