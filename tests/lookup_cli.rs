//! `paperboy paper` and `paperboy summary` as real processes, with arXiv served by a local
//! fake from the recorded responses. Every ID form resolves to its canonical ID, a missing
//! paper is fetched once and then served from the store, and errors read as sentences.

mod lookup_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use lookup_support::fake_arxiv::{FakeArxiv, Reply};
use serde_json::Value;

/// Writes a config file whose `arxiv.base_url` is `arxiv`, next to a store in `dir`.
fn config_file(dir: &Path, arxiv: Option<&str>) -> PathBuf {
    let path = dir.join("paperboy.toml");
    let mut text = format!(
        "[store]\npath = {:?}\n",
        dir.join("papers.db").display().to_string()
    );
    if let Some(base_url) = arxiv {
        text.push_str(&format!("\n[arxiv]\nbase_url = {base_url:?}\n"));
    }
    std::fs::write(&path, text).unwrap();
    path
}

fn paperboy(config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_paperboy"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("DISCORD_TOKEN")
        .output()
        .expect("paperboy runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn json_id(output: &Output, input: &str) -> String {
    assert!(
        output.status.success(),
        "`{input}` failed: {}",
        stderr(output)
    );
    let value: Value = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    value["id"].as_str().unwrap_or_default().to_string()
}

/// Returns each recorded paper with the ID forms users paste for it.
fn id_forms() -> Vec<(&'static str, Vec<&'static str>)> {
    vec![
        (
            "1707.08567",
            vec![
                "1707.08567",
                "1707.08567v1",
                "1707.08567v3",
                "arXiv:1707.08567",
                "arxiv:1707.08567v2",
                "ARXIV:1707.08567",
                "https://arxiv.org/abs/1707.08567",
                "http://arxiv.org/abs/1707.08567v1",
                "https://www.arxiv.org/abs/1707.08567",
                "http://export.arxiv.org/abs/1707.08567",
                "https://arxiv.org/abs/1707.08567?context=cs",
                "https://arxiv.org/abs/1707.08567#comments",
                "https://arxiv.org/pdf/1707.08567",
                "https://arxiv.org/pdf/1707.08567v1",
                "http://arxiv.org/pdf/1707.08567v1.pdf",
                "https://export.arxiv.org/pdf/1707.08567.pdf",
                "https://arxiv.org/html/1707.08567v1",
                "https://arxiv.org/html/1707.08567v1#S2",
                "https://arxiv.org/html/1707.08567v1/",
                "https://arxiv.org/format/1707.08567",
                "http://www.arxiv.org/format/1707.08567v1",
                "arxiv.org/abs/1707.08567",
                "<https://arxiv.org/abs/1707.08567>",
                "10.48550/arXiv.1707.08567",
                "https://doi.org/10.48550/arXiv.1707.08567",
                "http://dx.doi.org/10.48550/arxiv.1707.08567",
                "https://ar5iv.labs.arxiv.org/html/1707.08567",
                "https://ar5iv.org/abs/1707.08567v1",
                "https://huggingface.co/papers/1707.08567",
                "https://huggingface.co/papers/1707.08567#community",
                "https://huggingface.co/papers/1707.08567.md",
                "https://hf.co/papers/1707.08567",
                "http://hf.co/papers/1707.08567.md",
                "https://www.alphaxiv.org/abs/1707.08567",
                "https://alphaxiv.org/abs/1707.08567v1",
                "https://www.alphaxiv.org/abs/1707.08567.md",
                "https://www.alphaxiv.org/overview/1707.08567",
                "https://www.alphaxiv.org/overview/1707.08567v1.md",
            ],
        ),
        (
            "astro-ph/0601001",
            vec![
                "astro-ph/0601001",
                "astro-ph/0601001v1",
                "arXiv:astro-ph/0601001",
                "https://arxiv.org/abs/astro-ph/0601001",
                "http://arxiv.org/abs/astro-ph/0601001v1",
                "https://export.arxiv.org/abs/astro-ph/0601001",
                "https://arxiv.org/pdf/astro-ph/0601001v1.pdf",
                "https://arxiv.org/format/astro-ph/0601001",
                "10.48550/arXiv.astro-ph/0601001",
                "https://ar5iv.org/html/astro-ph/0601001",
            ],
        ),
        (
            "2104.12255",
            vec![
                "2104.12255",
                "2104.12255v1",
                "https://arxiv.org/abs/2104.12255v1",
                "https://huggingface.co/papers/2104.12255",
                "https://www.alphaxiv.org/overview/2104.12255",
            ],
        ),
        (
            "1111.2011",
            vec![
                "1111.2011",
                "1111.2011v2",
                "https://arxiv.org/pdf/1111.2011v2",
            ],
        ),
    ]
}

/// Looks each form up in a fresh store, so each one reaches the fake arXiv. The request must
/// name the canonical ID (without version), and the paper printed must carry that ID.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_id_form_fetches_the_canonical_id() {
    let arxiv = FakeArxiv::with_papers().await;
    let mut expected_keys = Vec::new();
    for (canonical, forms) in id_forms() {
        for form in forms {
            let dir = tempfile::tempdir().unwrap();
            let config = config_file(dir.path(), Some(arxiv.base_url()));
            let output = tokio::task::spawn_blocking({
                let form = form.to_string();
                move || paperboy(&config, &["paper", &form, "--json"])
            })
            .await
            .unwrap();
            assert_eq!(json_id(&output, form), canonical, "id of `{form}`");
            expected_keys.push(canonical.to_string());
        }
    }
    assert_eq!(arxiv.requested_keys(), expected_keys);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paper_fetched_once_then_served_from_store() {
    let arxiv = FakeArxiv::with_papers().await;
    let dir = tempfile::tempdir().unwrap();
    let config = config_file(dir.path(), Some(arxiv.base_url()));

    let outputs = tokio::task::spawn_blocking(move || {
        let mut outputs = Vec::new();
        for (canonical, forms) in id_forms() {
            for form in forms {
                outputs.push((
                    canonical,
                    form,
                    paperboy(&config, &["paper", form, "--json"]),
                ));
            }
            outputs.push((
                canonical,
                canonical,
                paperboy(&config, &["summary", canonical, "--json"]),
            ));
        }
        outputs
    })
    .await
    .unwrap();

    for (canonical, form, output) in &outputs {
        assert_eq!(json_id(output, form), *canonical, "id of `{form}`");
    }
    assert_eq!(
        arxiv.requested_keys(),
        vec!["1707.08567", "astro-ph/0601001", "2104.12255", "1111.2011"],
        "each paper is requested once, then served from the store"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetched_paper_has_arxiv_fields() {
    let arxiv = FakeArxiv::with_papers().await;
    let dir = tempfile::tempdir().unwrap();
    let config = config_file(dir.path(), Some(arxiv.base_url()));
    let output = tokio::task::spawn_blocking(move || {
        paperboy(&config, &["paper", "astro-ph/0601001v1", "--json"])
    })
    .await
    .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let value: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(value["id"], "astro-ph/0601001");
    assert_eq!(value["url"], "https://arxiv.org/abs/astro-ph/0601001");
    assert!(
        value["title"].as_str().is_some_and(|t| !t.is_empty()),
        "{value}"
    );
    assert!(
        value["authors"].as_array().is_some_and(|a| !a.is_empty()),
        "{value}"
    );
    assert_eq!(value["categories"][0], "astro-ph", "{value}");
    assert!(
        value["summary"].as_str().is_some_and(|s| !s.is_empty()),
        "{value}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn junk_input_exits_2_without_requests() {
    let arxiv = FakeArxiv::with_papers().await;
    let dir = tempfile::tempdir().unwrap();
    let config = config_file(dir.path(), Some(arxiv.base_url()));
    for input in [
        "not-an-id",
        "1707.0856",
        "1707.08567v0",
        "arXiv:",
        "https://example.com/abs/1707.08567",
        "https://arxiv.org/list/cs.AI/new",
        "https://huggingface.co/papers",
        "ftp://arxiv.org/abs/1707.08567",
    ] {
        let config = config.clone();
        let output = tokio::task::spawn_blocking(move || paperboy(&config, &["paper", input]))
            .await
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "exit code for `{input}`");
        let message = stderr(&output);
        assert!(
            message.contains("is not an arXiv ID or paper URL"),
            "message for `{input}`: {message}"
        );
        assert_eq!(message.trim().lines().count(), 1, "one line: {message}");
    }
    assert!(arxiv.requests().is_empty(), "{:?}", arxiv.requested_keys());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paper_unknown_to_arxiv_exits_2() {
    let arxiv = FakeArxiv::with_papers().await;
    let dir = tempfile::tempdir().unwrap();
    let config = config_file(dir.path(), Some(arxiv.base_url()));
    let output = tokio::task::spawn_blocking(move || paperboy(&config, &["paper", "2312.00001"]))
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("arXiv has no paper 2312.00001"),
        "{}",
        stderr(&output)
    );
    assert_eq!(arxiv.requested_keys(), vec!["2312.00001"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arxiv_http_error_is_readable() {
    let arxiv = FakeArxiv::start(vec![("1707.08567", Reply::status(503, ""))]).await;
    let dir = tempfile::tempdir().unwrap();
    let config = config_file(dir.path(), Some(arxiv.base_url()));
    let output = tokio::task::spawn_blocking(move || paperboy(&config, &["summary", "1707.08567"]))
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(
        message.contains("arXiv lookup of 1707.08567 failed"),
        "{message}"
    );
    assert!(message.contains("arXiv returned HTTP 503"), "{message}");
}

#[test]
fn arxiv_unreachable_is_readable() {
    // A port that was just free: nothing listens there, so the connection is refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let config = config_file(dir.path(), Some(&format!("http://127.0.0.1:{port}")));
    let output = paperboy(&config, &["paper", "1707.08567"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("could not connect to arXiv"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn without_arxiv_missing_paper_is_store_error() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_file(dir.path(), None);
    for command in ["paper", "summary"] {
        let output = paperboy(&config, &[command, "https://arxiv.org/abs/1707.08567v1"]);
        assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
        assert!(
            stderr(&output).contains("Paper 1707.08567 is not in Paperboy's store yet"),
            "{}",
            stderr(&output)
        );
    }
}
