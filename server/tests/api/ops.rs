use crate::helpers::TestApp;

#[tokio::test]
async fn healthz_and_readyz_report_loaded_layers() {
    let app = TestApp::sample();
    let res = app.get("/healthz").await;
    assert_eq!(res.status, 200);
    let res = app.get("/readyz").await;
    assert_eq!(res.status, 200);
    let body = res.json();
    assert_eq!(body["ready"], true);
    for id in ["shelters", "zoning", "roads", "heritage"] {
        assert_eq!(body["layers"][id], 1, "{id} is loaded at version 1");
    }
    assert!(
        body["layers"].get("pipes").is_none(),
        "hidden from the public"
    );
    app.add_user("ops", &["admin"], true);
    let (token, _) = app.app.access.create_token("ops", "probe", None).unwrap();
    let admin = app.get_bearer(&token, "/readyz").await.json();
    assert_eq!(admin["layers"]["pipes"], 1);
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_layer_sizes() {
    let app = TestApp::sample();
    app.get("/healthz").await;
    let res = app.get("/metrics").await;
    assert_eq!(res.status, 200);
    let text = res.text();
    assert!(
        text.contains("kashimap_requests_total{route=\"/healthz\",status=\"2xx\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("kashimap_layer_features{layer=\"shelters\"} 59"),
        "{text}"
    );
    assert!(
        !text.contains("pipes"),
        "a hidden layer is not named: {text}"
    );
    app.add_user("prometheus", &["admin"], true);
    let (token, _) = app
        .app
        .access
        .create_token("prometheus", "scrape", None)
        .unwrap();
    let text = app.get_bearer(&token, "/metrics").await.text();
    assert!(
        text.contains("kashimap_layer_version{layer=\"pipes\"} 1"),
        "{text}"
    );
}

#[tokio::test]
async fn unknown_paths_get_a_json_404() {
    let app = TestApp::sample();
    let res = app.get("/nope").await;
    assert_eq!(res.status, 404);
    assert_eq!(res.json()["error"], "not_found");
}
