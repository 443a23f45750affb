//! Share cards (docs/DESIGN.md §3.2, §5.12; docs/WECHAT.md §6): temp files, `shareMiniProgramMessage`, reading
//! conversations and their cards, opening a card (which may yield a shareTicket) and `wx.getShareInfo`.
//!
//! Membership rules everything: only members read a conversation, post into it, open its cards or see the images its
//! cards show. A shareTicket is issued only for a card with `withShareTicket` opened from a group, and works only for
//! its opener, with the app the card opens, for [`SHARE_TICKET_TTL`] seconds.

mod cards;
mod conversations;
mod files;

use crate::error::ClientError;
use crate::extract::UserAuth;
use crate::state::AppState;
use axum::extract::DefaultBodyLimit;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;
use yundong_proto::share::MAX_IMAGE_BYTES;
use yundong_store::StoreError;

use cards::*;
use conversations::*;
use files::*;

/// The largest body the upload route reads: the image cap plus headroom, so that a slightly larger file still gets
/// an answer naming its size. Everything else keeps the server's default limit.
const UPLOAD_BODY_LIMIT: usize = MAX_IMAGE_BYTES + 64 * 1024;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload_file).layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)))
        .routes(routes!(download_file))
        .routes(routes!(share_mini_program_message))
        .routes(routes!(list_conversations))
        .routes(routes!(list_messages))
        .routes(routes!(open_card))
        .routes(routes!(get_share_info))
}

fn store(api: &'static str) -> impl Fn(StoreError) -> ClientError {
    move |e| ClientError::store(api, e)
}

/// The bearer check under this call's API name (the path's last segment is a file name or `files`).
fn authed(api: &str, auth: Result<UserAuth, ClientError>) -> Result<UserAuth, ClientError> {
    auth.map_err(|e| {
        let reason = e.err_msg.split_once(":fail ").map_or(e.err_msg.as_str(), |(_, r)| r);
        ClientError::status(e.status, api, reason)
    })
}
