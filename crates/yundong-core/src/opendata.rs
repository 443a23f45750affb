//! Producing encrypted open data (docs/WECHAT.md §2): JSON with a watermark, AES-128-CBC under the user's current
//! session_key with a fresh iv, and a cloudID that `/wxa/getopendata` exchanges for the same data for 5 minutes.
//!
//! A cloudID carries its data itself, sealed under the deployment's cloud key (kept in the database, so every node
//! has it): `27_` + base64url(version ‖ iv ‖ AES-128-CBC(app id, expiry, data) ‖ HMAC-SHA256 tag). Issuing one
//! writes nothing, and nobody without the key can read, forge or alter one.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde::Serialize;
use yundong_proto::crypto;
use yundong_proto::werun::{StepInfo, Watermark, WeRunData};
use yundong_store::{AppId, AppRow, DayTotal};

use crate::Core;
use crate::secrets;

/// What a `wx.*` open-data call returns, as bytes: the three strings are their encodings.
pub struct Sealed {
    ciphertext: Vec<u8>,
    iv: [u8; 16],
    /// The cloudID's sealed body (the string is `27_` + its base64url).
    cloud: Vec<u8>,
}

impl Sealed {
    /// `encryptedData`: standard base64 of the ciphertext.
    pub fn encrypted_data(&self) -> String {
        STANDARD.encode(&self.ciphertext)
    }

    pub fn iv(&self) -> String {
        crypto::encode_b64(&self.iv)
    }

    pub fn cloud_id(&self) -> String {
        let mut id = String::from("27_");
        URL_SAFE_NO_PAD.encode_string(&self.cloud, &mut id);
        id
    }

