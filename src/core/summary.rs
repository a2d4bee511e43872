//! Summaries: Hugging Face ai_summary when present, else an extractive summary of the abstract.
//!
//! # Extractive method
//!
//! The short summary is the one abstract sentence that most looks like a TLDR, lightly
//! trimmed. Each sentence gets a linear score from features that predict TLDR-ness in
//! SciTLDR (Cachola et al., 2020), whose one-line summaries by authors and reviewers often
//! paraphrase the abstract's contribution sentence:
//!
//! - centrality: cosine similarity between the sentence's content words and those of the
//!   whole abstract, because the TLDR restates what the abstract is about;
//! - title similarity: cosine similarity with the title's content words, when a title is given;
//! - contribution cue: the first sentence that contains "we propose / introduce / present …" or
//!   "this paper proposes …";
//! - "in this paper/work": authors flag their main claim with it;
//! - a small penalty for result sentences (experiments, accuracy, outperforms), whose weight
//!   came out slightly negative when fitted, and a larger one for sentences under ten words,
//!   which carry too little.
//!
//! Content words are the stemmed `rouge-score` tokens minus stop words and numbers. The
//! weights were tuned by hand on the SciTLDR-A dev split, which `evaluate_scitldr` also
//! scores, so its figures are optimistic. As an estimate of the gap: a model with these
//! features fitted on one half of the split scored about 0.6 ROUGE-1 lower on the other half
//! than when fitted and scored on the whole split.
//!
//! The chosen sentence then loses leading connectives ("In this paper, we" becomes "We",
//! "However," goes), parentheticals that start with "e.g." or "i.e." and numeric citations,
//! and it is cut at a clause boundary if it is longer than [`SHORT_MAX_CHARS`].
//!
//! The detailed summary keeps three or four of the best sentences in abstract order, skipping
//! sentences that repeat one already chosen (maximal marginal relevance).

mod eval;
mod sentences;

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

use crate::core::rouge;
use crate::paper::Paper;

pub use eval::{evaluate_scitldr, EvalError, Report, System, SystemScores};

/// Maximum length of a short summary in characters. SciTLDR's reference TLDRs average about
/// 22 words, so this leaves room for a long sentence without growing into a paragraph.
pub const SHORT_MAX_CHARS: usize = 300;

/// Maximum length of a detailed extractive summary in characters.
const DETAILED_MAX_CHARS: usize = 1000;

/// A short summary of a sentence with fewer tokens than this gets the following sentence too.
const SHORT_SENTENCE_TOKENS: usize = 8;

const CENTRALITY_WEIGHT: f64 = 1.0;
const TITLE_WEIGHT: f64 = 0.75;
const CONTRIBUTION_WEIGHT: f64 = 0.3;
const IN_THIS_PAPER_WEIGHT: f64 = 0.25;
const RESULTS_PENALTY: f64 = 0.15;
/// Applied per missing token below ten, divided by ten.
const SHORT_SENTENCE_PENALTY: f64 = 2.0;
/// Weight of the penalty for a detailed-summary sentence similar to one already chosen.
const REDUNDANCY_PENALTY: f64 = 0.5;
/// An abstract sentence this similar (ROUGE-1 F1) to the Hugging Face summary is left out
/// of a detailed summary that starts with that summary.
const DUPLICATE_ROUGE1: f64 = 0.5;

/// Length budget of a summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SummaryLength {
    /// One or two sentences, at most [`SHORT_MAX_CHARS`] characters.
    Short,
    /// Three or four sentences.
    Detailed,
}

/// Tier that produced a summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SummarySource {
    /// Hugging Face's `ai_summary`. A detailed summary of this source continues, after a blank
    /// line, with sentences quoted from the abstract.
    HuggingFace,
    /// Sentences selected from the abstract.
    Extractive,
}

/// A summary ready for display. `text` is empty when the paper has neither an ai_summary nor
/// an abstract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub text: String,
    pub source: SummarySource,
}

