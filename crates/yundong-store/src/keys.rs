//! Typed row keys of the platform's own records, so a user's id can never be passed where an app's is expected.
//!
//! These are yundong's internal ids (database row ids), not WeChat's identifiers: an app's WeChat `appid` is the
//! string `wx…` (see `yundong_proto::ids`), a user's per-app identity is an openid. They bind and decode as the
//! `BIGINT`/`INTEGER` columns they are (`sqlx(transparent)`). The wire shapes of the admin and client
//! APIs carry these ids as plain JSON numbers, which is what `#[serde(transparent)]` gives.
//!
//! The argument order across the store and the core is always: who (user, viewer), then which app, then which day.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! row_key {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, sqlx::Type)]
        #[serde(transparent)]
        #[sqlx(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<$name> for i64 {
            fn from(id: $name) -> i64 {
                id.0
            }
        }
    };
}

row_key!(
    /// A user of the platform (one WeChat account), the same for every app.
    UserId
);
row_key!(
    /// An app (a mini program) as yundong stores it; not the `wx…` appid string.
    AppId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialise_as_plain_numbers() {
        assert_eq!(serde_json::to_string(&UserId(7)).unwrap(), "7");
        assert_eq!(serde_json::from_str::<AppId>("42").unwrap(), AppId(42));
        assert_eq!(UserId(3).to_string(), "3");
    }
}
