//! A client for an OpenAI-compatible chat endpoint (`POST {base}/v1/chat/completions`).
//!
//! llama.cpp's `llama-server`, Ollama and hosted APIs serve this route with the same request
//! and response shapes, so one client covers them. The client only sends messages and cleans
//! the completion. The prompts and the handling of failures belong to the caller.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use url::Url;

use crate::config::Secret;

/// Largest response body accepted. A summary completion is a few kilobytes.
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Errors from a chat request. The messages leave out URLs, keys and response bodies, so they
/// can be shown to users; the `source` chain carries library details for the log.
#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    #[error("the language model base URL `{url}` is invalid; expected an http or https URL such as http://127.0.0.1:8080")]
    InvalidBaseUrl { url: String },
    #[error("could not set up the connection to the language model")]
    ClientSetup(#[source] reqwest::Error),
    #[error("the language model did not answer within {} s", .timeout.as_secs())]
    Timeout {
        timeout: Duration,
        #[source]
        source: reqwest::Error,
    },
    #[error("could not connect to the language model")]
    Unreachable(#[source] reqwest::Error),
    #[error("the connection to the language model failed")]
    Transport(#[source] reqwest::Error),
    #[error("the language model endpoint returned HTTP {status}")]
    Status { status: u16 },
    #[error("the language model endpoint returned a response larger than 1 MB")]
    ResponseTooLarge,
    #[error("the language model endpoint returned a response that is not a chat completion")]
    InvalidResponse(#[source] serde_json::Error),
    #[error("the language model returned an empty answer")]
    EmptyAnswer,
}

/// A cleaned completion of the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    pub text: String,
    /// True when the model stopped at `max_tokens`, so the text may end mid-sentence.
    pub truncated: bool,
}

/// A client for one model on one OpenAI-compatible endpoint.
#[derive(Clone)]
pub struct LlmClient {
    http: reqwest::Client,
    completions_url: Url,
    model: String,
    api_key: Option<Secret>,
    timeout: Duration,
    max_tokens: u32,
}

impl std::fmt::Debug for LlmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmClient")
            .field("completions_url", &self.completions_url.as_str())
            .field("model", &self.model)
            .field("api_key", &self.api_key)
            .field("timeout", &self.timeout)
            .field("max_tokens", &self.max_tokens)
            .finish()
    }
}

#[derive(Serialize)]
struct ChatRequest<'a> {
    model: &'a str,
    messages: [ChatMessage<'a>; 2],
    max_tokens: u32,
    temperature: f32,
    stream: bool,
}

#[derive(Serialize)]
struct ChatMessage<'a> {
    role: &'static str,
    content: &'a str,
}

#[derive(Deserialize)]
struct ChatResponse {
    choices: Vec<Choice>,
}

