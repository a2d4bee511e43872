//! Paperboy: a Discord bot for research communities.
//!
//! The modules follow the data flow: `sources` turn provider payloads into [`paper::Paper`],
//! `store` owns every SQL statement, `core` holds the queries that both the command line and
//! Discord use, `render` turns their replies into Discord messages within Discord's limits, and
//! `discord` is the thin adapter that runs the bot.

pub mod cli;
pub mod config;
pub mod core;
pub mod discord;
pub mod error;
pub mod ids;
pub mod ingest;
pub mod paper;
pub mod render;
pub mod sources;
pub mod store;
pub mod text;
