//! Ingest: fetch or read Hugging Face days and write them to the store.
