//! Our own `POST /channels/{id}/messages` for digest posts through a Discord REST proxy.
//!
//! With a proxy, serenity 0.12.5 must run with its rate limiter off, and then it returns a 429
//! as a plain error that drops the response's `retry_after` and `global` values. This client
//! sends the same JSON body that serenity would (`CreateMessage` implements `Serialize`) and
//! keeps those values.

use std::time::Duration;

use poise::serenity_prelude as serenity;
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION};
use reqwest::StatusCode;
use serde_json::Value;

use super::send::{PostError, SenderError};
use crate::config::Secret;
use crate::error::chain;

/// Sent as `User-Agent`, in the `DiscordBot (url, version)` form that Discord requires of bots.
const USER_AGENT: &str = concat!("DiscordBot (paperboy, ", env!("CARGO_PKG_VERSION"), ")");

/// Maximum characters of a non-JSON error body kept in an error message.
const BODY_EXCERPT_CHARS: usize = 120;

/// A client for message posts through a Discord REST proxy.
pub(super) struct RestClient {
    client: reqwest::Client,
    /// Scheme, host and port of the proxy, without a trailing slash.
    base_url: String,
    /// `Bot <token>`, marked sensitive so that `Debug` output of the request hides it.
    authorization: HeaderValue,
    timeout: Duration,
}

impl std::fmt::Debug for RestClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RestClient")
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl RestClient {
    /// Builds the client. Environment proxies (`HTTPS_PROXY`) are ignored, as for serenity's
    /// client in `discord_http`, so that posts only ever go to the configured proxy.
    pub(super) fn new(
        proxy: &str,
        token: &Secret,
        timeout: Duration,
    ) -> Result<RestClient, SenderError> {
        let mut authorization = HeaderValue::from_str(&format!("Bot {}", token.expose()))
            .map_err(|_| SenderError::InvalidToken)?;
        authorization.set_sensitive(true);
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(timeout)
            .user_agent(USER_AGENT)
            .build()
            .map_err(|e| SenderError::Client(chain(&e)))?;
        Ok(RestClient {
            client,
            base_url: proxy.trim_end_matches('/').to_string(),
            authorization,
            timeout,
        })
    }

    /// Posts one message and returns the id Discord gave it.
    pub(super) async fn create_message(
        &self,
        channel_id: u64,
        message: &serenity::CreateMessage,
    ) -> Result<String, PostError> {
        let url = format!("{}/api/v10/channels/{channel_id}/messages", self.base_url);
        let response = self
            .client
            .post(url)
            .header(AUTHORIZATION, self.authorization.clone())
            .json(message)
            .send()
            .await
            .map_err(|e| self.transport_error(&e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .map_err(|e| self.transport_error(&e))?;

        if status.is_success() {
            return Ok(message_id(&body));
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            return Err(rate_limit(&headers, &body));
        }
        Err(status_error(status, &body))
    }

    fn transport_error(&self, error: &reqwest::Error) -> PostError {
        if error.is_timeout() {
            PostError::Transport(format!("timed out after {} ms", self.timeout.as_millis()))
        } else {
            PostError::Transport(chain(error))
        }
    }
}

/// Reads the id of the created message; a response without one still means the post exists.
fn message_id(body: &[u8]) -> String {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("id").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_else(|| "unknown".to_string())
}

/// Reads a 429 response. Discord puts the exact wait in the JSON body (`retry_after`, seconds
/// with a fraction) and a rounded one in the `Retry-After` header. A response from Cloudflare
/// rather than Discord may carry only the header, so the header is the fallback.
fn rate_limit(headers: &HeaderMap, body: &[u8]) -> PostError {
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let from_body = json
        .as_ref()
        .and_then(|v| v.get("retry_after"))
        .and_then(Value::as_f64);
    let from_headers = || {
        header_number(headers, "retry-after").or(header_number(headers, "x-ratelimit-reset-after"))
    };
    let retry_after = from_body
        .or_else(from_headers)
        .and_then(|secs| Duration::try_from_secs_f64(secs).ok());

    let global_in_body = json
        .as_ref()
        .and_then(|v| v.get("global"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let global = global_in_body
        || header_is(headers, "x-ratelimit-global", "true")
        || header_is(headers, "x-ratelimit-scope", "global");
    PostError::RateLimited {
        retry_after,
        global,
    }
}

fn header_number(headers: &HeaderMap, name: &str) -> Option<f64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

fn header_is(headers: &HeaderMap, name: &str, expected: &str) -> bool {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(expected))
}

/// Reads Discord's `{"code": N, "message": "..."}` error body. Edge proxies respond to some
/// failures (502) with HTML, which keeps code 0 and an excerpt of the body.
fn status_error(status: StatusCode, body: &[u8]) -> PostError {
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let code = json
        .as_ref()
        .and_then(|v| v.get("code"))
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let message = match json
        .as_ref()
        .and_then(|v| v.get("message"))
        .and_then(Value::as_str)
    {
        Some(message) => message.to_string(),
        None => {
            let text = String::from_utf8_lossy(body);
            let excerpt: String = text.chars().take(BODY_EXCERPT_CHARS).collect();
            format!("no JSON error body: {}", excerpt.trim())
        }
    };
    PostError::Status {
        status: status.as_u16(),
        code,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn rate_limit_prefers_exact_body_value() {
        let body =
            br#"{"message":"You are being rate limited.","retry_after":0.35,"global":false}"#;
        let error = rate_limit(&headers(&[("retry-after", "1")]), body);
        assert_eq!(
            error,
            PostError::RateLimited {
                retry_after: Some(Duration::from_millis(350)),
                global: false
            }
        );
    }

    #[test]
    fn rate_limit_reads_global_from_headers() {
        let error = rate_limit(
            &headers(&[("retry-after", "2"), ("x-ratelimit-global", "true")]),
            b"<html>slow down</html>",
        );
        assert_eq!(
            error,
            PostError::RateLimited {
                retry_after: Some(Duration::from_secs(2)),
                global: true
            }
        );
    }

    #[test]
    fn rate_limit_without_any_wait_is_unknown() {
        let error = rate_limit(&headers(&[]), br#"{"retry_after":-1}"#);
        assert_eq!(
            error,
            PostError::RateLimited {
                retry_after: None,
                global: false
            }
        );
    }

    #[test]
    fn html_error_body_keeps_an_excerpt() {
        let error = status_error(
            StatusCode::BAD_GATEWAY,
            b"<html><body><h1>502 Bad Gateway</h1></body></html>",
        );
        let PostError::Status {
            status,
            code,
            message,
        } = error
        else {
            panic!("expected a status error, got {error:?}");
        };
        assert_eq!(status, 502);
        assert_eq!(code, 0);
        assert!(message.contains("502 Bad Gateway"), "{message}");
    }

    #[test]
    fn debug_output_hides_the_token() {
        let client = RestClient::new(
            "http://127.0.0.1:9",
            &Secret::new("secret-token-value"),
            Duration::from_secs(1),
        )
        .unwrap();
        let text = format!("{client:?}");
        assert!(!text.contains("secret-token-value"), "{text}");
    }

    #[test]
    fn token_with_a_newline_is_rejected_without_echo() {
        let error = RestClient::new(
            "http://127.0.0.1:9",
            &Secret::new("bad\ntoken"),
            Duration::from_secs(1),
        )
        .unwrap_err();
        assert!(!error.to_string().contains("bad"), "{error}");
    }
}
