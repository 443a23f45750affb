//! The UI's files, embedded at compile time from `crates/yundong-server/assets/ui/`.

/// One embedded file: the name it is served under (below `/ui/`), its media type and its bytes.
#[derive(Debug, Clone, Copy)]
pub struct Asset {
    pub name: &'static str,
    pub content_type: &'static str,
    pub body: &'static [u8],
}

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const SVG: &str = "image/svg+xml";

macro_rules! asset {
    ($name:literal, $file:literal, $ty:expr) => {
        Asset {
            name: $name,
            content_type: $ty,
            body: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/ui/", $file)),
        }
    };
}

/// The 404 page for unknown paths under `/ui/`.
pub const NOT_FOUND: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/ui/404.html"));

impl Asset {
    /// Pages are served without `.html` (`/ui/ranking`); the sign-in page is `/ui/`.
    pub const ALL: [Asset; 23] = [
        asset!("", "index.html", HTML),
        asset!("ranking", "ranking.html", HTML),
        asset!("detail", "detail.html", HTML),
        asset!("simulator", "simulator.html", HTML),
        asset!("chat", "chat.html", HTML),
        asset!("devices", "devices.html", HTML),
        asset!("devices.js", "devices.js", JS),
        asset!("settings", "settings.html", HTML),
        asset!("console", "console.html", HTML),
        asset!("console.js", "console.js", JS),
        asset!("console.css", "console.css", CSS),
        asset!("style.css", "style.css", CSS),
        asset!("wx.css", "wx.css", CSS),
        asset!("wx.js", "wx.js", JS),
        asset!("yd.js", "yd.js", JS),
        asset!("signin.js", "signin.js", JS),
        asset!("ranking.js", "ranking.js", JS),
        asset!("detail.js", "detail.js", JS),
        asset!("simulator.js", "simulator.js", JS),
        asset!("chat.js", "chat.js", JS),
        asset!("settings.js", "settings.js", JS),
        asset!("icon.svg", "icon.svg", SVG),
        asset!("cover.svg", "cover.svg", SVG),
    ];

    pub fn find(name: &str) -> Option<Asset> {
        Asset::ALL.into_iter().find(|a| a.name == name)
    }

    /// A strong validator: FNV-1a of the bytes (the files are fixed for the life of the binary).
    pub fn etag(&self) -> String {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in self.body {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        format!("\"{h:016x}\"")
    }
}
