//! Reading an answer: WeChat's errcode envelope (on HTTP 200, usually), then the call's own shape.

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::{ApiCode, Error, Result};
use crate::http::HttpResponse;

/// The errcode part of any answer. `errcode` is a number on WeChat; a string is tolerated.
#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    errcode: Option<Errcode>,
    #[serde(default)]
    errmsg: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Errcode {
    Number(i64),
    Text(String),
}

impl Errcode {
    fn value(&self) -> Option<i64> {
        match self {
            Errcode::Number(n) => Some(*n),
            Errcode::Text(t) => t.trim().parse().ok(),
        }
    }
}

/// Classify an answer: a non-zero errcode is [`Error::Api`] whatever the status; else a non-200 status is
/// [`Error::HttpStatus`]; else the body must parse as `T`.
pub(crate) fn parse_response<T: DeserializeOwned>(path: &'static str, response: &HttpResponse) -> Result<T> {
    // Only a JSON object is an envelope (serde would also read a struct from an array).
    let is_object = response
        .body
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'{');
    let envelope = if is_object {
        serde_json::from_slice::<Envelope>(&response.body).map_err(|e| e.to_string())
    } else {
        Err("the body is not a JSON object".to_owned())
    };
    if let Ok(env) = &envelope
        && let Some(errcode) = &env.errcode
    {
        let code = errcode.value().ok_or_else(|| Error::Decode {
            path,
            message: "errcode is not a number".into(),
        })?;
        if code != 0 {
            let code = i32::try_from(code).unwrap_or(if code < 0 { i32::MIN } else { i32::MAX });
            return Err(Error::Api {
                code: ApiCode::from_code(code),
                errmsg: env.errmsg.clone().unwrap_or_default(),
            });
        }
    }
    if response.status != 200 {
        let text = String::from_utf8_lossy(&response.body);
        return Err(Error::HttpStatus {
            path,
            status: response.status,
            body: text.chars().take(200).collect(),
        });
    }
    if let Err(message) = envelope {
        return Err(Error::Decode { path, message });
    }
    serde_json::from_slice(&response.body).map_err(|e| Error::Decode {
        path,
        message: e.to_string(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use yundong_proto::ErrCode;

    fn resp(status: u16, body: &str) -> HttpResponse {
        HttpResponse {
            status,
            body: body.as_bytes().to_vec(),
        }
    }

    #[derive(Debug, Deserialize)]
    struct Openid {
        openid: String,
    }

    #[test]
    fn errcode_bodies_become_typed_errors() {
        let e = parse_response::<Openid>("/p", &resp(200, r#"{"errcode":40029,"errmsg":"invalid code, rid: x"}"#))
            .unwrap_err();
        assert!(e.is(ErrCode::InvalidCode));
        assert!(matches!(&e, Error::Api { errmsg, .. } if errmsg == "invalid code, rid: x"));
        let e =
            parse_response::<Openid>("/p", &resp(200, r#"{"errcode":"40163","errmsg":"code been used"}"#)).unwrap_err();
        assert!(e.is(ErrCode::CodeBeenUsed));
        let e = parse_response::<Openid>("/p", &resp(200, r#"{"errcode":61004}"#)).unwrap_err();
        assert_eq!(e.api_code(), Some(ApiCode::Unknown(61004)));
        let e = parse_response::<Openid>("/p", &resp(200, r#"{"errcode":99999999999}"#)).unwrap_err();
        assert_eq!(e.errcode(), Some(i32::MAX));
        let e = parse_response::<Openid>("/p", &resp(500, r#"{"errcode":-1,"errmsg":"system error"}"#)).unwrap_err();
        assert!(e.is_system_error());
        let e = parse_response::<Openid>("/p", &resp(200, r#"{"errcode":"x"}"#)).unwrap_err();
        assert!(matches!(e, Error::Decode { .. }));
    }

    #[test]
    fn success_with_or_without_errcode_zero() {
        let ok = parse_response::<Openid>("/p", &resp(200, r#"{"openid":"o1"}"#)).unwrap();
        assert_eq!(ok.openid, "o1");
        let ok = parse_response::<Openid>("/p", &resp(200, r#"{"errcode":0,"errmsg":"ok","openid":"o2"}"#)).unwrap();
        assert_eq!(ok.openid, "o2");
    }

    #[test]
    fn garbage_and_statuses() {
        let e = parse_response::<Openid>("/p", &resp(502, "<html>bad gateway</html>")).unwrap_err();
        assert!(matches!(e, Error::HttpStatus { status: 502, .. }));
        let e = parse_response::<Openid>("/p", &resp(200, "<html>")).unwrap_err();
        assert!(matches!(e, Error::Decode { .. }));
        let e = parse_response::<Openid>("/p", &resp(200, "{}")).unwrap_err();
        assert!(matches!(e, Error::Decode { .. }));
        let e = parse_response::<Openid>("/p", &resp(200, "[1]")).unwrap_err();
        assert!(matches!(e, Error::Decode { .. }));
        let long = "x".repeat(10_000);
        let e = parse_response::<Openid>("/p", &resp(503, &long)).unwrap_err();
        assert!(matches!(e, Error::HttpStatus { body, .. } if body.len() == 200));
    }
}
