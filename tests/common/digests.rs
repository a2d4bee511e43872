//! Building blocks for digest tests that call `paperboy::discord::deliver_due` directly: a
//! store in a temporary folder, crafted papers listed on a given day, digest settings, and
//! the digest sender aimed at a fake Discord.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use paperboy::config::Secret;
use paperboy::discord::{DigestSender, PosterOptions};
use paperboy::ids::ArxivId;
use paperboy::paper::Paper;
use paperboy::store::{DigestSettings, SharedStore, Store, WeekendPolicy};
use serenity::http::HttpBuilder;

/// A store in a temporary folder, shared as the bot shares it.
pub struct TestStore {
    pub store: SharedStore,
    pub path: PathBuf,
    _dir: tempfile::TempDir,
}

impl TestStore {
    pub fn new() -> TestStore {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("digests.db");
        let store = SharedStore::new(Store::open(&path).unwrap());
        TestStore {
            store,
            path,
            _dir: dir,
        }
    }

    /// Runs `f` on the store, as the poster does.
    pub async fn with<T, F>(&self, f: F) -> T
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T, paperboy::store::StoreError> + Send + 'static,
    {
        self.store.run(f).await.unwrap()
    }

    /// Opens a second connection to the same file, for checks and for edits that simulate a
    /// crash.
    pub fn sql(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(&self.path).unwrap()
    }
}

/// `count` papers listed on `date`, with keys `{prefix}.{00001..}` (`prefix` is a `YYMM`),
/// upvotes falling from `10 * count` by 10 and a short abstract about diffusion models.
pub fn papers_listed_on(prefix: &str, date: NaiveDate, count: usize) -> Vec<Paper> {
    (1..=count)
        .map(|n| {
            let id = ArxivId::from_key(&format!("{prefix}.{n:05}")).unwrap();
            let mut paper = Paper::new(
                id,
                format!("Paper {n} of {date}: diffusion for {prefix}"),
                format!("We study diffusion models, case {n}. The method improves sampling."),
            );
            paper.daily_date = Some(date);
            paper.upvotes = Some(10 * (count + 1 - n) as i64);
            paper.authors = vec!["Ada Lovelace".to_string(), "Alan Turing".to_string()];
            paper
        })
        .collect()
}

/// Stores `papers` as observed at `observed_at`, which writes their first snapshot.
pub async fn store_papers(store: &TestStore, papers: Vec<Paper>, observed_at: DateTime<Utc>) {
    store
        .with(move |s| s.upsert_papers(&papers, observed_at))
        .await;
}

/// Settings of a daily digest of five papers with no filters.
pub fn settings(guild_id: u64, channel_id: u64, time: &str, zone: &str) -> DigestSettings {
    DigestSettings {
        guild_id,
        channel_id,
        post_time: time.to_string(),
        zone: zone.to_string(),
        weekdays: "mon,tue,wed,thu,fri,sat,sun".to_string(),
        paper_count: 5,
        min_upvotes: 0,
        keywords: Vec::new(),
        exclude_keywords: Vec::new(),
        categories: Vec::new(),
        dedupe_days: 7,
        weekend_policy: WeekendPolicy::Skip,
        announce_empty: false,
    }
}

/// Options for tests: short backoffs so retries take milliseconds, and the default catch-up
/// window of 180 minutes.
pub fn fast_options() -> PosterOptions {
    PosterOptions {
        first_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(200),
        max_attempts: 3,
        ..PosterOptions::default()
    }
}

/// Builds the digest sender as `paperboy run` does with `discord.rest_proxy` set to
/// `proxy_url`.
pub fn proxied_sender(proxy_url: &str, token: &str, request_timeout: Duration) -> DigestSender {
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let http = HttpBuilder::new(token)
        .proxy(proxy_url)
        .ratelimiter_disabled(true)
        .client(client)
        .build();
    DigestSender::new(
        Arc::new(http),
        &Secret::new(token),
        Some(proxy_url),
        request_timeout,
    )
    .unwrap()
}

/// Parses an RFC 3339 instant.
pub fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

pub fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

/// arXiv keys linked from the embeds of message bodies, in order, each once.
pub fn linked_ids(bodies: &[serde_json::Value]) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for embed in bodies
        .iter()
        .flat_map(|body| body["embeds"].as_array().cloned().unwrap_or_default())
    {
        let mut text = embed["description"].as_str().unwrap_or("").to_string();
        for field in embed["fields"].as_array().into_iter().flatten() {
            text.push(' ');
            text.push_str(field["value"].as_str().unwrap_or(""));
        }
        for piece in text.split("https://arxiv.org/abs/").skip(1) {
            let id: String = piece
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            if !id.is_empty() && !ids.contains(&id) {
                ids.push(id);
            }
        }
    }
    ids
}
