//! Fault rules and the request journal of the admin API (issue 13): wire types, validation, and the seeded hit/miss
//! decision. A rule makes calls to one path (and, optionally, one app) wait, fail with a WeChat errcode, or lose their
//! connection, so that a back end's retry paths can be tested against a local WeChat.

use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::{IntoParams, ToSchema};

use crate::errcode::ErrCode;

/// The longest delay a rule may add (30 s).
pub const MAX_DELAY_MS: i64 = 30_000;

/// `POST /admin/v1/faults`. Everything but `path` is optional; see docs/API.md for the defaults.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FaultRequest {
    /// A WeChat-compatible path (`/sns/jscode2session`, `/cgi-bin/token`, …) or a client API path (`/client/v1/…`).
    pub path: String,
    /// Only calls naming (or resolved to) this app.
    #[serde(default)]
    pub appid: Option<String>,
    /// The errcode answered (-1 when the rule neither drops nor is latency-only).
    #[serde(default)]
    pub errcode: Option<i64>,
    /// The errmsg text (WeChat's catalog text by default; required for errcodes outside the catalog).
    #[serde(default)]
    pub errmsg: Option<String>,
    /// The HTTP status of the answer (200 by default, as WeChat answers failures).
    #[serde(default)]
    pub http_status: Option<i64>,
    /// Milliseconds to wait before answering (0 to 30000).
    #[serde(default)]
    pub delay_ms: Option<i64>,
    /// Close the connection without answering.
    #[serde(default)]
    pub drop: Option<bool>,
    /// Chance that a matching call is faulted (0 to 1, default 1).
    #[serde(default)]
    pub probability: Option<f64>,
    /// Seed of the hit/miss sequence: the same seed gives the same sequence on every run (random when absent).
    #[serde(default)]
    pub seed: Option<i64>,
    /// Fire on the next N matching calls only (across all nodes), then never again.
    #[serde(default)]
    pub times: Option<i64>,
}

/// A rule as stored: every default filled in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct FaultRule {
    pub fault_id: String,
    pub path: String,
    pub appid: Option<String>,
    /// `null`: a latency-only rule (the call is served normally after `delay_ms`).
    pub errcode: Option<i64>,
    pub errmsg: Option<String>,
    pub http_status: i64,
    pub delay_ms: i64,
    pub drop: bool,
    pub probability: f64,
    pub seed: i64,
    pub times: Option<i64>,
}

/// A rule with its counters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct FaultStatus {
    #[serde(flatten)]
    pub rule: FaultRule,
    /// Calls the rule answered.
    pub hits: i64,
    /// Hits left of `times` (`null`: unlimited).
    pub remaining: Option<i64>,
    /// Calls that matched the rule (hit or not).
    pub matched: i64,
}

/// `GET /admin/v1/faults`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct FaultList {
    pub faults: Vec<FaultStatus>,
}

/// `DELETE /admin/v1/faults` and `DELETE /admin/v1/requests`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Removed {
    pub removed: u64,
}

/// Whether `path` is one a rule may name: a WeChat family path or a client API path.
pub fn faultable_path(path: &str) -> bool {
    ["/sns/", "/cgi-bin/", "/wxa/", "/hardware/", "/device/", "/client/v1/"]
        .iter()
        .any(|p| path.starts_with(p) && path.len() > p.len())
}

