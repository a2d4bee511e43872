//! `/paper` and `/summary`: one paper by ID or link, with autocomplete on the ID.

use poise::serenity_prelude as serenity;

use super::with_store;
use crate::core;
use crate::core::summary::SummaryLength;
use crate::discord::reply::send_all;
use crate::discord::Context;
use crate::error::Error;
use crate::render;
use crate::text;

/// Suggests stored papers whose ID or title matches what the user has typed.
async fn autocomplete_paper(
    ctx: Context<'_>,
    partial: &str,
) -> serenity::CreateAutocompleteResponse {
    let fragment = partial.trim().to_string();
    let papers = ctx
        .data()
        .store
        .run(move |store| store.suggest_ids(&fragment, render::AUTOCOMPLETE_CHOICES_MAX))
        .await
        .unwrap_or_else(|error| {
            tracing::warn!(error = %error, "autocomplete lookup failed");
            Vec::new()
        });
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
    let paper = with_store(ctx, move |store| core::find_paper(store, &id)).await?;
    send_all(ctx, &[render::paper_detail(&paper)], false).await
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
    let (paper, summary) = with_store(ctx, move |store| {
        let paper = core::find_paper(store, &id)?;
        let summary = core::summarize_paper(&paper, length);
        Ok((paper, summary))
    })
    .await?;
    let message =
        render::summary_message(&paper, &summary.text, core::summary_label(summary.source));
    send_all(ctx, &[message], false).await
}
