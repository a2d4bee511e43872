//! Test support next to the fake Discord: a fake Hugging Face API serving saved days, and the
//! real `paperboy` binary run as a bot process with its log captured.

// Each test binary uses only part of this module.
#![allow(dead_code)]

pub mod bot;
pub mod fake_hf;
