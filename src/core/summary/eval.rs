//! Measures the short extractive summary on SciTLDR-A (Cachola et al., 2020) next to simple
//! baselines (first sentence, TextRank, oracle), so a test or a command can print one table.
//!
//! The input is SciTLDR's JSON Lines format: one object per paper with `source` (the abstract
//! as a list of sentences), `target` (one or more reference TLDRs) and `title`. The
//! extractive summaries get the abstract as one string, as the bot does, and split it
//! themselves; the baselines use the dataset's own sentence split. The dataset's oracle
//! fields (`source_labels`, `rouge_scores`) are never read.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{argmax, extractive_summary_with_title, term_counts, SummaryLength, TermCounts};
use crate::core::rouge::{self, RougeScores};

/// PageRank damping factor for TextRank, the value Mihalcea and Tarau (2004) use.
const DAMPING: f64 = 0.85;
const TEXTRANK_MAX_ITERATIONS: usize = 100;
const TEXTRANK_TOLERANCE: f64 = 1e-6;

#[derive(Deserialize)]
struct Record {
    source: Vec<String>,
    target: Vec<String>,
    #[serde(default)]
    title: String,
}

/// Errors from reading a SciTLDR file.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("failed to read SciTLDR file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid SciTLDR record on line {line} of {path}: {source}")]
    Parse {
        path: PathBuf,
        line: usize,
        source: serde_json::Error,
    },
    #[error("SciTLDR file {path} contains no records")]
    Empty { path: PathBuf },
}

/// A summarizer in the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum System {
    /// [`extractive_summary_with_title`] with [`SummaryLength::Short`].
    Extractive,
    /// [`super::extractive_summary`] with [`SummaryLength::Short`], without the title.
    ExtractiveAbstractOnly,
    /// The abstract's first sentence.
    FirstSentence,
    /// The top sentence of TextRank (Mihalcea and Tarau, 2004) on content-word overlap.
    TextRank,
    /// The abstract sentence with the best ROUGE-1 against the references: an upper bound
    /// for any method that returns one whole sentence.
    Oracle,
}

impl System {
    pub const ALL: [System; 5] = [
        System::Extractive,
        System::ExtractiveAbstractOnly,
        System::FirstSentence,
        System::TextRank,
        System::Oracle,
    ];

    pub fn label(self) -> &'static str {
        match self {
            System::Extractive => "extractive short (title + abstract)",
            System::ExtractiveAbstractOnly => "extractive short (abstract only)",
            System::FirstSentence => "first sentence",
            System::TextRank => "TextRank top sentence",
            System::Oracle => "oracle best sentence",
        }
    }
}

/// Mean F1 scores of one system, on a 0–100 scale.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SystemScores {
    pub system: System,
    pub rouge1: f64,
    pub rouge2: f64,
    pub rouge_l: f64,
}

/// Mean ROUGE F1 (max over each paper's references) for every [`System`].
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub papers: usize,
    pub systems: Vec<SystemScores>,
}

impl Report {
    pub fn scores(&self, system: System) -> Option<&SystemScores> {
        self.systems.iter().find(|s| s.system == system)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "SciTLDR-A, {} papers: mean F1 x 100, max over references",
            self.papers
        )?;
        writeln!(
            f,
            "{:<38} {:>7} {:>7} {:>7}",
            "system", "ROUGE-1", "ROUGE-2", "ROUGE-L"
        )?;
        for s in &self.systems {
            writeln!(
                f,
                "{:<38} {:>7.2} {:>7.2} {:>7.2}",
                s.system.label(),
                s.rouge1,
                s.rouge2,
                s.rouge_l
            )?;
        }
        Ok(())
    }
}

