//! The lookup core against a local fake arXiv. A missing paper is fetched once and then served
//! from the store, and the client spaces two fetches 3 s apart. The daily category ingest
//! requests each followed category at most once a day.

mod lookup_support;

use std::time::Duration;

use chrono::Utc;
use lookup_support::fake_arxiv::{FakeArxiv, Reply, SEARCH_10};
use paperboy::core::lookup::{self, StoredLookup};
use paperboy::error::Error;
use paperboy::ingest::arxiv::{followed_categories, ingest_categories, CATEGORY_FETCH_INTERVAL};
use paperboy::sources::arxiv::{ArxivClient, DEFAULT_MIN_INTERVAL};
use paperboy::store::{DigestSettings, SharedStore, Store, WeekendPolicy};

fn open_store() -> (tempfile::TempDir, SharedStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("papers.db")).unwrap();
    (dir, SharedStore::new(store))
}

fn client(fake: &FakeArxiv) -> ArxivClient {
    ArxivClient::new(fake.base_url(), Duration::from_secs(5)).unwrap()
}

#[tokio::test]
async fn missing_paper_fetched_once() {
    let fake = FakeArxiv::with_papers().await;
    let (_dir, store) = open_store();
    let client = client(&fake).with_min_interval(Duration::from_millis(10));

    for input in [
        "1707.08567",
        "arXiv:1707.08567v1",
        "https://hf.co/papers/1707.08567",
    ] {
        let paper = lookup::find_or_fetch(&store, Some(&client), input)
            .await
            .unwrap_or_else(|error| panic!("`{input}`: {error}"));
        assert_eq!(paper.id.key(), "1707.08567", "id of `{input}`");
    }
    assert_eq!(fake.requested_keys(), vec!["1707.08567"]);

    let stored = store
        .run(|s| s.paper(&paperboy::ids::ArxivId::from_key("1707.08567").unwrap()))
        .await
        .unwrap();
    assert!(stored.is_some(), "the fetched paper is in the store");
}

#[tokio::test]
async fn stored_lookup_needs_no_request() {
    let fake = FakeArxiv::with_papers().await;
    let (_dir, store) = open_store();
    let client = client(&fake).with_min_interval(Duration::from_millis(10));

    let first = lookup::find_stored(&store, Some(&client), "2104.12255v1")
        .await
        .unwrap();
    let StoredLookup::Missing { id, client } = first else {
        panic!("an empty store has no paper");
    };
    assert_eq!(id.key(), "2104.12255");
    assert!(fake.requests().is_empty(), "find_stored sends no request");

    lookup::fetch_and_store(&store, client, &id).await.unwrap();
    let second = lookup::find_stored(&store, Some(client), "2104.12255")
        .await
        .unwrap();
    assert!(matches!(second, StoredLookup::Found(_)), "{second:?}");
    assert_eq!(fake.requests().len(), 1);
}

/// Two lookups started together reach the server at least 3 s apart, because the client waits
/// for its turn. The default spacing is the one that arXiv's terms of use request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_fetches_spaced_three_seconds() {
    assert_eq!(DEFAULT_MIN_INTERVAL, Duration::from_secs(3));
    let fake = FakeArxiv::with_papers().await;
    let (_dir, store) = open_store();
    let client = client(&fake);

    let (first, second) = tokio::join!(
        lookup::find_or_fetch(&store, Some(&client), "1707.08567"),
        lookup::find_or_fetch(&store, Some(&client), "astro-ph/0601001"),
    );
    first.unwrap();
    second.unwrap();

    let requests = fake.requests();
    assert_eq!(requests.len(), 2, "{:?}", fake.requested_keys());
    let gap = requests[1].received.duration_since(requests[0].received);
    assert!(
        gap >= Duration::from_secs(3),
        "requests were {gap:?} apart, less than 3 s"
    );
}

#[tokio::test]
async fn arxiv_error_feed_is_source_error() {
    let fake = FakeArxiv::start(vec![(
        "1707.08567",
        Reply::status(
            400,
            &lookup_support::fake_arxiv::fixture(lookup_support::fake_arxiv::ERROR_FEED),
        ),
    )])
    .await;
    let (_dir, store) = open_store();
    let client = client(&fake).with_min_interval(Duration::from_millis(10));

    let error = lookup::find_or_fetch(&store, Some(&client), "1707.08567")
        .await
        .unwrap_err();
    let Error::Source { user_text, .. } = &error else {
        panic!("expected a source error, got {error:?}");
    };
    assert_eq!(
        user_text,
        "Paperboy could not fetch 1707.08567 from arXiv: arXiv rejected the request: \
         incorrect id format for abc."
    );
}

