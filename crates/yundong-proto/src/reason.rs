//! The client API's failure reasons, one catalog beside the errcode table ([`crate::errcode`]): a `wx.*` call that
//! fails answers `{"errMsg": "<api>:fail <reason>"}`, and every fixed reason the server writes is a variant here.
//! Where WeChat's exact string is known it is used whole (`getWeRunData: fail device not support`, with WeChat's
//! space after the colon); the other reasons are yundong's own and docs/API.md lists them (a test checks the list).
//! Reasons that name a field of the request (`recordList[0].distance …`) are rule texts, carried as
//! [`Reason::Invalid`].

use std::borrow::Cow;

/// Why a client API call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// WeRun is off for the user, as `getWeRunData` answers it (WeChat's exact text).
    DeviceNotSupport,
    /// The app may not post check-ins to WeRun (WeChat's exact text).
    NoPermission,
    /// The user denied the scope (now or before).
    AuthDeny,
    /// The scope is undecided and the call carried no answer to the dialog.
    AuthorizeNoResponse,
    /// No live session between the user and the app: `wx.login` and jscode2session first.
    NeedLogin,
    /// The user cancelled the confirmation sheet.
    Cancel,
    /// No mini program has this appid.
    InvalidAppid,
    /// `wx.authorize` with a scope WeChat does not define.
    InvalidScope,
    /// The bearer token names no user (or the user is gone).
    UnknownUser,
    /// The viewer's WeRun is off, so there is no ranking, like or detail page.
    WeRunOff,
    /// The target is not on the viewer's ranking that day.
    NotInRanking,
    /// The target's page is not visible to the viewer.
    NotVisible,
    /// Likes go to others.
    CannotLikeYourself,
    /// Only friends' details are visible.
    NotAFriend,
    /// The device app has no device-steps capability.
    NoDeviceCapability,
    /// The user has not bound this device app.
    NotBound,
    /// The user is not a member of the conversation.
    NotAMember,
    /// The conversation has no such message.
    NoSuchMessage,
    /// The shareTicket's life is over.
    ShareTicketExpired,
    /// An uploaded file is empty.
    EmptyFile,
    /// No such file (or not the caller's).
    FileNotFound,
    /// The caller is over a quota or a rate; the text says which.
    TooMany(Cow<'static, str>),
    /// The request breaks a rule; the text says which.
    Invalid(Cow<'static, str>),
    /// yundong could not answer (storage); details are in the server's log, never in the answer.
    SystemError,
}

impl Reason {
    /// The reason's text, as it follows `<api>:fail `.
    pub fn text(&self) -> &str {
        match self {
            Reason::DeviceNotSupport => "device not support",
            Reason::NoPermission => "has no permission",
            Reason::AuthDeny => "auth deny",
            Reason::AuthorizeNoResponse => "authorize no response",
            Reason::NeedLogin => "need login",
            Reason::Cancel => "cancel",
            Reason::InvalidAppid => "invalid appid",
            Reason::InvalidScope => "invalid scope",
            Reason::UnknownUser => "unknown user",
            Reason::WeRunOff => "werun off",
            Reason::NotInRanking => "not in your ranking",
            Reason::NotVisible => "not visible",
            Reason::CannotLikeYourself => "cannot like yourself",
            Reason::NotAFriend => "not a friend",
            Reason::NoDeviceCapability => "app has no device capability",
            Reason::NotBound => "not bound",
            Reason::NotAMember => "not a member of this conversation",
            Reason::NoSuchMessage => "no such message",
            Reason::ShareTicketExpired => "shareTicket expired",
            Reason::EmptyFile => "empty file",
            Reason::FileNotFound => "file not found",
            Reason::SystemError => "system error",
            Reason::TooMany(text) | Reason::Invalid(text) => text,
        }
    }

    /// Whether WeChat writes this failure with a space after the colon (`<api>: fail …`), as Android WeChat does
    /// for the two failures whose exact text is known.
    fn spaced(&self) -> bool {
        matches!(self, Reason::DeviceNotSupport | Reason::NoPermission)
    }

    /// The whole `errMsg` for a failure of `api`.
    pub fn err_msg(&self, api: &str) -> String {
        if self.spaced() {
            format!("{api}: fail {}", self.text())
        } else {
            format!("{api}:fail {}", self.text())
        }
    }

    /// Every fixed reason (the ones with a text of their own), for the docs check.
    pub const FIXED: [Reason; 22] = [
        Reason::DeviceNotSupport,
        Reason::NoPermission,
        Reason::AuthDeny,
        Reason::AuthorizeNoResponse,
        Reason::NeedLogin,
        Reason::Cancel,
        Reason::InvalidAppid,
        Reason::InvalidScope,
        Reason::UnknownUser,
        Reason::WeRunOff,
        Reason::NotInRanking,
        Reason::NotVisible,
        Reason::CannotLikeYourself,
        Reason::NotAFriend,
        Reason::NoDeviceCapability,
        Reason::NotBound,
        Reason::NotAMember,
        Reason::NoSuchMessage,
        Reason::ShareTicketExpired,
        Reason::EmptyFile,
        Reason::FileNotFound,
        Reason::SystemError,
    ];
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn werun_failures_known_from_wechat_keep_its_exact_text() {
        assert_eq!(
            Reason::DeviceNotSupport.err_msg("getWeRunData"),
            "getWeRunData: fail device not support"
        );
        assert_eq!(
            Reason::NoPermission.err_msg("shareToWeRun"),
            "shareToWeRun: fail has no permission"
        );
        assert_eq!(
            Reason::NeedLogin.err_msg("getWeRunData"),
            "getWeRunData:fail need login"
        );
    }

    #[test]
    fn fixed_reasons_have_distinct_texts() {
        let mut texts: Vec<&str> = Reason::FIXED.iter().map(Reason::text).collect();
        texts.sort_unstable();
        texts.dedup();
        assert_eq!(texts.len(), Reason::FIXED.len());
    }
}
