use proptest::prelude::*;

use super::*;

/// A six-sentence abstract in SciTLDR's style: background, gap, contribution, method, results.
const ABSTRACT: &str = "Mixed precision training is becoming a practical technique to improve \
the speed of training deep neural networks. It is typically used with loss scaling, which \
scales the loss before backpropagation. Unfortunately, existing methods make the loss scale a \
hyperparameter that must be tuned per model. In this paper, we propose adaptive loss scaling, \
a training method that makes mixed precision training easier by removing the need to tune the \
loss scale. We compute layer-wise loss scales automatically during training. Experiments show \
that our approach improves accuracy and shortens training time.";

const TITLE: &str = "Adaptive loss scaling for mixed precision training";

fn short(text: &str) -> String {
    extractive_summary(text, SummaryLength::Short)
}

#[test]
fn short_of_blank_abstract_is_empty() {
    assert_eq!(short(""), "");
    assert_eq!(short("  \n\n "), "");
    assert_eq!(extractive_summary("", SummaryLength::Detailed), "");
}

#[test]
fn short_of_one_sentence_is_that_sentence() {
    assert_eq!(
        short("We prove a new lower bound for sorting networks."),
        "We prove a new lower bound for sorting networks."
    );
}

#[test]
fn short_picks_contribution_sentence() {
    let summary = extractive_summary_with_title(TITLE, ABSTRACT, SummaryLength::Short);
    assert!(
        summary.starts_with("We propose adaptive loss scaling"),
        "{summary}"
    );
}

#[test]
fn short_without_title_picks_contribution_sentence() {
    let summary = short(ABSTRACT);
    assert!(
        summary.starts_with("We propose adaptive loss scaling"),
        "{summary}"
    );
}

#[test]
fn short_removes_leading_connectives() {
    assert_eq!(
        tidy_sentence("In this paper, we propose X."),
        "We propose X."
    );
    assert_eq!(tidy_sentence("In this work we study Y."), "We study Y.");
    assert_eq!(tidy_sentence("Here, we show Z."), "We show Z.");
    assert_eq!(
        tidy_sentence("However, to address these issues, we design W."),
        "We design W."
    );
    assert_eq!(
        tidy_sentence("In order to overcome this drawback, we filter noise."),
        "We filter noise."
    );
    assert_eq!(
        tidy_sentence("To this end, word2vec is used."),
        "word2vec is used."
    );
}

#[test]
fn short_removes_example_asides_and_citations() {
    assert_eq!(
        tidy_sentence("We improve detectors (e.g., YOLO and SSD) on COCO [3, 4]."),
        "We improve detectors on COCO."
    );
    assert_eq!(
        tidy_sentence("We train GANs (generative adversarial networks)."),
        "We train GANs (generative adversarial networks)."
    );
}

#[test]
fn short_handles_hard_wraps_and_latex() {
    let text = "Sorting is well studied.\nWe propose a sorting network of depth\n\
                $O(\\log n)$ for inputs of size $n$, e.g. Arrays. It is\noptimal.";
    let summary = short(text);
    assert_eq!(
        summary,
        "We propose a sorting network of depth $O(\\log n)$ for inputs of size $n$, e.g. Arrays."
    );
}

#[test]
fn short_stays_within_limit() {
    let clause = "we add another clause about the method and its many parts";
    let long = format!("We propose X, {}.", vec![clause; 20].join(", "));
    let summary = short(&long);
    assert!(summary.chars().count() <= SHORT_MAX_CHARS, "{summary}");
    assert!(summary.ends_with('…'), "{summary}");
    assert!(summary.starts_with("We propose X, we add"), "{summary}");
}

#[test]
fn short_prefers_sentence_that_fits() {
    let long = format!(
        "We propose {}.",
        vec!["a long method name"; 30].join(" and ")
    );
    let text = format!("{long} We propose a short method for the same long method name task.");
    let summary = short(&text);
    assert_eq!(
        summary,
        "We propose a short method for the same long method name task."
    );
}

#[test]
fn short_extends_very_short_sentence() {
    let text = "We propose fast sorting networks. Sorting networks sort fast. Cats sleep.";
    assert_eq!(
        short(text),
        "We propose fast sorting networks. Sorting networks sort fast."
    );
}

#[test]
fn clip_never_cuts_inside_math() {
    let text = format!("{} $a + b + c + d$ tail", "word ".repeat(10));
    let clipped = clip(&text, 60);
    assert_eq!(clipped.matches('$').count() % 2, 0, "{clipped}");
    assert!(clipped.chars().count() <= 60);
}

#[test]
fn clip_cuts_text_without_spaces() {
    let clipped = clip(&"x".repeat(500), 300);
    assert_eq!(clipped.chars().count(), 300);
    assert!(clipped.ends_with('…'));
}

#[test]
fn detailed_keeps_three_sentences_in_order() {
    let summary = extractive_summary_with_title(TITLE, ABSTRACT, SummaryLength::Detailed);
    let sentences = sentences::split_sentences(&summary);
    assert_eq!(sentences.len(), 3, "{summary}");
    let lower_abstract = ABSTRACT.to_lowercase();
    let positions: Vec<usize> = sentences
        .iter()
        .map(|s| {
            let start: String = s.to_lowercase().chars().take(20).collect();
            lower_abstract
                .find(&start)
                .expect("sentence comes from the abstract")
        })
        .collect();
    assert!(positions.windows(2).all(|p| p[0] < p[1]), "{summary}");
    assert!(
        summary.contains("We propose adaptive loss scaling"),
        "{summary}"
    );
}

