//! Paged lists for `/search` and `/trending`: Previous and Next buttons under the reply.
//!
//! A list's state (who asked, what, which offsets were shown) lives in memory, keyed by the id
//! of the interaction that created it. Presses by someone else, and presses after the state
//! expired or the bot restarted, get an ephemeral reply that tells the user what to do.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::Utc;
use poise::serenity_prelude as serenity;
use serenity::{
    ButtonStyle, ComponentInteraction, CreateActionRow, CreateButton, CreateInteractionResponse,
    CreateInteractionResponseMessage,
};

use super::reply;
use crate::core::trending::Window;
use crate::core::{self, SearchOutcome};
use crate::error::{chain, Error};
use crate::paper::Paper;
use crate::render::{self, ListedPaper, Message};
use crate::store::{SharedStore, Store};
use crate::text;

/// Papers fetched per page; a page shows as many of them as fit one Discord message.
pub const PAGE_SIZE: usize = 10;

/// How long the buttons of a list keep working.
pub const PAGE_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// Lists kept at most; the oldest are dropped first when more are created.
const MAX_LISTS: usize = 10_000;

const PREFIX: &str = "pb:page:";

/// What a paged list shows.
#[derive(Debug, Clone, PartialEq)]
pub enum Listing {
    Search(String),
    Trending(Window),
}

impl Listing {
    fn heading(&self) -> String {
        match self {
            Listing::Search(query) => format!("Search: {}", text::plain_line(query)),
            Listing::Trending(window) => format!("Trending papers {}", window.label()),
        }
    }
}

#[derive(Debug, Clone)]
struct ListState {
    owner: u64,
    listing: Listing,
    /// Offsets of the pages shown so far; the last one is the page on screen.
    offsets: Vec<usize>,
    /// Papers on the page on screen.
    shown: usize,
    created: Instant,
}

/// The paged lists of this process.
#[derive(Debug, Default)]
pub struct Pages {
    lists: Mutex<HashMap<u64, ListState>>,
}

/// One page ready to send: the message and whether a next page exists.
pub struct Page {
    pub message: Message,
    pub shown: usize,
    pub more: bool,
}

/// Papers a listing contains from an offset.
pub enum Loaded {
    /// The search named one paper by ID or URL.
    Named(Box<Paper>),
    /// The papers from the offset, one more than a page when more follow.
    Papers(Vec<Paper>),
}

/// Loads the papers of a listing from `offset`, one more than a page to learn if more follow.
pub fn load(store: &Store, listing: &Listing, offset: usize) -> Result<Loaded, Error> {
    match listing {
        Listing::Search(query) => match core::search_from(store, query, offset, PAGE_SIZE + 1)? {
            SearchOutcome::Paper(paper) => Ok(Loaded::Named(paper)),
            SearchOutcome::Hits { hits, .. } => {
                Ok(Loaded::Papers(hits.into_iter().map(|h| h.paper).collect()))
            }
        },
        Listing::Trending(window) => {
            let entries = core::trending(store, *window, Utc::now(), offset + PAGE_SIZE + 1)?;
            Ok(Loaded::Papers(
                entries.into_iter().skip(offset).map(|e| e.paper).collect(),
            ))
        }
    }
}

/// Renders as many of `papers` as fit one message, ranked from `offset + 1`.
pub fn render_page(listing: &Listing, papers: &[Paper], offset: usize) -> Page {
    let candidates = &papers[..papers.len().min(PAGE_SIZE)];
    let items: Vec<ListedPaper> = candidates
        .iter()
        .enumerate()
        .map(|(i, paper)| ListedPaper {
            paper,
            rank: offset + i + 1,
            score_note: None,
        })
        .collect();
    let (message, shown) = render::paper_list_page(&listing.heading(), &items);
    Page {
        message,
        shown,
        more: papers.len() > shown,
    }
}

impl Pages {
    /// Remembers a new list shown by `owner`; returns its id for the buttons.
    pub fn insert(&self, id: u64, owner: u64, listing: Listing, shown: usize) {
        let Ok(mut lists) = self.lists.lock() else {
            return;
        };
        lists.retain(|_, state| state.created.elapsed() < PAGE_LIFETIME);
        if lists.len() >= MAX_LISTS {
            if let Some(oldest) = lists.iter().min_by_key(|(_, s)| s.created).map(|(k, _)| *k) {
                lists.remove(&oldest);
            }
        }
        lists.insert(
            id,
            ListState {
                owner,
                listing,
                offsets: vec![0],
                shown,
                created: Instant::now(),
            },
        );
    }
}

/// The Previous and Next buttons of list `id`; none when the list has one page.
pub fn buttons(id: u64, first_page: bool, more: bool) -> Vec<CreateActionRow> {
    if first_page && !more {
        return Vec::new();
    }
    let button = |action: &str, label: &str, disabled: bool| {
        CreateButton::new(format!("{PREFIX}{id}:{action}"))
            .label(label)
            .style(ButtonStyle::Secondary)
            .disabled(disabled)
    };
    vec![CreateActionRow::Buttons(vec![
        button("prev", "Previous", first_page),
        button("next", "Next", !more),
    ])]
}

/// Whether a component interaction belongs to a paged list.
pub fn is_page_button(custom_id: &str) -> bool {
    custom_id.starts_with(PREFIX)
}

/// Parses a button's custom id into the list id and the direction (true for Next).
fn parse_custom_id(custom_id: &str) -> Option<(u64, bool)> {
    let rest = custom_id.strip_prefix(PREFIX)?;
    let (id, action) = rest.split_once(':')?;
    let forward = match action {
        "next" => true,
        "prev" => false,
        _ => return None,
    };
    Some((id.parse().ok()?, forward))
}

