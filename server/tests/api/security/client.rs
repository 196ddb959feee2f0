//! The crawl's clients: the real sample application with one user per role, signed in with
//! a session cookie (kensetsu, contractor) or an API token (the others), and the checks that
//! every crawled answer shares.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::Request;

use super::expect::{Role, seen_as_public};
use crate::helpers::{PASSWORD, TestApp, TestResponse};

/// How a role proves who it is.
#[derive(Debug, Clone)]
pub enum Credential {
    Anonymous,
    Cookie(String),
    Bearer(String),
}

/// The sample application and a credential for every role.
pub struct Crawl {
    pub app: TestApp,
    creds: Vec<(Role, Credential)>,
    /// An admin's JSON answers by URI: the reference every role is compared with, fetched
    /// once per crawl.
    reference: Mutex<HashMap<String, Arc<serde_json::Value>>>,
}

impl Crawl {
    /// `TestApp::sample()` with a user for every role of [`Role::ALL`].
    pub async fn new() -> Self {
        let app = TestApp::sample();
        let mut creds = vec![(Role::Anonymous, Credential::Anonymous)];
        for role in Role::ALL {
            let Some(name) = role.user() else { continue };
            let roles: &[&str] = match role {
                Role::Staff => &[],
                _ => &[name],
            };
            app.add_user(name, roles, role != Role::Contractor);
            let cred = if matches!(role, Role::Kensetsu | Role::Contractor) {
                Credential::Cookie(app.login(name, PASSWORD).await)
            } else {
                let (token, _) = app.app.access.create_token(name, "crawl", None).unwrap();
                Credential::Bearer(token)
            };
            creds.push((role, cred));
        }
        Self {
            app,
            creds,
            reference: Mutex::default(),
        }
    }

    pub fn credential(&self, role: Role) -> &Credential {
        &self.creds.iter().find(|(r, _)| *r == role).unwrap().1
    }

    /// Replaces a role's credential (after its session ended, say).
    pub fn set_credential(&mut self, role: Role, cred: Credential) {
        self.creds.retain(|(r, _)| *r != role);
        self.creds.push((role, cred));
    }

    pub async fn get(&self, role: Role, uri: &str) -> TestResponse {
        self.get_with(role, uri, &[]).await
    }

    /// GET as `role` with extra headers.
    pub async fn get_with(&self, role: Role, uri: &str, headers: &[(&str, &str)]) -> TestResponse {
        let mut req = Request::get(uri).header("host", "localhost:8080");
        match self.credential(role) {
            Credential::Anonymous => {}
            Credential::Cookie(c) => req = req.header("cookie", c),
            Credential::Bearer(t) => req = req.header("authorization", format!("Bearer {t}")),
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = self.app.send(req.body(Body::empty()).unwrap()).await;
        assert!(
            res.status.as_u16() < 500,
            "{role:?} GET {uri}: {} {}",
            res.status,
            res.text()
        );
        res
    }

    /// An admin's JSON answer to `uri` (200 expected), fetched once.
    pub async fn admin_json(&self, uri: &str) -> Arc<serde_json::Value> {
        if let Some(v) = self.reference.lock().unwrap().get(uri) {
            return Arc::clone(v);
        }
        let v = Arc::new(self.json(Role::Admin, uri).await);
        self.reference
            .lock()
            .unwrap()
            .insert(uri.to_owned(), Arc::clone(&v));
        v
    }

    /// GET as `role`, expecting 200 and JSON.
    pub async fn json(&self, role: Role, uri: &str) -> serde_json::Value {
        let res = self.get(role, uri).await;
        assert_eq!(res.status, 200, "{role:?} GET {uri}: {}", res.text());
        res.json()
    }
}

/// Checks `Cache-Control`: `private` when the answer was built from any view of `layers`
/// that differs from the public's, `public` for anonymous callers. (A signed-in caller who
/// sees exactly what the public sees may get either.)
pub fn assert_caching(res: &TestResponse, role: Role, layers: &[&str], what: &str) {
    let control = res.header("cache-control").unwrap_or_default();
    let restricted = layers.iter().any(|l| !seen_as_public(role, l));
    if restricted {
        assert!(
            control.starts_with("private"),
            "{role:?} {what}: restricted answer cached as `{control}`"
        );
    } else if role == Role::Anonymous {
        assert!(
            control.starts_with("public"),
            "{role:?} {what}: public answer cached as `{control}`"
        );
    }
    if restricted || role != Role::Anonymous {
        let vary = res.header("vary").unwrap_or_default();
        assert!(
            vary.contains("Cookie") && vary.contains("Authorization")
                || control.contains("private"),
            "{role:?} {what}: a shared cache could mix callers (Vary: `{vary}`)"
        );
    }
}

/// Asserts a set of names is inside the allowed set.
pub fn assert_subset<'a>(
    got: impl IntoIterator<Item = &'a str>,
    allowed: &[&str],
    what: &dyn std::fmt::Display,
) {
    let extra: BTreeSet<&str> = got.into_iter().filter(|k| !allowed.contains(k)).collect();
    assert!(extra.is_empty(), "{what}: not allowed: {extra:?}");
}

/// Asserts a hidden layer's answer is the 404 of a missing one: the same status and the
/// same body once the two names are swapped (messages may echo the name asked for).
pub fn assert_same_404(hidden: (&TestResponse, &str), missing: (&TestResponse, &str), what: &str) {
    let (h, m) = (hidden.0, missing.0);
    assert_eq!(h.status, 404, "{what}: {}", h.text());
    assert_eq!(m.status, 404, "{what} (missing): {}", m.text());
    assert_eq!(
        h.text().replace(hidden.1, missing.1),
        m.text(),
        "{what}: hidden and missing differ"
    );
}

/// The path and query of an absolute link from the test app.
pub fn local(href: &str) -> &str {
    href.strip_prefix("http://localhost:8080").unwrap_or(href)
}
