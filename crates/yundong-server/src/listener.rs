//! The HTTP/1.1 accept loop (HTTP/1.1 only: no h2c), hardened against clients that connect and then say nothing, or say it slowly.
//!
//! - **Header timeout.** A connection must deliver a complete request head within `header_timeout` of being accepted
//!   or of its previous answer (so an idle keep-alive connection is closed after the same time). Silent sockets and
//!   slowly dripped headers are dropped.
//! - **Body deadline.** A request body must arrive whole within `body_timeout` of the head; a body that is late is
//!   answered as unreadable in the surface's own format and the connection is closed.
//! - **Header size.** Heads larger than `max_header_bytes` are answered 431; the read buffer is bounded by the same.
//! - **Connections.** At most `max_connections` at once; beyond that new clients wait in the kernel's backlog until a
//!   slot frees, which the header timeout guarantees within `header_timeout` for silent and slow connections. The
//!   limit never exceeds what the open-file limit leaves after a reserve for the database and the process.
//! - **Shutdown.** Once `shutdown` resolves, nothing new is accepted, idle connections close, requests in flight get
//!   `shutdown_grace` to finish, and whatever is left is dropped: shutdown takes at most that long, whatever clients do.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tower::ServiceExt;
use tower_http::timeout::DeadlineBody;

use yundong_core::cache::Caches;

pub use yundong_core::Limits;

/// Open files kept back from connections: the database pools, the SQLite file and its WAL, logs, the feed reader.
pub const FD_RESERVE: u64 = 128;

/// The connection limit to use under an open-file soft limit of `nofile`: the configured one, or fewer when the
/// file limit could not hold that many sockets beside [`FD_RESERVE`]. Never below 16.
pub fn connection_limit(configured: usize, nofile: Option<u64>) -> usize {
    match nofile {
        Some(n) => configured.min(n.saturating_sub(FD_RESERVE).max(16) as usize),
        None => configured,
    }
}

/// Serve `app` on `listener` within `limits` until `shutdown` resolves (see the module docs). With `feed`, each
/// request runs inside [`Feed::scope`]: its arrival is fixed once, so every cache it consults is synced by one read
/// of the change feed (done here rather than as a router middleware, which would box and clone per request).
pub async fn run(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    feed: Option<Arc<Caches>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(limits.max_header_bytes.max(8192))
        .max_header_size(limits.max_header_bytes);
    tokio::pin!(shutdown);
    loop {
        while connections.try_join_next().is_some() {}
        let permit = tokio::select! {
            biased;
            () = &mut shutdown => break,
            permit = slots.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        let (stream, peer) = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, or a connection reset before it was accepted: wait a little rather
                    // than spin, and go on.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let caches = feed.clone();
        let body_timeout = limits.body_timeout;
        let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
            // A body gets a deadline; a request without one (most GETs) skips the timer it would cost.
            let mut req = req.map(|body| {
                if hyper::body::Body::size_hint(&body).exact() == Some(0) {
                    axum::body::Body::new(body)
                } else {
                    axum::body::Body::new(DeadlineBody::new(body_timeout, body))
                }
            });
            req.extensions_mut().insert(ConnectInfo(peer));
            let answer = app.clone().oneshot(req);
            let caches = caches.clone();
            async move {
                let res = match &caches {
                    // A node that follows the deployment's clock syncs on arrival, so the handler's first reading of
                    // the clock already has an offset moved through any node (the read is shared with the caches').
                    Some(c) if c.feed.follows_clock() => {
                        c.feed
                            .scope(async {
                                let _ = c.feed.sync().await;
                                answer.await
                            })
                            .await
                    }
                    Some(c) => c.feed.scope(answer).await,
                    None => answer.await,
                };
                // A fault rule with `drop: true`: an error from the service makes hyper close the connection
                // without writing an answer.
                match res {
                    Ok(res) if res.extensions().get::<crate::faults::DropConnection>().is_some() => Err(Dropped),
                    Ok(res) => Ok(res),
                    Err(never) => match never {},
                }
            }
        });
        let conn = http.serve_connection(TokioIo::new(stream), service).with_upgrades();
        let mut stop = stop_rx.clone();
        connections.spawn(async move {
            let _permit = permit;
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => return,
                _ = stop.wait_for(|&s| s) => conn.as_mut().graceful_shutdown(),
            }
            let _ = conn.await;
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let drained = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(limits.shutdown_grace, drained).await.is_err() {
        tracing::warn!(
            left = connections.len(),
            "shutdown grace period over: dropping the connections still open"
        );
        connections.abort_all();
    }
    Ok(())
}

/// Why a connection was closed without an answer: a fault rule said so.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by a fault rule")
    }
}

impl std::error::Error for Dropped {}

/// Raise this process's open-file soft limit to its hard limit; the soft limit now in force (`None` when unknown).
pub fn raise_open_file_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        match rlimit::increase_nofile_limit(u64::MAX) {
            Ok(n) => Some(n),
            Err(_) => rlimit::getrlimit(rlimit::Resource::NOFILE).ok().map(|(soft, _)| soft),
        }
    }
    #[cfg(not(unix))]
    {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_limit_leaves_room_for_the_database() {
        assert_eq!(connection_limit(10_000, Some(1_024)), 1_024 - FD_RESERVE as usize);
        assert_eq!(connection_limit(500, Some(1_048_576)), 500);
        assert_eq!(connection_limit(10_000, Some(100)), 16);
        assert_eq!(connection_limit(10_000, None), 10_000);
    }
}
