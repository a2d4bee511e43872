//! Summary quality on the SciTLDR-A dev split (619 papers, Apache-2.0; see
//! `tests/fixtures/scitldr-a/README.md`). Run with `--nocapture` to see the table.

use std::path::PathBuf;
use std::sync::OnceLock;

use paperboy::core::summary::{evaluate_scitldr, Report, System, SystemScores};

/// Returns the report, computing it once because scoring 619 papers takes seconds in a debug
/// build.
fn report() -> &'static Report {
    static REPORT: OnceLock<Report> = OnceLock::new();
    REPORT.get_or_init(|| {
        let path =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scitldr-a/dev.jsonl");
        let report = evaluate_scitldr(&path).expect("SciTLDR-A dev split is readable");
        println!("{report}");
        report
    })
}

fn scores(report: &Report, system: System) -> SystemScores {
    *report
        .scores(system)
        .expect("every system is in the report")
}

#[test]
fn scitldr_dev_rouge() {
    let report = report();
    assert_eq!(report.papers, 619);

    let ours = scores(report, System::Extractive);
    let abstract_only = scores(report, System::ExtractiveAbstractOnly);
    let first = scores(report, System::FirstSentence);
    let textrank = scores(report, System::TextRank);
    let oracle = scores(report, System::Oracle);

    assert!(
        ours.rouge1 >= 40.0,
        "extractive ROUGE-1 {:.2} is below 40",
        ours.rouge1
    );
    assert!(
        ours.rouge1 > first.rouge1,
        "extractive does not beat the first sentence"
    );
    assert!(
        ours.rouge1 > textrank.rouge1,
        "extractive does not beat TextRank"
    );
    assert!(
        ours.rouge2 > first.rouge2,
        "extractive ROUGE-2 does not beat the first sentence"
    );
    assert!(
        ours.rouge_l > first.rouge_l,
        "extractive ROUGE-L does not beat the first sentence"
    );
    assert!(
        abstract_only.rouge1 > first.rouge1 + 5.0,
        "abstract-only ROUGE-1 {:.2} is not well above the first sentence",
        abstract_only.rouge1
    );
    assert!(
        oracle.rouge1 > ours.rouge1,
        "oracle must bound any single-sentence method"
    );
}

/// The first-sentence figures computed by Google's `rouge-score` 0.1.2 (`use_stemmer=True`,
/// `score_multi`) on this file: 30.1094 / 11.4507 / 23.7241. Matching them shows that our
/// tokenizer, Porter stemmer and scoring agree with the reference package.
#[test]
fn first_sentence_matches_rouge_score_package() {
    let report = report();
    let first = scores(report, System::FirstSentence);
    assert!(
        (first.rouge1 - 30.1094).abs() < 0.001,
        "ROUGE-1 {}",
        first.rouge1
    );
    assert!(
        (first.rouge2 - 11.4507).abs() < 0.001,
        "ROUGE-2 {}",
        first.rouge2
    );
    assert!(
        (first.rouge_l - 23.7241).abs() < 0.001,
        "ROUGE-L {}",
        first.rouge_l
    );
}
