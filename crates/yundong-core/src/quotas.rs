//! Per-user quotas on what a user can make the server store: check-ins (`wx.shareToWeRun`), share cards and image
//! bytes. Counted in the database inside the writing transaction, so they hold across nodes and under concurrency
//! (see `yundong_store::Quota`); a write over a quota changes nothing and is answered
//! `<api>:fail too many requests: …` with HTTP 429. WeChat publishes no numbers for these; ours are in `Config`
//! and docs/API.md.

use yundong_store::{Quota, UserId};

use crate::config::Config;

fn minute(now: i64) -> i64 {
    now - now.rem_euclid(60)
}

fn day(now: i64) -> i64 {
    now - now.rem_euclid(86_400)
}

fn quota(key: String, window_start: i64, amount: i64, limit: i64, what: &'static str) -> Quota {
    Quota {
        key,
        window_start,
        amount,
        limit,
        what,
    }
}

/// One more check-in by `user_id`.
pub fn check_in(config: &Config, user_id: UserId, now: i64) -> Vec<Quota> {
    vec![
        quota(
            format!("checkin:{user_id}"),
            minute(now),
            1,
            config.check_ins_per_minute,
            "check-ins per minute",
        ),
        quota(
            format!("checkin-day:{user_id}"),
            day(now),
            1,
            config.check_ins_per_day,
            "check-ins per day",
        ),
    ]
}

/// One more share card sent by `user_id`.
pub fn share_card(config: &Config, user_id: UserId, now: i64) -> Vec<Quota> {
    vec![
        quota(
            format!("card:{user_id}"),
            minute(now),
            1,
            config.share_cards_per_minute,
            "share cards per minute",
        ),
        quota(
            format!("card-day:{user_id}"),
            day(now),
            1,
            config.share_cards_per_day,
            "share cards per day",
        ),
    ]
}

/// `bytes` more image bytes uploaded by `user_id`.
pub fn image_bytes(config: &Config, user_id: UserId, now: i64, bytes: i64) -> Vec<Quota> {
    vec![quota(
        format!("image-bytes:{user_id}"),
        day(now),
        bytes,
        config.image_bytes_per_day,
        "image bytes per day",
    )]
}
