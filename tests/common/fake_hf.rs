//! A fake Hugging Face Daily Papers API on 127.0.0.1 that serves saved responses by date,
//! paginated with `limit` and `p` as the real API does.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::Value;

#[derive(Default)]
struct Days {
    /// Items of each served date, in the order Hugging Face lists them.
    items: HashMap<String, Vec<Value>>,
    /// Every `date` asked for, in order.
    requested: Vec<String>,
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
        self.days
            .lock()
            .unwrap()
            .items
            .insert(date.to_string(), items);
    }

    pub fn requested_dates(&self) -> Vec<String> {
        self.days.lock().unwrap().requested.clone()
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
    let mut days = days.lock().unwrap();
    days.requested.push(date.clone());
    let items = days.items.get(&date).cloned().unwrap_or_default();
    let slice: Vec<Value> = items.into_iter().skip(page * limit).take(limit).collect();
    axum::Json(Value::Array(slice)).into_response()
}
