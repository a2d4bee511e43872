//! A fake Discord (REST and gateway) on 127.0.0.1 for integration tests.
//!
//! Point serenity at it with [`FakeDiscord::http`] (or `HttpBuilder::proxy(fake.proxy_url())`
//! with the rate limiter disabled, because serenity 0.12.5 ignores the proxy otherwise). The fake
//! records every request, checks each body against Discord's OpenAPI description and limits,
//! enforces the interaction lifecycle, and can inject channel faults. Each rule break gets the
//! error response Discord would send and is collected as a violation, which a test checks with
//! [`FakeDiscord::assert_no_violations`].

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::serve::ListenerExt;
use serde_json::Value;
use serenity::http::{Http, HttpBuilder};
use serenity::model::id::ApplicationId;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};

use super::payloads::{self, BuiltInteraction};

/// Settings of one fake. [`FakeConfig::default`] matches the constants in `payloads`.
#[derive(Clone, Debug)]
pub struct FakeConfig {
    /// Bot token without the `Bot ` prefix; requests must carry `Authorization: Bot <token>`.
    pub token: String,
    /// Application id, also used as the bot user's id.
    pub application_id: u64,
    pub bot_username: String,
    /// Guilds listed (as unavailable) in READY.
    pub guild_ids: Vec<u64>,
    /// HELLO's heartbeat interval. Short so that heartbeats and ACKs happen during tests.
    pub heartbeat_interval: Duration,
}

impl Default for FakeConfig {
    fn default() -> Self {
        Self {
            token: payloads::TOKEN.to_owned(),
            application_id: payloads::APPLICATION_ID,
            bot_username: payloads::BOT_USERNAME.to_owned(),
            guild_ids: vec![payloads::GUILD_ID],
            heartbeat_interval: Duration::from_millis(1000),
        }
    }
}

/// A scripted failure for message posts to one channel (`POST /channels/{channel_id}/messages`).
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// 403 with code 50013 "Missing Permissions", until cleared.
    MissingPermissions,
    /// 403 with code 50001 "Missing Access", until cleared.
    MissingAccess,
    /// 404 with code 10003 "Unknown Channel", until cleared.
    UnknownChannel,
    /// 429 for the next `times` requests, with Discord's body and rate-limit headers.
    RateLimited {
        retry_after_secs: f64,
        global: bool,
        times: usize,
    },
    /// 500 with a JSON error body for the next `times` requests.
    ServerError { times: usize },
    /// 502 with an HTML body, as Discord's edge proxy sends it, for the next `times` requests.
    BadGateway { times: usize },
    /// Holds every request for this long before handling it normally, until cleared.
    Delay(Duration),
}

impl Fault {
    /// Number of requests the fault still applies to, or `None` if it lasts until cleared.
    pub(super) fn remaining(&self) -> Option<usize> {
        match self {
            Fault::RateLimited { times, .. }
            | Fault::ServerError { times }
            | Fault::BadGateway { times } => Some(*times),
            _ => None,
        }
    }
}

/// One request as the fake received it, with the status of the fake's response.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    pub method: String,
    /// Full path as received, e.g. `/api/v10/channels/1/messages`.
    pub path: String,
    /// Raw query string without the `?`; serenity starts it with `&`.
    pub query: Option<String>,
    pub authorization: Option<String>,
    /// Parsed JSON body, if the request had one.
    pub body: Option<Value>,
    /// When the request reached the fake (real clock).
    pub received_at: Instant,
    pub status: u16,
    pub response: Option<Value>,
    /// OpenAPI path template the request matched, e.g. `/channels/{channel_id}/messages`.
    pub route: Option<&'static str>,
    /// Interaction the request belongs to (callbacks, followups and `@original` calls).
    pub interaction_id: Option<u64>,
}

impl RecordedRequest {
    /// Returns the path without the `/api/v10` prefix.
    pub fn api_path(&self) -> &str {
        self.path.strip_prefix("/api/v10").unwrap_or(&self.path)
    }
}

/// What happened to one interaction the fake sent.
#[derive(Clone, Debug)]
pub struct InteractionView {
    pub id: u64,
    pub token: String,
    /// Type of the accepted initial response (4, 5, 6, 7 or 8), if any.
    pub callback_type: Option<u8>,
    /// Time from sending the interaction to its accepted initial response (fake clock).
    pub acknowledged_after: Option<Duration>,
    /// The original response message after all edits so far, or the component's message after
    /// a type 6 or 7 response.
    pub original: Option<Value>,
    /// Followup messages that created new messages (the followup that replaced a deferred
    /// placeholder is in `original`).
    pub followups: Vec<Value>,
}

