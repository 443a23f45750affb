//! Temp files: uploading an image as `wx.chooseImage` leaves one, and fetching it for display.

use super::{UPLOAD_BODY_LIMIT, authed, store};
use crate::error::ClientError;
use crate::extract::UserAuth;
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use yundong_core::quotas;
use yundong_core::share::{self, MAX_UNUSED_TEMP_FILES, TEMP_FILE_TTL};
use yundong_proto::client::{ErrMsg, ok};
use yundong_proto::reason::Reason;
use yundong_proto::share::{ImageKind, MAX_IMAGE_BYTES, TEMP_FILE_SCHEME, UploadFileResponse, is_temp_file_name};
use yundong_store::NewTempFile;

/// Upload an image, as `wx.chooseImage` leaves one in the app's temp files: the body is the raw PNG or JPEG
/// (`Content-Type: image/png` or `image/jpeg`, which must match the file's magic bytes), at most 128 KB.
///
/// The answer's `tempFilePath` (`wxfile://tmp_….png|jpg`) belongs to the uploader. An unused temp file lives
/// 2 hours; one a card shows lives as long as the card. A user holds at most 50 unused temp files at once.
#[utoipa::path(
    post, path = "/client/v1/files", tag = "client", security(("user" = [])),
    request_body(description = "The image's bytes", content(("image/png"), ("image/jpeg"))),
    responses(
        (status = 200, description = "`uploadFile:ok`", body = UploadFileResponse),
        (status = 400, description = "empty body", body = ErrMsg),
        (status = 401, body = ErrMsg),
        (status = 413, description = "over 128 KB", body = ErrMsg),
        (status = 415, description = "not a PNG or JPEG, or Content-Type does not match the bytes", body = ErrMsg),
        (status = 429, description = "too many unused temp files, or over the day's image bytes", body = ErrMsg),
    )
)]
pub async fn upload_file(
    State(state): State<AppState>,
    auth: Result<UserAuth, ClientError>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<UploadFileResponse>, ClientError> {
    const API: &str = "uploadFile";
    let UserAuth(user) = authed(API, auth)?;
    let declared = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(ImageKind::from_content_type)
        .ok_or_else(|| {
            ClientError::status(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                API,
                "invalid Content-Type: must be image/png or image/jpeg",
            )
        })?;
    let too_large = |what: String| {
        ClientError::status(
            StatusCode::PAYLOAD_TOO_LARGE,
            API,
            format!("file too large: {what}, at most {MAX_IMAGE_BYTES} bytes (128 KB)"),
        )
    };
    let bytes = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large(format!("more than {UPLOAD_BODY_LIMIT} bytes"))
        } else {
            ClientError::status(StatusCode::BAD_REQUEST, API, "request body unreadable")
        }
    })?;
    if bytes.is_empty() {
        return Err(ClientError::status(
            StatusCode::BAD_REQUEST,
            API,
            Reason::EmptyFile.text(),
        ));
    }
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(too_large(format!("{} bytes", bytes.len())));
    }
    let actual = ImageKind::sniff(&bytes).ok_or_else(|| {
        ClientError::status(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            API,
            "not a PNG or JPEG image (by its magic bytes)",
        )
    })?;
    if actual != declared {
        return Err(ClientError::status(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            API,
            format!(
                "Content-Type {} does not match the file, which is {}",
                declared.mime(),
                actual.mime()
            ),
        ));
    }
    let now = state.now();
    let name = share::temp_file_name(actual);
    let expires_at = now + TEMP_FILE_TTL;
    let file = NewTempFile {
        name: &name,
        owner_id: user.id,
        mime: actual.mime(),
        data: &bytes,
        created_at: now,
        expires_at,
    };
    if !state
        .store
        .put_temp_file(
            &file,
            MAX_UNUSED_TEMP_FILES,
            &quotas::image_bytes(&state.config, user.id, now, bytes.len() as i64),
        )
        .await
        .map_err(store(API))?
    {
        return Err(ClientError::status(
            StatusCode::TOO_MANY_REQUESTS,
            API,
            format!(
                "too many temp files: at most {MAX_UNUSED_TEMP_FILES} unused ones at a time, each lives {TEMP_FILE_TTL} s"
            ),
        ));
    }
    Ok(Json(UploadFileResponse {
        err_msg: ok(API),
        temp_file_path: share::temp_file_path(&name),
        size: bytes.len() as i64,
        expires_at,
    }))
}

/// Fetch an image for display: its owner while it lives, or any member of a conversation with a card showing it.
/// Anyone else, an expired file and an unknown name all get the same 404.
#[utoipa::path(
    get, path = "/client/v1/files/{name}", tag = "client", security(("user" = [])),
    params(("name" = String, Path, description = "The temp file name, `tmp_<32 hex>.png|jpg` (a `wxfile://` prefix is accepted)")),
    responses(
        (status = 200, description = "The image", content(("image/png"), ("image/jpeg"))),
        (status = 401, body = ErrMsg),
        (status = 404, description = "`downloadFile:fail file not found`", body = ErrMsg),
    )
)]
pub async fn download_file(
    State(state): State<AppState>,
    auth: Result<UserAuth, ClientError>,
    name: Result<Path<String>, PathRejection>,
) -> Result<Response, ClientError> {
    const API: &str = "downloadFile";
    let UserAuth(user) = authed(API, auth)?;
    let not_found = || ClientError::status(StatusCode::NOT_FOUND, API, Reason::FileNotFound.text());
    let Ok(Path(name)) = name else {
        return Err(not_found());
    };
    let name = name.strip_prefix(TEMP_FILE_SCHEME).unwrap_or(&name);
    if !is_temp_file_name(name) {
        return Err(not_found());
    }
    let (mime, data) = state
        .store
        .temp_file_for(name, user.id, state.now())
        .await
        .map_err(store(API))?
        .ok_or_else(not_found)?;
    let content_type = ImageKind::from_mime(&mime).map_or("application/octet-stream", ImageKind::mime);
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "private, max-age=86400, immutable"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        data,
    )
        .into_response())
}
