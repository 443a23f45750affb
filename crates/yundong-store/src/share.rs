//! Share cards: conversations (direct chats between two friends, group chats) and their members, uploaded temp
//! files, mini-program cards, shareTickets and openGIds.
//!
//! Membership is the one access rule, written here in SQL: a user reads a conversation, its cards and the images
//! those cards show only as a member; a temp file is otherwise readable by its owner alone.

use std::collections::HashMap;

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::durable::charge;
use crate::{AppId, AppRow, Result, Store, UserId, flag};
use crate::{Quota, durably};

/// `conversations.kind` of a chat between two friends.
pub const KIND_DIRECT: &str = "direct";
/// `conversations.kind` of a group chat.
pub const KIND_GROUP: &str = "group";

/// A member of a conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRow {
    pub user_id: UserId,
    pub nickname: String,
}

/// A conversation with its members and activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationRow {
    pub id: i64,
    /// [`KIND_DIRECT`] or [`KIND_GROUP`].
    pub kind: String,
    pub name: Option<String>,
    pub created_at: i64,
    pub message_count: i64,
    pub last_message_at: Option<i64>,
    /// Ascending by user id.
    pub members: Vec<MemberRow>,
}

/// A temp file's metadata (not its bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TempFileMeta {
    pub owner_id: UserId,
    pub mime: String,
    pub size: i64,
    /// A card shows it: kept with the card, whatever `expires_at` says.
    pub used: bool,
    pub expires_at: i64,
}

/// A new temp file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTempFile<'a> {
    pub name: &'a str,
    pub owner_id: UserId,
    pub mime: &'a str,
    pub data: &'a [u8],
    pub created_at: i64,
    pub expires_at: i64,
}

/// A card to post; its image must be an unexpired (or already used) temp file of the sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewShareMessage<'a> {
    pub conversation_id: i64,
    pub sender_id: UserId,
    pub share_app_id: AppId,
    pub app_id: AppId,
    pub path: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub image_name: &'a str,
    pub webpage_url: &'a str,
    pub with_share_ticket: bool,
    pub miniprogram_type: i64,
    pub created_at: i64,
}

/// A stored card, with its sender, the app it opens and its conversation's kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareMessageRow {
    pub id: i64,
    pub conversation_id: i64,
    pub conversation_kind: String,
    pub sender_id: UserId,
    pub sender_nickname: String,
    pub app_id: AppId,
    pub appid: String,
    pub app_name: String,
    pub original_id: String,
    pub path: String,
    pub title: String,
    pub description: String,
    pub image_name: String,
    pub webpage_url: String,
    pub with_share_ticket: bool,
    pub miniprogram_type: i64,
    pub created_at: i64,
}

/// A shareTicket, looked up by its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareTicketRow {
    pub message_id: i64,
    pub conversation_id: i64,
    pub user_id: UserId,
    pub app_id: AppId,
    pub issued_at: i64,
    pub expires_at: i64,
}

const MESSAGE_COLUMNS: &str = "s.id, s.conversation_id, c.kind AS conversation_kind, s.sender_id, \
    u.nickname AS sender_nickname, s.app_id, a.appid, a.name AS app_name, a.original_id, s.path, s.title, \
    s.description, s.image_name, s.webpage_url, s.with_share_ticket, s.miniprogram_type, s.created_at";

const MESSAGE_FROM: &str = "share_messages s JOIN conversations c ON c.id = s.conversation_id \
    JOIN users u ON u.id = s.sender_id JOIN apps a ON a.id = s.app_id";

