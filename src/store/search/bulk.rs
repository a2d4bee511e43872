//! The bulk path into the store: many new papers in one transaction, with prepared statements
//! and no read of what is already stored.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Transaction};

use crate::paper::Paper;
use crate::store::papers::{fts_keywords, json_list, ts};
use crate::store::{Store, StoreError};

impl Store {
    /// Inserts papers the store lacks, with their authors, index rows and first snapshot, in
    /// one transaction, and returns how many it inserted. Papers already stored are skipped,
    /// not merged.
    ///
    /// This is the fast path for loading an archive into a new store: it never reads a stored
    /// paper, where [`Store::upsert_papers`] loads and merges each one. Index rowids follow the
    /// order of `papers`, and search ranks the newest rowids first when a word matches more
    /// than [`super::CANDIDATES`] papers, so give papers oldest first.
    pub fn bulk_insert(
        &mut self,
        papers: &[Paper],
        observed_at: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let previous: i64 = self
            .conn
            .pragma_query_value(None, "cache_size", |r| r.get(0))?;
        self.conn
            .pragma_update(None, "cache_size", BULK_CACHE_SIZE)?;
        let result = self.insert_new_papers(papers, &ts(observed_at));
        let restored = self.conn.pragma_update(None, "cache_size", previous);
        let inserted = result?;
        restored?;
        Ok(inserted)
    }

    fn insert_new_papers(&mut self, papers: &[Paper], now: &str) -> Result<usize, StoreError> {
        let tx = self.conn.transaction()?;
        let triggers = suspend_triggers(&tx)?;
        let mut inserted = 0;
        {
            let mut writer = BulkWriter::new(&tx)?;
            for paper in papers {
                if writer.insert(paper, now)? {
                    inserted += 1;
                }
            }
            writer.write_months()?;
        }
        for sql in triggers {
            tx.execute_batch(&sql)?;
        }
        tx.commit()?;
        Ok(inserted)
    }
}

/// SQLite's page cache during a bulk insert, in KiB (a negative `cache_size` is KiB). The key
/// index of `papers` and the index segments being merged then stay in memory: at 100,000
/// papers this cut the insert time by a third against the default of 2 MiB.
const BULK_CACHE_SIZE: i64 = -256 * 1024;

/// Triggers on `papers` that keep the search tables in step, which a bulk insert drops for
/// its transaction and does the work of itself. Inside a trigger each write to an FTS5 table
/// runs in its own statement savepoint, and FTS5 writes its pending entries out as a new
/// segment at every savepoint: at 200,000 papers that made the insert four times slower.
const SUSPENDED_TRIGGERS: [&str; 2] = ["papers_title_insert", "papers_month_insert"];

/// Drops the search triggers and returns their SQL, to run again before commit. A rollback
/// restores them with everything else.
fn suspend_triggers(tx: &Transaction<'_>) -> Result<Vec<String>, StoreError> {
    let mut saved = Vec::new();
    for name in SUSPENDED_TRIGGERS {
        let sql: Option<String> = tx
            .query_row(
                "SELECT sql FROM sqlite_schema WHERE type = 'trigger' AND name = ?1",
                [name],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(sql) = sql {
            tx.execute_batch(&format!("DROP TRIGGER {name}"))?;
            saved.push(sql);
        }
    }
    Ok(saved)
}

/// The prepared statements of one bulk insert, and the month bounds it has seen.
struct BulkWriter<'t> {
    paper: rusqlite::Statement<'t>,
    author: rusqlite::Statement<'t>,
    fts: rusqlite::Statement<'t>,
    title: rusqlite::Statement<'t>,
    snapshot: rusqlite::Statement<'t>,
    month: rusqlite::Statement<'t>,
    /// First and last rowid of each month (YYYY-MM) inserted.
    months: HashMap<String, (i64, i64)>,
}

impl<'t> BulkWriter<'t> {
    fn new(tx: &'t Transaction<'_>) -> Result<Self, StoreError> {
        Ok(BulkWriter {
            paper: tx.prepare(
                "INSERT OR IGNORE INTO papers (id, title, abstract, published, daily_date, \
                   upvotes, num_comments, github_repo, github_stars, project_page, ai_summary, \
                   ai_keywords, categories, thumbnail, first_seen, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?15) \
                 RETURNING rowid",
            )?,
            author: tx.prepare(
                "INSERT INTO paper_authors (paper_id, position, name) VALUES (?1, ?2, ?3)",
            )?,
            fts: tx.prepare(
                "INSERT INTO papers_fts (rowid, title, keywords, abstract, authors) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?,
            title: tx.prepare("INSERT INTO papers_title_fts (rowid, title) VALUES (?1, ?2)")?,
            snapshot: tx.prepare(
                "INSERT OR IGNORE INTO snapshots (paper_id, taken_at, upvotes, github_stars) \
                 VALUES (?1, ?2, ?3, ?4)",
            )?,
            month: tx.prepare(
                "INSERT INTO search_months (month, first_rowid, last_rowid) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (month) DO UPDATE SET \
                   first_rowid = min(first_rowid, excluded.first_rowid), \
                   last_rowid = max(last_rowid, excluded.last_rowid)",
            )?,
            months: HashMap::new(),
        })
    }

    /// Widens `search_months` to cover the papers inserted, as the suspended trigger would.
    fn write_months(&mut self) -> Result<(), StoreError> {
        for (month, (first, last)) in self.months.drain() {
            self.month.execute(params![month, first, last])?;
        }
        Ok(())
    }

    fn note_month(&mut self, paper: &Paper, rowid: i64) {
        let date = paper.published.map(|t| t.date_naive()).or(paper.daily_date);
        let Some(date) = date else {
            return;
        };
        let bounds = self
            .months
            .entry(date.format("%Y-%m").to_string())
            .or_insert((rowid, rowid));
        bounds.0 = bounds.0.min(rowid);
        bounds.1 = bounds.1.max(rowid);
    }

    /// Writes one paper; returns false when its key was already stored.
    fn insert(&mut self, paper: &Paper, now: &str) -> Result<bool, StoreError> {
        let key = paper.id.key();
        let rowid: Option<i64> = self
            .paper
            .query_row(
                params![
                    key,
                    paper.title,
                    paper.abstract_text,
                    paper.published.map(ts),
                    paper.daily_date.map(|d| d.to_string()),
                    paper.upvotes,
                    paper.num_comments,
                    paper.github_repo,
                    paper.github_stars,
                    paper.project_page,
                    paper.ai_summary,
                    json_list(&paper.ai_keywords),
                    json_list(&paper.categories),
                    paper.thumbnail,
                    now,
                ],
                |r| r.get(0),
            )
            .optional()?;
        let Some(rowid) = rowid else {
            return Ok(false);
        };
        for (position, name) in paper.authors.iter().enumerate() {
            self.author.execute(params![key, position as i64, name])?;
        }
        self.fts.execute(params![
            rowid,
            paper.title,
            fts_keywords(paper),
            paper.abstract_text,
            paper.authors.join(" ; ")
        ])?;
        self.title.execute(params![rowid, paper.title])?;
        self.note_month(paper, rowid);
        if paper.upvotes.is_some() || paper.github_stars.is_some() {
            self.snapshot
                .execute(params![key, now, paper.upvotes, paper.github_stars])?;
        }
        Ok(true)
    }
}
