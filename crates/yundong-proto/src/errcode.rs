//! The WeChat errcode catalog: one row per code, used by the server to answer and by the SDK to classify.
//!
//! WeChat answers every failure with HTTP 200 and a body `{"errcode": N, "errmsg": "<text>, rid: …"}` (`/sns/*`) or
//! `"<text> rid: …"` (every other family, see [`Family`]); clients branch on the number, a few string-match the
//! text, so both are reproduced as WeChat writes them (docs/WECHAT.md).

use serde::{Deserialize, Serialize};

/// Every errcode yundong answers with. `ALL` lists them; [`ErrCode::info`] is the one table of numbers and texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrCode {
    SystemError,
    InvalidCredential,
    InvalidGrantType,
    InvalidAccessToken,
    IpNotInWhitelist,
    CodeBlocked,
    AppsecretFrozen,
    InvalidOpenid,
    InvalidAppid,
    InvalidUrl,
    InvalidCode,
    InvalidArgs,
    InvalidAppsecret,
    CodeBeenUsed,
    AccessTokenMissing,
    AppidMissing,
    AppsecretMissing,
    CodeMissing,
    OpenidMissing,
    AccessTokenExpired,
    RequirePost,
    EmptyPostData,
    DailyQuota,
    MinuteQuota,
    DataFormatError,
    ApiUnauthorized,
    InvalidSigMethod,
    InvalidSignature,
    ClearQuotaLimit,
    RidNotFound,
    RidIsError,
    RidNoPermission,
    CgiPathNotFound,
    CgiPathNoPermission,
}

impl ErrCode {
    pub const ALL: [ErrCode; 34] = [
        ErrCode::SystemError,
        ErrCode::InvalidCredential,
        ErrCode::InvalidGrantType,
        ErrCode::InvalidAccessToken,
        ErrCode::IpNotInWhitelist,
        ErrCode::CodeBlocked,
        ErrCode::AppsecretFrozen,
        ErrCode::InvalidOpenid,
        ErrCode::InvalidAppid,
        ErrCode::InvalidUrl,
        ErrCode::InvalidCode,
        ErrCode::InvalidArgs,
        ErrCode::InvalidAppsecret,
        ErrCode::CodeBeenUsed,
        ErrCode::AccessTokenMissing,
        ErrCode::AppidMissing,
        ErrCode::AppsecretMissing,
        ErrCode::CodeMissing,
        ErrCode::OpenidMissing,
        ErrCode::AccessTokenExpired,
        ErrCode::RequirePost,
        ErrCode::EmptyPostData,
        ErrCode::DailyQuota,
        ErrCode::MinuteQuota,
        ErrCode::DataFormatError,
        ErrCode::ApiUnauthorized,
        ErrCode::InvalidSigMethod,
        ErrCode::InvalidSignature,
        ErrCode::ClearQuotaLimit,
        ErrCode::RidNotFound,
        ErrCode::RidIsError,
        ErrCode::RidNoPermission,
        ErrCode::CgiPathNotFound,
        ErrCode::CgiPathNoPermission,
    ];

    /// The catalog: `(errcode, errmsg as WeChat writes it)`. docs/WECHAT.md lists the source of every row.
    pub const fn info(self) -> (i32, &'static str) {
        match self {
            ErrCode::SystemError => (-1, "system error"),
            ErrCode::InvalidCredential => (
                40001,
                "invalid credential, access_token is invalid or not latest, could get access_token by \
                 getStableAccessToken, more details at https://mmbizurl.cn/s/JtxxFh33r",
            ),
            ErrCode::InvalidGrantType => (40002, "invalid grant_type"),
            // Known to clients (they treat 40014 like 40001); yundong has no IP whitelist, code blocking or secret
            // freezing, so it never answers 40164, 40226 or 40243 itself.
            ErrCode::InvalidAccessToken => (40014, "invalid access_token"),
            ErrCode::IpNotInWhitelist => (40164, "invalid ip, not in whitelist"),
            ErrCode::CodeBlocked => (40226, "code blocked"),
            ErrCode::AppsecretFrozen => (40243, "AppSecret frozen"),
            ErrCode::InvalidOpenid => (40003, "invalid openid"),
            ErrCode::InvalidAppid => (40013, "invalid appid"),
            ErrCode::InvalidCode => (40029, "invalid code"),
            ErrCode::InvalidUrl => (40066, "invalid url"),
            ErrCode::InvalidArgs => (40097, "invalid args"),
            ErrCode::InvalidAppsecret => (40125, "invalid appsecret"),
            ErrCode::CodeBeenUsed => (40163, "code been used"),
            ErrCode::AccessTokenMissing => (41001, "access_token missing"),
            ErrCode::AppidMissing => (41002, "appid missing"),
            ErrCode::AppsecretMissing => (41004, "appsecret missing"),
            ErrCode::CodeMissing => (41008, "missing code"),
            ErrCode::OpenidMissing => (41009, "missing openid"),
            ErrCode::AccessTokenExpired => (42001, "access_token expired"),
            ErrCode::RequirePost => (43002, "require POST method"),
            ErrCode::EmptyPostData => (44002, "empty post data"),
            ErrCode::DailyQuota => (45009, "reach max api daily quota limit"),
            ErrCode::MinuteQuota => (45011, "api minute-quota reach limit mustslower retry next minute"),
            ErrCode::DataFormatError => (47001, "data format error"),
            ErrCode::ApiUnauthorized => (48001, "api unauthorized"),
            ErrCode::InvalidSigMethod => (87008, "invalid sig_method"),
            ErrCode::InvalidSignature => (87009, "invalid signature"),
            ErrCode::ClearQuotaLimit => (48006, "forbid to clear quota because of reaching the limit"),
            // As a live answer shows it (`rid not found, please check rid: …`); the table in the docs says only
            // `rid not found`.
            ErrCode::RidNotFound => (76001, "rid not found, please check"),
            ErrCode::RidIsError => (76002, "rid is error"),
            ErrCode::RidNoPermission => (76003, "could not query this rid,no permission"),
            ErrCode::CgiPathNotFound => (76021, "cgi_path not found, please check"),
            ErrCode::CgiPathNoPermission => (76022, "could not use this cgi_path,no permission"),
        }
    }

