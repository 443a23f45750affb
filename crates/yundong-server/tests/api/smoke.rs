use yundong_testkit::TestServer;

#[tokio::test]
async fn healthz_answers() {
    let s = TestServer::spawn().await;
    let (status, v) = s.get_json("/healthz").await;
    assert_eq!((status, v["status"].as_str()), (200, Some("ok")));
}