pub(super) struct InteractionState {
    pub(super) id: u64,
    pub(super) token: String,
    pub(super) interaction_type: u8,
    pub(super) channel_id: u64,
    /// Fake-clock time at which INTERACTION_CREATE was sent.
    pub(super) sent_at: Instant,
    pub(super) callback_type: Option<u8>,
    pub(super) acknowledged_at: Option<Instant>,
    /// Set when the 3 s deadline passed without an accepted response; Discord then
    /// invalidates the token.
    pub(super) expired_unacknowledged: bool,
    pub(super) original: Option<Value>,
    /// True between a type-5 defer and the first followup or `@original` edit.
    pub(super) placeholder_pending: bool,
    pub(super) followups: Vec<Value>,
}

pub(super) struct GatewayConnection {
    pub(super) connection_id: usize,
    pub(super) sender: mpsc::UnboundedSender<Outbound>,
    pub(super) sequence: u64,
}

/// A frame for the gateway writer task of one connection.
pub(super) enum Outbound {
    Text(String),
    Close(u16, String),
}

pub(super) struct PostedNonce {
    pub(super) message: Value,
    pub(super) at: Instant,
}

/// A counter that wakes waiters when it changes.
pub(super) struct Notifier(watch::Sender<usize>);

impl Default for Notifier {
    fn default() -> Self {
        Self(watch::Sender::new(0))
    }
}

impl Notifier {
    pub(super) fn bump(&self) {
        self.0.send_modify(|count| *count += 1);
    }

    pub(super) fn subscribe(&self) -> watch::Receiver<usize> {
        self.0.subscribe()
    }
}

#[derive(Default)]
pub(super) struct State {
    pub(super) requests: Vec<RecordedRequest>,
    pub(super) violations: Vec<String>,
    pub(super) violations_changed: Notifier,
    pub(super) interactions: HashMap<u64, InteractionState>,
    pub(super) interaction_by_token: HashMap<String, u64>,
    /// Accepted channel-message bodies per channel, in order.
    pub(super) channel_posts: HashMap<u64, Vec<Value>>,
    /// Messages created in each channel, in order.
    pub(super) channel_messages: HashMap<u64, Vec<Value>>,
    /// Bodies that received an existing message in response because of `enforce_nonce`.
    pub(super) deduplicated_posts: HashMap<u64, Vec<Value>>,
    pub(super) nonces: HashMap<(u64, String), PostedNonce>,
    pub(super) faults: HashMap<u64, Vec<Fault>>,
    pub(super) global_limit_per_second: Option<u32>,
    /// Fake-clock times of recent requests that count toward the global rate limit.
    pub(super) global_window: VecDeque<Instant>,
    /// Registered commands: key `None` for global, `Some(guild_id)` for guild commands.
    pub(super) commands: HashMap<Option<u64>, Vec<Value>>,
    pub(super) identifies: Vec<Value>,
    pub(super) gateway: Option<GatewayConnection>,
    pub(super) next_connection_id: usize,
}

pub(super) struct Inner {
    pub(super) config: FakeConfig,
    pub(super) rest_addr: SocketAddr,
    pub(super) gateway_addr: SocketAddr,
    pub(super) state: Mutex<State>,
    clock_offset: Mutex<Duration>,
    /// Number of recorded requests, bumped after each one is stored.
    pub(super) requests_changed: watch::Sender<usize>,
    /// Number of IDENTIFYs received, bumped after READY is queued.
    pub(super) identifies_changed: watch::Sender<usize>,
    identifies_awaited: AtomicUsize,
}

impl Inner {
    pub(super) fn state(&self) -> MutexGuard<'_, State> {
        // A panic in a test thread must not hide the fake's records from the remaining asserts.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Returns the fake clock: the real monotonic clock plus any `advance_clock` offsets.
    pub(super) fn now(&self) -> Instant {
        Instant::now() + *self.clock_offset.lock().unwrap()
    }

    pub(super) fn expected_authorization(&self) -> String {
        format!("Bot {}", self.config.token)
    }

    pub(super) fn gateway_url(&self) -> String {
        format!("ws://{}", self.gateway_addr)
    }
}

