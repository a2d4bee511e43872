//! Tantivy on the same papers and queries, as the yardstick for Paperboy's SQLite search.
//!
//! The schema mirrors Paperboy's index: title, keywords, abstract and authors as text with the
//! same field weights (10, 5, 2, 1), and the filter fields as indexed fast fields. Text goes
//! through a tokenizer close to FTS5's `unicode61 remove_diacritics 2`: split at
//! non-alphanumerics, lowercase, fold accents.

use std::ops::Bound;
use std::path::Path;

use anyhow::{Context, Result};
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, PhraseQuery, Query, RangeQuery, RegexQuery};
use tantivy::query::{TermQuery, TermSetQuery};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, FAST, INDEXED, STORED,
    STRING,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer,
};
use tantivy::{doc, DocAddress, Index, IndexReader, IndexWriter, Order, Searcher, Term};

use crate::queries::{BenchQuery, Part};
use paperboy::paper::Paper;

const TOKENIZER: &str = "paper";

/// Field weights, in Paperboy's order: title, keywords, abstract, authors.
const WEIGHTS: [f32; 4] = [10.0, 5.0, 2.0, 1.0];

pub struct TantivyIndex {
    index: Index,
    reader: Option<IndexReader>,
    fields: Fields,
}

#[derive(Clone, Copy)]
struct Fields {
    text: [Field; 4],
    id: Field,
    categories: Field,
    published: Field,
    has_code: Field,
}

