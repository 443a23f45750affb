//! The OpenAPI document (`/openapi.json`, Swagger UI at `/docs/`). WeChat answers success and failure alike with
//! HTTP 200, so each WeChat operation's 200 is "its success body or an errcode body".

use serde::Serialize;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use yundong_proto::errcode::{ErrorBody, OkBody};
use yundong_proto::wechat::{AccessTokenResponse, Code2SessionResponse, GetOpenDataResponse, ResetSessionKeyResponse};

#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum Code2SessionAnswer {
    Ok(Code2SessionResponse),
    Err(ErrorBody),
}

#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum TokenAnswer {
    Ok(AccessTokenResponse),
    Err(ErrorBody),
}

#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum OkAnswer {
    Ok(OkBody),
    Err(ErrorBody),
}

#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum ResetAnswer {
    Ok(ResetSessionKeyResponse),
    Err(ErrorBody),
}

#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum OpenDataAnswer {
    Ok(GetOpenDataResponse),
    Err(ErrorBody),
}

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("user", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
        components.add_security_scheme("admin", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "yundong",
        description = "WeRun (微信运动) re-implemented, wire-compatible with WeChat. Three APIs: the WeChat-compatible \
                       server API (errors are HTTP 200 with errcode), the client API (what the WeChat app does for a \
                       user; every answer has errMsg), and the admin API."
    ),
    modifiers(&Security),
    tags(
        (name = "wechat", description = "WeChat-compatible server API: point a mini-program back end or SDK here"),
        (name = "client", description = "What the WeChat app does on behalf of a signed-in user (bearer user token)"),
        (name = "admin", description = "Apps, users, friendships, the dev clock (bearer admin token)"),
        (name = "health", description = "Liveness"),
    )
)]
pub struct ApiDoc;
