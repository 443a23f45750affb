//! The SDK's errors: what WeChat (or yundong) answered, what the transport did, and what decryption found.

use yundong_proto::ErrCode;
pub use yundong_proto::crypto::{DecryptError, Field};
pub use yundong_proto::opendata::OpenDataError;

/// An `errcode` as the server sent it: a code of the catalog ([`ErrCode`]), or one the catalog does not know, kept
/// as a number (WeChat has hundreds beyond the catalog).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiCode {
    /// A code of yundong's catalog.
    Known(ErrCode),
    /// Any other code, unchanged.
    Unknown(i32),
}

/// `40014 invalid access_token`: WeChat sends it for a malformed or foreign token.
pub const INVALID_ACCESS_TOKEN: i32 = 40014;

impl ApiCode {
    /// Classify a numeric errcode.
    pub fn from_code(code: i32) -> ApiCode {
        ErrCode::from_code(code).map_or(ApiCode::Unknown(code), ApiCode::Known)
    }

    /// The number on the wire.
    pub fn code(self) -> i32 {
        match self {
            ApiCode::Known(e) => e.code(),
            ApiCode::Unknown(c) => c,
        }
    }

    /// The catalog entry, if any.
    pub fn known(self) -> Option<ErrCode> {
        match self {
            ApiCode::Known(e) => Some(e),
            ApiCode::Unknown(_) => None,
        }
    }
}

impl From<ErrCode> for ApiCode {
    fn from(e: ErrCode) -> Self {
        ApiCode::Known(e)
    }
}

impl PartialEq<ErrCode> for ApiCode {
    fn eq(&self, other: &ErrCode) -> bool {
        *self == ApiCode::Known(*other)
    }
}

impl std::fmt::Display for ApiCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.code())
    }
}

/// What went wrong below the API: the request did not get an answer.
#[derive(Debug, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct TransportError {
    kind: TransportErrorKind,
    message: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

/// The broad cause of a [`TransportError`]; decides whether a retry may help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// Could not connect (refused, DNS, TLS handshake).
    Connect,
    /// No answer in time.
    Timeout,
    /// The request could not be built (bad URL, bad header).
    Request,
    /// Anything else (connection reset while reading, …).
    Other,
}

impl std::fmt::Display for TransportErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TransportErrorKind::Connect => "connect error",
            TransportErrorKind::Timeout => "timeout",
            TransportErrorKind::Request => "invalid request",
            TransportErrorKind::Other => "transport error",
        })
    }
}

impl TransportError {
    pub fn new(kind: TransportErrorKind, message: impl Into<String>) -> Self {
        TransportError {
            kind,
            message: message.into(),
            source: None,
        }
    }

    /// Keep the underlying error as the [`std::error::Error::source`].
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    pub fn kind(&self) -> TransportErrorKind {
        self.kind
    }
}

/// A failure of a [`crate::TokenStore`].
#[derive(Debug, thiserror::Error)]
#[error("token store: {message}")]
pub struct TokenStoreError {
    message: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl TokenStoreError {
    pub fn new(message: impl Into<String>) -> Self {
        TokenStoreError {
            message: message.into(),
            source: None,
        }
    }

    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }
}

/// Every error of the SDK.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server answered with a non-zero `errcode`. Match on `code` (see [`ApiCode`]); `errmsg` is as sent,
    /// including WeChat's rid suffix (`, rid: …` on `/sns/*`, ` rid: …` elsewhere), which support staff ask for.
    #[error("errcode {code}: {errmsg}")]
    Api { code: ApiCode, errmsg: String },
    /// The request got no answer.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The server answered with an HTTP status other than 200 and no errcode body (a proxy in between, usually).
    #[error("HTTP status {status} from {path}: {body}")]
    HttpStatus {
        path: &'static str,
        status: u16,
        /// The start of the body, for diagnosis.
        body: String,
    },
    /// The answer was not the JSON this call expects.
    #[error("unexpected answer from {path}: {message}")]
    Decode { path: &'static str, message: String },
    /// Open data could not be decrypted or failed a check; the variant says which input or check.
    #[error(transparent)]
    OpenData(#[from] OpenDataError),
    /// A cloudID of a `getopendata` call came back with an error instead of data (expired after 5 minutes:
    /// -601006; unknown or another app's: -601007 on yundong).
    #[error("cloudID {cloud_id}: errCode {err_code}: {err_msg}")]
    CloudId {
        cloud_id: String,
        err_code: i64,
        err_msg: String,
    },
    /// Decryption failed and `checksession` confirms that the session_key is no longer the user's current one (a
    /// later `wx.login` replaced it, or it expired): the mini program must `wx.login` again and fetch the data anew.
    #[error(
        "the session_key is stale (checksession: invalid signature), so the data cannot be decrypted with it: {source}"
    )]
    StaleSessionKey {
        #[source]
        source: OpenDataError,
    },
    /// The token store failed.
    #[error(transparent)]
    TokenStore(#[from] TokenStoreError),
    /// The client was configured wrongly.
    #[error("invalid configuration: {0}")]
    Config(String),
}