/// Summarizes a paper from its Hugging Face `ai_summary` when that is present and not blank,
/// else from its abstract.
pub fn summarize(
    paper_ai_summary: Option<&str>,
    abstract_text: &str,
    length: SummaryLength,
) -> Summary {
    summarize_parts(paper_ai_summary, "", abstract_text, length)
}

/// Summarizes a paper like [`summarize`], also using the title to pick abstract sentences.
pub fn summarize_paper(paper: &Paper, length: SummaryLength) -> Summary {
    summarize_parts(
        paper.ai_summary.as_deref(),
        &paper.title,
        &paper.abstract_text,
        length,
    )
}

fn summarize_parts(
    ai_summary: Option<&str>,
    title: &str,
    abstract_text: &str,
    length: SummaryLength,
) -> Summary {
    let ai_summary = ai_summary
        .map(|text| text.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|text| !text.is_empty());
    let Some(ai_summary) = ai_summary else {
        return Summary {
            text: readable(&extractive_summary_with_title(title, abstract_text, length)),
            source: SummarySource::Extractive,
        };
    };

    let text = match length {
        SummaryLength::Short => clip(&ai_summary, SHORT_MAX_CHARS),
        SummaryLength::Detailed => {
            let quoted = detailed_summary(title, abstract_text, Some(&ai_summary));
            if quoted.is_empty() {
                ai_summary
            } else {
                format!("{ai_summary}\n\n{quoted}")
            }
        }
    };
    Summary {
        text: readable(&text),
        source: SummarySource::HuggingFace,
    }
}

/// Makes the LaTeX that abstract sentences carry readable (`\textsc{X}` to X, `\$` to `$`),
/// as titles and abstracts are everywhere else they are shown.
fn readable(text: &str) -> String {
    crate::text::latex_to_text(text)
}

/// Builds an extractive summary of an abstract: the most TLDR-like sentence for
/// [`SummaryLength::Short`], three or four sentences for [`SummaryLength::Detailed`]. Returns
/// an empty string for a blank abstract. The module documentation describes the method.
pub fn extractive_summary(abstract_text: &str, length: SummaryLength) -> String {
    extractive_summary_with_title("", abstract_text, length)
}

/// Builds an extractive summary like [`extractive_summary`], also scoring sentences by their
/// similarity to `title`. On the SciTLDR-A dev split this adds about one ROUGE-1 point.
pub fn extractive_summary_with_title(
    title: &str,
    abstract_text: &str,
    length: SummaryLength,
) -> String {
    match length {
        SummaryLength::Short => short_summary(title, abstract_text),
        SummaryLength::Detailed => detailed_summary(title, abstract_text, None),
    }
}

/// One abstract sentence with what the scorer needs to know about it.
struct Candidate {
    text: String,
    content: TermCounts,
    tokens: usize,
    score: f64,
}

type TermCounts = HashMap<String, f64>;

fn short_summary(title: &str, abstract_text: &str) -> String {
    let candidates = score_sentences(title, abstract_text);
    let Some(best) = best_short_candidate(&candidates) else {
        return String::new();
    };

    let mut text = tidy_sentence(&candidates[best].text);
    // A very short pick such as "We study X." reads better with the sentence that follows.
    if candidates[best].tokens < SHORT_SENTENCE_TOKENS {
        if let Some(next) = candidates.get(best + 1) {
            let joined = format!("{text} {}", tidy_sentence_keep_lead(&next.text));
            if joined.chars().count() <= SHORT_MAX_CHARS {
                text = joined;
            }
        }
    }
    clip(&text, SHORT_MAX_CHARS)
}

/// Picks the best sentence that fits the short limit once tidied, or the best overall (to be
/// clipped) when none fits.
fn best_short_candidate(candidates: &[Candidate]) -> Option<usize> {
    let fits = |c: &Candidate| tidy_sentence(&c.text).chars().count() <= SHORT_MAX_CHARS;
    argmax(
        candidates
            .iter()
            .map(|c| if fits(c) { c.score } else { f64::NEG_INFINITY }),
    )
    .filter(|&i| fits(&candidates[i]))
    .or_else(|| argmax(candidates.iter().map(|c| c.score)))
}

