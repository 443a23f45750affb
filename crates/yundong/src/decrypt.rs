//! `yundong decrypt`'s diagnosis of a wrong iv.
//!
//! In CBC mode the iv only enters the first block: decrypted with the right session_key and a wrong iv, the first 16
//! bytes are noise and everything after them is the real plaintext (and the padding still checks out). So when the
//! payload does not parse, noise in the first block beside readable text after it names the iv as the cause.

use yundong_proto::crypto;

/// Why the payload fails, when the likely cause is the iv; `None` when that is not what the bytes show.
pub fn wrong_iv(session_key: &str, iv: &str, encrypted_data: &str) -> Option<String> {
    let plain = crypto::decrypt(session_key, iv, encrypted_data).ok()?;
    if plain.len() <= 16 || serde_json::from_slice::<serde_json::Value>(&plain).is_ok() {
        return None;
    }
    let (first, rest) = plain.split_at(16);
    let readable = |bytes: &[u8]| {
        std::str::from_utf8(bytes).is_ok_and(|t| t.chars().all(|c| !c.is_control() || c == '\n' || c == '\t'))
    };
    // Noise in the first block, or (an iv differing from the right one in ASCII only) a first block that cannot
    // start the JSON object whose watermark follows.
    let garbled = !readable(first) || (first[0] != b'{' && rest.windows(11).any(|w| w == b"\"watermark\""));
    (garbled && readable(rest)).then(|| {
        "the iv is wrong: with this session_key the first 16 bytes decrypt to noise while the rest reads as text, \
         which is what a wrong iv does; pass the iv returned together with this encryptedData"
            .to_owned()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 16] = *b"0123456789abcdef";
    const IV: [u8; 16] = *b"fedcba9876543210";
    const PLAIN: &str =
        r#"{"stepInfoList":[{"timestamp":1,"step":2}],"watermark":{"timestamp":1,"appid":"wx0123456789abcdef"}}"#;

    #[test]
    fn a_wrong_iv_is_named() {
        let data = crypto::encrypt(&KEY, &IV, PLAIN.as_bytes());
        let key = crypto::encode_b64(&KEY);
        for other in [[0xa5; 16], *b"0000000000000000"] {
            let why = wrong_iv(&key, &crypto::encode_b64(&other), &data).expect("diagnosed");
            assert!(why.starts_with("the iv is wrong"), "{why}");
        }
        let other_iv = crypto::encode_b64(&[0xa5; 16]);
        // The right iv, or a wrong key (noise everywhere), is not diagnosed as an iv problem.
        assert_eq!(wrong_iv(&key, &crypto::encode_b64(&IV), &data), None);
        assert_eq!(
            wrong_iv(&crypto::encode_b64(b"ffffffffffffffff"), &other_iv, &data),
            None
        );
    }
}
