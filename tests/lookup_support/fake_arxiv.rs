//! A fake arXiv API (`GET /api/query`) on 127.0.0.1 that answers each `id_list` or
//! `search_query` value with a recorded response, and the recorded empty feed otherwise, as
//! arXiv does for unknown IDs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

pub const FIXTURE_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/arxiv/");

pub const PAPER_1707: &str = "query_idlist_1707.08567_2026-04.xml";
pub const OLD_STYLE: &str = "query_idlist_old-style_astro-ph-0601001_affiliations_2026-05.xml";
pub const VERSIONED: &str = "query_idlist_versioned_2104.12255v1_2026-04.xml";
pub const LEGACY_SINGLE: &str = "legacy-2016_query_idlist_1111.2011v2_doi.xml";
pub const EMPTY_FEED: &str = "query_idlist_not-found_empty-feed_2026-04.xml";
pub const ERROR_FEED: &str = "query_idlist_malformed-id_HTTP400_error-feed_2026-04.xml";
pub const SEARCH_10: &str = "query_search_all-testing_start0_max10_2026-04.xml";

pub fn fixture(name: &str) -> String {
    let path = format!("{FIXTURE_DIR}{name}");
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("cannot read {path}: {error}"))
}

/// What the fake sends for one query value.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub body: String,
}

impl Reply {
    pub fn fixture(name: &str) -> Self {
        Reply {
            status: StatusCode::OK,
            body: fixture(name),
        }
    }

    pub fn status(status: u16, body: &str) -> Self {
        Reply {
            status: StatusCode::from_u16(status).expect("valid status"),
            body: body.to_string(),
        }
    }
}

/// One request as the fake received it.
#[derive(Clone, Debug)]
pub struct ArxivRequest {
    pub received: Instant,
    pub params: HashMap<String, String>,
}

impl ArxivRequest {
    /// Returns the `id_list` or `search_query` value.
    pub fn key(&self) -> &str {
        self.params
            .get("id_list")
            .or_else(|| self.params.get("search_query"))
            .map_or("", String::as_str)
    }
}

#[derive(Clone)]
struct FakeState {
    replies: Arc<HashMap<String, Reply>>,
    requests: Arc<Mutex<Vec<ArxivRequest>>>,
}

pub struct FakeArxiv {
    base_url: String,
    requests: Arc<Mutex<Vec<ArxivRequest>>>,
}

impl FakeArxiv {
    /// Starts a fake that answers each listed key (an `id_list` or `search_query` value).
    pub async fn start(routes: Vec<(&str, Reply)>) -> FakeArxiv {
        let state = FakeState {
            replies: Arc::new(
                routes
                    .into_iter()
                    .map(|(key, reply)| (key.to_string(), reply))
                    .collect(),
            ),
            requests: Arc::new(Mutex::new(Vec::new())),
        };
        let requests = Arc::clone(&state.requests);
        let app = Router::new()
            .route("/api/query", get(answer))
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
            requests,
        }
    }

    /// Starts a fake that serves the four single-paper recordings by their canonical keys.
    pub async fn with_papers() -> FakeArxiv {
        FakeArxiv::start(vec![
            ("1707.08567", Reply::fixture(PAPER_1707)),
            ("astro-ph/0601001", Reply::fixture(OLD_STYLE)),
            ("2104.12255", Reply::fixture(VERSIONED)),
            ("1111.2011", Reply::fixture(LEGACY_SINGLE)),
            ("abc", Reply::status(400, &fixture(ERROR_FEED))),
        ])
        .await
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn requests(&self) -> Vec<ArxivRequest> {
        self.requests.lock().expect("request log").clone()
    }

    /// Returns the `id_list` or `search_query` values requested, in order.
    pub fn requested_keys(&self) -> Vec<String> {
        self.requests()
            .iter()
            .map(|r| r.key().to_string())
            .collect()
    }

    /// Waits until at least `count` requests arrived; returns false on timeout.
    pub async fn wait_for_requests(&self, count: usize, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if self.requests().len() >= count {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.requests().len() >= count
    }
}

async fn answer(
    State(state): State<FakeState>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let request = ArxivRequest {
        received: Instant::now(),
        params,
    };
    let reply = state
        .replies
        .get(request.key())
        .cloned()
        .unwrap_or_else(|| Reply::fixture(EMPTY_FEED));
    state.requests.lock().expect("request log").push(request);
    let content_type = [(header::CONTENT_TYPE, "application/atom+xml; charset=UTF-8")];
    (reply.status, content_type, reply.body).into_response()
}