impl FaultRequest {
    /// The rule with its defaults filled in (`seed` when none is given), or what is wrong with it.
    pub fn validate(&self, seed: i64) -> Result<FaultRule, String> {
        let path = self.path.trim();
        if !faultable_path(path)
            || path.len() > 256
            || !path.bytes().all(|b| b.is_ascii_graphic())
            || path.contains('?')
        {
            return Err(
                "path must be a WeChat-compatible path (/sns/…, /cgi-bin/…, /wxa/…, /hardware/…, /device/…) \
                        or a client API path (/client/v1/…), without a query"
                    .into(),
            );
        }
        if let Some(appid) = &self.appid
            && (appid.is_empty() || appid.len() > 64 || !appid.bytes().all(|b| b.is_ascii_alphanumeric()))
        {
            return Err("appid must be 1 to 64 letters and digits".into());
        }
        let drop = self.drop.unwrap_or(false);
        let delay_ms = self.delay_ms.unwrap_or(0);
        if !(0..=MAX_DELAY_MS).contains(&delay_ms) {
            return Err(format!("delay_ms must be between 0 and {MAX_DELAY_MS}"));
        }
        if drop && (self.errcode.is_some() || self.errmsg.is_some() || self.http_status.is_some()) {
            return Err(
                "a rule that drops the connection answers nothing: give no errcode, errmsg or http_status".into(),
            );
        }
        let http_status = self.http_status.unwrap_or(200);
        if !(200..=599).contains(&http_status) {
            return Err("http_status must be between 200 and 599".into());
        }
        // Only a delay: the call is served after it. Nothing at all: errcode -1 (system error).
        let latency_only =
            !drop && delay_ms > 0 && self.errcode.is_none() && self.errmsg.is_none() && self.http_status.is_none();
        let errcode = match (drop, latency_only) {
            (false, false) => Some(self.errcode.unwrap_or(-1)),
            _ => None,
        };
        if let Some(code) = errcode
            && i32::try_from(code).is_err()
        {
            return Err("errcode must fit in 32 bits".into());
        }
        if let Some(m) = &self.errmsg
            && (m.is_empty() || m.chars().count() > 256 || m.chars().any(char::is_control))
        {
            return Err("errmsg must be 1 to 256 characters, none of them control characters".into());
        }
        let known = errcode.and_then(|c| ErrCode::from_code(c as i32));
        if errcode.is_some() && known.is_none() && self.errmsg.is_none() {
            return Err("errmsg is required for an errcode outside yundong's catalog".into());
        }
        let probability = self.probability.unwrap_or(1.0);
        if !(0.0..=1.0).contains(&probability) {
            return Err("probability must be between 0 and 1".into());
        }
        if let Some(times) = self.times
            && !(1..=1_000_000).contains(&times)
        {
            return Err("times must be between 1 and 1000000".into());
        }
        let seed = self.seed.unwrap_or(seed);
        if seed < 0 {
            return Err("seed must not be negative".into());
        }
        Ok(FaultRule {
            fault_id: String::new(),
            path: path.to_owned(),
            appid: self.appid.clone(),
            errcode,
            errmsg: self.errmsg.clone(),
            http_status,
            delay_ms,
            drop,
            probability,
            seed,
            times: self.times,
        })
    }
}

/// The text a rule answers with: its own errmsg, else the catalog's (`system error` for unknown codes).
pub fn errmsg_text(errcode: i64, errmsg: Option<&str>) -> String {
    match errmsg {
        Some(m) => m.to_owned(),
        None => i32::try_from(errcode)
            .ok()
            .and_then(ErrCode::from_code)
            .unwrap_or(ErrCode::SystemError)
            .message()
            .to_owned(),
    }
}

/// Whether the `n`-th matching call (from 1) of a rule with `seed` and `probability` is faulted: a fixed function of
/// the three, so every run with the same seed sees the same hits and misses.
pub fn seeded_hit(seed: i64, n: i64, probability: f64) -> bool {
    if probability >= 1.0 {
        return true;
    }
    // SplitMix64 of the seed and the call number: well mixed, no state.
    let mut z = (seed as u64) ^ (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    ((z >> 11) as f64 / (1u64 << 53) as f64) < probability
}

/// The fault id as the API shows it (`f` and the stored id) and back.
pub fn fault_id(id: i64) -> String {
    format!("f{id}")
}

pub fn parse_fault_id(text: &str) -> Option<i64> {
    text.strip_prefix('f')?.parse().ok().filter(|&n: &i64| n > 0)
}

/// `GET /admin/v1/requests` query.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct RequestQuery {
    /// Exact path.
    pub path: Option<String>,
    pub appid: Option<String>,
    pub errcode: Option<i64>,
    /// Only entries with an id above this (the last id already read): "what happened since".
    pub after: Option<i64>,
    /// At most this many entries (1 to 1000, default 100).
    pub limit: Option<i64>,
}

