//! Local fakes for the lookup and summary tests: an arXiv API serving the recorded Atom
//! responses, and an OpenAI-compatible chat endpoint with a scripted answer.

// Each test binary uses only part of this module.
#![allow(dead_code)]

pub mod fake_arxiv;
pub mod fake_llm;
