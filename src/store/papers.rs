//! Papers, their authors, the full-text index rows and the upvote and star snapshots.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use rusqlite::{params, OptionalExtension, Row, Transaction};

use super::{search, Store, StoreError};
use crate::ids::ArxivId;
use crate::paper::Paper;

/// What one call of [`Store::upsert_papers`] changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct UpsertStats {
    pub inserted: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub snapshots: usize,
}

/// The upvote and star counts of one paper at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotPoint {
    pub taken_at: DateTime<Utc>,
    pub upvotes: Option<i64>,
    pub github_stars: Option<i64>,
}

/// Formats an instant so that text order is time order (fixed width, always UTC).
pub(crate) fn ts(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub(crate) fn parse_ts(text: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| StoreError::Corrupt {
            what: "timestamp",
            value: text.to_string(),
        })
}

fn parse_date(text: &str) -> Result<NaiveDate, StoreError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| StoreError::Corrupt {
        what: "date",
        value: text.to_string(),
    })
}

/// Builds the `keywords` column of the full-text index: Hugging Face's keywords and the arXiv
/// categories, so that both "diffusion model" and `cs.CL` find a paper.
pub(crate) fn fts_keywords(paper: &Paper) -> String {
    paper
        .ai_keywords
        .iter()
        .chain(paper.categories.iter())
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(" ; ")
}

pub(crate) fn json_list(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".to_string())
}

fn parse_json_list(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

const PAPER_COLUMNS: &str = "id, title, abstract, published, daily_date, upvotes, num_comments, \
     github_repo, github_stars, project_page, ai_summary, ai_keywords, categories, thumbnail";

impl Store {
    /// Inserts new papers and merges fresh data into known ones, in one transaction.
    ///
    /// A value the new data lacks never erases a stored one, because sources differ in what
    /// they carry (arXiv has no upvotes, Hugging Face no categories). A snapshot is written at
    /// `observed_at` when the upvote or star count differs from the paper's latest snapshot.
    pub fn upsert_papers(
        &mut self,
        papers: &[Paper],
        observed_at: DateTime<Utc>,
    ) -> Result<UpsertStats, StoreError> {
        // IMMEDIATE takes the write lock up front, so a second writer waits out the busy
        // timeout instead of failing when its read lock cannot be upgraded.
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut stats = UpsertStats::default();
        for paper in papers {
            upsert_one(&tx, paper, observed_at, &mut stats)?;
        }
        if stats.inserted > 0 || stats.updated > 0 {
            search::count_queued_words(&tx)?;
        }
        tx.commit()?;
        Ok(stats)
    }

    /// Looks one paper up by its canonical key.
    pub fn paper(&self, id: &ArxivId) -> Result<Option<Paper>, StoreError> {
        load_paper(&self.conn, id.key())
    }

    /// Loads papers by key, in the order given; unknown keys are left out.
    pub fn papers_by_ids(&self, ids: &[ArxivId]) -> Result<Vec<Paper>, StoreError> {
        let mut papers = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(paper) = load_paper(&self.conn, id.key())? {
                papers.push(paper);
            }
        }
        Ok(papers)
    }

    pub fn paper_count(&self) -> Result<u64, StoreError> {
        let count: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM papers", [], |r| r.get(0))?;
        Ok(count.max(0) as u64)
    }

    /// Every snapshot of one paper, oldest first.
    pub fn snapshots(&self, id: &ArxivId) -> Result<Vec<SnapshotPoint>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT taken_at, upvotes, github_stars FROM snapshots \
             WHERE paper_id = ?1 ORDER BY taken_at",
        )?;
        let rows = stmt.query_map([id.key()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<i64>>(1)?,
                r.get(2)?,
            ))
        })?;
        let mut points = Vec::new();
        for row in rows {
            let (taken_at, upvotes, github_stars) = row?;
            points.push(SnapshotPoint {
                taken_at: parse_ts(&taken_at)?,
                upvotes,
                github_stars,
            });
        }
        Ok(points)
    }

    /// Keys of papers that were listed, or whose counts were observed, in `(from, to]`.
    /// These are the candidates for a trending window.
    pub fn active_paper_ids(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<ArxivId>, StoreError> {
        let from_date = from.date_naive().to_string();
        let to_date = to.date_naive().to_string();
        let mut stmt = self.conn.prepare_cached(
            "SELECT paper_id FROM snapshots WHERE taken_at > ?1 AND taken_at <= ?2 \
             UNION \
             SELECT id FROM papers WHERE daily_date >= ?3 AND daily_date <= ?4",
        )?;
        let rows = stmt.query_map(params![ts(from), ts(to), from_date, to_date], |r| {
            r.get::<_, String>(0)
        })?;
        let mut ids = Vec::new();
        for row in rows {
            let key = row?;
            let id = ArxivId::from_key(&key).map_err(|_| StoreError::Corrupt {
                what: "paper id",
                value: key,
            })?;
            ids.push(id);
        }
        Ok(ids)
    }

    /// Papers whose first arXiv version was published in `(from, to]`, newest first.
    pub fn papers_published_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Paper>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id FROM papers WHERE published > ?1 AND published <= ?2 \
             ORDER BY published DESC LIMIT ?3",
        )?;
        let keys = stmt
            .query_map(params![ts(from), ts(to), limit as i64], |r| {
                r.get::<_, String>(0)
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let mut papers = Vec::with_capacity(keys.len());
        for key in keys {
            if let Some(paper) = load_paper(&self.conn, &key)? {
                papers.push(paper);
            }
        }
        Ok(papers)
    }

    /// The latest snapshot of a paper taken at or before `at`.
    pub fn snapshot_at(
        &self,
        id: &ArxivId,
        at: DateTime<Utc>,
    ) -> Result<Option<SnapshotPoint>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT taken_at, upvotes, github_stars FROM snapshots \
             WHERE paper_id = ?1 AND taken_at <= ?2 ORDER BY taken_at DESC LIMIT 1",
        )?;
        let row = stmt
            .query_row(params![id.key(), ts(at)], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<i64>>(1)?,
                    r.get(2)?,
                ))
            })
            .optional()?;
        match row {
            Some((taken_at, upvotes, github_stars)) => Ok(Some(SnapshotPoint {
                taken_at: parse_ts(&taken_at)?,
                upvotes,
                github_stars,
            })),
            None => Ok(None),
        }
    }
}

