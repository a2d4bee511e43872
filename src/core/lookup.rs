//! Lookups that may need the network: a paper missing from the store is fetched from arXiv,
//! and a summary may come from an OpenAI-compatible endpoint.
//!
//! Each function tries the store first and sends a request only when the store lacks the
//! data, so the command line and the bot share one policy. Without an arXiv base URL or an LLM
//! endpoint in the config, everything here behaves as the store-only queries in
//! [`crate::core`].

use chrono::Utc;

use crate::config::{Config, LlmUse};
use crate::core::summary::{self, SummaryLength};
use crate::core::{self as core_queries};
use crate::error::{chain, Error, UserError};
use crate::ids::ArxivId;
use crate::paper::Paper;
use crate::sources::arxiv::{ArxivClient, ArxivError};
use crate::sources::llm::{LlmClient, LlmError};
use crate::store::SharedStore;
use crate::text;

/// Maximum length of a generated short summary in characters.
pub const GENERATED_SHORT_MAX_CHARS: usize = 400;

/// Maximum length of a generated detailed summary in characters.
pub const GENERATED_DETAILED_MAX_CHARS: usize = 1500;

/// Maximum abstract length sent to the model, in characters. Real abstracts are much shorter,
/// so this only bounds malformed or hostile data.
const PROMPT_ABSTRACT_MAX_CHARS: usize = 6000;

const SYSTEM_PROMPT: &str = "You summarise research papers for researchers. Use only the \
     title and abstract you are given and never invent results. Write plain prose: no \
     Markdown, headings, lists or preamble.";

/// Builds the arXiv client of the config, or returns `None` when `arxiv.base_url` is unset.
pub fn arxiv_client(config: &Config) -> Result<Option<ArxivClient>, ArxivError> {
    config
        .arxiv
        .base_url
        .as_deref()
        .map(|base_url| ArxivClient::new(base_url, config.arxiv_timeout()))
        .transpose()
}

/// A language model endpoint and the summary lengths it writes.
#[derive(Debug, Clone)]
pub struct LlmSummarizer {
    pub client: LlmClient,
    pub use_for: LlmUse,
}

impl LlmSummarizer {
    /// Builds the summarizer of the config, or returns `None` when `llm.base_url` is unset.
    pub fn from_config(config: &Config) -> Result<Option<LlmSummarizer>, anyhow::Error> {
        let Some(base_url) = config.llm.base_url.as_deref() else {
            return Ok(None);
        };
        let model = config.llm.model.as_deref().unwrap_or_default();
        let client = LlmClient::new(
            base_url,
            model,
            config.llm_api_key()?,
            config.llm_timeout(),
            config.llm.max_tokens,
        )?;
        Ok(Some(LlmSummarizer {
            client,
            use_for: config.llm.use_for,
        }))
    }

    /// Returns true when this summarizer writes the summary of `paper` at `length`.
    ///
    /// The short summary keeps Hugging Face's `ai_summary` when the paper has one, because it
    /// is model-written too and costs nothing. A paper without an abstract gets no request.
    pub fn applies_to(&self, paper: &Paper, length: SummaryLength) -> bool {
        if paper.abstract_text.trim().is_empty() {
            return false;
        }
        match length {
            SummaryLength::Detailed => true,
            SummaryLength::Short => {
                let has_ai_summary = paper
                    .ai_summary
                    .as_deref()
                    .is_some_and(|s| !s.trim().is_empty());
                self.use_for == LlmUse::Both && !has_ai_summary
            }
        }
    }
}

/// Result of looking a paper up in the store.
#[derive(Debug)]
pub enum StoredLookup<'a> {
    /// The store has the paper.
    Found(Box<Paper>),
    /// The store lacks the paper, and this client can fetch it.
    Missing {
        id: ArxivId,
        client: &'a ArxivClient,
    },
}

/// Parses `input` and looks the paper up in the store only, without any network request.
///
/// When the paper is missing and `arxiv` is `None`, this returns the store-only "not in the
/// store" user error.
pub async fn find_stored<'a>(
    store: &SharedStore,
    arxiv: Option<&'a ArxivClient>,
    input: &str,
) -> Result<StoredLookup<'a>, Error> {
    let Some(client) = arxiv else {
        let input = input.to_string();
        let paper = store
            .read(move |s| Ok(core_queries::find_paper(s, &input)))
            .await??;
        return Ok(StoredLookup::Found(Box::new(paper)));
    };
    let reference = core_queries::parse_reference(input)?;
    let id = reference.id.clone();
    let stored = store.read(move |s| s.paper(&id)).await?;
    Ok(match stored {
        Some(paper) => StoredLookup::Found(Box::new(paper)),
        None => StoredLookup::Missing {
            id: reference.id,
            client,
        },
    })
}

