//! arXiv source: recorded API responses parsed directly and served by a local fake of
//! `/api/query` on 127.0.0.1, through the real `ArxivClient`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::{TimeZone, Utc};
use paperboy::ids::ArxivId;
use paperboy::paper::Paper;
use paperboy::sources::arxiv::{parse_feed, ArxivClient, ArxivError, FeedError};

const FIXTURE_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/arxiv/");

const PAPER_1707: &str = "query_idlist_1707.08567_2026-04.xml";
const OLD_STYLE: &str = "query_idlist_old-style_astro-ph-0601001_affiliations_2026-05.xml";
const VERSIONED: &str = "query_idlist_versioned_2104.12255v1_2026-04.xml";
const TWO_IDS_ONE_MISSING: &str = "query_idlist_two-ids-one-missing_2026-04.xml";
const EMPTY_FEED: &str = "query_idlist_not-found_empty-feed_2026-04.xml";
const ERROR_FEED: &str = "query_idlist_malformed-id_HTTP400_error-feed_2026-04.xml";
const SEARCH_10: &str = "query_search_all-testing_start0_max10_2026-04.xml";
const SEARCH_100: &str = "query_search_all-testing_start0_max100_2026-04.xml";
const LEGACY_SINGLE: &str = "legacy-2016_query_idlist_1111.2011v2_doi.xml";
const LEGACY_MULTI: &str = "legacy-2016_query_search_au-del_maestro_multi.xml";

/// Spacing that tests use when they do not check the politeness rule itself.
const SHORT_INTERVAL: Duration = Duration::from_millis(20);

fn fixture(name: &str) -> String {
    let path = format!("{FIXTURE_DIR}{name}");
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("cannot read {path}: {error}"))
}

fn parse_fixture(name: &str) -> Vec<Paper> {
    match parse_feed(&fixture(name)) {
        Ok(feed) => feed.papers,
        Err(error) => panic!("{name} should parse: {error}"),
    }
}

fn id(key: &str) -> ArxivId {
    ArxivId::from_key(key).unwrap_or_else(|error| panic!("{error}"))
}

fn find<'a>(papers: &'a [Paper], key: &str) -> &'a Paper {
    papers
        .iter()
        .find(|paper| paper.id.key() == key)
        .unwrap_or_else(|| panic!("no paper {key} among {} papers", papers.len()))
}

// ---------------------------------------------------------------------------------------------
// Fake arXiv API

/// What the fake server sends for one `id_list` or `search_query` value.
#[derive(Clone)]
struct Reply {
    status: StatusCode,
    body: String,
    delay: Duration,
}

impl Reply {
    fn fixture(status: StatusCode, name: &str) -> Self {
        Reply::text(status, &fixture(name))
    }

    fn text(status: StatusCode, body: &str) -> Self {
        Reply {
            status,
            body: body.to_string(),
            delay: Duration::ZERO,
        }
    }

