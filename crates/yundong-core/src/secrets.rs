//! Fresh random identifiers and secrets, from the OS CSPRNG, in the shapes WeChat uses.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use yundong_proto::crypto;

/// OS randomness fetched 4 KiB at a time per thread, handed out once each: one system call per 256 ivs instead of
/// one per iv (getWeRunData needs two per call).
struct Pool {
    buf: [u8; 4096],
    used: usize,
}

thread_local! {
    static POOL: std::cell::RefCell<Pool> = const { std::cell::RefCell::new(Pool { buf: [0; 4096], used: 4096 }) };
}

fn fill(out: &mut [u8]) {
    // The OS CSPRNG does not fail on the platforms we run on; if it ever did, serving predictable secrets would be
    // worse than stopping, so this is the one place that may panic.
    #[allow(clippy::expect_used)]
    getrandom::fill(out).expect("the OS random number generator failed");
}

fn bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    POOL.with_borrow_mut(|pool| {
        if pool.used + N > pool.buf.len() {
            fill(&mut pool.buf);
            pool.used = 0;
        }
        let taken = &mut pool.buf[pool.used..pool.used + N];
        b.copy_from_slice(taken);
        // Handed out once: wipe what was taken.
        taken.fill(0);
        pool.used += N;
    });
    b
}

fn url_safe<const N: usize>() -> String {
    URL_SAFE_NO_PAD.encode(bytes::<N>())
}

/// `wx` + 16 hex digits.
pub fn appid() -> String {
    format!("wx{}", hex::encode(bytes::<8>()))
}

/// 32 hex digits.
pub fn app_secret() -> String {
    hex::encode(bytes::<16>())
}

/// `gh_` + 12 hex digits.
pub fn original_id() -> String {
    format!("gh_{}", hex::encode(bytes::<6>()))
}

/// `o` + 27 URL-safe characters: 28 in all, like WeChat's openids.
pub fn openid() -> String {
    format!("o{}", url_safe::<20>())
}

/// Same shape as an openid; it is per (open platform, user) instead of per (app, user).
pub fn unionid() -> String {
    format!("o{}", url_safe::<20>())
}

/// A `wx.login` code: 32 URL-safe characters.
pub fn login_code() -> String {
    url_safe::<24>()
}

/// 16 random bytes.
pub fn key16() -> [u8; 16] {
    bytes::<16>()
}

/// 32 random bytes: a key for sealing.
pub fn key16_pair() -> [u8; 32] {
    bytes::<32>()
}

/// A session_key: base64 of 16 bytes, 24 characters with `==`.
pub fn session_key() -> String {
    crypto::encode_b64(&bytes::<16>())
}

/// A `/cgi-bin/token` access token.
pub fn access_token() -> String {
    format!("86_{}", url_safe::<48>())
}

/// A stable token is derived from the app secret the caller presents and a stored nonce, so that repeated calls
/// return the same token while no token is ever stored.
pub fn stable_token(secret: &str, appid: &str, nonce: &str) -> String {
    let mac = crypto::hmac_sha256(secret.as_bytes(), format!("stable_token:{appid}:{nonce}").as_bytes());
    format!("86_{}", URL_SAFE_NO_PAD.encode(mac))
}

pub fn nonce() -> String {
    url_safe::<16>()
}

/// A platform user's client bearer token.
pub fn user_token() -> String {
    format!("ydu_{}", url_safe::<32>())
}

/// The admin bearer token.
pub fn admin_token() -> String {
    format!("yda_{}", url_safe::<32>())
}

/// WeChat's request id: `xxxxxxxx-xxxxxxxx-xxxxxxxx`.
pub fn rid() -> String {
    let b = bytes::<12>();
    format!(
        "{}-{}-{}",
        hex::encode(&b[..4]),
        hex::encode(&b[4..8]),
        hex::encode(&b[8..])
    )
}

/// How secrets and tokens are kept at rest: their SHA-256. They carry ≥ 128 random bits, so a fast hash is enough.
pub fn hash(secret: &str) -> String {
    crypto::sha256_hex(secret.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use yundong_proto::ids;

    #[test]
    fn shapes_match_wechat() {
        assert!(ids::is_appid(&appid()));
        assert!(ids::is_original_id(&original_id()));
        assert!(ids::is_openid(&openid()));
        assert_eq!(app_secret().len(), 32);
        assert_eq!(login_code().len(), 32);
        let k = session_key();
        assert_eq!(k.len(), 24);
        assert!(k.ends_with("=="));
        assert_eq!(rid().len(), 26);
        assert_ne!(openid(), openid());
        assert_eq!(stable_token("s", "wx1", "n"), stable_token("s", "wx1", "n"));
        assert_ne!(stable_token("s", "wx1", "n"), stable_token("t", "wx1", "n"));
    }

    #[test]
    fn pooled_randomness_never_repeats_across_refills() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..1_000 {
            assert!(seen.insert(key16()), "a 16-byte value came twice");
        }
    }
}
