//! Summaries: Hugging Face ai_summary when present, else an extractive summary of the abstract.
