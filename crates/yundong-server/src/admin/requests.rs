//! `/admin/v1/requests`: the request journal (see `crate::journal`), read "since" an id, filtered, streamed.

use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use tokio_stream::wrappers::ReceiverStream;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yundong_proto::admin::AdminError;
use yundong_proto::faults::{Removed, RequestList, RequestQuery};
use yundong_store::JournalFilter;

use crate::error::ApiError;
use crate::extract::AdminAuth;
use crate::state::AppState;

/// How often the stream looks for new entries (they may come from any node, so it reads the shared table).
const POLL: Duration = Duration::from_millis(250);

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_requests, clear_requests))
        .routes(routes!(stream_requests))
}

use yundong_core::journal::request_entry as entry;

fn filter(q: Result<Query<RequestQuery>, QueryRejection>) -> Result<JournalFilter, ApiError> {
    Ok(filter_and_after(q)?.0)
}

/// The filter, and whether `after` was given at all (the stream starts from now without it).
fn filter_and_after(q: Result<Query<RequestQuery>, QueryRejection>) -> Result<(JournalFilter, bool), ApiError> {
    let Query(q) = q.map_err(|e| ApiError::invalid(format!("invalid query: {}", e.body_text())))?;
    let given = q.after.is_some();
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid("limit must be between 1 and 1000"));
    }
    let nonempty = |s: Option<String>| s.filter(|s| !s.is_empty());
    let filter = JournalFilter {
        after: q.after.unwrap_or(0).max(0),
        limit,
        path: nonempty(q.path),
        appid: nonempty(q.appid),
        errcode: q.errcode,
    };
    Ok((filter, given))
}

/// Journaled calls with an id above `after`, oldest first, narrowed by exact `path`, `appid` and `errcode`; secrets
/// masked. Calls this node answered before the request are all included (its writer is flushed first); calls other
/// nodes answered appear within their writers' batch interval (20 ms).
#[utoipa::path(
    get, path = "/admin/v1/requests", tag = "admin", security(("admin" = [])),
    params(RequestQuery),
    responses((status = 200, body = RequestList), (status = 400, body = AdminError), (status = 401, body = AdminError))
)]
pub async fn list_requests(
    State(state): State<AppState>,
    _: AdminAuth,
    q: Result<Query<RequestQuery>, QueryRejection>,
) -> Result<Json<RequestList>, ApiError> {
    let filter = filter(q)?;
    state.journal.flush().await;
    let rows = state.store.journal_query(&filter).await?;
    Ok(Json(RequestList {
        requests: rows.into_iter().map(entry).collect(),
    }))
}

/// Empty the journal (every node's entries).
#[utoipa::path(
    delete, path = "/admin/v1/requests", tag = "admin", security(("admin" = [])),
    responses((status = 200, body = Removed), (status = 401, body = AdminError))
)]
pub async fn clear_requests(State(state): State<AppState>, _: AdminAuth) -> Result<Json<Removed>, ApiError> {
    crate::journal::clear(&state).await?;
    Ok(Json(Removed { removed: 0 }))
}

/// The journal as server-sent events: one `request` event per journaled call (its JSON as in `GET
/// /admin/v1/requests`, the SSE id its id), as calls are journaled by any node. Starts after `after` (`after=0`:
/// the whole journal first) or after the `Last-Event-ID` a reconnecting client sends; without either, with the calls
/// journaled from now on. Filters as `GET /admin/v1/requests`.
#[utoipa::path(
    get, path = "/admin/v1/requests/stream", tag = "admin", security(("admin" = [])),
    params(RequestQuery),
    responses(
        (status = 200, description = "text/event-stream of `request` events", content_type = "text/event-stream"),
        (status = 400, body = AdminError), (status = 401, body = AdminError),
    )
)]
pub async fn stream_requests(
    State(state): State<AppState>,
    _: AdminAuth,
    headers: HeaderMap,
    q: Result<Query<RequestQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let (mut filter, after_given) = filter_and_after(q)?;
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i64>().ok());
    filter.after = match (resume, filter.after) {
        (Some(id), _) => id,
        (None, after) if after_given => after,
        _ => state.store.journal_top().await?,
    };
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Event, Infallible>>(64);
    tokio::spawn(async move {
        loop {
            match state.store.journal_query(&filter).await {
                Ok(rows) => {
                    let full = rows.len() as i64 >= filter.limit;
                    for row in rows {
                        filter.after = row.id;
                        let id = row.id.to_string();
                        let Ok(event) = Event::default().event("request").id(id).json_data(entry(row)) else {
                            continue;
                        };
                        if tx.send(Ok(event)).await.is_err() {
                            return;
                        }
                    }
                    if full {
                        continue;
                    }
                }
                Err(e) => tracing::warn!(error = %e, "journal stream: could not read the journal"),
            }
            tokio::select! {
                () = tokio::time::sleep(POLL) => {}
                () = tx.closed() => return,
            }
        }
    });
    Ok(Sse::new(ReceiverStream::new(rx))
        .keep_alive(KeepAlive::default())
        .into_response())
}
