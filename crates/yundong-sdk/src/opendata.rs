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
use crate::werun::{DayZone, ShareInfo, Watermark, WeRunData};

/// Decrypts and checks open data for one mini program. Cheap to clone; `Send + Sync`.
#[derive(Clone)]
pub struct Decryptor {
    appid: Option<Arc<str>>,
    max_age: Option<i64>,
    zone: DayZone,
    clock: Arc<dyn Clock>,
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
    pub fn decrypt_werun(&self, session_key: &str, iv: &str, encrypted_data: &str) -> Result<WeRunData, OpenDataError> {
        let plain = crypto::decrypt(session_key, iv, encrypted_data)?;
        let wire: yundong_proto::werun::WeRunData = self.parse_checked(&plain)?;
        Ok(WeRunData::from_wire(wire, self.zone))
    }

    /// Decrypt `wx.getShareInfo`'s `encryptedData`: the group's `openGId`.
    pub fn decrypt_share_info(
        &self,
        session_key: &str,
        iv: &str,
        encrypted_data: &str,
    ) -> Result<ShareInfo, OpenDataError> {
        let plain = crypto::decrypt(session_key, iv, encrypted_data)?;
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

    /// Parse a typed payload straight from the plaintext, then check its watermark. If the typed parse fails, the
    /// plaintext is examined as plain JSON so that the error is the same precise one [`opendata::open`] gives
    /// (not JSON, no watermark, appid, age) before falling back to the typed parser's message.
    fn parse_checked<T: DeserializeOwned + HasWatermark>(&self, plain: &[u8]) -> Result<T, OpenDataError> {
        match serde_json::from_slice::<T>(plain) {
            Ok(value) => {
                self.check_watermark(value.watermark())?;
                Ok(value)
            }
            Err(typed) => {
                let value: Value = serde_json::from_slice(plain).map_err(|e| DecryptError::BadJson(e.to_string()))?;
                opendata::check_watermark(&value, &self.checks())?;
                Err(OpenDataError::Decrypt(DecryptError::BadJson(typed.to_string())))
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
/// // WeChat's documented vector (spec §2.3).
/// let raw = r#"{"nickName":"Band","gender":1,"language":"zh_CN","city":"Guangzhou","province":"Guangdong","country":"CN","avatarUrl":"http://wx.qlogo.cn/mmopen/vi_32/1vZvI39NWFQ9XM4LtQpFrQJ1xlgZxx3w7bQxKARol6503Iuswjjn6nIGBiaycAjAtpujxyzYsrztuuICqIM5ibXQ/0"}"#;
/// assert!(yundong_sdk::verify_raw_data(raw, "HyVFkGl5F5OQWJZZaNzBBg==", "75e81ceda165f4ffa64f4068af58c64b8f54b88c"));
/// assert!(!yundong_sdk::verify_raw_data(raw, "HyVFkGl5F5OQWJZZaNzBBg==", "75e81ceda165f4ffa64f4068af58c64b8f54b88d"));
/// ```
pub fn verify_raw_data(raw_data: &str, session_key: &str, signature: &str) -> bool {
    let expected = crypto::raw_data_signature(raw_data, session_key);
    let given = signature.trim().to_ascii_lowercase();
    crypto::ct_eq(expected.as_bytes(), given.as_bytes())
}
