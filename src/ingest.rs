//! Ingest: read saved Hugging Face days or fetch them, and write the papers to the store.
//!
//! Each file or day is its own unit: one that fails is reported with its name and the reason,
//! and the others are stored as usual. A unit is written in one transaction, so a failure never
//! leaves half a day in the store.

pub mod arxiv;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration as StdDuration;

use backon::{ExponentialBuilder, Retryable};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};

use crate::sources::hf::{self, DayParse, HfClient, HfError, ParseOptions};
use crate::store::{SharedStore, Store, StoreError, UpsertStats};

/// The outcome of one file or one day.
#[derive(Debug, Clone, serde::Serialize)]
pub struct UnitReport {
    /// The file path or the date.
    pub name: String,
    pub papers: usize,
    pub stats: UpsertStats,
    /// Items of the payload that were left out, with the reason.
    pub skipped: Vec<String>,
    /// Why the whole unit failed, if it did.
    pub error: Option<String>,
}

impl UnitReport {
    fn failed(name: String, error: String) -> Self {
        UnitReport {
            name,
            papers: 0,
            stats: UpsertStats::default(),
            skipped: Vec::new(),
            error: Some(error),
        }
    }

    /// One line for a terminal or a log.
    pub fn summary_line(&self) -> String {
        if let Some(error) = &self.error {
            return format!("{}: failed: {error}", self.name);
        }
        let mut line = format!(
            "{}: {} papers ({} new, {} updated, {} unchanged, {} upvote snapshots)",
            self.name,
            self.papers,
            self.stats.inserted,
            self.stats.updated,
            self.stats.unchanged,
            self.stats.snapshots
        );
        if !self.skipped.is_empty() {
            line.push_str(&format!("; skipped {} items", self.skipped.len()));
        }
        line
    }
}

/// Ingests saved `daily_papers` responses. A saved response is treated as observed at the end
/// of its listing day (or now, if that is earlier), so its upvote counts are placed in time
/// where trending windows expect them, and ingesting the same file again changes nothing.
pub fn ingest_files(store: &mut Store, paths: &[PathBuf], now: DateTime<Utc>) -> Vec<UnitReport> {
    paths
        .iter()
        .map(|path| ingest_file(store, path, now))
        .collect()
}

fn ingest_file(store: &mut Store, path: &Path, now: DateTime<Utc>) -> UnitReport {
    let name = path.display().to_string();
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => return UnitReport::failed(name, format!("cannot read the file: {e}")),
    };
    let options = ParseOptions {
        listed_on: date_in_file_name(path),
        site_base: url::Url::parse("https://huggingface.co").ok(),
    };
    let day = match hf::parse_day_with(&text, &options) {
        Ok(day) => day,
        Err(e) => return UnitReport::failed(name, e.to_string()),
    };
    let observed_at = observed_at_for(&day, now);
    store_day(store, name, day, observed_at)
}

/// Writes one parsed day in one transaction and reports the counts. A day whose every item
/// was skipped is a failure and writes nothing, because such a response is broken as a whole
/// (the items are strings, say), not a day without papers.
fn store_day(
    store: &mut Store,
    name: String,
    day: DayParse,
    observed_at: DateTime<Utc>,
) -> UnitReport {
    if let (true, Some(first)) = (day.papers.is_empty(), day.skipped.first()) {
        let error = format!(
            "all {} items were unusable (item {}: {})",
            day.skipped.len(),
            first.index,
            first.reason
        );
        return UnitReport::failed(name, error);
    }
    let skipped = day
        .skipped
        .iter()
        .map(|s| format!("item {}: {}", s.index, s.reason))
        .collect();
    match store.upsert_papers(&day.papers, observed_at) {
        Ok(stats) => UnitReport {
            name,
            papers: day.papers.len(),
            stats,
            skipped,
            error: None,
        },
        Err(e) => UnitReport::failed(name, format!("cannot write to the store: {e}")),
    }
}

/// Finds a `YYYY-MM-DD` date in a file name, as in `daily_papers_2025-01-27.json`.
fn date_in_file_name(path: &Path) -> Option<NaiveDate> {
    let name = path.file_name()?.to_str()?;
    let bytes = name.as_bytes();
    (0..bytes.len().saturating_sub(9)).find_map(|start| {
        let candidate = name.get(start..start + 10)?;
        NaiveDate::parse_from_str(candidate, "%Y-%m-%d").ok()
    })
}

fn observed_at_for(day: &DayParse, now: DateTime<Utc>) -> DateTime<Utc> {
    let latest = day.papers.iter().filter_map(|p| p.daily_date).max();
    match latest {
        Some(date) => {
            let end_of_day = date.and_time(NaiveTime::MIN).and_utc() + Duration::days(1);
            end_of_day.min(now)
        }
        None => now,
    }
}

