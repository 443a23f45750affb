//! The layer every request to a WeChat path passes through: it writes failures' errmsg in the path's family
//! (`/sns/*`: `…, rid: …`; the others: `… rid: …`) and journals the call, secrets masked, off the request path.

use std::net::SocketAddr;
use std::time::Instant;

use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::Value;
use yundong_proto::errcode::Family;
use yundong_store::JournalEntry;

use super::mask;
use crate::error::WxFailure;
use crate::extract::{AppNote, BodyTooLarge};
use crate::state::AppState;

/// WeChat's path families. Unknown paths under them answer errcode 40066 `invalid url`, as WeChat does.
pub fn is_wechat_path(path: &str) -> bool {
    ["/sns/", "/cgi-bin/", "/wxa/", "/hardware/", "/device/"]
        .iter()
        .any(|p| path.starts_with(p))
}

/// The largest response body journaled whole; ours are far smaller (a full getopendata answer is ≈ 40 KB).
const MAX_RESPONSE: usize = 1 << 20;

/// Render a failure in `family`'s form (failures are rendered in the non-`/sns` form by default).
fn in_family(res: Response, family: Family) -> Response {
    match (family, res.extensions().get::<WxFailure>()) {
        (Family::Sns, Some(failure)) => failure.response(Family::Sns),
        _ => res,
    }
}

pub async fn wechat(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    if !is_wechat_path(req.uri().path()) {
        return next.run(req).await;
    }
    let family = Family::of(req.uri().path());
    let note = AppNote::default();
    req.extensions_mut().insert(note.clone());
    if !state.journal.enabled() {
        return in_family(next.run(req).await, family);
    }
    let started = Instant::now();
    let at = state.now();
    let (mut parts, body) = req.into_parts();
    // A body over the limit is passed on empty and marked: the POST APIs refuse it (47001), the GET-style APIs ignore
    // it as they ignore every body.
    let (bytes, request_body) = match to_bytes(body, state.config.body_limit).await {
        Ok(bytes) => {
            let masked = mask::body(&bytes);
            (bytes, masked)
        }
        Err(_) => {
            parts.extensions.insert(BodyTooLarge);
            (Default::default(), "<over the body limit>".to_owned())
        }
    };
    let client_ip = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_default();
    let method = parts.method.to_string();
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().map(mask::query).unwrap_or_default();
    let res = in_family(next.run(Request::from_parts(parts, Body::from(bytes))).await, family);
    let latency_ms = started.elapsed().as_millis() as i64;

    let (parts, body) = res.into_parts();
    let bytes = to_bytes(body, MAX_RESPONSE).await.unwrap_or_default();
    let failure = parts.extensions.get::<WxFailure>();
    // A failure's body is ours and holds no secret: kept as answered, without parsing it again. A success body may
    // hold a token or a session_key: masked.
    let (errcode, errmsg, response) = match failure {
        Some(f) => (
            Some(i64::from(f.code.code())),
            Some(family.errmsg(f.code.message(), &f.rid)),
            String::from_utf8_lossy(&bytes).into_owned(),
        ),
        None => match serde_json::from_slice::<Value>(&bytes) {
            Ok(mut v) => {
                let errcode = v.get("errcode").and_then(Value::as_i64);
                let errmsg = v.get("errmsg").and_then(Value::as_str).map(str::to_owned);
                mask::json(&mut v);
                (errcode, errmsg, mask::cut(v.to_string()))
            }
            Err(_) => (None, None, mask::body(&bytes)),
        },
    };
    state.journal.record(JournalEntry {
        at,
        method,
        path,
        appid: note.get(),
        query,
        body: request_body,
        status: i64::from(parts.status.as_u16()),
        errcode,
        errmsg,
        detail: failure.and_then(|f| f.detail.clone()),
        rid: failure.map(|f| f.rid.clone()),
        latency_ms,
        fault_id: None,
        response,
        client_ip,
    });
    Response::from_parts(parts, Body::from(bytes))
}
