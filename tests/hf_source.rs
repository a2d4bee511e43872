//! The Hugging Face client against a local server on 127.0.0.1 that serves the recorded Daily
//! Papers responses in `tests/fixtures/hf` and the failures a real server can produce.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::NaiveDate;
use paperboy::sources::hf::{HfClient, HfError, ParseError, SkipReason};
use serde_json::{json, Value};

const FIFTY_ITEMS: &str = "daily_papers_2025-09-30_50items-limit-cap_submitterOrganization.json";
const SINGLE_ITEM: &str = "daily_papers_2025-07-07_single-item.json";

/// Dates that select the server's behaviour.
mod day {
    pub const FIFTY: &str = "2025-09-30";
    pub const SINGLE: &str = "2025-07-07";
    pub const WEEKEND: &str = "2025-06-07";
    pub const FUTURE: &str = "2031-01-06";
    pub const SERVER_ERROR: &str = "2025-01-01";
    pub const RATE_LIMITED: &str = "2025-01-02";
    pub const SLOW: &str = "2025-01-03";
    pub const TRUNCATED: &str = "2025-01-06";
    pub const HTML_OK: &str = "2025-01-07";
    pub const HTML_BAD_GATEWAY: &str = "2025-01-08";
    pub const STRING_ITEMS: &str = "2025-01-09";
    pub const LINK_PAGES: &str = "2025-01-10";
    pub const ENDLESS: &str = "2025-01-13";
    pub const IGNORES_PAGE: &str = "2025-01-14";
    pub const ERROR_OBJECT: &str = "2025-01-15";
    pub const DUPLICATES: &str = "2025-01-16";
}

const FUTURE_DATE_MESSAGE: &str = "Date cannot be in the future";

/// One request as the server saw it.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    date: String,
    limit: Option<usize>,
    page: Option<usize>,
}

struct Server {
    fifty: Vec<Value>,
    fifty_text: String,
    single_text: String,
    seen: Mutex<Vec<Seen>>,
}

fn read_fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/hf")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// Starts the fake Hugging Face server and returns its base URL. The listener is bound before
/// this returns, so requests can be sent at once.
async fn start_server() -> (String, Arc<Server>) {
    let fifty_text = read_fixture(FIFTY_ITEMS);
    let server = Arc::new(Server {
        fifty: serde_json::from_str(&fifty_text).expect("fixture is a JSON array"),
        fifty_text,
        single_text: read_fixture(SINGLE_ITEM),
        seen: Mutex::new(Vec::new()),
    });
    let app = Router::new()
        .route("/api/daily_papers", get(daily_papers))
        .with_state(server.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let address = listener.local_addr().expect("listener has an address");
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("fake server runs");
    });
    (format!("http://{address}"), server)
}

async fn daily_papers(
    State(server): State<Arc<Server>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let seen = Seen {
        date: query.get("date").cloned().unwrap_or_default(),
        limit: query.get("limit").and_then(|v| v.parse().ok()),
        page: query.get("p").and_then(|v| v.parse().ok()),
    };
    server.seen.lock().unwrap().push(seen.clone());
    let limit = seen.limit.unwrap_or(50);
    let page = seen.page.unwrap_or(0);

    match seen.date.as_str() {
        day::FIFTY => json_response(page_of(&server.fifty, limit, page)),
        day::SINGLE => (StatusCode::OK, server.single_text.clone()).into_response(),
        day::WEEKEND => json_response(json!([])),
        day::FUTURE => (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({ "error": FUTURE_DATE_MESSAGE })),
        )
            .into_response(),
        day::SERVER_ERROR => {
            (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response()
        }
        day::RATE_LIMITED => (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "7")],
            "Too Many Requests",
        )
            .into_response(),
        day::SLOW => {
            tokio::time::sleep(Duration::from_secs(10)).await;
            json_response(json!([]))
        }
        day::TRUNCATED => {
            let cut = &server.fifty_text[..server.fifty_text.len() / 3];
            (StatusCode::OK, cut.to_string()).into_response()
        }
        day::HTML_OK => html(StatusCode::OK),
        day::HTML_BAD_GATEWAY => html(StatusCode::BAD_GATEWAY),
        day::STRING_ITEMS => {
            let first = server.fifty[0].clone();
            json_response(json!(["2509.22518", "2509.26507", first]))
        }
        day::LINK_PAGES => link_page(&server.fifty, page),
        day::ENDLESS => json_response(synthetic_page(limit, page)),
        day::IGNORES_PAGE => json_response(page_of(&server.fifty, limit, 0)),
        day::ERROR_OBJECT => json_response(json!({ "error": "Invalid date" })),
        day::DUPLICATES => json_response(duplicate_page(&server.fifty, page)),
        _ => (StatusCode::NOT_FOUND, "no scenario for this date").into_response(),
    }
}

