//! The OpenAPI document (`/openapi.json`, Swagger UI at `/docs/`). WeChat answers success and failure alike with
//! HTTP 200, so each WeChat operation's 200 is "its success body or an errcode body"; a client-API call answers a
//! `wx.*` outcome with HTTP 200 whether it is `<api>:ok` or `<api>:fail <reason>`. [`finish`] writes both down.

use serde::Serialize;
use utoipa::openapi::schema::AnyOfBuilder;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ContentBuilder, RefOr, ResponseBuilder, Schema};
use utoipa::{Modify, OpenApi, ToSchema};
use yundong_proto::errcode::{ErrorBody, OkBody};
use yundong_proto::wechat::{
    AccessTokenResponse, Code2SessionResponse, GetOpenDataResponse, QuotaResponse, ResetSessionKeyResponse, RidResponse,
};

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

#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum QuotaAnswer {
    Ok(QuotaResponse),
    Err(ErrorBody),
}

#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum RidAnswer {
    Ok(RidResponse),
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

/// The schema name of the client API's `{"errMsg"}` body.
const ERR_MSG: &str = "ErrMsg";

/// Make the assembled document (paths included) tell the truth about answers whose failures share the success
/// status, so that a client validating responses against it accepts every answer the server gives:
///
/// - WeChat API: each `*Answer` is "the success body or an errcode body". An errcode body `{errcode, errmsg}` is also
///   a valid `OkBody` (and a `getopendata` success carries `errcode: 0`), so the alternatives are `anyOf`: `oneOf`
///   would demand that exactly one matches.
/// - Client API: every JSON 200 answer is its success body or `{"errMsg": "<api>:fail <reason>"}` (docs/API.md §2),
///   so it is written as `anyOf` the two.
/// - Admin API: every operation answers 429 to an address that sent too many wrong admin tokens (`admin_auth`).
/// - Client and admin APIs: an operation that reads a request body answers 413 in its surface's error format when
///   the body is over the server's limit (64 KiB by default), whether or not its own annotation says so.
pub fn finish(doc: &mut utoipa::openapi::OpenApi) {
    if let Some(components) = doc.components.as_mut() {
        for (name, schema) in &mut components.schemas {
            if let RefOr::T(Schema::OneOf(one)) = schema
                && name.ends_with("Answer")
            {
                let any = one
                    .items
                    .drain(..)
                    .fold(AnyOfBuilder::new(), AnyOfBuilder::item)
                    .description(one.description.take());
                *schema = RefOr::T(Schema::AnyOf(any.build()));
            }
        }
    }
    let err_msg = RefOr::Ref(utoipa::openapi::Ref::from_schema_name(ERR_MSG));
    for item in doc.paths.paths.values_mut() {
        let ops = [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ];
        for op in ops.into_iter().flatten() {
            let tagged = |tag: &str| op.tags.iter().flatten().any(|t| t == tag);
            let error_body = if tagged("client") {
                ERR_MSG
            } else if tagged("admin") {
                "AdminError"
            } else {
                continue;
            };
            if op.request_body.is_some() && !op.responses.responses.contains_key("413") {
                let content = ContentBuilder::new()
                    .schema(Some(utoipa::openapi::Ref::from_schema_name(error_body)))
                    .build();
                let too_large = ResponseBuilder::new()
                    .description("The request body is over the server's limit (64 KiB by default)")
                    .content("application/json", content)
                    .build();
                op.responses.responses.insert("413".to_owned(), RefOr::T(too_large));
            }
            if error_body == "AdminError" && !op.responses.responses.contains_key("429") {
                let content = ContentBuilder::new()
                    .schema(Some(utoipa::openapi::Ref::from_schema_name(error_body)))
                    .build();
                let locked = ResponseBuilder::new()
                    .description("Too many wrong admin tokens from this client address within a minute")
                    .content("application/json", content)
                    .build();
                op.responses.responses.insert("429".to_owned(), RefOr::T(locked));
            }
            if error_body != ERR_MSG {
                continue;
            }
            let Some(RefOr::T(ok)) = op.responses.responses.get_mut("200") else {
                continue;
            };
            let Some(RefOr::T(json)) = ok.content.get_mut("application/json") else {
                continue;
            };
            match json.schema.take() {
                Some(RefOr::Ref(r)) if !r.ref_location.ends_with(&format!("/{ERR_MSG}")) => {
                    let any = AnyOfBuilder::new().item(RefOr::Ref(r)).item(err_msg.clone());
                    json.schema = Some(RefOr::T(Schema::AnyOf(any.build())));
                }
                other => json.schema = other,
            }
        }
    }
}
