//! Decrypting open data (`wx.getWeRunData`, `wx.getShareInfo`, any `encryptedData`) and checking it: exact
//! PKCS#7, the watermark's appid (on by default), its age (on request), and errors that say which input was wrong.
//!
//! This wraps [`yundong_proto::opendata`] (the same code the server's tests check against WeChat's official vector),
//! with typed results and a fast path for the WeRun and share-info payloads.
//!
//! ```
//! use yundong_proto::crypto;
//! use yundong_sdk::opendata::Decryptor;
//!
//! // What the server does: encrypt the payload under the user's session_key with a fresh iv.
//! let (key, iv) = (*b"0123456789abcdef", *b"fedcba9876543210");
//! let plain = r#"{"stepInfoList":[{"timestamp":1571673600,"step":9103}],
//!                 "watermark":{"timestamp":1571700000,"appid":"wx0123456789abcdef"}}"#;
//! let session_key = crypto::encode_b64(&key);
//! let encrypted_data = crypto::encrypt(&key, &iv, plain.as_bytes());
//! let iv = crypto::encode_b64(&iv);
//!
//! // What the mini program's back end does.
//! let decryptor = Decryptor::new("wx0123456789abcdef");
//! let data = decryptor.decrypt_werun(&session_key, &iv, &encrypted_data)?;
//! assert_eq!(data.today(), Some(9103));
//!
//! // Data produced for another app is refused, with a precise error.
//! let other = Decryptor::new("wx1111111111111111");
//! assert!(other.decrypt_werun(&session_key, &iv, &encrypted_data).is_err());
//! # Ok::<(), yundong_sdk::OpenDataError>(())
//! ```

use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::Value;
use yundong_proto::crypto::{self, DecryptError};
use yundong_proto::opendata::{self, Checks, OpenDataError};

use crate::clock::{Clock, SystemClock};
use crate::fast::{self, Base64};
use crate::werun::{DayZone, ShareInfo, Watermark, WeRunData};

/// Decrypts and checks open data for one mini program. Cheap to clone; `Send + Sync`.
#[derive(Clone)]
pub struct Decryptor {
    appid: Option<Arc<str>>,
    max_age: Option<i64>,
    zone: DayZone,
    clock: Arc<dyn Clock>,
    base64: Base64,
}

impl std::fmt::Debug for Decryptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decryptor")
            .field("appid", &self.appid)
            .field("max_age", &self.max_age)
            .field("zone", &self.zone)
            .finish_non_exhaustive()
    }
}

impl Decryptor {
    /// A decryptor that requires `watermark.appid == appid`, with no age limit, days in UTC+8.
    pub fn new(appid: impl Into<String>) -> Self {
        Decryptor {
            appid: Some(Arc::from(appid.into())),
            max_age: None,
            zone: DayZone::CHINA,
            clock: Arc::new(SystemClock),
            base64: Base64::new(),
        }
    }

    /// A decryptor that does not check the watermark's appid. Only for tools that handle several apps' data and
    /// check the appid themselves.
    pub fn without_appid_check() -> Self {
        Decryptor {
            appid: None,
            max_age: None,
            zone: DayZone::CHINA,
            clock: Arc::new(SystemClock),
            base64: Base64::new(),
        }
    }

