//! Helpers shared by the suite, notably a decryptor written independently of the server's crypto code path: the
//! `aes`/`cbc` primitives with padding checked by hand, and base64 decoded by hand.

use aes::cipher::{BlockModeDecrypt, KeyIvInit, block_padding::NoPadding};
use serde_json::Value;

/// Standard base64 (with padding) decoded without the base64 crate.
pub fn b64(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let mut acc = 0u32;
    let mut bits = 0;
    for c in text.bytes().filter(|&c| c != b'=') {
        let v = ALPHABET.iter().position(|&a| a == c).expect("base64 character") as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

/// Decrypt WeChat open data with an exact PKCS#7 check and parse it as JSON; `Err` says which check failed.
pub fn try_decrypt(session_key: &str, iv: &str, encrypted_data: &str) -> Result<Value, String> {
    if session_key.len() != 24 || !session_key.ends_with("==") || iv.len() != 24 {
        return Err("session_key and iv must be 24 base64 characters".into());
    }
    let (key, iv, ct) = (b64(session_key), b64(iv), b64(encrypted_data));
    if ct.is_empty() || ct.len() % 16 != 0 {
        return Err("ciphertext length".into());
    }
    let dec = cbc::Decryptor::<aes::Aes128>::new_from_slices(&key, &iv).map_err(|_| "key or iv length")?;
    let mut plain = dec.decrypt_padded_vec::<NoPadding>(&ct).map_err(|_| "block length")?;
    let pad = *plain.last().unwrap() as usize;
    if !(1..=16).contains(&pad) || !plain[plain.len() - pad..].iter().all(|&b| b as usize == pad) {
        return Err("PKCS#7 padding".into());
    }
    plain.truncate(plain.len() - pad);
    serde_json::from_slice(&plain).map_err(|e| format!("not JSON: {e}"))
}

pub fn decrypt(session_key: &str, iv: &str, encrypted_data: &str) -> Value {
    try_decrypt(session_key, iv, encrypted_data).unwrap()
}

/// The plaintext of an open-data answer (`{"iv", "encryptedData", …}`) under `session_key`.
pub fn decrypt_answer(session_key: &str, answer: &Value) -> Value {
    let field = |name: &str| answer[name].as_str().unwrap_or_else(|| panic!("no {name} in {answer}"));
    decrypt(session_key, field("iv"), field("encryptedData"))
}

/// Local midnight (UTC+8) of the day containing `ts`.
pub fn cst_midnight(ts: i64) -> i64 {
    ts - (ts + 8 * 3600).rem_euclid(86_400)
}

/// `errcode` of a WeChat answer (0 when absent), asserting the errmsg form: the catalog's text and nothing else, then
/// the rid suffix of either family (`, rid: ` on `/sns/*`, ` rid: ` elsewhere; the strict suite checks which), and a
/// rid shaped `xxxxxxxx-xxxxxxxx-xxxxxxxx`.
pub fn errcode(v: &Value) -> i64 {
    let code = v.get("errcode").and_then(Value::as_i64).unwrap_or(0);
    if code != 0 {
        let msg = v["errmsg"].as_str().expect("errmsg");
        let (text, rid) = msg
            .rsplit_once(" rid: ")
            .unwrap_or_else(|| panic!("no rid suffix in {msg:?}"));
        let text = text.strip_suffix(',').unwrap_or(text);
        let known = yundong_proto::errcode::ErrCode::from_code(code as i32).expect("a catalog errcode");
        assert_eq!(text, known.message(), "errmsg carries WeChat's text only: {msg:?}");
        assert!(
            rid.len() == 26 && rid.matches('-').count() == 2,
            "rid suffix in {msg:?}"
        );
    }
    code
}

/// The rid at the end of an errmsg.
pub fn rid_of(v: &Value) -> String {
    let msg = v["errmsg"].as_str().expect("errmsg");
    msg.rsplit_once(" rid: ").expect("a rid suffix").1.to_owned()
}
