//! `/trending` and `/search`: ranked lists of papers.

use chrono::Utc;

use super::with_store;
use crate::core::trending::Window;
use crate::core::{self, SearchOutcome};
use crate::discord::reply::{self, send_all};
use crate::discord::Context;
use crate::error::Error;
use crate::render::{self, ListedPaper};
use crate::text;

/// Papers per page of `/search` and `/trending`.
const PAGE_SIZE: usize = 10;

#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum WindowChoice {
    #[name = "today"]
    Day,
    #[name = "this week"]
    Week,
    #[name = "this month"]
    Month,
}

impl From<WindowChoice> for Window {
    fn from(choice: WindowChoice) -> Window {
        match choice {
            WindowChoice::Day => Window::Day,
            WindowChoice::Week => Window::Week,
            WindowChoice::Month => Window::Month,
        }
    }
}

/// Show the papers trending today, this week or this month
#[poise::command(slash_command)]
pub async fn trending(
    ctx: Context<'_>,
    #[description = "Time window (default: today)"] window: Option<WindowChoice>,
) -> Result<(), Error> {
    let window = Window::from(window.unwrap_or(WindowChoice::Day));
    let entries = with_store(ctx, move |store| {
        core::trending(store, window, Utc::now(), PAGE_SIZE)
    })
    .await?;
    let items: Vec<ListedPaper> = entries
        .iter()
        .enumerate()
        .map(|(i, entry)| ListedPaper {
            paper: &entry.paper,
            rank: i + 1,
            score_note: None,
        })
        .collect();
    let heading = format!("Trending papers {}", window.label());
    send_all(ctx, &render::paper_list(&heading, None, &items), false).await
}

/// Search papers by words, "phrases", prefix*, author:, cat:, since:, until:, has:code, or an ID
#[poise::command(slash_command)]
pub async fn search(
    ctx: Context<'_>,
    #[description = "Words, \"a phrase\", transform*, author:name, cat:cs.CL, since:2025-06, has:code"]
    #[max_length = 300]
    query: String,
) -> Result<(), Error> {
    let query_text = query.clone();
    let outcome = with_store(ctx, move |store| {
        core::search(store, &query_text, 0, PAGE_SIZE)
    })
    .await?;
    let messages = match &outcome {
        SearchOutcome::Paper(paper) => vec![render::paper_detail(paper)],
        SearchOutcome::Hits { hits, .. } if hits.is_empty() => {
            return reply::notice(
                ctx,
                &format!(
                    "No papers match `{}`. Try fewer or more general words.",
                    text::plain_line(&query)
                ),
            )
            .await;
        }
        SearchOutcome::Hits { hits, .. } => {
            let items: Vec<ListedPaper> = hits
                .iter()
                .enumerate()
                .map(|(i, hit)| ListedPaper {
                    paper: &hit.paper,
                    rank: i + 1,
                    score_note: None,
                })
                .collect();
            let heading = format!("Search: {}", text::plain_line(&query));
            render::paper_list(&heading, None, &items)
        }
    };
    send_all(ctx, &messages, false).await
}