/// The outcome of a press, before it is sent.
enum PressOutcome {
    Turn {
        listing: Listing,
        offset: usize,
        first_page: bool,
    },
    Refuse(&'static str),
}

impl Pages {
    fn press(&self, list_id: u64, user: u64, forward: bool) -> PressOutcome {
        let Ok(mut lists) = self.lists.lock() else {
            return PressOutcome::Refuse(EXPIRED);
        };
        let Some(state) = lists.get_mut(&list_id) else {
            return PressOutcome::Refuse(EXPIRED);
        };
        if state.created.elapsed() >= PAGE_LIFETIME {
            lists.remove(&list_id);
            return PressOutcome::Refuse(EXPIRED);
        }
        if state.owner != user {
            return PressOutcome::Refuse(FOREIGN);
        }
        let current = state.offsets.last().copied().unwrap_or(0);
        if forward {
            state.offsets.push(current + state.shown);
        } else if state.offsets.len() > 1 {
            state.offsets.pop();
        }
        PressOutcome::Turn {
            listing: state.listing.clone(),
            offset: state.offsets.last().copied().unwrap_or(0),
            first_page: state.offsets.len() == 1,
        }
    }

    fn set_shown(&self, list_id: u64, shown: usize) {
        if let Ok(mut lists) = self.lists.lock() {
            if let Some(state) = lists.get_mut(&list_id) {
                state.shown = shown;
            }
        }
    }
}

const EXPIRED: &str = "These buttons have expired. Run the command again to get a fresh list.";
const FOREIGN: &str =
    "Only the person who ran this command can turn its pages. Run it yourself to get your own list.";

/// Responds to a press of a Previous or Next button.
pub async fn handle_press(
    ctx: &serenity::Context,
    pages: &Pages,
    store: &SharedStore,
    press: &ComponentInteraction,
) {
    let user = press.user.id.get();
    let outcome = match parse_custom_id(&press.data.custom_id) {
        Some((list_id, forward)) => (list_id, pages.press(list_id, user, forward)),
        None => (0, PressOutcome::Refuse(EXPIRED)),
    };
    let response = match outcome {
        (_, PressOutcome::Refuse(text)) => ephemeral(text),
        (
            list_id,
            PressOutcome::Turn {
                listing,
                offset,
                first_page,
            },
        ) => match turn_page(store, &listing, offset).await {
            Ok(page) => {
                pages.set_shown(list_id, page.shown);
                update(&page, buttons(list_id, first_page, page.more))
            }
            Err(error) => {
                tracing::error!(error = %chain(&error), list_id, "cannot load a page");
                ephemeral(&error.user_text())
            }
        },
    };
    if let Err(error) = press.create_response(&ctx.http, response).await {
        tracing::warn!(error = %chain(&error), "cannot respond to a page button");
    }
}

async fn turn_page(store: &SharedStore, listing: &Listing, offset: usize) -> Result<Page, Error> {
    let owned = listing.clone();
    let papers = match store.read(move |s| Ok(load(s, &owned, offset))).await?? {
        Loaded::Papers(papers) => papers,
        Loaded::Named(paper) => vec![*paper],
    };
    if papers.is_empty() {
        return Ok(Page {
            message: render::notice("No more papers in this list."),
            shown: 0,
            more: false,
        });
    }
    Ok(render_page(listing, &papers, offset))
}

fn ephemeral(text: &str) -> CreateInteractionResponse {
    CreateInteractionResponse::Message(
        CreateInteractionResponseMessage::new()
            .content(text)
            .ephemeral(true)
            .allowed_mentions(reply::no_mentions()),
    )
}

fn update(page: &Page, components: Vec<CreateActionRow>) -> CreateInteractionResponse {
    let mut message = CreateInteractionResponseMessage::new()
        .embeds(page.message.embeds.iter().map(reply::embed).collect())
        .components(components)
        .allowed_mentions(reply::no_mentions());
    if let Some(content) = &page.message.content {
        message = message.content(content);
    }
    CreateInteractionResponse::UpdateMessage(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_ids_round_trip() {
        assert_eq!(parse_custom_id("pb:page:42:next"), Some((42, true)));
        assert_eq!(parse_custom_id("pb:page:42:prev"), Some((42, false)));
        assert_eq!(parse_custom_id("pb:page:x:next"), None);
        assert_eq!(parse_custom_id("other"), None);
    }

    #[test]
    fn foreign_and_unknown_presses_are_refused() {
        let pages = Pages::default();
        pages.insert(1, 100, Listing::Search("video".into()), 10);
        assert!(matches!(
            pages.press(1, 200, true),
            PressOutcome::Refuse(FOREIGN)
        ));
        assert!(matches!(
            pages.press(2, 100, true),
            PressOutcome::Refuse(EXPIRED)
        ));
        match pages.press(1, 100, true) {
            PressOutcome::Turn {
                offset, first_page, ..
            } => {
                assert_eq!(offset, 10);
                assert!(!first_page);
            }
            PressOutcome::Refuse(text) => panic!("refused: {text}"),
        }
        match pages.press(1, 100, false) {
            PressOutcome::Turn {
                offset, first_page, ..
            } => {
                assert_eq!(offset, 0);
                assert!(first_page);
            }
            PressOutcome::Refuse(text) => panic!("refused: {text}"),
        }
    }
}
