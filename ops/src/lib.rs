//! Operations tooling for nfl-predictor: one typed topology ([`topology::Topology`]) from
//! which every deployment artifact is rendered ([`render`]), checked by its ecosystem's own
//! validator ([`validate`]), and deployed ([`deploy`]).

pub mod deploy;
pub mod error;
pub mod floor;
pub mod loadgen;
pub mod render;
pub mod topology;
pub mod ui;
pub mod validate;

pub use error::{Error, Result};
