//! Open-data decryption on hostile input: `crypto::decrypt`, `crypto::decrypt_raw` and `opendata::open_value` must
//! return an error, never panic, whatever the three strings and the checks are; and data sealed with
//! `crypto::encrypt` must always come back byte for byte (also with `+` mangled into spaces in transit).
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use yundong_proto::crypto;
use yundong_proto::opendata::{self, Checks};

/// One base64 input as a client might send it: any text, real base64 of some bytes, or base64 mangled the way
/// form encoding and line wrapping mangle it.
#[derive(Debug, Arbitrary)]
enum Field {
    Text(String),
    Base64(Vec<u8>),
    Mangled(Vec<u8>),
}

impl Field {
    fn text(&self) -> String {
        match self {
            Field::Text(t) => t.clone(),
            Field::Base64(b) => crypto::encode_b64(b),
            Field::Mangled(b) => format!("{}\r\n", crypto::encode_b64(b).replace('+', " ")),
        }
    }
}

#[derive(Debug, Arbitrary)]
struct Input {
    session_key: Field,
    iv: Field,
    encrypted_data: Field,
    appid: Option<String>,
    max_age: Option<i64>,
    now: i64,
    /// A real payload: key, iv and plaintext sealed with `crypto::encrypt`, so the JSON and watermark checks run on
    /// every kind of plaintext.
    sealed: Option<([u8; 16], [u8; 16], String)>,
    raw: Vec<u8>,
}

fuzz_target!(|input: Input| {
    let checks = Checks {
        appid: input.appid.clone(),
        max_age: input.max_age,
        now: input.now,
    };
    let (key, iv, data) = (input.session_key.text(), input.iv.text(), input.encrypted_data.text());
    let _ = crypto::decrypt(&key, &iv, &data);
    let _ = opendata::open_value(&key, &iv, &data, &checks);

    // Raw ciphertext: an answer is the ciphertext less 1 to 16 bytes of padding.
    if let Ok(plain) = crypto::decrypt_raw(&[7; 16], &[9; 16], &input.raw) {
        assert!(plain.len() < input.raw.len() && plain.len() + 16 >= input.raw.len());
    }

    if let Some((key, iv, plain)) = &input.sealed {
        let ct = crypto::encrypt(key, iv, plain.as_bytes());
        let (key, iv) = (crypto::encode_b64(key), crypto::encode_b64(iv));
        assert_eq!(crypto::decrypt(&key, &iv, &ct).as_deref(), Ok(plain.as_bytes()));
        let mangled = |s: &str| s.replace('+', " ");
        assert_eq!(
            crypto::decrypt(&mangled(&key), &mangled(&iv), &mangled(&ct)).as_deref(),
            Ok(plain.as_bytes())
        );
        if let Ok(value) = opendata::open_value(&key, &iv, &ct, &checks) {
            assert!(value.get("watermark").is_some());
        }
    }
});