impl State {
    /// Records a rule break. It is also printed, so it shows in the output of a failing test
    /// even if the test never checks violations.
    pub(super) fn violation(&mut self, message: String) {
        eprintln!("fake Discord violation: {message}");
        self.violations.push(message);
        self.violations_changed.bump();
    }
}

/// Handle to a running fake. Clones share the same servers and records.
#[derive(Clone)]
pub struct FakeDiscord {
    inner: Arc<Inner>,
}

impl FakeDiscord {
    /// Starts a fake with [`FakeConfig::default`] on two free ports of 127.0.0.1.
    pub async fn start() -> Self {
        Self::start_with(FakeConfig::default()).await
    }

    /// Starts a fake with the given settings. The servers run as tasks of the current tokio
    /// runtime and stop with it.
    pub async fn start_with(config: FakeConfig) -> Self {
        let rest_listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("failed to bind the fake REST listener on 127.0.0.1");
        let gateway_listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("failed to bind the fake gateway listener on 127.0.0.1");
        let inner = Arc::new(Inner {
            config,
            rest_addr: rest_listener.local_addr().expect("REST listener address"),
            gateway_addr: gateway_listener
                .local_addr()
                .expect("gateway listener address"),
            state: Mutex::new(State::default()),
            clock_offset: Mutex::new(Duration::ZERO),
            requests_changed: watch::Sender::new(0),
            identifies_changed: watch::Sender::new(0),
            identifies_awaited: AtomicUsize::new(0),
        });

        let router = super::rest::router(inner.clone());
        tokio::spawn(async move {
            let listener = rest_listener.tap_io(|stream| {
                let _ = stream.set_nodelay(true);
            });
            if let Err(error) = axum::serve(listener, router).await {
                eprintln!("fake Discord REST server stopped: {error}");
            }
        });
        tokio::spawn(super::gateway::accept_loop(gateway_listener, inner.clone()));

        Self { inner }
    }

    pub fn config(&self) -> &FakeConfig {
        &self.inner.config
    }

    /// Returns `http://127.0.0.1:PORT`, the value for serenity's `HttpBuilder::proxy`.
    pub fn proxy_url(&self) -> String {
        format!("http://{}", self.inner.rest_addr)
    }

    /// Returns `ws://127.0.0.1:PORT`, the URL the fake gives out in `GET /gateway`.
    pub fn gateway_url(&self) -> String {
        self.inner.gateway_url()
    }

    /// Builds a serenity `Http` that sends everything to this fake: proxy set, rate limiter
    /// disabled (serenity ignores the proxy otherwise), environment proxies ignored, and the
    /// application id preset for REST-only tests.
    pub fn http(&self) -> Http {
        let client = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("failed to build the reqwest client");
        HttpBuilder::new(&self.inner.config.token)
            .proxy(self.proxy_url())
            .ratelimiter_disabled(true)
            .client(client)
            .application_id(ApplicationId::new(self.inner.config.application_id))
            .build()
    }

