//! The fast path of WeRun decryption: SIMD base64 and a parser for the payload's usual shape.
//!
//! Both only ever *accept* what the reference path ([`yundong_proto::crypto::decrypt`], serde_json) accepts, with
//! the same result; anything else is handed to the reference path, which then decides (and names the error). The
//! property tests at the bottom check exactly that.

use base64::Engine as _;
use base64::engine::Simd;
use base64::engine::general_purpose::PAD;
use yundong_proto::crypto::{self, DecryptError, Field};
use yundong_proto::werun::{StepInfo, Watermark, WeRunData};

/// Base64 as [`crypto::decode_b64`] reads it (standard alphabet, canonical padding, spaces as `+`, surrounding line
/// breaks ignored), with AVX2 / NEON when the CPU has them.
#[derive(Debug, Clone)]
pub(crate) struct Base64 {
    engine: Simd,
}

impl Base64 {
    pub(crate) fn new() -> Self {
        // `PAD` is the configuration of `general_purpose::STANDARD`, which the reference path uses.
        Base64 {
            engine: Simd::standard(PAD),
        }
    }

    pub(crate) fn decode(&self, field: Field, text: &str) -> Result<Vec<u8>, DecryptError> {
        match self.engine.decode(text) {
            Ok(bytes) => Ok(bytes),
            // Spaces, line breaks or plain garbage: the reference decoder decides.
            Err(_) => crypto::decode_b64(field, text),
        }
    }

    /// [`crypto::decrypt`], checking the inputs in the same order so that the first wrong one is named.
    pub(crate) fn decrypt(&self, session_key: &str, iv: &str, encrypted_data: &str) -> Result<Vec<u8>, DecryptError> {
        let key = self.decode(Field::SessionKey, session_key)?;
        if key.len() != 16 {
            return Err(DecryptError::BadKeyLength(key.len()));
        }
        let iv = self.decode(Field::Iv, iv)?;
        if iv.len() != 16 {
            return Err(DecryptError::BadIvLength(iv.len()));
        }
        let ct = self.decode(Field::EncryptedData, encrypted_data)?;
        crypto::decrypt_raw(&key, &iv, &ct)
    }
}

/// Parse `{"stepInfoList":[{"timestamp":N,"step":N},…],"watermark":{"timestamp":N,"appid":"…"}}` with any key
/// order and JSON whitespace. `None` for anything else: unknown or duplicate keys, escapes, non-integer numbers,
/// trailing data… — serde then gives the authoritative answer.
pub(crate) fn parse_werun(input: &[u8]) -> Option<WeRunData> {
    let mut p = Parser { b: input, i: 0 };
    let mut steps: Option<Vec<StepInfo>> = None;
    let mut watermark: Option<Watermark> = None;
    p.expect(b'{')?;
    loop {
        let key = p.string()?;
        p.expect(b':')?;
        match key {
            b"stepInfoList" if steps.is_none() => steps = Some(p.step_list()?),
            b"watermark" if watermark.is_none() => watermark = Some(p.watermark()?),
            _ => return None,
        }
        match p.next()? {
            b',' => continue,
            b'}' => break,
            _ => return None,
        }
    }
    p.end()?;
    Some(WeRunData {
        step_info_list: steps?,
        watermark: watermark?,
    })
}

