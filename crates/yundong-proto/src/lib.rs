//! Wire types and pure logic shared by the yundong server, SDK and CLI.
//!
//! Everything here is free of I/O: no sockets, no files, no SQL, no async. The server serialises these types, the SDK
//! deserialises them, so a wire shape is written exactly once.

pub mod admin;
pub mod client;
pub mod control;
pub mod crypto;
pub mod day;
pub mod errcode;
pub mod faults;
pub mod ids;
pub mod opendata;
pub mod reason;
pub mod share;
pub mod share_paths;
pub mod sport;
pub mod text;
pub mod wechat;
pub mod werun;
pub mod werun_social;

pub use errcode::ErrCode;