fn upsert_one(
    tx: &Transaction<'_>,
    paper: &Paper,
    observed_at: DateTime<Utc>,
    stats: &mut UpsertStats,
) -> Result<(), StoreError> {
    let existing = load_paper(tx, paper.id.key())?;
    let merged = match &existing {
        Some(old) => merge(old, paper),
        None => paper.clone(),
    };

    match &existing {
        None => {
            write_paper(tx, &merged, observed_at, true)?;
            stats.inserted += 1;
        }
        Some(old) if *old != merged => {
            write_paper(tx, &merged, observed_at, false)?;
            requeue_changed_text(tx, old, &merged)?;
            stats.updated += 1;
        }
        Some(_) => stats.unchanged += 1,
    }

    if record_snapshot(tx, paper, observed_at)? {
        stats.snapshots += 1;
    }
    Ok(())
}

/// Combines a stored paper with fresh data: fresh values win, absent ones keep the stored.
fn merge(old: &Paper, new: &Paper) -> Paper {
    fn pick<T: Clone>(new: &Option<T>, old: &Option<T>) -> Option<T> {
        new.clone().or_else(|| old.clone())
    }
    fn pick_list(new: &[String], old: &[String]) -> Vec<String> {
        if new.is_empty() { old } else { new }.to_vec()
    }
    Paper {
        id: old.id.clone(),
        title: if new.title.is_empty() {
            &old.title
        } else {
            &new.title
        }
        .clone(),
        abstract_text: if new.abstract_text.is_empty() {
            &old.abstract_text
        } else {
            &new.abstract_text
        }
        .clone(),
        authors: pick_list(&new.authors, &old.authors),
        published: pick(&new.published, &old.published),
        // The first listing date is kept: Hugging Face sometimes lists a paper again days later.
        daily_date: pick(&old.daily_date, &new.daily_date),
        upvotes: pick(&new.upvotes, &old.upvotes),
        num_comments: pick(&new.num_comments, &old.num_comments),
        github_repo: pick(&new.github_repo, &old.github_repo),
        github_stars: pick(&new.github_stars, &old.github_stars),
        project_page: pick(&new.project_page, &old.project_page),
        ai_summary: pick(&new.ai_summary, &old.ai_summary),
        ai_keywords: pick_list(&new.ai_keywords, &old.ai_keywords),
        categories: pick_list(&new.categories, &old.categories),
        thumbnail: pick(&new.thumbnail, &old.thumbnail),
    }
}

fn write_paper(
    tx: &Transaction<'_>,
    paper: &Paper,
    now: DateTime<Utc>,
    is_new: bool,
) -> Result<(), StoreError> {
    let now_text = ts(now);
    tx.prepare_cached(
        "INSERT INTO papers (id, title, abstract, published, daily_date, upvotes, num_comments, \
           github_repo, github_stars, project_page, ai_summary, ai_keywords, categories, \
           thumbnail, first_seen, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?15) \
         ON CONFLICT (id) DO UPDATE SET title = excluded.title, abstract = excluded.abstract, \
           published = excluded.published, daily_date = excluded.daily_date, \
           upvotes = excluded.upvotes, num_comments = excluded.num_comments, \
           github_repo = excluded.github_repo, github_stars = excluded.github_stars, \
           project_page = excluded.project_page, ai_summary = excluded.ai_summary, \
           ai_keywords = excluded.ai_keywords, categories = excluded.categories, \
           thumbnail = excluded.thumbnail, updated_at = excluded.updated_at",
    )?
    .execute(params![
        paper.id.key(),
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
        now_text,
    ])?;

    write_authors(tx, paper)?;
    write_fts(tx, paper, is_new)
}

