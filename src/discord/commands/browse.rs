//! `/trending` and `/search`: ranked lists of papers, paged with buttons.

use super::with_reader;
use crate::core::trending::Window;
use crate::discord::pages::{self, Listing, Loaded};
use crate::discord::reply;
use crate::discord::Context;
use crate::error::Error;
use crate::render;
use crate::text;

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
    let listing = Listing::Trending(window);
    let empty = format!(
        "No papers gained upvotes {}. Try a longer window, such as `/trending window:this week`.",
        window.label()
    );
    send_listing(ctx, listing, &empty).await
}

/// Search papers by words, "phrases", prefix*, author:, cat:, since:, until:, has:code, or an ID
#[poise::command(slash_command)]
pub async fn search(
    ctx: Context<'_>,
    #[description = "Words, \"a phrase\", transform*, author:name, cat:cs.CL, since:2025-06, has:code"]
    #[max_length = 300]
    query: String,
) -> Result<(), Error> {
    let empty = format!(
        "No papers match {}. Try fewer or more general words.",
        text::escape_markdown(&text::plain_line(&query))
    );
    send_listing(ctx, Listing::Search(query), &empty).await
}

/// Sends the first page of a listing, with buttons when more pages follow.
async fn send_listing(ctx: Context<'_>, listing: Listing, empty: &str) -> Result<(), Error> {
    let loaded = with_reader(ctx, {
        let listing = listing.clone();
        move |store| pages::load(store, &listing, 0)
    })
    .await?;
    let papers = match loaded {
        // A query that names one paper shows that paper in full.
        Loaded::Named(paper) => {
            return reply::send_all(ctx, &[render::paper_detail(&paper)], false).await
        }
        Loaded::Papers(papers) => papers,
    };
    if papers.is_empty() {
        return reply::notice(ctx, empty).await;
    }
    let page = pages::render_page(&listing, &papers, 0);
    let list_id = ctx.id();
    let reply =
        reply::to_reply(&page.message, false).components(pages::buttons(list_id, true, page.more));
    // The list is remembered before the reply goes out, since a press can arrive right after.
    if page.more {
        ctx.data()
            .pages
            .insert(list_id, ctx.author().id.get(), listing, page.shown);
    }
    ctx.send(reply)
        .await
        .map_err(|e| reply::discord_error("send a reply", e))?;
    Ok(())
}
