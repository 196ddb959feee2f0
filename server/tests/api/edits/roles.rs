//! Who may create, read, change and delete what: every role against the record layers and
//! a layer without edit roles. Hidden layers answer 404 exactly as for reading; visible
//! editable layers the role may not edit answer 403; a layer nobody may edit takes no edit
//! methods (405, as its OpenAPI document says); nothing changes either way.

use serde_json::json;

use super::{leak, send};
use crate::helpers::{PASSWORD, TestApp};

/// (user, roles, staff)
const USERS: [(&str, &[&str], bool); 6] = [
    ("staff", &[], true),
    ("suido", &["suido"], true),
    ("contractor", &["contractor"], false),
    ("nougyou", &["nougyou"], true),
    ("kensetsu", &["kensetsu"], true),
    ("admin", &["admin"], true),
];

/// Expected status of a `POST` per role (anonymous first, then [`USERS`]), per layer.
const CREATE: [(&str, [u16; 7]); 4] = [
    //            anon staff suido contr noug  kens  admin
    ("leaks", [404, 404, 201, 201, 404, 404, 201]),
    ("farmland", [404, 404, 404, 404, 201, 404, 201]),
    // No `[access] edit`: nobody edits them one feature at a time, admins neither.
    ("shelters", [405, 405, 405, 405, 405, 405, 405]),
    ("pipes", [404, 404, 405, 405, 404, 404, 405]),
];

fn farm() -> serde_json::Value {
    json!({
        "type": "Feature",
        "geometry": { "type": "Point", "coordinates": [130.09, 33.09] },
        "properties": { "状況": "遊休農地", "地番": "大字古枝1番" }
    })
}

fn body_for(layer: &str, app: &TestApp) -> serde_json::Value {
    match layer {
        "leaks" => leak(),
        "farmland" => farm(),
        other => {
            // A copy of the layer's first feature, as an admin sees it.
            let v = app.app.layers.get(other).unwrap();
            let f = &v.features[0];
            let props: serde_json::Map<String, serde_json::Value> = v
                .schema
                .fields()
                .iter()
                .enumerate()
                .map(|(i, field)| (field.name.clone(), f.property(i).to_json(field.ty)))
                .collect();
            json!({
                "type": "Feature",
                "geometry": kashimap::query::geojson::geometry(&f.geometry),
                "properties": props,
            })
        }
    }
}

#[tokio::test]
async fn every_role_creates_changes_and_deletes_only_where_its_policy_says() {
    let app = TestApp::sample();
    let mut cookies: Vec<Option<String>> = vec![None];
    for (name, roles, staff) in USERS {
        app.add_user(name, roles, staff);
        cookies.push(Some(app.login(name, PASSWORD).await));
    }
    for (layer, expected) in CREATE {
        let body = body_for(layer, &app);
        let uri = format!("/ogc/collections/{layer}/items");
        let before = app.app.layers.get(layer).unwrap().features.len();
        let mut made = 0;
        for (i, cookie) in cookies.iter().enumerate() {
            let res = send(&app, "POST", &uri, cookie.as_deref(), &[], Some(&body)).await;
            assert_eq!(
                res.status,
                expected[i],
                "POST {layer} as #{i}: {}",
                res.text()
            );
            if res.status == 201 {
                made += 1;
                continue;
            }
            let e = res.json();
            assert!(
                e["message_ja"].is_string() && e["message"].is_string(),
                "{e}"
            );
            if res.status == 404 {
                // Byte for byte the answer a reader gets for a layer it may not see.
                let read = match cookie {
                    Some(c) => app.get_as(c, &format!("/ogc/collections/{layer}")).await,
                    None => app.get(&format!("/ogc/collections/{layer}")).await,
                };
                assert_eq!(read.status, 404);
            }
        }
        if !matches!(layer, "leaks" | "farmland") {
            assert_eq!(made, 0);
            continue;
        }
        // Then each role tries to change and delete the admin's record.
        let admin = cookies[6].as_deref().unwrap();
        let res = send(&app, "POST", &uri, Some(admin), &[], Some(&body)).await;
        let id = res.json()["id"].as_u64().unwrap();
        let tag = res.header("etag").unwrap().to_owned();
        made += 1;
        let item = format!("{uri}/{id}");
        let patch = json!({ "properties": {} });
        for (i, cookie) in cookies.iter().enumerate().take(6) {
            let ok = expected[i] == 201;
            let headers = [
                ("if-match", tag.as_str()),
                ("content-type", "application/merge-patch+json"),
            ];
            let res = send(
                &app,
                "PATCH",
                &item,
                cookie.as_deref(),
                &headers,
                Some(&patch),
            )
            .await;
            let want = if ok { 200 } else { expected[i] };
            assert_eq!(res.status, want, "PATCH {layer} as #{i}: {}", res.text());
            let res = send(
                &app,
                "DELETE",
                &item,
                cookie.as_deref(),
                &[("if-match", "\"nope\"")],
                None,
            )
            .await;
            let want = if ok { 412 } else { expected[i] };
            assert_eq!(res.status, want, "DELETE {layer} as #{i}: {}", res.text());
            // History: for those who see the layer.
            let hist = match cookie {
                Some(c) => app.get_as(c, &format!("{item}/history")).await,
                None => app.get(&format!("{item}/history")).await,
            };
            let sees = expected[i] != 404;
            assert_eq!(
                hist.status,
                if sees { 200 } else { 404 },
                "history {layer} #{i}"
            );
        }
        app.app.editor().flush().unwrap();
        let after = app.app.layers.get(layer).unwrap().features.len();
        assert_eq!(
            after,
            before + made,
            "{layer}: only the allowed creates happened"
        );
    }
}