impl TantivyIndex {
    /// Creates an empty index in `dir`.
    pub fn create(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir)?;
        let mut builder = Schema::builder();
        let indexing = TextFieldIndexing::default()
            .set_tokenizer(TOKENIZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions);
        let text = TextOptions::default().set_indexing_options(indexing);
        let fields = Fields {
            text: [
                builder.add_text_field("title", text.clone()),
                builder.add_text_field("keywords", text.clone()),
                builder.add_text_field("abstract", text.clone()),
                builder.add_text_field("authors", text),
            ],
            id: builder.add_text_field("id", STRING | STORED),
            categories: builder.add_text_field("categories", STRING),
            published: builder.add_i64_field("published", INDEXED | FAST),
            has_code: builder.add_u64_field("has_code", INDEXED),
        };
        let index = Index::create_in_dir(dir, builder.build())
            .with_context(|| format!("cannot create a tantivy index in {}", dir.display()))?;
        let analyzer = TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(40))
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .build();
        index.tokenizers().register(TOKENIZER, analyzer);
        Ok(TantivyIndex {
            index,
            reader: None,
            fields,
        })
    }

    /// A writer with `heap_bytes` of indexing memory, shared by its threads.
    pub fn writer(&self, heap_bytes: usize) -> Result<IndexWriter> {
        Ok(self.index.writer(heap_bytes)?)
    }

    pub fn add(&self, writer: &IndexWriter, paper: &Paper) -> Result<()> {
        let f = &self.fields;
        let keywords = paper
            .ai_keywords
            .iter()
            .chain(paper.categories.iter())
            .cloned()
            .collect::<Vec<_>>()
            .join(" ; ");
        let mut document = doc!(
            f.text[0] => paper.title.as_str(),
            f.text[1] => keywords,
            f.text[2] => paper.abstract_text.as_str(),
            f.text[3] => paper.authors.join(" ; "),
            f.id => paper.id.key(),
            f.published => paper.published.map(|t| t.timestamp() / 86_400).unwrap_or(0),
            f.has_code => u64::from(paper.github_repo.is_some()),
        );
        for category in &paper.categories {
            document.add_text(f.categories, category);
        }
        writer.add_document(document)?;
        Ok(())
    }

    /// Opens the searcher after the last commit.
    pub fn open_reader(&mut self) -> Result<()> {
        self.reader = Some(self.index.reader()?);
        Ok(())
    }

    fn searcher(&self) -> Result<Searcher> {
        let reader = self.reader.as_ref().context("the reader is not open")?;
        Ok(reader.searcher())
    }

    /// Runs one query and returns the keys of the first `limit` hits.
    pub fn search(&self, query: &BenchQuery, limit: usize) -> Result<Vec<String>> {
        let searcher = self.searcher()?;
        let compiled = self.compile(query);
        let addresses: Vec<DocAddress> = if query.parts.is_empty() && query.id.is_none() {
            // A filter-only search is ordered by date, as Paperboy orders it.
            let collector =
                TopDocs::with_limit(limit).order_by_fast_field::<i64>("published", Order::Desc);
            searcher
                .search(&compiled, &collector)?
                .into_iter()
                .map(|(_, a)| a)
                .collect()
        } else {
            searcher
                .search(&compiled, &TopDocs::with_limit(limit))?
                .into_iter()
                .map(|(_, a)| a)
                .collect()
        };
        let mut keys = Vec::with_capacity(addresses.len());
        for address in addresses {
            let document: tantivy::TantivyDocument = searcher.doc(address)?;
            if let Some(key) = document.get_first(self.fields.id).and_then(|v| v.as_str()) {
                keys.push(key.to_string());
            }
        }
        Ok(keys)
    }

    fn compile(&self, query: &BenchQuery) -> Box<dyn Query> {
        let f = &self.fields;
        if let Some((key, _)) = &query.id {
            let term = Term::from_field_text(f.id, key);
            return Box::new(TermQuery::new(term, IndexRecordOption::Basic));
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = query
            .parts
            .iter()
            .map(|part| (Occur::Must, self.part_query(part)))
            .collect();
        let filters = &query.filters;
        if let Some(author) = &filters.author {
            let words = tokens(author);
            clauses.push((Occur::Must, phrase_or_term(f.text[3], &words)));
        }
        if let Some(category) = &filters.category {
            let term = Term::from_field_text(f.categories, category);
            clauses.push((Occur::Must, Box::new(TermSetQuery::new([term]))));
        }
        let day = |date: chrono::NaiveDate| {
            date.and_time(chrono::NaiveTime::MIN).and_utc().timestamp() / 86_400
        };
        if filters.since.is_some() || filters.until.is_some() {
            let lower = filters
                .since
                .map(|d| Bound::Included(Term::from_field_i64(f.published, day(d))))
                .unwrap_or(Bound::Unbounded);
            let upper = filters
                .until
                .map(|d| Bound::Included(Term::from_field_i64(f.published, day(d))))
                .unwrap_or(Bound::Unbounded);
            clauses.push((Occur::Must, Box::new(RangeQuery::new(lower, upper))));
        }
        if filters.has_code {
            let term = Term::from_field_u64(f.has_code, 1);
            clauses.push((Occur::Must, Box::new(TermSetQuery::new([term]))));
        }
        Box::new(BooleanQuery::new(clauses))
    }

    /// A word, phrase or prefix in any of the four text fields, weighted by field.
    fn part_query(&self, part: &Part) -> Box<dyn Query> {
        let per_field = self
            .fields
            .text
            .iter()
            .zip(WEIGHTS)
            .map(|(&field, weight)| {
                let inner: Box<dyn Query> = match part {
                    Part::Word(word) => phrase_or_term(field, &tokens(word)),
                    Part::Phrase(words) => phrase_or_term(field, &tokens(&words.join(" "))),
                    Part::Prefix(prefix) => {
                        let pattern = format!("{}.*", regex_escape(&prefix.to_lowercase()));
                        match RegexQuery::from_pattern(&pattern, field) {
                            Ok(query) => Box::new(query),
                            Err(_) => Box::new(BooleanQuery::new(Vec::new())),
                        }
                    }
                };
                let boosted: Box<dyn Query> = Box::new(BoostQuery::new(inner, weight));
                (Occur::Should, boosted)
            });
        Box::new(BooleanQuery::new(per_field.collect()))
    }
}

fn phrase_or_term(field: Field, words: &[String]) -> Box<dyn Query> {
    let terms: Vec<Term> = words
        .iter()
        .map(|w| Term::from_field_text(field, w))
        .collect();
    match terms.len() {
        0 => Box::new(BooleanQuery::new(Vec::new())),
        1 => Box::new(TermQuery::new(
            terms[0].clone(),
            IndexRecordOption::WithFreqs,
        )),
        _ => Box::new(PhraseQuery::new(terms)),
    }
}

/// The index's tokens of a text: alphanumeric runs, lowercased (the benchmark's words are
/// ASCII, so folding is not needed here).
fn tokens(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn regex_escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let special = !c.is_alphanumeric();
            special
                .then_some('\\')
                .into_iter()
                .chain(std::iter::once(c))
        })
        .collect()
}

/// The index's size on disk, in bytes.
pub fn size_on_disk(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok()?.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}
