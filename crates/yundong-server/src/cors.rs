//! Cross-origin access for pages served from elsewhere (`serve --cors-origin ORIGIN`): an H5 build of a mini program
//! on a dev server (Vite, Taro's H5 target, uni-app) that loads `/ui/wx.js` (or the npm package's copy of it) and calls
//! the client API with a user's bearer token.
//!
//! Only the client API (`/client/v1/…`) and the `wx` object's two files (`/ui/wx.js`, `/ui/wx.css`) are opened to the
//! listed origins. The admin API, the WeChat-compatible API and the pages stay same-origin: they never carry CORS
//! headers, and a preflight to them is not answered as allowed (it reaches the router, which refuses `OPTIONS`).
//! Without `--cors-origin` this layer is not installed at all.
//!
//! For a listed origin: a preflight (`OPTIONS` with `Access-Control-Request-Method`) is answered 204 with the
//! methods the client API uses (GET, POST), the request headers it reads (Authorization, Content-Type) and a
//! max-age; other answers get `Access-Control-Allow-Origin` with the request's origin echoed (never `*`, so the
//! answer is always for that one origin), and `/ui/wx.js`/`/ui/wx.css` get `Cross-Origin-Resource-Policy:
//! cross-origin` so a page may load them as scripts and stylesheets. Credentials (cookies) are never allowed: the
//! client API authenticates with a bearer token, which wx.js sends with `credentials: 'omit'`. Every answer on these
//! paths says `Vary: Origin`, since it depends on the origin.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// How long a browser may cache a preflight's answer, in seconds (Chromium caps this at 2 hours).
pub const MAX_AGE: &str = "600";
/// The methods the client API uses.
pub const ALLOW_METHODS: &str = "GET, POST";
/// The request headers the client API reads beyond the CORS-safelisted ones.
pub const ALLOW_HEADERS: &str = "Authorization, Content-Type";

/// Which origins may make cross-origin calls.
#[derive(Debug, Clone)]
pub struct Cors {
    any: bool,
    origins: Vec<String>,
}

/// Why an `--cors-origin` value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OriginError {
    #[error(
        "--cors-origin '*' lets every web page call the client API with a user's token; it is allowed only together \
         with --dev-clock or --test-mode (list the origins instead, e.g. --cors-origin http://localhost:5173)"
    )]
    AnyOutsideTests,
    #[error(
        "--cors-origin {0:?} is not an origin: give scheme, host and port as a browser sends them, e.g. \
         http://localhost:5173 or https://h5.example.com (no path, no trailing slash)"
    )]
    Malformed(String),
}

/// Check and normalize `--cors-origin` values: each is `*` or a serialized origin (`http`/`https`, a host, an optional
/// port, nothing after). Scheme and host are lowercased as browsers send them; a trailing `/` is dropped. `*` is
/// refused unless `shared_clock` (the server runs with `--dev-clock` or `--test-mode`).
pub fn check_origins(values: &[String], shared_clock: bool) -> Result<Vec<String>, OriginError> {
    let mut out: Vec<String> = Vec::new();
    for value in values {
        let value = value.trim();
        let origin = if value == "*" {
            if !shared_clock {
                return Err(OriginError::AnyOutsideTests);
            }
            "*".to_owned()
        } else {
            normalize(value).ok_or_else(|| OriginError::Malformed(value.to_owned()))?
        };
        if !out.contains(&origin) {
            out.push(origin);
        }
    }
    Ok(out)
}

fn normalize(value: &str) -> Option<String> {
    let value = value.strip_suffix('/').unwrap_or(value);
    let (scheme, rest) = value.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']');
    if rest.is_empty() || !rest.chars().all(ok) {
        return None;
    }
    let (host, port) = if rest.starts_with('[') {
        // An IPv6 literal: `[::1]` or `[::1]:8080`.
        let close = rest.find(']')?;
        let (host, after) = rest.split_at(close + 1);
        match after {
            "" => (host, None),
            _ => (host, Some(after.strip_prefix(':')?)),
        }
    } else {
        match rest.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        }
    };
    if host.is_empty() || host == "[]" || (!host.starts_with('[') && host.contains([']', '['])) {
        return None;
    }
    if host.starts_with('[') && host[1..host.len() - 1].contains(['[', ']']) {
        return None;
    }
    if let Some(p) = port
        && (p.is_empty() || p.parse::<u16>().is_err())
    {
        return None;
    }
    Some(format!(
        "{scheme}://{}{}",
        host.to_ascii_lowercase(),
        port.map(|p| format!(":{p}")).unwrap_or_default()
    ))
}

