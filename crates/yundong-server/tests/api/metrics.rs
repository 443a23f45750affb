//! `/metrics` (issue 18): requests by surface, route template, status and WeChat errcode; the step writer, caches,
//! change feed, pools and memory; and labels that never carry an id, token, appid, openid or raw path.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;
use yundong_testkit::TestServer;

/// One sample line: `name{k="v",…} value`.
#[derive(Debug, Clone)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

fn parse(text: &str) -> Vec<Sample> {
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        let (series, value) = line.rsplit_once(' ').expect("sample line");
        let (name, labels) = match series.split_once('{') {
            Some((n, rest)) => (n, rest.strip_suffix('}').expect("closing brace")),
            None => (series, ""),
        };
        let mut map = BTreeMap::new();
        // Label values here never contain `",` (checked below: no value has a quote).
        for pair in labels.split("\",").filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once("=\"").expect("label");
            map.insert(k.to_owned(), v.trim_end_matches('"').to_owned());
        }
        out.push(Sample {
            name: name.to_owned(),
            labels: map,
            value: value.parse().expect("numeric value"),
        });
    }
    out
}

async fn scrape(s: &TestServer) -> (String, Vec<Sample>) {
    let res = s.http.get(s.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let ctype = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ctype.starts_with("application/openmetrics-text"), "{ctype}");
    let text = res.text().await.unwrap();
    assert!(text.ends_with("# EOF\n"), "OpenMetrics text ends with # EOF");
    let samples = parse(&text);
    (text, samples)
}

fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    samples
        .iter()
        .find(|s| {
            s.name == name
                && labels.len() == s.labels.len()
                && labels.iter().all(|(k, v)| s.labels.get(*k).is_some_and(|x| x == v))
        })
        .map(|s| s.value)
}

fn sum(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .filter(|s| s.name == name && labels.iter().all(|(k, v)| s.labels.get(*k).is_some_and(|x| x == v)))
        .map(|s| s.value)
        .sum()
}

#[tokio::test]
async fn requests_are_counted_by_route_template_status_and_errcode() {
    let s = TestServer::spawn().await;
    let app = s.app().await;
    let user = s.user("m").await;
    let (_openid, _key) = s.session(&app, &user).await;
    // A wrong secret: WeChat answers HTTP 200 with errcode 40125.
    let bad = format!(
        "/cgi-bin/token?grant_type=client_credential&appid={}&secret=nope",
        app.appid
    );
    for _ in 0..3 {
        let (status, v) = s.get_json(&bad).await;
        assert_eq!((status, v["errcode"].as_i64()), (200, Some(40125)), "{v}");
    }
    s.steps(&user.token, 1234, None).await;
    // A route with a path parameter, unauthenticated.
    let (status, _) = s.http_get("/client/v1/conversations/987654/messages", None).await;
    assert_eq!(status, 401);

    let (_, m) = scrape(&s).await;
    let requests = "yundong_http_requests_total";
    let login = [
        ("surface", "wechat"),
        ("route", "/sns/jscode2session"),
        ("status", "200"),
        ("errcode", "0"),
    ];
    assert_eq!(value(&m, requests, &login), Some(1.0));
    let token = [
        ("surface", "wechat"),
        ("route", "/cgi-bin/token"),
        ("status", "200"),
        ("errcode", "40125"),
    ];
    assert_eq!(value(&m, requests, &token), Some(3.0));
    let upload = [
        ("surface", "client"),
        ("route", "/client/v1/steps"),
        ("status", "200"),
        ("errcode", ""),
    ];
    assert_eq!(value(&m, requests, &upload), Some(1.0));
    let templated = [
        ("surface", "client"),
        ("route", "/client/v1/conversations/{id}/messages"),
        ("status", "401"),
        ("errcode", ""),
    ];
    assert_eq!(value(&m, requests, &templated), Some(1.0), "the template, not the path");
    assert_eq!(
        sum(&m, requests, &[("surface", "admin"), ("route", "/admin/v1/apps")]),
        1.0
    );
    // Latency: one observation per request of the route.
    let count = "yundong_http_request_duration_seconds_count";
    assert_eq!(
        value(&m, count, &[("surface", "wechat"), ("route", "/cgi-bin/token")]),
        Some(3.0)
    );
    let inf = [("surface", "wechat"), ("route", "/cgi-bin/token"), ("le", "+Inf")];
    assert_eq!(
        value(&m, "yundong_http_request_duration_seconds_bucket", &inf),
        Some(3.0)
    );

    // The step writer committed the upload in one batch of one.
    assert_eq!(value(&m, "yundong_step_batch_size_count", &[]), Some(1.0));
    assert_eq!(value(&m, "yundong_step_batch_size_sum", &[]), Some(1.0));
    assert_eq!(value(&m, "yundong_step_commit_duration_seconds_count", &[]), Some(1.0));
    assert_eq!(value(&m, "yundong_step_failed_batches_total", &[]), Some(0.0));
    // Pools and memory are there.
    assert!(sum(&m, "yundong_db_pool_max_connections", &[]) >= 1.0);
    assert!(value(&m, "yundong_process_resident_memory_bytes", &[]).unwrap() > 1e6);
}

