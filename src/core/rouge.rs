//! ROUGE-1, ROUGE-2 and ROUGE-L F1 scores, computed the way Google's `rouge-score` package
//! (version 0.1.2) computes them with `use_stemmer=True`, so figures are comparable with
//! published summarization results.
//!
//! Tokenization lower-cases the text, treats every character other than `a`–`z` and `0`–`9`
//! as a separator, and Porter-stems tokens longer than three characters. Scores are
//! fractions in `[0, 1]`; papers usually print them multiplied by 100.

mod porter;

use std::collections::HashMap;

pub use porter::stem;

/// Precision, recall and their harmonic mean (F1) for one ROUGE variant.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Score {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

impl Score {
    fn from_counts(overlap: usize, candidate_len: usize, reference_len: usize) -> Self {
        // `rouge-score` divides by at least 1, so an empty side scores 0 rather than NaN.
        let precision = overlap as f64 / candidate_len.max(1) as f64;
        let recall = overlap as f64 / reference_len.max(1) as f64;
        let f1 = if precision + recall > 0.0 {
            2.0 * precision * recall / (precision + recall)
        } else {
            0.0
        };
        Score {
            precision,
            recall,
            f1,
        }
    }
}

/// The three ROUGE variants that summarization papers report.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RougeScores {
    pub rouge1: Score,
    pub rouge2: Score,
    pub rouge_l: Score,
}

/// Splits text into lower-case ASCII alphanumeric words, without stemming. Letters outside
/// `a`–`z` (accented letters, Greek) act as separators, as in `rouge-score`.
pub fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit()))
        .filter(|word| !word.is_empty())
        .map(str::to_string)
        .collect()
}

/// Tokenizes text as `rouge-score` does: [`words`], then [`stem`] on words longer than three
/// characters.
pub fn tokenize(text: &str) -> Vec<String> {
    words(text)
        .into_iter()
        .map(|word| if word.len() > 3 { stem(&word) } else { word })
        .collect()
}

fn ngram_counts(tokens: &[String], n: usize) -> HashMap<&[String], usize> {
    let mut counts = HashMap::new();
    if n == 0 {
        return counts;
    }
    for gram in tokens.windows(n) {
        *counts.entry(gram).or_insert(0) += 1;
    }
    counts
}

/// ROUGE-N: clipped n-gram overlap between two token lists. `n == 0` scores 0.
pub fn rouge_n(candidate: &[String], reference: &[String], n: usize) -> Score {
    let candidate_counts = ngram_counts(candidate, n);
    let reference_counts = ngram_counts(reference, n);
    let overlap = reference_counts
        .iter()
        .map(|(gram, &count)| count.min(candidate_counts.get(gram).copied().unwrap_or(0)))
        .sum();
    Score::from_counts(
        overlap,
        candidate_counts.values().sum(),
        reference_counts.values().sum(),
    )
}