    fn delayed(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

/// One request as the fake server saw it.
#[derive(Clone, Debug)]
struct Recorded {
    received: Instant,
    answered: Instant,
    params: HashMap<String, String>,
}

#[derive(Clone)]
struct FakeState {
    replies: Arc<HashMap<String, Reply>>,
    log: Arc<Mutex<Vec<Recorded>>>,
}

struct FakeArxiv {
    base_url: String,
    log: Arc<Mutex<Vec<Recorded>>>,
}

impl FakeArxiv {
    /// Starts a server that sends the listed reply for each `id_list` (or `search_query`) value
    /// and the recorded empty feed for any other query, as arXiv does for unknown IDs.
    async fn start(routes: Vec<(&str, Reply)>) -> FakeArxiv {
        let replies = routes
            .into_iter()
            .map(|(key, reply)| (key.to_string(), reply))
            .collect();
        let state = FakeState {
            replies: Arc::new(replies),
            log: Arc::new(Mutex::new(Vec::new())),
        };
        let log = Arc::clone(&state.log);
        let app = Router::new()
            .route("/api/query", get(answer_query))
            .with_state(state);

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let address = listener.local_addr().expect("local address");
        tokio::spawn(async move {
            axum::serve(listener, app).await.expect("fake arXiv server");
        });
        FakeArxiv {
            base_url: format!("http://{address}"),
            log,
        }
    }

    fn client(&self) -> ArxivClient {
        ArxivClient::new(&self.base_url, Duration::from_secs(5))
            .expect("client for the fake server")
            .with_min_interval(SHORT_INTERVAL)
    }

    fn requests(&self) -> Vec<Recorded> {
        self.log.lock().expect("request log").clone()
    }
}

async fn answer_query(
    State(state): State<FakeState>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let received = Instant::now();
    let key = params
        .get("id_list")
        .or_else(|| params.get("search_query"))
        .cloned()
        .unwrap_or_default();
    let reply = state
        .replies
        .get(&key)
        .cloned()
        .unwrap_or_else(|| Reply::fixture(StatusCode::OK, EMPTY_FEED));

    tokio::time::sleep(reply.delay).await;
    let answered = Instant::now();
    state.log.lock().expect("request log").push(Recorded {
        received,
        answered,
        params,
    });

    let content_type = [(header::CONTENT_TYPE, "application/atom+xml; charset=UTF-8")];
    (reply.status, content_type, reply.body).into_response()
}

// ---------------------------------------------------------------------------------------------
// Parsing the recorded responses

#[test]
fn every_fixture_parses() {
    for (name, entries, total_results) in [
        (PAPER_1707, 1, Some(1)),
        (OLD_STYLE, 1, Some(1)),
        (VERSIONED, 1, Some(1)),
        (TWO_IDS_ONE_MISSING, 1, Some(1)),
        (EMPTY_FEED, 0, Some(0)),
        (SEARCH_10, 10, Some(214_881)),
        (SEARCH_100, 100, Some(214_881)),
        (LEGACY_SINGLE, 1, Some(1)),
        (LEGACY_MULTI, 10, Some(31)),
    ] {
        let feed = parse_feed(&fixture(name)).unwrap_or_else(|error| panic!("{name}: {error}"));
        assert_eq!(feed.papers.len(), entries, "entries in {name}");
        assert_eq!(feed.total_results, total_results, "totalResults in {name}");
        for paper in &feed.papers {
            assert!(!paper.title.is_empty(), "{name}: {} has a title", paper.id);
            assert!(
                !paper.abstract_text.is_empty(),
                "{name}: {} has an abstract",
                paper.id
            );
            assert!(
                !paper.authors.is_empty(),
                "{name}: {} has authors",
                paper.id
            );
            assert!(
                !paper.categories.is_empty(),
                "{name}: {} has categories",
                paper.id
            );
            assert!(paper.published.is_some(), "{name}: {} has a date", paper.id);
            assert!(
                !paper.title.contains('\n'),
                "{name}: {} title is unwrapped",
                paper.id
            );
            assert!(
                !paper.abstract_text.contains('\n'),
                "{name}: {} abstract is unwrapped",
                paper.id
            );
            assert!(
                paper.upvotes.is_none(),
                "{name}: {} has no upvotes",
                paper.id
            );
            assert!(
                paper.ai_summary.is_none(),
                "{name}: {} has no AI summary",
                paper.id
            );
            assert!(
                paper.daily_date.is_none(),
                "{name}: {} has no daily date",
                paper.id
            );
        }
    }
}

#[test]
fn error_fixture_is_api_error() {
    match parse_feed(&fixture(ERROR_FEED)) {
        Err(FeedError::Api(message)) => assert_eq!(message, "incorrect id format for abc"),
        other => panic!("expected FeedError::Api, got {other:?}"),
    }
}

#[test]
fn fixture_1707_fields() {
    let papers = parse_fixture(PAPER_1707);
    let paper = &papers[0];
    assert_eq!(paper.id.key(), "1707.08567");
    assert_eq!(
        paper.title,
        "Proceedings of Workshop AEW10: Concepts in Information Theory and Communications"
    );
    assert!(paper
        .abstract_text
        .starts_with("The 10th Asia-Europe workshop in \"Concepts"));
    assert_eq!(paper.authors.len(), 34);
    assert_eq!(paper.authors[0], "Kees A. Schouhamer Immink");
    assert!(
        paper.authors.iter().any(|name| name == "Dirk Wübben"),
        "UTF-8 author name"
    );
    assert_eq!(paper.categories, vec!["cs.IT"]);
    assert_eq!(
        paper.published,
        Utc.with_ymd_and_hms(2017, 7, 27, 8, 18, 33).single()
    );
}

#[test]
fn fixture_old_style_fields() {
    let papers = parse_fixture(OLD_STYLE);
    let paper = &papers[0];
    assert_eq!(paper.id.key(), "astro-ph/0601001");
    assert!(!paper.id.is_new_style());
    assert_eq!(paper.authors.len(), 4, "affiliations are not authors");
    assert!(
        paper.abstract_text.starts_with("We derive the frequencies"),
        "leading spaces trimmed"
    );
    assert!(
        paper.abstract_text.contains("Gould & Morgan (2003)"),
        "&amp; decoded"
    );
    assert!(paper.abstract_text.contains("V_max<17.5"), "&lt; decoded");
    assert_eq!(paper.categories, vec!["astro-ph"]);
}

#[test]
fn fixture_versioned_drops_version() {
    let papers = parse_fixture(VERSIONED);
    assert_eq!(papers[0].id.key(), "2104.12255");
    assert_eq!(papers[0].title, "0");
}

#[test]
fn legacy_fixture_unwraps_text() {
    let papers = parse_fixture(LEGACY_SINGLE);
    let paper = &papers[0];
    assert_eq!(paper.id.key(), "1111.2011");
    assert_eq!(
        paper.title,
        "Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large Connectivity Limit"
    );
    assert!(paper.abstract_text.starts_with(
        "Theoretical description of anisotropic systems, such as layered superconductors"
    ));
    assert!(paper.abstract_text.ends_with("describing a single node."));
    assert_eq!(
        paper.authors,
        vec!["James M. Murray", "Adrian Del Maestro", "Zlatko Tesanovic"]
    );
    assert_eq!(
        paper.categories,
        vec!["cond-mat.str-el", "cond-mat.stat-mech"]
    );
    assert_eq!(
        paper.published,
        Utc.with_ymd_and_hms(2011, 11, 8, 18, 48, 36).single()
    );
}

#[test]
fn legacy_multi_has_old_style_ids() {
    let papers = parse_fixture(LEGACY_MULTI);
    let keys: Vec<&str> = papers.iter().map(|paper| paper.id.key()).collect();
    for key in [
        "1201.4869",
        "cond-mat/0412498",
        "cond-mat/0702661",
        "0807.2873",
    ] {
        assert!(keys.contains(&key), "{key} in {keys:?}");
    }
    assert!(papers.iter().all(|paper| paper
        .authors
        .iter()
        .any(|name| name.contains("Del Maestro"))));
}

#[test]
fn search_fixture_spot_checks() {
    let papers = parse_fixture(SEARCH_100);
    assert!(
        papers
            .iter()
            .any(|paper| paper.title.starts_with("$ω$Test: WebView-Oriented Testing")),
        "LaTeX and Greek title kept as written"
    );
    assert!(papers
        .iter()
        .any(|paper| paper.authors.iter().any(|name| name == "Oliver Weißl")));
    assert_eq!(find(&papers, "cs/0503050").id.key(), "cs/0503050");
    assert_eq!(find(&papers, "hep-ph/0301050").id.key(), "hep-ph/0301050");
}

// ---------------------------------------------------------------------------------------------
// The client against the fake server

#[tokio::test]
async fn fetch_single_paper() {
    let server = FakeArxiv::start(vec![(
        "1707.08567",
        Reply::fixture(StatusCode::OK, PAPER_1707),
    )])
    .await;

    let papers = server
        .client()
        .fetch(&[id("1707.08567")])
        .await
        .expect("fetch");

    assert_eq!(papers.len(), 1);
    assert_eq!(papers[0].id.key(), "1707.08567");
    assert!(papers[0].authors.iter().any(|name| name == "Dirk Wübben"));
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].params.get("id_list").map(String::as_str),
        Some("1707.08567")
    );
    assert_eq!(
        requests[0].params.get("max_results").map(String::as_str),
        Some("1")
    );
}

