//! Test support next to the fake Discord: a fake Hugging Face API serving saved days, and the
//! real `paperboy` binary run as a bot process with its log captured. Digest tests add stores
//! with crafted papers, log capture and a proxy that counts requests in flight.

// Each test binary uses only part of this module.
#![allow(dead_code)]

pub mod bot;
pub mod digests;
pub mod fake_hf;
pub mod in_flight;
pub mod logs;
