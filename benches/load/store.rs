//! The stores the load benchmark runs the bot on: a million-paper store built from the arXiv
//! sample with the search benchmark's generator, and a small store for the digest fan-out.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use chrono::{DateTime, Duration as ChronoDuration, Timelike, Utc};
use paperboy::paper::Paper;
use paperboy::store::{DigestSettings, Store, WeekendPolicy};

use crate::common::digests::papers_listed_on;
use crate::corpus::{self, Corpus, Slot};

/// Papers written per `bulk_insert` call, so memory stays flat whatever the total.
const CHUNK: usize = 20_000;

/// Papers listed on today's date with upvotes, so `/trending` and the digests have papers to
/// rank. Their keys are `9912.NNNNN`, a month neither the sample nor the generator uses.
const TODAY_PAPERS: usize = 40;

/// Opens the store of `papers` papers under `dir`, building it first unless `reuse` is set and
/// an earlier run left one. Returns its path.
pub fn million_store(
    dir: &Path,
    corpus_path: &Path,
    papers: usize,
    reuse: bool,
) -> Result<PathBuf> {
    let path = dir.join(format!("paperboy-{papers}.db"));
    if reuse && path.exists() {
        let store = Store::open(&path)?;
        eprintln!(
            "reusing {} ({} papers)",
            path.display(),
            store.paper_count()?
        );
        add_today_papers(&path)?;
        return Ok(path);
    }
    std::fs::create_dir_all(dir)?;
    remove_store(&path)?;

    let started = Instant::now();
    let corpus = corpus::load(corpus_path)?;
    let generated = papers.saturating_sub(corpus.real.len() + TODAY_PAPERS);
    let slots = corpus::plan_generated(generated, 20_261_204, &corpus.real_ids());
    let mut store = Store::open(&path)?;
    let mut inserted = 0;
    for_each_chunk(&corpus, &slots, |chunk| {
        // Each chunk is observed when its newest paper came out, as a store filled over the
        // years would be. Observed today, all million snapshots would fall inside every
        // trending window, which no real store has.
        let observed_at = chunk
            .last()
            .and_then(|paper| paper.published)
            .unwrap_or_else(Utc::now);
        inserted += store.bulk_insert(chunk, observed_at)?;
        if inserted % 200_000 < CHUNK {
            eprintln!(
                "  {inserted} papers, {:.0} s",
                started.elapsed().as_secs_f64()
            );
        }
        Ok(())
    })?;
    store.optimize_search_index()?;
    drop(store);
    add_today_papers(&path)?;
    eprintln!(
        "built {} in {:.0} s",
        path.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(path)
}

/// Calls `each` with the real and generated papers merged oldest first, `CHUNK` at a time,
/// because search treats a higher full-text rowid as a newer paper.
fn for_each_chunk(
    corpus: &Corpus,
    slots: &[Slot],
    mut each: impl FnMut(&[Paper]) -> Result<()>,
) -> Result<()> {
    let mut real = corpus.real.iter().peekable();
    let mut generated = slots.iter().peekable();
    let mut chunk = Vec::with_capacity(CHUNK);
    loop {
        let take_real = match (real.peek(), generated.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(paper), Some(slot)) => paper.published.map(|t| t.date_naive()) <= Some(slot.date),
        };
        if take_real {
            chunk.extend(real.next().cloned());
        } else if let Some(slot) = generated.next() {
            chunk.push(corpus.generate(slot)?);
        }
        if chunk.len() == CHUNK {
            each(&chunk)?;
            chunk.clear();
        }
    }
    if !chunk.is_empty() {
        each(&chunk)?;
    }
    Ok(())
}

/// Lists `TODAY_PAPERS` papers on today's date, observed an hour ago and now with more upvotes,
/// so the trending score has a gain to rank by. Running it again only refreshes them.
fn add_today_papers(path: &Path) -> Result<()> {
    let mut store = Store::open(path)?;
    let now = Utc::now();
    let mut papers = papers_listed_on("9912", now.date_naive(), TODAY_PAPERS);
    store.upsert_papers(&papers, now - ChronoDuration::hours(1))?;
    for paper in &mut papers {
        paper.upvotes = paper.upvotes.map(|u| u * 2);
    }
    store.upsert_papers(&papers, now)?;
    Ok(())
}

/// Creates a store with today's papers and `count` digests on channels `first_channel..`,
/// each with a slot that fell due a minute ago.
pub fn fan_out_store(path: &Path, count: usize, guild_id: u64, first_channel: u64) -> Result<()> {
    remove_store(path)?;
    add_today_papers(path)?;
    let mut store = Store::open(path)?;

    let now = Utc::now();
    let due = now - ChronoDuration::minutes(1);
    let post_time = format!("{:02}:{:02}", due.hour(), due.minute());
    // A slot counts only if it is not older than the digest's last change.
    let changed_at: DateTime<Utc> = now - ChronoDuration::minutes(30);
    for n in 0..count as u64 {
        let settings = DigestSettings {
            guild_id,
            channel_id: first_channel + n,
            post_time: post_time.clone(),
            zone: "UTC".to_string(),
            weekdays: "mon,tue,wed,thu,fri,sat,sun".to_string(),
            paper_count: 5,
            min_upvotes: 0,
            keywords: Vec::new(),
            exclude_keywords: Vec::new(),
            categories: Vec::new(),
            dedupe_days: 7,
            weekend_policy: WeekendPolicy::Skip,
            announce_empty: false,
        };
        store.upsert_digest(&settings, None, changed_at)?;
    }

    let stored = store.active_digests()?.len();
    if stored != count {
        bail!(
            "expected {count} active digests in {}, found {stored}",
            path.display()
        );
    }
    Ok(())
}

/// Deletes a store file with its write-ahead log and shared-memory file.
pub fn remove_store(path: &Path) -> Result<()> {
    for suffix in ["", "-wal", "-shm"] {
        let file = PathBuf::from(format!("{}{suffix}", path.display()));
        if file.exists() {
            std::fs::remove_file(&file)
                .with_context(|| format!("cannot remove {}", file.display()))?;
        }
    }
    Ok(())
}
