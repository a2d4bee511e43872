//! A fake OpenAI-compatible chat endpoint (`POST /v1/chat/completions`) on 127.0.0.1 with a
//! scripted answer, delay or error status, recording every request.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

/// How the fake answers.
#[derive(Clone, Debug)]
pub enum LlmBehavior {
    /// A completion with this content and `finish_reason`, after `delay`.
    Answer {
        content: String,
        finish_reason: String,
        delay: Duration,
    },
    /// This HTTP status with an OpenAI-style error body.
    Status(u16),
    /// 200 with a body that is not a chat completion.
    Garbage,
}

impl LlmBehavior {
    pub fn answer(content: &str) -> Self {
        LlmBehavior::Answer {
            content: content.to_string(),
            finish_reason: "stop".to_string(),
            delay: Duration::ZERO,
        }
    }

    pub fn slow_answer(content: &str, delay: Duration) -> Self {
        LlmBehavior::Answer {
            content: content.to_string(),
            finish_reason: "stop".to_string(),
            delay,
        }
    }
}

/// One request as the fake received it.
#[derive(Clone, Debug)]
pub struct LlmRequest {
    pub received: Instant,
    pub authorization: Option<String>,
    pub body: Value,
}

#[derive(Clone)]
struct FakeState {
    behavior: Arc<Mutex<LlmBehavior>>,
    requests: Arc<Mutex<Vec<LlmRequest>>>,
}

pub struct FakeLlm {
    base_url: String,
    state: FakeState,
}

impl FakeLlm {
    pub async fn start(behavior: LlmBehavior) -> FakeLlm {
        let state = FakeState {
            behavior: Arc::new(Mutex::new(behavior)),
            requests: Arc::new(Mutex::new(Vec::new())),
        };
        let app = Router::new()
            .route("/v1/chat/completions", post(answer))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let address = listener.local_addr().expect("local address");
        tokio::spawn(async move {
            axum::serve(listener, app).await.expect("fake LLM server");
        });
        FakeLlm {
            base_url: format!("http://{address}"),
            state,
        }
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn set_behavior(&self, behavior: LlmBehavior) {
        *self.state.behavior.lock().expect("behavior") = behavior;
    }

    pub fn requests(&self) -> Vec<LlmRequest> {
        self.state.requests.lock().expect("request log").clone()
    }
}

async fn answer(State(state): State<FakeState>, headers: HeaderMap, body: Json<Value>) -> Response {
    let authorization = headers
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .map(str::to_string);
    state
        .requests
        .lock()
        .expect("request log")
        .push(LlmRequest {
            received: Instant::now(),
            authorization,
            body: body.0.clone(),
        });
    let behavior = state.behavior.lock().expect("behavior").clone();
    match behavior {
        LlmBehavior::Answer {
            content,
            finish_reason,
            delay,
        } => {
            tokio::time::sleep(delay).await;
            Json(json!({
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "model": body.0["model"],
                "choices": [{
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": finish_reason,
                }],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }))
            .into_response()
        }
        LlmBehavior::Status(status) => (
            StatusCode::from_u16(status).expect("valid status"),
            Json(json!({"error": {"message": "scripted failure", "type": "server_error"}})),
        )
            .into_response(),
        LlmBehavior::Garbage => (StatusCode::OK, "<html>not json</html>").into_response(),
    }
}
