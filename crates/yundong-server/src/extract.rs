//! Extractors whose rejections speak each surface's wire format, never axum's plain-text 400/413/422.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, Uri};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use yundong_proto::crypto;
use yundong_proto::errcode::ErrCode;
use yundong_store::UserRow;

use crate::error::{ApiError, ClientError, WxError};
use crate::state::{AdminToken, AppState};
use yundong_core::secrets;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use axum::extract::ConnectInfo;

/// The app a WeChat-API call named or was resolved to, noted by the handler for the request journal. The journal
/// layer puts an empty note into every WeChat request; [`WxParams`] carries it to the code that learns the app.
#[derive(Debug, Clone, Default)]
pub struct AppNote(pub std::sync::Arc<std::sync::Mutex<Option<String>>>);

impl AppNote {
    pub fn set(&self, appid: &str) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(appid.to_owned());
        }
    }

    pub fn get(&self) -> Option<String> {
        self.0.lock().ok().and_then(|slot| slot.clone())
    }
}

/// Parameters of a WeChat-API call, each read from where WeChat reads it: the query string always; a JSON object
/// body only for the POST APIs whose documentation puts parameters there (extracted as [`WxPost`]). A GET-style
/// API (`/sns/jscode2session`, `/cgi-bin/token`, `/wxa/checksession`, …) extracts plain `WxParams`, which never
/// reads the body: parameters sent only in a body are missing, and a body of any shape is ignored. Unknown names
/// are ignored (wechatpy sends `access_token` to jscode2session).
#[derive(Debug, Default)]
pub struct WxParams {
    query: HashMap<String, String>,
    body: Map<String, Value>,
    note: AppNote,
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

impl WxParams {
    /// A query-string parameter. Empty means absent.
    pub fn get(&self, name: &str) -> Option<String> {
        self.query.get(name).filter(|v| !v.is_empty()).cloned()
    }

    /// A required query-string parameter, or `missing`.
    pub fn require(&self, name: &str, missing: ErrCode) -> Result<String, WxError> {
        self.get(name).ok_or_else(|| WxError::new(missing))
    }

    /// A body field as text; numbers and booleans count too. Empty strings, nulls, arrays and objects are absent.
    pub fn body_text(&self, name: &str) -> Option<String> {
        self.body.get(name).and_then(scalar_text)
    }

    /// A required body field, or `missing`.
    pub fn body_require(&self, name: &str, missing: ErrCode) -> Result<String, WxError> {
        self.body_text(name).ok_or_else(|| WxError::new(missing))
    }

    /// A raw body field.
    pub fn body(&self, name: &str) -> Option<&Value> {
        self.body.get(name)
    }

    pub fn has_body(&self) -> bool {
        !self.body.is_empty()
    }

    /// Note the app this call is for, for the request journal (and so for `rid/get`'s permission check).
    pub fn note_app(&self, appid: &str) {
        self.note.set(appid);
    }

    /// The parameters of a call to `uri` with `body`: the query string's pairs (the first of a repeated name wins)
    /// and, unless the body is empty or blank, its JSON object (47001 when it is not one). Pure, so that it can be
    /// tested on any input; [`WxPost`] does the same in two steps around reading the body.
    pub fn parse(uri: &Uri, body: &[u8]) -> Result<WxParams, WxError> {
        let query = Self::parse_query(uri)?;
        Self::with_body(query, body)
    }

    fn parse_query(uri: &Uri) -> Result<HashMap<String, String>, WxError> {
        match Query::<Vec<(String, String)>>::try_from_uri(uri) {
            Ok(Query(pairs)) => {
                let mut map = HashMap::new();
                for (k, v) in pairs {
                    map.entry(k).or_insert(v);
                }
                Ok(map)
            }
            Err(_) => Err(WxError::with(ErrCode::DataFormatError, "malformed query string")),
        }
    }

