//! The Discord adapter: the poise framework, slash commands and the digest poster.
