//! The benchmark's papers: a real arXiv sample, scaled up with generated papers whose words
//! are drawn from the sample's own word distribution.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::Path;

use anyhow::{bail, Context, Result};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use paperboy::ids::{self, ArxivId};
use paperboy::paper::Paper;

/// One line of the arXiv metadata sample.
#[derive(serde::Deserialize)]
struct SampleLine {
    id: String,
    title: String,
    #[serde(rename = "abstract")]
    abstract_text: String,
    authors: Vec<String>,
    categories: Vec<String>,
    created: NaiveDate,
}

/// The real papers plus what the generator samples from.
pub struct Corpus {
    /// Real papers, oldest first.
    pub real: Vec<Paper>,
    /// Every word of every title, with repeats, so a uniform draw follows title word frequency.
    title_words: Vec<String>,
    abstract_words: Vec<String>,
    title_lengths: Vec<usize>,
    abstract_lengths: Vec<usize>,
    author_counts: Vec<usize>,
    author_names: Vec<String>,
    category_lists: Vec<Vec<String>>,
    /// Sample lines left out because their ID is invalid.
    pub unreadable_ids: usize,
}

/// Reads the gzipped JSON-lines sample.
pub fn load(path: &Path) -> Result<Corpus> {
    let file = std::fs::File::open(path)
        .with_context(|| format!("cannot open the arXiv sample at {}", path.display()))?;
    let reader = BufReader::new(flate2::read::GzDecoder::new(file));
    let mut corpus = Corpus {
        real: Vec::new(),
        title_words: Vec::new(),
        abstract_words: Vec::new(),
        title_lengths: Vec::new(),
        abstract_lengths: Vec::new(),
        author_counts: Vec::new(),
        author_names: Vec::new(),
        category_lists: Vec::new(),
        unreadable_ids: 0,
    };
    for (number, line) in reader.lines().enumerate() {
        let line = line.with_context(|| format!("cannot read line {}", number + 1))?;
        let sample: SampleLine = serde_json::from_str(&line)
            .with_context(|| format!("line {} is not a sample paper", number + 1))?;
        if !corpus.add(sample) {
            corpus.unreadable_ids += 1;
        }
    }
    if corpus.real.is_empty() {
        bail!("the arXiv sample at {} has no papers", path.display());
    }
    corpus.real.sort_by_key(|p| p.published);
    Ok(corpus)
}

impl Corpus {
    /// Adds one sample paper; returns false, leaving it out, when its ID cannot be read.
    fn add(&mut self, sample: SampleLine) -> bool {
        let Ok(reference) = ids::parse(&repair_id(&sample.id)) else {
            return false;
        };
        let title: Vec<&str> = sample.title.split_whitespace().collect();
        let abstract_words: Vec<&str> = sample.abstract_text.split_whitespace().collect();
        self.title_lengths.push(title.len());
        self.abstract_lengths.push(abstract_words.len());
        self.title_words.extend(title.iter().map(|w| w.to_string()));
        self.abstract_words
            .extend(abstract_words.iter().map(|w| w.to_string()));
        self.author_counts.push(sample.authors.len().max(1));
        self.author_names.extend(sample.authors.iter().cloned());
        self.category_lists.push(sample.categories.clone());

        let mut paper = Paper::new(reference.id, sample.title, sample.abstract_text);
        paper.authors = sample.authors;
        paper.categories = sample.categories;
        paper.published = Some(midnight(sample.created));
        self.real.push(paper);
        true
    }

    /// Real IDs, to keep generated ones apart from them.
    pub fn real_ids(&self) -> HashSet<String> {
        self.real.iter().map(|p| p.id.key().to_string()).collect()
    }

    /// Words with the number of real papers whose title or abstract contains them, lowercased.
    pub fn document_frequencies(&self) -> HashMap<String, usize> {
        let mut counts: HashMap<String, usize> = HashMap::new();
        for paper in &self.real {
            let text = format!("{} {}", paper.title, paper.abstract_text);
            let words: HashSet<String> = words_of(&text).collect();
            for word in words {
                *counts.entry(word).or_default() += 1;
            }
        }
        counts
    }

    pub fn title_of(&self, index: usize) -> &str {
        &self.real[index].title
    }
}