#[tokio::test]
async fn caches_and_the_change_feed_are_counted() {
    let s = TestServer::spawn().await;
    let a = s.user("a").await;
    let b = s.user("b").await;
    s.befriend(a.user_id, b.user_id).await;
    s.steps(&b.token, 500, None).await;
    for _ in 0..3 {
        let (status, _) = s.http_get("/client/v1/werun/ranking", Some(&a.token)).await;
        assert_eq!(status, 200);
    }
    let (_, m) = scrape(&s).await;
    let hits = value(
        &m,
        "yundong_cache_requests_total",
        &[("cache", "rankings"), ("result", "hit")],
    )
    .unwrap();
    let misses = value(
        &m,
        "yundong_cache_requests_total",
        &[("cache", "rankings"), ("result", "miss")],
    )
    .unwrap();
    let loads = value(&m, "yundong_cache_loads_total", &[("cache", "rankings")]).unwrap();
    assert_eq!(
        (hits, misses, loads),
        (2.0, 1.0, 1.0),
        "one load, then two answers from the copy"
    );
    assert_eq!(value(&m, "yundong_cache_entries", &[("cache", "rankings")]), Some(1.0));
    assert!(value(&m, "yundong_feed_reads_total", &[]).unwrap() >= 3.0);
    let lag = value(&m, "yundong_feed_lag_seconds", &[]).unwrap();
    assert!((0.0..60.0).contains(&lag), "lag {lag}");

    // Another upload changes b: the next ranking reads the event and loads again.
    s.steps(&b.token, 900, None).await;
    let events_before = value(&m, "yundong_feed_events_read_total", &[]).unwrap();
    let (_, v) = s.http_get("/client/v1/werun/ranking", Some(&a.token)).await;
    assert!(v.to_string().contains("900"), "{v}");
    let (_, m) = scrape(&s).await;
    assert!(value(&m, "yundong_feed_events_read_total", &[]).unwrap() > events_before);
    assert_eq!(
        value(&m, "yundong_cache_loads_total", &[("cache", "rankings")]),
        Some(2.0)
    );
    // b's rise (500 → 900) came with the feed: b's row was brought up to date in place, not read again.
    let rows = |m: &[Sample], how: &'static str| value(m, "yundong_ranking_index_rows_total", &[("how", how)]);
    assert_eq!(rows(&m, "loaded"), Some(2.0), "a's and b's rows, once each");
    assert_eq!(rows(&m, "patched"), Some(1.0));
    assert!(rows(&m, "reused").unwrap() >= 1.0);
    assert_eq!(value(&m, "yundong_ranking_index_viewers_loaded_total", &[]), Some(1.0));
}

