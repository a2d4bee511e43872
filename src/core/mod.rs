//! Core queries shared by the command line and Discord. Nothing here knows about serenity.

pub mod schedule;
pub mod summary;
