//! The pluggable HTTP layer: [`HttpTransport`] sends one [`HttpRequest`]; [`ReqwestTransport`] is the default.
//!
//! The [`crate::Client`] builds every URL from its `base_url` and a relative path, so a transport never sees a host
//! it was not configured with, and a custom transport (a proxy, a recorder, a test double) sees every request.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::error::{TransportError, TransportErrorKind};

/// A boxed, sendable future: what the object-safe traits of this crate return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The two methods the WeChat API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

/// Query parameters whose values are secrets: shown as `***` by `Debug`.
const SECRET_PARAMS: [&str; 4] = ["secret", "access_token", "js_code", "signature"];

/// One request. `url` is the configured base URL plus the call's path; the query is kept apart so that a
/// transport can encode it (see [`HttpRequest::url_with_query`]).
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: Method,
    pub url: String,
    pub query: Vec<(&'static str, String)>,
    /// A JSON body (sent with `Content-Type: application/json`), for POST calls.
    pub json_body: Option<Vec<u8>>,
}

impl std::fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let query: Vec<(&str, &str)> = self
            .query
            .iter()
            .map(|(k, v)| {
                if SECRET_PARAMS.contains(k) {
                    (*k, "***")
                } else {
                    (*k, v.as_str())
                }
            })
            .collect();
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("query", &query)
            .field(
                "json_body",
                &self.json_body.as_ref().map(|b| format!("<{} bytes>", b.len())),
            )
            .finish()
    }
}

impl HttpRequest {
    /// The value of a query parameter.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| *k == name).map(|(_, v)| v.as_str())
    }

    /// `url?k=v&…` with each key and value percent-encoded (RFC 3986 unreserved characters kept).
    pub fn url_with_query(&self) -> String {
        let mut url = self.url.clone();
        for (i, (k, v)) in self.query.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            percent_encode_into(&mut url, k);
            url.push('=');
            percent_encode_into(&mut url, v);
        }
        url
    }
}

fn percent_encode_into(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
}

/// One answer: the status and the raw body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub body: Vec<u8>,
}

/// Sends requests. Implement it to route the SDK through your own HTTP stack, a proxy or a recorder.
///
/// ```
/// use yundong_sdk::http::{BoxFuture, HttpRequest, HttpResponse, HttpTransport};
/// use yundong_sdk::TransportError;
///
/// /// Answers every request with an errcode, without any network.
/// struct Busy;
///
/// impl HttpTransport for Busy {
///     fn send(&self, _request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
///         Box::pin(async {
///             Ok(HttpResponse { status: 200, body: br#"{"errcode":45009,"errmsg":"quota"}"#.to_vec() })
///         })
///     }
/// }
/// ```
pub trait HttpTransport: Send + Sync + 'static {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>>;
}

/// The default transport: a `reqwest::Client` (rustls, connection pooling), 10 s timeout per request.
#[derive(Debug, Clone)]
pub struct ReqwestTransport {
    client: reqwest::Client,
}

impl ReqwestTransport {
    /// The default timeout of one request.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

    /// A transport with its own connection pool and [`ReqwestTransport::DEFAULT_TIMEOUT`].
    pub fn new() -> Result<Self, TransportError> {
        Self::with_timeout(Self::DEFAULT_TIMEOUT)
    }

    /// A transport with its own connection pool and the given per-request timeout.
    pub fn with_timeout(timeout: Duration) -> Result<Self, TransportError> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .build()
            .map_err(|e| {
                TransportError::new(TransportErrorKind::Request, "cannot build the HTTP client").with_source(e)
            })?;
        Ok(ReqwestTransport { client })
    }

    /// Use an existing `reqwest::Client` (its proxy, pool and timeouts).
    pub fn with_client(client: reqwest::Client) -> Self {
        ReqwestTransport { client }
    }
}

fn classify(e: reqwest::Error) -> TransportError {
    let kind = if e.is_timeout() {
        TransportErrorKind::Timeout
    } else if e.is_connect() {
        TransportErrorKind::Connect
    } else if e.is_builder() {
        TransportErrorKind::Request
    } else {
        TransportErrorKind::Other
    };
    // reqwest's Display includes the URL, whose query may hold secrets; strip it.
    let e = e.without_url();
    TransportError::new(kind, e.to_string()).with_source(e)
}

impl HttpTransport for ReqwestTransport {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse, TransportError>> {
        Box::pin(async move {
            let mut builder = match request.method {
                Method::Get => self.client.get(&request.url),
                Method::Post => self.client.post(&request.url),
            };
            builder = builder.query(&request.query);
            if let Some(body) = request.json_body {
                builder = builder
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body);
            }
            let response = builder.send().await.map_err(classify)?;
            let status = response.status().as_u16();
            let body = response.bytes().await.map_err(classify)?;
            Ok(HttpResponse {
                status,
                body: body.to_vec(),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_masks_secrets() {
        let r = HttpRequest {
            method: Method::Get,
            url: "http://127.0.0.1:1/sns/jscode2session".into(),
            query: vec![
                ("appid", "wx0123".into()),
                ("secret", "SECRET-VALUE".into()),
                ("js_code", "CODE-VALUE".into()),
                ("access_token", "TOKEN-VALUE".into()),
                ("signature", "SIGNATURE-VALUE".into()),
            ],
            json_body: Some(b"{}".to_vec()),
        };
        let text = format!("{r:?}");
        assert!(text.contains("wx0123"));
        for secret in ["SECRET-VALUE", "CODE-VALUE", "TOKEN-VALUE", "SIGNATURE-VALUE"] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
    }

    #[test]
    fn url_with_query_encodes() {
        let r = HttpRequest {
            method: Method::Get,
            url: "http://h/p".into(),
            query: vec![("a", "x y+/=".into()), ("b", "ü".into())],
            json_body: None,
        };
        assert_eq!(r.url_with_query(), "http://h/p?a=x%20y%2B%2F%3D&b=%C3%BC");
        assert_eq!(r.query_param("a"), Some("x y+/="));
        assert_eq!(r.query_param("c"), None);
    }
}
