//! Summaries from an OpenAI-compatible endpoint, against a local fake of
//! `/v1/chat/completions`: the request, cleaning and clamping of the answer, the cache per
//! paper, length and model, and the fallback when the endpoint fails.

mod lookup_support;

use std::time::Duration;

use chrono::Utc;
use lookup_support::fake_llm::{FakeLlm, LlmBehavior};
use paperboy::config::{Config, LlmUse, Secret};
use paperboy::core::lookup::{self, LlmSummarizer, GENERATED_DETAILED_MAX_CHARS};
use paperboy::core::summary::SummaryLength;
use paperboy::ids::ArxivId;
use paperboy::paper::Paper;
use paperboy::sources::llm::{LlmClient, LlmError};
use paperboy::store::{SharedStore, Store};

const ABSTRACT: &str = "Large language models are costly to serve. We propose TinyServe, a \
    scheduler that batches requests by expected output length. On three workloads TinyServe \
    cuts median latency by 40% compared with vLLM. We release the code.";

fn test_paper(key: &str, ai_summary: Option<&str>) -> Paper {
    let mut paper = Paper::new(
        ArxivId::from_key(key).unwrap(),
        "TinyServe: Length-Aware Batching",
        ABSTRACT,
    );
    paper.ai_summary = ai_summary.map(str::to_string);
    paper
}

async fn store_with(papers: &[Paper]) -> (tempfile::TempDir, SharedStore) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("papers.db")).unwrap();
    store.upsert_papers(papers, Utc::now()).unwrap();
    (dir, SharedStore::new(store))
}

fn summarizer(fake: &FakeLlm, model: &str, key: Option<&str>, use_for: LlmUse) -> LlmSummarizer {
    let client = LlmClient::new(
        fake.base_url(),
        model,
        key.map(Secret::new),
        Duration::from_secs(2),
        300,
    )
    .unwrap();
    LlmSummarizer { client, use_for }
}

#[tokio::test]
async fn detailed_summary_from_model() {
    let fake = FakeLlm::start(LlmBehavior::answer(
        "<think>keep it short</think>\n**Summary:** TinyServe batches LLM requests by \
         predicted output length.\n\n\n\nIt cuts median latency by 40%.",
    ))
    .await;
    let paper = test_paper("2401.00001", Some("Hugging Face's summary."));
    let (_dir, store) = store_with(std::slice::from_ref(&paper)).await;
    let llm = summarizer(&fake, "qwen2.5:7b", Some("sk-test-key"), LlmUse::Detailed);

    let reply = lookup::summarize(&store, Some(&llm), &paper, SummaryLength::Detailed)
        .await
        .unwrap();
    assert_eq!(
        reply.text,
        "TinyServe batches LLM requests by predicted output length.\n\nIt cuts median latency by 40%."
    );
    assert_eq!(reply.label, "summary by the language model qwen2.5:7b");
    assert_eq!(reply.model_failure, None);

    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    let body = &requests[0].body;
    assert_eq!(body["model"], "qwen2.5:7b");
    assert_eq!(body["max_tokens"], 300);
    assert_eq!(body["stream"], false);
    assert_eq!(body["messages"][0]["role"], "system");
    assert_eq!(body["messages"][1]["role"], "user");
    let prompt = body["messages"][1]["content"].as_str().unwrap();
    assert!(
        prompt.contains("TinyServe: Length-Aware Batching"),
        "{prompt}"
    );
    assert!(prompt.contains("cuts median latency by 40%"), "{prompt}");
    assert_eq!(
        requests[0].authorization.as_deref(),
        Some("Bearer sk-test-key")
    );
}

