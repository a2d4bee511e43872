//! Hugging Face Daily Papers: client and payload mapping.