    /// Refuse data whose watermark is older than `max_age` ([`OpenDataError::TooOld`]).
    pub fn with_max_age(mut self, max_age: Duration) -> Self {
        self.max_age = Some(i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX));
        self
    }

    /// The day zone of [`WeRunData`]'s helpers (default UTC+8).
    pub fn with_zone(mut self, zone: DayZone) -> Self {
        self.zone = zone;
        self
    }

    /// The clock of the age check.
    pub fn with_clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    pub(crate) fn with_shared_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The appid checked, if any.
    pub fn appid(&self) -> Option<&str> {
        self.appid.as_deref()
    }

    pub fn zone(&self) -> DayZone {
        self.zone
    }

    /// The checks as [`yundong_proto::opendata::Checks`].
    pub fn checks(&self) -> Checks {
        Checks {
            appid: self.appid.as_deref().map(str::to_owned),
            max_age: self.max_age,
            now: self.clock.now(),
        }
    }

    /// Check a watermark: its appid (unless disabled), then its age (if limited).
    pub fn check_watermark(&self, watermark: &Watermark) -> Result<(), OpenDataError> {
        if let Some(expected) = &self.appid
            && !crypto::ct_eq(expected.as_bytes(), watermark.appid.as_bytes())
        {
            return Err(OpenDataError::AppIdMismatch {
                expected: expected.to_string(),
                found: watermark.appid.clone(),
            });
        }
        if let Some(max_age) = self.max_age {
            let age = self.clock.now().saturating_sub(watermark.timestamp);
            if age > max_age {
                return Err(OpenDataError::TooOld { age, max_age });
            }
        }
        Ok(())
    }

    /// Decrypt `wx.getWeRunData`'s `encryptedData` with the user's `session_key` and the `iv` returned with it.
    ///
    /// The result and every error are those of [`yundong_proto::opendata::open`]; a fast path (SIMD base64, a
    /// parser for the payload's usual shape) makes it several times quicker.
    pub fn decrypt_werun(&self, session_key: &str, iv: &str, encrypted_data: &str) -> Result<WeRunData, OpenDataError> {
        let plain = self.base64.decrypt(session_key, iv, encrypted_data)?;
        let wire = match fast::parse_werun(&plain) {
            Some(wire) => {
                self.check_watermark(&wire.watermark)?;
                wire
            }
            None => self.parse_checked(&plain)?,
        };
        Ok(WeRunData::from_wire(wire, self.zone))
    }

    /// Decrypt `wx.getShareInfo`'s `encryptedData`: the group's `openGId`.
    ///
    /// ```
    /// use yundong_proto::crypto;
    /// use yundong_sdk::Decryptor;
    ///
    /// let (key, iv) = (*b"0123456789abcdef", *b"fedcba9876543210");
    /// let plain = r#"{"openGId":"tGxyz","watermark":{"timestamp":1795230000,"appid":"wx0123456789abcdef"}}"#;
    /// let data = crypto::encrypt(&key, &iv, plain.as_bytes());
    /// let info = Decryptor::new("wx0123456789abcdef")
    ///     .decrypt_share_info(&crypto::encode_b64(&key), &crypto::encode_b64(&iv), &data)?;
    /// assert_eq!(info.open_gid, "tGxyz");
    /// # Ok::<(), yundong_sdk::OpenDataError>(())
    /// ```
    pub fn decrypt_share_info(
        &self,
        session_key: &str,
        iv: &str,
        encrypted_data: &str,
    ) -> Result<ShareInfo, OpenDataError> {
        let plain = self.base64.decrypt(session_key, iv, encrypted_data)?;
        self.parse_checked(&plain)
    }

    /// Decrypt any open data into `T` after checking its watermark (the payload must have one).
    pub fn decrypt<T: DeserializeOwned>(
        &self,
        session_key: &str,
        iv: &str,
        encrypted_data: &str,
    ) -> Result<T, OpenDataError> {
        opendata::open(session_key, iv, encrypted_data, &self.checks())
    }

    /// Decrypt any open data as JSON after checking its watermark.
    pub fn decrypt_value(&self, session_key: &str, iv: &str, encrypted_data: &str) -> Result<Value, OpenDataError> {
        opendata::open_value(session_key, iv, encrypted_data, &self.checks())
    }

    /// The WeRun data of a `getopendata` entry (already decrypted by the server), watermark checked.
    pub fn werun_from_value(&self, data: Value) -> Result<WeRunData, OpenDataError> {
        opendata::check_watermark(&data, &self.checks())?;
        let wire: yundong_proto::werun::WeRunData =
            serde_json::from_value(data).map_err(|e| OpenDataError::Decrypt(DecryptError::BadJson(e.to_string())))?;
        Ok(WeRunData::from_wire(wire, self.zone))
    }

    /// The share info of a `getopendata` entry, watermark checked.
    pub fn share_info_from_value(&self, data: Value) -> Result<ShareInfo, OpenDataError> {
        opendata::check_watermark(&data, &self.checks())?;
        serde_json::from_value(data).map_err(|e| OpenDataError::Decrypt(DecryptError::BadJson(e.to_string())))
    }

    /// Parse a typed payload straight from the plaintext, then check its watermark. If the typed parse fails, do
    /// exactly what [`opendata::open`] does (JSON value, watermark, typed), so that the error is the same precise
    /// one: not JSON, no watermark, another appid, too old, or the typed parser's message.
    fn parse_checked<T: DeserializeOwned + HasWatermark>(&self, plain: &[u8]) -> Result<T, OpenDataError> {
        match serde_json::from_slice::<T>(plain) {
            Ok(value) => {
                self.check_watermark(value.watermark())?;
                Ok(value)
            }
            Err(_) => {
                let value: Value = serde_json::from_slice(plain).map_err(|e| DecryptError::BadJson(e.to_string()))?;
                opendata::check_watermark(&value, &self.checks())?;
                serde_json::from_value(value).map_err(|e| OpenDataError::Decrypt(DecryptError::BadJson(e.to_string())))
            }
        }
    }
}

