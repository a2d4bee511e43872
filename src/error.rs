//! Errors in two tiers: text written for users, and internal chains for the log.
//!
//! A [`UserError`] is the person's to fix (a blank query, an unknown zone) and its text is shown
//! as it is. Anything else is ours: the user sees one generic line and the log gets the chain.

use crate::store::StoreError;

/// A problem with what the user typed or asked for. The text says what is wrong and what to
/// do instead, in plain words, and is safe to show on Discord or a terminal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UserError(pub String);

impl UserError {
    pub fn new(text: impl Into<String>) -> Self {
        UserError(text.into())
    }
}

/// The error type of the core queries.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    User(#[from] UserError),
    #[error("store error")]
    Store(#[from] StoreError),
    #[error("{context}")]
    Source {
        context: String,
        /// A sentence the user may see: what failed, without internal detail.
        user_text: String,
    },
}

/// The line users see for an error that is ours, not theirs.
pub const INTERNAL_ERROR_TEXT: &str =
    "Something went wrong on Paperboy's side. The details are in the bot's log; please try again later.";

impl Error {
    /// The text to show the person who ran the command.
    pub fn user_text(&self) -> String {
        match self {
            Error::User(e) => e.0.clone(),
            Error::Source { user_text, .. } => user_text.clone(),
            Error::Store(_) => INTERNAL_ERROR_TEXT.to_string(),
        }
    }

    pub fn is_user_error(&self) -> bool {
        matches!(self, Error::User(_))
    }
}

/// Formats an error and its sources as one line for the log.
pub fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