impl Cors {
    /// The policy of `origins` (already checked by [`check_origins`]); `None` when there are none (same origin only).
    pub fn new(origins: &[String]) -> Option<Arc<Cors>> {
        if origins.is_empty() {
            return None;
        }
        Some(Arc::new(Cors {
            any: origins.iter().any(|o| o == "*"),
            origins: origins.iter().filter(|o| *o != "*").cloned().collect(),
        }))
    }

    /// The `Origin` header to echo back, if it is allowed.
    fn allowed(&self, headers: &HeaderMap) -> Option<HeaderValue> {
        let origin = headers.get(header::ORIGIN)?;
        let text = origin.to_str().ok()?;
        (self.any || self.origins.iter().any(|o| o == text)).then(|| origin.clone())
    }
}

/// The paths opened to other origins: the client API and the files of the `wx` object.
pub fn is_cors_path(path: &str) -> bool {
    path.starts_with("/client/v1/") || path == "/ui/wx.js" || path == "/ui/wx.css"
}

const CORP: HeaderName = HeaderName::from_static("cross-origin-resource-policy");

/// The middleware: see the module's documentation.
pub async fn layer(State(cors): State<Arc<Cors>>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if !is_cors_path(path) {
        return next.run(req).await;
    }
    let asset = path.starts_with("/ui/");
    let origin = cors.allowed(req.headers());
    let preflight =
        req.method() == Method::OPTIONS && req.headers().contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if preflight && let Some(origin) = origin {
        let mut res = StatusCode::NO_CONTENT.into_response();
        let h = res.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(ALLOW_METHODS),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static(ALLOW_HEADERS),
        );
        h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static(MAX_AGE));
        h.insert(
            header::VARY,
            HeaderValue::from_static("Origin, Access-Control-Request-Method, Access-Control-Request-Headers"),
        );
        return res;
    }
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.append(header::VARY, HeaderValue::from_static("Origin"));
    if let Some(origin) = origin {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        h.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("X-Request-Id"),
        );
    }
    if asset {
        // Any page may embed the wx object's files once cross-origin use is on; reading the script's text through
        // fetch/module loading still needs a listed origin (the CORS headers above).
        h.insert(CORP, HeaderValue::from_static("cross-origin"));
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(v: &[&str], shared: bool) -> Result<Vec<String>, OriginError> {
        check_origins(&v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>(), shared)
    }

    #[test]
    fn origins_are_normalized_as_browsers_send_them() {
        assert_eq!(
            check(
                &["HTTP://LocalHost:5173/", "https://h5.example.com", "http://[::1]:8080"],
                false
            )
            .unwrap(),
            ["http://localhost:5173", "https://h5.example.com", "http://[::1]:8080"]
        );
        assert_eq!(
            check(&["http://a.test", "http://a.test/"], false).unwrap(),
            ["http://a.test"]
        );
    }

    #[test]
    fn malformed_origins_are_refused() {
        for bad in [
            "localhost:5173",
            "ftp://a.test",
            "http://a.test/path",
            "http://",
            "http://a.test:",
            "http://a.test:99999",
            "http://user@a.test",
            "http://a.test?x",
            "http://::1",
            "null",
            "",
        ] {
            assert!(
                matches!(check(&[bad], true), Err(OriginError::Malformed(_))),
                "{bad:?} accepted"
            );
        }
    }

    #[test]
    fn any_origin_only_with_the_shared_clock() {
        assert_eq!(check(&["*"], false), Err(OriginError::AnyOutsideTests));
        assert_eq!(check(&["*"], true).unwrap(), ["*"]);
    }
}
