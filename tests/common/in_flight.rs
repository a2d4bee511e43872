//! A pass-through HTTP proxy on 127.0.0.1 that counts the requests in flight through it, for
//! checking how many requests a client has open at once. The fake Discord records when a
//! request arrives but not when its response leaves, so it cannot count this itself.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;

#[derive(Default)]
struct Counters {
    current: AtomicUsize,
    max: AtomicUsize,
    total: AtomicUsize,
}

struct Shared {
    target: String,
    client: reqwest::Client,
    counters: Counters,
}

/// A running counting proxy in front of `target`.
#[derive(Clone)]
pub struct InFlightProxy {
    shared: Arc<Shared>,
    url: String,
}

impl InFlightProxy {
    /// Starts the proxy; requests to it are forwarded to `target` (scheme, host and port).
    pub async fn start(target: &str) -> InFlightProxy {
        let shared = Arc::new(Shared {
            target: target.trim_end_matches('/').to_string(),
            client: reqwest::Client::builder().no_proxy().build().unwrap(),
            counters: Counters::default(),
        });
        let app = Router::new()
            .fallback(forward)
            .with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        InFlightProxy { shared, url }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Returns the maximum number of requests that were in flight at once.
    pub fn max_in_flight(&self) -> usize {
        self.shared.counters.max.load(Ordering::SeqCst)
    }

    pub fn total(&self) -> usize {
        self.shared.counters.total.load(Ordering::SeqCst)
    }
}

/// Counts a request as in flight from its arrival until its response is ready.
struct InFlight<'a>(&'a Counters);

impl<'a> InFlight<'a> {
    fn enter(counters: &'a Counters) -> Self {
        let now = counters.current.fetch_add(1, Ordering::SeqCst) + 1;
        counters.max.fetch_max(now, Ordering::SeqCst);
        counters.total.fetch_add(1, Ordering::SeqCst);
        InFlight(counters)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.current.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn forward(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let _in_flight = InFlight::enter(&shared.counters);
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let mut request = shared
        .client
        .request(method, format!("{}{path}", shared.target))
        .body(body);
    for (name, value) in &headers {
        if name != header::HOST && name != header::CONTENT_LENGTH {
            request = request.header(name, value);
        }
    }
    let response = match request.send().await {
        Ok(response) => response,
        Err(error) => return (StatusCode::BAD_GATEWAY, error.to_string()).into_response(),
    };
    let status = response.status();
    let response_headers = response.headers().clone();
    let bytes = response.bytes().await.unwrap_or_default();
    let mut answer = (status, bytes).into_response();
    for (name, value) in &response_headers {
        if name != header::CONTENT_LENGTH && name != header::TRANSFER_ENCODING {
            answer.headers_mut().insert(name, value.clone());
        }
    }
    answer
}