/// Fetches one paper from arXiv, stores it and returns it as stored (merged with anything
/// another source stored meanwhile). The client spaces requests 3 s apart, so this can wait.
pub async fn fetch_and_store(
    store: &SharedStore,
    client: &ArxivClient,
    id: &ArxivId,
) -> Result<Paper, Error> {
    tracing::info!(paper_id = %id, "fetching a paper missing from the store from arXiv");
    let papers = client
        .fetch(std::slice::from_ref(id))
        .await
        .map_err(|error| arxiv_error(id, &error))?;
    let Some(paper) = papers.into_iter().find(|paper| &paper.id == id) else {
        return Err(UserError::new(format!(
            "arXiv has no paper {id}. Check the ID; a paper announced today can take a few \
             hours to appear."
        ))
        .into());
    };

    let key = id.clone();
    let stored = store
        .run(move |s| {
            s.upsert_papers(std::slice::from_ref(&paper), Utc::now())?;
            s.paper(&key)
        })
        .await?;
    stored.ok_or_else(|| Error::Source {
        context: format!(
            "paper {id} was fetched from arXiv but is not in the store after writing it"
        ),
        user_text: crate::error::INTERNAL_ERROR_TEXT.to_string(),
    })
}

/// Finds a paper by any ID form or URL: from the store, else from arXiv (then stored), else
/// the "not in the store" user error when `arxiv` is `None`.
pub async fn find_or_fetch(
    store: &SharedStore,
    arxiv: Option<&ArxivClient>,
    input: &str,
) -> Result<Paper, Error> {
    match find_stored(store, arxiv, input).await? {
        StoredLookup::Found(paper) => Ok(*paper),
        StoredLookup::Missing { id, client } => fetch_and_store(store, client, &id).await,
    }
}

fn arxiv_error(id: &ArxivId, error: &ArxivError) -> Error {
    Error::Source {
        context: format!("arXiv lookup of {id} failed: {}", chain(error)),
        user_text: format!("Paperboy could not fetch {id} from arXiv: {error}."),
    }
}

/// A summary ready to show, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryReply {
    pub text: String,
    /// Footer text that names the tier that wrote the summary.
    pub label: String,
    /// Set when the language model was asked and failed: a sentence for the user saying so
    /// and that the summary shown comes from the fallback tier.
    pub model_failure: Option<String>,
}

/// Summarizes a paper with the best tier available.
///
/// With a summarizer that applies (see [`LlmSummarizer::applies_to`]), the model's cached
/// summary is used, or a new one is generated, cleaned, clamped and cached. When the model
/// fails, the Hugging Face or extractive summary is returned with `model_failure` set.
pub async fn summarize(
    store: &SharedStore,
    llm: Option<&LlmSummarizer>,
    paper: &Paper,
    length: SummaryLength,
) -> Result<SummaryReply, Error> {
    let fallback = || {
        let summary = core_queries::summarize_paper(paper, length);
        SummaryReply {
            text: summary.text,
            label: core_queries::summary_label(summary.source).to_string(),
            model_failure: None,
        }
    };
    let Some(llm) = llm.filter(|llm| llm.applies_to(paper, length)) else {
        return Ok(fallback());
    };

    let model = llm.client.model().to_string();
    let label = format!("summary by the language model {model}");
    let (id, key, cached_model) = (paper.id.clone(), length_key(length), model.clone());
    // NOTE: the cache key ignores the abstract, so a summary outlives a new arXiv version
    // whose abstract changed.
    let cached = store
        .run(move |s| s.generated_summary(&id, key, &cached_model))
        .await?;
    if let Some(text) = cached {
        return Ok(SummaryReply {
            text,
            label,
            model_failure: None,
        });
    }

    match generate(&llm.client, paper, length).await {
        Ok(text) => {
            let (id, saved) = (paper.id.clone(), text.clone());
            store
                .run(move |s| s.save_generated_summary(&id, key, &model, &saved, Utc::now()))
                .await?;
            Ok(SummaryReply {
                text,
                label,
                model_failure: None,
            })
        }
        Err(error) => {
            tracing::warn!(
                paper_id = %paper.id,
                model = %llm.client.model(),
                error = %chain(&error),
                "language model summary failed; showing the fallback summary"
            );
            let mut reply = fallback();
            reply.model_failure = Some(format!(
                "The summary model failed ({error}), so this shows {} instead.",
                fallback_description(&reply.label)
            ));
            Ok(reply)
        }
    }
}

