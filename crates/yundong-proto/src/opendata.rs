//! Decrypting and checking open data as a mini-program back end should: exact PKCS#7, then the watermark's appid
//! (on by default) and, on request, its age. Errors say which check failed.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::crypto::{self, DecryptError};

/// What to check after decryption.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Checks {
    /// The appid the watermark must carry; `None` skips the check (not recommended).
    pub appid: Option<String>,
    /// The oldest acceptable watermark, in seconds before `now`.
    pub max_age: Option<i64>,
    /// The current Unix time, for `max_age`.
    pub now: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenDataError {
    #[error(transparent)]
    Decrypt(#[from] DecryptError),
    #[error("the data has no watermark {{\"appid\", \"timestamp\"}}")]
    MissingWatermark,
    #[error("watermark.appid is {found:?}, expected {expected:?}: this data was produced for another mini program")]
    AppIdMismatch { expected: String, found: String },
    #[error("the watermark is {age} s old, more than the {max_age} s allowed: fetch the data again")]
    TooOld { age: i64, max_age: i64 },
}

/// Decrypt and check, returning the JSON value.
pub fn open_value(session_key: &str, iv: &str, encrypted_data: &str, checks: &Checks) -> Result<Value, OpenDataError> {
    let plain = crypto::decrypt(session_key, iv, encrypted_data)?;
    let value: Value = serde_json::from_slice(&plain).map_err(|e| DecryptError::BadJson(e.to_string()))?;
    check_watermark(&value, checks)?;
    Ok(value)
}

/// Decrypt, check, and parse into `T` (for example [`crate::werun::WeRunData`]).
pub fn open<T: DeserializeOwned>(
    session_key: &str,
    iv: &str,
    encrypted_data: &str,
    checks: &Checks,
) -> Result<T, OpenDataError> {
    let value = open_value(session_key, iv, encrypted_data, checks)?;
    serde_json::from_value(value).map_err(|e| OpenDataError::Decrypt(DecryptError::BadJson(e.to_string())))
}

/// Check a decrypted payload's watermark against `checks`.
pub fn check_watermark(value: &Value, checks: &Checks) -> Result<(), OpenDataError> {
    let wm = value.get("watermark").ok_or(OpenDataError::MissingWatermark)?;
    let appid = wm
        .get("appid")
        .and_then(Value::as_str)
        .ok_or(OpenDataError::MissingWatermark)?;
    let timestamp = wm
        .get("timestamp")
        .and_then(Value::as_i64)
        .ok_or(OpenDataError::MissingWatermark)?;
    if let Some(expected) = &checks.appid
        && !crypto::ct_eq(expected.as_bytes(), appid.as_bytes())
    {
        return Err(OpenDataError::AppIdMismatch {
            expected: expected.clone(),
            found: appid.to_owned(),
        });
    }
    if let Some(max_age) = checks.max_age {
        let age = checks.now.saturating_sub(timestamp);
        if age > max_age {
            return Err(OpenDataError::TooOld { age, max_age });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::werun::WeRunData;
    use proptest::prelude::*;

    const KEY: [u8; 16] = *b"0123456789abcdef";
    const IV: [u8; 16] = *b"fedcba9876543210";

    fn sealed(json: &str) -> (String, String, String) {
        (
            crypto::encode_b64(&KEY),
            crypto::encode_b64(&IV),
            crypto::encrypt(&KEY, &IV, json.as_bytes()),
        )
    }

    #[test]
    fn werun_payload_opens_and_checks() {
        let json = r#"{"stepInfoList":[{"timestamp":1571673600,"step":9103}],"watermark":{"timestamp":1574338655,"appid":"wx0123456789abcdef"}}"#;
        let (k, iv, d) = sealed(json);
        let ok = Checks {
            appid: Some("wx0123456789abcdef".into()),
            max_age: Some(60),
            now: 1574338700,
        };
        let data: WeRunData = open(&k, &iv, &d, &ok).unwrap();
        assert_eq!(data.step_info_list[0].step, 9103);
        let other = Checks {
            appid: Some("wx1111111111111111".into()),
            ..ok.clone()
        };
        assert!(matches!(
            open::<WeRunData>(&k, &iv, &d, &other),
            Err(OpenDataError::AppIdMismatch { .. })
        ));
        let late = Checks {
            now: 1574338655 + 61,
            ..ok
        };
        assert_eq!(
            open::<WeRunData>(&k, &iv, &d, &late),
            Err(OpenDataError::TooOld { age: 61, max_age: 60 })
        );
    }

    fn checks() -> impl Strategy<Value = Checks> {
        (
            proptest::option::of(prop_oneof!["wx[0-9a-f]{16}", ".{0,20}"]),
            proptest::option::of(any::<i64>()),
            any::<i64>(),
        )
            .prop_map(|(appid, max_age, now)| Checks { appid, max_age, now })
    }

    proptest! {
        /// Any three strings and any checks: an error or a value, never a panic.
        #[test]
        fn open_value_never_panics(key in ".{0,40}", iv in ".{0,40}", data in ".{0,200}", checks in checks()) {
            let _ = open_value(&key, &iv, &data, &checks);
        }

        /// Sealed plaintexts of every shape (not JSON, JSON without a watermark, watermarks with wrong types, extreme
        /// timestamps): `open_value` agrees with the rules written out again here.
        #[test]
        fn open_value_applies_exactly_the_watermark_rules(
            body in prop_oneof![
                Just(String::from("not json")),
                Just(String::from("[]")),
                Just(String::from(r#"{"stepInfoList":[]}"#)),
                (prop_oneof!["wx[0-9a-f]{16}", Just(String::from("wx0123456789abcdef"))], any::<i64>())
                    .prop_map(|(a, t)| format!(r#"{{"watermark":{{"appid":"{a}","timestamp":{t}}}}}"#)),
                any::<i64>().prop_map(|t| format!(r#"{{"watermark":{{"appid":7,"timestamp":{t}}}}}"#)),
                Just(String::from(r#"{"watermark":{"appid":"wx0123456789abcdef","timestamp":1.5}}"#)),
                Just(String::from(r#"{"watermark":{"appid":"wx0123456789abcdef","timestamp":18446744073709551615}}"#)),
            ],
            checks in checks(),
        ) {
            let (k, iv, d) = sealed(&body);
            let got = open_value(&k, &iv, &d, &checks);
            let expected = match serde_json::from_str::<Value>(&body) {
                Err(_) => Err("json"),
                Ok(v) => {
                    let wm = &v["watermark"];
                    match (wm["appid"].as_str(), wm["timestamp"].as_i64()) {
                        (Some(appid), Some(ts)) => {
                            if checks.appid.as_deref().is_some_and(|want| want != appid) {
                                Err("appid")
                            } else if checks.max_age.is_some_and(|max| checks.now.saturating_sub(ts) > max) {
                                Err("age")
                            } else {
                                Ok(v.clone())
                            }
                        }
                        _ => Err("watermark"),
                    }
                }
            };
            let kind = got.map_err(|e| match e {
                OpenDataError::Decrypt(DecryptError::BadJson(_)) => "json",
                OpenDataError::AppIdMismatch { .. } => "appid",
                OpenDataError::TooOld { .. } => "age",
                OpenDataError::MissingWatermark => "watermark",
                OpenDataError::Decrypt(_) => "decrypt",
            });
            prop_assert_eq!(kind, expected);
        }
    }

    #[test]
    fn missing_watermark_and_bad_json_are_named() {
        let (k, iv, d) = sealed(r#"{"stepInfoList":[]}"#);
        assert_eq!(
            open_value(&k, &iv, &d, &Checks::default()),
            Err(OpenDataError::MissingWatermark)
        );
        let (k, iv, d) = sealed("not json");
        assert!(matches!(
            open_value(&k, &iv, &d, &Checks::default()),
            Err(OpenDataError::Decrypt(DecryptError::BadJson(_)))
        ));
    }
}
