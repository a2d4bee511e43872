//! The benchmark's queries, one set per class, drawn from the real sample so that their words
//! have realistic frequencies. Each query is kept structured so that both engines run the same
//! search: Paperboy gets [`BenchQuery::text`], tantivy builds its own query from the parts.

use std::collections::HashMap;

use chrono::NaiveDate;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use crate::corpus::{words_of, Corpus};

/// Distinct queries per class; each is run several times.
const PER_CLASS: usize = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Class {
    Common,
    Rare,
    Phrase,
    Filter,
    Id,
    Prefix,
}

impl Class {
    pub const ALL: [Class; 6] = [
        Class::Common,
        Class::Rare,
        Class::Phrase,
        Class::Filter,
        Class::Id,
        Class::Prefix,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Class::Common => "very common words",
            Class::Rare => "rare words",
            Class::Phrase => "phrases",
            Class::Filter => "filters",
            Class::Id => "IDs and URLs",
            Class::Prefix => "prefixes",
        }
    }
}

/// One searchable part of a query.
#[derive(Debug, Clone)]
pub enum Part {
    Word(String),
    Phrase(Vec<String>),
    Prefix(String),
}

#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub author: Option<String>,
    pub category: Option<String>,
    pub since: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
    pub has_code: bool,
}

#[derive(Debug, Clone)]
pub struct BenchQuery {
    pub class: Class,
    pub parts: Vec<Part>,
    pub filters: Filters,
    /// For the ID class: the key, and the text typed (a bare ID or a URL).
    pub id: Option<(String, String)>,
}

impl BenchQuery {
    fn words(class: Class, parts: Vec<Part>) -> Self {
        BenchQuery {
            class,
            parts,
            filters: Filters::default(),
            id: None,
        }
    }

    /// The query as a user types it.
    pub fn text(&self) -> String {
        if let Some((_, typed)) = &self.id {
            return typed.clone();
        }
        let mut pieces: Vec<String> = self
            .parts
            .iter()
            .map(|part| match part {
                Part::Word(w) => w.clone(),
                Part::Phrase(words) => format!("\"{}\"", words.join(" ")),
                Part::Prefix(p) => format!("{p}*"),
            })
            .collect();
        let f = &self.filters;
        if let Some(author) = &f.author {
            pieces.push(format!("author:\"{author}\""));
        }
        if let Some(category) = &f.category {
            pieces.push(format!("cat:{category}"));
        }
        if let Some(since) = f.since {
            pieces.push(format!("since:{since}"));
        }
        if let Some(until) = f.until {
            pieces.push(format!("until:{until}"));
        }
        if f.has_code {
            pieces.push("has:code".to_string());
        }
        pieces.join(" ")
    }
}

/// Words too common to be worth a query on their own, left out of every class.
const STOPWORDS: &[&str] = &[
    "the",
    "of",
    "and",
    "in",
    "to",
    "we",
    "is",
    "for",
    "that",
    "this",
    "with",
    "on",
    "are",
    "by",
    "as",
    "be",
    "an",
    "which",
    "it",
    "from",
    "can",
    "at",
    "these",
    "our",
    "also",
    "or",
    "has",
    "have",
    "its",
    "such",
    "not",
    "show",
    "using",
    "two",
    "one",
    "both",
    "than",
    "their",
    "been",
    "was",
    "new",
    "under",
    "between",
    "where",
    "all",
    "some",
    "more",
    "via",
    "into",
    "paper",
    "here",
    "they",
    "when",
    "only",
    "other",
    "based",
    "use",
    "how",
    "well",
    "may",
    "there",
    "but",
    "particular",
    "obtained",
    "given",
    "present",
    "different",
    "used",
    "first",
    "study",
    "then",
    "any",
    "each",
    "if",
    "non",
    "over",
    "three",
    "within",
    "most",
    "them",
];

/// Builds every class's queries from the sample. `generated_ids` are keys of generated papers.
pub fn build(corpus: &Corpus, generated_ids: &[String], seed: u64) -> Vec<BenchQuery> {
    let mut rng = StdRng::seed_from_u64(seed);
    let frequencies = corpus.document_frequencies();
    let mut ranked: Vec<(&String, &usize)> = frequencies
        .iter()
        .filter(|(w, _)| !STOPWORDS.contains(&w.as_str()) && w.len() > 2)
        .collect();
    ranked.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let common: Vec<String> = ranked.iter().take(40).map(|(w, _)| (*w).clone()).collect();

    let mut queries = Vec::new();
    queries.extend(common_queries(&common, &mut rng));
    queries.extend(rare_queries(&frequencies, &mut rng));
    queries.extend(phrase_queries(corpus, &frequencies, &mut rng));
    queries.extend(filter_queries(corpus, &common, &mut rng));
    queries.extend(id_queries(corpus, generated_ids, &mut rng));
    queries.extend(prefix_queries(&ranked, &mut rng));
    queries
}

/// The commonest words alone ("model", "learning"), and pairs of them.
fn common_queries(common: &[String], rng: &mut StdRng) -> Vec<BenchQuery> {
    let mut singles: Vec<String> = vec!["model".into(), "learning".into()];
    for word in common {
        if singles.len() < PER_CLASS / 2 && !singles.contains(word) {
            singles.push(word.clone());
        }
    }
    let mut queries: Vec<BenchQuery> = singles
        .into_iter()
        .map(|w| BenchQuery::words(Class::Common, vec![Part::Word(w)]))
        .collect();
    while queries.len() < PER_CLASS {
        let first = common[rng.random_range(0..common.len())].clone();
        let second = common[rng.random_range(0..common.len())].clone();
        if first != second {
            queries.push(BenchQuery::words(
                Class::Common,
                vec![Part::Word(first), Part::Word(second)],
            ));
        }
    }
    queries
}