    fn with_body(query: HashMap<String, String>, body: &[u8]) -> Result<WxParams, WxError> {
        let body = if body.iter().all(u8::is_ascii_whitespace) {
            Map::new()
        } else {
            match serde_json::from_slice::<Value>(body) {
                Ok(Value::Object(map)) => map,
                Ok(_) => {
                    return Err(WxError::with(ErrCode::DataFormatError, "body must be a JSON object"));
                }
                Err(_) => {
                    return Err(WxError::with(ErrCode::DataFormatError, "body is not valid JSON"));
                }
            }
        };
        Ok(WxParams {
            query,
            body,
            note: AppNote::default(),
        })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for WxParams {
    type Rejection = WxError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = WxParams::parse_query(&parts.uri)?;
        Ok(WxParams {
            query,
            body: Map::new(),
            note: parts.extensions.get::<AppNote>().cloned().unwrap_or_default(),
        })
    }
}

/// Marks a request whose body was over the limit when the journal layer read it (the body is then passed on empty).
#[derive(Debug, Clone, Copy)]
pub struct BodyTooLarge;

/// The parameters of a WeChat POST API: the query string (where `access_token` always is) and the JSON object body
/// (where WeChat's documentation puts the rest).
pub struct WxPost(pub WxParams);

impl<S: Send + Sync> FromRequest<S> for WxPost {
    type Rejection = WxError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let query = WxParams::parse_query(req.uri())?;
        let note = req.extensions().get::<AppNote>().cloned().unwrap_or_default();
        if req.extensions().get::<BodyTooLarge>().is_some() {
            return Err(WxError::with(ErrCode::DataFormatError, "request body too large"));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| WxError::with(ErrCode::DataFormatError, "request body too large or unreadable"))?;
        let mut params = WxParams::with_body(query, &bytes)?;
        params.note = note;
        Ok(WxPost(params))
    }
}

/// The client API name a path stands for: its last segment (`/client/v1/wx/getWeRunData` → `getWeRunData`).
pub fn api_name(path: &str) -> String {
    path.rsplit('/').find(|s| !s.is_empty()).unwrap_or("request").to_owned()
}

/// A client-API JSON body; a malformed one is answered `400 {"errMsg": "<api>:fail invalid request: …"}`.
pub struct ClientJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ClientJson<T> {
    type Rejection = ClientError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let api = api_name(req.uri().path());
        let bytes = Bytes::from_request(req, state).await.map_err(|_| {
            ClientError::status(
                StatusCode::PAYLOAD_TOO_LARGE,
                &api,
                "request body too large or unreadable",
            )
        })?;
        serde_json::from_slice(&bytes)
            .map(ClientJson)
            .map_err(|e| ClientError::status(StatusCode::BAD_REQUEST, &api, format!("invalid request: {e}")))
    }
}

/// An admin-API JSON body; a malformed one is answered `400 {"error": {"code": "invalid_request", …}}`.
pub struct AdminJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for AdminJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "request body too large or unreadable",
            )
        })?;
        serde_json::from_slice(&bytes)
            .map(AdminJson)
            .map_err(|e| ApiError::invalid(format!("invalid request: {e}")))
    }
}

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(axum::http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// The client API name of a request and its user bearer token, or 401.
fn user_token(parts: &Parts) -> Result<(String, &str), ClientError> {
    let api = api_name(parts.uri.path());
    match bearer(parts) {
        Some(token) => Ok((api, token)),
        None => Err(ClientError::status(
            StatusCode::UNAUTHORIZED,
            &api,
            "unauthorized: send Authorization: Bearer <user token>",
        )),
    }
}

/// The outcome of looking a user token up: the user, 401 for an unknown token, 503 when the database failed.
fn known_user<T>(api: &str, found: Result<Option<T>, yundong_store::StoreError>) -> Result<T, ClientError> {
    match found {
        Ok(Some(user)) => Ok(user),
        Ok(None) => Err(ClientError::status(
            StatusCode::UNAUTHORIZED,
            api,
            "unauthorized: unknown user token",
        )),
        Err(e) => Err(ClientError::store(api, e)),
    }
}

/// The signed-in platform user, from `Authorization: Bearer <user token>`.
pub struct UserAuth(pub UserRow);

impl FromRequestParts<AppState> for UserAuth {
    type Rejection = ClientError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let (api, token) = user_token(parts)?;
        // Looked up by hash, so the comparison happens on a digest the caller cannot steer byte by byte.
        known_user(&api, state.store.user_by_token_hash(&secrets::hash(token)).await).map(UserAuth)
    }
}

/// The signed-in user's id only, for hot paths that need nothing else of the user: resolved through
/// [`AppState::user_id_for_token`]'s cache, so usually without a database read.
pub struct SignedIn(pub yundong_store::UserId);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = ClientError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let (api, token) = user_token(parts)?;
        known_user(&api, state.user_id_for_token(token).await).map(SignedIn)
    }
}

/// The admin, from `Authorization: Bearer <admin token>`.
pub struct AdminAuth;

