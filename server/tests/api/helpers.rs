#![allow(
    dead_code,
    reason = "shared by every test module; not each uses every helper"
)]

//! Test application factory: builds a data directory, layer files and data in a temporary
//! directory (or uses the repository's real layers) and drives the router in process.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use kashimap::app::App;
use kashimap::config::Config;
use kashimap::fgb;
use kashimap::model::{Feature, Field, Schema};
use tower::ServiceExt;

/// The repository root (where `layers/`, `data/` and `styles/` are).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A running application over a temporary data directory.
pub struct TestApp {
    pub app: Arc<App>,
    pub router: kashimap::http::Server,
    _dir: tempfile::TempDir,
}

/// A response with its body read.
#[derive(Debug)]
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl TestResponse {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// One layer for a synthetic test application.
pub struct LayerSpec<'a> {
    /// The layer file text; `source` must be `data/<id>.fgb`.
    pub toml: &'a str,
    pub id: &'a str,
    pub fields: Vec<Field>,
    pub features: Vec<Feature>,
}

impl TestApp {
    /// The repository's real layers and sample data, in a fresh data directory.
    pub fn sample() -> Self {
        Self::sample_with(|_| {})
    }

    /// The sample application with some settings changed.
    pub fn sample_with(edit: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = repo_root();
        let mut config = Config {
            data_dir: dir.path().join("var"),
            layers_dir: root.join("layers"),
            styles_dir: root.join("styles"),
            web_dir: root.join("web/dist"),
            root,
            ..Config::default()
        };
        edit(&mut config);
        Self::start(config, dir)
    }

    /// A synthetic application with the given layers.
    pub fn with_layers(layers: &[LayerSpec<'_>]) -> Self {
        Self::with_layers_and(layers, |_| {})
    }

    /// A synthetic application with the given layers and some settings changed.
    pub fn with_layers_and(layers: &[LayerSpec<'_>], edit: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        std::fs::create_dir_all(root.join("layers")).unwrap();
        std::fs::create_dir_all(root.join("data")).unwrap();
        for l in layers {
            std::fs::write(root.join(format!("layers/{}.toml", l.id)), l.toml).unwrap();
            let schema = Schema::new(l.fields.clone());
            let cols: Vec<usize> = (0..schema.len()).collect();
            let file = std::fs::File::create(root.join(format!("data/{}.fgb", l.id))).unwrap();
            fgb::write(
                file,
                l.id,
                &schema,
                &cols,
                &l.features,
                fgb::WriteOptions::default(),
            )
            .unwrap();
        }
        let mut config = Config {
            data_dir: root.join("var"),
            layers_dir: root.join("layers"),
            styles_dir: repo_root().join("styles"),
            web_dir: repo_root().join("web/dist"),
            root,
            ..Config::default()
        };
        edit(&mut config);
        Self::start(config, dir)
    }

    /// Wraps an application started elsewhere (its files are the caller's to clean up).
    pub fn from_app(app: Arc<App>) -> Self {
        let router = kashimap::http::server(Arc::clone(&app));
        Self {
            app,
            router,
            _dir: tempfile::tempdir().unwrap(),
        }
    }

    fn start(mut config: Config, dir: tempfile::TempDir) -> Self {
        if config.database.is_none() {
            // KASHIMAP_TEST_POSTGRES set (scripts/test): a fresh schema on that server.
            config.database = kashimap::access::Db::test_database().unwrap();
        }
        let app = App::start(config).unwrap_or_else(|e| panic!("start failed: {e}"));
        let router = kashimap::http::server(Arc::clone(&app));
        Self {
            app,
            router,
            _dir: dir,
        }
    }

    /// Sends a request and reads the whole response.
    pub async fn send(&self, req: Request<Body>) -> TestResponse {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
        TestResponse {
            status,
            headers,
            body,
        }
    }

    /// GET a path (already percent-encoded where needed).
    pub async fn get(&self, uri: &str) -> TestResponse {
        self.send(
            Request::get(uri)
                .header("host", "localhost:8080")
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }
}

/// The `Origin` a same-site browser sends to the test app.
pub const ORIGIN: &str = "http://localhost:8080";
/// The password every test user gets.
pub const PASSWORD: &str = "correct horse battery";

impl TestApp {
    /// Adds a user with [`PASSWORD`]. `staff = false` makes a contractor.
    pub fn add_user(&self, name: &str, roles: &[&str], staff: bool) {
        let new = kashimap::access::NewUser {
            name: name.into(),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            department: "テスト課".into(),
            staff,
        };
        self.app.access.add_user(&new, PASSWORD).unwrap();
    }

    /// The newest 50 audit entries about `layer`.
    pub async fn audit_of(&self, layer: &str) -> Vec<kashimap::access::AuditEntry> {
        self.app
            .access
            .audit
            .query(kashimap::access::AuditFilter {
                layer: Some(layer.into()),
                limit: 50,
                ..Default::default()
            })
            .await
            .unwrap()
    }

    /// `POST /auth/login` from the same site, as a browser would.
    pub async fn login_response(&self, user: &str, pass: &str) -> TestResponse {
        let body = serde_json::json!({ "username": user, "password": pass });
        self.post_json_as(None, "/auth/login", &body).await
    }

    /// Signs in and returns the `Cookie` header value (`kashimap_session=…`).
    pub async fn login(&self, user: &str, pass: &str) -> String {
        let res = self.login_response(user, pass).await;
        assert_eq!(res.status, 200, "login {user}: {}", res.text());
        let set = res.header("set-cookie").expect("a session cookie");
        set.split(';').next().unwrap().to_owned()
    }

    /// GET with a session cookie.
    pub async fn get_as(&self, cookie: &str, uri: &str) -> TestResponse {
        self.send(
            Request::get(uri)
                .header("host", "localhost:8080")
                .header("cookie", cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    /// GET with `Authorization: Bearer`.
    pub async fn get_bearer(&self, token: &str, uri: &str) -> TestResponse {
        self.send(
            Request::get(uri)
                .header("host", "localhost:8080")
                .header("authorization", format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    /// POST JSON from the same site, with a session cookie when given.
    pub async fn post_json_as(
        &self,
        cookie: Option<&str>,
        uri: &str,
        body: &serde_json::Value,
    ) -> TestResponse {
        let mut req = Request::post(uri)
            .header("host", "localhost:8080")
            .header("origin", ORIGIN)
            .header("content-type", "application/json");
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        self.send(req.body(Body::from(body.to_string())).unwrap())
            .await
    }
}

/// Percent-encodes a query component (for Japanese attribute names and CQL2 text).
pub fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
