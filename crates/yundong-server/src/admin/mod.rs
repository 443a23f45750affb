//! The admin API (docs/DESIGN.md §3.3): apps, users, friendships and the dev clock, behind the admin bearer token.

mod conversations;
mod credentials;
mod deployment;
mod faults;
mod requests;
mod scenario;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yundong_proto::admin::{
    AdminError, AppCreated, CreateAppRequest, CreateUserRequest, FriendshipCreated, FriendshipRequest, UserCreated,
    UserList, UserListQuery,
};

use crate::error::ApiError;
use crate::extract::{AdminAuth, AdminJson};
use crate::state::AppState;
use yundong_core::accounts;
use yundong_store::UserId;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(conversations::routes())
        .merge(credentials::routes())
        .merge(faults::routes())
        .merge(requests::routes())
        .routes(routes!(create_app))
        .routes(routes!(create_user, list_users))
        .routes(routes!(create_friendship))
        .merge(deployment::routes())
        .merge(scenario::routes())
}

/// Register a mini program. The secret is shown only in this answer.
#[utoipa::path(
    post, path = "/admin/v1/apps", tag = "admin", security(("admin" = [])),
    request_body = CreateAppRequest,
    responses((status = 201, body = AppCreated), (status = 400, body = AdminError), (status = 401, body = AdminError))
)]
pub async fn create_app(
    State(state): State<AppState>,
    _: AdminAuth,
    AdminJson(req): AdminJson<CreateAppRequest>,
) -> Result<(StatusCode, Json<AppCreated>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(accounts::create_app(&state.store, &req, state.now()).await?),
    ))
}

/// Register a platform user. `token` is the user's client bearer token, shown only in this answer.
#[utoipa::path(
    post, path = "/admin/v1/users", tag = "admin", security(("admin" = [])),
    request_body = CreateUserRequest,
    responses((status = 201, body = UserCreated), (status = 400, body = AdminError), (status = 401, body = AdminError))
)]
pub async fn create_user(
    State(state): State<AppState>,
    _: AdminAuth,
    AdminJson(req): AdminJson<CreateUserRequest>,
) -> Result<(StatusCode, Json<UserCreated>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(accounts::create_user(&state.store, &req.nickname, state.now()).await?),
    ))
}

/// The platform users, a page at a time in id order (`after` = the previous page's `next_after`). Tokens are kept as
/// hashes and never listed: a user who lost theirs gets a new one.
#[utoipa::path(
    get, path = "/admin/v1/users", tag = "admin", security(("admin" = [])),
    params(UserListQuery),
    responses((status = 200, body = UserList), (status = 400, body = AdminError), (status = 401, body = AdminError))
)]
pub async fn list_users(
    State(state): State<AppState>,
    _: AdminAuth,
    q: Result<Query<UserListQuery>, QueryRejection>,
) -> Result<Json<UserList>, ApiError> {
    let Query(q) = q.map_err(|e| ApiError::invalid(format!("invalid query: {}", e.body_text())))?;
    Ok(Json(accounts::list_users(&state.store, &q).await?))
}

/// Make two users mutual friends.
#[utoipa::path(
    post, path = "/admin/v1/friendships", tag = "admin", security(("admin" = [])),
    request_body = FriendshipRequest,
    responses(
        (status = 201, description = "now friends", body = FriendshipCreated),
        (status = 200, description = "were friends already", body = FriendshipCreated),
        (status = 400, body = AdminError), (status = 401, body = AdminError), (status = 404, body = AdminError),
    )
)]
pub async fn create_friendship(
    State(state): State<AppState>,
    _: AdminAuth,
    AdminJson(req): AdminJson<FriendshipRequest>,
) -> Result<(StatusCode, Json<FriendshipCreated>), ApiError> {
    let created = accounts::befriend(&state.store, UserId(req.a), UserId(req.b), state.now()).await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((
        status,
        Json(FriendshipCreated {
            a: req.a,
            b: req.b,
            created,
        }),
    ))
}