/// Length of the longest common subsequence, in O(len(a) × len(b)) time and O(len(b)) memory.
fn lcs_len(a: &[String], b: &[String]) -> usize {
    let mut previous = vec![0usize; b.len() + 1];
    let mut current = vec![0usize; b.len() + 1];
    for token_a in a {
        for (j, token_b) in b.iter().enumerate() {
            current[j + 1] = if token_a == token_b {
                previous[j] + 1
            } else {
                current[j].max(previous[j + 1])
            };
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

/// ROUGE-L: longest common subsequence over the whole text (not the summary-level `rougeLsum`).
pub fn rouge_l(candidate: &[String], reference: &[String]) -> Score {
    if candidate.is_empty() || reference.is_empty() {
        return Score::default();
    }
    Score::from_counts(
        lcs_len(candidate, reference),
        candidate.len(),
        reference.len(),
    )
}

/// Scores a candidate summary against one reference.
pub fn score(candidate: &str, reference: &str) -> RougeScores {
    score_tokens(&tokenize(candidate), &tokenize(reference))
}

fn score_tokens(candidate: &[String], reference: &[String]) -> RougeScores {
    RougeScores {
        rouge1: rouge_n(candidate, reference, 1),
        rouge2: rouge_n(candidate, reference, 2),
        rouge_l: rouge_l(candidate, reference),
    }
}

/// Scores a candidate against several references. Each variant takes the score of the
/// reference with the highest F1 for that variant (the first one on ties), as `rouge-score`'s
/// `score_multi` does. An empty reference list scores 0.
pub fn score_multi<S: AsRef<str>>(candidate: &str, references: &[S]) -> RougeScores {
    let candidate = tokenize(candidate);
    let mut best: Option<RougeScores> = None;
    for reference in references {
        let scores = score_tokens(&candidate, &tokenize(reference.as_ref()));
        best = Some(match best {
            None => scores,
            Some(best) => RougeScores {
                rouge1: better(best.rouge1, scores.rouge1),
                rouge2: better(best.rouge2, scores.rouge2),
                rouge_l: better(best.rouge_l, scores.rouge_l),
            },
        });
    }
    best.unwrap_or_default()
}

fn better(current: Score, candidate: Score) -> Score {
    if candidate.f1 > current.f1 {
        candidate
    } else {
        current
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(actual: f64, expected: f64) -> bool {
        (actual - expected).abs() < 1e-9
    }

    fn tokens(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn tokenize_lowercases_splits_and_stems() {
        assert_eq!(
            tokenize("The Networks' learning-rate (3.5%) is GOOD!"),
            vec!["the", "network", "learn", "rate", "3", "5", "is", "good"]
        );
    }

    #[test]
    fn tokenize_keeps_short_words_unstemmed() {
        // "was" would stem to "wa", but words of three characters are left alone.
        assert_eq!(tokenize("was cats"), vec!["was", "cat"]);
    }

    #[test]
    fn tokenize_drops_non_ascii_letters() {
        assert_eq!(tokenize("naïve α-model"), vec!["na", "ve", "model"]);
    }

    #[test]
    fn rouge1_counts_clipped_unigrams() {
        // Candidate "the the cat" vs reference "the cat sat": overlap = min(2,1) + 1 = 2.
        let s = rouge_n(&tokens("the the cat"), &tokens("the cat sat"), 1);
        assert!(close(s.precision, 2.0 / 3.0));
        assert!(close(s.recall, 2.0 / 3.0));
        assert!(close(s.f1, 2.0 / 3.0));
    }

    #[test]
    fn rouge2_counts_bigrams() {
        // Bigrams: candidate {the cat, cat sat, sat down}, reference {the cat, cat sat}.
        let s = rouge_n(&tokens("the cat sat down"), &tokens("the cat sat"), 2);
        assert!(close(s.precision, 2.0 / 3.0));
        assert!(close(s.recall, 1.0));
        assert!(close(s.f1, 0.8));
    }

    #[test]
    fn rouge2_of_single_token_is_zero() {
        let s = rouge_n(&tokens("cat"), &tokens("cat"), 2);
        assert_eq!(s, Score::default());
    }

    #[test]
    fn rouge_l_uses_longest_common_subsequence() {
        // LCS of "a b c d e" and "a c e f" is "a c e": P = 3/5, R = 3/4, F = 2/3.
        let s = rouge_l(&tokens("a b c d e"), &tokens("a c e f"));
        assert!(close(s.precision, 0.6));
        assert!(close(s.recall, 0.75));
        assert!(close(s.f1, 2.0 * 0.6 * 0.75 / 1.35));
    }

    #[test]
    fn empty_inputs_score_zero() {
        assert_eq!(score("", "a reference"), RougeScores::default());
        assert_eq!(score("a candidate", ""), RougeScores::default());
        assert_eq!(
            score_multi::<&str>("a candidate", &[]),
            RougeScores::default()
        );
    }

    #[test]
    fn stemming_matches_inflections() {
        let s = score("networks learned", "network learning");
        assert!(close(s.rouge1.f1, 1.0));
        assert!(close(s.rouge2.f1, 1.0));
    }

    #[test]
    fn multi_reference_takes_best_per_variant() {
        // Reference one shares more unigrams, reference two shares the word order.
        let candidate = "a b c d";
        let references = ["d c b a x", "a b z z z z"];
        let s = score_multi(candidate, &references);
        // R1: ref one overlap 4 (P 1, R 0.8, F 8/9); ref two overlap 2 (P .5, R 1/3, F .4).
        assert!(close(s.rouge1.f1, 8.0 / 9.0));
        // R2: ref one shares no bigram; ref two shares "a b" (P 1/3, R 1/5, F 0.25).
        assert!(close(s.rouge2.f1, 0.25));
        // RL: ref one LCS 1 (P .25, R .2); ref two LCS 2 (P .5, R 1/3, F .4).
        assert!(close(s.rouge_l.f1, 0.4));
    }
}
