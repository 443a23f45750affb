//! Domain operations shared by more than one API surface.

pub mod accounts;
pub mod opendata;
pub mod quotas;
pub mod ranking;
pub mod scenario;
pub mod share;
pub mod steps;
