//! The `paperboy` command line, run as a real process on a real SQLite file in a temporary
//! folder, fed with saved Hugging Face responses.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const LATEST_DAY: &str = "daily_papers_2026-08-18_latest-schema_ai_summary_model.json";

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hf")
}

fn fixture_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixture_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

fn paperboy(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_paperboy"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("DISCORD_TOKEN")
        .output()
        .expect("paperboy runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A store with every fixture day ingested.
fn loaded_store() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("papers.db");
    let mut args = vec!["ingest".to_string(), "--file".to_string()];
    args.extend(fixture_files().iter().map(|p| p.display().to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = paperboy(&db, &refs);
    assert!(
        output.status.success(),
        "ingest failed: {}",
        stderr(&output)
    );
    (dir, db)
}

fn json(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "command failed: {}",
        stderr(output)
    );
    serde_json::from_slice(&output.stdout).expect("stdout is JSON")
}

#[test]
fn ingest_each_fixture_then_again_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("papers.db");
    for file in fixture_files() {
        let path = file.display().to_string();
        let first = paperboy(&db, &["ingest", "--file", &path]);
        assert!(first.status.success(), "{path}: {}", stderr(&first));
        let text = stdout(&first);
        assert!(text.contains("stored "), "{path}: {text}");
        assert!(!text.contains(" 0 papers"), "{path} stored nothing: {text}");

        let second = paperboy(&db, &["ingest", "--file", &path]);
        assert!(second.status.success(), "{path}: {}", stderr(&second));
        let again = stdout(&second);
        assert!(
            again.contains("(0 new, 0 updated,") && again.contains(", 0 upvote snapshots)"),
            "{path} changed on the second run: {again}"
        );
    }
}

#[test]
fn broken_file_is_named_and_others_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("papers.db");
    let broken = dir.path().join("truncated.json");
    std::fs::write(&broken, "[{\"paper\": {\"id\": \"2508.0").unwrap();
    let good = fixture_dir().join(LATEST_DAY);
    let output = paperboy(
        &db,
        &[
            "ingest",
            "--file",
            &broken.display().to_string(),
            &good.display().to_string(),
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(stdout(&output).contains("truncated.json: failed"));
    assert!(stdout(&output).contains("29 papers"));
    let trending = json(&paperboy(
        &db,
        &[
            "trending",
            "--date",
            "2026-08-18",
            "--limit",
            "100",
            "--json",
        ],
    ));
    assert_eq!(trending.as_array().unwrap().len(), 29);
}

#[test]
fn trending_lists_the_day_with_upvotes_and_links() {
    let (_dir, db) = loaded_store();
    let output = paperboy(
        &db,
        &[
            "trending",
            "--date",
            "2026-08-18",
            "--limit",
            "100",
            "--json",
        ],
    );
    let list = json(&output);
    let items = list.as_array().unwrap();
    assert_eq!(items.len(), 29, "the fixture day has 29 papers");

    let raw: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture_dir().join(LATEST_DAY)).unwrap())
            .unwrap();
    let mut expected: Vec<&str> = raw
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["paper"]["id"].as_str().unwrap())
        .collect();
    let mut listed: Vec<&str> = items.iter().map(|i| i["id"].as_str().unwrap()).collect();
    expected.sort_unstable();
    listed.sort_unstable();
    assert_eq!(listed, expected);

    for item in items {
        assert!(item["upvotes"].is_i64(), "{item}");
        let id = item["id"].as_str().unwrap();
        assert_eq!(item["url"], format!("https://arxiv.org/abs/{id}"));
        assert!(item["title"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(item["authors"].as_array().is_some_and(|a| !a.is_empty()));
        assert!(item["published"].is_string());
    }
    let scores: Vec<f64> = items.iter().map(|i| i["score"].as_f64().unwrap()).collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "not best first: {scores:?}"
    );
}

#[test]
fn search_finds_papers_by_plain_words() {
    let (_dir, db) = loaded_store();
    let list = json(&paperboy(&db, &["search", "video", "generation", "--json"]));
    let items = list.as_array().unwrap();
    assert!(!items.is_empty());
    for item in items {
        let text = format!("{} {}", item["title"], item["ai_summary"]).to_lowercase();
        assert!(text.contains("video") || text.contains("generat"), "{item}");
    }
    let first_title = items[0]["title"].as_str().unwrap().to_lowercase();
    assert!(first_title.contains("video"), "{first_title}");
}

#[test]
fn search_by_author_and_phrase() {
    let (_dir, db) = loaded_store();
    let list = json(&paperboy(
        &db,
        &["search", "\"humanity's last exam\"", "--json"],
    ));
    assert_eq!(list[0]["id"], "2501.14249");
    let by_author = json(&paperboy(
        &db,
        &["search", "author:\"Søren Riis\"", "--json"],
    ));
    assert_eq!(by_author[0]["id"], "2501.14249");
}

