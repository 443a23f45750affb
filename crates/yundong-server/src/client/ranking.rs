//! WeRun's own pages as a user sees them: the friends ranking with cover and likes, per-friend hiding, the detail
//! page. The rules (who is on a ranking, order, ties, cover) are in [`yundong_core::ranking`].

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use yundong_proto::client::{ErrMsg, ok};
use yundong_proto::werun_social::{
    DetailQuery, DetailResponse, FriendEntry, FriendsResponse, HideRequest, HideResponse, LikeRequest, LikeResponse,
    LikesQuery, LikesResponse, RankingQuery, RankingResponse,
};
use yundong_store::{StoreError, UserId};

use crate::error::ClientError;
use crate::extract::{ClientJson, SignedIn, UserAuth};
use crate::state::AppState;
use yundong_core::{ranking, ranking_page};
use yundong_proto::reason::Reason;

fn social(api: &'static str) -> impl Fn(yundong_core::Error) -> ClientError {
    move |e| ClientError::core(api, e)
}

fn store(api: &'static str) -> impl Fn(StoreError) -> ClientError {
    move |e| ClientError::store(api, e)
}

fn query<T>(api: &str, q: Result<Query<T>, QueryRejection>) -> Result<T, ClientError> {
    q.map(|Query(q)| q).map_err(|e| {
        ClientError::status(
            StatusCode::BAD_REQUEST,
            api,
            format!("invalid request: {}", e.body_text()),
        )
    })
}

/// The viewer's friends ranking for a day (`date` = `YYYY-MM-DD` within the 31-day window, default today), a page
/// at a time: `limit` rows (default 50, at most 200) from the top or after `cursor` (the previous page's
/// `next_cursor`), with the viewer's own row (`me`, `my_rank`) and the row count (`total`).
///
/// Rows: the viewer and every friend with WeRun on, in the ranking and not hiding from the viewer; steps descending,
/// equal steps by user_id ascending and sharing a rank. Each row has its like count, whether the viewer liked it, and
/// the first record of the user's latest shown check-in of the day. `cover` is the first row (null while nobody has a
/// step). A viewer with WeRun off gets `ranking:fail werun off`; one who left the ranking still sees their own row.
#[utoipa::path(
    get, path = "/client/v1/werun/ranking", tag = "client", security(("user" = [])),
    params(RankingQuery),
    responses(
        (status = 200, description = "`ranking:ok`, or `ranking:fail werun off` / `fail date must be …` / `fail invalid limit: …` / `fail invalid cursor`", body = RankingResponse),
        (status = 400, body = ErrMsg), (status = 401, body = ErrMsg),
    )
)]
pub async fn get_ranking(
    State(state): State<AppState>,
    SignedIn(viewer): SignedIn,
    q: Result<Query<RankingQuery>, QueryRejection>,
) -> Result<Response, ClientError> {
    const API: &str = "ranking";
    let q = query(API, q)?;
    let zone = state.config.day_zone;
    let day = ranking::resolve_day(zone, state.now(), q.date.as_deref()).map_err(social(API))?;
    let page = ranking_page::parse_page(day, q.limit, q.cursor.as_deref()).map_err(social(API))?;
    let json = ranking_page::ranking_page_json(&state, viewer, day, page)
        .await
        .map_err(social(API))?;
    Ok(([(header::CONTENT_TYPE, "application/json")], json).into_response())
}

/// Like or unlike a row of the viewer's ranking for a day (default today): one like per (viewer, user, day).
///
/// Without `liked` the like is toggled; with it, set. Only someone else on the viewer's ranking that day can be
/// liked: otherwise `like:fail not in your ranking` (or `fail cannot like yourself`, `fail werun off`).
#[utoipa::path(
    post, path = "/client/v1/werun/like", tag = "client", security(("user" = [])),
    request_body = LikeRequest,
    responses(
        (status = 200, description = "`like:ok` with the new state and count, or `like:fail <reason>`", body = LikeResponse),
        (status = 400, body = ErrMsg), (status = 401, body = ErrMsg),
    )
)]
pub async fn like(
    State(state): State<AppState>,
    UserAuth(user): UserAuth,
    ClientJson(req): ClientJson<LikeRequest>,
) -> Result<Json<LikeResponse>, ClientError> {
    const API: &str = "like";
    let zone = state.config.day_zone;
    let now = state.now();
    let day = ranking::resolve_day(zone, now, req.date.as_deref()).map_err(social(API))?;
    let answer = ranking::like(&state.store, zone, &user, UserId(req.user_id), day, req.liked, now)
        .await
        .map_err(social(API))?;
    Ok(Json(answer))
}

