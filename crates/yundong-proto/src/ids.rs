//! Shapes of WeChat identifiers. Generation needs randomness and lives in the server; these only recognise them.

fn all(s: &str, pred: fn(u8) -> bool) -> bool {
    s.bytes().all(pred)
}

fn is_lower_hex(b: u8) -> bool {
    b.is_ascii_digit() || (b'a'..=b'f').contains(&b)
}

/// `wx` + 16 lowercase hex digits.
pub fn is_appid(s: &str) -> bool {
    s.len() == 18 && s.starts_with("wx") && all(&s[2..], is_lower_hex)
}

/// `gh_` + 12 lowercase hex digits: a mini program's original id.
pub fn is_original_id(s: &str) -> bool {
    s.len() == 15 && s.starts_with("gh_") && all(&s[3..], is_lower_hex)
}

/// `o` + 27 URL-safe base64 characters (28 in all), as WeChat's openids are.
pub fn is_openid(s: &str) -> bool {
    s.len() == 28 && s.starts_with('o') && all(s, |b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert!(is_appid("wx4f4bc4dec97d474b"));
        assert!(!is_appid("wx4f4bc4dec97d474"));
        assert!(!is_appid("wx4F4bc4dec97d474b"));
        assert!(is_original_id("gh_0123456789ab"));
        assert!(!is_original_id("gh_0123456789abc"));
        assert!(is_openid("oGZUI0egBJY1zhBYw2KhdUfwVJJE"));
        assert!(!is_openid("xGZUI0egBJY1zhBYw2KhdUfwVJJE"));
    }
}