/// The dates an ingest run refreshes: `days` dates ending at `last`, oldest first.
pub fn recent_dates(last: NaiveDate, days: u32) -> Vec<NaiveDate> {
    (0..days as i64)
        .rev()
        .filter_map(|back| last.checked_sub_signed(Duration::days(back)))
        .collect()
}

/// Retry settings for the ingest of one date. Failures that can pass on their own are retried:
/// server errors (5xx and 408), rate limits (429), timeouts and broken connections. Invalid or
/// oversized responses and other 4xx statuses are not, because a new request returns the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt; 0 turns retrying off.
    pub max_retries: usize,
    /// Wait before the first retry. Each later wait doubles, up to `max_delay`.
    pub first_delay: StdDuration,
    pub max_delay: StdDuration,
    /// Longest `Retry-After` that is honoured. A 429 requesting a longer wait ends the
    /// date's attempts, and the next ingest run requests the date again.
    pub max_retry_after: StdDuration,
}

impl Default for RetryPolicy {
    /// Three retries after 2, 4 and 8 s, and a `Retry-After` of up to two minutes. A failing
    /// date costs four request timeouts plus 14 s of waits, or up to 6 min when every retry
    /// follows a 429 that requests the full two minutes.
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            first_delay: StdDuration::from_secs(2),
            max_delay: StdDuration::from_secs(30),
            max_retry_after: StdDuration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    fn backoff(&self) -> ExponentialBuilder {
        ExponentialBuilder::new()
            .with_min_delay(self.first_delay)
            .with_max_delay(self.max_delay)
            .with_factor(2.0)
            .with_max_times(self.max_retries)
    }

    /// Returns the wait before the next retry: the backoff delay, or the `Retry-After` of a
    /// 429 if that is longer. `None` stops retrying, either because the backoff is used up or
    /// because Hugging Face asked for a wait beyond [`Self::max_retry_after`].
    fn next_wait(&self, error: &HfError, backoff: Option<StdDuration>) -> Option<StdDuration> {
        let backoff = backoff?;
        match requested_wait(error) {
            Some(wait) if wait > self.max_retry_after => None,
            Some(wait) => Some(wait.max(backoff)),
            None => Some(backoff),
        }
    }
}

/// Returns whether a new request may succeed.
fn is_transient(error: &HfError) -> bool {
    match error {
        HfError::Timeout { .. }
        | HfError::Connect { .. }
        | HfError::Request { .. }
        | HfError::RateLimited { .. } => true,
        HfError::Http { status, .. } => *status >= 500 || *status == 408,
        HfError::TooLarge { .. } | HfError::Parse { .. } => false,
    }
}

/// Returns the wait a 429 requested in `Retry-After` (or the `RateLimit` header).
fn requested_wait(error: &HfError) -> Option<StdDuration> {
    match error {
        HfError::RateLimited { retry_after, .. } => *retry_after,
        _ => None,
    }
}

/// Formats a wait for a log line: whole seconds, or tenths below ten seconds.
fn seconds(wait: StdDuration) -> String {
    if wait < StdDuration::from_secs(10) {
        format!("{:.1}", wait.as_secs_f64())
    } else {
        format!("{}", wait.as_secs_f64().round())
    }
}

/// Fetches each date from the Hugging Face API and stores it, one date after another, with
/// the default [`RetryPolicy`].
pub async fn ingest_dates(
    store: &SharedStore,
    client: &HfClient,
    dates: &[NaiveDate],
) -> Vec<UnitReport> {
    ingest_dates_with(store, client, dates, &RetryPolicy::default()).await
}

/// Fetches each date from the Hugging Face API and stores it, retrying as `policy` sets. A
/// date that still fails leaves the store's earlier data for it untouched.
pub async fn ingest_dates_with(
    store: &SharedStore,
    client: &HfClient,
    dates: &[NaiveDate],
    policy: &RetryPolicy,
) -> Vec<UnitReport> {
    let mut reports = Vec::with_capacity(dates.len());
    for &date in dates {
        let report = ingest_date(store, client, date, policy).await;
        match &report.error {
            Some(error) => {
                tracing::warn!(%date, %error, "ingest of a day failed; the store keeps its earlier data for it")
            }
            None => {
                tracing::info!(%date, papers = report.papers, inserted = report.stats.inserted, updated = report.stats.updated, skipped = report.skipped.len(), "ingested day")
            }
        }
        reports.push(report);
    }
    reports
}

