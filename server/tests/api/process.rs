//! The real `kashimap` binary as a child process, for the tests that `kill -9` it or run two
//! of it on one data folder (`edits::crash`, `uploads::crash`).

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_kashimap");

/// `kashimap --data-dir var --layers-dir layers ARGS` run in `root`; stdout is discarded
/// (pipe it where it is read), stderr piped.
pub fn kashimap(root: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.current_dir(root)
        .args(["--data-dir", "var", "--layers-dir", "layers"])
        .args(args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

/// Starts the server on a free port and returns it with its address.
pub fn serve(root: &Path) -> (Child, String) {
    let mut child = kashimap(root, &["--addr", "127.0.0.1:0", "serve"])
        .env("RUST_LOG", "info")
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        let Some(Ok(line)) = lines.next() else { break };
        if let Some(i) = line.find("listening on http://") {
            let addr: String = line[i + "listening on http://".len()..]
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
                .collect();
            std::thread::spawn(move || lines.for_each(drop));
            return (child, addr);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the server did not start");
}

/// `kashimap user add NAME --role ROLE`, the password on stdin.
pub fn add_user(root: &Path, name: &str, role: &str, password: &str) {
    let mut add = kashimap(
        root,
        &["user", "add", name, "--role", role, "--password-stdin"],
    )
    .stdin(Stdio::piped())
    .spawn()
    .unwrap();
    add.stdin
        .take()
        .unwrap()
        .write_all(format!("{password}\n").as_bytes())
        .unwrap();
    assert!(add.wait().unwrap().success());
}

/// `kashimap token create USER`: a bearer token valid for 30 days.
pub fn token(root: &Path, user: &str) -> String {
    let out = kashimap(root, &["token", "create", user, "--expires", "30"])
        .stdout(Stdio::piped())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}