#[test]
fn detailed_of_short_abstract_is_whole_abstract() {
    let text = "We study X. We prove Y about X.";
    assert_eq!(extractive_summary(text, SummaryLength::Detailed), text);
}

#[test]
fn detailed_of_one_huge_sentence_is_clipped() {
    let huge = format!("We propose {}.", "a very long sentence ".repeat(100));
    let summary = extractive_summary(&huge, SummaryLength::Detailed);
    assert!(!summary.is_empty());
    assert!(summary.chars().count() <= DETAILED_MAX_CHARS);
}

#[test]
fn summarize_short_uses_ai_summary() {
    let summary = summarize(
        Some("  A method that\n tunes loss scales. "),
        ABSTRACT,
        SummaryLength::Short,
    );
    assert_eq!(summary.text, "A method that tunes loss scales.");
    assert_eq!(summary.source, SummarySource::HuggingFace);
}

#[test]
fn summarize_falls_back_on_blank_ai_summary() {
    for ai in [None, Some(""), Some("  \n")] {
        let summary = summarize(ai, ABSTRACT, SummaryLength::Short);
        assert_eq!(summary.source, SummarySource::Extractive);
        assert_eq!(summary.text, short(ABSTRACT));
    }
}

#[test]
fn summarize_detailed_appends_abstract_sentences() {
    let ai = "Adaptive loss scaling removes the need to tune the loss scale in mixed precision training.";
    let summary = summarize(Some(ai), ABSTRACT, SummaryLength::Detailed);
    assert_eq!(summary.source, SummarySource::HuggingFace);
    let (head, rest) = summary
        .text
        .split_once("\n\n")
        .expect("blank line after ai summary");
    assert_eq!(head, ai);
    assert!(!rest.is_empty());
    assert!(!rest.contains("we propose adaptive loss scaling"), "{rest}");
}

#[test]
fn summarize_detailed_without_abstract_is_ai_summary() {
    let summary = summarize(Some("Short claim."), "", SummaryLength::Detailed);
    assert_eq!(summary.text, "Short claim.");
}

#[test]
fn summarize_paper_uses_title() {
    let mut paper = Paper::new(
        crate::ids::ArxivId::from_key("2401.12345").expect("valid key"),
        TITLE,
        ABSTRACT,
    );
    let extractive = summarize_paper(&paper, SummaryLength::Short);
    assert_eq!(extractive.source, SummarySource::Extractive);
    assert!(extractive
        .text
        .starts_with("We propose adaptive loss scaling"));

    paper.ai_summary = Some("An AI summary.".to_string());
    let ai = summarize_paper(&paper, SummaryLength::Short);
    assert_eq!(ai.text, "An AI summary.");
}

#[test]
fn textrank_prefers_central_sentence() {
    let sentences: Vec<String> = [
        "Cats sleep.",
        "Neural networks learn sorting networks from data.",
        "Sorting networks are networks that sort.",
        "Neural sorting networks learn fast.",
    ]
    .map(String::from)
    .to_vec();
    assert_eq!(eval::textrank_top(&sentences), Some(3));
    assert_eq!(eval::textrank_top(&[]), None);
}

/// Text made of abstract-like pieces, so the property tests reach the splitter's branches.
fn abstract_like() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("We propose".to_string()),
        Just("e.g.".to_string()),
        Just("et al.".to_string()),
        Just("Fig.".to_string()),
        Just("3.5".to_string()),
        Just("$x_1. Y$".to_string()),
        Just("$".to_string()),
        Just("(".to_string()),
        Just(")".to_string()),
        Just("In this paper,".to_string()),
        Just(". ".to_string()),
        Just("\n".to_string()),
        Just("\n\n".to_string()),
        Just("-\n".to_string()),
        Just("?\"".to_string()),
        "[a-zA-Zé∑ ]{0,12}",
    ];
    prop::collection::vec(piece, 0..60).prop_map(|pieces| pieces.join(" "))
}

proptest! {
    #[test]
    fn never_panics_on_any_text(text in any::<String>(), title in any::<String>()) {
        let short = extractive_summary_with_title(&title, &text, SummaryLength::Short);
        prop_assert!(short.chars().count() <= SHORT_MAX_CHARS);
        let _ = extractive_summary_with_title(&title, &text, SummaryLength::Detailed);
    }

    #[test]
    fn never_panics_on_abstract_like_text(text in abstract_like(), ai in proptest::option::of(abstract_like())) {
        let short = extractive_summary(&text, SummaryLength::Short);
        prop_assert!(short.chars().count() <= SHORT_MAX_CHARS);
        let detailed = extractive_summary(&text, SummaryLength::Detailed);
        prop_assert!(detailed.chars().count() <= DETAILED_MAX_CHARS);
        let summary = summarize(ai.as_deref(), &text, SummaryLength::Short);
        prop_assert!(summary.text.chars().count() <= SHORT_MAX_CHARS);
        let _ = summarize(ai.as_deref(), &text, SummaryLength::Detailed);
    }

    #[test]
    fn blank_text_gives_empty_summary(text in "[ \t\n]{0,20}") {
        prop_assert_eq!(extractive_summary(&text, SummaryLength::Short), "");
        prop_assert_eq!(extractive_summary(&text, SummaryLength::Detailed), "");
    }
}