fn detailed_summary(title: &str, abstract_text: &str, ai_summary: Option<&str>) -> String {
    let mut candidates = score_sentences(title, abstract_text);
    if let Some(ai_summary) = ai_summary {
        // Leave out sentences that repeat the Hugging Face summary.
        for candidate in &mut candidates {
            if rouge::score(&candidate.text, ai_summary).rouge1.f1 >= DUPLICATE_ROUGE1 {
                candidate.score = f64::NEG_INFINITY;
            }
        }
    }
    let target_count = if candidates.len() <= 6 { 3 } else { 4 };
    let chosen = select_diverse(&candidates, target_count);
    if chosen.is_empty() {
        // Every sentence alone is over the limit (or repeats the Hugging Face summary).
        return match argmax(candidates.iter().map(|c| c.score)) {
            Some(best) => clip(&tidy_sentence(&candidates[best].text), DETAILED_MAX_CHARS),
            None => String::new(),
        };
    }
    // Capitalizing a first letter can lengthen it ("ß" becomes "SS"), so clip once more.
    clip(&join_in_order(&candidates, &chosen), DETAILED_MAX_CHARS)
}

/// Greedy maximal marginal relevance: repeatedly takes the sentence whose score minus its
/// similarity to the sentences already taken is highest, within [`DETAILED_MAX_CHARS`].
fn select_diverse(candidates: &[Candidate], target_count: usize) -> Vec<usize> {
    let mut chosen: Vec<usize> = Vec::new();
    let mut used_chars = 0;
    while chosen.len() < target_count {
        let gains = candidates.iter().enumerate().map(|(i, c)| {
            let too_long = used_chars + c.text.chars().count() > DETAILED_MAX_CHARS;
            if chosen.contains(&i) || too_long || c.score == f64::NEG_INFINITY {
                return f64::NEG_INFINITY;
            }
            let redundancy = chosen
                .iter()
                .map(|&j| cosine(&c.content, &candidates[j].content))
                .fold(0.0, f64::max);
            c.score - REDUNDANCY_PENALTY * redundancy
        });
        let Some(next) = argmax(gains) else { break };
        used_chars += candidates[next].text.chars().count() + 1;
        chosen.push(next);
    }
    chosen.sort_unstable();
    chosen
}

/// Joins chosen sentences in abstract order. A sentence whose predecessor was left out loses
/// its leading connective, since "However," would then refer to a sentence the reader lacks.
fn join_in_order(candidates: &[Candidate], chosen: &[usize]) -> String {
    let mut parts = Vec::with_capacity(chosen.len());
    for (k, &i) in chosen.iter().enumerate() {
        let follows_previous = k > 0 && chosen[k - 1] + 1 == i;
        let text = if follows_previous {
            tidy_sentence_keep_lead(&candidates[i].text)
        } else {
            tidy_sentence(&candidates[i].text)
        };
        parts.push(text);
    }
    parts.join(" ")
}

/// Index of the largest finite value (the first on ties), or `None` when there is none.
fn argmax(values: impl Iterator<Item = f64>) -> Option<usize> {
    let mut best: Option<(usize, f64)> = None;
    for (i, value) in values.enumerate() {
        if !value.is_finite() {
            continue;
        }
        if best.is_none_or(|(_, top)| value > top) {
            best = Some((i, value));
        }
    }
    best.map(|(i, _)| i)
}