fn write_authors(tx: &Transaction<'_>, paper: &Paper) -> Result<(), StoreError> {
    tx.prepare_cached("DELETE FROM paper_authors WHERE paper_id = ?1")?
        .execute([paper.id.key()])?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO paper_authors (paper_id, position, name) VALUES (?1, ?2, ?3)",
    )?;
    for (position, name) in paper.authors.iter().enumerate() {
        insert.execute(params![paper.id.key(), position as i64, name])?;
    }
    Ok(())
}

/// Replaces the paper's row in the full-text index. Keywords hold Hugging Face's keywords and
/// the arXiv categories, so `cs.CL` and "diffusion model" both find a paper.
fn write_fts(tx: &Transaction<'_>, paper: &Paper, is_new: bool) -> Result<(), StoreError> {
    let rowid: i64 = tx
        .prepare_cached("SELECT rowid FROM papers WHERE id = ?1")?
        .query_row([paper.id.key()], |r| r.get(0))?;
    if !is_new {
        tx.prepare_cached("DELETE FROM papers_fts WHERE rowid = ?1")?
            .execute([rowid])?;
    }
    let keywords = fts_keywords(paper);
    let authors = paper.authors.join(" ; ");
    tx.prepare_cached(
        "INSERT INTO papers_fts (rowid, title, keywords, abstract, authors) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        rowid,
        paper.title,
        keywords,
        paper.abstract_text,
        authors
    ])?;
    if is_new {
        search::queue_paper_text(tx, &fts_text(paper), true)?;
    }
    Ok(())
}

/// Joins the text of a paper's four full-text columns, as `search_words` counts it.
fn fts_text(paper: &Paper) -> String {
    [
        paper.title.as_str(),
        &fts_keywords(paper),
        &paper.abstract_text,
        &paper.authors.join(" ; "),
    ]
    .join("\n")
}

/// Moves the word counts of an updated paper from its old text to its new one, when the
/// indexed text changed (a later source often adds keywords or categories).
fn requeue_changed_text(tx: &Transaction<'_>, old: &Paper, new: &Paper) -> Result<(), StoreError> {
    let (before, after) = (fts_text(old), fts_text(new));
    if before != after {
        search::queue_paper_text(tx, &before, false)?;
        search::queue_paper_text(tx, &after, true)?;
    }
    Ok(())
}

/// Writes a snapshot when the counts differ from the latest one. Returns whether it wrote.
fn record_snapshot(
    tx: &Transaction<'_>,
    paper: &Paper,
    observed_at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    if paper.upvotes.is_none() && paper.github_stars.is_none() {
        return Ok(false);
    }
    let latest: Option<(Option<i64>, Option<i64>)> = tx
        .prepare_cached(
            "SELECT upvotes, github_stars FROM snapshots WHERE paper_id = ?1 \
             ORDER BY taken_at DESC LIMIT 1",
        )?
        .query_row([paper.id.key()], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    if latest == Some((paper.upvotes, paper.github_stars)) {
        return Ok(false);
    }
    let written = tx
        .prepare_cached(
            "INSERT OR IGNORE INTO snapshots (paper_id, taken_at, upvotes, github_stars) \
             VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![
            paper.id.key(),
            ts(observed_at),
            paper.upvotes,
            paper.github_stars
        ])?;
    Ok(written > 0)
}

pub(crate) fn load_paper(
    conn: &rusqlite::Connection,
    key: &str,
) -> Result<Option<Paper>, StoreError> {
    let sql = format!("SELECT {PAPER_COLUMNS} FROM papers WHERE id = ?1");
    let raw = conn
        .prepare_cached(&sql)?
        .query_row([key], RawPaper::from_row)
        .optional()?;
    let Some(raw) = raw else {
        return Ok(None);
    };
    let mut paper = raw.into_paper()?;
    paper.authors = load_authors(conn, key)?;
    Ok(Some(paper))
}