/// Reads a SciTLDR JSON Lines file and scores every [`System`] on it. Blank lines are skipped.
pub fn evaluate_scitldr(path: impl AsRef<Path>) -> Result<Report, EvalError> {
    let path = path.as_ref();
    let records = read_records(path)?;
    if records.is_empty() {
        return Err(EvalError::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(evaluate(&records))
}

fn read_records(path: &Path) -> Result<Vec<Record>, EvalError> {
    let text = fs::read_to_string(path).map_err(|source| EvalError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut records = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let record = serde_json::from_str(line).map_err(|source| EvalError::Parse {
            path: path.to_path_buf(),
            line: index + 1,
            source,
        })?;
        records.push(record);
    }
    Ok(records)
}

fn evaluate(records: &[Record]) -> Report {
    let systems = System::ALL
        .iter()
        .map(|&system| {
            let mut total = RougeScores::default();
            for record in records {
                let summary = summarize_with(system, record);
                let scores = rouge::score_multi(&summary, &record.target);
                total.rouge1.f1 += scores.rouge1.f1;
                total.rouge2.f1 += scores.rouge2.f1;
                total.rouge_l.f1 += scores.rouge_l.f1;
            }
            let mean = |sum: f64| 100.0 * sum / records.len() as f64;
            SystemScores {
                system,
                rouge1: mean(total.rouge1.f1),
                rouge2: mean(total.rouge2.f1),
                rouge_l: mean(total.rouge_l.f1),
            }
        })
        .collect();
    Report {
        papers: records.len(),
        systems,
    }
}

fn summarize_with(system: System, record: &Record) -> String {
    let abstract_text = record.source.join(" ");
    let pick = |index: Option<usize>| {
        index
            .and_then(|i| record.source.get(i))
            .cloned()
            .unwrap_or_default()
    };
    match system {
        System::Extractive => {
            extractive_summary_with_title(&record.title, &abstract_text, SummaryLength::Short)
        }
        System::ExtractiveAbstractOnly => {
            extractive_summary_with_title("", &abstract_text, SummaryLength::Short)
        }
        System::FirstSentence => pick(Some(0)),
        System::TextRank => pick(textrank_top(&record.source)),
        System::Oracle => pick(argmax(
            record
                .source
                .iter()
                .map(|s| rouge::score_multi(s, &record.target).rouge1.f1),
        )),
    }
}

/// Ranks sentences with TextRank and returns the top one. Edge weights are the number of
/// shared content terms divided by `ln(len_a) + ln(len_b)`, as in Mihalcea and Tarau (2004).
pub(super) fn textrank_top(sentences: &[String]) -> Option<usize> {
    let terms: Vec<TermCounts> = sentences.iter().map(|s| term_counts(s)).collect();
    let n = terms.len();
    let mut weights = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..n {
            if i != j {
                weights[i][j] = textrank_similarity(&terms[i], &terms[j]);
            }
        }
    }
    let out_weight: Vec<f64> = weights.iter().map(|row| row.iter().sum()).collect();

    let mut ranks = vec![1.0; n];
    for _ in 0..TEXTRANK_MAX_ITERATIONS {
        let next: Vec<f64> = (0..n)
            .map(|i| {
                let incoming: f64 = (0..n)
                    .filter(|&j| out_weight[j] > 0.0)
                    .map(|j| weights[j][i] / out_weight[j] * ranks[j])
                    .sum();
                (1.0 - DAMPING) + DAMPING * incoming
            })
            .collect();
        let change = next
            .iter()
            .zip(&ranks)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        ranks = next;
        if change < TEXTRANK_TOLERANCE {
            break;
        }
    }
    argmax(ranks.into_iter())
}

fn textrank_similarity(a: &TermCounts, b: &TermCounts) -> f64 {
    let shared = a.keys().filter(|term| b.contains_key(*term)).count() as f64;
    let length = |terms: &TermCounts| terms.values().sum::<f64>();
    let denominator = length(a).ln() + length(b).ln();
    if shared > 0.0 && denominator > 0.0 {
        shared / denominator
    } else {
        0.0
    }
}
