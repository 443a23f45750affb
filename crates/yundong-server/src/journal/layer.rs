//! The layer every request to a WeChat path (and to a client API path) passes through. It checks the fault rules
//! first (`crate::faults`: a faulted call never reaches its handler, so it changes nothing), writes WeChat failures'
//! errmsg in the path's family (`/sns/*`: `…, rid: …`; the others: `… rid: …`), and journals the call, secrets
//! masked, off the request path. Client API calls are journaled when the server runs with `--journal-client`, and
//! whenever a fault rule answered them.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::Json;
use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use yundong_proto::client::ErrMsg;
use yundong_proto::errcode::{ErrorBody, Family};
use yundong_proto::faults::errmsg_text;
use yundong_store::JournalEntry;

use super::mask;
use crate::error::WxFailure;
use crate::extract::{AppNote, BodyTooLarge, api_name};
use crate::faults::{DropConnection, Rule};
use crate::state::AppState;
use yundong_core::secrets;

/// WeChat's path families. Unknown paths under them answer errcode 40066 `invalid url`, as WeChat does.
pub fn is_wechat_path(path: &str) -> bool {
    ["/sns/", "/cgi-bin/", "/wxa/", "/hardware/", "/device/"]
        .iter()
        .any(|p| path.starts_with(p))
}

fn is_client_path(path: &str) -> bool {
    path.starts_with("/client/")
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

fn is_json(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// What a call looked like on arrival, for its journal entry.
struct Arrival {
    at: i64,
    started: Instant,
    method: String,
    path: String,
    query: String,
    body: String,
    /// A client call's `appid` field, if it has one (WeChat calls note their app as they resolve it).
    appid: Option<String>,
    client_ip: String,
}

pub async fn wechat(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let wechat = is_wechat_path(path);
    if !wechat && !is_client_path(path) {
        return next.run(req).await;
    }
    let family = Family::of(path);
    // Rules name paths yundong serves (the admin API refuses others): an unknown WeChat path (40066) never reads them.
    let rules = if !wechat || crate::wechat::PATHS.contains(&path) {
        state.faults.for_path(&state, path).await
    } else {
        Vec::new()
    };
    let journaling = state.journal.enabled() && (wechat || state.config.journal_client);
    let note = AppNote::default();
    if wechat {
        req.extensions_mut().insert(note.clone());
    }
    if rules.is_empty() && !journaling {
        return in_family(next.run(req).await, family);
    }

    let started = Instant::now();
    let at = state.now();
    let (mut parts, body) = req.into_parts();
    // A client call's body is read only when it is JSON (an image upload passes through untouched). A WeChat body
    // over the limit is passed on empty and marked: the POST APIs refuse it (47001), the GET-style APIs ignore it as
    // they ignore every body.
    let (body, request_body, bytes) = if wechat || is_json(&parts.headers) {
        match to_bytes(body, state.config.body_limit).await {
            Ok(bytes) => (Body::from(bytes.clone()), mask::body(&bytes), Some(bytes)),
            Err(_) if wechat => {
                parts.extensions.insert(BodyTooLarge);
                (Body::empty(), "<over the body limit>".to_owned(), None)
            }
            Err(_) => (Body::empty(), "<over the body limit>".to_owned(), None),
        }
    } else {
        let size = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("?");
        (body, format!("<{size} bytes, not JSON>"), None)
    };
    let arrival = Arrival {
        at,
        started,
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(mask::query).unwrap_or_default(),
        body: request_body,
        appid: (!wechat)
            .then(|| bytes.as_ref().and_then(|b| serde_json::from_slice::<Value>(b).ok()))
            .flatten()
            .and_then(|v| v.get("appid").and_then(Value::as_str).map(str::to_owned)),
        client_ip: parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_default(),
    };

    let mut fired = None;
    if !rules.is_empty() {
        let appid = if rules.iter().any(|r| r.row.rule.appid.is_some()) {
            appid_of(&state, parts.uri.query(), bytes.as_ref()).await
        } else {
            query_param(parts.uri.query(), "appid")
        };
        if let Some(rule) = state.faults.fire(&state, &rules, appid.as_deref()).await {
            if let Some(appid) = &appid {
                note.set(appid);
            }
            if rule.row.rule.delay_ms > 0 {
                tokio::time::sleep(Duration::from_millis(rule.row.rule.delay_ms as u64)).await;
            }
            if !rule.latency_only() {
                let res = fault_answer(&rule, wechat, family, &arrival.path);
                return journal(&state, res, arrival, family, note, Some(&rule)).await;
            }
            fired = Some(rule);
        }
    }
    let res = in_family(next.run(Request::from_parts(parts, body)).await, family);
    if !journaling && fired.is_none() {
        return res;
    }
    journal(&state, res, arrival, family, note, fired.as_deref()).await
}

/// The answer of a rule that fails or drops the call.
fn fault_answer(rule: &Rule, wechat: bool, family: Family, path: &str) -> Response {
    let r = &rule.row.rule;
    let Some(errcode) = r.errcode else {
        let mut res = StatusCode::OK.into_response();
        res.extensions_mut().insert(DropConnection);
        return res;
    };
    let status = StatusCode::from_u16(r.http_status as u16).unwrap_or(StatusCode::OK);
    let text = errmsg_text(errcode, r.errmsg.as_deref());
    if wechat {
        let rid = secrets::rid();
        let body = ErrorBody {
            errcode: errcode as i32,
            errmsg: family.errmsg(&text, &rid),
        };
        let mut res = (status, Json(body)).into_response();
        res.extensions_mut().insert(FaultRid(rid));
        res.extensions_mut()
            .insert(crate::metrics::http::WxErrcode(errcode as i32));
        res
    } else {
        let err_msg = yundong_proto::client::fail(&api_name(path), &text);
        (status, Json(ErrMsg { err_msg })).into_response()
    }
}

/// The rid a faulted WeChat answer handed out.
#[derive(Clone)]
struct FaultRid(String);

/// The appid a call names (`appid` in the query or a JSON body) or stands for (its `access_token`), for rules
/// narrowed to one app.
async fn appid_of(state: &AppState, query: Option<&str>, body: Option<&Bytes>) -> Option<String> {
    let param = |name: &str| query_param(query, name);
    if let Some(appid) = param("appid") {
        return Some(appid);
    }
    if let Some(appid) = body
        .and_then(|b| serde_json::from_slice::<Value>(b).ok())
        .and_then(|v| v.get("appid").and_then(Value::as_str).map(str::to_owned))
    {
        return Some(appid);
    }
    let token = param("access_token")?;
    let row = state.store.token_by_hash(&secrets::hash(&token)).await.ok()??;
    state.app_by_id(row.app_id).await.ok()?.map(|app| app.appid.clone())
}

/// The value of the query parameter `name`, decoded.
fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    query?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (mask::percent_decode(k) == name).then(|| mask::percent_decode(v))
    })
}