fn message_row(r: &AnyRow) -> Result<ShareMessageRow> {
    Ok(ShareMessageRow {
        id: r.try_get("id")?,
        conversation_id: r.try_get("conversation_id")?,
        conversation_kind: r.try_get("conversation_kind")?,
        sender_id: r.try_get("sender_id")?,
        sender_nickname: r.try_get("sender_nickname")?,
        app_id: r.try_get("app_id")?,
        appid: r.try_get("appid")?,
        app_name: r.try_get("app_name")?,
        original_id: r.try_get("original_id")?,
        path: r.try_get("path")?,
        title: r.try_get("title")?,
        description: r.try_get("description")?,
        image_name: r.try_get("image_name")?,
        webpage_url: r.try_get("webpage_url")?,
        with_share_ticket: r.try_get::<i64, _>("with_share_ticket")? != 0,
        miniprogram_type: r.try_get("miniprogram_type")?,
        created_at: r.try_get("created_at")?,
    })
}

/// The conversations `user_id` is a member of (all, or the one `only` names), members filled in.
const CONVERSATIONS_SQL: &str = "SELECT t.id, t.kind, t.name, t.created_at, t.message_count, t.last_message_at FROM (
        SELECT c.id, c.kind, c.name, c.created_at,
               (SELECT COUNT(*) FROM share_messages s WHERE s.conversation_id = c.id) AS message_count,
               (SELECT MAX(s.created_at) FROM share_messages s WHERE s.conversation_id = c.id) AS last_message_at
        FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id
        WHERE m.user_id = $1 AND c.id BETWEEN $2 AND $3
    ) t ORDER BY COALESCE(t.last_message_at, t.created_at) DESC, t.id DESC";

const MEMBERS_SQL: &str = "SELECT cm.conversation_id, u.id AS user_id, u.nickname
    FROM conversation_members mine
    JOIN conversation_members cm ON cm.conversation_id = mine.conversation_id
    JOIN users u ON u.id = cm.user_id
    WHERE mine.user_id = $1 AND mine.conversation_id BETWEEN $2 AND $3
    ORDER BY cm.conversation_id, u.id";

/// The card's row, inside the caller's transaction; its id.
async fn insert_share_message(conn: &mut sqlx::AnyConnection, m: &NewShareMessage<'_>) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO share_messages (conversation_id, sender_id, share_app_id, app_id, path, title, description,
             image_name, webpage_url, with_share_ticket, miniprogram_type, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(m.conversation_id)
    .bind(m.sender_id)
    .bind(m.share_app_id)
    .bind(m.app_id)
    .bind(m.path)
    .bind(m.title)
    .bind(m.description)
    .bind(m.image_name)
    .bind(m.webpage_url)
    .bind(flag(m.with_share_ticket))
    .bind(m.miniprogram_type)
    .bind(m.created_at)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get("id")?)
}