#[tokio::test]
async fn labels_carry_no_ids_tokens_appids_openids_or_paths() {
    let s = TestServer::spawn().await;
    let app = s.app().await;
    let user = s.user("secretive").await;
    let (openid, session_key) = s.session(&app, &user).await;
    let access = s.access_token(&app).await;
    scrape(&s).await;
    let series = |m: &[Sample]| -> BTreeSet<(String, BTreeMap<String, String>)> {
        m.iter().map(|x| (x.name.clone(), x.labels.clone())).collect()
    };
    let mut secrets = vec![
        app.appid.clone(),
        app.secret.clone(),
        user.token.clone(),
        openid.clone(),
        session_key.clone(),
        access.clone(),
    ];
    // Two rounds of the same kinds of request, each with ids, tokens and paths never seen before: the second round
    // must add no series at all (the set of series does not grow with ids).
    let mut rounds = Vec::new();
    for round in 0..2u64 {
        for i in 0..20u64 {
            let fake = format!("wx{:016x}", 0xabc0_0000u64 + round * 100 + i);
            let path = format!("/cgi-bin/token?grant_type=client_credential&appid={fake}&secret=s{i}");
            s.get_json(&path).await;
            let odd = format!("/sns/unknown/{fake}/{openid}");
            let (_, v) = s.get_json(&odd).await;
            assert_eq!(v["errcode"], 40066, "{v}");
            let (status, _) = s.get_json(&format!("/nowhere/{fake}/{}", user.token)).await;
            assert_eq!(status, 404);
            let conversation = 1000 + round * 100 + i;
            let (status, _) = s
                .http_get(
                    &format!("/client/v1/conversations/{conversation}/messages"),
                    Some(&user.token),
                )
                .await;
            assert!(status == 200 || status == 404 || status == 400, "{status}");
            let check =
                format!("/wxa/checksession?access_token={access}&openid={openid}&signature=x&sig_method=hmac_sha256");
            s.get_json(&check).await;
            secrets.push(fake);
        }
        let (_, v) = s
            .post_json("/client/v1/wx/login", Some(&user.token), &json!({"appid": app.appid}))
            .await;
        secrets.push(v["code"].as_str().unwrap().to_owned());
        rounds.push(scrape(&s).await);
    }
    let (text, m) = rounds.pop().unwrap();
    let (_, first) = rounds.pop().unwrap();
    let grown: Vec<_> = series(&m).difference(&series(&first)).cloned().collect();
    assert!(grown.is_empty(), "new ids made new series: {grown:?}");
    let (_, openapi) = s.get_json("/openapi.json").await;
    let label_names: BTreeSet<&str> = m.iter().flat_map(|x| x.labels.keys().map(String::as_str)).collect();
    let allowed: BTreeSet<&str> = [
        "surface", "route", "status", "errcode", "cache", "result", "how", "pool", "state", "le",
    ]
    .into_iter()
    .collect();
    assert!(label_names.is_subset(&allowed), "{label_names:?}");
    for x in &m {
        for (k, v) in &x.labels {
            assert!(!v.contains('"') && !v.contains('?'), "{k}={v}");
            assert!(*v != user.user_id.to_string() || k == "le", "a user id as {k}");
            if k == "route" {
                let known = v == "unmatched"
                    || openapi["paths"].get(v.as_str()).is_some()
                    || ["/metrics", "/openapi.json"].contains(&v.as_str())
                    || v.starts_with("/ui")
                    || v.starts_with("/docs");
                assert!(known, "route label {v:?} is not a route template");
            }
        }
    }
    for secret in &secrets {
        assert!(!text.contains(secret.as_str()), "{secret} appears in /metrics");
    }
    let routes: BTreeSet<&str> = m
        .iter()
        .filter_map(|x| x.labels.get("route").map(String::as_str))
        .collect();
    assert!(routes.contains("unmatched"));
    assert!(routes.contains("/client/v1/conversations/{id}/messages"), "{routes:?}");
    assert!(
        routes.iter().all(|r| !r.contains("1000") && !r.contains("1119")),
        "{routes:?}"
    );
}

#[tokio::test]
async fn each_node_counts_only_its_own_requests() {
    let a = TestServer::spawn().await;
    let b = a.spawn_node().await;
    for _ in 0..4 {
        a.get_json("/healthz").await;
    }
    b.get_json("/healthz").await;
    let healthz = [
        ("surface", "other"),
        ("route", "/healthz"),
        ("status", "200"),
        ("errcode", ""),
    ];
    assert_eq!(
        value(&scrape(&a).await.1, "yundong_http_requests_total", &healthz),
        Some(4.0)
    );
    assert_eq!(
        value(&scrape(&b).await.1, "yundong_http_requests_total", &healthz),
        Some(1.0)
    );
}

#[tokio::test]
async fn metrics_can_be_turned_off() {
    let s = TestServer::spawn_with(yundong_server::Config {
        metrics: false,
        ..yundong_testkit::test_config()
    })
    .await;
    let (status, v) = s.get_json("/metrics").await;
    assert_eq!(status, 404, "{v}");
    s.get_json("/healthz").await;
    assert!(
        s.state
            .metrics
            .render()
            .unwrap()
            .lines()
            .all(|l| !l.starts_with("yundong_http_requests_total"))
    );
}

/// The shipped Grafana dashboard queries only names the server exports, and docs/OPERATIONS.md documents every family
/// the server exports.
#[tokio::test]
async fn the_dashboard_and_the_docs_match_the_exported_names() {
    let s = TestServer::spawn().await;
    let a = s.user("a").await;
    s.steps(&a.token, 10, None).await;
    s.http_get("/client/v1/werun/ranking", Some(&a.token)).await;
    let (text, samples) = scrape(&s).await;
    let exported: BTreeSet<&str> = samples.iter().map(|x| x.name.as_str()).collect();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let names = |doc: &str| -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let mut rest = doc;
        while let Some(i) = rest.find("yundong_") {
            let name: String = rest[i..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            rest = &rest[i + name.len()..];
            out.insert(name);
        }
        out
    };
    let dashboard = std::fs::read_to_string(root.join("deploy/grafana/yundong.json")).unwrap();
    let used = names(&dashboard);
    assert!(used.len() >= 10, "{used:?}");
    for name in &used {
        assert!(
            exported.contains(name.as_str()),
            "the dashboard queries {name}, which /metrics does not export"
        );
    }
    let docs = std::fs::read_to_string(root.join("docs/OPERATIONS.md")).unwrap();
    for line in text.lines().filter_map(|l| l.strip_prefix("# TYPE yundong_")) {
        let family = line.split_whitespace().next().unwrap();
        assert!(
            docs.contains(&format!("`{family}")),
            "docs/OPERATIONS.md does not document yundong_{family}"
        );
    }
}
