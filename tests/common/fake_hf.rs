//! A fake Hugging Face Daily Papers API on 127.0.0.1 that serves saved responses by date,
//! paginated with `limit` and `p` as the real API does, and can respond with scripted faults:
//! server errors, rate limits, slow responses, cut-off JSON, HTML error pages and items that are
//! not objects.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::Value;

/// A scripted response that replaces the normal listing of a day.
#[derive(Clone, Debug, PartialEq)]
pub enum HfFault {
    /// This status (500, 503, …) with a JSON `{"error": …}` body, as the Hub sends errors.
    Status(u16),
    /// 429 with `Retry-After` in seconds, or without the header when `None`.
    RateLimited { retry_after_secs: Option<u64> },
    /// Waits this long, then serves the day normally. Longer than the client's timeout, it
    /// is a timeout.
    Delay(Duration),
    /// 200 with the day's JSON cut off in the middle, as a dropped connection leaves it.
    TruncatedJson,
    /// An HTML error page with this status, as a proxy or CDN in front of the API sends it.
    HtmlErrorPage(u16),
    /// 200 with a JSON array whose items are strings (the paper titles) instead of objects.
    StringItems,
}

/// A fault that applies to one date or to all, for a number of requests or until cleared.
#[derive(Clone, Debug)]
struct ScriptedFault {
    date: Option<String>,
    fault: HfFault,
    /// Requests it still applies to; `None` until cleared.
    remaining: Option<usize>,
}

/// One request as the fake received it.
#[derive(Clone, Debug)]
pub struct HfRequest {
    pub date: String,
    pub page: usize,
    /// When the request arrived.
    pub at: Instant,
    /// The fault that replaced the response, if any.
    pub fault: Option<HfFault>,
}

#[derive(Default)]
struct Days {
    /// Items of each served date, in the order Hugging Face lists them.
    items: HashMap<String, Vec<Value>>,
    faults: Vec<ScriptedFault>,
    requests: Vec<HfRequest>,
}

impl Days {
    /// Takes the first fault that applies to `date` and counts the request against it.
    fn take_fault(&mut self, date: &str) -> Option<HfFault> {
        let position = self.faults.iter().position(|scripted| {
            scripted.date.as_deref().is_none_or(|d| d == date) && scripted.remaining != Some(0)
        })?;
        let scripted = &mut self.faults[position];
        if let Some(remaining) = scripted.remaining.as_mut() {
            *remaining -= 1;
        }
        Some(scripted.fault.clone())
    }
}

#[derive(Clone)]
pub struct FakeHf {
    days: Arc<Mutex<Days>>,
    base_url: String,
}

impl FakeHf {
    pub async fn start() -> FakeHf {
        let days = Arc::new(Mutex::new(Days::default()));
        let app = Router::new()
            .route("/api/daily_papers", get(daily_papers))
            .with_state(Arc::clone(&days));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        FakeHf { days, base_url }
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Serves the saved response in `file` for `date`.
    pub fn serve_file(&self, date: &str, file: &Path) {
        let text = std::fs::read_to_string(file).unwrap();
        let items: Vec<Value> = serde_json::from_str(&text).unwrap();
        self.serve_items(date, items);
    }

    /// Serves `items` as the listing of `date`.
    pub fn serve_items(&self, date: &str, items: Vec<Value>) {
        self.days
            .lock()
            .unwrap()
            .items
            .insert(date.to_string(), items);
    }

    /// Answers the next `times` requests for `date` with `fault`. Faults added earlier are
    /// used up first.
    pub fn fail_date(&self, date: &str, fault: HfFault, times: usize) {
        self.push_fault(Some(date), fault, Some(times));
    }

    /// Answers every request for `date` with `fault` until [`Self::clear_faults`].
    pub fn fail_date_always(&self, date: &str, fault: HfFault) {
        self.push_fault(Some(date), fault, None);
    }

    /// Answers every request, whatever its date, with `fault` until [`Self::clear_faults`].
    pub fn fail_all(&self, fault: HfFault) {
        self.push_fault(None, fault, None);
    }

    pub fn clear_faults(&self) {
        self.days.lock().unwrap().faults.clear();
    }

    fn push_fault(&self, date: Option<&str>, fault: HfFault, remaining: Option<usize>) {
        self.days.lock().unwrap().faults.push(ScriptedFault {
            date: date.map(str::to_string),
            fault,
            remaining,
        });
    }

    /// Returns every requested `date`, in order, one entry per request.
    pub fn requested_dates(&self) -> Vec<String> {
        self.requests().into_iter().map(|r| r.date).collect()
    }

    pub fn requests(&self) -> Vec<HfRequest> {
        self.days.lock().unwrap().requests.clone()
    }
}

async fn daily_papers(
    State(days): State<Arc<Mutex<Days>>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some(date) = query.get("date").cloned() else {
        return (StatusCode::BAD_REQUEST, "{\"error\":\"date is required\"}").into_response();
    };
    let limit: usize = query
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(50);
    let page: usize = query.get("p").and_then(|p| p.parse().ok()).unwrap_or(0);

    let (fault, items) = {
        let mut days = days.lock().unwrap();
        let fault = days.take_fault(&date);
        days.requests.push(HfRequest {
            date: date.clone(),
            page,
            at: Instant::now(),
            fault: fault.clone(),
        });
        let items = days.items.get(&date).cloned().unwrap_or_default();
        (fault, items)
    };
    let slice: Vec<Value> = items.into_iter().skip(page * limit).take(limit).collect();

    match fault {
        None => axum::Json(Value::Array(slice)).into_response(),
        Some(HfFault::Delay(delay)) => {
            tokio::time::sleep(delay).await;
            axum::Json(Value::Array(slice)).into_response()
        }
        Some(fault) => fault_response(&fault, &slice),
    }
}

fn fault_response(fault: &HfFault, slice: &[Value]) -> Response {
    match fault {
        HfFault::Status(code) => {
            let status = StatusCode::from_u16(*code).unwrap();
            let body = serde_json::json!({"error": format!("scripted error {code}")});
            (status, axum::Json(body)).into_response()
        }
        HfFault::RateLimited { retry_after_secs } => {
            let body = serde_json::json!({"error": "You have exceeded the rate limit"});
            let mut response = (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
            if let Some(secs) = retry_after_secs {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, secs.to_string().parse().unwrap());
            }
            response
        }
        HfFault::TruncatedJson => {
            let full = Value::Array(slice.to_vec()).to_string();
            // Cut at a character boundary in the middle, or after the opening bracket of an
            // empty array, so the body is never valid JSON.
            let mut cut = (full.len() / 2).max(1);
            while !full.is_char_boundary(cut) {
                cut -= 1;
            }
            let body = full[..cut].to_string();
            ([(header::CONTENT_TYPE, "application/json")], body).into_response()
        }
        HfFault::HtmlErrorPage(code) => {
            let status = StatusCode::from_u16(*code).unwrap();
            let body = format!(
                "<!DOCTYPE html>\n<html><head><title>{code} Error</title></head>\n\
                 <body><h1>{code}</h1><p>The server is temporarily unable to handle the \
                 request.</p></body></html>\n"
            );
            (status, [(header::CONTENT_TYPE, "text/html")], body).into_response()
        }
        HfFault::StringItems => {
            let strings: Vec<Value> = slice
                .iter()
                .map(|item| Value::String(item["paper"]["title"].as_str().unwrap_or("").into()))
                .collect();
            axum::Json(Value::Array(strings)).into_response()
        }
        HfFault::Delay(_) => unreachable!("delays are served by daily_papers"),
    }
}