trait HasWatermark {
    fn watermark(&self) -> &Watermark;
}

impl HasWatermark for yundong_proto::werun::WeRunData {
    fn watermark(&self) -> &Watermark {
        &self.watermark
    }
}

impl HasWatermark for ShareInfo {
    fn watermark(&self) -> &Watermark {
        &self.watermark
    }
}

/// Check `wx.getUserInfo`-style `rawData` against its `signature` = hex(SHA-1(rawData + session_key)), in constant
/// time. Upper- or lower-case hex is accepted.
///
/// ```
/// // WeChat's documented vector (docs/WECHAT.md §2.3).
/// let raw = r#"{"nickName":"Band","gender":1,"language":"zh_CN","city":"Guangzhou","province":"Guangdong","country":"CN","avatarUrl":"http://wx.qlogo.cn/mmopen/vi_32/1vZvI39NWFQ9XM4LtQpFrQJ1xlgZxx3w7bQxKARol6503Iuswjjn6nIGBiaycAjAtpujxyzYsrztuuICqIM5ibXQ/0"}"#;
/// assert!(yundong_sdk::verify_raw_data(raw, "HyVFkGl5F5OQWJZZaNzBBg==", "75e81ceda165f4ffa64f4068af58c64b8f54b88c"));
/// assert!(!yundong_sdk::verify_raw_data(raw, "HyVFkGl5F5OQWJZZaNzBBg==", "75e81ceda165f4ffa64f4068af58c64b8f54b88d"));
/// ```
pub fn verify_raw_data(raw_data: &str, session_key: &str, signature: &str) -> bool {
    let expected = crypto::raw_data_signature(raw_data, session_key);
    let given = signature.trim().to_ascii_lowercase();
    crypto::ct_eq(expected.as_bytes(), given.as_bytes())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use yundong_proto::werun::StepInfo;

    const APPID: &str = "wx0123456789abcdef";
    const NOW: i64 = 1_795_230_000;

    /// What the server does: `(session_key, iv, encryptedData)`.
    fn seal(key: &[u8; 16], iv: &[u8; 16], plain: &str) -> (String, String, String) {
        (
            crypto::encode_b64(key),
            crypto::encode_b64(iv),
            crypto::encrypt(key, iv, plain.as_bytes()),
        )
    }

    fn decryptor() -> Decryptor {
        Decryptor::new(APPID).with_clock(|| NOW)
    }

    fn werun_json(steps: &[StepInfo], appid: &str, timestamp: i64) -> String {
        serde_json::to_string(&yundong_proto::werun::WeRunData {
            step_info_list: steps.to_vec(),
            watermark: Watermark {
                timestamp,
                appid: appid.into(),
            },
        })
        .unwrap()
    }

    #[test]
    fn the_official_vector_decrypts_generically() {
        // docs/WECHAT.md §2.3: WeChat's own sample (user info, not WeRun); timestamp before appid in its watermark.
        let data = "CiyLU1Aw2KjvrjMdj8YKliAjtP4gsMZMQmRzooG2xrDcvSnxIMXFufNstNGTyaGS9uT5geRa0W4oTOb1WT7fJlAC+oNPdbB+3hVbJSRgv+4lGOETKUQz6OYStslQ142dNCuabNPGBzlooOmB231qMM85d2/fV6ChevvXvQP8Hkue1poOFtnEtpyxVLW1zAo6/1Xx1COxFvrc2d7UL/lmHInNlxuacJXwu0fjpXfz/YqYzBIBzD6WUfTIF9GRHpOn/Hz7saL8xz+W//FRAUid1OksQaQx4CMs8LOddcQhULW4ucetDf96JcR3g0gfRK4PC7E/r7Z6xNrXd2UIeorGj5Ef7b1pJAYB6Y5anaHqZ9J6nKEBvB4DnNLIVWSgARns/8wR2SiRS7MNACwTyrGvt9ts8p12PKFdlqYTopNHR1Vf7XjfhQlVsAJdNiKdYmYVoKlaRv85IfVunYzO0IKXsyl7JCUjCpoG20f0a04COwfneQAGGwd5oa+T8yO5hzuyDb/XcxxmK01EpqOyuxINew==";
        let d = Decryptor::new("wx4f4bc4dec97d474b");
        let v = d
            .decrypt_value("tiihtNczf5v6AKRyjwEUhQ==", "r7BXXKkLb8qrSNn05n0qiA==", data)
            .unwrap();
        assert_eq!(v["watermark"]["timestamp"], 1477314187);
        assert_eq!(v["nickName"], "Band");
        let other = Decryptor::new(APPID);
        assert!(matches!(
            other.decrypt_value("tiihtNczf5v6AKRyjwEUhQ==", "r7BXXKkLb8qrSNn05n0qiA==", data),
            Err(OpenDataError::AppIdMismatch { .. })
        ));
        let unchecked = Decryptor::without_appid_check();
        assert!(unchecked.appid().is_none());
        assert!(
            unchecked
                .decrypt_value("tiihtNczf5v6AKRyjwEUhQ==", "r7BXXKkLb8qrSNn05n0qiA==", data)
                .is_ok()
        );
    }

    #[test]
    fn errors_name_the_cause() {
        let (k, iv, d) = seal(b"0123456789abcdef", b"fedcba9876543210", &werun_json(&[], APPID, NOW));
        let dec = decryptor();
        assert!(dec.decrypt_werun(&k, &iv, &d).is_ok());
        let e = |r: Result<WeRunData, OpenDataError>| r.unwrap_err();
        assert_eq!(
            e(dec.decrypt_werun("%%", &iv, &d)),
            OpenDataError::Decrypt(DecryptError::BadBase64(crypto::Field::SessionKey))
        );
        assert_eq!(
            e(dec.decrypt_werun("AAAA", &iv, &d)),
            OpenDataError::Decrypt(DecryptError::BadKeyLength(3))
        );
        assert_eq!(
            e(dec.decrypt_werun(&k, &iv, "AAAA")),
            OpenDataError::Decrypt(DecryptError::BadCiphertextLength(3))
        );
        let wrong_key = crypto::encode_b64(b"0123456789abcdeX");
        assert!(matches!(
            e(dec.decrypt_werun(&wrong_key, &iv, &d)),
            OpenDataError::Decrypt(DecryptError::BadPadding | DecryptError::BadJson(_))
        ));
        let old = dec.clone().with_max_age(Duration::from_secs(60));
        let (k2, iv2, d2) = seal(
            b"0123456789abcdef",
            b"fedcba9876543210",
            &werun_json(&[], APPID, NOW - 61),
        );
        assert_eq!(
            e(old.decrypt_werun(&k2, &iv2, &d2)),
            OpenDataError::TooOld { age: 61, max_age: 60 }
        );
        let (k3, iv3, d3) = seal(b"0123456789abcdef", b"fedcba9876543210", r#"{"stepInfoList":[]}"#);
        assert_eq!(e(dec.decrypt_werun(&k3, &iv3, &d3)), OpenDataError::MissingWatermark);
        let (k4, iv4, d4) = seal(b"0123456789abcdef", b"fedcba9876543210", "not json");
        assert!(matches!(
            e(dec.decrypt_werun(&k4, &iv4, &d4)),
            OpenDataError::Decrypt(DecryptError::BadJson(_))
        ));
    }

    #[test]
    fn values_from_getopendata_are_checked() {
        let dec = decryptor();
        let good: Value = serde_json::from_str(&werun_json(&[], APPID, NOW)).unwrap();
        assert!(dec.werun_from_value(good).is_ok());
        let other: Value = serde_json::from_str(&werun_json(&[], "wx1", NOW)).unwrap();
        assert!(matches!(
            dec.werun_from_value(other),
            Err(OpenDataError::AppIdMismatch { .. })
        ));
        let share = serde_json::json!({"openGId": "tGabc", "watermark": {"appid": APPID, "timestamp": NOW}});
        assert_eq!(dec.share_info_from_value(share).unwrap().open_gid, "tGabc");
        assert!(matches!(
            dec.share_info_from_value(serde_json::json!({"watermark": {"appid": APPID, "timestamp": NOW}})),
            Err(OpenDataError::Decrypt(DecryptError::BadJson(_)))
        ));
        assert_eq!(
            dec.share_info_from_value(serde_json::json!({"openGId": "g"})),
            Err(OpenDataError::MissingWatermark)
        );
    }

    #[test]
    fn raw_data_signatures() {
        let sig = crypto::raw_data_signature("{}", "key");
        assert!(verify_raw_data("{}", "key", &sig));
        assert!(verify_raw_data("{}", "key", &sig.to_uppercase()));
        assert!(!verify_raw_data("{ }", "key", &sig));
        assert!(!verify_raw_data("{}", "key", ""));
        assert!(!verify_raw_data("{}", "key", &sig[..39]));
    }

    fn steps() -> impl Strategy<Value = Vec<StepInfo>> {
        prop::collection::vec(
            (any::<i64>(), any::<i64>()).prop_map(|(timestamp, step)| StepInfo { timestamp, step }),
            0..40,
        )
    }

    proptest! {
        #[test]
        fn werun_round_trips(key in any::<[u8; 16]>(), iv in any::<[u8; 16]>(), list in steps(),
                             appid in "[a-z0-9]{1,20}", ts in any::<i64>()) {
            let (k, i, d) = seal(&key, &iv, &werun_json(&list, &appid, ts));
            let data = Decryptor::new(appid.clone()).decrypt_werun(&k, &i, &d).unwrap();
            prop_assert_eq!(&data.step_info_list, &list);
            prop_assert_eq!(&data.watermark.appid, &appid);
            prop_assert_eq!(data.watermark.timestamp, ts);
            // Spaces in place of '+' (mangled by form encoding) are read back.
            let data2 = Decryptor::new(appid.clone())
                .decrypt_werun(&k.replace('+', " "), &i.replace('+', " "), &d.replace('+', " "))
                .unwrap();
            prop_assert_eq!(data2.step_info_list, list);
            // Another appid is refused.
            let other = Decryptor::new(format!("{appid}x")).decrypt_werun(&k, &i, &d);
            let is_mismatch = matches!(other, Err(OpenDataError::AppIdMismatch { .. }));
            prop_assert!(is_mismatch);
        }

        #[test]
        fn share_info_round_trips(key in any::<[u8; 16]>(), iv in any::<[u8; 16]>(), gid in "\\PC{0,40}",
                                  appid in "[a-z0-9]{1,20}", ts in any::<i64>()) {
            let plain = serde_json::to_string(&ShareInfo {
                open_gid: gid.clone(),
                watermark: Watermark { timestamp: ts, appid: appid.clone() },
            }).unwrap();
            let (k, i, d) = seal(&key, &iv, &plain);
            let info = Decryptor::new(appid.clone()).decrypt_share_info(&k, &i, &d).unwrap();
            prop_assert_eq!(info.open_gid, gid);
            prop_assert_eq!(info.watermark.timestamp, ts);
            let generic: ShareInfo = Decryptor::new(appid.clone()).decrypt(&k, &i, &d).unwrap();
            prop_assert_eq!(generic.watermark.appid, appid.clone());
            let other = Decryptor::new(format!("{appid}x")).decrypt_share_info(&k, &i, &d);
            let is_mismatch = matches!(other, Err(OpenDataError::AppIdMismatch { .. }));
            prop_assert!(is_mismatch);
        }

        /// Whatever the plaintext, the SDK's answer is the reference's (`yundong_proto::opendata::open`).
        #[test]
        fn decrypt_werun_is_the_reference_open(key in any::<[u8; 16]>(), iv in any::<[u8; 16]>(),
                                               plain in prop_oneof![
                                                   steps().prop_map(|s| werun_json(&s, APPID, NOW - 30)),
                                                   steps().prop_map(|s| werun_json(&s, "wxother", NOW)),
                                                   Just(r#"{"stepInfoList":[],"watermark":{"appid":"wx0123456789abcdef","timestamp":1.5}}"#.to_owned()),
                                                   Just(r#"{"stepInfoList":[],"watermark":{"appid":"wx0123456789abcdef","timestamp":1},"watermark":{"appid":"wx0123456789abcdef","timestamp":2}}"#.to_owned()),
                                                   Just(r#"{"stepInfoList":{},"watermark":{"appid":"wx0123456789abcdef","timestamp":1}}"#.to_owned()),
                                                   "\\PC{0,30}",
                                               ],
                                               max_age in prop::option::of(0_i64..100)) {
            let (k, i, d) = seal(&key, &iv, &plain);
            let mut dec = decryptor();
            if let Some(age) = max_age {
                dec = dec.with_max_age(Duration::from_secs(age as u64));
            }
            let ours = dec.decrypt_werun(&k, &i, &d).map(WeRunData::into_wire);
            let reference = opendata::open::<yundong_proto::werun::WeRunData>(&k, &i, &d, &dec.checks());
            prop_assert_eq!(ours, reference);
        }
    }
}
