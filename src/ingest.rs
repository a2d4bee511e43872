//! Ingest: read saved Hugging Face days or fetch them, and write the papers to the store.
//!
//! Each file or day is its own unit: one that fails is reported with its name and the reason,
//! and the others are stored as usual. A unit is written in one transaction, so a failure never
//! leaves half a day in the store.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};

use crate::sources::hf::{self, DayParse, HfClient, ParseOptions};
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

/// Writes one parsed day in one transaction and reports the counts.
fn store_day(
    store: &mut Store,
    name: String,
    day: DayParse,
    observed_at: DateTime<Utc>,
) -> UnitReport {
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

/// Fetches each date from the Hugging Face API and stores it, one date after another.
pub async fn ingest_dates(
    store: &SharedStore,
    client: &HfClient,
    dates: &[NaiveDate],
) -> Vec<UnitReport> {
    let mut reports = Vec::with_capacity(dates.len());
    for &date in dates {
        let report = ingest_date(store, client, date).await;
        match &report.error {
            Some(error) => {
                tracing::warn!(%date, %error, "ingest of a day failed; the store keeps its earlier data for it")
            }
            None => {
                tracing::info!(%date, papers = report.papers, inserted = report.stats.inserted, updated = report.stats.updated, "ingested day")
            }
        }
        reports.push(report);
    }
    reports
}

async fn ingest_date(store: &SharedStore, client: &HfClient, date: NaiveDate) -> UnitReport {
    let name = date.to_string();
    let day = match client.fetch_day(date).await {
        Ok(day) => day,
        Err(e) => return UnitReport::failed(name, e.to_string()),
    };
    let result = store
        .run(move |s| Ok::<_, StoreError>(store_day(s, name, day, Utc::now())))
        .await;
    result.unwrap_or_else(|e| UnitReport::failed(date.to_string(), e.to_string()))
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

    #[test]
    fn recent_dates_end_at_last() {
        let last = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        let dates = recent_dates(last, 3);
        assert_eq!(dates.first(), NaiveDate::from_ymd_opt(2026, 2, 27).as_ref());
        assert_eq!(dates.last(), Some(&last));
    }
}
