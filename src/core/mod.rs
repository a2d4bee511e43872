//! Core queries shared by the command line and Discord. Nothing here knows about serenity: each
//! function takes the store and plain values, and returns papers or a [`UserError`].

pub mod digest;
pub mod lookup;
pub mod rouge;
pub mod schedule;
pub mod search;
pub mod summary;
pub mod trending;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};

use crate::error::{Error, UserError};
use crate::ids::{self, PaperRef};
use crate::paper::Paper;
use crate::store::{SearchHit, Store};
use search::SearchTarget;
use summary::{Summary, SummaryLength};
use trending::{TrendingEntry, Window};

/// Most results one search or trending call returns.
pub const MAX_RESULTS: usize = 100;

/// One page of search results.
#[derive(Debug, Clone, PartialEq)]
pub enum SearchOutcome {
    /// The query named one paper by ID or URL.
    Paper(Box<Paper>),
    Hits {
        hits: Vec<SearchHit>,
        /// Whether another page follows.
        more: bool,
    },
}

/// Searches the store. `page` counts from 0.
pub fn search(
    store: &Store,
    input: &str,
    page: usize,
    page_size: usize,
) -> Result<SearchOutcome, Error> {
    let page_size = page_size.clamp(1, MAX_RESULTS);
    search_from(store, input, page.saturating_mul(page_size), page_size)
}

/// Searches the store, returning at most `limit` hits after the first `offset`.
pub fn search_from(
    store: &Store,
    input: &str,
    offset: usize,
    limit: usize,
) -> Result<SearchOutcome, Error> {
    let limit = limit.clamp(1, MAX_RESULTS + 1);
    match search::parse_query(input)? {
        SearchTarget::Paper(reference) => Ok(SearchOutcome::Paper(Box::new(stored_paper(
            store, &reference,
        )?))),
        SearchTarget::Query(query) => {
            let (hits, more) = store.search(&query, offset, limit)?;
            Ok(SearchOutcome::Hits { hits, more })
        }
    }
}

/// Parses an arXiv ID or URL into a reference, with the parser's user-facing message.
pub fn parse_reference(input: &str) -> Result<PaperRef, UserError> {
    ids::parse(input).map_err(|e| UserError::new(e.to_string()))
}

/// Looks a paper up in the store by any ID form or URL.
pub fn find_paper(store: &Store, input: &str) -> Result<Paper, Error> {
    let reference = parse_reference(input)?;
    stored_paper(store, &reference)
}

fn stored_paper(store: &Store, reference: &PaperRef) -> Result<Paper, Error> {
    store.paper(&reference.id)?.ok_or_else(|| {
        UserError::new(format!(
            "Paper {} is not in Paperboy's store yet. Check the ID, or try again after the \
             next ingest.",
            reference.id
        ))
        .into()
    })
}

/// The summary of a paper: Hugging Face's `ai_summary` when present, else an extractive one.
pub fn summarize_paper(paper: &Paper, length: SummaryLength) -> Summary {
    summary::summarize_paper(paper, length)
}

/// Words that tell a reader where a summary came from.
pub fn summary_label(source: summary::SummarySource) -> &'static str {
    match source {
        summary::SummarySource::HuggingFace => "summary by Hugging Face",
        summary::SummarySource::Extractive => "sentences selected from the abstract",
    }
}

/// The instant a trending query ends at: the end of `date` (UTC) when given and already past,
/// else `now`.
pub fn trending_end(date: Option<NaiveDate>, now: DateTime<Utc>) -> DateTime<Utc> {
    match date {
        Some(date) => {
            let end = date.and_time(NaiveTime::MIN).and_utc() + Duration::days(1);
            end.min(now)
        }
        None => now,
    }
}

/// The trending papers of a window ending at `end`, best first.
pub fn trending(
    store: &Store,
    window: Window,
    end: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<TrendingEntry>, Error> {
    Ok(trending::trending(
        store,
        window,
        end,
        limit.clamp(1, MAX_RESULTS),
    )?)
}