/// Journal the finished call (secrets masked) and give its answer back.
async fn journal(
    state: &AppState,
    res: Response,
    a: Arrival,
    family: Family,
    note: AppNote,
    fault: Option<&Rule>,
) -> Response {
    let latency_ms = a.started.elapsed().as_millis() as i64;
    let dropped = res.extensions().get::<DropConnection>().is_some();
    let fault_rid = res.extensions().get::<FaultRid>().map(|r| r.0.clone());
    let (parts, body) = res.into_parts();
    let streamed = !is_json(&parts.headers) && !is_wechat_path(&a.path);
    let (bytes, body) = if streamed {
        (Bytes::new(), Some(body))
    } else {
        (to_bytes(body, MAX_RESPONSE).await.unwrap_or_default(), None)
    };
    let failure = parts.extensions.get::<WxFailure>();
    // A failure's body is ours and holds no secret: kept as answered, without parsing it again. A success body may
    // hold a token or a session_key: masked.
    let (errcode, errmsg, response) = match failure {
        Some(f) => (
            Some(i64::from(f.code.code())),
            Some(family.errmsg(f.code.message(), &f.rid)),
            String::from_utf8_lossy(&bytes).into_owned(),
        ),
        None if streamed => (None, None, "<not JSON>".to_owned()),
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
        at: a.at,
        method: a.method,
        path: a.path,
        appid: note.get().or(a.appid),
        query: a.query,
        body: a.body,
        status: if dropped { 0 } else { i64::from(parts.status.as_u16()) },
        errcode,
        errmsg,
        detail: failure.and_then(|f| f.detail.clone()),
        rid: failure.map(|f| f.rid.clone()).or(fault_rid),
        latency_ms,
        fault_id: fault.map(|f| f.fault_id.clone()),
        response: if dropped { String::new() } else { response },
        client_ip: a.client_ip,
    });
    Response::from_parts(parts, body.unwrap_or_else(|| Body::from(bytes)))
}