/// Words found in 2 to 10 of the 50,000 sample papers, alone or in pairs.
fn rare_queries(frequencies: &HashMap<String, usize>, rng: &mut StdRng) -> Vec<BenchQuery> {
    let mut rare: Vec<&String> = frequencies
        .iter()
        .filter(|(w, n)| (2..=10).contains(*n) && w.len() > 4)
        .map(|(w, _)| w)
        .collect();
    rare.sort();
    rare.shuffle(rng);
    let mut queries = Vec::new();
    for (index, word) in rare.iter().take(PER_CLASS).enumerate() {
        let mut parts = vec![Part::Word((*word).clone())];
        if index % 3 == 0 {
            parts.push(Part::Word(rare[PER_CLASS + index].clone()));
        }
        queries.push(BenchQuery::words(Class::Rare, parts));
    }
    queries
}

/// Two- and three-word runs from real titles, such as "neural network".
fn phrase_queries(
    corpus: &Corpus,
    frequencies: &HashMap<String, usize>,
    rng: &mut StdRng,
) -> Vec<BenchQuery> {
    let mut queries = Vec::new();
    while queries.len() < PER_CLASS {
        let title = corpus.title_of(rng.random_range(0..corpus.real.len()));
        let words: Vec<String> = words_of(title).collect();
        let length = 2 + queries.len() % 2;
        if words.len() < length {
            continue;
        }
        let start = rng.random_range(0..=words.len() - length);
        let run = words[start..start + length].to_vec();
        let meaningful = run
            .iter()
            .filter(|w| !STOPWORDS.contains(&w.as_str()))
            .filter(|w| frequencies.get(*w).copied().unwrap_or(0) >= 20)
            .count();
        if meaningful == length {
            queries.push(BenchQuery::words(Class::Phrase, vec![Part::Phrase(run)]));
        }
    }
    queries
}

/// Author, category, date and code filters, alone and with common words.
fn filter_queries(corpus: &Corpus, common: &[String], rng: &mut StdRng) -> Vec<BenchQuery> {
    let authors = corpus.author_sample(PER_CLASS, 7);
    let categories = ["cs.LG", "math.AP", "quant-ph", "cs.CV", "stat.ME", "hep-th"];
    let day = |y, m| NaiveDate::from_ymd_opt(y, m, 1);
    let mut queries = Vec::new();
    for index in 0..PER_CLASS {
        let word = Part::Word(common[rng.random_range(0..common.len())].clone());
        let mut query = BenchQuery::words(Class::Filter, vec![word]);
        match index % 6 {
            0 => {
                query.parts.clear();
                query.filters.author = Some(last_name(&authors[index]));
            }
            1 => query.filters.category = Some(categories[index % categories.len()].into()),
            2 => query.filters.since = day(2024, 1 + (index % 12) as u32),
            3 => query.filters.until = day(2009, 1 + (index % 12) as u32),
            4 => query.filters.has_code = true,
            _ => {
                query.filters.category = Some(categories[index % categories.len()].into());
                query.filters.since = day(2020, 6);
            }
        }
        queries.push(query);
    }
    queries
}

fn last_name(name: &str) -> String {
    name.split_whitespace().last().unwrap_or(name).to_string()
}

/// Real and generated keys, typed bare, versioned or as arXiv and Hugging Face links.
fn id_queries(corpus: &Corpus, generated_ids: &[String], rng: &mut StdRng) -> Vec<BenchQuery> {
    let mut queries = Vec::new();
    for index in 0..PER_CLASS {
        let key = if index % 2 == 0 || generated_ids.is_empty() {
            corpus.real[rng.random_range(0..corpus.real.len())]
                .id
                .key()
                .to_string()
        } else {
            generated_ids[rng.random_range(0..generated_ids.len())].clone()
        };
        let typed = match index % 3 {
            0 => key.clone(),
            1 => format!("https://arxiv.org/abs/{key}v2"),
            _ => format!("https://huggingface.co/papers/{key}"),
        };
        let typed = if key.contains('/') && index % 3 == 2 {
            key.clone()
        } else {
            typed
        };
        queries.push(BenchQuery {
            class: Class::Id,
            parts: Vec::new(),
            filters: Filters::default(),
            id: Some((key, typed)),
        });
    }
    queries
}

/// The first four to six letters of frequent words, such as `transfo*`.
fn prefix_queries(ranked: &[(&String, &usize)], rng: &mut StdRng) -> Vec<BenchQuery> {
    let mut queries = Vec::new();
    let pool: Vec<&String> = ranked
        .iter()
        .take(2_000)
        .map(|(w, _)| *w)
        .filter(|w| w.chars().count() >= 7)
        .collect();
    while queries.len() < PER_CLASS {
        let word = pool[rng.random_range(0..pool.len())];
        let length = rng.random_range(4..=6);
        let prefix: String = word.chars().take(length).collect();
        queries.push(BenchQuery::words(Class::Prefix, vec![Part::Prefix(prefix)]));
    }
    queries
}
