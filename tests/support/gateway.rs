//! The fake gateway: HELLO, IDENTIFY, READY, heartbeat ACKs and test-injected dispatches over
//! plain `ws://` text frames, which serenity 0.12.5 accepts without compression.

use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use super::fake_discord::{GatewayConnection, Inner, Outbound};
use super::payloads;

/// Intents Discord treats as privileged: GUILD_MEMBERS, GUILD_PRESENCES and MESSAGE_CONTENT.
const PRIVILEGED_INTENTS: u64 = (1 << 1) | (1 << 8) | (1 << 15);

const OP_DISPATCH: u64 = 0;
const OP_HEARTBEAT: u64 = 1;
const OP_IDENTIFY: u64 = 2;
const OP_RESUME: u64 = 6;
const OP_INVALID_SESSION: u64 = 9;
const OP_HELLO: u64 = 10;
const OP_HEARTBEAT_ACK: u64 = 11;

/// Close codes from Discord's gateway documentation.
const CLOSE_AUTHENTICATION_FAILED: u16 = 4004;
const CLOSE_DISALLOWED_INTENTS: u16 = 4014;

type Socket = WebSocketStream<TcpStream>;

pub(super) async fn accept_loop(listener: TcpListener, inner: Arc<Inner>) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                // Without it, a dispatch sent while the previous one is unacknowledged waits
                // for the client's delayed ACK, up to 40 ms, which no real gateway adds.
                let _ = stream.set_nodelay(true);
                tokio::spawn(serve_connection(stream, inner.clone()));
            }
            Err(error) => {
                eprintln!("fake gateway: accept failed: {error}");
                return;
            }
        }
    }
}

async fn serve_connection(stream: TcpStream, inner: Arc<Inner>) {
    let mut socket = match tokio_tungstenite::accept_async(stream).await {
        Ok(socket) => socket,
        Err(error) => {
            inner
                .state()
                .violation(format!("gateway: WebSocket handshake failed: {error}"));
            return;
        }
    };

    let interval_ms = inner.config.heartbeat_interval.as_millis() as u64;
    let hello =
        json!({"op": OP_HELLO, "s": null, "t": null, "d": {"heartbeat_interval": interval_ms}});
    if send_json(&mut socket, &hello).await.is_err() {
        return;
    }

    let Some(identify) = read_until_identify(&mut socket, &inner).await else {
        return;
    };
    if let Some((code, reason)) = check_identify(&inner, &identify) {
        let _ = close(&mut socket, code, &reason).await;
        return;
    }

    let (sender, receiver) = mpsc::unbounded_channel();
    let connection_id = {
        let mut state = inner.state();
        state.next_connection_id += 1;
        let connection_id = state.next_connection_id;
        let shard = identify.get("shard").cloned().unwrap_or(json!([0, 1]));
        let ready = payloads::ready_data(
            inner.config.application_id,
            &inner.config.bot_username,
            &inner.config.guild_ids,
            &format!("fake-session-{connection_id}"),
            &inner.gateway_url(),
            shard,
        );
        let frame = json!({"op": OP_DISPATCH, "s": 1, "t": "READY", "d": ready});
        // Queued before the connection becomes visible, so READY precedes any test dispatch.
        sender
            .send(Outbound::Text(frame.to_string()))
            .expect("receiver is alive");
        state.gateway = Some(GatewayConnection {
            connection_id,
            sender,
            sequence: 1,
        });
        state.identifies.push(identify);
        connection_id
    };
    inner.identifies_changed.send_modify(|count| *count += 1);

    run_session(socket, receiver, &inner).await;

    let mut state = inner.state();
    if state
        .gateway
        .as_ref()
        .is_some_and(|current| current.connection_id == connection_id)
    {
        state.gateway = None;
    }
}

/// Reads frames until IDENTIFY, ACKing heartbeats and rejecting RESUME. The fake keeps no
/// sessions, so it sends op 9 "invalid session, not resumable" and the client identifies anew.
async fn read_until_identify(socket: &mut Socket, inner: &Inner) -> Option<Value> {
    while let Some(frame) = socket.next().await {
        let text = match frame {
            Ok(Message::Text(text)) => text,
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => continue,
        };
        let Some(payload) = parse_payload(&text, inner) else {
            continue;
        };
        match payload["op"].as_u64() {
            Some(OP_IDENTIFY) => return Some(payload["d"].clone()),
            Some(OP_HEARTBEAT) => {
                send_json(socket, &json!({"op": OP_HEARTBEAT_ACK}))
                    .await
                    .ok()?;
            }
            Some(OP_RESUME) => {
                send_json(socket, &json!({"op": OP_INVALID_SESSION, "d": false}))
                    .await
                    .ok()?;
            }
            _ => {}
        }
    }
    None
}