fn digest(channel_id: u64, categories: &[&str]) -> DigestSettings {
    DigestSettings {
        guild_id: 1,
        channel_id,
        post_time: "09:00".to_string(),
        zone: "Europe/Paris".to_string(),
        weekdays: "mon,tue,wed,thu,fri,sat,sun".to_string(),
        paper_count: 10,
        min_upvotes: 0,
        keywords: Vec::new(),
        exclude_keywords: Vec::new(),
        categories: categories.iter().map(|c| c.to_string()).collect(),
        dedupe_days: 7,
        weekend_policy: WeekendPolicy::BestOfWeek,
        announce_empty: false,
    }
}

#[tokio::test]
async fn followed_categories_of_active_digests() {
    let (_dir, store) = open_store();
    store
        .run(|s| {
            s.upsert_digest(&digest(10, &["cs.CL", "cs.AI"]), None, Utc::now())?;
            s.upsert_digest(&digest(11, &["cs.AI", "stat.ML"]), None, Utc::now())?;
            s.upsert_digest(&digest(12, &[]), None, Utc::now())?;
            let failing = s.upsert_digest(&digest(13, &["hep-th"]), None, Utc::now())?;
            s.mark_digest_failing(failing.id, "missing access")
        })
        .await
        .unwrap();
    assert_eq!(
        followed_categories(&store).await.unwrap(),
        vec!["cs.AI", "cs.CL", "stat.ML"]
    );
}

#[tokio::test]
async fn category_requested_once_a_day() {
    let fake = FakeArxiv::start(vec![("cat:cs.AI", Reply::fixture(SEARCH_10))]).await;
    let (_dir, store) = open_store();
    let client = client(&fake).with_min_interval(Duration::from_millis(10));
    let categories = vec!["cs.AI".to_string(), "cs.CL".to_string()];
    let start = Utc::now();

    let reports = ingest_categories(&store, &client, &categories, 50, start).await;
    assert_eq!(reports.len(), 2);
    assert_eq!(reports[0].name, "cs.AI");
    assert_eq!(reports[0].papers, 10, "{:?}", reports[0]);
    assert_eq!(reports[0].error, None);
    assert_eq!(reports[1].papers, 0, "cs.CL has an empty feed");
    assert_eq!(store.run(|s| s.paper_count()).await.unwrap(), 10);

    let request = &fake.requests()[0];
    assert_eq!(request.params["search_query"], "cat:cs.AI");
    assert_eq!(request.params["sortBy"], "submittedDate");
    assert_eq!(request.params["sortOrder"], "descending");
    assert_eq!(request.params["max_results"], "50");

    let later_today = start + chrono::Duration::hours(23);
    let again = ingest_categories(&store, &client, &categories, 50, later_today).await;
    assert!(again.is_empty(), "requested again within a day: {again:?}");
    assert_eq!(fake.requests().len(), 2);

    let next_day = start + CATEGORY_FETCH_INTERVAL;
    let next = ingest_categories(&store, &client, &categories, 50, next_day).await;
    assert_eq!(next.len(), 2);
    assert_eq!(fake.requests().len(), 4);
}

#[tokio::test]
async fn failed_category_request_counts_for_the_day() {
    let fake = FakeArxiv::start(vec![("cat:cs.AI", Reply::status(503, ""))]).await;
    let (_dir, store) = open_store();
    let client = client(&fake).with_min_interval(Duration::from_millis(10));
    let categories = vec!["cs.AI".to_string()];
    let start = Utc::now();

    let reports = ingest_categories(&store, &client, &categories, 50, start).await;
    assert_eq!(
        reports[0].error.as_deref(),
        Some("arXiv returned HTTP 503; try again later")
    );
    let retry = ingest_categories(
        &store,
        &client,
        &categories,
        50,
        start + chrono::Duration::hours(1),
    )
    .await;
    assert!(retry.is_empty(), "{retry:?}");
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn invalid_category_sends_nothing() {
    let fake = FakeArxiv::start(Vec::new()).await;
    let (_dir, store) = open_store();
    let client = client(&fake).with_min_interval(Duration::from_millis(10));
    let reports = ingest_categories(
        &store,
        &client,
        &["cs.AI OR cat:math".to_string()],
        50,
        Utc::now(),
    )
    .await;
    assert!(reports[0].error.is_some(), "{reports:?}");
    assert!(fake.requests().is_empty());
}