    /// The JSON of an `EncryptedDataResponse`, encoded straight into one buffer: base64 and cloudIDs hold no
    /// character JSON escapes, so the ~2 KB need neither an escaping pass nor intermediate strings.
    pub fn response_json(&self, err_msg: &str) -> String {
        let mut out = String::with_capacity(96 + self.ciphertext.len() * 4 / 3 + self.cloud.len() * 4 / 3);
        out.push_str(r#"{"errMsg":"#);
        out.push_str(&serde_json::Value::from(err_msg).to_string());
        out.push_str(r#","encryptedData":""#);
        STANDARD.encode_string(&self.ciphertext, &mut out);
        out.push_str(r#"","iv":""#);
        STANDARD.encode_string(self.iv, &mut out);
        out.push_str(r#"","cloudID":"27_"#);
        URL_SAFE_NO_PAD.encode_string(&self.cloud, &mut out);
        out.push_str(r#""}"#);
        out
    }
}

/// Encrypt `data` under `session_key`, with a cloudID that carries it.
pub fn seal<T: Serialize>(state: &Core, app: &AppRow, session_key: &str, data: &T) -> Option<Sealed> {
    let plain = serde_json::to_string(data).ok()?;
    let content = cloud_content(plain.as_bytes(), Body::Json);
    seal_plain(state, app, session_key, &plain, &content)
}

/// [`seal`] for WeRun data, whose cloudID carries the steps in binary (a tenth of the JSON's size): the JSON is
/// rebuilt from it, byte for byte, when the cloudID is exchanged.
pub fn seal_werun(state: &Core, app: &AppRow, session_key: &str, data: &WeRunData) -> Option<Sealed> {
    let plain = werun_json(data);
    let content = cloud_content(&werun_binary(data), Body::WeRun);
    seal_plain(state, app, session_key, &plain, &content)
}

fn seal_plain(state: &Core, app: &AppRow, session_key: &str, plain: &str, content: &[u8]) -> Option<Sealed> {
    let key = crypto::decode_b64(crypto::Field::SessionKey, session_key).ok()?;
    let key = <[u8; 16]>::try_from(key.as_slice()).ok()?;
    let iv = secrets::key16();
    let ciphertext = crypto::encrypt_raw(&key, &iv, plain.as_bytes());
    let expires_at = state.now() + state.config.cloud_id_ttl;
    let cloud = seal_cloud_body(&state.cloud_key, app.id, expires_at, content);
    Some(Sealed { ciphertext, iv, cloud })
}

/// `serde_json::to_string(data)`, byte for byte, written directly (this runs on every getWeRunData): no escaping
/// pass over the fixed keys, integers by `itoa`.
pub fn werun_json(data: &WeRunData) -> String {
    let mut ints = itoa::Buffer::new();
    let mut out = String::with_capacity(64 + data.step_info_list.len() * 40 + data.watermark.appid.len());
    out.push_str(r#"{"stepInfoList":["#);
    for (i, s) in data.step_info_list.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(r#"{"timestamp":"#);
        out.push_str(ints.format(s.timestamp));
        out.push_str(r#","step":"#);
        out.push_str(ints.format(s.step));
        out.push('}');
    }
    out.push_str(r#"],"watermark":{"timestamp":"#);
    out.push_str(ints.format(data.watermark.timestamp));
    out.push_str(r#","appid":"#);
    out.push_str(&serde_json::Value::from(data.watermark.appid.as_str()).to_string());
    out.push_str("}}");
    out
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

/// Version 2 seals `app id (i64 BE) ‖ expiry (i64 BE) ‖ body kind (u8) ‖ body`. Version 1 (sealed JSON, before
/// 0.2) is no longer opened: a cloudID lives five minutes, so an upgrade voids at most those issued in the five
/// minutes before it, and the back end asks for a fresh one as it would after any expiry.
const CLOUD_ID_VERSION: u8 = 2;
const TAG_LEN: usize = 16;

/// How a version-2 cloudID carries its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Body {
    /// The JSON text itself.
    Json = 0,
    /// WeRun data in [`werun_binary`]'s form.
    WeRun = 1,
}

/// What a cloudID stands for.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CloudIdContent {
    #[serde(rename = "a")]
    pub app_id: AppId,
    #[serde(rename = "e")]
    pub expires_at: i64,
    /// The plaintext JSON the cloudID stands for.
    #[serde(rename = "d")]
    pub data: String,
}

fn cloud_content(body: &[u8], kind: Body) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + body.len());
    out.push(kind as u8);
    out.extend_from_slice(body);
    out
}

fn put_varint(out: &mut Vec<u8>, v: i64) {
    let mut z = ((v << 1) ^ (v >> 63)) as u64;
    while z >= 0x80 {
        out.push((z as u8) | 0x80);
        z >>= 7;
    }
    out.push(z as u8);
}

fn take_varint(input: &mut &[u8]) -> Option<i64> {
    let mut z = 0u64;
    for shift in (0..64).step_by(7) {
        let (&b, rest) = input.split_first()?;
        *input = rest;
        z |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Some(((z >> 1) as i64) ^ -((z & 1) as i64));
        }
    }
    None
}

/// WeRun data as zigzag varints: watermark timestamp, appid length and bytes, day count, then per day the
/// timestamp's difference from the previous one (the first from 0) and the steps.
fn werun_binary(data: &WeRunData) -> Vec<u8> {
    let mut out = Vec::with_capacity(40 + data.step_info_list.len() * 7);
    put_varint(&mut out, data.watermark.timestamp);
    put_varint(&mut out, data.watermark.appid.len() as i64);
    out.extend_from_slice(data.watermark.appid.as_bytes());
    put_varint(&mut out, data.step_info_list.len() as i64);
    let mut prev = 0;
    for s in &data.step_info_list {
        put_varint(&mut out, s.timestamp.wrapping_sub(prev));
        put_varint(&mut out, s.step);
        prev = s.timestamp;
    }
    out
}

fn werun_from_binary(mut input: &[u8]) -> Option<WeRunData> {
    let input = &mut input;
    let timestamp = take_varint(input)?;
    let len = usize::try_from(take_varint(input)?).ok()?;
    let (appid, rest) = input.split_at_checked(len)?;
    *input = rest;
    let appid = String::from_utf8(appid.to_vec()).ok()?;
    let days = usize::try_from(take_varint(input)?).ok().filter(|&n| n <= 366)?;
    let mut step_info_list = Vec::with_capacity(days);
    let mut prev = 0i64;
    for _ in 0..days {
        let ts = prev.wrapping_add(take_varint(input)?);
        step_info_list.push(StepInfo {
            timestamp: ts,
            step: take_varint(input)?,
        });
        prev = ts;
    }
    input.is_empty().then_some(WeRunData {
        step_info_list,
        watermark: Watermark { timestamp, appid },
    })
}

fn split_key(key: &[u8; 32]) -> ([u8; 16], &[u8]) {
    let mut enc = [0u8; 16];
    enc.copy_from_slice(&key[..16]);
    (enc, &key[16..])
}

/// Seal a cloudID for `content` (a [`Body`] kind byte and its body) under the deployment's cloud key.
#[cfg(test)]
fn seal_cloud_id(key: &[u8; 32], app_id: AppId, expires_at: i64, content: &[u8]) -> String {
    format!(
        "27_{}",
        URL_SAFE_NO_PAD.encode(seal_cloud_body(key, app_id, expires_at, content))
    )
}

/// The sealed body of a cloudID: version ‖ iv ‖ AES-128-CBC(app id ‖ expiry ‖ content) ‖ tag.
fn seal_cloud_body(key: &[u8; 32], app_id: AppId, expires_at: i64, content: &[u8]) -> Vec<u8> {
    let mut plain = Vec::with_capacity(16 + content.len());
    plain.extend_from_slice(&app_id.0.to_be_bytes());
    plain.extend_from_slice(&expires_at.to_be_bytes());
    plain.extend_from_slice(content);
    let (enc, mac_key) = split_key(key);
    let iv = secrets::key16();
    let ct = crypto::encrypt_raw(&enc, &iv, &plain);
    let mut body = Vec::with_capacity(1 + 16 + ct.len() + TAG_LEN);
    body.push(CLOUD_ID_VERSION);
    body.extend_from_slice(&iv);
    body.extend_from_slice(&ct);
    let tag = crypto::hmac_sha256(mac_key, &body);
    body.extend_from_slice(&tag[..TAG_LEN]);
    body
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
    let plain = crypto::decrypt_raw(&enc, &signed[1..17], &signed[17..]).ok()?;
    let (head, content) = plain.split_at_checked(16)?;
    let (&kind, data) = content.split_first()?;
    let data = match kind {
        k if k == Body::Json as u8 => String::from_utf8(data.to_vec()).ok()?,
        k if k == Body::WeRun as u8 => werun_json(&werun_from_binary(data)?),
        _ => return None,
    };
    let (app_id, expires_at) = head.split_at(8);
    Some(CloudIdContent {
        app_id: AppId(i64::from_be_bytes(app_id.try_into().ok()?)),
        expires_at: i64::from_be_bytes(expires_at.try_into().ok()?),
        data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn werun_json_is_what_serde_writes() {
        let cases = [
            (vec![], "wx0123456789abcdef"),
            (vec![(0, 0)], ""),
            (vec![(1_571_673_600, 98_800), (1_571_760_000, -1)], "a\"b\\c\u{1}é😀"),
            (vec![(i64::MIN, i64::MAX), (i64::MAX, i64::MIN)], "wx"),
        ];
        for (days, appid) in cases {
            let data = WeRunData {
                step_info_list: days
                    .iter()
                    .map(|&(timestamp, step)| StepInfo { timestamp, step })
                    .collect(),
                watermark: Watermark {
                    timestamp: -5,
                    appid: appid.into(),
                },
            };
            assert_eq!(werun_json(&data), serde_json::to_string(&data).unwrap());
        }
    }

    #[test]
    fn the_written_response_is_what_serde_writes() {
        let sealed = Sealed {
            ciphertext: (0..=255).collect(),
            iv: [0xfb; 16],
            cloud: vec![0xff, 0xfe, 0x3e, 0x3f, 0],
        };
        let typed = yundong_proto::client::EncryptedDataResponse {
            err_msg: "getWeRunData:ok".into(),
            encrypted_data: sealed.encrypted_data(),
            iv: sealed.iv(),
            cloud_id: sealed.cloud_id(),
        };
        assert!(typed.encrypted_data.contains('+') && typed.encrypted_data.contains('/'));
        assert!(typed.cloud_id.starts_with("27_") && typed.cloud_id.contains('-') && typed.cloud_id.contains('_'));
        assert_eq!(
            sealed.response_json("getWeRunData:ok"),
            serde_json::to_string(&typed).unwrap()
        );
    }

    #[test]
    fn cloud_ids_round_trip_and_refuse_tampering() {
        let key = [7u8; 32];
        let id = seal_cloud_id(&key, AppId(42), 1_000, &cloud_content(br#"{"x":1}"#, Body::Json));
        let content = open_cloud_id(&key, &id).expect("opens");
        assert_eq!(
            (content.app_id, content.expires_at, content.data.as_str()),
            (AppId(42), 1_000, r#"{"x":1}"#)
        );
        assert!(open_cloud_id(&[8u8; 32], &id).is_none(), "another deployment's key");
        let mut bytes = URL_SAFE_NO_PAD.decode(&id[3..]).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 1;
        assert!(
            open_cloud_id(&key, &format!("27_{}", URL_SAFE_NO_PAD.encode(&bytes))).is_none(),
            "altered"
        );
        // WeRun data travels in binary and comes back as the very same JSON text.
        let app = AppRow {
            id: AppId(42),
            appid: "wx0123456789abcdef".into(),
            secret_hash: String::new(),
            original_id: String::new(),
            name: String::new(),
            category: None,
            werun_share: false,
            open_platform: None,
            device_steps: false,
        };
        let window = yundong_proto::day::DayZone::CHINA.window(1_574_338_655);
        let totals = [
            DayTotal {
                day: window[0],
                steps: 0,
            },
            DayTotal {
                day: window[3],
                steps: 98_765,
            },
            DayTotal {
                day: window[30],
                steps: i64::MAX,
            },
        ];
        let data = werun_data(&app, &window, &totals, 1_574_338_655);
        let json = serde_json::to_string(&data).unwrap();
        let id = seal_cloud_id(
            &key,
            AppId(42),
            1_000,
            &cloud_content(&werun_binary(&data), Body::WeRun),
        );
        assert_eq!(open_cloud_id(&key, &id).map(|c| c.data), Some(json.clone()));
        assert!(id.len() < json.len() / 3, "{} vs {}", id.len(), json.len());
        assert_eq!(werun_from_binary(&werun_binary(&data)[..10]), None, "truncated");
        // Only version 2 opens: the same body under another version byte is refused.
        let mut other = URL_SAFE_NO_PAD.decode(id.strip_prefix("27_").unwrap()).unwrap();
        other[0] = 1;
        assert!(open_cloud_id(&key, &format!("27_{}", URL_SAFE_NO_PAD.encode(other))).is_none());
        for junk in ["", "27_", "27_!!", "28_abc", "27_AAAA"] {
            assert!(open_cloud_id(&key, junk).is_none(), "{junk}");
        }
    }
}
