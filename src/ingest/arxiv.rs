//! Daily ingest of the newest arXiv submissions in the categories that digests follow.
//!
//! arXiv's terms of use allow one request every 3 seconds over a single connection, which
//! [`ArxivClient`] enforces. On top of that, each category listing is requested at most once a
//! day: the time of every request is stored, so a restart does not request it again.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::UnitReport;
use crate::config::Config;
use crate::error::chain;
use crate::sources::arxiv::ArxivClient;
use crate::store::{SharedStore, StoreError, UpsertStats};

/// Minimum time between two listing requests of the same category.
pub const CATEGORY_FETCH_INTERVAL: chrono::Duration = chrono::Duration::hours(24);

/// Time between two checks for categories that are due. A category that a digest starts to
/// follow is fetched at the next check.
const CHECK_INTERVAL: Duration = Duration::from_secs(60 * 60);

/// Lists the arXiv categories of the active digests, sorted and without repeats.
pub async fn followed_categories(store: &SharedStore) -> Result<Vec<String>, StoreError> {
    store.run(|s| s.followed_categories()).await
}

/// Fetches the newest submissions of each category whose last request is at least
/// [`CATEGORY_FETCH_INTERVAL`] old (or that was never requested) and stores them.
///
/// Returns one report per category requested; categories not yet due are left out. A failed
/// request counts as the day's request too, so it is not repeated before the interval ends.
pub async fn ingest_categories(
    store: &SharedStore,
    client: &ArxivClient,
    categories: &[String],
    max_results: usize,
    now: DateTime<Utc>,
) -> Vec<UnitReport> {
    let mut reports = Vec::new();
    for category in categories {
        match is_due(store, category, now).await {
            Ok(false) => {
                tracing::debug!(%category, "arXiv category was fetched within the last day");
                continue;
            }
            Ok(true) => {}
            Err(error) => {
                tracing::warn!(%category, error = %chain(&error), "cannot read when the arXiv category was last fetched");
                continue;
            }
        }
        let report = ingest_category(store, client, category, max_results, now).await;
        match &report.error {
            Some(error) => tracing::warn!(%category, %error, "arXiv category ingest failed"),
            None => tracing::info!(
                %category,
                papers = report.papers,
                inserted = report.stats.inserted,
                "ingested arXiv category"
            ),
        }
        reports.push(report);
    }
    reports
}

async fn is_due(
    store: &SharedStore,
    category: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let name = category.to_string();
    let last = store.run(move |s| s.category_fetched_at(&name)).await?;
    Ok(last.is_none_or(|at| now - at >= CATEGORY_FETCH_INTERVAL))
}

async fn ingest_category(
    store: &SharedStore,
    client: &ArxivClient,
    category: &str,
    max_results: usize,
    now: DateTime<Utc>,
) -> UnitReport {
    let name = category.to_string();
    // Recorded before the request, so that a crash during it still counts as the day's request.
    let recorded = {
        let name = name.clone();
        store
            .run(move |s| s.record_category_fetch(&name, now, 0, None))
            .await
    };
    if let Err(error) = recorded {
        return failed(name, format!("cannot write to the store: {error}"));
    }

    let papers = match client.fetch_category_listing(category, max_results).await {
        Ok(papers) => papers,
        Err(error) => {
            let message = error.to_string();
            let (key, text) = (name.clone(), chain(&error));
            let _ = store
                .run(move |s| s.record_category_fetch(&key, now, 0, Some(&text)))
                .await;
            return failed(name, message);
        }
    };

    let count = papers.len();
    let key = name.clone();
    let stored = store
        .run(move |s| {
            let stats = s.upsert_papers(&papers, Utc::now())?;
            s.record_category_fetch(&key, now, count, None)?;
            Ok(stats)
        })
        .await;
    match stored {
        Ok(stats) => UnitReport {
            name,
            papers: count,
            stats,
            skipped: Vec::new(),
            error: None,
        },
        Err(error) => failed(name, format!("cannot write to the store: {error}")),
    }
}

fn failed(name: String, error: String) -> UnitReport {
    UnitReport {
        name,
        papers: 0,
        stats: UpsertStats::default(),
        skipped: Vec::new(),
        error: Some(error),
    }
}

/// Starts the background task that ingests followed categories once a day, or returns `None`
/// when `arxiv.base_url` is unset.
pub fn spawn_category_loop(
    config: &Config,
    store: SharedStore,
) -> anyhow::Result<Option<tokio::task::JoinHandle<()>>> {
    let Some(client) = crate::core::lookup::arxiv_client(config)? else {
        tracing::info!("arxiv.base_url is not set, so the bot does not ingest arXiv categories");
        return Ok(None);
    };
    let max_results = config.arxiv.category_max_results;
    Ok(Some(tokio::spawn(async move {
        loop {
            match followed_categories(&store).await {
                Ok(categories) => {
                    ingest_categories(&store, &client, &categories, max_results, Utc::now()).await;
                }
                Err(error) => {
                    tracing::warn!(error = %chain(&error), "cannot list the arXiv categories that digests follow");
                }
            }
            tokio::time::sleep(CHECK_INTERVAL).await;
        }
    })))
}