#[tokio::test]
async fn summary_cached_per_length_and_model() {
    let fake = FakeLlm::start(LlmBehavior::answer("A scheduler that batches by length.")).await;
    let paper = test_paper("2401.00002", None);
    let (_dir, store) = store_with(std::slice::from_ref(&paper)).await;
    let llm = summarizer(&fake, "model-a", None, LlmUse::Both);

    for _ in 0..3 {
        let reply = lookup::summarize(&store, Some(&llm), &paper, SummaryLength::Detailed)
            .await
            .unwrap();
        assert_eq!(reply.text, "A scheduler that batches by length.");
    }
    assert_eq!(fake.requests().len(), 1, "cached after the first request");
    assert_eq!(fake.requests()[0].authorization, None, "no key, no header");

    lookup::summarize(&store, Some(&llm), &paper, SummaryLength::Short)
        .await
        .unwrap();
    assert_eq!(
        fake.requests().len(),
        2,
        "the short summary is its own entry"
    );

    let other_model = summarizer(&fake, "model-b", None, LlmUse::Both);
    lookup::summarize(&store, Some(&other_model), &paper, SummaryLength::Detailed)
        .await
        .unwrap();
    assert_eq!(fake.requests().len(), 3, "another model is its own entry");
}

#[tokio::test]
async fn short_summary_uses_model_only_when_asked() {
    let fake = FakeLlm::start(LlmBehavior::answer("Model summary.")).await;
    let with_hf = test_paper("2401.00003", Some("Hugging Face's summary."));
    let without_hf = test_paper("2401.00004", None);
    let (_dir, store) = store_with(&[with_hf.clone(), without_hf.clone()]).await;

    let detailed_only = summarizer(&fake, "m", None, LlmUse::Detailed);
    let reply = lookup::summarize(
        &store,
        Some(&detailed_only),
        &without_hf,
        SummaryLength::Short,
    )
    .await
    .unwrap();
    assert_eq!(reply.label, "sentences selected from the abstract");

    let both = summarizer(&fake, "m", None, LlmUse::Both);
    let reply = lookup::summarize(&store, Some(&both), &with_hf, SummaryLength::Short)
        .await
        .unwrap();
    assert_eq!(reply.text, "Hugging Face's summary.");
    assert!(
        fake.requests().is_empty(),
        "Hugging Face's summary comes first"
    );

    let reply = lookup::summarize(&store, Some(&both), &without_hf, SummaryLength::Short)
        .await
        .unwrap();
    assert_eq!(reply.text, "Model summary.");
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn server_error_falls_back_with_note() {
    let fake = FakeLlm::start(LlmBehavior::Status(500)).await;
    let paper = test_paper("2401.00005", None);
    let (_dir, store) = store_with(std::slice::from_ref(&paper)).await;
    let llm = summarizer(&fake, "m", None, LlmUse::Detailed);

    let reply = lookup::summarize(&store, Some(&llm), &paper, SummaryLength::Detailed)
        .await
        .unwrap();
    let extractive = lookup::summarize(&store, None, &paper, SummaryLength::Detailed)
        .await
        .unwrap();
    assert_eq!(reply.text, extractive.text);
    assert_eq!(reply.label, "sentences selected from the abstract");
    assert_eq!(
        reply.model_failure.as_deref(),
        Some(
            "The summary model failed (the language model endpoint returned HTTP 500), so \
             this shows sentences selected from the abstract instead."
        )
    );

    fake.set_behavior(LlmBehavior::answer("Recovered."));
    let retried = lookup::summarize(&store, Some(&llm), &paper, SummaryLength::Detailed)
        .await
        .unwrap();
    assert_eq!(retried.text, "Recovered.", "a failure is not cached");
}

#[tokio::test]
async fn timeout_falls_back_with_note() {
    let fake = FakeLlm::start(LlmBehavior::slow_answer(
        "Too late.",
        Duration::from_secs(4),
    ))
    .await;
    let paper = test_paper("2401.00006", Some("Hugging Face's summary."));
    let (_dir, store) = store_with(std::slice::from_ref(&paper)).await;
    let llm = summarizer(&fake, "m", None, LlmUse::Detailed);

    let reply = lookup::summarize(&store, Some(&llm), &paper, SummaryLength::Detailed)
        .await
        .unwrap();
    assert!(
        reply.text.starts_with("Hugging Face's summary."),
        "{}",
        reply.text
    );
    assert_eq!(reply.label, "summary by Hugging Face");
    assert_eq!(
        reply.model_failure.as_deref(),
        Some(
            "The summary model failed (the language model did not answer within 2 s), so \
             this shows Hugging Face's summary instead."
        )
    );
}

#[tokio::test]
async fn invalid_answers_are_errors() {
    let fake = FakeLlm::start(LlmBehavior::Garbage).await;
    let client = LlmClient::new(fake.base_url(), "m", None, Duration::from_secs(2), 100).unwrap();
    let error = client.complete("s", "u").await.unwrap_err();
    assert!(matches!(error, LlmError::InvalidResponse(_)), "{error:?}");

    fake.set_behavior(LlmBehavior::answer("<think>only reasoning, never closed"));
    let error = client.complete("s", "u").await.unwrap_err();
    assert!(matches!(error, LlmError::EmptyAnswer), "{error:?}");
}

#[tokio::test]
async fn long_and_cut_answers_are_clamped() {
    let sentence = "TinyServe batches requests by their predicted output length. ";
    let fake = FakeLlm::start(LlmBehavior::answer(&sentence.repeat(60))).await;
    let paper = test_paper("2401.00007", None);
    let (_dir, store) = store_with(std::slice::from_ref(&paper)).await;
    let llm = summarizer(&fake, "m", None, LlmUse::Detailed);

    let reply = lookup::summarize(&store, Some(&llm), &paper, SummaryLength::Detailed)
        .await
        .unwrap();
    assert!(reply.text.chars().count() <= GENERATED_DETAILED_MAX_CHARS);
    assert!(
        reply.text.ends_with("length."),
        "ends at a sentence: {}",
        reply.text
    );

    fake.set_behavior(LlmBehavior::Answer {
        content: "The first finding is solid and well supported by experiments. The second was cut"
            .to_string(),
        finish_reason: "length".to_string(),
        delay: Duration::ZERO,
    });
    let cut = test_paper("2401.00008", None);
    store
        .run({
            let cut = cut.clone();
            move |s| s.upsert_papers(&[cut], Utc::now())
        })
        .await
        .unwrap();
    let reply = lookup::summarize(&store, Some(&llm), &cut, SummaryLength::Detailed)
        .await
        .unwrap();
    assert_eq!(
        reply.text,
        "The first finding is solid and well supported by experiments."
    );
}

#[test]
fn key_never_printed() {
    let client = LlmClient::new(
        "http://127.0.0.1:9",
        "m",
        Some(Secret::new("sk-very-secret")),
        Duration::from_secs(1),
        100,
    )
    .unwrap();
    let debug = format!("{client:?}");
    assert!(!debug.contains("sk-very-secret"), "{debug}");
    assert!(debug.contains("redacted"), "{debug}");
}

#[test]
fn unset_llm_means_no_summarizer() {
    let config = Config::default();
    assert!(LlmSummarizer::from_config(&config).unwrap().is_none());
    assert!(lookup::arxiv_client(&config).unwrap().is_none());
}

#[test]
fn model_markdown_rendered_inert() {
    let paper = test_paper("2401.00009", None);
    let answer = "**Bold** claim, see [the code](https://example.com) @everyone <@123>; it costs \
                  $5 and $10 and reaches $\\alpha = 0.5$.\n\nSecond paragraph.";
    let message =
        paperboy::render::summary_message(&paper, answer, "summary by the language model m");
    paperboy::render::validate(&message).unwrap();
    let description = message.embeds[0].description.clone().unwrap();
    println!("{description}");
    assert!(!description.contains("**Bold**"), "{description}");
    assert!(!description.contains("[the code](https"), "{description}");
    assert!(!description.contains("@everyone"), "{description}");
    assert!(!description.contains("<@123>"), "{description}");
    assert!(description.contains("$5 and $10"), "{description}");
    assert!(description.contains("α = 0.5"), "{description}");
    assert!(
        description.contains("\n\nSecond paragraph."),
        "{description}"
    );
}
