//! The `search_words` table: every word of the full-text index with the number of papers that
//! contain it, which lets a prefix search choose its plan without reading any doclist.
//!
//! FTS5 evaluates `"comp" *` by merging the doclists of every word that starts with "comp" before
//! it returns a row. The cost grows with the number of papers those words occur in, about 75 ms
//! for a prefix found in every paper of a million. A prefix whose words occur in few
//! papers keeps that exact query. A larger one becomes an OR of its most common words, each
//! scored with its own document frequency (as Lucene's scoring rewrite of a prefix query does),
//! which FTS5 walks newest first and stops after the candidates a search ranks.

use std::collections::HashMap;

use rusqlite::Transaction;

use crate::store::{Store, StoreError};

/// Papers, summed over a prefix's words, up to which FTS5's own prefix query is used. At about
/// 75 ns a paper (measured at a million papers) this bounds it near 4 ms.
pub const EXACT_PREFIX_MAX_DOCS: i64 = 50_000;

/// Number of words a larger prefix is expanded to, its most common ones. Papers that only the
/// rarer words would add are usually older than the newest matches of the common words, so
/// they seldom reach the candidates a search ranks.
pub const PREFIX_WORDS: usize = 32;

/// Plan for searching one prefix term.
#[derive(Debug, Clone, PartialEq)]
pub enum PrefixPlan {
    /// FTS5's own prefix query.
    Exact,
    /// Phrases made of `lead` (the whole words before the prefix's last word, often empty)
    /// and each of these words, most common first, with the number of papers that contain
    /// the word.
    Words {
        lead: String,
        words: Vec<(String, f64)>,
    },
}

/// The plans of a query's prefixes, by the prefix as typed.
pub type PrefixPlans = HashMap<String, PrefixPlan>;

/// The tokenizer of `papers_fts`, so the words counted here are the words it indexes.
const TOKENIZER: &str = "unicode61 remove_diacritics 2";

