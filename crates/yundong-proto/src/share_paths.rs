//! What a card's `imagePath` and `webpageUrl` may be (docs/WECHAT.md §6.1 and §10.8): the two values WeChat's own
//! example of `wx.miniapp.shareMiniProgramMessage` passes in forms a stricter reading would refuse
//! (`imagePath: '/pages/thumb.png'`, a code-package image, and `webpageUrl: 'www.qq.com'`, no scheme).
//!
//! * `imagePath` is a temp file (`wxfile://tmp_…`, uploaded by the sender) or a **code-package image path**: yundong
//!   holds no code package, so a package path that could name an image in one is accepted and the card shows a
//!   placeholder thumbnail (docs/API.md §2). Network URLs, other schemes, an absolute path climbing above the package
//!   root and files that are not PNG or JPEG are refused.
//! * `webpageUrl` is an `http(s)://` URL, or a scheme-less one (`www.qq.com`, `//www.qq.com`) that is stored and
//!   answered with `https://` in front.

use std::borrow::Cow;

use crate::share::{MAX_PATH_BYTES, TEMP_FILE_SCHEME, temp_file_name};

/// Where a card's thumbnail comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageSource<'a> {
    /// A temp file the sender uploaded: its name (`tmp_<32 hex>.png|jpg`).
    Temp(&'a str),
    /// A path inside the mini program's code package, as passed (`/pages/thumb.png`, `images/a.jpg`).
    Package(&'a str),
}

/// The image types a code-package thumbnail may have: WeChat's share images are PNG or JPG.
const PACKAGE_IMAGE_EXTENSIONS: [&str; 3] = ["png", "jpg", "jpeg"];

/// Classify an `imagePath`, or say why it cannot be a card's thumbnail (the text after `invalid imagePath: `).
pub fn image_source(path: &str) -> Result<ImageSource<'_>, &'static str> {
    if path.is_empty() {
        return Err("required");
    }
    let lower = path.get(..8).unwrap_or(path).to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return Err("network images are not supported: pass a code-package path or a wxfile:// path from uploadFile");
    }
    if path.starts_with(TEMP_FILE_SCHEME) {
        return temp_file_name(path)
            .map(ImageSource::Temp)
            .ok_or("must be a wxfile://tmp_….png|jpg path returned by uploadFile");
    }
    package_path(path).map(ImageSource::Package)
}

fn package_path(path: &str) -> Result<&str, &'static str> {
    if path.len() > MAX_PATH_BYTES {
        return Err("a code-package path is at most 1024 bytes");
    }
    if path.contains(':') {
        return Err("only code-package paths and wxfile:// temp files are supported");
    }
    if path
        .chars()
        .any(|c| c.is_control() || c == '\\' || c == '?' || c == '#')
    {
        return Err("a code-package path must not contain control characters, \\, ? or #");
    }
    let absolute = path.starts_with('/');
    let mut depth: i64 = 0;
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    for seg in &segments {
        match *seg {
            "" => return Err("a code-package path must not contain empty segments (//)"),
            "." => {}
            ".." => {
                depth -= 1;
                if absolute && depth < 0 {
                    return Err("the path climbs above the code package's root");
                }
            }
            _ => depth += 1,
        }
    }
    let file = segments.last().copied().unwrap_or("");
    let ext = file
        .rsplit_once('.')
        .map(|(stem, ext)| (stem, ext.to_ascii_lowercase()));
    match ext {
        Some((stem, ext)) if !stem.is_empty() && PACKAGE_IMAGE_EXTENSIONS.contains(&ext.as_str()) => Ok(path),
        _ => Err("a code-package thumbnail must be a .png, .jpg or .jpeg file"),
    }
}

/// A card's `webpageUrl`, as stored: an `http(s)://` URL unchanged, a scheme-less one (`www.qq.com`,
/// `//www.qq.com/a`) with `https://` in front. The error is the text after `invalid webpageUrl: `.
pub fn web_url(url: &str) -> Result<Cow<'_, str>, &'static str> {
    if url.is_empty() {
        return Err("required");
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must not contain spaces or control characters");
    }
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        return crate::share::check_web_url(url).map(|()| Cow::Borrowed(url));
    }
    if url.contains("://") {
        return Err("must be an http:// or https:// URL");
    }
    let rest = url.strip_prefix("//").unwrap_or(url);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let (host, port) = match authority.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (authority, None),
    };
    let host_ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        && host.bytes().any(|b| b.is_ascii_alphanumeric())
        && !host.starts_with(['.', '-']);
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    if !host_ok || !port_ok {
        return Err("must be an http:// or https:// URL, or a host name such as www.qq.com");
    }
    Ok(Cow::Owned(format!("https://{rest}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_package_and_temp_paths() {
        let tmp = "wxfile://tmp_0123456789abcdef0123456789abcdef.png";
        assert_eq!(
            image_source(tmp),
            Ok(ImageSource::Temp("tmp_0123456789abcdef0123456789abcdef.png"))
        );
        for ok in [
            "/pages/thumb.png",
            "images/a.JPG",
            "./a.jpeg",
            "../../images/share.png",
            "/a/../b.png",
        ] {
            assert_eq!(image_source(ok), Ok(ImageSource::Package(ok)), "{ok}");
        }
        for bad in [
            "",
            "https://x.test/a.png",
            "HTTP://x.test/a.png",
            "wxfile://tmp_x.png",
            "wxfile://usr/a.png",
            "data:image/png;base64,AAAA",
            "file:///etc/a.png",
            "/../a.png",
            "/a/../../b.png",
            "/pages//thumb.png",
            "/pages/thumb.gif",
            "/pages/thumb",
            "/pages/.png",
            "/pages/thumb.png?x=1",
            "/pages\\thumb.png",
            "/pages/thu\nmb.png",
        ] {
            assert!(image_source(bad).is_err(), "{bad:?} should be refused");
        }
        assert!(image_source(&format!("/{}.png", "a".repeat(1100))).is_err());
    }

    #[test]
    fn scheme_less_urls_get_https() {
        assert_eq!(web_url("www.qq.com").as_deref(), Ok("https://www.qq.com"));
        assert_eq!(web_url("//www.qq.com/a?b#c").as_deref(), Ok("https://www.qq.com/a?b#c"));
        assert_eq!(web_url("localhost:8080/x").as_deref(), Ok("https://localhost:8080/x"));
        assert_eq!(web_url("http://example.com/").as_deref(), Ok("http://example.com/"));
        assert_eq!(web_url("HTTPS://example.com").as_deref(), Ok("HTTPS://example.com"));
        for bad in [
            "",
            "javascript:alert(1)",
            "ftp://x",
            "data:text/html,x",
            "https:///x",
            "www.qq .com",
            ".qq.com",
            "-qq.com",
            "//",
            "/pages/index",
            "qq.com:",
            "qq.com:123456",
            "qq.com:8a",
            "a_b.com",
        ] {
            assert!(web_url(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