#[tokio::test]
async fn fetch_old_style_paper() {
    let server = FakeArxiv::start(vec![(
        "astro-ph/0601001",
        Reply::fixture(StatusCode::OK, OLD_STYLE),
    )])
    .await;

    let papers = server
        .client()
        .fetch(&[id("astro-ph/0601001")])
        .await
        .expect("fetch");

    assert_eq!(papers.len(), 1);
    assert_eq!(papers[0].id.key(), "astro-ph/0601001");
}

#[tokio::test]
async fn fetch_unknown_id_is_empty() {
    let server = FakeArxiv::start(Vec::new()).await;

    let papers = server
        .client()
        .fetch(&[id("2401.99999")])
        .await
        .expect("fetch");

    assert!(papers.is_empty());
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn fetch_two_ids_one_missing() {
    // The fixture was recorded for `0808.05394,1707.08567`. `0808.05394` is not a valid ID (2008
    // numbers have four digits), so the request here names a well-formed ID that has no paper.
    let server = FakeArxiv::start(vec![(
        "0808.0539,1707.08567",
        Reply::fixture(StatusCode::OK, TWO_IDS_ONE_MISSING),
    )])
    .await;

    let papers = server
        .client()
        .fetch(&[id("0808.0539"), id("1707.08567")])
        .await
        .expect("fetch");

    let keys: Vec<&str> = papers.iter().map(|paper| paper.id.key()).collect();
    assert_eq!(keys, vec!["1707.08567"]);
    assert_eq!(
        server.requests()[0]
            .params
            .get("max_results")
            .map(String::as_str),
        Some("2")
    );
}

#[tokio::test]
async fn fetch_keeps_requested_order() {
    let server = FakeArxiv::start(vec![(
        "0807.2873,cond-mat/0412498,1201.4869",
        Reply::fixture(StatusCode::OK, LEGACY_MULTI),
    )])
    .await;

    let requested = [id("0807.2873"), id("cond-mat/0412498"), id("1201.4869")];
    let papers = server.client().fetch(&requested).await.expect("fetch");

    let keys: Vec<&str> = papers.iter().take(3).map(|paper| paper.id.key()).collect();
    assert_eq!(keys, vec!["0807.2873", "cond-mat/0412498", "1201.4869"]);
}

#[tokio::test]
async fn fetch_requests_repeated_id_once() {
    let server = FakeArxiv::start(vec![(
        "1707.08567",
        Reply::fixture(StatusCode::OK, PAPER_1707),
    )])
    .await;

    let papers = server
        .client()
        .fetch(&[id("1707.08567"), id("1707.08567")])
        .await
        .expect("fetch");

    assert_eq!(papers.len(), 1);
    assert_eq!(
        server.requests()[0]
            .params
            .get("id_list")
            .map(String::as_str),
        Some("1707.08567")
    );
}

#[tokio::test]
async fn fetch_nothing_sends_no_request() {
    let server = FakeArxiv::start(Vec::new()).await;

    let papers = server.client().fetch(&[]).await.expect("fetch");

    assert!(papers.is_empty());
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn error_feed_with_http_400() {
    let server = FakeArxiv::start(vec![(
        "0704.0001",
        Reply::fixture(StatusCode::BAD_REQUEST, ERROR_FEED),
    )])
    .await;

    let error = server.client().fetch(&[id("0704.0001")]).await.unwrap_err();

    match &error {
        ArxivError::Api { message } => assert_eq!(message, "incorrect id format for abc"),
        other => panic!("expected ArxivError::Api, got {other:?}"),
    }
    assert_eq!(
        error.to_string(),
        "arXiv rejected the request: incorrect id format for abc"
    );
}

#[tokio::test]
async fn empty_body_is_clear_error() {
    let server = FakeArxiv::start(vec![("0704.0001", Reply::text(StatusCode::OK, ""))]).await;

    let error = server.client().fetch(&[id("0704.0001")]).await.unwrap_err();

    assert!(matches!(error, ArxivError::EmptyResponse), "got {error:?}");
    assert_eq!(
        error.to_string(),
        "arXiv returned an empty response; try again in a few seconds"
    );
}

#[tokio::test]
async fn html_body_is_invalid_response() {
    let page = "<html><body>Service temporarily unavailable</body></html>";
    let server = FakeArxiv::start(vec![("0704.0001", Reply::text(StatusCode::OK, page))]).await;

    let error = server.client().fetch(&[id("0704.0001")]).await.unwrap_err();

    assert!(
        matches!(
            error,
            ArxivError::InvalidResponse(FeedError::NotAtomFeed(_))
        ),
        "got {error:?}"
    );
    assert_eq!(
        error.to_string(),
        "arXiv returned a response that is not a valid Atom feed"
    );
}

#[tokio::test]
async fn plain_text_body_is_invalid_response() {
    let server = FakeArxiv::start(vec![(
        "0704.0001",
        Reply::text(StatusCode::OK, "Rate exceeded."),
    )])
    .await;

    let error = server.client().fetch(&[id("0704.0001")]).await.unwrap_err();

    assert!(
        matches!(error, ArxivError::InvalidResponse(_)),
        "got {error:?}"
    );
}

#[tokio::test]
async fn server_error_status() {
    let server = FakeArxiv::start(vec![(
        "0704.0001",
        Reply::text(StatusCode::SERVICE_UNAVAILABLE, "busy"),
    )])
    .await;

    let error = server.client().fetch(&[id("0704.0001")]).await.unwrap_err();

    assert!(
        matches!(error, ArxivError::Status { status: 503 }),
        "got {error:?}"
    );
    assert_eq!(
        error.to_string(),
        "arXiv returned HTTP 503; try again later"
    );
}

#[tokio::test]
async fn slow_server_times_out() {
    let slow = Reply::fixture(StatusCode::OK, PAPER_1707).delayed(Duration::from_secs(3));
    let server = FakeArxiv::start(vec![("1707.08567", slow)]).await;
    let client = ArxivClient::new(&server.base_url, Duration::from_millis(300))
        .expect("client")
        .with_min_interval(SHORT_INTERVAL);

    let error = client.fetch(&[id("1707.08567")]).await.unwrap_err();

    assert!(matches!(error, ArxivError::Timeout { .. }), "got {error:?}");
    assert_eq!(
        error.to_string(),
        "arXiv did not answer within 0.3 s; try again later"
    );
}

#[tokio::test]
async fn closed_port_is_unreachable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("local address");
    drop(listener);
    let client = ArxivClient::new(&format!("http://{address}"), Duration::from_secs(5))
        .expect("client")
        .with_min_interval(SHORT_INTERVAL);

    let error = client.fetch(&[id("1707.08567")]).await.unwrap_err();

    assert!(matches!(error, ArxivError::Unreachable(_)), "got {error:?}");
    assert!(
        !error.to_string().contains("127.0.0.1"),
        "message hides the address: {error}"
    );
}

#[test]
fn invalid_base_url_rejected() {
    let error = ArxivClient::new("127.0.0.1:8080", Duration::from_secs(5)).unwrap_err();
    assert!(
        matches!(error, ArxivError::InvalidBaseUrl { .. }),
        "got {error:?}"
    );
}

#[tokio::test]
async fn category_listing_query() {
    let server = FakeArxiv::start(vec![(
        "cat:cs.IT",
        Reply::fixture(StatusCode::OK, SEARCH_10),
    )])
    .await;

    let papers = server
        .client()
        .fetch_category_listing("cs.IT", 10)
        .await
        .expect("category listing");

    assert_eq!(papers.len(), 10);
    let requests = server.requests();
    let params = &requests[0].params;
    assert_eq!(
        params.get("search_query").map(String::as_str),
        Some("cat:cs.IT")
    );
    assert_eq!(
        params.get("sortBy").map(String::as_str),
        Some("submittedDate")
    );
    assert_eq!(
        params.get("sortOrder").map(String::as_str),
        Some("descending")
    );
    assert_eq!(params.get("max_results").map(String::as_str), Some("10"));
    assert!(!params.contains_key("id_list"));
}

#[tokio::test]
async fn category_listing_caps_max_results() {
    let server = FakeArxiv::start(Vec::new()).await;

    server
        .client()
        .fetch_category_listing("hep-th", 50_000)
        .await
        .expect("category listing");

    let requests = server.requests();
    assert_eq!(
        requests[0].params.get("max_results").map(String::as_str),
        Some("2000")
    );
}

#[tokio::test]
async fn category_listing_rejects_query_syntax() {
    let server = FakeArxiv::start(Vec::new()).await;

    let error = server
        .client()
        .fetch_category_listing("cs.AI OR all:x", 10)
        .await
        .unwrap_err();

    assert!(
        matches!(error, ArxivError::InvalidCategory { .. }),
        "got {error:?}"
    );
    assert!(server.requests().is_empty());
}

// ---------------------------------------------------------------------------------------------
// Politeness: one request every 3 s and one connection at a time, across all clients

#[tokio::test]
async fn requests_spaced_three_seconds() {
    let server = FakeArxiv::start(vec![(
        "1707.08567",
        Reply::fixture(StatusCode::OK, PAPER_1707),
    )])
    .await;
    // Two separate clients with the default interval: the rule is process-wide.
    let first = ArxivClient::new(&server.base_url, Duration::from_secs(10)).expect("client");
    let second = ArxivClient::new(&server.base_url, Duration::from_secs(10)).expect("client");

    first.fetch(&[id("1707.08567")]).await.expect("first fetch");
    second
        .fetch(&[id("1707.08567")])
        .await
        .expect("second fetch");

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let gap = requests[1].received.duration_since(requests[0].received);
    assert!(
        gap >= Duration::from_millis(2900),
        "requests only {gap:?} apart"
    );
}

#[tokio::test]
async fn concurrent_fetches_do_not_overlap() {
    let slow = Reply::fixture(StatusCode::OK, PAPER_1707).delayed(Duration::from_millis(300));
    let server = FakeArxiv::start(vec![("1707.08567", slow)]).await;
    let first = server.client();
    let second = server.client();

    let ids = [id("1707.08567")];
    let (first_result, second_result) = tokio::join!(first.fetch(&ids), second.fetch(&ids));
    first_result.expect("first fetch");
    second_result.expect("second fetch");

    let mut requests = server.requests();
    requests.sort_by_key(|request| request.received);
    assert_eq!(requests.len(), 2);
    assert!(
        requests[1].received >= requests[0].answered,
        "the second request arrived while the first was still being answered"
    );
}