/// Returns the close code and reason Discord would use if the IDENTIFY is unacceptable, and
/// records the violation.
fn check_identify(inner: &Inner, identify: &Value) -> Option<(u16, String)> {
    let expected = inner.expected_authorization();
    let token = identify["token"].as_str().unwrap_or_default();
    if token != expected {
        let problem = if token.is_empty() {
            "missing"
        } else {
            "not the configured token"
        };
        inner.state().violation(format!(
            "gateway: IDENTIFY token is {problem}; expected \"Bot <configured token>\""
        ));
        return Some((
            CLOSE_AUTHENTICATION_FAILED,
            "Authentication failed.".to_owned(),
        ));
    }

    let Some(intents) = identify["intents"].as_u64() else {
        inner
            .state()
            .violation("gateway: IDENTIFY has no integer `intents`".to_owned());
        return Some((CLOSE_DISALLOWED_INTENTS, "Disallowed intent(s).".to_owned()));
    };
    let privileged = intents & PRIVILEGED_INTENTS;
    if privileged != 0 {
        inner.state().violation(format!(
            "gateway: IDENTIFY requests privileged intents (bits {privileged:#x} of {intents:#x})"
        ));
        return Some((CLOSE_DISALLOWED_INTENTS, "Disallowed intent(s).".to_owned()));
    }
    None
}

async fn run_session(
    mut socket: Socket,
    mut receiver: mpsc::UnboundedReceiver<Outbound>,
    inner: &Inner,
) {
    loop {
        tokio::select! {
            frame = socket.next() => {
                let text = match frame {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Close(_))) => {
                        // tungstenite has queued the echoing close frame; closing flushes it.
                        let _ = socket.close(None).await;
                        return;
                    }
                    Some(Ok(_)) => continue,
                    Some(Err(_)) | None => return,
                };
                if respond_to_frame(&mut socket, &text, inner).await.is_err() {
                    return;
                }
            }
            outbound = receiver.recv() => match outbound {
                Some(Outbound::Text(text)) => {
                    if socket.send(Message::Text(text)).await.is_err() {
                        return;
                    }
                }
                Some(Outbound::Close(code, reason)) => {
                    let _ = close(&mut socket, code, &reason).await;
                    return;
                }
                None => return,
            },
        }
    }
}

/// Handles one client frame of an identified session: ACKs heartbeats and records a repeated
/// IDENTIFY as a violation. Other opcodes (presence updates, for example) are ignored.
async fn respond_to_frame(
    socket: &mut Socket,
    text: &str,
    inner: &Inner,
) -> Result<(), tokio_tungstenite::tungstenite::Error> {
    let Some(payload) = parse_payload(text, inner) else {
        return Ok(());
    };
    match payload["op"].as_u64() {
        Some(OP_HEARTBEAT) => send_json(socket, &json!({"op": OP_HEARTBEAT_ACK})).await,
        Some(OP_IDENTIFY) => {
            inner
                .state()
                .violation("gateway: second IDENTIFY on an identified connection".to_owned());
            Ok(())
        }
        _ => Ok(()),
    }
}

fn parse_payload(text: &str, inner: &Inner) -> Option<Value> {
    match serde_json::from_str::<Value>(text) {
        Ok(payload) => Some(payload),
        Err(error) => {
            inner
                .state()
                .violation(format!("gateway: frame is not JSON ({error}): {text}"));
            None
        }
    }
}

async fn send_json(
    socket: &mut Socket,
    payload: &Value,
) -> Result<(), tokio_tungstenite::tungstenite::Error> {
    socket.send(Message::Text(payload.to_string())).await
}

async fn close(
    socket: &mut Socket,
    code: u16,
    reason: &str,
) -> Result<(), tokio_tungstenite::tungstenite::Error> {
    let frame = CloseFrame {
        code: CloseCode::from(code),
        reason: reason.to_owned().into(),
    };
    socket.close(Some(frame)).await
}