impl FromRequestParts<AppState> for AdminAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let addr = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
        let now = Instant::now();
        if state.admin_failures.locked(addr, now, state.config.admin_failure_burst) {
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                "too many failed admin authentications from this address; try again in a minute",
            ));
        }
        let token = bearer(parts).ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "send Authorization: Bearer <admin token>",
            )
        })?;
        let fail = |message: &'static str| {
            state.admin_failures.record(addr, now);
            ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
        };
        let in_force: Arc<str> = match &state.admin_token {
            AdminToken::Fixed(hash) => hash.clone(),
            AdminToken::Stored => match state.store.setting("admin_token_hash").await? {
                Some(hash) => hash.into(),
                None => return Err(fail("no admin token is set")),
            },
        };
        if crypto::ct_eq(secrets::hash(token).as_bytes(), in_force.as_bytes()) {
            Ok(AdminAuth)
        } else {
            Err(fail("wrong admin token"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every byte percent-encoded: what a client sends for any text.
    fn encode(text: &str) -> String {
        text.bytes().map(|b| format!("%{b:02X}")).collect()
    }

    fn uri(query: &str) -> Option<Uri> {
        format!("/sns/jscode2session?{query}").parse().ok()
    }

    fn json_leaf() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            ".{0,12}".prop_map(Value::from),
            Just(serde_json::json!([1, "a"])),
            Just(serde_json::json!({"k": "v"})),
        ]
    }

    proptest! {
        /// Any query text a URI can carry and any body bytes: parameters or a 47001, never a panic.
        #[test]
        fn parsing_never_panics(
            query in prop_oneof![
                "[a-z_=&%+0-9A-F;.~*-]{0,60}",
                proptest::collection::vec(any::<u8>(), 0..30)
                    .prop_map(|b| b.iter().map(|b| format!("%{b:02X}")).collect::<String>()),
                proptest::collection::vec(any::<u8>(), 0..30)
                    .prop_map(|b| format!("appid={}&appid=x&=&&secret", b.iter().map(|b| format!("%{b:02x}")).collect::<String>())),
            ],
            body in prop_oneof![
                proptest::collection::vec(any::<u8>(), 0..80),
                "[ \t\r\n{}\\[\\]\":,a-z0-9.eE+-]{0,60}".prop_map(String::into_bytes),
            ],
        ) {
            let uri = uri(&query);
            prop_assert!(uri.is_some(), "{}", query);
            if let Some(uri) = uri {
                match WxParams::parse(&uri, &body) {
                    Ok(params) => {
                        for name in ["appid", "secret", "js_code", "access_token"] {
                            if let Some(v) = params.get(name) {
                                prop_assert!(!v.is_empty());
                            }
                            if let Some(v) = params.body_text(name) {
                                prop_assert!(!v.is_empty());
                            }
                        }
                    }
                    Err(e) => prop_assert_eq!(e.code, ErrCode::DataFormatError),
                }
            }
        }

        /// Parameters read back from where they were sent: `get` sees the first non-empty query value of a name
        /// and never the body; `body_text` sees the body's strings, numbers and booleans (empty strings, nulls,
        /// arrays and objects count as absent) and never the query.
        #[test]
        fn query_and_body_are_separate_sources(
            query in proptest::collection::vec(("[a-z_]{1,6}", ".{0,10}"), 0..6),
            body in proptest::collection::btree_map("[a-z_]{1,6}", json_leaf(), 0..6),
        ) {
            let text: Vec<String> = query.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect();
            let uri = uri(&text.join("&")).expect("a percent-encoded query is a valid URI");
            let body_json = serde_json::to_vec(&body).expect("a map serialises");
            let params = WxParams::parse(&uri, &body_json).expect("an object body parses");
            // As JSON text means it (serde_json's float parsing may differ from the f64 written in the last digit).
            let body: Map<String, Value> = serde_json::from_slice(&body_json).expect("reparses");
            let names = query.iter().map(|(k, _)| k.clone()).chain(body.keys().cloned());
            for name in names {
                let from_query = query.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone());
                prop_assert_eq!(params.get(&name), from_query.filter(|v| !v.is_empty()), "{}", name);
                prop_assert_eq!(params.body_text(&name), body.get(&name).and_then(scalar_text), "{}", name);
            }
        }

        /// A body that is JSON but not an object is refused with 47001, whatever the query.
        #[test]
        fn non_object_bodies_are_refused(leaf in json_leaf()) {
            prop_assume!(!leaf.is_object());
            let uri = uri("appid=x").expect("valid");
            let body = serde_json::to_vec(&leaf).expect("serialises");
            let got = WxParams::parse(&uri, &body).map(|_| ()).map_err(|e| e.code);
            prop_assert_eq!(got, Err(ErrCode::DataFormatError));
        }
    }

    #[test]
    fn blank_body_means_no_body_and_stray_percent_is_literal() {
        let uri = uri("appid=%zz&appid=second&secret=").expect("valid");
        let params = WxParams::parse(&uri, b" \r\n\t").expect("blank body");
        assert_eq!(params.get("appid").as_deref(), Some("%zz"));
        assert_eq!(params.get("secret"), None);
        assert!(!params.has_body());
    }
}