fn json_response(body: Value) -> Response {
    axum::Json(body).into_response()
}

fn html(status: StatusCode) -> Response {
    let page = "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n<body><h1>Bad Gateway</h1></body></html>";
    (status, [(header::CONTENT_TYPE, "text/html")], page).into_response()
}

/// Returns items `[page * limit, (page + 1) * limit)` as the real API pages with `limit` and `p`.
fn page_of(items: &[Value], limit: usize, page: usize) -> Value {
    let start = (page * limit).min(items.len());
    let end = (start + limit).min(items.len());
    Value::Array(items[start..end].to_vec())
}

/// Serves pages of 10 whatever the `limit`, announcing each further page only through `Link`,
/// so a client that relied on full pages alone would stop after the first.
fn link_page(items: &[Value], page: usize) -> Response {
    let body = axum::Json(page_of(items, 10, page));
    if (page + 1) * 10 < items.len() {
        let link = format!("</api/daily_papers?p={}&limit=10>; rel=\"next\"", page + 1);
        ([(header::LINK, link)], body).into_response()
    } else {
        body.into_response()
    }
}

/// Builds a full page of distinct papers for every `p`, as a server in a paging loop would.
fn synthetic_page(limit: usize, page: usize) -> Value {
    let items = (0..limit)
        .map(|offset| {
            let id = format!("2501.{:05}", page * limit + offset + 1);
            json!({ "paper": { "id": id, "title": "Loop", "upvotes": 1 } })
        })
        .collect();
    Value::Array(items)
}

/// Builds page 0 from the first two fixture items, and page 1 from the second with more upvotes.
fn duplicate_page(items: &[Value], page: usize) -> Value {
    match page {
        0 => json!([items[0].clone(), items[1].clone()]),
        1 => {
            let mut repeated = items[1].clone();
            repeated["paper"]["upvotes"] = json!(10_000);
            json!([repeated])
        }
        _ => json!([]),
    }
}

fn client(base: &str, page_size: u32) -> HfClient {
    HfClient::new(base, Duration::from_secs(5), page_size).expect("client builds")
}

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn pages_seen(server: &Server) -> Vec<Option<usize>> {
    server
        .seen
        .lock()
        .unwrap()
        .iter()
        .map(|seen| seen.page)
        .collect()
}

#[tokio::test]
async fn fifty_items_in_three_pages() {
    let (base, server) = start_server().await;

    let day = client(&base, 20).fetch_day(date(day::FIFTY)).await.unwrap();

    assert_eq!(day.papers.len(), 50);
    assert!(day.skipped.is_empty(), "{:?}", day.skipped);
    let seen = server.seen.lock().unwrap().clone();
    let expected: Vec<_> = (0..3)
        .map(|page| Seen {
            date: day::FIFTY.to_string(),
            limit: Some(20),
            page: Some(page),
        })
        .collect();
    assert_eq!(seen, expected);

    let fixture_ids: Vec<_> = server
        .fifty
        .iter()
        .map(|item| item["paper"]["id"].as_str().unwrap())
        .collect();
    let ids: Vec<_> = day.papers.iter().map(|paper| paper.id.key()).collect();
    assert_eq!(ids, fixture_ids);
    assert!(day
        .papers
        .iter()
        .all(|paper| paper.daily_date == Some(date(day::FIFTY))));
}

#[tokio::test]
async fn default_page_size_one_request() {
    let (base, server) = start_server().await;

    let day = client(&base, HfClient::DEFAULT_PAGE_SIZE)
        .fetch_day(date(day::FIFTY))
        .await
        .unwrap();

    assert_eq!(day.papers.len(), 50);
    assert_eq!(pages_seen(&server), [Some(0)]);
    assert_eq!(server.seen.lock().unwrap()[0].limit, Some(100));
}

