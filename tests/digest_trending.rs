//! The trending score through a real SQLite store: crafted upvote and star snapshots taken at
//! chosen instants pin the order that `core::trending` documents, and a saved Hugging Face day
//! checks it on real data.
//!
//! Expected orders are worked out by hand in the comments from the documented formula
//! `score = (ΔU + 3 · ln(1 + ΔS)) · 2^(−age / half-life)`, with half-lives of 1, 3 and 10 days.

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use paperboy::core::trending::{self, TrendingEntry, Window};
use paperboy::ids::ArxivId;
use paperboy::paper::Paper;
use paperboy::store::Store;
use serde_json::Value;

/// The end of every crafted window: 18:00 UTC, so a paper listed that day is 0.75 days old.
const END: &str = "2026-08-20T18:00:00Z";
const LATEST_DAY: &str = "daily_papers_2026-08-18_latest-schema_ai_summary_model.json";

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("trending.db")).unwrap();
    (dir, store)
}

fn paper(key: &str, listed: &str) -> Paper {
    let mut paper = Paper::new(
        ArxivId::from_key(key).unwrap(),
        format!("Paper {key}"),
        "An abstract.",
    );
    paper.daily_date = Some(day(listed));
    paper
}

/// Stores one observation of a paper's counts at `observed`.
fn observe(store: &mut Store, base: &Paper, upvotes: i64, stars: Option<i64>, observed: &str) {
    let mut paper = base.clone();
    paper.upvotes = Some(upvotes);
    paper.github_stars = stars;
    store.upsert_papers(&[paper], at(observed)).unwrap();
}

fn ranked(store: &Store, window: Window) -> Vec<TrendingEntry> {
    trending::trending(store, window, at(END), 100).unwrap()
}

fn keys(entries: &[TrendingEntry]) -> Vec<String> {
    entries
        .iter()
        .map(|e| e.paper.id.key().to_string())
        .collect()
}

fn entry<'a>(entries: &'a [TrendingEntry], key: &str) -> &'a TrendingEntry {
    entries
        .iter()
        .find(|e| e.paper.id.key() == key)
        .unwrap_or_else(|| panic!("{key} is not ranked: {:?}", keys(entries)))
}

fn assert_close(actual: f64, expected: f64) {
    assert!(
        (actual - expected).abs() < 1e-6,
        "score {actual}, expected {expected}"
    );
}

#[test]
fn gain_in_window_beats_total_upvotes() {
    let (_dir, mut store) = store();
    // Both listed on 17 Aug, so both are 3.75 days old at the end.
    let steady = paper("2608.00001", "2026-08-17");
    let rising = paper("2608.00002", "2026-08-17");
    observe(&mut store, &steady, 100, None, "2026-08-17T20:00:00Z");
    observe(&mut store, &rising, 10, None, "2026-08-17T20:00:00Z");
    // Inside the day window (from 19 Aug 18:00): +2 for the steady paper, +30 for the other.
    observe(&mut store, &steady, 102, None, "2026-08-20T12:00:00Z");
    observe(&mut store, &rising, 40, None, "2026-08-20T12:00:00Z");

    let entries = ranked(&store, Window::Day);
    assert_eq!(keys(&entries), vec!["2608.00002", "2608.00001"]);
    assert_eq!(entry(&entries, "2608.00002").upvote_gain, 30);
    assert_eq!(entry(&entries, "2608.00001").upvote_gain, 2);
    assert_eq!(entry(&entries, "2608.00001").paper.upvotes, Some(102));
    let decay = 0.5_f64.powf(3.75);
    assert_close(entry(&entries, "2608.00002").score, 30.0 * decay);
    assert_close(entry(&entries, "2608.00001").score, 2.0 * decay);
}

#[test]
fn star_gain_counts_logarithmically() {
    let (_dir, mut store) = store();
    let starred = paper("2608.00011", "2026-08-20");
    let upvoted = paper("2608.00012", "2026-08-20");
    let less_upvoted = paper("2608.00013", "2026-08-20");
    for p in [&starred, &upvoted, &less_upvoted] {
        observe(&mut store, p, 5, Some(0), "2026-08-19T12:00:00Z");
    }
    // Gains: 1000 stars weigh 3 · ln(1001) ≈ 20.7 upvotes, so they beat 19 upvotes but not 25.
    // Counting stars one for one would put the starred paper far ahead; ignoring them, last.
    observe(&mut store, &starred, 5, Some(1000), "2026-08-20T10:00:00Z");
    observe(&mut store, &upvoted, 30, Some(0), "2026-08-20T10:00:00Z");
    observe(
        &mut store,
        &less_upvoted,
        24,
        Some(0),
        "2026-08-20T10:00:00Z",
    );

    let entries = ranked(&store, Window::Day);
    assert_eq!(
        keys(&entries),
        vec!["2608.00012", "2608.00011", "2608.00013"]
    );
    let starred_entry = entry(&entries, "2608.00011");
    assert_eq!(starred_entry.star_gain, 1000);
    assert_eq!(starred_entry.upvote_gain, 0);
    assert_close(starred_entry.score, 3.0 * 1001f64.ln() * 0.5_f64.powf(0.75));
}