/// Strings users type that are search-engine syntax, blank, huge or odd Unicode. Each must
/// give results, no results, or a clear user error (exit 2), never an engine error.
const HOSTILE_QUERIES: &[&str] = &[
    "self-attention",
    "\"unterminated phrase",
    "\"\"",
    "a\"b\"c",
    "title:diffusion",
    "NEAR(video model)",
    "video AND",
    "OR",
    "NOT video",
    "-",
    "--",
    "-video",
    "*",
    "video*",
    "**video**",
    "^video",
    "(video",
    "video)",
    "{title}: video",
    "col:",
    "author:",
    "cat:",
    "since:yesterday",
    "until:2025-13",
    "has:stars",
    "sort:random",
    "; DROP TABLE papers; --",
    "' OR 1=1 --",
    "%",
    "_",
    "\\",
    "@everyone",
    "<@&123456>",
    "e\u{301}\u{301}\u{301}",
    "\u{202e}gnidoc",
    "🚀🔥 model",
    "\u{7}bell",
    "\t\n",
    " ",
    "",
    "2401.12345",
    "arxiv.org/abs/2501.14249",
    "https://huggingface.co/papers/2501.14249",
];

#[test]
fn hostile_queries_never_break_search() {
    let (_dir, db) = loaded_store();
    let long = "model ".repeat(100);
    let mut queries: Vec<&str> = HOSTILE_QUERIES.to_vec();
    queries.push(&long);
    for query in queries {
        let output = paperboy(&db, &["search", "--json", "--", query]);
        let err = stderr(&output);
        match output.status.code() {
            Some(0) => {
                let value: Value = serde_json::from_slice(&output.stdout)
                    .unwrap_or_else(|e| panic!("{query:?}: stdout is not JSON: {e}"));
                assert!(value.is_array(), "{query:?}: {value}");
            }
            Some(2) => {
                assert!(err.starts_with("error: "), "{query:?}: {err}");
                assert_eq!(err.trim_end().lines().count(), 1, "{query:?}: {err}");
            }
            other => panic!("{query:?}: exit {other:?}: {err}"),
        }
        let lower = err.to_lowercase();
        for leak in ["panicked", "fts5", "syntax error", "sqlite", "sql"] {
            assert!(!lower.contains(leak), "{query:?} leaked `{leak}`: {err}");
        }
    }
}

#[test]
fn blank_and_long_queries_explain_themselves() {
    let (_dir, db) = loaded_store();
    let blank = paperboy(&db, &["search", "   "]);
    assert_eq!(blank.status.code(), Some(2));
    assert!(stderr(&blank).contains("Type something to search for"));
    let long = "x".repeat(301);
    let too_long = paperboy(&db, &["search", &long]);
    assert_eq!(too_long.status.code(), Some(2));
    assert!(stderr(&too_long).contains("limit is 300"));
}

#[test]
fn paper_by_id_or_url() {
    let (_dir, db) = loaded_store();
    for form in [
        "2501.14249",
        "arXiv:2501.14249v2",
        "https://arxiv.org/abs/2501.14249",
        "https://arxiv.org/pdf/2501.14249v1.pdf",
        "https://huggingface.co/papers/2501.14249",
    ] {
        let value = json(&paperboy(&db, &["paper", form, "--json"]));
        assert_eq!(value["id"], "2501.14249", "{form}");
        assert!(
            value["summary"].as_str().is_some_and(|s| !s.is_empty()),
            "{form}"
        );
    }
    let junk = paperboy(&db, &["paper", "not a paper"]);
    assert_eq!(junk.status.code(), Some(2));
    assert!(
        stderr(&junk).contains("not an arXiv ID"),
        "{}",
        stderr(&junk)
    );
    let missing = paperboy(&db, &["paper", "2401.99999"]);
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn summary_prefers_the_hugging_face_summary() {
    let (_dir, db) = loaded_store();
    let raw: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture_dir().join(LATEST_DAY)).unwrap())
            .unwrap();
    let first = &raw[0]["paper"];
    let id = first["id"].as_str().unwrap();
    let value = json(&paperboy(&db, &["summary", id, "--json"]));
    assert_eq!(value["summary"], first["ai_summary"]);

    let mut without = None;
    for item in raw.as_array().unwrap() {
        if item["paper"]["ai_summary"].is_null() {
            without = item["paper"]["id"].as_str();
        }
    }
    if let Some(id) = without {
        let value = json(&paperboy(&db, &["summary", id, "--json"]));
        assert!(value["summary"].as_str().is_some_and(|s| !s.is_empty()));
    }
}