/// Restores a new-style ID that the sample stores as it came out of a floating-point number:
/// `901.2721` is 0901.2721, `1912.1347` is 1912.13470 and `1906.1204300000002` is 1906.12043.
/// Numbers have four digits up to 1412 and five from 1501 on.
fn repair_id(id: &str) -> String {
    let Ok(value) = id.parse::<f64>() else {
        return id.to_string();
    };
    let digits = if value >= 1501.0 { 5 } else { 4 };
    format!("{value:0width$.digits$}", width = digits + 5)
}

/// Lowercased alphabetic words of a text, as a simple stand-in for the index's tokenizer.
pub fn words_of(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() > 1 && w.chars().all(char::is_alphabetic))
        .map(str::to_lowercase)
}

fn midnight(date: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&date.and_time(chrono::NaiveTime::MIN))
}

/// A generated paper before its text is drawn: its key and date.
#[derive(Clone)]
pub struct Slot {
    pub id: String,
    pub date: NaiveDate,
    seed: u64,
}

/// Picks keys and dates for `count` generated papers, oldest first. Dates are uniform over
/// 2015 to 2025, and each key is `YYMM.NNNNN` of its month with NNNNN from 50000 up, a range
/// real arXiv numbering had not reached by 2025, so no generated key is a real paper's.
pub fn plan_generated(count: usize, seed: u64, real_ids: &HashSet<String>) -> Vec<Slot> {
    let mut rng = StdRng::seed_from_u64(seed);
    let start = NaiveDate::from_ymd_opt(2015, 1, 1).unwrap_or_default();
    let span_days = 11 * 365;
    let mut dates: Vec<NaiveDate> = (0..count)
        .map(|_| start + Duration::days(rng.random_range(0..span_days)))
        .collect();
    dates.sort();

    let mut next_number: HashMap<String, u32> = HashMap::new();
    let mut slots = Vec::with_capacity(count);
    for date in dates {
        let month = date.format("%y%m").to_string();
        let number = next_number.entry(month.clone()).or_insert(50_000);
        let id = format!("{month}.{:05}", *number);
        *number += 1;
        if *number > 99_999 || real_ids.contains(&id) {
            continue;
        }
        slots.push(Slot {
            id,
            date,
            seed: rng.random(),
        });
    }
    slots
}

impl Corpus {
    /// Draws the text of one generated paper: lengths of a random real paper, words drawn one
    /// by one from all real titles or abstracts (a unigram model), real author names and the
    /// category list of a random real paper. A few get upvotes or a GitHub repository, as Hugging
    /// Face listings do.
    pub fn generate(&self, slot: &Slot) -> Result<Paper> {
        let mut rng = StdRng::seed_from_u64(slot.seed);
        let title = self.draw_words(&mut rng, &self.title_lengths, &self.title_words);
        let abstract_text = self.draw_words(&mut rng, &self.abstract_lengths, &self.abstract_words);
        let id = ArxivId::from_key(&slot.id).with_context(|| format!("bad key {}", slot.id))?;

        let mut paper = Paper::new(id, title, abstract_text);
        let authors = (*pick(&mut rng, &self.author_counts)).min(30);
        paper.authors = (0..authors)
            .map(|_| pick(&mut rng, &self.author_names).clone())
            .collect();
        paper.categories = pick(&mut rng, &self.category_lists).clone();
        paper.published = Some(midnight(slot.date));
        if rng.random_bool(0.03) {
            paper.upvotes = Some(rng.random_range(0..40) * rng.random_range(1..5));
        }
        if rng.random_bool(0.05) {
            paper.github_repo = Some(format!("https://github.com/example/{}", slot.id));
        }
        Ok(paper)
    }

    fn draw_words(&self, rng: &mut StdRng, lengths: &[usize], words: &[String]) -> String {
        let length = (*pick(rng, lengths)).max(1);
        let drawn: Vec<&str> = (0..length).map(|_| pick(rng, words).as_str()).collect();
        drawn.join(" ")
    }

    /// A few real author names, for author filters.
    pub fn author_sample(&self, count: usize, seed: u64) -> Vec<String> {
        let mut rng = StdRng::seed_from_u64(seed);
        (0..count)
            .map(|_| pick(&mut rng, &self.author_names).clone())
            .collect()
    }
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}