fn score_sentences(title: &str, abstract_text: &str) -> Vec<Candidate> {
    let sentences = sentences::split_sentences(abstract_text);
    let title_terms = term_counts(title);
    let mut abstract_terms = TermCounts::new();
    let mut candidates: Vec<Candidate> = sentences
        .into_iter()
        .map(|text| {
            let content = term_counts(&text);
            for (term, count) in &content {
                *abstract_terms.entry(term.clone()).or_insert(0.0) += count;
            }
            let tokens = rouge::words(&strip_latex_commands(&text)).len();
            Candidate {
                text,
                content,
                tokens,
                score: 0.0,
            }
        })
        .collect();

    let contribution = candidates
        .iter()
        .position(|c| CONTRIBUTION_CUE.is_match(&c.text.to_lowercase()));
    for (i, candidate) in candidates.iter_mut().enumerate() {
        candidate.score = sentence_score(candidate, &abstract_terms, &title_terms)
            + if contribution == Some(i) {
                CONTRIBUTION_WEIGHT
            } else {
                0.0
            };
    }
    candidates
}

fn sentence_score(
    candidate: &Candidate,
    abstract_terms: &TermCounts,
    title_terms: &TermCounts,
) -> f64 {
    let lower = candidate.text.to_lowercase();
    let mut score = CENTRALITY_WEIGHT * cosine(&candidate.content, abstract_terms)
        + TITLE_WEIGHT * cosine(&candidate.content, title_terms);
    if IN_THIS_PAPER.is_match(&lower) {
        score += IN_THIS_PAPER_WEIGHT;
    }
    if RESULTS_CUE.is_match(&lower) {
        score -= RESULTS_PENALTY;
    }
    let missing = 10usize.saturating_sub(candidate.tokens) as f64;
    score - SHORT_SENTENCE_PENALTY * missing / 10.0
}

static CONTRIBUTION_CUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\bwe (propose|introduce|present|develop|design|describe|formulate|devise)\b|\b(this|the present|our) (paper|work|article|study) (propose|introduce|present|develop|describe)s?\b",
    )
    .expect("contribution pattern is valid")
});

static IN_THIS_PAPER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\bin this (paper|work)\b").expect("pattern is valid"));

static RESULTS_CUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\b(experiments?|results?|empirical(ly)?|evaluat\w*|outperform\w*|state[- ]of[- ]the[- ]art|benchmarks?|accuracy)\b",
    )
    .expect("results pattern is valid")
});

/// Words too common to say what a sentence is about. Compared before stemming.
const STOP_WORDS: &[&str] = &[
    "a", "about", "above", "after", "again", "against", "al", "all", "also", "an", "and", "any",
    "are", "as", "at", "be", "because", "been", "before", "being", "below", "between", "both",
    "but", "by", "can", "could", "did", "do", "does", "down", "during", "e", "each", "et", "for",
    "from", "further", "g", "had", "has", "have", "here", "how", "i", "if", "in", "into", "is",
    "it", "its", "may", "might", "more", "most", "no", "nor", "not", "of", "off", "on", "once",
    "only", "or", "other", "our", "out", "over", "own", "per", "same", "shall", "should", "so",
    "some", "such", "than", "that", "the", "their", "them", "then", "there", "these", "they",
    "this", "those", "through", "to", "under", "until", "up", "upon", "us", "very", "via", "was",
    "we", "were", "what", "when", "where", "which", "while", "who", "whom", "whose", "why", "will",
    "with", "within", "without", "would",
];

/// Counts the stemmed content words of a text, leaving out stop words, numbers and LaTeX
/// command names such as `mathcal`.
fn term_counts(text: &str) -> TermCounts {
    let mut counts = TermCounts::new();
    for word in rouge::words(&strip_latex_commands(text)) {
        if STOP_WORDS.contains(&word.as_str()) || word.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let term = if word.len() > 3 {
            rouge::stem(&word)
        } else {
            word
        };
        *counts.entry(term).or_insert(0.0) += 1.0;
    }
    counts
}

fn strip_latex_commands(text: &str) -> std::borrow::Cow<'_, str> {
    static COMMAND: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\\[A-Za-z]+").expect("pattern is valid"));
    COMMAND.replace_all(text, " ")
}

