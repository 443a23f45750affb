//! Per-node copies of the two lookups every request makes: the app by appid (or id) and the user by client token.
//! Each entry remembers the feed stamp it was read at and holds only while the change feed shows no change to it:
//! an app's secret reset or capability change appends the app's key, a token reset appends the user's token key
//! (migration 0006's triggers). Only hits are cached, so an app or user created through another node is found in
//! the database. Bounded: a map that reaches its cap is emptied.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use yundong_store::{AppId, AppRow, UserId};

use super::Stamp;

const APP_CACHE_MAX: usize = 100_000;
const USER_CACHE_MAX: usize = 200_000;

/// The key under which the change feed records a change to the app with internal id `id`.
pub(crate) fn app_key(id: AppId) -> [UserId; 1] {
    [UserId(-id.0)]
}

/// The key under which the change feed records a replaced token of user `id` (migration 0006): apart from the
/// user's own key, which every write concerning the user (a step upload …) appends, so that uploads do not void the
/// cached token → user mapping they rely on.
pub(crate) fn token_key(id: UserId) -> [UserId; 1] {
    [UserId(-(1_i64 << 62) - id.0)]
}

/// App rows by appid and by id, each with the feed stamp it was read at.
#[derive(Default)]
pub(crate) struct Apps {
    pub(crate) by_appid: RwLock<HashMap<String, (Arc<AppRow>, Stamp)>>,
    pub(crate) by_id: RwLock<HashMap<AppId, (Arc<AppRow>, Stamp)>>,
}

impl Apps {
    pub(crate) fn put(&self, app: &Arc<AppRow>, stamp: Stamp) {
        if let Ok(mut m) = self.by_appid.write() {
            if m.len() >= APP_CACHE_MAX {
                m.clear();
            }
            m.insert(app.appid.clone(), (app.clone(), stamp));
        }
        if let Ok(mut m) = self.by_id.write() {
            if m.len() >= APP_CACHE_MAX {
                m.clear();
            }
            m.insert(app.id, (app.clone(), stamp));
        }
    }
}

/// User ids (with the feed stamp they were read at) by the SHA-256 of their client token.
#[derive(Default)]
pub(crate) struct TokenUsers(RwLock<HashMap<[u8; 32], (UserId, Stamp)>>);

impl TokenUsers {
    pub(crate) fn get(&self, digest: &[u8; 32]) -> Option<(UserId, Stamp)> {
        self.0.read().ok().and_then(|m| m.get(digest).copied())
    }

    pub(crate) fn put(&self, digest: [u8; 32], id: UserId, stamp: Stamp) {
        if let Ok(mut m) = self.0.write() {
            if m.len() >= USER_CACHE_MAX {
                m.clear();
            }
            m.insert(digest, (id, stamp));
        }
    }
}
