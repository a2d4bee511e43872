//! `/paper` and `/summary`: one paper by ID or link, with autocomplete on the ID.

use poise::serenity_prelude as serenity;

use std::sync::OnceLock;

use crate::config::Config;
use crate::core::lookup::{self, LlmSummarizer, StoredLookup};
use crate::core::summary::SummaryLength;
use crate::discord::reply::{self, send_all};
use crate::discord::Context;
use crate::error::{chain, Error};
use crate::paper::Paper;
use crate::render::{self, Message};
use crate::sources::arxiv::ArxivClient;
use crate::text;

/// Time an autocomplete lookup may take before the bot answers with no choices.
const AUTOCOMPLETE_BUDGET: std::time::Duration = std::time::Duration::from_millis(2000);

/// Suggests stored papers whose ID or title matches what the user has typed.
async fn autocomplete_paper(
    ctx: Context<'_>,
    partial: &str,
) -> serenity::CreateAutocompleteResponse {
    let fragment = partial.trim().to_string();
    let lookup = ctx
        .data()
        .store
        .read(move |store| store.suggest_papers(&fragment, render::AUTOCOMPLETE_CHOICES_MAX));
    // Autocomplete cannot be deferred: when the store is too busy to answer in time, an empty
    // list is better than no answer, which Discord shows as an error.
    let papers = match tokio::time::timeout(AUTOCOMPLETE_BUDGET, lookup).await {
        Ok(Ok(papers)) => papers,
        Ok(Err(error)) => {
            tracing::warn!(error = %error, "autocomplete lookup failed");
            Vec::new()
        }
        Err(_) => {
            tracing::warn!("autocomplete lookup timed out; answering with no choices");
            Vec::new()
        }
    };
    let choices = papers
        .iter()
        .map(|paper| {
            let label = format!("{} · {}", paper.id, text::plain_line(&paper.title));
            let (name, value) = render::autocomplete_choice(&label, paper.id.key());
            serenity::AutocompleteChoice::new(name, value)
        })
        .take(render::AUTOCOMPLETE_CHOICES_MAX)
        .collect();
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}

/// Show one paper by arXiv ID or an arXiv, Hugging Face or alphaXiv link
#[poise::command(slash_command)]
pub async fn paper(
    ctx: Context<'_>,
    #[description = "arXiv ID such as 2401.12345, or a paper link"]
    #[autocomplete = "autocomplete_paper"]
    #[max_length = 300]
    id: String,
) -> Result<(), Error> {
    let clients = clients(&ctx.data().config);
    let (paper, deferred) = resolve_paper(ctx, clients.arxiv.as_ref(), &id).await?;
    send_reply(ctx, deferred, &render::paper_detail(&paper)).await
}

#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum LengthChoice {
    #[name = "short"]
    Short,
    #[name = "detailed"]
    Detailed,
}

/// Summarise a paper: Hugging Face's AI summary, or key sentences of the abstract
#[poise::command(slash_command)]
pub async fn summary(
    ctx: Context<'_>,
    #[description = "arXiv ID such as 2401.12345, or a paper link"]
    #[autocomplete = "autocomplete_paper"]
    #[max_length = 300]
    id: String,
    #[description = "Summary length (default: short)"] length: Option<LengthChoice>,
) -> Result<(), Error> {
    let length = match length {
        Some(LengthChoice::Detailed) => SummaryLength::Detailed,
        _ => SummaryLength::Short,
    };
    let clients = clients(&ctx.data().config);
    let (paper, mut deferred) = resolve_paper(ctx, clients.arxiv.as_ref(), &id).await?;

    let llm = clients.llm.as_ref();
    if !deferred && llm.is_some_and(|llm| llm.applies_to(&paper, length)) {
        defer(ctx).await?;
        deferred = true;
    }
    let summary = lookup::summarize(&ctx.data().store, llm, &paper, length).await?;
    let message = render::summary_message(&paper, &summary.text, &summary.label);
    send_reply(ctx, deferred, &message).await?;
    if let Some(note) = &summary.model_failure {
        reply::notice(ctx, note).await?;
    }
    Ok(())
}

/// Network clients of the process, built from the config on first use. The bot runs one
/// config per process, so the first config is the only one.
struct Clients {
    arxiv: Option<ArxivClient>,
    llm: Option<LlmSummarizer>,
}

static CLIENTS: OnceLock<Clients> = OnceLock::new();

fn clients(config: &Config) -> &'static Clients {
    CLIENTS.get_or_init(|| {
        // Config::validate checked the URLs and the key variable before the bot connected,
        // so these only fail if the HTTP client itself cannot be built.
        let arxiv = lookup::arxiv_client(config).unwrap_or_else(|error| {
            tracing::error!(error = %chain(&error), "cannot build the arXiv client; arXiv lookups are off");
            None
        });
        let llm = LlmSummarizer::from_config(config).unwrap_or_else(|error| {
            tracing::error!(error = %format!("{error:#}"), "cannot build the language model client; generated summaries are off");
            None
        });
        Clients { arxiv, llm }
    })
}

/// Finds the paper in the store, or defers the interaction and then fetches the paper from
/// arXiv, because the arXiv client may wait 3 s for its turn and Discord wants a first
/// response within 3 s. Returns whether the interaction was deferred.
async fn resolve_paper(
    ctx: Context<'_>,
    arxiv: Option<&ArxivClient>,
    input: &str,
) -> Result<(Paper, bool), Error> {
    let store = &ctx.data().store;
    match lookup::find_stored(store, arxiv, input).await? {
        StoredLookup::Found(paper) => Ok((*paper, false)),
        StoredLookup::Missing { id, client } => {
            defer(ctx).await?;
            let paper = lookup::fetch_and_store(store, client, &id).await?;
            Ok((paper, true))
        }
    }
}

/// Sends a public deferred response (type 5), which shows "Paperboy is thinking…".
///
/// NOTE: after a public defer, an error reply replaces the placeholder and is public too,
/// because Discord keeps the visibility chosen at the defer.
async fn defer(ctx: Context<'_>) -> Result<(), Error> {
    ctx.defer()
        .await
        .map_err(|e| reply::discord_error("defer the reply", e))
}

/// Sends the reply: as the first response, or by editing the placeholder of a deferred one.
async fn send_reply(ctx: Context<'_>, deferred: bool, message: &Message) -> Result<(), Error> {
    let poise::Context::Application(app) = ctx else {
        return send_all(ctx, std::slice::from_ref(message), false).await;
    };
    if !deferred {
        return send_all(ctx, std::slice::from_ref(message), false).await;
    }
    let edit = reply::to_reply(message, false)
        .to_slash_initial_response_edit(serenity::EditInteractionResponse::new());
    app.interaction
        .edit_response(ctx.http(), edit)
        .await
        .map_err(|e| reply::discord_error("edit the deferred reply", e))?;
    Ok(())
}
