//! Why a domain operation refused: one error type for the whole core. Each surface maps every variant to its own
//! wire format exhaustively, in one place: the WeChat-compatible API in the server's `wechat/errors.rs` (errcode
//! bodies), the client API in `client/errors.rs` (`errMsg` with a [`Reason`]), the admin API in `admin/errors.rs`
//! (JSON errors with an HTTP status), the CLI in its messages.

use std::borrow::Cow;

use yundong_proto::reason::Reason;
use yundong_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input breaks a rule; the text says which.
    #[error("{0}")]
    Invalid(Cow<'static, str>),
    /// Something the input names does not exist.
    #[error("{0}")]
    NotFound(Cow<'static, str>),
    /// A refusal with a reason from the client API's catalog.
    #[error("{0}")]
    Refused(Reason),
    /// The `wx.login` code is unknown or expired.
    #[error("invalid code")]
    CodeInvalid,
    /// The `wx.login` code was exchanged before.
    #[error("code been used")]
    CodeUsed,
    /// Too many calls within the minute; the text says which limit.
    #[error("{0}")]
    MinuteLimit(&'static str),
    /// The day's quota is used up.
    #[error("daily quota reached")]
    DailyQuota,
    /// A compare-and-set kept losing to other nodes; the caller may retry.
    #[error("busy: concurrent updates, try again")]
    Busy,
    /// Storage failed (logged by the surface, never shown).
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn invalid(text: impl Into<Cow<'static, str>>) -> Error {
        Error::Invalid(text.into())
    }

    pub fn not_found(text: impl Into<Cow<'static, str>>) -> Error {
        Error::NotFound(text.into())
    }
}

impl From<Reason> for Error {
    fn from(reason: Reason) -> Error {
        Error::Refused(reason)
    }
}
