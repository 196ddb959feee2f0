//! Photos of records: who may upload and see them, what is accepted (JPEG and PNG by
//! content, up to 10 MB), and a record naming them.

use axum::body::Body;
use axum::http::Request;
use serde_json::json;

use super::{create, leak};
use crate::helpers::{ORIGIN, PASSWORD, TestApp, TestResponse};

fn png() -> Vec<u8> {
    let img = image::RgbImage::from_fn(640, 480, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 40])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

async fn upload(
    app: &TestApp,
    cookie: Option<&str>,
    layer: &str,
    bytes: Vec<u8>,
    ty: &str,
) -> TestResponse {
    let mut req = Request::post(format!("/ogc/collections/{layer}/photos"))
        .header("host", "localhost:8080")
        .header("origin", ORIGIN)
        .header("content-type", ty);
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    app.send(req.body(Body::from(bytes)).unwrap()).await
}

#[tokio::test]
async fn photos_are_checked_cleaned_and_shown_only_to_the_layers_viewers() {
    let app = TestApp::sample();
    let mut c = Vec::new();
    for (name, roles, staff) in [
        ("suido", &["suido"][..], true),
        ("contractor", &["contractor"][..], false),
        ("nougyou", &["nougyou"][..], true),
        ("kensetsu", &["kensetsu"][..], true),
    ] {
        app.add_user(name, roles, staff);
        c.push(app.login(name, PASSWORD).await);
    }
    let res = upload(&app, Some(&c[0]), "leaks", png(), "image/png").await;
    assert_eq!(res.status, 201, "{}", res.text());
    assert_eq!(res.header("cache-control"), Some("private, no-store"));
    let id = res.json()["id"].as_str().unwrap().to_owned();
    let href = format!("/ogc/collections/leaks/photos/{id}");

    // Before a record takes it, only its uploader sees it; re-encoded as JPEG, never
    // cached publicly.
    let seen_by = |want: [u16; 4]| {
        let (app, c, href) = (&app, &c, href.clone());
        async move {
            for (cookie, want) in [Some(&c[0]), Some(&c[1]), Some(&c[2]), None]
                .into_iter()
                .zip(want)
            {
                let res = match cookie {
                    Some(k) => app.get_as(k, &href).await,
                    None => app.get(&href).await,
                };
                assert_eq!(res.status, want, "{cookie:?}");
                if want == 200 {
                    assert_eq!(res.header("content-type"), Some("image/jpeg"));
                    assert_eq!(res.header("cache-control"), Some("private, no-store"));
                    assert!(res.body.starts_with(&[0xFF, 0xD8, 0xFF]));
                }
            }
        }
    };
    seen_by([200, 404, 404, 404]).await;

    // Who may upload: editors of the layer; 404 where the layer is hidden, 405 where nobody
    // may edit it.
    assert_eq!(
        upload(&app, Some(&c[1]), "leaks", png(), "image/png")
            .await
            .status,
        201
    );
    assert_eq!(
        upload(&app, Some(&c[3]), "leaks", png(), "image/png")
            .await
            .status,
        404
    );
    assert_eq!(
        upload(&app, None, "leaks", png(), "image/png").await.status,
        404
    );
    assert_eq!(
        upload(&app, Some(&c[0]), "shelters", png(), "image/png")
            .await
            .status,
        405
    );

    // Checked by content, not by name or type.
    let html = b"<html><body><script>alert(1)</script></body></html>".to_vec();
    let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>".to_vec();
    for (bytes, ty) in [(html, "image/jpeg"), (svg, "image/svg+xml")] {
        let res = upload(&app, Some(&c[0]), "leaks", bytes, ty).await;
        assert_eq!(res.status, 415, "{}", res.text());
        let e = res.json();
        assert!(
            e["message"].as_str().unwrap().contains("JPEG and PNG"),
            "{e}"
        );
        assert!(
            e["message_ja"].as_str().unwrap().contains("JPEG か PNG"),
            "{e}"
        );
    }
    let mut fake = vec![0xFF, 0xD8, 0xFF, 0xE0];
    fake.extend(b"<html>renamed</html>");
    assert_eq!(
        upload(&app, Some(&c[0]), "leaks", fake, "image/jpeg")
            .await
            .status,
        422
    );
    let mut huge = png();
    huge.resize(50 << 20, 0);
    let res = upload(&app, Some(&c[0]), "leaks", huge, "image/png").await;
    assert_eq!(res.status, 413, "{}", res.text());
    assert!(res.json()["message_ja"].as_str().unwrap().contains("10 MB"));

    // A record names its photos; a name that is not a photo of this layer is refused.
    let mut rec = leak();
    rec["properties"]["写真"] = json!([id]);
    let res = create(&app, &c[0], "leaks", &rec).await;
    assert_eq!(res.status, 201, "{}", res.text());
    assert_eq!(res.json()["properties"]["写真"], json!([id]));
    let item = format!("/ogc/collections/leaks/items/{}", res.json()["id"]);
    let etag = res.header("etag").unwrap().to_owned();
    rec["properties"]["写真"] = json!(["0123456789abcdef0123456789abcdef"]);
    let res = create(&app, &c[0], "leaks", &rec).await;
    assert_eq!(res.status, 422);
    assert_eq!(res.json()["details"][0]["field"], "写真");

    // Now it belongs to the record: whoever sees the record sees it, and no other record
    // may take it.
    seen_by([200, 200, 404, 404]).await;
    let thumb = app.get_as(&c[1], &format!("{href}?size=thumb")).await;
    assert_eq!(thumb.status, 200);
    assert_eq!(thumb.header("cache-control"), Some("private, no-store"));
    let t = image::load_from_memory(&thumb.body).unwrap();
    assert_eq!(t.width(), 320);
    rec["properties"]["写真"] = json!([id]);
    let res = create(&app, &c[1], "leaks", &rec).await;
    assert_eq!(res.status, 422, "{}", res.text());

    // Deleting the record retires its photo: kept for the history (the layer's editors
    // still see it), never taken by another record.
    let res = super::send(
        &app,
        "DELETE",
        &item,
        Some(&c[0]),
        &[("if-match", &etag)],
        None,
    )
    .await;
    assert_eq!(res.status, 204, "{}", res.text());
    seen_by([200, 200, 404, 404]).await;
    let res = create(&app, &c[0], "leaks", &rec).await;
    assert_eq!(res.status, 422, "{}", res.text());
}
