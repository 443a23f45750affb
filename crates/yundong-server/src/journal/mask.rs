//! Masking secrets before a call is journaled: what `rid/get` and the admin journal show never holds a secret.

use serde_json::Value;

/// What a masked value reads as.
pub const MASK: &str = "***";

/// The longest text kept of a query, body or response; longer text is cut (at a character boundary) and marked.
pub const MAX_TEXT: usize = 8 * 1024;

/// Whether a parameter or field of this name carries a secret: AppSecrets, login codes, access tokens (of any
/// kind), signatures, session keys, and encrypted open data (the client API's `encryptedData`).
pub fn is_secret(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    matches!(name.as_str(), "js_code" | "code" | "signature" | "sig")
        || name.contains("secret")
        || name.contains("access_token")
        || name.contains("session_key")
        || name == "encrypteddata"
}

/// `text`, cut to [`MAX_TEXT`] bytes (at a character boundary) and marked when longer.
pub fn cut(mut text: String) -> String {
    if text.len() > MAX_TEXT {
        let mut end = MAX_TEXT;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push_str("…(cut)");
    }
    text
}

/// A query string (or form body) with the value of every secret parameter replaced by [`MASK`]; other pairs are
/// kept as sent.
pub fn query(raw: &str) -> String {
    let masked: Vec<String> = raw
        .split('&')
        .map(|pair| {
            let (name, _) = pair.split_once('=').unwrap_or((pair, ""));
            let decoded = percent_decode(name);
            if is_secret(&decoded) {
                format!("{name}={MASK}")
            } else {
                pair.to_owned()
            }
        })
        .collect();
    cut(masked.join("&"))
}

pub(crate) fn percent_decode(text: &str) -> String {
    fn hex(b: u8) -> Option<u8> {
        (b as char).to_digit(16).map(|d| d as u8)
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A JSON value with every secret field (at any depth) replaced by [`MASK`].
pub fn json(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if is_secret(k) && !v.is_null() {
                    *v = Value::String(MASK.to_owned());
                } else {
                    json(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(json),
        _ => {}
    }
}

/// A request or response body as it is journaled: empty stays empty; JSON with its secrets masked; a form body
/// (`k=v&…`, printable) with its secret pairs masked; anything else only as its size, since nothing in it can be
/// told apart from a secret.
pub fn body(bytes: &[u8]) -> String {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return String::new();
    }
    if let Ok(mut value) = serde_json::from_slice::<Value>(bytes) {
        json(&mut value);
        return cut(value.to_string());
    }
    if let Ok(text) = std::str::from_utf8(bytes)
        && text.contains('=')
        && text.bytes().all(|b| b.is_ascii_graphic())
    {
        return query(text);
    }
    format!("<{} bytes, neither JSON nor a form>", bytes.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn secrets_are_masked_everywhere_they_can_be() {
        assert_eq!(
            query("appid=wx1&secret=s3cr3t&js_code=c0de&grant_type=authorization_code"),
            "appid=wx1&secret=***&js_code=***&grant_type=authorization_code"
        );
        assert_eq!(query("access%5Ftoken=t0k&openid=o"), "access%5Ftoken=***&openid=o");
        assert_eq!(
            body(br#"{"appid":"wx1","secret":"s3cr3t","nested":[{"session_key":"k3y"}]}"#),
            r#"{"appid":"wx1","nested":[{"session_key":"***"}],"secret":"***"}"#
        );
        assert_eq!(body(b"appid=wx1&appsecret=s3cr3t"), "appid=wx1&appsecret=***");
        assert_eq!(body(b"\x00\xffsecret s3cr3t"), "<15 bytes, neither JSON nor a form>");
        assert_eq!(body(b"  \n"), "");
    }

    proptest! {
        /// Whatever the secret's value and wherever it is sent, the journaled text does not contain it.
        #[test]
        fn a_secret_value_never_survives(secret in "[A-Za-z0-9_]{12,40}", name in prop_oneof![
            Just("secret"), Just("appsecret"), Just("js_code"), Just("access_token"), Just("signature"),
            Just("session_key"),
        ]) {
            let q = format!("appid=wx1&{name}={secret}&x=1");
            prop_assert!(!query(&q).contains(&secret));
            prop_assert!(!body(q.as_bytes()).contains(&secret));
            let j = serde_json::json!({"a": {name: secret.clone()}, "b": [{name: secret.clone()}]}).to_string();
            prop_assert!(!body(j.as_bytes()).contains(&secret));
        }

        /// Any bytes: a string, never a panic; never longer than the cap and its marker.
        #[test]
        fn any_input_is_journaled_safely(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let b = body(&bytes);
            prop_assert!(b.len() <= MAX_TEXT + 16);
            let q = query(&String::from_utf8_lossy(&bytes));
            prop_assert!(q.len() <= MAX_TEXT + 16);
        }
    }
}
