//! Open-data cryptography as WeChat does it (docs/WECHAT.md §2): AES-128-CBC with PKCS#7 padding under the user's
//! session_key, everything carried as standard base64 with padding; the checksession HMAC and the rawData SHA-1
//! signature.

use aes::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit, block_padding::NoPadding, block_padding::Pkcs7};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha1::{Digest, Sha1};
use sha2::Sha256;
use subtle::ConstantTimeEq;

type Enc = cbc::Encryptor<aes::Aes128>;
type Dec = cbc::Decryptor<aes::Aes128>;

/// Which input of a decryption was wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    SessionKey,
    Iv,
    EncryptedData,
}

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Field::SessionKey => "session_key",
            Field::Iv => "iv",
            Field::EncryptedData => "encryptedData",
        })
    }
}

/// Why open data could not be decrypted. Each variant names the likely cause, instead of one "illegal buffer".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecryptError {
    #[error("{0} is not valid base64 (standard alphabet with '=' padding)")]
    BadBase64(Field),
    #[error("session_key must decode to 16 bytes, got {0}: pass the session_key from jscode2session unchanged")]
    BadKeyLength(usize),
    #[error("iv must decode to 16 bytes, got {0}: pass the iv returned with this encryptedData")]
    BadIvLength(usize),
    #[error("encryptedData must be a non-empty multiple of 16 bytes, got {0}: it was truncated or is not ciphertext")]
    BadCiphertextLength(usize),
    #[error(
        "PKCS#7 padding does not check out: the session_key (or iv) is not the one this data was encrypted with; \
         almost always a stale session_key, replaced by a later wx.login"
    )]
    BadPadding,
    #[error("the decrypted bytes are not the expected JSON: {0}")]
    BadJson(String),
}

/// Decode one base64 field as WeChat clients send it. A space stands for a `+` that form or URL encoding mangled in
/// transit (docs/WECHAT.md §8, a common cause of -41004), so spaces are read as `+`.
pub fn decode_b64(field: Field, text: &str) -> Result<Vec<u8>, DecryptError> {
    let trimmed = text.trim_matches(|c| c == '\n' || c == '\r');
    let fixed;
    let input = if trimmed.contains(' ') {
        fixed = trimmed.replace(' ', "+");
        fixed.as_str()
    } else {
        trimmed
    };
    STANDARD.decode(input).map_err(|_| DecryptError::BadBase64(field))
}

/// Standard base64 with padding: 16 bytes become exactly 24 characters ending in `==` (the official PHP sample
/// rejects anything else).
pub fn encode_b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Encrypt `plaintext` under a 16-byte session key and iv; returns base64 of the ciphertext.
pub fn encrypt(key: &[u8; 16], iv: &[u8; 16], plaintext: &[u8]) -> String {
    STANDARD.encode(encrypt_raw(key, iv, plaintext))
}

/// AES-128-CBC with PKCS#7 padding; the raw ciphertext.
pub fn encrypt_raw(key: &[u8; 16], iv: &[u8; 16], plaintext: &[u8]) -> Vec<u8> {
    Enc::new(key.into(), iv.into()).encrypt_padded_vec::<Pkcs7>(plaintext)
}

/// Decrypt raw bytes with an exact PKCS#7 check on 16-byte blocks. Never panics.
pub fn decrypt_raw(key: &[u8], iv: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>, DecryptError> {
    let key: &[u8; 16] = key.try_into().map_err(|_| DecryptError::BadKeyLength(key.len()))?;
    let iv: &[u8; 16] = iv.try_into().map_err(|_| DecryptError::BadIvLength(iv.len()))?;
    if ciphertext.is_empty() || !ciphertext.len().is_multiple_of(16) {
        return Err(DecryptError::BadCiphertextLength(ciphertext.len()));
    }
    let mut plain = Dec::new(key.into(), iv.into())
        .decrypt_padded_vec::<NoPadding>(ciphertext)
        .map_err(|_| DecryptError::BadCiphertextLength(ciphertext.len()))?;
    let pad = usize::from(*plain.last().ok_or(DecryptError::BadPadding)?);
    if pad == 0 || pad > 16 || pad > plain.len() {
        return Err(DecryptError::BadPadding);
    }
    let body_len = plain.len() - pad;
    if plain[body_len..].iter().any(|&b| usize::from(b) != pad) {
        return Err(DecryptError::BadPadding);
    }
    plain.truncate(body_len);
    Ok(plain)
}

/// Decrypt base64 `encryptedData` with base64 `session_key` and `iv`, as a mini-program back end does.
pub fn decrypt(session_key: &str, iv: &str, encrypted_data: &str) -> Result<Vec<u8>, DecryptError> {
    let key = decode_b64(Field::SessionKey, session_key)?;
    if key.len() != 16 {
        return Err(DecryptError::BadKeyLength(key.len()));
    }
    let iv = decode_b64(Field::Iv, iv)?;
    if iv.len() != 16 {
        return Err(DecryptError::BadIvLength(iv.len()));
    }
    let ct = decode_b64(Field::EncryptedData, encrypted_data)?;
    decrypt_raw(&key, &iv, &ct)
}

/// The `/wxa/checksession` signature: hex(HMAC-SHA256(key = the session_key's base64 text, message = "")).
pub fn session_signature(session_key_b64: &str) -> String {
    hmac_hex(session_key_b64.as_bytes())
}

/// The same HMAC keyed with the 16 decoded bytes: a variant some implementations send (docs/WECHAT.md §3.5).
pub fn session_signature_raw_key(session_key: &[u8]) -> String {
    hmac_hex(session_key)
}

fn hmac_hex(key: &[u8]) -> String {
    hex::encode(hmac_sha256(key, b""))
}

/// HMAC-SHA256 of `message` under `key` (any length).
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    // HMAC takes keys of any length, so `new_from_slice` cannot fail; the fallback keeps this total all the same.
    match <Hmac<Sha256> as KeyInit>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(message);
            mac.finalize().into_bytes().into()
        }
        Err(_) => [0; 32],
    }
}