/// Returns the value of the store's `length` column for a summary length.
fn length_key(length: SummaryLength) -> &'static str {
    match length {
        SummaryLength::Short => "short",
        SummaryLength::Detailed => "detailed",
    }
}

fn fallback_description(label: &str) -> String {
    if label == core_queries::summary_label(summary::SummarySource::HuggingFace) {
        "Hugging Face's summary".to_string()
    } else {
        "sentences selected from the abstract".to_string()
    }
}

/// Requests a summary from the model and clamps it to the length's limit.
async fn generate(
    client: &LlmClient,
    paper: &Paper,
    length: SummaryLength,
) -> Result<String, LlmError> {
    let (instruction, max_chars) = match length {
        SummaryLength::Short => (
            "Summarise this paper in one or two sentences of at most 50 words in total: what \
             it does and its main result.",
            GENERATED_SHORT_MAX_CHARS,
        ),
        SummaryLength::Detailed => (
            "Summarise this paper in one paragraph of three to five sentences, at most 150 \
             words: the problem, the method, and the main results.",
            GENERATED_DETAILED_MAX_CHARS,
        ),
    };
    let title = text::plain_line(&paper.title);
    let abstract_text = text::truncate(
        &text::unwrap_lines(&paper.abstract_text),
        PROMPT_ABSTRACT_MAX_CHARS,
    );
    let prompt = format!("{instruction}\n\nTitle: {title}\n\nAbstract: {abstract_text}");

    let completion = client.complete(SYSTEM_PROMPT, &prompt).await?;
    let mut summary = completion.text;
    if completion.truncated {
        summary = drop_unfinished_sentence(&summary);
    }
    Ok(clamp_at_sentence(&summary, max_chars))
}

/// Drops a trailing sentence that the token limit cut off, unless that would leave less than
/// half of the text.
fn drop_unfinished_sentence(text: &str) -> String {
    let trimmed = text.trim_end();
    if trimmed.ends_with(['.', '!', '?']) {
        return trimmed.to_string();
    }
    match last_sentence_end(trimmed, trimmed.len()) {
        Some(end) if end * 2 >= trimmed.len() => trimmed[..end].to_string(),
        _ => format!("{trimmed}…"),
    }
}

/// Shortens text to at most `max_chars` characters, cutting after the last full sentence
/// that fits, else at the last space with an ellipsis.
fn clamp_at_sentence(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let limit_byte = text
        .char_indices()
        .nth(max_chars.saturating_sub(1))
        .map_or(text.len(), |(byte, _)| byte);
    if let Some(end) = last_sentence_end(text, limit_byte) {
        if end * 3 >= limit_byte {
            return text[..end].to_string();
        }
    }
    let ends_at_word = text[limit_byte..].starts_with(char::is_whitespace);
    let cut = if ends_at_word {
        limit_byte
    } else {
        text[..limit_byte].rfind(' ').unwrap_or(limit_byte)
    };
    format!("{}…", text[..cut].trim_end())
}

/// Byte index just past the last `.`, `!` or `?` that is followed by whitespace (or ends the
/// text) within `text[..limit]`.
fn last_sentence_end(text: &str, limit: usize) -> Option<usize> {
    let head = &text[..limit];
    head.char_indices()
        .filter(|&(i, c)| {
            matches!(c, '.' | '!' | '?')
                && text[i + 1..].chars().next().is_none_or(char::is_whitespace)
        })
        .map(|(i, _)| i + 1)
        .next_back()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamp_keeps_whole_sentences() {
        let text = "First sentence here. Second sentence is longer. Third.";
        assert_eq!(clamp_at_sentence(text, 100), text);
        assert_eq!(clamp_at_sentence(text, 40), "First sentence here.");
        assert_eq!(clamp_at_sentence("one two three four", 10), "one two…");
    }

    #[test]
    fn clamp_ignores_decimal_points() {
        let text = "Accuracy rose to 91.5 percent on the benchmark suite";
        assert_eq!(
            clamp_at_sentence(text, 30),
            "Accuracy rose to 91.5 percent…"
        );
    }

    #[test]
    fn unfinished_sentence_dropped() {
        assert_eq!(
            drop_unfinished_sentence("A full sentence here. And a cut"),
            "A full sentence here."
        );
        assert_eq!(drop_unfinished_sentence("Done."), "Done.");
        assert_eq!(
            drop_unfinished_sentence("Short. A very long cut-off tail"),
            "Short. A very long cut-off tail…"
        );
    }
}