impl Store {
    /// Chooses how to search for words that start with `prefix`. Of a prefix of several words
    /// (`state-sp`), the last one is planned and the others lead each phrase.
    pub(super) fn prefix_plan(&self, prefix: &str) -> Result<PrefixPlan, StoreError> {
        let folded = fold(prefix);
        let mut tokens: Vec<&str> = folded
            .split(|c: char| !c.is_alphanumeric())
            .filter(|t| !t.is_empty())
            .collect();
        let Some(last) = tokens.pop() else {
            return Ok(PrefixPlan::Exact);
        };
        let Some(high) = super::suggest::successor(last) else {
            return Ok(PrefixPlan::Exact);
        };

        let mut stmt = self
            .conn
            .prepare_cached("SELECT word, docs FROM search_words WHERE word >= ?1 AND word < ?2")?;
        let mut words: Vec<(String, i64)> = stmt
            .query_map([last, high.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let total: i64 = words.iter().map(|(_, docs)| docs).sum();
        if total <= EXACT_PREFIX_MAX_DOCS {
            return Ok(PrefixPlan::Exact);
        }

        words.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        words.truncate(PREFIX_WORDS);
        Ok(PrefixPlan::Words {
            lead: tokens.join(" "),
            words: words
                .into_iter()
                .map(|(word, docs)| (word, docs as f64))
                .collect(),
        })
    }

    /// Counts the words of the whole index again. Run after [`Store::bulk_insert`], which
    /// does not count them, as part of [`Store::optimize_search_index`].
    pub(super) fn recount_search_words(&mut self) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute_batch(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.papers_fts_terms \
                 USING fts5vocab(main, papers_fts, 'row');
             DELETE FROM search_words;
             INSERT INTO search_words (word, docs) SELECT term, doc FROM temp.papers_fts_terms;",
        )?;
        tx.commit()?;
        Ok(())
    }
}

/// Folds text the way the index's tokenizer folds words: lower case, and without the accents
/// of Latin letters (decomposed, then the combining marks U+0300 to U+036F dropped). A fold
/// that misses a letter FTS5 folds finds fewer stored words, which keeps the exact query.
fn fold(text: &str) -> String {
    icu_normalizer::DecomposingNormalizerBorrowed::new_nfd()
        .normalize(text)
        .chars()
        .filter(|c| !('\u{300}'..='\u{36f}').contains(c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Queues the indexed text of a paper, to be counted by [`count_queued_words`] in the same
/// transaction: as added for a new paper or the new text of an updated one, as removed for the
/// old text. The text goes through a temporary FTS5 table with the index's tokenizer, so the
/// words are FTS5's own.
pub(crate) fn queue_paper_text(
    tx: &Transaction<'_>,
    text: &str,
    added: bool,
) -> Result<(), StoreError> {
    let table = queue_table(tx, added)?;
    tx.prepare_cached(&format!("INSERT INTO temp.{table} (body) VALUES (?1)"))?
        .execute([text])?;
    Ok(())
}

/// Creates the queue of added or removed texts and its word list, if missing.
fn queue_table(tx: &Transaction<'_>, added: bool) -> Result<&'static str, StoreError> {
    let table = if added {
        "added_words"
    } else {
        "removed_words"
    };
    tx.execute_batch(&format!(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.{table} \
             USING fts5(body, detail = none, tokenize = '{TOKENIZER}');
         CREATE VIRTUAL TABLE IF NOT EXISTS temp.{table}_terms \
             USING fts5vocab(temp, {table}, 'row');"
    ))?;
    Ok(table)
}

/// Applies the counts of the texts queued in this transaction to `search_words` and empties
/// the queues. Words no paper contains any more are removed.
pub(crate) fn count_queued_words(tx: &Transaction<'_>) -> Result<(), StoreError> {
    queue_table(tx, true)?;
    queue_table(tx, false)?;
    tx.execute_batch(
        "INSERT INTO search_words (word, docs) SELECT term, doc FROM temp.added_words_terms WHERE 1
             ON CONFLICT (word) DO UPDATE SET docs = docs + excluded.docs;
         UPDATE search_words
             SET docs = docs - (SELECT doc FROM temp.removed_words_terms WHERE term = word)
             WHERE word IN (SELECT term FROM temp.removed_words_terms);
         DELETE FROM search_words
             WHERE docs <= 0 AND word IN (SELECT term FROM temp.removed_words_terms);
         DELETE FROM temp.added_words;
         DELETE FROM temp.removed_words;",
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ArxivId;
    use crate::paper::Paper;
    use chrono::{TimeZone, Utc};

    fn store_with(titles: &[&str]) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("t.db")).unwrap();
        let papers: Vec<Paper> = titles
            .iter()
            .enumerate()
            .map(|(n, title)| {
                let key = format!("2508.{:05}", n + 1);
                Paper::new(ArxivId::from_key(&key).unwrap(), *title, "")
            })
            .collect();
        let at = Utc.with_ymd_and_hms(2026, 8, 18, 12, 0, 0).unwrap();
        store.upsert_papers(&papers, at).unwrap();
        (dir, store)
    }

    /// Stores a paper again with a new title and no abstract, as a later ingest would.
    fn restore(store: &mut Store, key: &str, title: &str) {
        let paper = Paper::new(ArxivId::from_key(key).unwrap(), title, "");
        let at = Utc.with_ymd_and_hms(2026, 8, 19, 12, 0, 0).unwrap();
        store.upsert_papers(&[paper], at).unwrap();
    }

    fn docs(store: &Store, word: &str) -> Option<i64> {
        store
            .conn
            .query_row(
                "SELECT docs FROM search_words WHERE word = ?1",
                [word],
                |r| r.get(0),
            )
            .ok()
    }

    #[test]
    fn upsert_counts_folded_words() {
        let (_dir, store) = store_with(&["Computing Über graphs", "Computer graphs graphs"]);
        assert_eq!(docs(&store, "graphs"), Some(2));
        assert_eq!(docs(&store, "computing"), Some(1));
        assert_eq!(docs(&store, "uber"), Some(1));
        assert_eq!(docs(&store, "Computing"), None);
    }

    #[test]
    fn upsert_twice_counts_once() {
        let (_dir, mut store) = store_with(&["Sparse kernels"]);
        restore(&mut store, "2508.00001", "Sparse kernels");
        assert_eq!(docs(&store, "kernels"), Some(1));
    }

    #[test]
    fn changed_text_moves_the_counts() {
        let (_dir, mut store) = store_with(&["Sparse kernels", "Dense kernels"]);
        restore(&mut store, "2508.00001", "Sparse filters");

        assert_eq!(docs(&store, "kernels"), Some(1));
        assert_eq!(docs(&store, "filters"), Some(1));
        assert_eq!(docs(&store, "sparse"), Some(1));
        assert_eq!(docs(&store, "dense"), Some(1));
    }

    #[test]
    fn words_no_paper_has_are_removed() {
        let (_dir, mut store) = store_with(&["Sparse kernels"]);
        restore(&mut store, "2508.00001", "Dense filters");

        assert_eq!(docs(&store, "sparse"), None);
        assert_eq!(docs(&store, "kernels"), None);
        assert_eq!(docs(&store, "dense"), Some(1));
    }

    #[test]
    fn recount_matches_the_index() {
        let (_dir, mut store) = store_with(&["Alpha beta", "Alpha gamma"]);
        store.conn.execute("DELETE FROM search_words", []).unwrap();
        store.recount_search_words().unwrap();
        assert_eq!(docs(&store, "alpha"), Some(2));
        assert_eq!(docs(&store, "gamma"), Some(1));
    }

    #[test]
    fn small_prefixes_stay_exact() {
        let (_dir, store) = store_with(&["Transformers for graphs", "Transform coding"]);
        assert_eq!(store.prefix_plan("transform").unwrap(), PrefixPlan::Exact);
        assert_eq!(store.prefix_plan("Schrö").unwrap(), PrefixPlan::Exact);
        assert_eq!(store.prefix_plan("gpt-4").unwrap(), PrefixPlan::Exact);
        assert_eq!(store.prefix_plan("--").unwrap(), PrefixPlan::Exact);
    }

    #[test]
    fn fold_matches_the_tokenizer() {
        assert_eq!(fold("Thé"), "the");
        assert_eq!(fold("CÖMP"), "comp");
        assert_eq!(fold("State-Sp"), "state-sp");
    }

    fn make_common(store: &Store, word: &str) {
        store
            .conn
            .execute(
                "INSERT INTO search_words (word, docs) VALUES (?1, 60000) \
                 ON CONFLICT (word) DO UPDATE SET docs = 60000",
                [word],
            )
            .unwrap();
    }

    #[test]
    fn accented_and_hyphenated_prefixes_are_planned() {
        let (_dir, store) = store_with(&["State space models", "Thermal imaging"]);
        make_common(&store, "space");
        make_common(&store, "thermal");

        let PrefixPlan::Words { lead, words } = store.prefix_plan("state-SPä").unwrap() else {
            panic!("expected an expansion of the last word");
        };
        assert_eq!(lead, "state");
        assert_eq!(words[0].0, "space");

        let PrefixPlan::Words { lead, words } = store.prefix_plan("thé").unwrap() else {
            panic!("expected an expansion of the folded prefix");
        };
        assert_eq!(lead, "");
        assert_eq!(words[0].0, "thermal");
    }

    #[test]
    fn large_prefixes_become_their_most_common_words() {
        let (_dir, store) = store_with(&["x"]);
        let mut insert = store
            .conn
            .prepare("INSERT INTO search_words (word, docs) VALUES (?1, ?2)")
            .unwrap();
        for n in 0..40 {
            insert
                .execute(rusqlite::params![format!("comp{n:02}"), 10_000 + n])
                .unwrap();
        }
        drop(insert);
        let PrefixPlan::Words { words, .. } = store.prefix_plan("COMP").unwrap() else {
            panic!("expected an expansion");
        };
        assert_eq!(words.len(), PREFIX_WORDS);
        assert_eq!(words[0], ("comp39".to_string(), 10_039.0));
        assert!(words.iter().all(|(w, _)| w.as_str() >= "comp08"));
    }
}