fn load_authors(conn: &rusqlite::Connection, key: &str) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn
        .prepare_cached("SELECT name FROM paper_authors WHERE paper_id = ?1 ORDER BY position")?;
    let rows = stmt.query_map([key], |r| r.get::<_, String>(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A `papers` row before its text columns are parsed.
struct RawPaper {
    id: String,
    title: String,
    abstract_text: String,
    published: Option<String>,
    daily_date: Option<String>,
    upvotes: Option<i64>,
    num_comments: Option<i64>,
    github_repo: Option<String>,
    github_stars: Option<i64>,
    project_page: Option<String>,
    ai_summary: Option<String>,
    ai_keywords: String,
    categories: String,
    thumbnail: Option<String>,
}

impl RawPaper {
    fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(RawPaper {
            id: r.get(0)?,
            title: r.get(1)?,
            abstract_text: r.get(2)?,
            published: r.get(3)?,
            daily_date: r.get(4)?,
            upvotes: r.get(5)?,
            num_comments: r.get(6)?,
            github_repo: r.get(7)?,
            github_stars: r.get(8)?,
            project_page: r.get(9)?,
            ai_summary: r.get(10)?,
            ai_keywords: r.get(11)?,
            categories: r.get(12)?,
            thumbnail: r.get(13)?,
        })
    }

    fn into_paper(self) -> Result<Paper, StoreError> {
        let id = ArxivId::from_key(&self.id).map_err(|_| StoreError::Corrupt {
            what: "paper id",
            value: self.id.clone(),
        })?;
        let mut paper = Paper::new(id, self.title, self.abstract_text);
        paper.published = self.published.as_deref().map(parse_ts).transpose()?;
        paper.daily_date = self.daily_date.as_deref().map(parse_date).transpose()?;
        paper.upvotes = self.upvotes;
        paper.num_comments = self.num_comments;
        paper.github_repo = self.github_repo;
        paper.github_stars = self.github_stars;
        paper.project_page = self.project_page;
        paper.ai_summary = self.ai_summary;
        paper.ai_keywords = parse_json_list(&self.ai_keywords);
        paper.categories = parse_json_list(&self.categories);
        paper.thumbnail = self.thumbnail;
        Ok(paper)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn paper(key: &str, upvotes: i64) -> Paper {
        let mut p = Paper::new(
            ArxivId::from_key(key).unwrap(),
            format!("Title of {key}"),
            "An abstract.",
        );
        p.authors = vec!["Ada Lovelace".into(), "Alan Turing".into()];
        p.upvotes = Some(upvotes);
        p
    }

    fn open() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db")).unwrap();
        (dir, store)
    }

    #[test]
    fn upsert_twice_changes_nothing() {
        let (_dir, mut store) = open();
        let at = Utc.with_ymd_and_hms(2026, 8, 18, 12, 0, 0).unwrap();
        let papers = vec![paper("2508.00001", 5), paper("2508.00002", 9)];
        let first = store.upsert_papers(&papers, at).unwrap();
        assert_eq!(first.inserted, 2);
        assert_eq!(first.snapshots, 2);
        let later = at + chrono::Duration::hours(1);
        let second = store.upsert_papers(&papers, later).unwrap();
        assert_eq!(second.unchanged, 2);
        assert_eq!(second.snapshots, 0);
    }

    #[test]
    fn upvote_change_adds_snapshot() {
        let (_dir, mut store) = open();
        let at = Utc.with_ymd_and_hms(2026, 8, 18, 12, 0, 0).unwrap();
        store.upsert_papers(&[paper("2508.00001", 5)], at).unwrap();
        let later = at + chrono::Duration::hours(1);
        let stats = store
            .upsert_papers(&[paper("2508.00001", 8)], later)
            .unwrap();
        assert_eq!(stats.updated, 1);
        let id = ArxivId::from_key("2508.00001").unwrap();
        let points = store.snapshots(&id).unwrap();
        assert_eq!(points.len(), 2);
        assert_eq!(points[1].upvotes, Some(8));
        let early = store.snapshot_at(&id, at).unwrap().unwrap();
        assert_eq!(early.upvotes, Some(5));
    }

    #[test]
    fn merge_keeps_values_the_new_data_lacks() {
        let (_dir, mut store) = open();
        let at = Utc.with_ymd_and_hms(2026, 8, 18, 12, 0, 0).unwrap();
        let mut hf = paper("2508.00001", 5);
        hf.github_repo = Some("https://github.com/a/b".into());
        store.upsert_papers(&[hf], at).unwrap();
        let mut arxiv = Paper::new(
            ArxivId::from_key("2508.00001").unwrap(),
            "Title of 2508.00001",
            "An abstract.",
        );
        arxiv.categories = vec!["cs.CL".into()];
        store.upsert_papers(&[arxiv], at).unwrap();
        let stored = store
            .paper(&ArxivId::from_key("2508.00001").unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(stored.upvotes, Some(5));
        assert_eq!(
            stored.github_repo.as_deref(),
            Some("https://github.com/a/b")
        );
        assert_eq!(stored.categories, vec!["cs.CL".to_string()]);
        assert_eq!(stored.authors.len(), 2);
    }
}