async fn ingest_date(
    store: &SharedStore,
    client: &HfClient,
    date: NaiveDate,
    policy: &RetryPolicy,
) -> UnitReport {
    let name = date.to_string();
    let day = match fetch_day_with_retries(client, date, policy).await {
        Ok(day) => day,
        Err(error) => return UnitReport::failed(name, error),
    };
    let result = store
        .run(move |s| Ok::<_, StoreError>(store_day(s, name, day, Utc::now())))
        .await;
    result.unwrap_or_else(|e| UnitReport::failed(date.to_string(), e.to_string()))
}

/// Fetches one day, retrying transient failures. The error text names how many attempts were
/// made and, when a retry was possible but not made, why.
async fn fetch_day_with_retries(
    client: &HfClient,
    date: NaiveDate,
    policy: &RetryPolicy,
) -> Result<DayParse, String> {
    // Atomic because the closures below share it and the future must stay `Send`.
    let attempts = AtomicUsize::new(0);
    let fetch = || async {
        attempts.fetch_add(1, Ordering::Relaxed);
        client.fetch_day(date).await
    };
    let result = fetch
        .retry(policy.backoff())
        .sleep(tokio::time::sleep)
        .when(is_transient)
        .adjust(|error, backoff| policy.next_wait(error, backoff))
        .notify(|error, wait| {
            tracing::warn!(
                %date,
                attempt = attempts.load(Ordering::Relaxed),
                %error,
                retry_in_ms = wait.as_millis() as u64,
                "fetching a Daily Papers day failed; will retry in {} s",
                seconds(wait)
            );
        })
        .await;

    result.map_err(|error| {
        let attempts = attempts.load(Ordering::Relaxed);
        let tries = if attempts == 1 {
            "1 attempt".to_string()
        } else {
            format!("{attempts} attempts")
        };
        match requested_wait(&error) {
            Some(wait) if wait > policy.max_retry_after => format!(
                "{error} (after {tries}; not retried because the requested wait of {} s is \
                 longer than the cap of {} s)",
                wait.as_secs(),
                policy.max_retry_after.as_secs()
            ),
            _ if !is_transient(&error) => format!("{error} (after {tries}; not retried)"),
            _ => format!("{error} (after {tries})"),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_name_date_is_found() {
        let path = Path::new("/x/daily_papers_2025-01-27_664-author-paper_4items.json");
        assert_eq!(
            date_in_file_name(path),
            NaiveDate::from_ymd_opt(2025, 1, 27)
        );
        assert_eq!(date_in_file_name(Path::new("day.json")), None);
    }

    fn rate_limited(retry_after_secs: Option<u64>) -> HfError {
        HfError::RateLimited {
            url: "http://127.0.0.1/api/daily_papers".into(),
            retry_after: retry_after_secs.map(StdDuration::from_secs),
        }
    }

    fn http_status(status: u16) -> HfError {
        HfError::Http {
            url: "http://127.0.0.1/api/daily_papers".into(),
            status,
            message: "error".into(),
        }
    }

    #[test]
    fn only_transient_errors_are_retried() {
        assert!(is_transient(&http_status(500)));
        assert!(is_transient(&http_status(503)));
        assert!(is_transient(&http_status(408)));
        assert!(is_transient(&rate_limited(None)));
        assert!(!is_transient(&http_status(400)));
        assert!(!is_transient(&http_status(404)));
        let parse = HfError::Parse {
            url: String::new(),
            source: hf::ParseError::Empty,
        };
        assert!(!is_transient(&parse));
    }

    #[test]
    fn retry_after_sets_a_floor_and_a_cap() {
        let policy = RetryPolicy::default();
        let backoff = Some(StdDuration::from_secs(2));
        assert_eq!(
            policy.next_wait(&http_status(503), backoff),
            backoff,
            "a 5xx waits the backoff"
        );
        assert_eq!(
            policy.next_wait(&rate_limited(Some(30)), backoff),
            Some(StdDuration::from_secs(30))
        );
        assert_eq!(policy.next_wait(&rate_limited(Some(1)), backoff), backoff);
        assert_eq!(policy.next_wait(&rate_limited(Some(121)), backoff), None);
        assert_eq!(policy.next_wait(&rate_limited(Some(30)), None), None);
    }

    #[test]
    fn default_backoff_is_bounded() {
        use backon::BackoffBuilder;
        let waits: Vec<StdDuration> = RetryPolicy::default().backoff().build().collect();
        let seconds: Vec<u64> = waits.iter().map(StdDuration::as_secs).collect();
        assert_eq!(seconds, [2, 4, 8]);
    }

    #[test]
    fn recent_dates_end_at_last() {
        let last = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        let dates = recent_dates(last, 3);
        assert_eq!(dates.first(), NaiveDate::from_ymd_opt(2026, 2, 27).as_ref());
        assert_eq!(dates.last(), Some(&last));
    }
}
