//! Share cards (docs/DESIGN.md §5.12; docs/WECHAT.md §6): posting a card with `shareMiniProgramMessage`, opening one
//! (which may yield a shareTicket) and `wx.getShareInfo`. The client API's handlers parse, call these and render.
//!
//! Membership rules everything: only members post into a conversation or open its cards. A shareTicket is issued only
//! for a card with `withShareTicket` opened from a group, and works only for its opener, with the app the card opens,
//! for [`SHARE_TICKET_TTL`] seconds.

use yundong_proto::client::ok;
use yundong_proto::reason::Reason;
use yundong_proto::share::{
    ImageKind, OpenShareResponse, SCENE_CARD_WITH_SHARE_TICKET, SCENE_DIRECT_CARD, SCENE_GROUP_CARD,
    ShareMiniProgramMessageRequest,
};
use yundong_proto::share_paths::{ImageSource, image_source, web_url};
use yundong_proto::werun::{ShareInfo, Watermark};
use yundong_store::{AppRow, KIND_GROUP, NewShareMessage, NewTempFile, ShareTicketRow, UserRow};

use crate::error::{Error, Result};
use crate::opendata::{self, Sealed};
use crate::share::{self, SHARE_TICKET_TTL, TEMP_FILE_TTL};
use crate::{Core, quotas, secrets};

/// The thumbnail of a card whose `imagePath` is a code-package path (`/pages/thumb.png`): yundong holds no code
/// package, so such a card shows this 200×160 PNG (5:4, a grey picture icon).
pub const PACKAGE_THUMBNAIL: &[u8] = include_bytes!("../assets/package-thumb.png");

/// Post `req` (parsed and validated by the caller) from `user` as the app `sharer`: the rules after the request's own
/// shape, in order: `userName` is `sharer` or an app of its open platform, the sender is a member of the
/// conversation, and a `wxfile://` `imagePath` is a live temp file of theirs. The card's message id.
pub async fn post_card(
    core: &Core,
    user: &UserRow,
    sharer: &AppRow,
    req: &ShareMiniProgramMessageRequest,
) -> Result<i64> {
    let store = &core.store;
    let target = store
        .app_by_original_id(&req.user_name)
        .await?
        .ok_or_else(|| Error::invalid("invalid userName: no mini program has this original id"))?;
    let same_platform = sharer.open_platform.is_some() && sharer.open_platform == target.open_platform;
    if target.id != sharer.id && !same_platform {
        return Err(Error::invalid(
            "invalid userName: must be the sharing app's original id or one of an app of its open platform",
        ));
    }
    if !store.is_member(req.conversation_id, user.id).await? {
        return Err(Error::invalid(
            "invalid conversation_id: not a member of this conversation",
        ));
    }
    let now = core.now();
    let expired = || {
        Error::invalid(format!(
            "invalid imagePath: the temp file expired (an unused temp file lives {TEMP_FILE_TTL} s)"
        ))
    };
    // Both were checked by the request's validate(); these errors are for a caller that did not.
    let webpage_url = web_url(&req.webpage_url).map_err(|r| Error::invalid(format!("invalid webpageUrl: {r}")))?;
    let source = image_source(&req.image_path).map_err(|r| Error::invalid(format!("invalid imagePath: {r}")))?;
    let placeholder_name = share::temp_file_name(ImageKind::Png);
    let image_name = match source {
        ImageSource::Temp(name) => {
            match store.temp_file_meta(name).await? {
                Some(f) if f.owner_id == user.id => {
                    if !f.used && f.expires_at <= now {
                        return Err(expired());
                    }
                }
                _ => {
                    return Err(Error::invalid(
                        "invalid imagePath: not a temp file of yours (upload the image with POST /client/v1/files)",
                    ));
                }
            }
            name
        }
        ImageSource::Package(_) => placeholder_name.as_str(),
    };
    let message = NewShareMessage {
        conversation_id: req.conversation_id,
        sender_id: user.id,
        share_app_id: sharer.id,
        app_id: target.id,
        path: &req.path,
        title: req.title.as_deref().unwrap_or(""),
        description: req.description.as_deref().unwrap_or(""),
        image_name,
        webpage_url: &webpage_url,
        with_share_ticket: req.with_share_ticket,
        miniprogram_type: req.miniprogram_type,
        created_at: now,
    };
    let quotas = quotas::share_card(&core.config, user.id, now);
    match source {
        ImageSource::Temp(_) => store.create_share_message(&message, &quotas).await?.ok_or_else(expired),
        // yundong holds no code package: the card carries a placeholder thumbnail of its own (docs/API.md §2).
        ImageSource::Package(_) => {
            let file = NewTempFile {
                name: image_name,
                owner_id: user.id,
                mime: ImageKind::Png.mime(),
                data: PACKAGE_THUMBNAIL,
                created_at: now,
                expires_at: now + TEMP_FILE_TTL,
            };
            Ok(store.create_share_message_with_image(&file, &message, &quotas).await?)
        }
    }
}