impl From<DecryptError> for Error {
    fn from(e: DecryptError) -> Self {
        Error::OpenData(OpenDataError::Decrypt(e))
    }
}

impl Error {
    /// The server's errcode, if this is an [`Error::Api`].
    pub fn api_code(&self) -> Option<ApiCode> {
        match self {
            Error::Api { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// The numeric errcode, if this is an [`Error::Api`].
    pub fn errcode(&self) -> Option<i32> {
        self.api_code().map(ApiCode::code)
    }

    /// Whether this is `errcode == code`.
    pub fn is(&self, code: ErrCode) -> bool {
        self.api_code() == Some(ApiCode::Known(code))
    }

    /// 45009 (daily quota) or 45011 (minute quota, or stable-token force refreshes less than 30 s apart). The SDK
    /// never retries these: wait, then try again.
    pub fn is_rate_limited(&self) -> bool {
        self.is(ErrCode::DailyQuota) || self.is(ErrCode::MinuteQuota)
    }

    /// 40001, 40014 or 42001: the access token was refused. The SDK already refreshed and retried once.
    pub fn is_token_rejected(&self) -> bool {
        is_token_rejection(self.errcode())
    }

    /// 87009: the signature (so the session_key) is not the user's current one: ask the mini program to `wx.login`
    /// again.
    pub fn is_invalid_signature(&self) -> bool {
        self.is(ErrCode::InvalidSignature)
    }

    /// -1 system error: WeChat was busy (already retried with backoff by the SDK).
    pub fn is_system_error(&self) -> bool {
        self.is(ErrCode::SystemError)
    }

    /// A PKCS#7 failure: with a well-formed payload this nearly always means a stale session_key (a later
    /// `wx.login` replaced it) or an iv from another call.
    pub fn is_bad_padding(&self) -> bool {
        matches!(self, Error::OpenData(OpenDataError::Decrypt(DecryptError::BadPadding)))
    }
}

pub(crate) fn is_token_rejection(code: Option<i32>) -> bool {
    matches!(code, Some(40001 | INVALID_ACCESS_TOKEN | 42001))
}

/// `Result` with the SDK's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalog_code_maps_to_its_variant_and_back() {
        for e in ErrCode::ALL {
            let code = ApiCode::from_code(e.code());
            assert_eq!(code, ApiCode::Known(e));
            assert_eq!(code, e);
            assert_eq!(code.code(), e.code());
            assert_eq!(code.known(), Some(e));
        }
    }

    #[test]
    fn unknown_codes_are_kept() {
        for c in [40014, 40164, 40226, 61004, 0, i32::MIN, i32::MAX] {
            if ErrCode::from_code(c).is_none() {
                assert_eq!(ApiCode::from_code(c), ApiCode::Unknown(c));
                assert_eq!(ApiCode::from_code(c).code(), c);
                assert_eq!(ApiCode::from_code(c).known(), None);
            }
        }
    }

    #[test]
    fn classification_helpers() {
        let api = |c: i32| Error::Api {
            code: ApiCode::from_code(c),
            errmsg: String::new(),
        };
        assert!(api(45009).is_rate_limited());
        assert!(api(45011).is_rate_limited());
        assert!(!api(-1).is_rate_limited());
        assert!(api(-1).is_system_error());
        assert!(api(40001).is_token_rejected());
        assert!(api(40014).is_token_rejected());
        assert!(api(42001).is_token_rejected());
        assert!(!api(40029).is_token_rejected());
        assert!(api(87009).is_invalid_signature());
        assert!(api(40029).is(ErrCode::InvalidCode));
        assert_eq!(api(40163).errcode(), Some(40163));
        assert_eq!(Error::Config("x".into()).errcode(), None);
        assert!(Error::from(DecryptError::BadPadding).is_bad_padding());
        let text = api(40029).to_string();
        assert_eq!(text, "errcode 40029: ");
    }
}
