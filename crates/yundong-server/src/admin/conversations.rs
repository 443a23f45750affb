//! Conversations for share cards: direct chats between two friends and group chats (docs/DESIGN.md §3.3).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use yundong_proto::admin::AdminError;
use yundong_proto::share::{ConversationCreated, CreateConversationRequest, CreateGroupRequest};

use crate::error::ApiError;
use crate::extract::{AdminAuth, AdminJson};
use crate::state::AppState;
use yundong_core::share;
use yundong_store::UserId;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_conversation))
        .routes(routes!(create_group))
}

/// The direct chat of two friends (`members` = exactly two user ids). A pair has one direct chat: asking again
/// answers the existing one with 200.
#[utoipa::path(
    post, path = "/admin/v1/conversations", tag = "admin", security(("admin" = [])),
    request_body = CreateConversationRequest,
    responses(
        (status = 201, description = "made", body = ConversationCreated),
        (status = 200, description = "the pair's existing direct chat", body = ConversationCreated),
        (status = 400, description = "not two different users, or not friends", body = AdminError),
        (status = 401, body = AdminError), (status = 404, description = "no such user", body = AdminError),
    )
)]
pub async fn create_conversation(
    State(state): State<AppState>,
    _: AdminAuth,
    AdminJson(req): AdminJson<CreateConversationRequest>,
) -> Result<(StatusCode, Json<ConversationCreated>), ApiError> {
    let made = share::create_direct(&state.store, &user_ids(&req.members), state.now()).await?;
    let status = if made.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(made)))
}

/// A group chat: `name` (1–64 printable characters) and 2–500 distinct members, who need not be friends.
#[utoipa::path(
    post, path = "/admin/v1/groups", tag = "admin", security(("admin" = [])),
    request_body = CreateGroupRequest,
    responses(
        (status = 201, body = ConversationCreated),
        (status = 400, body = AdminError), (status = 401, body = AdminError),
        (status = 404, description = "no such user", body = AdminError),
    )
)]
pub async fn create_group(
    State(state): State<AppState>,
    _: AdminAuth,
    AdminJson(req): AdminJson<CreateGroupRequest>,
) -> Result<(StatusCode, Json<ConversationCreated>), ApiError> {
    let made = share::create_group(&state.store, &req.name, &user_ids(&req.members), state.now()).await?;
    Ok((StatusCode::CREATED, Json(made)))
}

fn user_ids(members: &[i64]) -> Vec<UserId> {
    members.iter().copied().map(UserId).collect()
}
