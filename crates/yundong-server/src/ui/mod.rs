//! The web pages (docs/DESIGN.md §3.4): sign-in, 排行榜 ranking, 详情页 detail, the mini-program simulator, and `/ui/wx.js`,
//! a `wx`-compatible object that maps `wx.*` calls onto the client API.
//!
//! Every page is a static file embedded in the binary; all user data is fetched in the browser from the client API
//! with the signed-in user's bearer token (kept in `sessionStorage`), so a page can show only what the API lets
//! that user see. Responses carry a strict Content-Security-Policy (same origin only: no CDN, no inline script or
//! style), `nosniff`, no framing and no referrer.

mod assets;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

pub use assets::Asset;

/// What pages may load: only this origin. `blob:`/`data:` images are for thumbnails fetched with the bearer token.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// The UI routes: `/` and `/ui` (redirects), `/ui/` (sign-in) and `/ui/{page or asset}`. Stateless: merge into any
/// router.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        // A person opening the server's address in a browser lands on the pages (temporary: `/` may mean more later).
        .route("/", get(|| async { Redirect::temporary("/ui/") }))
        .route("/ui", get(|| async { Redirect::permanent("/ui/") }))
        .route("/ui/", get(|headers: HeaderMap| async move { serve("", &headers) }))
        .route(
            "/ui/{*path}",
            get(|Path(path): Path<String>, headers: HeaderMap| async move { serve(&path, &headers) }),
        )
}

/// What Swagger UI at `/docs/` may load: its own files from this origin; it sets inline styles and draws icons from
/// `data:` URLs, so those two are allowed, and nothing else beyond the UI pages' policy.
pub const DOCS_CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self' data:; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// `/docs/` (Swagger UI) with its own Content-Security-Policy and the same frame, sniffing and referrer protection as
/// the pages.
pub fn docs_headers<S: Clone + Send + Sync + 'static>(docs: Router<S>) -> Router<S> {
    use tower_http::set_header::SetResponseHeaderLayer;
    let header = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value))
    };
    docs.layer(header(header::CONTENT_SECURITY_POLICY, DOCS_CONTENT_SECURITY_POLICY))
        .layer(header(header::X_FRAME_OPTIONS, "DENY"))
        .layer(header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header(header::REFERRER_POLICY, "no-referrer"))
}

fn security_headers(headers: &mut HeaderMap) {
    let set = |h: &mut HeaderMap, name: HeaderName, value: &'static str| {
        h.insert(name, HeaderValue::from_static(value));
    };
    set(headers, header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY);
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(headers, header::REFERRER_POLICY, "no-referrer");
    set(
        headers,
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    set(
        headers,
        HeaderName::from_static("cross-origin-resource-policy"),
        "same-origin",
    );
    set(
        headers,
        HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    );
    // Revalidate every time: a new binary must never run with an old wx.js.
    set(headers, header::CACHE_CONTROL, "no-cache");
}

fn serve(path: &str, request: &HeaderMap) -> Response {
    let Some(asset) = Asset::find(path) else {
        let mut res = (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            assets::NOT_FOUND,
        )
            .into_response();
        security_headers(res.headers_mut());
        return res;
    };
    let etag = asset.etag();
    let fresh = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut res = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, asset.content_type)], asset.body).into_response()
    };
    let headers = res.headers_mut();
    security_headers(headers);
    if let Ok(v) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, v);
    }
    res
}

#[cfg(test)]
mod tests {
    use axum::body::{Body, to_bytes};
    use axum::http::Request;
    use tower::ServiceExt;

    use super::*;

    async fn get(path: &str, headers: &[(&str, &str)]) -> Response {
        let mut req = Request::get(path);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        routes::<()>()
            .oneshot(req.body(Body::empty()).expect("request"))
            .await
            .expect("response")
    }

    async fn text(res: Response) -> String {
        let bytes = to_bytes(res.into_body(), 1 << 20).await.expect("body");
        String::from_utf8(bytes.to_vec()).expect("utf-8")
    }

    #[tokio::test]
    async fn pages_and_assets_are_served_with_security_headers() {
        for (path, ty) in [
            ("/ui/", "text/html; charset=utf-8"),
            ("/ui/ranking", "text/html; charset=utf-8"),
            ("/ui/detail", "text/html; charset=utf-8"),
            ("/ui/simulator", "text/html; charset=utf-8"),
            ("/ui/settings", "text/html; charset=utf-8"),
            ("/ui/wx.js", "text/javascript; charset=utf-8"),
            ("/ui/style.css", "text/css; charset=utf-8"),
        ] {
            let res = get(path, &[]).await;
            assert_eq!(res.status(), StatusCode::OK, "{path}");
            let h = res.headers();
            assert_eq!(h[header::CONTENT_TYPE], ty, "{path}");
            assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
            assert_eq!(h[header::X_FRAME_OPTIONS], "DENY");
            let csp = h[header::CONTENT_SECURITY_POLICY].to_str().expect("csp");
            assert!(csp.contains("script-src 'self';"), "{csp}");
            assert!(!csp.contains("http"), "no external origin: {csp}");
            assert!(!csp.contains("unsafe"), "{csp}");
        }
    }

    #[tokio::test]
    async fn pages_load_nothing_from_other_origins_and_no_inline_script() {
        for asset in Asset::ALL {
            let Ok(body) = std::str::from_utf8(asset.body) else {
                continue;
            };
            for needle in ["http://", "https://", "//cdn", "@import", "javascript:"] {
                // wx.js names the W3C SVG namespace; that is an identifier, not a request.
                let hits = body
                    .match_indices(needle)
                    .filter(|(i, _)| !body[*i..].starts_with("http://www.w3.org/2000/svg"))
                    .count();
                assert_eq!(hits, 0, "{} mentions {needle}", asset.name);
            }
            if asset.content_type.starts_with("text/html") {
                assert!(!body.contains("<script>"), "{}: inline script", asset.name);
                assert!(!body.contains("style=\""), "{}: inline style", asset.name);
                for handler in ["onclick=", "onload=", "onerror=", "onsubmit=", "oninput=", "onchange="] {
                    assert!(!body.contains(handler), "{}: inline {handler}", asset.name);
                }
            }
        }
    }

    #[tokio::test]
    async fn unknown_paths_are_404_pages_and_ui_redirects() {
        let res = get("/ui/nope", &[]).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        assert!(res.headers().contains_key(header::CONTENT_SECURITY_POLICY));
        assert!(text(res).await.contains("404"));
        let res = get("/ui/../Cargo.toml", &[]).await;
        assert_ne!(res.status(), StatusCode::OK);
        let res = get("/ui", &[]).await;
        assert_eq!(res.status(), StatusCode::PERMANENT_REDIRECT);
        assert_eq!(res.headers()[header::LOCATION], "/ui/");
        let res = get("/", &[]).await;
        assert_eq!(res.status(), StatusCode::TEMPORARY_REDIRECT);
        assert_eq!(res.headers()[header::LOCATION], "/ui/");
    }

    #[tokio::test]
    async fn etag_revalidation() {
        let res = get("/ui/wx.js", &[]).await;
        let etag = res.headers()[header::ETAG].to_str().expect("etag").to_owned();
        let res = get("/ui/wx.js", &[("if-none-match", &etag)]).await;
        assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
        assert!(text(res).await.is_empty());
    }
}
