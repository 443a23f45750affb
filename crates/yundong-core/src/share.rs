//! Share cards (docs/DESIGN.md §5.12, docs/WECHAT.md §6): making conversations (shared by the admin API and the CLI),
//! and the lives and shapes of temp files, shareTickets and openGIds.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use yundong_proto::share::{ConversationCreated, ImageKind, MAX_GROUP_MEMBERS, MIN_GROUP_MEMBERS, TEMP_FILE_SCHEME};
use yundong_store::{KIND_DIRECT, KIND_GROUP, Store, UserId};

use crate::error::{Error, Result};
use crate::secrets;

/// How long an uploaded image lives unless a card uses it: 2 hours, about one launch of a mini program (WeChat's
/// temp files last for the launch). A card's image lives as long as the card.
pub const TEMP_FILE_TTL: i64 = 2 * 3600;
/// Unused, unexpired temp files one user may hold at once.
pub const MAX_UNUSED_TEMP_FILES: i64 = 50;
/// How long a shareTicket works after the card is opened: 1 hour, reusable by its opener and app meanwhile.
pub const SHARE_TICKET_TTL: i64 = 3600;
/// Cards per page of `GET /client/v1/conversations/{id}/messages`: default and cap.
pub const DEFAULT_PAGE: i64 = 50;
pub const MAX_PAGE: i64 = 100;

/// A fresh temp file name: `tmp_` + 32 lowercase hex digits + `.png` or `.jpg`.
pub fn temp_file_name(kind: ImageKind) -> String {
    format!("tmp_{}.{}", hex::encode(secrets::key16()), kind.extension())
}

/// The `wxfile://` path of a temp file name.
pub fn temp_file_path(name: &str) -> String {
    format!("{TEMP_FILE_SCHEME}{name}")
}

/// Where a viewer fetches a temp file.
pub fn temp_file_url(name: &str) -> String {
    format!("/client/v1/files/{name}")
}

/// A fresh shareTicket: 128 random bits in the UUID form WeChat's tickets have.
pub fn share_ticket() -> String {
    let mut b = secrets::key16();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

/// A fresh openGId: `tG` + 27 URL-safe characters (160 random bits), 29 in all like WeChat's.
pub fn open_gid() -> String {
    let (a, b) = (secrets::key16(), secrets::key16());
    let mut bytes = [0u8; 20];
    bytes[..16].copy_from_slice(&a);
    bytes[16..].copy_from_slice(&b[..4]);
    format!("tG{}", URL_SAFE_NO_PAD.encode(bytes))
}

async fn check_users(store: &Store, ids: &[UserId]) -> Result<()> {
    for &id in ids {
        if store.user_by_id(id).await?.is_none() {
            return Err(Error::not_found(format!("no user {id}")));
        }
    }
    Ok(())
}

/// The direct chat of two friends, made if they have none yet.
pub async fn create_direct(store: &Store, members: &[UserId], now: i64) -> Result<ConversationCreated> {
    let &[a, b] = members else {
        return Err(Error::invalid(
            "a direct chat has exactly two members; use a group for more",
        ));
    };
    if a == b {
        return Err(Error::invalid("a direct chat needs two different users"));
    }
    check_users(store, &[a, b]).await?;
    if !store.is_friend(a, b).await? {
        return Err(Error::invalid(format!(
            "users {a} and {b} are not friends: only friends have a direct chat"
        )));
    }
    let (id, created) = store.direct_conversation(a, b, now).await?;
    Ok(ConversationCreated {
        conversation_id: id,
        kind: KIND_DIRECT.to_owned(),
        name: None,
        members: vec![a.min(b).0, a.max(b).0],
        created,
    })
}

/// A new group chat.
pub async fn create_group(store: &Store, name: &str, members: &[UserId], now: i64) -> Result<ConversationCreated> {
    super::accounts::check_text("name", name, 64)?;
    let name = name.trim();
    let mut sorted = members.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    if sorted.len() != members.len() {
        return Err(Error::invalid("members must be distinct"));
    }
    if !(MIN_GROUP_MEMBERS..=MAX_GROUP_MEMBERS).contains(&sorted.len()) {
        return Err(Error::invalid(format!(
            "a group has {MIN_GROUP_MEMBERS} to {MAX_GROUP_MEMBERS} members"
        )));
    }
    check_users(store, &sorted).await?;
    let id = store.create_group(name, &sorted, now).await?;
    Ok(ConversationCreated {
        conversation_id: id,
        kind: KIND_GROUP.to_owned(),
        name: Some(name.to_owned()),
        members: sorted.iter().map(|m| m.0).collect(),
        created: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use yundong_proto::share::is_temp_file_name;

    #[test]
    fn shapes() {
        assert!(is_temp_file_name(&temp_file_name(ImageKind::Png)));
        assert!(temp_file_name(ImageKind::Jpeg).ends_with(".jpg"));
        let t = share_ticket();
        assert_eq!(t.len(), 36);
        assert_eq!(t.matches('-').count(), 4);
        let g = open_gid();
        assert_eq!(g.len(), 29);
        assert!(g.starts_with("tG"));
        assert_ne!(open_gid(), g);
    }
}