    pub const fn code(self) -> i32 {
        self.info().0
    }

    pub const fn message(self) -> &'static str {
        self.info().1
    }

    /// The catalog entry for a numeric errcode, if yundong knows it.
    pub fn from_code(code: i32) -> Option<ErrCode> {
        ErrCode::ALL.into_iter().find(|e| e.code() == code)
    }
}

/// How an API family writes the `rid` after the errmsg text: `/sns/*` as `invalid code, rid: …`, every other family
/// (`/cgi-bin/*`, `/wxa/*`, `/hardware/*`, `/device/*`) as `invalid appid rid: …`, with no comma.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Sns,
    Other,
}

impl Family {
    /// The family of a request path.
    pub fn of(path: &str) -> Family {
        if path.starts_with("/sns/") {
            Family::Sns
        } else {
            Family::Other
        }
    }

    /// `text` followed by this family's rid suffix.
    pub fn errmsg(self, text: &str, rid: &str) -> String {
        let sep = match self {
            Family::Sns => ", rid: ",
            Family::Other => " rid: ",
        };
        let mut errmsg = String::with_capacity(text.len() + sep.len() + rid.len());
        errmsg.push_str(text);
        errmsg.push_str(sep);
        errmsg.push_str(rid);
        errmsg
    }
}

/// A WeChat error body. `errmsg` carries WeChat's text only, then the family's `rid` suffix: yundong's own details
/// of a failure go to the log and the request journal, never into errmsg (clients string-match it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub errcode: i32,
    pub errmsg: String,
}

impl ErrorBody {
    /// The body for `code` with `rid`, as `family` writes it.
    pub fn new(code: ErrCode, family: Family, rid: &str) -> Self {
        ErrorBody {
            errcode: code.code(),
            errmsg: family.errmsg(code.message(), rid),
        }
    }
}

/// `{"errcode":0,"errmsg":"ok"}`, the success body of the `wxa/*` calls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OkBody {
    pub errcode: i32,
    pub errmsg: String,
}

impl Default for OkBody {
    fn default() -> Self {
        OkBody {
            errcode: 0,
            errmsg: "ok".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn catalog_codes_are_unique_and_round_trip() {
        let mut seen = HashSet::new();
        for e in ErrCode::ALL {
            assert!(seen.insert(e.code()), "duplicate code {}", e.code());
            assert_eq!(ErrCode::from_code(e.code()), Some(e));
            assert!(!e.message().is_empty());
        }
        assert_eq!(ErrCode::from_code(12345), None);
    }

    #[test]
    fn error_body_has_the_familys_rid_suffix() {
        let b = ErrorBody::new(
            ErrCode::InvalidCode,
            Family::of("/sns/jscode2session"),
            "0123abcd-4567ef01-89abcdef",
        );
        assert_eq!(b.errcode, 40029);
        assert_eq!(b.errmsg, "invalid code, rid: 0123abcd-4567ef01-89abcdef");
        let b = ErrorBody::new(ErrCode::InvalidAppid, Family::of("/cgi-bin/token"), "r");
        assert_eq!(b.errmsg, "invalid appid rid: r");
        for path in ["/wxa/checksession", "/hardware/bracelet/setstep", "/device/x", "/snsx"] {
            assert_eq!(Family::of(path), Family::Other, "{path}");
        }
    }

    #[test]
    fn texts_clients_match_on_are_exact() {
        // EasyWeChat's retry looks for this substring with 42001; code that string-matches 40163 looks for this one.
        assert!(ErrCode::AccessTokenExpired.message().contains("access_token expired"));
        assert!(ErrCode::CodeBeenUsed.message().contains("code been used"));
    }
}