/// One journaled call, secrets masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RequestEntry {
    pub id: i64,
    /// Unix seconds on the deployment's clock.
    pub at: i64,
    pub method: String,
    pub path: String,
    pub appid: Option<String>,
    pub query: String,
    pub body: String,
    /// HTTP status answered (0: the connection was dropped by a fault rule).
    pub status: i64,
    pub errcode: Option<i64>,
    pub errmsg: Option<String>,
    pub rid: Option<String>,
    pub latency_ms: i64,
    pub fault_id: Option<String>,
    /// The answer's body, secrets masked.
    pub response: String,
    /// yundong's own explanation of a failure (never part of errmsg).
    pub detail: Option<String>,
}

/// `GET /admin/v1/requests`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct RequestList {
    pub requests: Vec<RequestEntry>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(v: serde_json::Value) -> FaultRequest {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn defaults_are_filled_in() {
        let r = req(serde_json::json!({"path": "/sns/jscode2session"}))
            .validate(7)
            .unwrap();
        assert_eq!(
            (r.errcode, r.http_status, r.delay_ms, r.drop),
            (Some(-1), 200, 0, false)
        );
        assert_eq!((r.probability, r.seed, r.times), (1.0, 7, None));
        let slow = req(serde_json::json!({"path": "/cgi-bin/token", "delay_ms": 3000}))
            .validate(0)
            .unwrap();
        assert_eq!(slow.errcode, None, "delay alone is a latency-only rule");
        let drop = req(serde_json::json!({"path": "/cgi-bin/token", "drop": true}))
            .validate(0)
            .unwrap();
        assert_eq!(drop.errcode, None);
    }

    #[test]
    fn bad_rules_are_refused() {
        for bad in [
            serde_json::json!({"path": "/admin/v1/apps"}),
            serde_json::json!({"path": "/sns/"}),
            serde_json::json!({"path": "/sns/x?y=1"}),
            serde_json::json!({"path": "/sns/x", "delay_ms": 30001}),
            serde_json::json!({"path": "/sns/x", "delay_ms": -1}),
            serde_json::json!({"path": "/sns/x", "probability": 1.5}),
            serde_json::json!({"path": "/sns/x", "times": 0}),
            serde_json::json!({"path": "/sns/x", "http_status": 99}),
            serde_json::json!({"path": "/sns/x", "drop": true, "errcode": 40001}),
            serde_json::json!({"path": "/sns/x", "errcode": 12345}),
            serde_json::json!({"path": "/sns/x", "delay_ms": 0, "drop": false, "probability": 0.5, "seed": -1}),
            serde_json::json!({"path": "/sns/x", "appid": "wx 1"}),
        ] {
            assert!(req(bad.clone()).validate(0).is_err(), "{bad}");
        }
        assert!(
            req(serde_json::json!({"path": "/sns/x", "errcode": 12345, "errmsg": "custom"}))
                .validate(0)
                .is_ok()
        );
    }

    #[test]
    fn the_hit_sequence_depends_on_the_seed_only() {
        let seq = |seed| (1..=200).map(|n| seeded_hit(seed, n, 0.3)).collect::<Vec<_>>();
        assert_eq!(seq(42), seq(42));
        assert_ne!(seq(42), seq(43));
        let hits = seq(42).iter().filter(|&&h| h).count();
        assert!((30..=90).contains(&hits), "about 30% of 200 hit: {hits}");
        assert!((1..=50).all(|n| seeded_hit(1, n, 1.0)));
        assert!((1..=50).all(|n| !seeded_hit(1, n, 0.0)));
    }

    #[test]
    fn fault_ids_round_trip() {
        assert_eq!(parse_fault_id(&fault_id(12)), Some(12));
        assert_eq!(parse_fault_id("12"), None);
        assert_eq!(parse_fault_id("f0"), None);
        assert_eq!(parse_fault_id("fx"), None);
    }
}