#[tokio::test]
async fn page_boundary_on_exact_multiple() {
    let (base, server) = start_server().await;

    let day = client(&base, 25).fetch_day(date(day::FIFTY)).await.unwrap();

    assert_eq!(day.papers.len(), 50);
    // Two full pages leave the end unknown, so a third (empty) page is requested.
    assert_eq!(pages_seen(&server), [Some(0), Some(1), Some(2)]);
}

#[tokio::test]
async fn single_item_day_mapped() {
    let (base, _server) = start_server().await;

    let day = client(&base, 100)
        .fetch_day(date(day::SINGLE))
        .await
        .unwrap();

    assert_eq!(day.papers.len(), 1);
    let paper = &day.papers[0];
    assert_eq!(paper.daily_date, Some(date(day::SINGLE)));
    assert!(paper.ai_summary.is_some());
    assert!(paper
        .thumbnail
        .as_deref()
        .is_some_and(|url| url.starts_with("https://")));
}

#[tokio::test]
async fn link_header_followed() {
    let (base, server) = start_server().await;

    let day = client(&base, 20)
        .fetch_day(date(day::LINK_PAGES))
        .await
        .unwrap();

    assert_eq!(day.papers.len(), 50);
    assert_eq!(
        pages_seen(&server),
        [Some(0), Some(1), Some(2), Some(3), Some(4)]
    );
    let seen = server.seen.lock().unwrap().clone();
    assert!(
        seen.iter().all(|request| request.date == day::LINK_PAGES),
        "date kept on every page"
    );
    assert!(
        seen.iter().all(|request| request.limit == Some(20)),
        "limit kept on every page"
    );
}

#[tokio::test]
async fn duplicates_across_pages_merged() {
    let (base, _server) = start_server().await;

    let day = client(&base, 2)
        .fetch_day(date(day::DUPLICATES))
        .await
        .unwrap();

    assert_eq!(day.papers.len(), 2);
    assert_eq!(day.papers[1].upvotes, Some(10_000));
}

#[tokio::test]
async fn endless_paging_capped() {
    let (base, server) = start_server().await;

    let day = client(&base, 1)
        .fetch_day(date(day::ENDLESS))
        .await
        .unwrap();

    let cap = usize::try_from(HfClient::MAX_PAGES).unwrap();
    assert_eq!(day.papers.len(), cap);
    assert_eq!(server.seen.lock().unwrap().len(), cap);
}

#[tokio::test]
async fn server_ignoring_page_stops() {
    let (base, server) = start_server().await;

    let day = client(&base, 20)
        .fetch_day(date(day::IGNORES_PAGE))
        .await
        .unwrap();

    assert_eq!(day.papers.len(), 20);
    assert_eq!(pages_seen(&server), [Some(0), Some(1)]);
}

#[tokio::test]
async fn weekend_is_empty_day() {
    let (base, server) = start_server().await;

    let day = client(&base, 100)
        .fetch_day(date(day::WEEKEND))
        .await
        .unwrap();

    assert!(day.papers.is_empty());
    assert!(day.skipped.is_empty());
    assert_eq!(pages_seen(&server), [Some(0)]);
}

#[tokio::test]
async fn future_date_reports_hf_message() {
    let (base, _server) = start_server().await;

    let error = client(&base, 100)
        .fetch_day(date(day::FUTURE))
        .await
        .unwrap_err();

    match &error {
        HfError::Http {
            status, message, ..
        } => {
            assert_eq!(*status, 400);
            assert_eq!(message, FUTURE_DATE_MESSAGE);
        }
        other => panic!("expected HfError::Http, got {other:?}"),
    }
    assert!(error.to_string().contains(FUTURE_DATE_MESSAGE), "{error}");
    assert!(error.to_string().contains("HTTP 400"), "{error}");
}

#[tokio::test]
async fn server_error_is_http_error() {
    let (base, _server) = start_server().await;

    let error = client(&base, 100)
        .fetch_day(date(day::SERVER_ERROR))
        .await
        .unwrap_err();

    match error {
        HfError::Http {
            status, message, ..
        } => {
            assert_eq!(status, 500);
            assert_eq!(message, "Internal Server Error");
        }
        other => panic!("expected HfError::Http, got {other:?}"),
    }
}

