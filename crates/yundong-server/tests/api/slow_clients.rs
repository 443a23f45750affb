//! The listener against clients that connect and then say nothing, or say it slowly (SECURITY.md, "Slow clients"):
//! silent, half-sent heads and bodies are cut off by the timeouts, oversized heads are refused, the connection limit
//! frees its slots, and shutdown ends within its grace period whatever clients do. Time bounds here are generous
//! (several times the configured timeout): they tell "cut off" from "held forever", they measure nothing.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use yundong_server::listener::Limits;
use yundong_testkit::{TestServer, test_config};

const SHORT: Duration = Duration::from_secs(1);

async fn server(max_connections: usize) -> TestServer {
    let mut config = test_config();
    config.limits = Limits {
        header_timeout: SHORT,
        body_timeout: SHORT,
        max_header_bytes: 16 * 1024,
        max_connections,
        shutdown_grace: SHORT,
    };
    TestServer::spawn_with(config).await
}

async fn connect(s: &TestServer) -> TcpStream {
    TcpStream::connect(s.base.trim_start_matches("http://")).await.unwrap()
}

/// Everything the server sends until it closes the connection, or `None` if it is still open after `within`.
async fn until_closed(stream: &mut TcpStream, within: Duration) -> Option<String> {
    let mut got = Vec::new();
    let read = tokio::time::timeout(within, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    read.ok().map(|()| String::from_utf8_lossy(&got).into_owned())
}

#[tokio::test]
async fn silent_and_half_sent_connections_are_closed() {
    let s = server(100).await;
    let mut silent = connect(&s).await;
    let mut half_head = connect(&s).await;
    half_head
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: ")
        .await
        .unwrap();
    let mut half_body = connect(&s).await;
    half_body
        .write_all(b"POST /admin/v1/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"nick")
        .await
        .unwrap();
    let started = Instant::now();
    assert!(
        until_closed(&mut silent, 5 * SHORT).await.is_some(),
        "a silent socket stays open"
    );
    assert!(
        until_closed(&mut half_head, 5 * SHORT).await.is_some(),
        "a half-sent head stays open"
    );
    let answer = until_closed(&mut half_body, 5 * SHORT)
        .await
        .expect("a half-sent body stays open");
    // The late body is answered in the admin API's format before the connection closes.
    assert!(
        answer.is_empty() || answer.contains("payload_too_large") || answer.contains("unauthorized"),
        "{answer}"
    );
    assert!(started.elapsed() < 5 * SHORT);
    // A keep-alive connection that goes quiet after its answer is closed too.
    let mut idle = connect(&s).await;
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 1024];
    let n = idle.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    assert!(
        until_closed(&mut idle, 5 * SHORT).await.is_some(),
        "an idle keep-alive stays open"
    );
}

#[tokio::test]
async fn oversized_heads_are_refused_with_431() {
    let s = server(100).await;
    let mut c = connect(&s).await;
    let big = format!(
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(20 * 1024)
    );
    c.write_all(big.as_bytes()).await.unwrap();
    let answer = until_closed(&mut c, 5 * SHORT).await.expect("closed");
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer:?}");
}

#[tokio::test]
async fn a_flood_of_silent_connections_delays_a_new_client_only_until_they_time_out() {
    let s = server(8).await;
    let mut flood = Vec::new();
    for _ in 0..8 {
        flood.push(connect(&s).await);
    }
    // Every slot is taken by a silent socket; the new client waits in the backlog, then is served.
    let started = Instant::now();
    let res = tokio::time::timeout(10 * SHORT, s.http.get(s.url("/healthz")).send())
        .await
        .expect("the new client is served once the silent sockets time out")
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(started.elapsed() < 10 * SHORT);
    drop(flood);
}

#[tokio::test]
async fn shutdown_ends_within_its_grace_period_whatever_clients_do() {
    let (url, _dir) = yundong_testkit::fresh_database().await;
    let store = yundong_store::Store::connect(&url).await.unwrap();
    let mut config = test_config();
    config.limits.header_timeout = Duration::from_secs(600);
    config.limits.body_timeout = Duration::from_secs(600);
    config.limits.shutdown_grace = SHORT;
    let (state, _) = yundong_server::AppState::open(store, config, Some(yundong_testkit::ADMIN_TOKEN))
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(yundong_server::serve(listener, state, async {
        let _ = stopped.await;
    }));
    // A half-sent head and a half-sent body, both held open by timeouts far longer than the grace period.
    let mut head = TcpStream::connect(addr).await.unwrap();
    head.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let mut body = TcpStream::connect(addr).await.unwrap();
    body.write_all(b"POST /admin/v1/users HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    stop.send(()).unwrap();
    let finished = tokio::time::timeout(10 * SHORT, server).await;
    assert!(
        finished.is_ok(),
        "shutdown still waiting on clients after {:?}",
        started.elapsed()
    );
    drop((head, body));
}
