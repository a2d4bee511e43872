//! Provider clients. Each turns its payloads into [`crate::paper::Paper`] and knows nothing of
//! Discord or the store.

pub mod arxiv;
pub mod hf;
pub mod llm;
