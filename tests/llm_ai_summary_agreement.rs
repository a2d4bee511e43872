//! How close the extractive summary comes to Hugging Face's `ai_summary`, a one-sentence
//! summary that Hugging Face generates with a language model, over every fixture paper that
//! has one. Run with `--nocapture` to see the table that `BENCHMARKS.md` records.
//!
//! `ai_summary` is itself a model's output, not a human reference, so these figures measure
//! agreement with Hugging Face's summaries, not quality.

use std::collections::BTreeMap;
use std::path::Path;

use paperboy::core::rouge;
use paperboy::core::summary::{extractive_summary_with_title, SummaryLength};
use paperboy::paper::Paper;
use paperboy::sources::hf::parse_day;
use paperboy::text;

/// Every fixture paper with a non-blank `ai_summary` and abstract, once each, by ID.
fn papers_with_ai_summary() -> Vec<Paper> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hf");
    let mut by_id = BTreeMap::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    for file in files {
        let day = parse_day(&std::fs::read_to_string(&file).unwrap())
            .unwrap_or_else(|error| panic!("{}: {error}", file.display()));
        for paper in day.papers {
            let has_summary = paper
                .ai_summary
                .as_deref()
                .is_some_and(|s| !s.trim().is_empty());
            if has_summary && !paper.abstract_text.trim().is_empty() {
                by_id.insert(paper.id.key().to_string(), paper);
            }
        }
    }
    by_id.into_values().collect()
}

/// Mean ROUGE-1, ROUGE-2 and ROUGE-L F1 (×100) of `system` against each paper's ai_summary.
fn mean_scores(papers: &[Paper], system: impl Fn(&Paper) -> String) -> [f64; 3] {
    let mut sums = [0.0; 3];
    for paper in papers {
        let reference = paper.ai_summary.as_deref().unwrap_or_default();
        let scores = rouge::score(&system(paper), reference);
        sums[0] += scores.rouge1.f1;
        sums[1] += scores.rouge2.f1;
        sums[2] += scores.rouge_l.f1;
    }
    sums.map(|sum| 100.0 * sum / papers.len() as f64)
}

fn first_sentence(paper: &Paper) -> String {
    text::first_sentence(&text::unwrap_lines(&paper.abstract_text)).to_string()
}

fn extractive_short(paper: &Paper) -> String {
    extractive_summary_with_title(&paper.title, &paper.abstract_text, SummaryLength::Short)
}

fn extractive_detailed(paper: &Paper) -> String {
    extractive_summary_with_title(&paper.title, &paper.abstract_text, SummaryLength::Detailed)
}

#[test]
fn extractive_agreement_with_ai_summary() {
    let papers = papers_with_ai_summary();
    let rows = [
        (
            "first sentence of the abstract",
            mean_scores(&papers, first_sentence),
        ),
        ("extractive short", mean_scores(&papers, extractive_short)),
        (
            "extractive detailed",
            mean_scores(&papers, extractive_detailed),
        ),
    ];
    println!(
        "Agreement with Hugging Face ai_summary, {} fixture papers (F1 x 100)",
        papers.len()
    );
    println!("| system | ROUGE-1 | ROUGE-2 | ROUGE-L |");
    println!("|---|---|---|---|");
    for (name, [r1, r2, rl]) in rows {
        println!("| {name} | {r1:.2} | {r2:.2} | {rl:.2} |");
    }

    assert!(
        papers.len() >= 50,
        "only {} papers have an ai_summary",
        papers.len()
    );
    let [first_r1, ..] = rows[0].1;
    let [short_r1, short_r2, _] = rows[1].1;
    assert!(
        short_r1 > first_r1,
        "extractive short ROUGE-1 {short_r1:.2} does not beat the first sentence {first_r1:.2}"
    );
    // Regression floors, a little below the figures in BENCHMARKS.md.
    assert!(short_r1 >= 36.0, "extractive short ROUGE-1 {short_r1:.2}");
    assert!(short_r2 >= 15.0, "extractive short ROUGE-2 {short_r2:.2}");
}
