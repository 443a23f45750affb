//! Reading conversations and the cards in them, as their members see them.

use super::store;
use crate::error::ClientError;
use crate::extract::UserAuth;
use crate::state::AppState;
use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use yundong_core::share::{self, DEFAULT_PAGE, MAX_PAGE};
use yundong_proto::client::{ErrMsg, ok};
use yundong_proto::reason::Reason;
use yundong_proto::share::{Conversation, ConversationsResponse, Member, MessagesQuery, MessagesResponse, ShareCard};
use yundong_store::{ConversationRow, ShareMessageRow};

fn conversation(c: ConversationRow) -> Conversation {
    Conversation {
        conversation_id: c.id,
        name: c.name,
        kind: c.kind,
        members: c
            .members
            .into_iter()
            .map(|m| Member {
                user_id: m.user_id.0,
                nickname: m.nickname,
            })
            .collect(),
        created_at: c.created_at,
        message_count: c.message_count,
        last_message_at: c.last_message_at,
    }
}

fn card(m: ShareMessageRow) -> ShareCard {
    ShareCard {
        message_id: m.id,
        sender: Member {
            user_id: m.sender_id.0,
            nickname: m.sender_nickname,
        },
        created_at: m.created_at,
        appid: m.appid,
        app_name: m.app_name,
        user_name: m.original_id,
        path: m.path,
        title: m.title,
        description: m.description,
        image_path: share::temp_file_path(&m.image_name),
        image_url: share::temp_file_url(&m.image_name),
        webpage_url: m.webpage_url,
        with_share_ticket: m.with_share_ticket,
        miniprogram_type: m.miniprogram_type,
    }
}

/// The user's conversations (direct chats and groups), the most recently active first, with their members.
#[utoipa::path(
    get, path = "/client/v1/conversations", tag = "client", security(("user" = [])),
    responses((status = 200, description = "`conversations:ok`", body = ConversationsResponse), (status = 401, body = ErrMsg))
)]
pub async fn list_conversations(
    State(state): State<AppState>,
    UserAuth(user): UserAuth,
) -> Result<Json<ConversationsResponse>, ClientError> {
    const API: &str = "conversations";
    let rows = state.store.conversations_of(user.id).await.map_err(store(API))?;
    Ok(Json(ConversationsResponse {
        err_msg: ok(API),
        conversations: rows.into_iter().map(conversation).collect(),
    }))
}

/// A page of a conversation's cards, oldest first (the newest page unless `before` is given), for members only:
/// anyone else gets `messages:fail not a member of this conversation` and nothing else.
#[utoipa::path(
    get, path = "/client/v1/conversations/{id}/messages", tag = "client", security(("user" = [])),
    params(("id" = i64, Path, description = "conversation_id"), MessagesQuery),
    responses(
        (status = 200, description = "`messages:ok`, or `messages:fail not a member of this conversation` / `fail invalid limit: …`", body = MessagesResponse),
        (status = 400, body = ErrMsg), (status = 401, body = ErrMsg),
    )
)]
pub async fn list_messages(
    State(state): State<AppState>,
    UserAuth(user): UserAuth,
    id: Result<Path<String>, PathRejection>,
    q: Result<Query<MessagesQuery>, QueryRejection>,
) -> Result<Json<MessagesResponse>, ClientError> {
    const API: &str = "messages";
    let Some(id) = id.ok().and_then(|Path(id)| id.parse::<i64>().ok()) else {
        return Err(ClientError::status(
            StatusCode::BAD_REQUEST,
            API,
            "invalid request: the conversation id must be an integer",
        ));
    };
    let Ok(Query(q)) = q else {
        return Err(ClientError::status(
            StatusCode::BAD_REQUEST,
            API,
            "invalid request: before and limit must be integers",
        ));
    };
    let limit = q.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ClientError::fail(
            API,
            format!("invalid limit: must be 1 to {MAX_PAGE}"),
        ));
    }
    let Some(conv) = state.store.conversation_for(id, user.id).await.map_err(store(API))? else {
        return Err(ClientError::reason(API, &Reason::NotAMember));
    };
    let mut rows = state
        .store
        .share_messages(id, q.before.unwrap_or(i64::MAX), limit + 1)
        .await
        .map_err(store(API))?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_before = more.then(|| rows.last().map(|m| m.id)).flatten();
    rows.reverse();
    Ok(Json(MessagesResponse {
        err_msg: ok(API),
        conversation: conversation(conv),
        messages: rows.into_iter().map(card).collect(),
        next_before,
    }))
}
