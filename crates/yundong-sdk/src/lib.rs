//! # yundong-sdk
//!
//! A Rust SDK for the back end of a mini program that uses WeChat's WeRun (微信运动) open ability, against real
//! WeChat or a yundong server — the same code, only the base URL differs.
//!
//! * [`Client`]: `code2session` (no token fetch), `check_session` / `reset_session_key`, `set_step`,
//!   `get_open_data`, and any other call through [`Client::call`]; every request goes to the one configured base
//!   URL. Access tokens (stable by default) are cached in a pluggable [`TokenStore`], refreshed ahead of expiry
//!   by one caller at a time, expired compare-then-expire on 40001 / 42001 with exactly one retry; `-1` is
//!   retried with bounded backoff; 45009 / 45011 never are.
//! * [`Decryptor`]: open data decrypted with exact PKCS#7, the watermark's appid checked by default and its age on
//!   request, and errors that name the wrong input ([`DecryptError`], [`OpenDataError`]).
//! * [`WeRunData`]: steps per local day (UTC+8 by default), [`WeRunData::today`], [`WeRunData::last_n_days`];
//!   [`ShareInfo`] for `openGId`; [`verify_raw_data`] for `rawData` signatures.
//! * [`Error`]: [`Error::Api`] carries every catalog errcode as an [`ErrCode`] and keeps unknown ones as numbers.
//!
//! ## The login → code2session → decrypt flow
//!
//! ```no_run
//! use yundong_sdk::Client;
//!
//! # async fn run(js_code: &str, iv: &str, encrypted_data: &str) -> Result<(), yundong_sdk::Error> {
//! let client = Client::builder("wx0123456789abcdef", "app-secret")
//!     .base_url("http://127.0.0.1:8080") // yundong; leave out for api.weixin.qq.com
//!     .build()?;
//! // 1. The mini program calls wx.login and sends you the code; exchange it.
//! let session = client.code2session(js_code).await?;
//! // 2. It calls wx.getWeRunData and sends you encryptedData and iv; decrypt them with the session_key.
//! let data = client.decrypt_werun(&session.session_key, iv, encrypted_data)?;
//! println!("{} steps today, {} this week", data.today().unwrap_or(0), data.total_last_n_days(7));
//! # Ok(()) }
//! ```
//!
//! Decryption alone needs no client and no network:
//!
//! ```
//! use yundong_sdk::{Decryptor, OpenDataError};
//!
//! let decryptor = Decryptor::new("wx0123456789abcdef");
//! let err = decryptor.decrypt_werun("not base64!", "AAAAAAAAAAAAAAAAAAAAAA==", "AAAA").unwrap_err();
//! assert_eq!(err.to_string(), "session_key is not valid base64 (standard alphabet with '=' padding)");
//! assert!(matches!(err, OpenDataError::Decrypt(_)));
//! ```
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod api;
pub mod client;
pub mod clock;
pub mod error;
mod fast;
pub mod http;
pub mod opendata;
mod response;
pub mod token;
pub mod werun;

pub use api::{OpenDataContent, OpenDataEntry, ResetSession, Session};
pub use client::{Client, ClientBuilder, DEFAULT_BASE_URL, RetryPolicy};
pub use clock::{Clock, SystemClock};
pub use error::{
    ApiCode, DecryptError, Error, Field, OpenDataError, Result, TokenStoreError, TransportError, TransportErrorKind,
};
pub use http::{HttpRequest, HttpResponse, HttpTransport, ReqwestTransport};
pub use opendata::{Decryptor, verify_raw_data};
pub use token::{CachedToken, MemoryTokenStore, TokenKind, TokenStore};
pub use werun::{DayZone, ShareInfo, StepInfo, Watermark, WeRunData};
pub use yundong_proto::ErrCode;

/// The README's examples, compiled as doc tests so that it cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
