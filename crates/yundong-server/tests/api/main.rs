//! The server's black-box suite: one test binary, one module per area. Every test starts a real server on
//! 127.0.0.1:0 through yundong-testkit, on a fresh SQLite file, or on a fresh PostgreSQL database when
//! `YUNDONG_TEST_POSTGRES` is set (scripts/test runs it both ways).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod admin;
mod bad_input;
mod cache_coherence;
mod checkin;
mod client_werun;
mod cors;
mod faults;
mod hostile;
mod journal;
mod journal_api;
mod likes_and_apps;
mod metrics;
mod multi_node;
mod quota;
mod ranking;
mod ranking_pages;
mod rate_limits;
mod readiness;
mod reset;
mod scenario;
mod security;
mod share;
mod share_examples;
mod slow_clients;
mod smoke;
mod steps_ingest;
mod strict;
mod support;
mod upgrade;
mod wechat_login;
mod wechat_opendata;
mod wechat_session;
mod wechat_token;