    // ---- Request log ----

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.inner.state().requests.clone()
    }

    /// Returns the requests with this method whose path starts with `path_prefix`. The prefix
    /// may include `/api/v10` or leave it out (`/channels/123`).
    pub fn requests_matching(&self, method: &str, path_prefix: &str) -> Vec<RecordedRequest> {
        self.inner
            .state()
            .requests
            .iter()
            .filter(|request| {
                request.method.eq_ignore_ascii_case(method)
                    && (request.path.starts_with(path_prefix)
                        || request.api_path().starts_with(path_prefix))
            })
            .cloned()
            .collect()
    }

    /// Returns the bodies of messages created in `channel_id`, oldest first. Rejected bodies and
    /// nonce repeats that received an existing message are not included.
    pub fn channel_posts(&self, channel_id: u64) -> Vec<Value> {
        self.inner
            .state()
            .channel_posts
            .get(&channel_id)
            .cloned()
            .unwrap_or_default()
    }

    /// Returns the message objects created in `channel_id`, as the fake returned them.
    pub fn channel_messages(&self, channel_id: u64) -> Vec<Value> {
        self.inner
            .state()
            .channel_messages
            .get(&channel_id)
            .cloned()
            .unwrap_or_default()
    }

    /// Returns bodies that repeated an `enforce_nonce` nonce and received the existing message
    /// instead of creating a new one.
    pub fn deduplicated_posts(&self, channel_id: u64) -> Vec<Value> {
        self.inner
            .state()
            .deduplicated_posts
            .get(&channel_id)
            .cloned()
            .unwrap_or_default()
    }

    /// Returns every REST request tied to the interaction: callbacks, followups and
    /// `@original` calls, including rejected ones.
    pub fn interaction_responses(&self, interaction_id: u64) -> Vec<RecordedRequest> {
        self.inner
            .state()
            .requests
            .iter()
            .filter(|request| request.interaction_id == Some(interaction_id))
            .cloned()
            .collect()
    }

    /// Returns the lifecycle state of an interaction sent with [`Self::send_interaction`].
    pub fn interaction(&self, interaction_id: u64) -> Option<InteractionView> {
        let state = self.inner.state();
        let interaction = state.interactions.get(&interaction_id)?;
        Some(InteractionView {
            id: interaction.id,
            token: interaction.token.clone(),
            callback_type: interaction.callback_type,
            acknowledged_after: interaction
                .acknowledged_at
                .map(|at| at.saturating_duration_since(interaction.sent_at)),
            original: interaction.original.clone(),
            followups: interaction.followups.clone(),
        })
    }

    /// Returns the commands last registered globally (`None`) or in a guild.
    pub fn registered_commands(&self, guild_id: Option<u64>) -> Vec<Value> {
        self.inner
            .state()
            .commands
            .get(&guild_id)
            .cloned()
            .unwrap_or_default()
    }

    /// Waits until a recorded request matches `predicate` and returns the first match.
    /// Requests recorded before the call count. Returns `None` after `timeout`.
    pub async fn wait_for<F>(&self, predicate: F, timeout: Duration) -> Option<RecordedRequest>
    where
        F: Fn(&RecordedRequest) -> bool,
    {
        let mut changes = self.inner.requests_changed.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        let mut checked = 0;
        loop {
            // Marking the value seen before scanning means a request stored during the scan
            // still wakes the next `changed()`.
            changes.borrow_and_update();
            {
                let state = self.inner.state();
                if let Some(found) = state.requests[checked..].iter().find(|r| predicate(r)) {
                    return Some(found.clone());
                }
                checked = state.requests.len();
            }
            match tokio::time::timeout_at(deadline, changes.changed()).await {
                Ok(Ok(())) => continue,
                _ => return None,
            }
        }
    }

    // ---- Violations ----

    /// Returns every rule break seen so far, each as `METHOD path: problem`.
    pub fn violations(&self) -> Vec<String> {
        self.inner.state().violations.clone()
    }

    /// Waits until a violation matches `predicate` and returns it. Violations recorded before
    /// the call count. Returns `None` after `timeout`.
    pub async fn wait_for_violation<F>(&self, predicate: F, timeout: Duration) -> Option<String>
    where
        F: Fn(&str) -> bool,
    {
        let mut changes = self.inner.state().violations_changed.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            changes.borrow_and_update();
            if let Some(found) = self.violations().into_iter().find(|v| predicate(v)) {
                return Some(found);
            }
            match tokio::time::timeout_at(deadline, changes.changed()).await {
                Ok(Ok(())) => continue,
                _ => return None,
            }
        }
    }

    /// Panics with the list of violations if there are any.
    pub fn assert_no_violations(&self) {
        let violations = self.violations();
        if !violations.is_empty() {
            panic!(
                "the fake Discord saw {} violation(s):\n  {}",
                violations.len(),
                violations.join("\n  ")
            );
        }
    }

    // ---- Faults and clock ----

    /// Adds a fault for message posts to `channel_id`. `Delay` faults hold each request, then
    /// the first error fault added that still applies decides the response. A counted fault
    /// with `times: 0` has no effect.
    pub fn fail_channel(&self, channel_id: u64, fault: Fault) {
        if fault.remaining() == Some(0) {
            return;
        }
        self.inner
            .state()
            .faults
            .entry(channel_id)
            .or_default()
            .push(fault);
    }

    pub fn clear_channel_faults(&self, channel_id: u64) {
        self.inner.state().faults.remove(&channel_id);
    }

    /// Rejects requests beyond `requests_per_second` in any one-second window with a global 429.
    /// Interaction callbacks and interaction webhooks are exempt, as on Discord.
    pub fn set_global_rate_limit(&self, requests_per_second: u32) {
        let mut state = self.inner.state();
        state.global_limit_per_second = Some(requests_per_second);
        state.global_window.clear();
    }

    pub fn clear_global_rate_limit(&self) {
        self.inner.state().global_limit_per_second = None;
    }

    /// Moves the fake clock forward, e.g. past the 3 s response deadline or the 15 min token
    /// lifetime, without sleeping.
    pub fn advance_clock(&self, by: Duration) {
        *self.inner.clock_offset.lock().unwrap() += by;
    }

    // ---- Gateway ----

    /// Waits for the next IDENTIFY not yet returned by an earlier call and returns its `d`.
    /// The n-th call returns the n-th IDENTIFY, even if it arrived before the call.
    pub async fn wait_identified(&self, timeout: Duration) -> Option<Value> {
        let target = self.inner.identifies_awaited.fetch_add(1, Ordering::SeqCst) + 1;
        let identify = self.wait_identify_count(target, timeout).await;
        if identify.is_none() {
            // Let a later call wait for the same IDENTIFY again.
            self.inner.identifies_awaited.fetch_sub(1, Ordering::SeqCst);
        }
        identify
    }

    /// Waits until at least `count` IDENTIFYs arrived and returns the `count`-th one.
    pub async fn wait_identify_count(&self, count: usize, timeout: Duration) -> Option<Value> {
        let mut changes = self.inner.identifies_changed.subscribe();
        let reached = tokio::time::timeout(timeout, changes.wait_for(|seen| *seen >= count)).await;
        match reached {
            Ok(Ok(_)) => self
                .inner
                .state()
                .identifies
                .get(count.checked_sub(1)?)
                .cloned(),
            _ => None,
        }
    }

    /// Returns the `d` of every IDENTIFY received, oldest first.
    pub fn identifies(&self) -> Vec<Value> {
        self.inner.state().identifies.clone()
    }

    /// Sends INTERACTION_CREATE to the current gateway connection and starts the interaction's
    /// 3 s response clock. Returns the dispatch sequence number `s`.
    ///
    /// Panics if no connection has identified yet; await [`Self::wait_identified`] first.
    pub fn send_interaction(&self, interaction: &BuiltInteraction) -> u64 {
        self.register_interaction(interaction);
        self.send_dispatch("INTERACTION_CREATE", interaction.payload.clone())
    }

    /// Issues an interaction id and token and starts its 3 s response clock without sending
    /// anything over the gateway, for REST-only tests that respond to the interaction through
    /// serenity's `Http` directly.
    pub fn register_interaction(&self, interaction: &BuiltInteraction) {
        let payload = &interaction.payload;
        let interaction_type = payload["type"].as_u64().unwrap_or(0) as u8;
        let channel_id = payload["channel_id"]
            .as_str()
            .and_then(|id| id.parse().ok())
            .unwrap_or(0);
        let original = payload.get("message").cloned();

        let mut state = self.inner.state();
        state.interactions.insert(
            interaction.id,
            InteractionState {
                id: interaction.id,
                token: interaction.token.clone(),
                interaction_type,
                channel_id,
                sent_at: self.inner.now(),
                callback_type: None,
                acknowledged_at: None,
                expired_unacknowledged: false,
                original,
                placeholder_pending: false,
                followups: Vec::new(),
            },
        );
        state
            .interaction_by_token
            .insert(interaction.token.clone(), interaction.id);
    }

    /// Sends any dispatch event (`op` 0) to the current gateway connection, e.g.
    /// `GUILD_DELETE`, and returns its sequence number.
    ///
    /// Panics if no connection has identified yet.
    pub fn send_dispatch(&self, event_name: &str, data: Value) -> u64 {
        let mut state = self.inner.state();
        let connection = state
            .gateway
            .as_mut()
            .expect("no identified gateway connection; await wait_identified() first");
        connection.sequence += 1;
        let sequence = connection.sequence;
        let frame = serde_json::json!({"op": 0, "s": sequence, "t": event_name, "d": data});
        if connection
            .sender
            .send(Outbound::Text(frame.to_string()))
            .is_err()
        {
            panic!("the gateway connection closed before {event_name} could be sent");
        }
        sequence
    }

    /// Closes the current gateway connection with `code` (e.g. 4000 "Unknown error", after
    /// which serenity reconnects). Does nothing if no connection is open.
    pub fn close_gateway(&self, code: u16) {
        if let Some(connection) = self.inner.state().gateway.take() {
            let _ = connection
                .sender
                .send(Outbound::Close(code, "closed by the test".to_owned()));
        }
    }
}
