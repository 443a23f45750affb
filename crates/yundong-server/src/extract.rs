//! Extractors whose rejections speak each surface's wire format, never axum's plain-text 400/413/422.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use yundong_proto::crypto;
use yundong_proto::errcode::ErrCode;
use yundong_store::UserRow;

use crate::error::{ApiError, ClientError, WxError};
use crate::secrets;
use crate::state::AppState;

/// Parameters of a WeChat-API call, from the query string and, when there is one, a JSON object body. WeChat
/// clients put credentials in the query and sometimes the rest in the body (spec §3.5), so both are read; the query
/// wins when a name is in both. Unknown names are ignored (wechatpy sends `access_token` to jscode2session).
#[derive(Debug, Default)]
pub struct WxParams {
    query: HashMap<String, String>,
    body: Map<String, Value>,
}

impl WxParams {
    /// A parameter as text; numbers and booleans in a JSON body count too. Empty means absent.
    pub fn get(&self, name: &str) -> Option<String> {
        if let Some(v) = self.query.get(name).filter(|v| !v.is_empty()) {
            return Some(v.clone());
        }
        match self.body.get(name)? {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// A required parameter, or `missing`.
    pub fn require(&self, name: &str, missing: ErrCode) -> Result<String, WxError> {
        self.get(name).ok_or_else(|| WxError::new(missing))
    }

    /// A raw body field.
    pub fn body(&self, name: &str) -> Option<&Value> {
        self.body.get(name)
    }

    pub fn has_body(&self) -> bool {
        !self.body.is_empty()
    }
}

impl<S: Send + Sync> FromRequest<S> for WxParams {
    type Rejection = WxError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let query = match Query::<Vec<(String, String)>>::try_from_uri(req.uri()) {
            Ok(Query(pairs)) => {
                let mut map = HashMap::new();
                for (k, v) in pairs {
                    map.entry(k).or_insert(v);
                }
                map
            }
            Err(_) => {
                return Err(WxError::with(ErrCode::DataFormatError, "malformed query string"));
            }
        };
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| WxError::with(ErrCode::DataFormatError, "request body too large or unreadable"))?;
        let body = if bytes.iter().all(u8::is_ascii_whitespace) {
            Map::new()
        } else {
            match serde_json::from_slice::<Value>(&bytes) {
                Ok(Value::Object(map)) => map,
                Ok(_) => {
                    return Err(WxError::with(ErrCode::DataFormatError, "body must be a JSON object"));
                }
                Err(_) => {
                    return Err(WxError::with(ErrCode::DataFormatError, "body is not valid JSON"));
                }
            }
        };
        Ok(WxParams { query, body })
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

/// The signed-in platform user, from `Authorization: Bearer <user token>`.
pub struct UserAuth(pub UserRow);

impl FromRequestParts<AppState> for UserAuth {
    type Rejection = ClientError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let api = api_name(parts.uri.path());
        let token = bearer(parts).ok_or_else(|| {
            ClientError::status(
                StatusCode::UNAUTHORIZED,
                &api,
                "unauthorized: send Authorization: Bearer <user token>",
            )
        })?;
        // Looked up by hash, so the comparison happens on a digest the caller cannot steer byte by byte.
        match state.store.user_by_token_hash(&secrets::hash(token)).await {
            Ok(Some(user)) => Ok(UserAuth(user)),
            Ok(None) => Err(ClientError::status(
                StatusCode::UNAUTHORIZED,
                &api,
                "unauthorized: unknown user token",
            )),
            Err(e) => Err(ClientError::store(&api, e)),
        }
    }
}

/// The signed-in user's id only, for hot paths that need nothing else of the user: resolved through
/// [`AppState::user_id_for_token`]'s cache, so usually without a database read.
pub struct UserId(pub i64);

impl FromRequestParts<AppState> for UserId {
    type Rejection = ClientError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let api = api_name(parts.uri.path());
        let token = bearer(parts).ok_or_else(|| {
            ClientError::status(
                StatusCode::UNAUTHORIZED,
                &api,
                "unauthorized: send Authorization: Bearer <user token>",
            )
        })?;
        match state.user_id_for_token(token).await {
            Ok(Some(id)) => Ok(UserId(id)),
            Ok(None) => Err(ClientError::status(
                StatusCode::UNAUTHORIZED,
                &api,
                "unauthorized: unknown user token",
            )),
            Err(e) => Err(ClientError::store(&api, e)),
        }
    }
}

/// The admin, from `Authorization: Bearer <admin token>`.
pub struct AdminAuth;

impl FromRequestParts<AppState> for AdminAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = bearer(parts).ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "send Authorization: Bearer <admin token>",
            )
        })?;
        if crypto::ct_eq(secrets::hash(token).as_bytes(), state.admin_token_hash.as_bytes()) {
            Ok(AdminAuth)
        } else {
            Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "wrong admin token",
            ))
        }
    }
}