#[derive(Deserialize)]
struct Choice {
    message: AnswerMessage,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct AnswerMessage {
    #[serde(default)]
    content: Option<String>,
}

impl LlmClient {
    /// Creates a client for `model` at `base_url` (scheme, host and optional path prefix; the
    /// client appends `/v1/chat/completions`). `timeout` bounds each whole request.
    pub fn new(
        base_url: &str,
        model: &str,
        api_key: Option<Secret>,
        timeout: Duration,
        max_tokens: u32,
    ) -> Result<Self, LlmError> {
        let completions_url = completions_url_for(base_url)?;
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(timeout)
            .user_agent(concat!("paperboy/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(LlmError::ClientSetup)?;
        Ok(LlmClient {
            http,
            completions_url,
            model: model.trim().to_string(),
            api_key,
            timeout,
            max_tokens,
        })
    }

    pub fn model(&self) -> &str {
        &self.model
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Sends one system and one user message and returns the cleaned completion (see
    /// [`clean_completion`]). A completion that is blank once cleaned is
    /// [`LlmError::EmptyAnswer`].
    pub async fn complete(&self, system: &str, user: &str) -> Result<Completion, LlmError> {
        let request = ChatRequest {
            model: &self.model,
            messages: [
                ChatMessage {
                    role: "system",
                    content: system,
                },
                ChatMessage {
                    role: "user",
                    content: user,
                },
            ],
            max_tokens: self.max_tokens,
            temperature: 0.2,
            stream: false,
        };
        let mut builder = self.http.post(self.completions_url.clone()).json(&request);
        if let Some(key) = &self.api_key {
            builder = builder.bearer_auth(key.expose());
        }
        tracing::debug!(model = %self.model, "sending chat completion request");

        let mut response = builder
            .send()
            .await
            .map_err(|error| self.transport_error(error))?;
        let status = response.status();
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|error| self.transport_error(error))?
        {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(LlmError::ResponseTooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        if !status.is_success() {
            return Err(LlmError::Status {
                status: status.as_u16(),
            });
        }

        let parsed: ChatResponse =
            serde_json::from_slice(&body).map_err(LlmError::InvalidResponse)?;
        let Some(choice) = parsed.choices.into_iter().next() else {
            return Err(LlmError::EmptyAnswer);
        };
        let text = clean_completion(choice.message.content.as_deref().unwrap_or_default());
        if text.is_empty() {
            return Err(LlmError::EmptyAnswer);
        }
        Ok(Completion {
            text,
            truncated: choice.finish_reason.as_deref() == Some("length"),
        })
    }

    fn transport_error(&self, error: reqwest::Error) -> LlmError {
        if error.is_timeout() {
            LlmError::Timeout {
                timeout: self.timeout,
                source: error,
            }
        } else if error.is_connect() {
            LlmError::Unreachable(error)
        } else {
            LlmError::Transport(error)
        }
    }
}

/// Builds `{base}/v1/chat/completions`, keeping any path prefix. A base that already ends in
/// `/v1` is accepted too, because OpenAI's documentation writes base URLs that way.
fn completions_url_for(base_url: &str) -> Result<Url, LlmError> {
    let invalid = || LlmError::InvalidBaseUrl {
        url: base_url.to_string(),
    };
    let mut url = Url::parse(base_url.trim()).map_err(|_| invalid())?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() || url.host().is_none() {
        return Err(invalid());
    }
    let prefix = url.path().trim_end_matches('/');
    let prefix = prefix.strip_suffix("/v1").unwrap_or(prefix);
    let path = format!("{prefix}/v1/chat/completions");
    url.set_path(&path);
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

/// Cleans a completion for display.
///
/// Reasoning models served by llama.cpp or Ollama put `<think>…</think>` blocks in the content,
/// and these are removed (an unclosed block removes the rest). So are a leading heading or
/// label such as `Summary:` or `**TL;DR:**`, control characters other than line breaks, spaces
/// at line ends and runs of blank lines. Markdown is left for the renderer to escape.
pub fn clean_completion(raw: &str) -> String {
    let without_reasoning = strip_reasoning(raw);
    let mut lines: Vec<String> = without_reasoning
        .replace("\r\n", "\n")
        .split('\n')
        .map(|line| {
            line.chars()
                .filter(|c| !c.is_control() || *c == '\t')
                .collect::<String>()
                .replace('\t', " ")
                .trim()
                .to_string()
        })
        .collect();

    while lines.first().is_some_and(|line| line.is_empty()) {
        lines.remove(0);
    }
    if let Some(first) = lines.first_mut() {
        let (is_label_only, rest) = strip_leading_label(first);
        if is_label_only {
            lines.remove(0);
        } else {
            *first = rest;
        }
    }

    let mut text = String::new();
    let mut blank_run = 0;
    for line in lines {
        if line.is_empty() {
            blank_run += 1;
            continue;
        }
        if !text.is_empty() {
            text.push_str(if blank_run > 0 { "\n\n" } else { "\n" });
        }
        blank_run = 0;
        text.push_str(&line);
    }
    text
}

fn strip_reasoning(raw: &str) -> String {
    let mut text = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(start) = rest.find("<think>") {
        text.push_str(&rest[..start]);
        match rest[start..].find("</think>") {
            Some(end) => rest = &rest[start + end + "</think>".len()..],
            None => return text,
        }
    }
    text.push_str(rest);
    text
}

/// Splits a leading label off the first line. Returns whether the line was only a label (or a
/// Markdown heading), and the line without its label otherwise.
fn strip_leading_label(line: &str) -> (bool, String) {
    if line.starts_with('#') {
        return (true, String::new());
    }
    let unbolded = line.trim_start_matches(['*', '_']);
    for label in [
        "short summary",
        "detailed summary",
        "summary",
        "tl;dr",
        "tldr",
    ] {
        let matches_label = unbolded
            .get(..label.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(label));
        if !matches_label {
            continue;
        }
        let after = unbolded[label.len()..].trim_start_matches(['*', '_']);
        let Some(after_colon) = after.strip_prefix(':') else {
            continue;
        };
        let rest = after_colon.trim_start_matches(['*', '_', ' ']).trim();
        return (rest.is_empty(), rest.to_string());
    }
    (false, line.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completions_url_variants() {
        for (base, expected) in [
            (
                "http://127.0.0.1:8080",
                "http://127.0.0.1:8080/v1/chat/completions",
            ),
            (
                "http://127.0.0.1:8080/",
                "http://127.0.0.1:8080/v1/chat/completions",
            ),
            (
                "http://127.0.0.1:8080/v1",
                "http://127.0.0.1:8080/v1/chat/completions",
            ),
            (
                "http://127.0.0.1:8080/proxy/v1/",
                "http://127.0.0.1:8080/proxy/v1/chat/completions",
            ),
        ] {
            assert_eq!(completions_url_for(base).unwrap().as_str(), expected);
        }
        for base in ["", "127.0.0.1:8080", "ftp://127.0.0.1", "http://"] {
            assert!(completions_url_for(base).is_err(), "`{base}`");
        }
    }

    #[test]
    fn reasoning_blocks_removed() {
        assert_eq!(
            clean_completion("<think>the user wants\na summary</think>\n\nA model for X."),
            "A model for X."
        );
        assert_eq!(clean_completion("Answer. <think>never closed"), "Answer.");
        assert_eq!(clean_completion("<think>only reasoning"), "");
    }

    #[test]
    fn labels_and_headings_removed() {
        assert_eq!(clean_completion("Summary: A model."), "A model.");
        assert_eq!(clean_completion("**TL;DR:** A model."), "A model.");
        assert_eq!(clean_completion("**Summary:**\nA model."), "A model.");
        assert_eq!(clean_completion("## Summary\n\nA model."), "A model.");
        assert_eq!(
            clean_completion("Summary of results is below."),
            "Summary of results is below."
        );
    }

    #[test]
    fn blank_lines_and_controls_collapsed() {
        assert_eq!(
            clean_completion("  First.  \r\n\r\n\r\n\r\nSecond.\u{7}\nThird.\t "),
            "First.\n\nSecond.\nThird."
        );
    }
}