#[tokio::test]
async fn rate_limit_reads_retry_after() {
    let (base, _server) = start_server().await;

    let error = client(&base, 100)
        .fetch_day(date(day::RATE_LIMITED))
        .await
        .unwrap_err();

    match &error {
        HfError::RateLimited { retry_after, .. } => {
            assert_eq!(*retry_after, Some(Duration::from_secs(7)));
        }
        other => panic!("expected HfError::RateLimited, got {other:?}"),
    }
    assert!(error.to_string().contains("retry after 7 s"), "{error}");
}

#[tokio::test]
async fn slow_response_times_out() {
    let (base, _server) = start_server().await;
    let client = HfClient::new(&base, Duration::from_millis(300), 100).unwrap();

    let started = Instant::now();
    let error = client.fetch_day(date(day::SLOW)).await.unwrap_err();

    assert!(matches!(error, HfError::Timeout { .. }), "{error:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert!(error.to_string().contains("timed out"), "{error}");
}

#[tokio::test]
async fn truncated_json_is_parse_error() {
    let (base, _server) = start_server().await;

    let error = client(&base, 100)
        .fetch_day(date(day::TRUNCATED))
        .await
        .unwrap_err();

    match &error {
        HfError::Parse { source, .. } => {
            assert!(matches!(source, ParseError::Truncated { .. }), "{source:?}");
        }
        other => panic!("expected HfError::Parse, got {other:?}"),
    }
    assert!(error.to_string().contains("cut off"), "{error}");
}

#[tokio::test]
async fn html_page_with_ok_status() {
    let (base, _server) = start_server().await;

    let error = client(&base, 100)
        .fetch_day(date(day::HTML_OK))
        .await
        .unwrap_err();

    match &error {
        HfError::Parse { source, .. } => {
            assert!(matches!(source, ParseError::NotJson { .. }), "{source:?}");
        }
        other => panic!("expected HfError::Parse, got {other:?}"),
    }
    assert!(error.to_string().contains("<!DOCTYPE html>"), "{error}");
}

#[tokio::test]
async fn html_page_with_bad_gateway() {
    let (base, _server) = start_server().await;

    let error = client(&base, 100)
        .fetch_day(date(day::HTML_BAD_GATEWAY))
        .await
        .unwrap_err();

    match &error {
        HfError::Http {
            status, message, ..
        } => {
            assert_eq!(*status, 502);
            assert!(message.contains("Bad Gateway"), "{message}");
        }
        other => panic!("expected HfError::Http, got {other:?}"),
    }
}

#[tokio::test]
async fn string_items_skipped() {
    let (base, _server) = start_server().await;

    let day = client(&base, 100)
        .fetch_day(date(day::STRING_ITEMS))
        .await
        .unwrap();

    assert_eq!(day.papers.len(), 1);
    let skipped: Vec<_> = day
        .skipped
        .iter()
        .map(|item| (item.index, item.reason.clone()))
        .collect();
    let not_object = SkipReason::NotAnObject { found: "string" };
    assert_eq!(skipped, [(0, not_object.clone()), (1, not_object)]);
}

#[tokio::test]
async fn error_object_with_ok_status() {
    let (base, _server) = start_server().await;

    let error = client(&base, 100)
        .fetch_day(date(day::ERROR_OBJECT))
        .await
        .unwrap_err();

    match &error {
        HfError::Parse { source, .. } => assert_eq!(
            source,
            &ParseError::Provider {
                message: "Invalid date".to_string()
            }
        ),
        other => panic!("expected HfError::Parse, got {other:?}"),
    }
    assert!(error.to_string().contains("Invalid date"), "{error}");
}

#[tokio::test]
async fn refused_connection_is_connect_error() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);

    let client = client(&format!("http://{address}"), 100);
    let error = client.fetch_day(date(day::SINGLE)).await.unwrap_err();

    assert!(matches!(error, HfError::Connect { .. }), "{error:?}");
    assert!(error.to_string().contains(&address.to_string()), "{error}");
}

#[tokio::test]
async fn errors_hide_credentials() {
    let (base, _server) = start_server().await;
    let with_credentials = base.replace("http://", "http://user:secret@");

    let error = client(&with_credentials, 100)
        .fetch_day(date(day::SERVER_ERROR))
        .await
        .unwrap_err();

    assert!(!error.to_string().contains("secret"), "{error}");
    assert!(!format!("{error:?}").contains("secret"), "{error:?}");
}