/// The value of eight ASCII digits, or `None` if any byte is not a digit (the SWAR method of simdjson and
/// fast_float: three multiplications instead of eight dependent steps).
fn eight_digits(chunk: &[u8]) -> Option<u64> {
    let bytes: [u8; 8] = chunk.try_into().ok()?;
    let v = u64::from_le_bytes(bytes);
    // Every byte in 0x30..=0x39: its high nibble is 3, and still 3 after adding 6. A byte that carries when 6 is
    // added fails its own test, so the carry into the next byte cannot make the whole test pass.
    let high = v & 0xF0F0_F0F0_F0F0_F0F0;
    let plus6 = (v.wrapping_add(0x0606_0606_0606_0606) & 0xF0F0_F0F0_F0F0_F0F0) >> 4;
    if high | plus6 != 0x3333_3333_3333_3333 {
        return None;
    }
    let v = ((v & 0x0F0F_0F0F_0F0F_0F0F).wrapping_mul(2561)) >> 8;
    let v = ((v & 0x00FF_00FF_00FF_00FF).wrapping_mul(6_553_601)) >> 16;
    Some(((v & 0x0000_FFFF_0000_FFFF).wrapping_mul(42_949_672_960_001)) >> 32)
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Parser<'a> {
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    /// The next non-whitespace byte, consumed.
    fn next(&mut self) -> Option<u8> {
        self.skip_ws();
        let c = *self.b.get(self.i)?;
        self.i += 1;
        Some(c)
    }

    fn expect(&mut self, c: u8) -> Option<()> {
        (self.next()? == c).then_some(())
    }

    fn end(&mut self) -> Option<()> {
        self.skip_ws();
        (self.i == self.b.len()).then_some(())
    }

    /// A string without escapes or control characters (its raw bytes; not yet checked as UTF-8).
    fn string(&mut self) -> Option<&'a [u8]> {
        self.expect(b'"')?;
        let start = self.i;
        loop {
            match *self.b.get(self.i)? {
                b'"' => break,
                b'\\' | 0..=0x1f => return None,
                _ => self.i += 1,
            }
        }
        let s = self.b.get(start..self.i)?;
        self.i += 1;
        Some(s)
    }

    /// A JSON integer that fits an `i64`: `-?(0|[1-9][0-9]*)`, not followed by a fraction or exponent.
    fn int(&mut self) -> Option<i64> {
        self.skip_ws();
        let b = self.b;
        let mut i = self.i;
        let negative = b.get(i) == Some(&b'-');
        if negative {
            i += 1;
        }
        let start = i;
        // At most 19 digits: below 10^19 < u64::MAX, so the sum cannot overflow; longer never fits an i64.
        let mut magnitude: u64 = 0;
        // Eight digits at a time while they fit (a timestamp's first eight).
        while i - start <= 11
            && let Some(v) = b.get(i..i + 8).and_then(eight_digits)
        {
            magnitude = magnitude * 100_000_000 + v;
            i += 8;
        }
        while let Some(&c) = b.get(i) {
            let d = c.wrapping_sub(b'0');
            if d > 9 {
                break;
            }
            if i - start == 19 {
                return None;
            }
            magnitude = magnitude * 10 + u64::from(d);
            i += 1;
        }
        let digits = i - start;
        // No digits, a leading zero, or `-0` (which serde_json reads as the float -0.0).
        if digits == 0 || (digits > 1 && b.get(start) == Some(&b'0')) || (negative && magnitude == 0) {
            return None;
        }
        if let Some(b'.' | b'e' | b'E') = b.get(i) {
            return None;
        }
        let value = if negative {
            0_i64.checked_sub_unsigned(magnitude)?
        } else {
            i64::try_from(magnitude).ok()?
        };
        self.i = i;
        Some(value)
    }

    /// Consume `lit` if the input continues with it (no whitespace skipped).
    fn literal(&mut self, lit: &[u8]) -> bool {
        let hit = self.b.get(self.i..).is_some_and(|rest| rest.starts_with(lit));
        if hit {
            self.i += lit.len();
        }
        hit
    }

    fn step_list(&mut self) -> Option<Vec<StepInfo>> {
        self.expect(b'[')?;
        let mut list = Vec::with_capacity(31);
        self.skip_ws();
        if self.b.get(self.i) == Some(&b']') {
            self.i += 1;
            return Some(list);
        }
        loop {
            list.push(self.step()?);
            match self.next()? {
                b',' => continue,
                b']' => return Some(list),
                _ => return None,
            }
        }
    }

    fn step(&mut self) -> Option<StepInfo> {
        // The compact forms WeChat and yundong write, `{"timestamp":N,"step":N}` (yundong, the API page) and
        // `{"step":N,"timestamp":N}` (WeChat's cloud samples), without the general machinery.
        let save = self.i;
        self.skip_ws();
        if self.literal(b"{\"timestamp\":") {
            let timestamp = self.int()?;
            if self.literal(b",\"step\":") {
                let step = self.int()?;
                if self.literal(b"}") {
                    return Some(StepInfo { timestamp, step });
                }
            }
        } else if self.literal(b"{\"step\":") {
            let step = self.int()?;
            if self.literal(b",\"timestamp\":") {
                let timestamp = self.int()?;
                if self.literal(b"}") {
                    return Some(StepInfo { timestamp, step });
                }
            }
        }
        self.i = save;
        let (mut timestamp, mut step) = (None, None);
        self.object(|p, key| match key {
            b"timestamp" if timestamp.is_none() => {
                timestamp = Some(p.int()?);
                Some(())
            }
            b"step" if step.is_none() => {
                step = Some(p.int()?);
                Some(())
            }
            _ => None,
        })?;
        Some(StepInfo {
            timestamp: timestamp?,
            step: step?,
        })
    }

    fn watermark(&mut self) -> Option<Watermark> {
        let (mut timestamp, mut appid) = (None, None);
        self.object(|p, key| match key {
            b"timestamp" if timestamp.is_none() => {
                timestamp = Some(p.int()?);
                Some(())
            }
            b"appid" if appid.is_none() => {
                appid = Some(std::str::from_utf8(p.string()?).ok()?.to_owned());
                Some(())
            }
            _ => None,
        })?;
        Some(Watermark {
            timestamp: timestamp?,
            appid: appid?,
        })
    }

    /// A non-empty object; `field` reads the value of each key (and refuses unknown or repeated ones).
    fn object(&mut self, mut field: impl FnMut(&mut Self, &[u8]) -> Option<()>) -> Option<()> {
        self.expect(b'{')?;
        loop {
            let key = self.string()?;
            self.expect(b':')?;
            field(self, key)?;
            match self.next()? {
                b',' => continue,
                b'}' => return Some(()),
                _ => return None,
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn serde(input: &[u8]) -> Option<WeRunData> {
        serde_json::from_slice(input).ok()
    }

    /// The fast path either declines or agrees with serde.
    fn agrees(input: &[u8]) -> Result<(), TestCaseError> {
        if let Some(fast) = parse_werun(input) {
            prop_assert_eq!(Some(fast), serde(input), "{:?}", String::from_utf8_lossy(input));
        }
        Ok(())
    }

    #[test]
    fn canonical_payloads_take_the_fast_path() {
        let json = r#"{"stepInfoList":[{"timestamp":1571673600,"step":9103},{"step":9783,"timestamp":1571760000}],"watermark":{"timestamp":1574338655,"appid":"wx3d289323f5900f8e"}}"#;
        let fast = parse_werun(json.as_bytes()).unwrap();
        assert_eq!(Some(fast.clone()), serde(json.as_bytes()));
        assert_eq!(fast.step_info_list[1].step, 9783);
        let spaced = " {\n \"watermark\" : { \"appid\" : \"wx\" , \"timestamp\" : -7 } ,\t\"stepInfoList\" : [ ] }\r\n";
        assert_eq!(parse_werun(spaced.as_bytes()), serde(spaced.as_bytes()));
        assert!(parse_werun(spaced.as_bytes()).is_some());
    }

    #[test]
    fn unusual_payloads_are_declined() {
        for bad in [
            "",
            "{}",
            "[]",
            r#"{"stepInfoList":[],"watermark":{"timestamp":1,"appid":"wx"},"x":1}"#,
            r#"{"stepInfoList":[],"stepInfoList":[],"watermark":{"timestamp":1,"appid":"wx"}}"#,
            r#"{"stepInfoList":[],"watermark":{"timestamp":1,"appid":"w\u0078"}}"#,
            r#"{"stepInfoList":[],"watermark":{"timestamp":1.0,"appid":"wx"}}"#,
            r#"{"stepInfoList":[],"watermark":{"timestamp":1e3,"appid":"wx"}}"#,
            r#"{"stepInfoList":[],"watermark":{"timestamp":01,"appid":"wx"}}"#,
            r#"{"stepInfoList":[],"watermark":{"timestamp":-,"appid":"wx"}}"#,
            r#"{"stepInfoList":[],"watermark":{"timestamp":-0,"appid":"wx"}}"#,
            r#"{"stepInfoList":[],"watermark":{"timestamp":9223372036854775808,"appid":"wx"}}"#,
            r#"{"stepInfoList":[],"watermark":{"timestamp":1,"appid":"wx"}} x"#,
            r#"{"stepInfoList":[,],"watermark":{"timestamp":1,"appid":"wx"}}"#,
            r#"{"stepInfoList":[{"step":1}],"watermark":{"timestamp":1,"appid":"wx"}}"#,
            r#"{"stepInfoList":[{"step":1,"step":2,"timestamp":3}],"watermark":{"timestamp":1,"appid":"wx"}}"#,
            r#"{"stepInfoList":[],"watermark":{"timestamp":1}}"#,
            r#"{"stepInfoList":[]}"#,
            r#"{"stepInfoList":[],"watermark":{"timestamp":1,"appid":null}}"#,
        ] {
            assert_eq!(parse_werun(bad.as_bytes()), None, "{bad}");
        }
        assert_eq!(
            parse_werun(br#"{"stepInfoList":[],"watermark":{"timestamp":1,"appid":"\xff"}}"#),
            None
        );
        let min = r#"{"stepInfoList":[{"timestamp":-9223372036854775808,"step":9223372036854775807}],"watermark":{"timestamp":0,"appid":""}}"#;
        assert_eq!(parse_werun(min.as_bytes()), serde(min.as_bytes()));
        assert!(parse_werun(min.as_bytes()).is_some());
    }

    #[test]
    fn eight_digits_is_exact() {
        for n in [
            0_u64, 1, 9, 10, 12_345_678, 99_999_999, 10_000_000, 1_795_190, 57_167_360,
        ] {
            let text = format!("{n:08}");
            assert_eq!(eight_digits(text.as_bytes()), Some(n), "{text}");
        }
        for bad in [
            "1234567",
            "123456789",
            "1234567a",
            "/1234567",
            "12345:78",
            "\u{ff}1234567",
            "        ",
        ] {
            assert_eq!(eight_digits(bad.as_bytes()), None, "{bad}");
        }
        for b in 0..=255_u8 {
            for pos in 0..8 {
                let mut chunk = *b"00000000";
                chunk[pos] = b;
                let expected = b
                    .is_ascii_digit()
                    .then(|| u64::from(b - b'0') * 10_u64.pow(7 - pos as u32));
                assert_eq!(eight_digits(&chunk), expected, "{chunk:?}");
            }
        }
    }

    proptest! {
        #[test]
        fn eight_digits_matches_parse(chunk in any::<[u8; 8]>(), n in 0_u64..100_000_000) {
            let expected = std::str::from_utf8(&chunk).ok()
                .filter(|t| t.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|t| t.parse::<u64>().ok());
            prop_assert_eq!(eight_digits(&chunk), expected);
            let text = format!("{n:08}");
            prop_assert_eq!(eight_digits(text.as_bytes()), Some(n));
        }
    }

    fn number() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<i64>().prop_map(|n| n.to_string()),
            (0_i64..100_000).prop_map(|n| n.to_string()),
            Just("-0".to_owned()),
            Just("1.5".to_owned()),
            Just("1e2".to_owned()),
            Just("007".to_owned()),
            Just("18446744073709551615".to_owned()),
            Just("\"12\"".to_owned()),
            Just("null".to_owned()),
        ]
    }

    fn ws() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => Just(String::new()),
            1 => "[ \t\r\n]{1,3}",
            1 => "[ \u{b}\u{c}]",
        ]
    }

    fn key(name: &'static str) -> impl Strategy<Value = String> {
        prop_oneof![
            8 => Just(format!("\"{name}\"")),
            1 => Just(format!("\"{}\"", name.replacen('t', "\\u0074", 1))),
            1 => Just(format!("\"{}\"", name.to_uppercase())),
        ]
    }

    fn object(fields: Vec<(String, String)>, w: Vec<String>) -> String {
        let mut out = String::from("{");
        for (i, (k, v)) in fields.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let pad = w.get(i % w.len().max(1)).cloned().unwrap_or_default();
            out.push_str(&format!("{pad}{k}{pad}:{pad}{v}{pad}"));
        }
        out.push('}');
        out
    }

    prop_compose! {
        fn step_entry()(t in number(), s in number(), tk in key("timestamp"), sk in key("step"),
                        swap in any::<bool>(), dup in prop::bool::weighted(0.05), w in prop::collection::vec(ws(), 1..3))
                        -> String {
            let mut fields = vec![(tk, t), (sk.clone(), s.clone())];
            if swap { fields.reverse(); }
            if dup { fields.push((sk, s)); }
            object(fields, w)
        }
    }

    prop_compose! {
        fn payload()(entries in prop::collection::vec(step_entry(), 0..5), t in number(),
                     appid in prop_oneof!["[a-z0-9]{0,18}", "\\PC{0,6}", Just("a\\\"b".to_owned())],
                     tk in key("timestamp"), ak in key("appid"), lk in key("stepInfoList"), wk in key("watermark"),
                     swap in any::<bool>(), extra in prop::bool::weighted(0.05), w in prop::collection::vec(ws(), 1..4),
                     tail in prop_oneof![8 => Just(String::new()), 1 => Just(" x".to_owned()), 1 => Just("\n".to_owned())])
                     -> String {
            let wm = object(vec![(tk, t), (ak, format!("\"{appid}\""))], w.clone());
            let mut fields = vec![(lk, format!("[{}]", entries.join(","))), (wk, wm)];
            if swap { fields.reverse(); }
            if extra { fields.push(("\"extra\"".to_owned(), "[1,{\"a\":2}]".to_owned())); }
            object(fields, w) + &tail
        }
    }

    proptest! {
        #[test]
        fn fast_parser_never_disagrees_with_serde(json in payload()) {
            agrees(json.as_bytes())?;
        }

        #[test]
        fn fast_parser_never_disagrees_on_mutated_bytes(json in payload(), at in any::<prop::sample::Index>(),
                                                         byte in any::<u8>(), cut in any::<bool>()) {
            let mut bytes = json.into_bytes();
            if !bytes.is_empty() {
                let i = at.index(bytes.len());
                if cut { bytes.truncate(i); } else { bytes[i] = byte; }
            }
            agrees(&bytes)?;
        }

        #[test]
        fn what_serde_writes_takes_the_fast_path(list in prop::collection::vec(any::<(i64, i64)>(), 0..40),
                                                 appid in "\\PC{0,20}", ts in any::<i64>()) {
            let data = WeRunData {
                step_info_list: list.into_iter().map(|(timestamp, step)| StepInfo { timestamp, step }).collect(),
                watermark: Watermark { timestamp: ts, appid },
            };
            let json = serde_json::to_vec(&data).unwrap();
            let fast = parse_werun(&json);
            // serde escapes some characters; only escape-free text must take the fast path.
            if !json.contains(&b'\\') {
                prop_assert_eq!(fast, Some(data));
            }
        }

        #[test]
        fn fast_base64_matches_the_reference(text in prop_oneof![
            "[A-Za-z0-9+/]{0,40}={0,3}",
            "[A-Za-z0-9+/ =\r\n]{0,40}",
            prop::collection::vec(any::<u8>(), 0..40).prop_map(|b| crypto::encode_b64(&b)),
            prop::collection::vec(any::<u8>(), 0..40).prop_map(|b| format!("\r\n{}\n", crypto::encode_b64(&b).replace('+', " "))),
        ]) {
            let b64 = Base64::new();
            prop_assert_eq!(b64.decode(Field::Iv, &text), crypto::decode_b64(Field::Iv, &text));
        }
    }

    #[test]
    fn fast_decrypt_matches_the_reference_on_every_error() {
        let b64 = Base64::new();
        let key = crypto::encode_b64(b"0123456789abcdef");
        let iv = crypto::encode_b64(b"fedcba9876543210");
        let data = crypto::encrypt(b"0123456789abcdef", b"fedcba9876543210", b"{}");
        for (k, i, d) in [
            (key.as_str(), iv.as_str(), data.as_str()),
            ("x", iv.as_str(), data.as_str()),
            ("AAAA", iv.as_str(), data.as_str()),
            (key.as_str(), "AAAA", data.as_str()),
            (key.as_str(), "!", data.as_str()),
            (key.as_str(), iv.as_str(), "AAAA"),
            (key.as_str(), iv.as_str(), ""),
            (key.as_str(), iv.as_str(), "****"),
            (iv.as_str(), key.as_str(), data.as_str()),
        ] {
            assert_eq!(b64.decrypt(k, i, d), crypto::decrypt(k, i, d), "{k} {i} {d}");
        }
    }
}