/// Who liked the viewer's own row of a day (default today), earliest first. Only one's own likers can be listed;
/// a viewer with WeRun off gets `likes:fail werun off`.
#[utoipa::path(
    get, path = "/client/v1/werun/likes", tag = "client", security(("user" = [])),
    params(LikesQuery),
    responses(
        (status = 200, description = "`likes:ok`, or `likes:fail werun off` / `fail date must be …`", body = LikesResponse),
        (status = 400, body = ErrMsg), (status = 401, body = ErrMsg),
    )
)]
pub async fn likes(
    State(state): State<AppState>,
    UserAuth(user): UserAuth,
    q: Result<Query<LikesQuery>, QueryRejection>,
) -> Result<Json<LikesResponse>, ClientError> {
    const API: &str = "likes";
    let q = query(API, q)?;
    let zone = state.config.day_zone;
    let day = ranking::resolve_day(zone, state.now(), q.date.as_deref()).map_err(social(API))?;
    let answer = ranking::likers(&state.store, zone, &user, day)
        .await
        .map_err(social(API))?;
    Ok(Json(answer))
}

/// Hide one's steps from one friend (`hidden: true`), or show them again. Takes effect at once: the friend no longer
/// sees one's row, detail page or like button. Other friends are unaffected.
#[utoipa::path(
    post, path = "/client/v1/werun/hide", tag = "client", security(("user" = [])),
    request_body = HideRequest,
    responses(
        (status = 200, description = "`hide:ok`, or `hide:fail not a friend`", body = HideResponse),
        (status = 400, body = ErrMsg), (status = 401, body = ErrMsg),
    )
)]
pub async fn hide(
    State(state): State<AppState>,
    UserAuth(user): UserAuth,
    ClientJson(req): ClientJson<HideRequest>,
) -> Result<Json<HideResponse>, ClientError> {
    const API: &str = "hide";
    let found = state
        .store
        .set_hidden(user.id, UserId(req.user_id), req.hidden)
        .await
        .map_err(store(API))?;
    if !found {
        return Err(ClientError::reason(API, &Reason::NotAFriend));
    }
    Ok(Json(HideResponse {
        err_msg: ok(API),
        user_id: req.user_id,
        hidden: req.hidden,
    }))
}

/// The viewer's friends, each with whether the viewer hides their steps from them (for a privacy page).
#[utoipa::path(
    get, path = "/client/v1/werun/friends", tag = "client", security(("user" = [])),
    responses((status = 200, body = FriendsResponse), (status = 401, body = ErrMsg))
)]
pub async fn friends(
    State(state): State<AppState>,
    UserAuth(user): UserAuth,
) -> Result<Json<FriendsResponse>, ClientError> {
    const API: &str = "friends";
    let friends = state
        .store
        .friends(user.id)
        .await
        .map_err(store(API))?
        .into_iter()
        .map(|f| FriendEntry {
            user_id: f.user_id.0,
            nickname: f.nickname,
            hidden: f.hidden,
        })
        .collect();
    Ok(Json(FriendsResponse {
        err_msg: ok(API),
        friends,
    }))
}

/// A detail page (default the viewer's): 31 days of steps (ascending, zero-filled, each day with its local midnight)
/// and the shown check-ins of those days, newest first.
///
/// Visible for oneself, or for a friend on one's ranking (WeRun on, in the ranking, not hiding from the viewer);
/// anyone else, existing or not, gets `detail:fail not visible` and no data. A viewer with WeRun off gets
/// `detail:fail werun off`.
#[utoipa::path(
    get, path = "/client/v1/werun/detail", tag = "client", security(("user" = [])),
    params(DetailQuery),
    responses(
        (status = 200, description = "`detail:ok`, or `detail:fail not visible` / `fail werun off` / `fail invalid checkins_limit: …`", body = DetailResponse),
        (status = 400, body = ErrMsg), (status = 401, body = ErrMsg),
    )
)]
pub async fn detail(
    State(state): State<AppState>,
    UserAuth(user): UserAuth,
    q: Result<Query<DetailQuery>, QueryRejection>,
) -> Result<Json<DetailResponse>, ClientError> {
    const API: &str = "detail";
    let q = query(API, q)?;
    let answer = ranking::detail(
        &state.store,
        state.config.day_zone,
        &user,
        q.user_id.map(UserId),
        (q.checkins_limit, q.checkins_cursor),
        state.now(),
    )
    .await
    .map_err(social(API))?;
    Ok(Json(answer))
}
