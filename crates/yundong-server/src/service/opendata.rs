//! Producing encrypted open data (spec §2): JSON with a watermark, AES-128-CBC under the user's current session_key
//! with a fresh iv, and a cloudID that `/wxa/getopendata` exchanges for the same data for 5 minutes.
//!
//! A cloudID carries its data itself, sealed under the deployment's cloud key (kept in the database, so every node
//! has it): `27_` + base64url(version ‖ iv ‖ AES-128-CBC(app id, expiry, data) ‖ HMAC-SHA256 tag). Issuing one
//! writes nothing, and nobody without the key can read, forge or alter one.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use yundong_proto::crypto;
use yundong_proto::werun::{StepInfo, Watermark, WeRunData};
use yundong_store::{AppRow, DayTotal, StoreError};

use crate::secrets;
use crate::state::AppState;

/// The three strings a `wx.*` open-data call returns.
pub struct Sealed {
    pub encrypted_data: String,
    pub iv: String,
    pub cloud_id: String,
}

/// Encrypt `data` under `session_key` and register a cloudID for it.
pub async fn seal<T: Serialize>(
    state: &AppState,
    app: &AppRow,
    session_key: &str,
    data: &T,
) -> Result<Option<Sealed>, StoreError> {
    let Ok(key) = crypto::decode_b64(crypto::Field::SessionKey, session_key) else {
        return Ok(None);
    };
    let Ok(key) = <[u8; 16]>::try_from(key.as_slice()) else {
        return Ok(None);
    };
    let Ok(plain) = serde_json::to_string(data) else {
        return Ok(None);
    };
    let iv = secrets::key16();
    let encrypted_data = crypto::encrypt(&key, &iv, plain.as_bytes());
    let expires_at = state.now() + state.config.cloud_id_ttl;
    let cloud_id = seal_cloud_id(&state.cloud_key, app.id, expires_at, &plain);
    Ok(Some(Sealed {
        encrypted_data,
        iv: crypto::encode_b64(&iv),
        cloud_id,
    }))
}

/// The WeRun data for `window` from the user's day totals: 31 entries, ascending, zero-filled.
pub fn werun_data(app: &AppRow, window: &[i64], totals: &[DayTotal], now: i64) -> WeRunData {
    let mut totals = totals.iter().peekable();
    let step_info_list = window
        .iter()
        .map(|&day| {
            while totals.next_if(|t| t.day < day).is_some() {}
            let step = totals.next_if(|t| t.day == day).map_or(0, |t| t.steps);
            StepInfo { timestamp: day, step }
        })
        .collect();
    WeRunData {
        step_info_list,
        watermark: Watermark {
            timestamp: now,
            appid: app.appid.clone(),
        },
    }
}

const CLOUD_ID_VERSION: u8 = 1;
const TAG_LEN: usize = 16;

/// What a cloudID stands for.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CloudIdContent {
    #[serde(rename = "a")]
    pub app_id: i64,
    #[serde(rename = "e")]
    pub expires_at: i64,
    /// The plaintext JSON the cloudID stands for.
    #[serde(rename = "d")]
    pub data: String,
}

fn split_key(key: &[u8; 32]) -> ([u8; 16], &[u8]) {
    let mut enc = [0u8; 16];
    enc.copy_from_slice(&key[..16]);
    (enc, &key[16..])
}

/// Seal a cloudID under the deployment's cloud key.
pub fn seal_cloud_id(key: &[u8; 32], app_id: i64, expires_at: i64, data: &str) -> String {
    let content = CloudIdContent {
        app_id,
        expires_at,
        data: data.to_owned(),
    };
    let json = serde_json::to_vec(&content).unwrap_or_default();
    let (enc, mac_key) = split_key(key);
    let iv = secrets::key16();
    let ct = crypto::encrypt(&enc, &iv, &json);
    let ct = crypto::decode_b64(crypto::Field::EncryptedData, &ct).unwrap_or_default();
    let mut body = Vec::with_capacity(1 + 16 + ct.len() + TAG_LEN);
    body.push(CLOUD_ID_VERSION);
    body.extend_from_slice(&iv);
    body.extend_from_slice(&ct);
    let tag = crypto::hmac_sha256(mac_key, &body);
    body.extend_from_slice(&tag[..TAG_LEN]);
    format!("27_{}", URL_SAFE_NO_PAD.encode(body))
}

/// Open a cloudID sealed by this deployment; `None` when it is malformed, forged or altered.
pub fn open_cloud_id(key: &[u8; 32], cloud_id: &str) -> Option<CloudIdContent> {
    let body = URL_SAFE_NO_PAD.decode(cloud_id.strip_prefix("27_")?).ok()?;
    if body.len() < 1 + 16 + 16 + TAG_LEN || body[0] != CLOUD_ID_VERSION {
        return None;
    }
    let (signed, tag) = body.split_at(body.len() - TAG_LEN);
    let (enc, mac_key) = split_key(key);
    if !crypto::ct_eq(&crypto::hmac_sha256(mac_key, signed)[..TAG_LEN], tag) {
        return None;
    }
    let json = crypto::decrypt_raw(&enc, &signed[1..17], &signed[17..]).ok()?;
    serde_json::from_slice(&json).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloud_ids_round_trip_and_refuse_tampering() {
        let key = [7u8; 32];
        let id = seal_cloud_id(&key, 42, 1_000, r#"{"x":1}"#);
        let content = open_cloud_id(&key, &id).expect("opens");
        assert_eq!(
            (content.app_id, content.expires_at, content.data.as_str()),
            (42, 1_000, r#"{"x":1}"#)
        );
        assert!(open_cloud_id(&[8u8; 32], &id).is_none(), "another deployment's key");
        let mut bytes = URL_SAFE_NO_PAD.decode(&id[3..]).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 1;
        assert!(
            open_cloud_id(&key, &format!("27_{}", URL_SAFE_NO_PAD.encode(&bytes))).is_none(),
            "altered"
        );
        for junk in ["", "27_", "27_!!", "28_abc", "27_AAAA"] {
            assert!(open_cloud_id(&key, junk).is_none(), "{junk}");
        }
    }
}