#[test]
fn age_decay_depends_on_window_half_life() {
    let (_dir, mut store) = store();
    let fresh = paper("2608.00021", "2026-08-20");
    let older = paper("2608.00022", "2026-08-18");
    observe(&mut store, &older, 0, None, "2026-08-18T06:00:00Z");
    observe(&mut store, &older, 30, None, "2026-08-20T06:00:00Z");
    observe(&mut store, &fresh, 10, None, "2026-08-20T06:00:00Z");

    // Ages 0.75 and 2.75 days. Day (half-life 1): 10 · 2^−0.75 ≈ 5.95 beats 30 · 2^−2.75 ≈ 4.46.
    let day_entries = ranked(&store, Window::Day);
    assert_eq!(keys(&day_entries), vec!["2608.00021", "2608.00022"]);
    assert_close(day_entries[0].score, 10.0 * 0.5_f64.powf(0.75));
    assert_close(day_entries[1].score, 30.0 * 0.5_f64.powf(2.75));

    // Week (half-life 3): 10 · 2^−0.25 ≈ 8.41 loses to 30 · 2^−0.917 ≈ 15.9.
    let week_entries = ranked(&store, Window::Week);
    assert_eq!(keys(&week_entries), vec!["2608.00022", "2608.00021"]);
    assert_close(week_entries[0].score, 30.0 * 0.5_f64.powf(2.75 / 3.0));

    // Month (half-life 10): 30 · 2^−0.275 ≈ 24.8 stays ahead of 10 · 2^−0.075 ≈ 9.5.
    let month_entries = ranked(&store, Window::Month);
    assert_eq!(keys(&month_entries), vec!["2608.00022", "2608.00021"]);
    assert_close(month_entries[1].score, 10.0 * 0.5_f64.powf(0.075));
}

#[test]
fn windows_count_only_gains_inside_them() {
    let (_dir, mut store) = store();
    let today = paper("2608.00031", "2026-08-20");
    let last_week = paper("2608.00032", "2026-08-14");
    let last_month = paper("2607.00033", "2026-07-31");
    observe(&mut store, &today, 10, None, "2026-08-20T06:00:00Z");
    observe(&mut store, &last_week, 0, None, "2026-08-14T06:00:00Z");
    observe(&mut store, &last_week, 50, None, "2026-08-15T06:00:00Z");
    observe(&mut store, &last_month, 0, None, "2026-07-31T06:00:00Z");
    observe(&mut store, &last_month, 200, None, "2026-08-01T06:00:00Z");

    // Day: only today's paper was listed or moved since 19 Aug 18:00.
    assert_eq!(keys(&ranked(&store, Window::Day)), vec!["2608.00031"]);

    // Week: 50 · 2^(−6.75/3) ≈ 10.5 beats 10 · 2^(−0.75/3) ≈ 8.4; the July paper is out.
    let week = ranked(&store, Window::Week);
    assert_eq!(keys(&week), vec!["2608.00032", "2608.00031"]);
    assert_eq!(entry(&week, "2608.00032").upvote_gain, 50);

    // Month: 200 · 2^(−20.75/10) ≈ 47.4, then 50 · 2^(−0.675) ≈ 31.3, then 9.5.
    let month = ranked(&store, Window::Month);
    assert_eq!(keys(&month), vec!["2607.00033", "2608.00032", "2608.00031"]);
    assert_close(
        entry(&month, "2607.00033").score,
        200.0 * 0.5_f64.powf(2.075),
    );
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/hf")
        .join(name)
}

/// The fixture day's keys in the formula's order, computed from the raw JSON: every paper
/// is first seen in the window, so its gain is its whole count, and all share a listing day.
fn expected_fixture_order(path: &Path) -> Vec<String> {
    let raw: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut rows: Vec<(f64, i64, String)> = raw
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            let paper = &item["paper"];
            let upvotes = paper["upvotes"].as_i64().unwrap_or(0);
            let stars = paper["githubStars"].as_i64().unwrap_or(0);
            let gain = upvotes as f64 + 3.0 * (stars as f64).ln_1p();
            (gain, upvotes, paper["id"].as_str().unwrap().to_string())
        })
        .collect();
    rows.sort_by(|a, b| {
        b.0.partial_cmp(&a.0)
            .unwrap()
            .then(b.1.cmp(&a.1))
            .then(b.2.cmp(&a.2))
    });
    rows.into_iter().map(|r| r.2).collect()
}

#[test]
fn fixture_day_ranks_by_gain() {
    let (_dir, mut store) = store();
    let path = fixture(LATEST_DAY);
    // A saved day is observed at the end of its listing day: 19 Aug 00:00 UTC.
    let reports = paperboy::ingest::ingest_files(&mut store, std::slice::from_ref(&path), at(END));
    assert!(reports[0].error.is_none(), "{:?}", reports[0].error);

    let first = trending::trending(&store, Window::Day, at("2026-08-19T00:00:00Z"), 100).unwrap();
    let expected = expected_fixture_order(&path);
    assert_eq!(keys(&first), expected);

    // Half a day later two papers from the bottom of the list gain upvotes.
    let last = ArxivId::from_key(&expected[expected.len() - 1]).unwrap();
    let second_last = ArxivId::from_key(&expected[expected.len() - 2]).unwrap();
    let mut boosted = Vec::new();
    for (id, gain) in [(&last, 40), (&second_last, 25)] {
        let mut paper = store.paper(id).unwrap().unwrap();
        paper.upvotes = Some(paper.upvotes.unwrap_or(0) + gain);
        boosted.push(paper);
    }
    store
        .upsert_papers(&boosted, at("2026-08-19T12:00:00Z"))
        .unwrap();

    // The day window ending 20 Aug 06:00 starts after the first observation, so it contains
    // only the two gains, in their order.
    let end = at("2026-08-20T06:00:00Z");
    let day = trending::trending(&store, Window::Day, end, 100).unwrap();
    assert_eq!(
        keys(&day),
        vec![last.key().to_string(), second_last.key().to_string()]
    );
    assert_eq!(day[0].upvote_gain, 40);
    assert_eq!(day[1].upvote_gain, 25);

    // The week window still counts every upvote since the listing.
    let week = trending::trending(&store, Window::Week, end, 100).unwrap();
    assert_eq!(week.len(), expected.len());
}