/// The rawData signature of `wx.getUserInfo`: hex(SHA-1(rawData + session_key text)) (docs/WECHAT.md §2.4).
pub fn raw_data_signature(raw_data: &str, session_key_b64: &str) -> String {
    let mut h = Sha1::new();
    h.update(raw_data.as_bytes());
    h.update(session_key_b64.as_bytes());
    hex::encode(h.finalize())
}

/// Constant-time equality for secrets (signatures, tokens, secrets' hashes).
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// SHA-256 digest.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// SHA-256 hex digest, used to store tokens and secrets as hashes only.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // The official WXBizDataCrypt demo vector (docs/WECHAT.md §2.3, verified there).
    const APPID: &str = "wx4f4bc4dec97d474b";
    const KEY: &str = "tiihtNczf5v6AKRyjwEUhQ==";
    const IV: &str = "r7BXXKkLb8qrSNn05n0qiA==";
    const DATA: &str = "CiyLU1Aw2KjvrjMdj8YKliAjtP4gsMZMQmRzooG2xrDcvSnxIMXFufNstNGTyaGS9uT5geRa0W4oTOb1WT7fJlAC+oNPdbB+3hVbJSRgv+4lGOETKUQz6OYStslQ142dNCuabNPGBzlooOmB231qMM85d2/fV6ChevvXvQP8Hkue1poOFtnEtpyxVLW1zAo6/1Xx1COxFvrc2d7UL/lmHInNlxuacJXwu0fjpXfz/YqYzBIBzD6WUfTIF9GRHpOn/Hz7saL8xz+W//FRAUid1OksQaQx4CMs8LOddcQhULW4ucetDf96JcR3g0gfRK4PC7E/r7Z6xNrXd2UIeorGj5Ef7b1pJAYB6Y5anaHqZ9J6nKEBvB4DnNLIVWSgARns/8wR2SiRS7MNACwTyrGvt9ts8p12PKFdlqYTopNHR1Vf7XjfhQlVsAJdNiKdYmYVoKlaRv85IfVunYzO0IKXsyl7JCUjCpoG20f0a04COwfneQAGGwd5oa+T8yO5hzuyDb/XcxxmK01EpqOyuxINew==";

    #[test]
    fn official_vector_decrypts_and_reencrypts_byte_for_byte() {
        let plain = decrypt(KEY, IV, DATA).expect("official vector");
        let v: serde_json::Value = serde_json::from_slice(&plain).expect("json");
        assert_eq!(v["watermark"]["appid"], APPID);
        assert_eq!(v["watermark"]["timestamp"], 1477314187);
        let key: [u8; 16] = STANDARD.decode(KEY).unwrap().try_into().unwrap();
        let iv: [u8; 16] = STANDARD.decode(IV).unwrap().try_into().unwrap();
        assert_eq!(encrypt(&key, &iv, &plain), DATA);
    }

    #[test]
    fn official_signature_vector() {
        let raw = r#"{"nickName":"Band","gender":1,"language":"zh_CN","city":"Guangzhou","province":"Guangdong","country":"CN","avatarUrl":"http://wx.qlogo.cn/mmopen/vi_32/1vZvI39NWFQ9XM4LtQpFrQJ1xlgZxx3w7bQxKARol6503Iuswjjn6nIGBiaycAjAtpujxyzYsrztuuICqIM5ibXQ/0"}"#;
        assert_eq!(
            raw_data_signature(raw, "HyVFkGl5F5OQWJZZaNzBBg=="),
            "75e81ceda165f4ffa64f4068af58c64b8f54b88c"
        );
    }

    #[test]
    fn errors_name_the_wrong_input() {
        assert_eq!(
            decrypt("short", IV, DATA),
            Err(DecryptError::BadBase64(Field::SessionKey))
        );
        assert_eq!(decrypt("AAAA", IV, DATA), Err(DecryptError::BadKeyLength(3)));
        assert_eq!(decrypt(KEY, "AAAA", DATA), Err(DecryptError::BadIvLength(3)));
        assert_eq!(decrypt(KEY, IV, "AAAA"), Err(DecryptError::BadCiphertextLength(3)));
        assert_eq!(
            decrypt("AAAAAAAAAAAAAAAAAAAAAA==", IV, DATA),
            Err(DecryptError::BadPadding)
        );
        // A '+' mangled into a space in transit still decrypts.
        assert!(decrypt(KEY, IV, &DATA.replace('+', " ")).is_ok());
    }

    /// Text that looks like base64 more often than not: real base64 of 0–40 bytes (16 most often), possibly
    /// mangled, or any mix of base64 characters, padding, spaces, URL-safe characters, line breaks and non-ASCII.
    fn b64ish() -> impl Strategy<Value = String> {
        prop_oneof![
            3 => proptest::collection::vec(any::<u8>(), 16..=16).prop_map(|b| encode_b64(&b)),
            2 => proptest::collection::vec(any::<u8>(), 0..40).prop_map(|b| encode_b64(&b)),
            1 => proptest::collection::vec(any::<u8>(), 0..40).prop_map(|b| encode_b64(&b).replace('+', " ")),
            1 => "[A-Za-z0-9+/=]{0,48}",
            1 => "[A-Za-z0-9+/= _\\-\r\n]{0,48}",
            1 => ".{0,32}",
        ]
    }

    proptest! {
        #[test]
        fn round_trip(key in any::<[u8; 16]>(), iv in any::<[u8; 16]>(), plain in proptest::collection::vec(any::<u8>(), 0..600)) {
            let ct = encrypt(&key, &iv, &plain);
            prop_assert_eq!(STANDARD.decode(&ct).unwrap().len(), (plain.len() / 16 + 1) * 16);
            let back = decrypt(&encode_b64(&key), &encode_b64(&iv), &ct).unwrap();
            prop_assert_eq!(back, plain);
        }

        /// Base64-ish text in all three inputs (the standard and URL-safe alphabets, padding in odd places, spaces
        /// for mangled `+`, line breaks, non-ASCII): `decrypt` answers, never panics, and its error names the first
        /// input that is wrong, with the lengths it saw.
        #[test]
        fn decrypt_never_panics_on_base64ish_text(
            key in b64ish(),
            iv in b64ish(),
            data in b64ish(),
        ) {
            match decrypt(&key, &iv, &data) {
                Ok(plain) => {
                    let ct = decode_b64(Field::EncryptedData, &data).unwrap_or_default();
                    prop_assert!(plain.len() < ct.len() && plain.len() + 16 >= ct.len());
                }
                Err(DecryptError::BadBase64(Field::SessionKey) | DecryptError::BadKeyLength(_)) => {
                    prop_assert!(decode_b64(Field::SessionKey, &key).map_or(true, |k| k.len() != 16));
                }
                Err(DecryptError::BadBase64(Field::Iv) | DecryptError::BadIvLength(_)) => {
                    prop_assert_eq!(decode_b64(Field::SessionKey, &key).map(|k| k.len()), Ok(16));
                    prop_assert!(decode_b64(Field::Iv, &iv).map_or(true, |v| v.len() != 16));
                }
                Err(DecryptError::BadBase64(Field::EncryptedData)) => {
                    prop_assert!(decode_b64(Field::EncryptedData, &data).is_err());
                }
                Err(DecryptError::BadCiphertextLength(n)) => prop_assert!(n == 0 || n % 16 != 0),
                Err(DecryptError::BadPadding) => {}
                Err(e @ DecryptError::BadJson(_)) => prop_assert!(false, "decrypt never parses JSON: {e}"),
            }
        }

        /// Valid key and iv, ciphertext of any length in blocks or not: an answer, never a panic.
        #[test]
        fn decrypt_never_panics_on_any_ciphertext(
            key in any::<[u8; 16]>(),
            iv in any::<[u8; 16]>(),
            ct in proptest::collection::vec(any::<u8>(), 0..200),
            mangle in any::<bool>(),
        ) {
            let text = encode_b64(&ct);
            let text = if mangle { format!("{}\n", text.replace('+', " ")) } else { text };
            let _ = decrypt(&encode_b64(&key), &encode_b64(&iv), &text);
        }

        #[test]
        fn garbage_never_panics(key in any::<[u8; 16]>(), iv in any::<[u8; 16]>(), ct in proptest::collection::vec(any::<u8>(), 0..100)) {
            let _ = decrypt_raw(&key, &iv, &ct);
        }
    }
}
