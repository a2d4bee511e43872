//! The trending score, computed from the upvote and GitHub-star snapshots in the store.
//!
//! Hugging Face does not publish its own trending formula, so Paperboy ranks by recent gain:
//!
//! ```text
//! gain(p)  = ΔU + STAR_WEIGHT · ln(1 + ΔS)
//! score(p) = gain(p) · 2^(−age / half_life(window))
//! ```
//!
//! * `ΔU` is the upvote gain over the window: the count in the latest snapshot at or before the
//!   end of the window minus the count in the latest snapshot at or before its start (0 when
//!   the paper had no snapshot yet, so a paper first seen inside the window gains all its
//!   upvotes). Negative gains count as 0.
//! * `ΔS` is the same gain for GitHub stars. Stars come in thousands where upvotes come in
//!   tens, so they enter through a logarithm: 100 new stars weigh about as much as 14 upvotes.
//! * `age` is the time from the paper's Hugging Face listing date (or its arXiv publication
//!   when it was never listed) to the end of the window, in days, and at least 0.
//! * `half_life` is 1 day for the day window, 3 days for the week, and 10 days for the month,
//!   so a paper that keeps gaining can stay on top while yesterday's burst fades.
//!
//! Candidates are the papers listed in the window or with a snapshot taken in it. Ties go to
//! the paper with more upvotes in total, then to the newer arXiv key.

use std::cmp::Ordering;

use chrono::{DateTime, Duration, NaiveTime, Utc};

use crate::paper::Paper;
use crate::store::{Store, StoreError};

/// Weight of `ln(1 + star gain)` against one upvote.
pub const STAR_WEIGHT: f64 = 3.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Window {
    #[default]
    Day,
    Week,
    Month,
}

impl Window {
    pub fn length(self) -> Duration {
        match self {
            Window::Day => Duration::days(1),
            Window::Week => Duration::days(7),
            Window::Month => Duration::days(30),
        }
    }

    pub fn half_life_days(self) -> f64 {
        match self {
            Window::Day => 1.0,
            Window::Week => 3.0,
            Window::Month => 10.0,
        }
    }

    /// Words for headings: "today", "this week", "this month".
    pub fn label(self) -> &'static str {
        match self {
            Window::Day => "today",
            Window::Week => "this week",
            Window::Month => "this month",
        }
    }

    pub fn parse(text: &str) -> Option<Window> {
        match text.trim().to_ascii_lowercase().as_str() {
            "day" | "today" | "daily" => Some(Window::Day),
            "week" | "weekly" => Some(Window::Week),
            "month" | "monthly" => Some(Window::Month),
            _ => None,
        }
    }
}

/// One ranked paper with the numbers behind its rank.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TrendingEntry {
    pub paper: Paper,
    pub score: f64,
    pub upvote_gain: i64,
    pub star_gain: i64,
}

/// The counts that enter the formula for one paper.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gains {
    pub upvotes: i64,
    pub stars: i64,
    pub age_days: f64,
}

/// Computes the score of one paper from its gains; see the module documentation.
pub fn score(gains: Gains, window: Window) -> f64 {
    let gain = gains.upvotes.max(0) as f64 + STAR_WEIGHT * (gains.stars.max(0) as f64).ln_1p();
    let decay = 0.5_f64.powf(gains.age_days.max(0.0) / window.half_life_days());
    gain * decay
}

/// Ranks the papers of the window that ends at `end`, best first, at most `limit` of them.
pub fn trending(
    store: &Store,
    window: Window,
    end: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<TrendingEntry>, StoreError> {
    let start = end - window.length();
    let mut entries = Vec::new();
    for id in store.active_paper_ids(start, end)? {
        let Some(paper) = store.paper(&id)? else {
            continue;
        };
        let at_end = store.snapshot_at(&id, end)?;
        let at_start = store.snapshot_at(&id, start)?;
        let count = |point: Option<crate::store::SnapshotPoint>, stars: bool| {
            point
                .and_then(|p| if stars { p.github_stars } else { p.upvotes })
                .unwrap_or(0)
        };
        let gains = Gains {
            upvotes: count(at_end, false) - count(at_start, false),
            stars: count(at_end, true) - count(at_start, true),
            age_days: age_days(&paper, end),
        };
        entries.push(TrendingEntry {
            score: score(gains, window),
            upvote_gain: gains.upvotes.max(0),
            star_gain: gains.stars.max(0),
            paper,
        });
    }
    entries.sort_by(compare);
    entries.truncate(limit);
    Ok(entries)
}

fn age_days(paper: &Paper, end: DateTime<Utc>) -> f64 {
    let listed = paper
        .daily_date
        .map(|d| d.and_time(NaiveTime::MIN).and_utc())
        .or(paper.published);
    match listed {
        Some(listed) => ((end - listed).num_seconds() as f64 / 86_400.0).max(0.0),
        None => 0.0,
    }
}

fn compare(a: &TrendingEntry, b: &TrendingEntry) -> Ordering {
    b.score
        .partial_cmp(&a.score)
        .unwrap_or(Ordering::Equal)
        .then_with(|| {
            b.paper
                .upvotes
                .unwrap_or(0)
                .cmp(&a.paper.upvotes.unwrap_or(0))
        })
        .then_with(|| b.paper.id.cmp(&a.paper.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gains(upvotes: i64, stars: i64, age_days: f64) -> Gains {
        Gains {
            upvotes,
            stars,
            age_days,
        }
    }

    #[test]
    fn fresh_upvotes_beat_old_ones() {
        let fresh = score(gains(20, 0, 0.5), Window::Week);
        let old = score(gains(30, 0, 5.0), Window::Week);
        assert!(fresh > old, "fresh {fresh} old {old}");
    }

    #[test]
    fn stars_count_logarithmically() {
        let hundred = score(gains(0, 100, 0.0), Window::Day);
        assert!((hundred - STAR_WEIGHT * 101f64.ln()).abs() < 1e-9);
        let many = score(gains(0, 10_000, 0.0), Window::Day);
        assert!(many < 30.0, "10k stars must not swamp upvotes: {many}");
    }

    #[test]
    fn negative_gains_count_as_zero() {
        assert_eq!(score(gains(-5, -3, 0.0), Window::Day), 0.0);
    }

    #[test]
    fn score_halves_each_half_life() {
        let now = score(gains(40, 0, 0.0), Window::Month);
        let later = score(gains(40, 0, 10.0), Window::Month);
        assert!((later - now / 2.0).abs() < 1e-9);
    }

    #[test]
    fn window_names_parse() {
        assert_eq!(Window::parse(" Week "), Some(Window::Week));
        assert_eq!(Window::parse("fortnight"), None);
    }
}