fn cosine(a: &TermCounts, b: &TermCounts) -> f64 {
    let dot: f64 = a
        .iter()
        .map(|(term, x)| x * b.get(term).unwrap_or(&0.0))
        .sum();
    let norm = |v: &TermCounts| v.values().map(|x| x * x).sum::<f64>().sqrt();
    let denominator = norm(a) * norm(b);
    if denominator > 0.0 {
        dot / denominator
    } else {
        0.0
    }
}

/// Leading phrases that only link a sentence to its neighbours. Repeated phrases such as
/// "Finally, in this paper," are removed one at a time.
static LEADING_CONNECTIVE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(in this (paper|work|study|article|letter|note|thesis)|here|to (this|that) end|specifically|in particular|moreover|furthermore|finally|additionally|in addition|however|thus|therefore|hence|consequently|as a result|overall|concretely|lastly|instead|in contrast|(in order )?to (address|tackle|solve|overcome|alleviate|mitigate|fill) (this|these|that|those|such)( \w+){0,4}|motivated by (this|these)( \w+){0,3})\s*,\s*",
    )
    .expect("connective pattern is valid")
});

/// "In this paper we …" and "Here we …" without a comma.
static LEADING_WE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(in this (paper|work|study|article)|here)\s+we\b").expect("pattern is valid")
});

/// Parentheticals that only give examples or pointers, and numeric citations such as [3, 4].
static ASIDE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\s*\((e\.g\.|i\.e\.|see |cf\.)[^()$]*\)|\s*\[\d+(\s*[,–-]\s*\d+)*\]")
        .expect("aside pattern is valid")
});

/// Removes leading connectives and asides so the sentence reads on its own.
fn tidy_sentence(sentence: &str) -> String {
    let mut text = sentence.to_string();
    for _ in 0..3 {
        let trimmed = LEADING_WE.replace(&text, "We");
        let trimmed = LEADING_CONNECTIVE.replace(&trimmed, "").into_owned();
        if trimmed == text {
            break;
        }
        text = trimmed;
    }
    capitalize_first(&tidy_sentence_keep_lead(&text))
}

/// Removes asides but keeps the sentence's opening, for sentences read in context.
fn tidy_sentence_keep_lead(sentence: &str) -> String {
    ASIDE.replace_all(sentence, "").trim().to_string()
}

/// Capitalizes the first letter unless the first word has capitals or digits of its own
/// ("word2vec", "iPhone"), which would be misspelled.
fn capitalize_first(text: &str) -> String {
    let first_word = text.split_whitespace().next().unwrap_or("");
    let mut chars = first_word.chars();
    let Some(first) = chars.next() else {
        return text.to_string();
    };
    let keep_case = chars.any(|c| c.is_uppercase() || c.is_ascii_digit());
    if !first.is_lowercase() || keep_case {
        return text.to_string();
    }
    let mut result: String = first.to_uppercase().collect();
    result.push_str(&text[first.len_utf8()..]);
    result
}

/// Shortens text to at most `max_chars` characters (with the ellipsis), cutting at the last
/// clause boundary in the second half, else at the last space outside `$...$`. Text without
/// such a space is cut mid-word.
fn clip(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let limit = max_chars.saturating_sub(1);
    let mut in_math = false;
    let mut clause_cut = None;
    let mut word_cut = None;
    let mut previous = None;
    for (count, (byte, c)) in text.char_indices().enumerate() {
        if count > limit {
            break;
        }
        if c == '$' && previous != Some('\\') {
            in_math = !in_math;
        }
        if !in_math && c == ' ' {
            word_cut = Some(byte);
            if matches!(previous, Some(',' | ';' | ':')) && count >= max_chars / 2 {
                clause_cut = Some(byte - 1);
            }
        }
        previous = Some(c);
    }
    let Some(cut) = clause_cut.or(word_cut) else {
        let head: String = text.chars().take(limit).collect();
        return format!("{head}…");
    };
    format!("{}…", text[..cut].trim_end())
}

#[cfg(test)]
mod tests;
