//! Tests of the real `yundong` binary: started as a process, driven over HTTP, killed and restarted.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cors;
mod crash;
mod demo;
mod durable;
mod faults;
mod first_hour;
mod log_secrets;
mod operator;
mod ops;
mod process;
mod scenario;
mod walkthrough;