/// Open card `message_id` as `user` taps it: the mini program to launch, its page and launch scene, and for a card
/// with `withShareTicket` opened from a group a fresh shareTicket. An unknown card and a card of a conversation the
/// user is not in get the same refusal: a non-member learns nothing about which ids exist.
pub async fn open_card(core: &Core, user: &UserRow, message_id: i64) -> Result<OpenShareResponse> {
    let store = &core.store;
    let message = store
        .share_message(message_id)
        .await?
        .ok_or(Error::Refused(Reason::NoSuchMessage))?;
    if !store.is_member(message.conversation_id, user.id).await? {
        return Err(Error::Refused(Reason::NoSuchMessage));
    }
    let group = message.conversation_kind == KIND_GROUP;
    let (share_ticket, share_ticket_expires_at, scene) = if group && message.with_share_ticket {
        let now = core.now();
        let ticket = share::share_ticket();
        let row = ShareTicketRow {
            message_id: message.id,
            conversation_id: message.conversation_id,
            user_id: user.id,
            app_id: message.app_id,
            issued_at: now,
            expires_at: now + SHARE_TICKET_TTL,
        };
        store.put_share_ticket(&secrets::hash(&ticket), &row).await?;
        (Some(ticket), Some(row.expires_at), SCENE_CARD_WITH_SHARE_TICKET)
    } else if group {
        (None, None, SCENE_GROUP_CARD)
    } else {
        (None, None, SCENE_DIRECT_CARD)
    };
    Ok(OpenShareResponse {
        err_msg: ok("open"),
        appid: message.appid,
        path: message.path,
        scene,
        miniprogram_type: message.miniprogram_type,
        share_ticket,
        share_ticket_expires_at,
    })
}

/// `wx.getShareInfo`: the group behind `share_ticket`, sealed for `app`'s back end under `user`'s live session_key.
/// The ticket must be one this user got by opening a card of `app` from a group they are still in, less than
/// [`SHARE_TICKET_TTL`] seconds ago. `openGId` is stable per (group, app) and differs across apps. A successful call
/// extends the session's idle life.
pub async fn share_info(core: &Core, user: &UserRow, app: &AppRow, share_ticket: &str) -> Result<Sealed> {
    let store = &core.store;
    let invalid = |why: &str| Error::invalid(format!("invalid shareTicket{why}"));
    let ticket = store
        .share_ticket(&secrets::hash(share_ticket.trim()))
        .await?
        .ok_or_else(|| invalid(""))?;
    if ticket.user_id != user.id {
        return Err(invalid(": issued to another user"));
    }
    if ticket.app_id != app.id {
        return Err(invalid(": issued for another app"));
    }
    let now = core.now();
    if ticket.expires_at <= now {
        return Err(Error::Refused(Reason::ShareTicketExpired));
    }
    if !store.is_member(ticket.conversation_id, user.id).await? {
        return Err(invalid(": not a member of the group"));
    }
    let Some(session) = store.session(user.id, app.id).await?.filter(|s| s.expires_at > now) else {
        return Err(Error::Refused(Reason::NeedLogin));
    };
    let open_gid = store
        .open_gid_for(ticket.conversation_id, app.id, &share::open_gid())
        .await?;
    let info = ShareInfo {
        open_gid,
        watermark: Watermark {
            timestamp: now,
            appid: app.appid.clone(),
        },
    };
    let sealed = opendata::seal(core, app, &session.session_key, &info).ok_or(Error::Refused(Reason::NeedLogin))?;
    store
        .touch_session(user.id, app.id, now, now + core.config.session_ttl)
        .await?;
    Ok(sealed)
}
