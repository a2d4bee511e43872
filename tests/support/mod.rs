//! Shared integration-test support: a fake Discord (REST and gateway) on 127.0.0.1.
//!
//! Include it from a test file with `mod support;`.

// Each test binary compiles this module and uses only part of it, so unused items and
// re-exports are expected.
#![allow(dead_code, unused_imports)]

pub mod fake_discord;
mod gateway;
pub mod limits;
pub mod openapi;
pub mod payloads;
mod rest;

pub use fake_discord::{FakeConfig, FakeDiscord, Fault, InteractionView, RecordedRequest};
pub use payloads::{BuiltInteraction, InteractionBuilder};
