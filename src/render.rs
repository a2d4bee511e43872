//! Rendering replies into Discord messages that respect every Discord limit.
//!
//! The types here are plain data so that rendering is tested without serenity; the Discord
//! adapter converts them into serenity builders.

use serde::Serialize;

/// One embed, limited as Discord limits it (title 256, description 4096, field value 1024).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Embed {
    pub title: Option<String>,
    pub url: Option<String>,
    pub description: Option<String>,
    pub fields: Vec<Field>,
    pub footer: Option<String>,
    pub color: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Field {
    pub name: String,
    pub value: String,
    pub inline: bool,
}

/// One Discord message: optional content (2000 characters) and up to 10 embeds whose text
/// adds up to at most 6000 characters.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Message {
    pub content: Option<String>,
    pub embeds: Vec<Embed>,
}