impl Store {
    /// The app with this original id (`gh_…`), the name a card gives the mini program it opens.
    pub async fn app_by_original_id(&self, original_id: &str) -> Result<Option<AppRow>> {
        let row = sqlx::query("SELECT id, appid FROM apps WHERE original_id = $1")
            .bind(original_id)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(r) => self.app_by_id(r.try_get("id")?).await,
            None => Ok(None),
        }
    }

    /// Whether `a` counts `b` as a friend.
    pub async fn is_friend(&self, a: UserId, b: UserId) -> Result<bool> {
        let row = sqlx::query("SELECT 1 AS one FROM friendships WHERE user_id = $1 AND friend_id = $2")
            .bind(a)
            .bind(b)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    /// The direct chat of two users, made if there is none: `(conversation id, created)`.
    pub async fn direct_conversation(&self, a: UserId, b: UserId, now: i64) -> Result<(i64, bool)> {
        durably!(self, |conn| {
            let (low, high) = if a < b { (a, b) } else { (b, a) };
            let key = format!("{low}:{high}");
            let mut tx = sqlx::Connection::begin(&mut *conn).await?;
            let inserted = sqlx::query(
                "INSERT INTO conversations (kind, name, direct_key, created_at) VALUES ($1, NULL, $2, $3)
                 ON CONFLICT (direct_key) DO NOTHING RETURNING id",
            )
            .bind(KIND_DIRECT)
            .bind(&key)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(row) = inserted else {
                tx.rollback().await?;
                let row = sqlx::query("SELECT id FROM conversations WHERE direct_key = $1")
                    .bind(&key)
                    .fetch_one(&self.pool)
                    .await?;
                return Ok((row.try_get("id")?, false));
            };
            let id: i64 = row.try_get("id")?;
            for user in [low, high] {
                sqlx::query(
                    "INSERT INTO conversation_members (conversation_id, user_id, joined_at) VALUES ($1, $2, $3)",
                )
                .bind(id)
                .bind(user)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok((id, true))
        })
    }

    /// A new group chat of `members` (distinct, existing users: the caller checks).
    pub async fn create_group(&self, name: &str, members: &[UserId], now: i64) -> Result<i64> {
        durably!(self, |conn| {
            let mut tx = sqlx::Connection::begin(&mut *conn).await?;
            let row = sqlx::query(
                "INSERT INTO conversations (kind, name, direct_key, created_at) VALUES ($1, $2, NULL, $3) RETURNING id",
            )
            .bind(KIND_GROUP)
            .bind(name)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            let id: i64 = row.try_get("id")?;
            for &user in members {
                sqlx::query(
                    "INSERT INTO conversation_members (conversation_id, user_id, joined_at) VALUES ($1, $2, $3)
                     ON CONFLICT (conversation_id, user_id) DO NOTHING",
                )
                .bind(id)
                .bind(user)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(id)
        })
    }

    pub async fn is_member(&self, conversation_id: i64, user_id: UserId) -> Result<bool> {
        let row = sqlx::query("SELECT 1 AS one FROM conversation_members WHERE conversation_id = $1 AND user_id = $2")
            .bind(conversation_id)
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    async fn conversations_in(&self, user_id: UserId, low: i64, high: i64) -> Result<Vec<ConversationRow>> {
        let rows = sqlx::query(CONVERSATIONS_SQL)
            .bind(user_id)
            .bind(low)
            .bind(high)
            .fetch_all(&self.pool)
            .await?;
        let member_rows = sqlx::query(MEMBERS_SQL)
            .bind(user_id)
            .bind(low)
            .bind(high)
            .fetch_all(&self.pool)
            .await?;
        let mut members: HashMap<i64, Vec<MemberRow>> = HashMap::new();
        for r in &member_rows {
            members
                .entry(r.try_get("conversation_id")?)
                .or_default()
                .push(MemberRow {
                    user_id: r.try_get("user_id")?,
                    nickname: r.try_get("nickname")?,
                });
        }
        rows.iter()
            .map(|r| {
                let id: i64 = r.try_get("id")?;
                Ok(ConversationRow {
                    id,
                    kind: r.try_get("kind")?,
                    name: r.try_get("name")?,
                    created_at: r.try_get("created_at")?,
                    message_count: r.try_get("message_count")?,
                    last_message_at: r.try_get("last_message_at")?,
                    members: members.remove(&id).unwrap_or_default(),
                })
            })
            .collect()
    }

    /// The conversations `user_id` is a member of, the most recently active first.
    pub async fn conversations_of(&self, user_id: UserId) -> Result<Vec<ConversationRow>> {
        self.conversations_in(user_id, i64::MIN, i64::MAX).await
    }

    /// One conversation, only if `user_id` is a member of it.
    pub async fn conversation_for(&self, conversation_id: i64, user_id: UserId) -> Result<Option<ConversationRow>> {
        Ok(self
            .conversations_in(user_id, conversation_id, conversation_id)
            .await?
            .into_iter()
            .next())
    }

    /// Store an upload, unless its owner already holds `max_unused` unused, unexpired temp files (false then). The
    /// owner's expired unused files are dropped first.
    pub async fn put_temp_file(&self, file: &NewTempFile<'_>, max_unused: i64, quotas: &[Quota]) -> Result<bool> {
        self.precheck(quotas).await?;
        durably!(self, |conn| {
            let mut tx = sqlx::Connection::begin(&mut *conn).await?;
            // Charged first: the counter's row lock serializes this owner's uploads on PostgreSQL, so the count
            // below sees every upload committed before this one and two racing uploads cannot both find room.
            charge(&mut tx, quotas).await?;
            sqlx::query("DELETE FROM temp_files WHERE owner_id = $1 AND used = 0 AND expires_at <= $2")
                .bind(file.owner_id)
                .bind(file.created_at)
                .execute(&mut *tx)
                .await?;
            let row = sqlx::query("SELECT COUNT(*) AS n FROM temp_files WHERE owner_id = $1 AND used = 0")
                .bind(file.owner_id)
                .fetch_one(&mut *tx)
                .await?;
            if row.try_get::<i64, _>("n")? >= max_unused {
                tx.rollback().await?;
                return Ok(false);
            }
            sqlx::query(
                "INSERT INTO temp_files (name, owner_id, mime, size, data, used, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5, 0, $6, $7)",
            )
            .bind(file.name)
            .bind(file.owner_id)
            .bind(file.mime)
            .bind(file.data.len() as i64)
            .bind(file.data)
            .bind(file.created_at)
            .bind(file.expires_at)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(true)
        })
    }

    pub async fn temp_file_meta(&self, name: &str) -> Result<Option<TempFileMeta>> {
        let row = sqlx::query("SELECT owner_id, mime, size, used, expires_at FROM temp_files WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(TempFileMeta {
                owner_id: r.try_get("owner_id")?,
                mime: r.try_get("mime")?,
                size: r.try_get("size")?,
                used: r.try_get::<i64, _>("used")? != 0,
                expires_at: r.try_get("expires_at")?,
            })
        })
        .transpose()
    }

    /// A temp file's type and bytes, if `viewer` may see it at `now`: its owner while it lives (for ever once a card
    /// uses it), or a member of a conversation holding a card that shows it.
    pub async fn temp_file_for(&self, name: &str, viewer: UserId, now: i64) -> Result<Option<(String, Vec<u8>)>> {
        let row = sqlx::query(
            "SELECT f.mime, f.data FROM temp_files f
             WHERE f.name = $1 AND (f.used = 1 OR f.expires_at > $3)
               AND (f.owner_id = $2 OR EXISTS (
                    SELECT 1 FROM share_messages s
                    JOIN conversation_members m ON m.conversation_id = s.conversation_id
                    WHERE s.image_name = f.name AND m.user_id = $2))",
        )
        .bind(name)
        .bind(viewer)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok((r.try_get("mime")?, r.try_get("data")?))).transpose()
    }

    /// Post a card. `None` when its image is no longer a live temp file of the sender (expired meanwhile); the image
    /// is marked used in the same transaction, so it lives as long as the card.
    pub async fn create_share_message(&self, m: &NewShareMessage<'_>, quotas: &[Quota]) -> Result<Option<i64>> {
        self.precheck(quotas).await?;
        durably!(self, |conn| {
            let mut tx = sqlx::Connection::begin(&mut *conn).await?;
            charge(&mut tx, quotas).await?;
            let kept = sqlx::query(
                "UPDATE temp_files SET used = 1 WHERE name = $1 AND owner_id = $2 AND (used = 1 OR expires_at > $3)",
            )
            .bind(m.image_name)
            .bind(m.sender_id)
            .bind(m.created_at)
            .execute(&mut *tx)
            .await?;
            if kept.rows_affected() == 0 {
                tx.rollback().await?;
                return Ok(None);
            }
            let id = insert_share_message(&mut tx, m).await?;
            tx.commit().await?;
            Ok(Some(id))
        })
    }

    /// Post a card together with an image of its own (a code-package path's placeholder thumbnail): `file` is stored
    /// as used by the card, in the same transaction, outside its sender's temp file count and image-bytes quota.
    /// `m.image_name` must be `file.name`.
    pub async fn create_share_message_with_image(
        &self,
        file: &NewTempFile<'_>,
        m: &NewShareMessage<'_>,
        quotas: &[Quota],
    ) -> Result<i64> {
        self.precheck(quotas).await?;
        durably!(self, |conn| {
            let mut tx = sqlx::Connection::begin(&mut *conn).await?;
            charge(&mut tx, quotas).await?;
            sqlx::query(
                "INSERT INTO temp_files (name, owner_id, mime, size, data, used, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5, 1, $6, $7)",
            )
            .bind(file.name)
            .bind(file.owner_id)
            .bind(file.mime)
            .bind(file.data.len() as i64)
            .bind(file.data)
            .bind(file.created_at)
            .bind(file.expires_at)
            .execute(&mut *tx)
            .await?;
            let id = insert_share_message(&mut tx, m).await?;
            tx.commit().await?;
            Ok(id)
        })
    }

    pub async fn share_message(&self, id: i64) -> Result<Option<ShareMessageRow>> {
        let sql = format!("SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM} WHERE s.id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(message_row).transpose()
    }

    /// Up to `limit` cards of a conversation with ids below `before`, newest first.
    pub async fn share_messages(&self, conversation_id: i64, before: i64, limit: i64) -> Result<Vec<ShareMessageRow>> {
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM} WHERE s.conversation_id = $1 AND s.id < $2
             ORDER BY s.id DESC LIMIT $3"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(conversation_id)
            .bind(before)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(message_row).collect()
    }

    pub async fn put_share_ticket(&self, ticket_hash: &str, t: &ShareTicketRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO share_tickets (ticket_hash, message_id, conversation_id, user_id, app_id, issued_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(ticket_hash)
        .bind(t.message_id)
        .bind(t.conversation_id)
        .bind(t.user_id)
        .bind(t.app_id)
        .bind(t.issued_at)
        .bind(t.expires_at)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    pub async fn share_ticket(&self, ticket_hash: &str) -> Result<Option<ShareTicketRow>> {
        let row = sqlx::query(
            "SELECT message_id, conversation_id, user_id, app_id, issued_at, expires_at FROM share_tickets
             WHERE ticket_hash = $1",
        )
        .bind(ticket_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(ShareTicketRow {
                message_id: r.try_get("message_id")?,
                conversation_id: r.try_get("conversation_id")?,
                user_id: r.try_get("user_id")?,
                app_id: r.try_get("app_id")?,
                issued_at: r.try_get("issued_at")?,
                expires_at: r.try_get("expires_at")?,
            })
        })
        .transpose()
    }

    /// The openGId of a group under an app, created from `candidate` the first time it is asked for.
    pub async fn open_gid_for(&self, conversation_id: i64, app_id: AppId, candidate: &str) -> Result<String> {
        sqlx::query(
            "INSERT INTO open_gids (conversation_id, app_id, open_gid) VALUES ($1, $2, $3)
             ON CONFLICT (conversation_id, app_id) DO NOTHING",
        )
        .bind(conversation_id)
        .bind(app_id)
        .bind(candidate)
        .execute(&self.writer)
        .await?;
        let row = sqlx::query("SELECT open_gid FROM open_gids WHERE conversation_id = $1 AND app_id = $2")
            .bind(conversation_id)
            .bind(app_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("open_gid")?)
    }

    /// Drop unused temp files and shareTickets that expired before `before`. For the janitor.
    pub async fn purge_expired_share(&self, before: i64) -> Result<u64> {
        let mut n = 0;
        for sql in [
            "DELETE FROM temp_files WHERE used = 0 AND expires_at < $1",
            "DELETE FROM share_tickets WHERE expires_at < $1",
        ] {
            n += sqlx::query(sql)
                .bind(before)
                .execute(&self.writer)
                .await?
                .rows_affected();
        }
        Ok(n)
    }
}
