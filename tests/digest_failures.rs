//! How digest delivery meets Discord's failures, through the fake Discord's scripted faults:
//! refused channels, per-route and global 429s, 5xx responses, timeouts, a 300-channel fan-out
//! under a concurrency bound, and the largest digest within Discord's message limits.

mod common;
mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::digests::{
    at, date, fast_options, linked_ids, papers_listed_on, proxied_sender, settings, store_papers,
    TestStore,
};
use common::in_flight::InFlightProxy;
use common::logs::LogCapture;
use paperboy::core::digest::describe_guild;
use paperboy::discord::{deliver_due, DigestSender, PosterOptions};
use paperboy::store::{DeliveryState, Digest, DigestSettings};
use serde_json::Value;
use support::payloads::TOKEN;
use support::{FakeDiscord, Fault, RecordedRequest};

struct World {
    discord: FakeDiscord,
    store: TestStore,
    sender: DigestSender,
}

impl World {
    async fn start() -> World {
        let discord = FakeDiscord::start().await;
        let sender = proxied_sender(&discord.proxy_url(), TOKEN, Duration::from_secs(5));
        World {
            discord,
            store: TestStore::new(),
            sender,
        }
    }

    async fn add_digest(&self, settings: DigestSettings, created: &str) -> Digest {
        let created = at(created);
        self.store
            .with(move |s| s.upsert_digest(&settings, None, created))
            .await
    }

    async fn digest(&self, id: i64) -> Digest {
        self.store.with(move |s| s.digest_by_id(id)).await.unwrap()
    }

    async fn deliver_with(&self, options: &PosterOptions, now: &str) -> usize {
        deliver_due(&self.sender, &self.store.store, options, at(now))
            .await
            .unwrap()
    }

    async fn deliver(&self, now: &str) -> usize {
        self.deliver_with(&fast_options(), now).await
    }

    fn requests(&self, channel_id: u64) -> Vec<RecordedRequest> {
        self.discord
            .requests_matching("POST", &format!("/channels/{channel_id}/messages"))
    }

    async fn delivery_state(&self, digest_id: i64, day: &str) -> Option<DeliveryState> {
        let day = date(day);
        self.store
            .with(move |s| s.delivery(digest_id, day))
            .await
            .map(|d| d.state)
    }

    /// Five papers listed on `day` and observed at 06:00 UTC that day.
    async fn list_papers(&self, prefix: &str, day: &str) {
        let observed = at(&format!("{day}T06:00:00Z"));
        store_papers(
            &self.store,
            papers_listed_on(prefix, date(day), 5),
            observed,
        )
        .await;
    }
}

/// Time from the first to the second request, as the fake recorded their arrival.
fn gap(first: &RecordedRequest, second: &RecordedRequest) -> Duration {
    second.received_at.duration_since(first.received_at)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_channels_fail_while_other_servers_post() {
    let world = World::start().await;
    let refusals = [
        (11, 1011, Fault::MissingPermissions, "Missing Permissions"),
        (12, 1012, Fault::MissingAccess, "Missing Access"),
        (13, 1013, Fault::UnknownChannel, "Unknown Channel"),
    ];
    let mut refused = Vec::new();
    for (guild, channel, fault, _) in &refusals {
        let digest = world
            .add_digest(
                settings(*guild, *channel, "09:00", "Europe/Paris"),
                "2026-08-17T12:00:00Z",
            )
            .await;
        world.discord.fail_channel(*channel, fault.clone());
        refused.push(digest);
    }
    world
        .add_digest(
            settings(14, 1014, "09:00", "Europe/Paris"),
            "2026-08-17T12:00:00Z",
        )
        .await;
    world.list_papers("2607", "2026-08-18").await;

    assert_eq!(world.deliver("2026-08-18T07:00:30Z").await, 1);
    assert_eq!(world.discord.channel_posts(1014).len(), 1);
    for ((guild, channel, _, reason), digest) in refusals.iter().zip(&refused) {
        assert_eq!(world.requests(*channel).len(), 1, "{reason}: no retry");
        let stored = world.digest(digest.id).await;
        let failing = stored.failing_reason.unwrap_or_default();
        assert!(failing.starts_with(reason), "{failing}");
        assert_eq!(
            world.delivery_state(digest.id, "2026-08-18").await,
            Some(DeliveryState::Failed)
        );
        let now = at("2026-08-18T08:00:00Z");
        let guild = *guild;
        let shown = world
            .store
            .with(move |s| describe_guild(s, guild, now))
            .await;
        assert!(shown.contains(&format!("failing: {reason}")), "{shown}");
        assert!(shown.contains(&format!("Last error: {reason}")), "{shown}");
        assert!(!shown.contains("Next post"), "{shown}");
    }

    // The next day the refused channels get no request; the healthy one posts again.
    world.list_papers("2608", "2026-08-19").await;
    assert_eq!(world.deliver("2026-08-19T07:00:30Z").await, 1);
    for (_, channel, _, reason) in &refusals {
        assert_eq!(world.requests(*channel).len(), 1, "{reason}: retried");
    }
    assert_eq!(world.discord.channel_posts(1014).len(), 2);

    // An admin fixes the permissions and runs `/digest set` again: posting resumes.
    world.discord.clear_channel_faults(1011);
    world
        .add_digest(
            settings(11, 1011, "09:00", "Europe/Paris"),
            "2026-08-19T12:00:00Z",
        )
        .await;
    world.list_papers("2609", "2026-08-20").await;
    assert_eq!(world.deliver("2026-08-20T07:00:30Z").await, 2);
    assert_eq!(world.discord.channel_posts(1011).len(), 1);
    assert!(world.digest(refused[0].id).await.failing_reason.is_none());
    world.discord.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_waits_retry_after() {
    let world = World::start().await;
    for (guild, channel) in [(21, 2021), (22, 2022)] {
        world
            .add_digest(
                settings(guild, channel, "09:00", "Europe/Paris"),
                "2026-08-17T12:00:00Z",
            )
            .await;
    }
    world.discord.fail_channel(
        2021,
        Fault::RateLimited {
            retry_after_secs: 0.4,
            global: false,
            times: 1,
        },
    );
    world.list_papers("2608", "2026-08-18").await;

    assert_eq!(world.deliver("2026-08-18T07:00:30Z").await, 2);
    let limited = world.requests(2021);
    assert_eq!(limited.len(), 2);
    assert_eq!(limited[0].status, 429);
    assert_eq!(limited[1].status, 200);
    let waited = gap(&limited[0], &limited[1]);
    assert!(
        waited >= Duration::from_millis(400),
        "retried after {waited:?}"
    );
    assert_eq!(world.discord.channel_posts(2021).len(), 1);

    // A route's 429 delays that channel only.
    let other = world.requests(2022);
    assert_eq!(other.len(), 1);
    assert!(
        other[0].received_at < limited[0].received_at + Duration::from_millis(400),
        "the other channel waited for the limited one"
    );
    world.discord.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn global_rate_limit_pauses_every_send() {
    let world = World::start().await;
    for (guild, channel) in [(31, 3031), (32, 3032)] {
        world
            .add_digest(
                settings(guild, channel, "09:00", "Europe/Paris"),
                "2026-08-17T12:00:00Z",
            )
            .await;
    }
    world.discord.fail_channel(
        3031,
        Fault::RateLimited {
            retry_after_secs: 0.5,
            global: true,
            times: 1,
        },
    );
    // The other channel's first post fails with a 500 after the global 429 has arrived, so
    // its retry, due after a 20 ms backoff, falls inside the global pause.
    world
        .discord
        .fail_channel(3032, Fault::Delay(Duration::from_millis(150)));
    world
        .discord
        .fail_channel(3032, Fault::ServerError { times: 1 });
    world.list_papers("2608", "2026-08-18").await;

    assert_eq!(world.deliver("2026-08-18T07:00:30Z").await, 2);
    let limited = world.requests(3031);
    let other = world.requests(3032);
    assert_eq!(limited.len(), 2);
    assert_eq!(other.len(), 2);
    let pause_end = limited[0].received_at + Duration::from_millis(500);
    assert!(limited[1].received_at >= pause_end);
    assert!(
        other[1].received_at >= pause_end,
        "the other channel retried {:?} after the global 429",
        other[1].received_at.duration_since(limited[0].received_at)
    );
    assert_eq!(world.discord.channel_posts(3031).len(), 1);
    assert_eq!(world.discord.channel_posts(3032).len(), 1);
    world.discord.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_back_off_exponentially() {
    let world = World::start().await;
    for (guild, channel) in [(41, 4041), (42, 4042)] {
        world
            .add_digest(
                settings(guild, channel, "09:00", "Europe/Paris"),
                "2026-08-17T12:00:00Z",
            )
            .await;
    }
    world
        .discord
        .fail_channel(4041, Fault::ServerError { times: 2 });
    world
        .discord
        .fail_channel(4042, Fault::BadGateway { times: 1 });
    world.list_papers("2608", "2026-08-18").await;
    let options = PosterOptions {
        first_backoff: Duration::from_millis(100),
        max_attempts: 4,
        ..fast_options()
    };

    assert_eq!(
        world.deliver_with(&options, "2026-08-18T07:00:30Z").await,
        2
    );
    let tries = world.requests(4041);
    let statuses: Vec<u16> = tries.iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![500, 500, 200]);
    assert!(gap(&tries[0], &tries[1]) >= Duration::from_millis(100));
    assert!(gap(&tries[1], &tries[2]) >= Duration::from_millis(200));
    let statuses: Vec<u16> = world.requests(4042).iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![502, 200]);
    assert_eq!(world.discord.channel_posts(4041).len(), 1);
    assert_eq!(world.discord.channel_posts(4042).len(), 1);
    world.discord.assert_no_violations();
}

/// Runs on the current thread, where the log capture records the poster's tasks.
#[tokio::test]
async fn persistent_errors_leave_slot_for_next_round() {
    let (logs, _guard) = LogCapture::start();
    let world = World::start().await;
    let digest = world
        .add_digest(
            settings(51, 5051, "09:00", "Europe/Paris"),
            "2026-08-17T12:00:00Z",
        )
        .await;
    world
        .discord
        .fail_channel(5051, Fault::ServerError { times: 10 });
    world.list_papers("2608", "2026-08-18").await;

    assert_eq!(world.deliver("2026-08-18T07:00:30Z").await, 0);
    assert_eq!(world.requests(5051).len(), 3, "max_attempts is 3");
    assert_eq!(
        world.delivery_state(digest.id, "2026-08-18").await,
        Some(DeliveryState::Claimed)
    );
    let stored = world.digest(digest.id).await;
    assert!(stored.failing_reason.is_none());
    let error = stored.last_error.unwrap_or_default();
    assert!(error.contains("500"), "{error}");

    world.discord.clear_channel_faults(5051);
    assert_eq!(world.deliver("2026-08-18T07:01:00Z").await, 1);
    assert_eq!(world.discord.channel_posts(5051).len(), 1);
    assert!(world.digest(digest.id).await.last_error.is_none());

    let text = logs.text();
    assert!(text.contains("digest message failed"), "{text}");
    assert!(!text.contains(TOKEN), "the token reached the log");
    assert!(!error.contains(TOKEN));
    world.discord.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timed_out_post_is_resent_once() {
    let discord = FakeDiscord::start().await;
    let store = TestStore::new();
    let sender = proxied_sender(&discord.proxy_url(), TOKEN, Duration::from_millis(150));
    let settings = settings(61, 6061, "09:00", "Europe/Paris");
    let created = at("2026-08-17T12:00:00Z");
    let digest = store
        .with(move |s| s.upsert_digest(&settings, None, created))
        .await;
    store_papers(
        &store,
        papers_listed_on("2608", date("2026-08-18"), 5),
        at("2026-08-18T06:00:00Z"),
    )
    .await;
    discord.fail_channel(6061, Fault::Delay(Duration::from_millis(400)));
    let options = PosterOptions {
        max_attempts: 2,
        ..fast_options()
    };

    let posted = deliver_due(&sender, &store.store, &options, at("2026-08-18T07:00:30Z"))
        .await
        .unwrap();
    assert_eq!(posted, 0);
    let id = digest.id;
    let error = store
        .with(move |s| s.digest_by_id(id))
        .await
        .unwrap()
        .last_error
        .unwrap_or_default();
    assert!(error.contains("timed out after 150 ms"), "{error}");

    // The fake may still create the timed-out messages; the resend carries the same nonce.
    discord.clear_channel_faults(6061);
    let posted = deliver_due(&sender, &store.store, &options, at("2026-08-18T07:01:00Z"))
        .await
        .unwrap();
    assert_eq!(posted, 1);
    // The fake handles the held requests of the first round 400 ms after each arrived. Wait
    // for all three to be recorded (at most a second, in case the fake dropped the held ones
    // when the client gave up), so that a late duplicate would be counted.
    let answered = std::cell::Cell::new(0);
    discord
        .wait_for(
            |r| {
                if r.api_path() == "/channels/6061/messages" {
                    answered.set(answered.get() + 1);
                }
                answered.get() >= 3
            },
            Duration::from_secs(1),
        )
        .await;
    assert_eq!(discord.channel_posts(6061).len(), 1);
    discord.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fan_out_of_300_channels_respects_the_bound() {
    const CHANNELS: u64 = 300;
    const BOUND: usize = 8;
    let discord = FakeDiscord::start().await;
    let proxy = InFlightProxy::start(&discord.proxy_url()).await;
    let sender = proxied_sender(proxy.url(), TOKEN, Duration::from_secs(10));
    let store = TestStore::new();
    let mut all = Vec::new();
    for i in 0..CHANNELS {
        let mut digest = settings(70_000 + i, 7_000_000 + i, "09:00", "Europe/Paris");
        digest.paper_count = 3;
        all.push(digest);
        // Each post takes a moment, so that sends overlap and the bound matters.
        discord.fail_channel(7_000_000 + i, Fault::Delay(Duration::from_millis(30)));
    }
    let created = at("2026-08-17T12:00:00Z");
    store
        .with(move |s| {
            for digest in &all {
                s.upsert_digest(digest, None, created)?;
            }
            Ok(())
        })
        .await;
    store_papers(
        &store,
        papers_listed_on("2608", date("2026-08-18"), 5),
        at("2026-08-18T06:00:00Z"),
    )
    .await;
    let options = PosterOptions {
        max_concurrent_sends: BOUND,
        ..fast_options()
    };

    let posted = deliver_due(&sender, &store.store, &options, at("2026-08-18T07:00:30Z"))
        .await
        .unwrap();
    assert_eq!(posted, CHANNELS as usize);
    for i in 0..CHANNELS {
        assert_eq!(discord.channel_posts(7_000_000 + i).len(), 1, "channel {i}");
    }
    assert_eq!(proxy.total(), CHANNELS as usize);
    let max = proxy.max_in_flight();
    assert!(max <= BOUND, "{max} posts in flight at once");
    assert!(max >= 2, "posts never overlapped");
    discord.assert_no_violations();
}

/// Without `discord.rest_proxy` the sender posts through serenity's `Http`. Here that client
/// points at the fake with its rate limiter off, so serenity returns Discord's errors as they
/// come and the poster's handling of serenity's errors runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serenity_transport_handles_the_same_failures() {
    let discord = FakeDiscord::start().await;
    let http = std::sync::Arc::new(discord.http());
    let sender = DigestSender::new(
        http,
        &paperboy::config::Secret::new(TOKEN),
        None,
        Duration::from_secs(5),
    )
    .unwrap();
    assert!(!sender.is_proxied());
    let store = TestStore::new();
    let channels = [(91, 9091), (92, 9092), (93, 9093)];
    let created = at("2026-08-17T12:00:00Z");
    let digests = store
        .with(move |s| {
            channels
                .iter()
                .map(|(guild, channel)| {
                    s.upsert_digest(
                        &settings(*guild, *channel, "09:00", "Europe/Paris"),
                        None,
                        created,
                    )
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .await;
    discord.fail_channel(9091, Fault::MissingPermissions);
    discord.fail_channel(
        9092,
        Fault::RateLimited {
            retry_after_secs: 0.1,
            global: false,
            times: 1,
        },
    );
    store_papers(
        &store,
        papers_listed_on("2608", date("2026-08-18"), 5),
        at("2026-08-18T06:00:00Z"),
    )
    .await;

    let posted = deliver_due(
        &sender,
        &store.store,
        &fast_options(),
        at("2026-08-18T07:00:30Z"),
    )
    .await
    .unwrap();
    assert_eq!(posted, 2);
    assert_eq!(discord.channel_posts(9091).len(), 0);
    assert_eq!(discord.channel_posts(9092).len(), 1);
    assert_eq!(discord.channel_posts(9093).len(), 1);
    let id = digests[0].id;
    let failing = store
        .with(move |s| s.digest_by_id(id))
        .await
        .unwrap()
        .failing_reason
        .unwrap_or_default();
    assert!(failing.starts_with("Missing Permissions"), "{failing}");
    discord.assert_no_violations();
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/hf")
        .join(name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn largest_digest_passes_discord_limits() {
    let world = World::start().await;
    let mut wide = settings(81, 8081, "09:00", "UTC");
    wide.paper_count = 25;
    world.add_digest(wide, "2025-09-30T00:00:00Z").await;

    // The largest saved day, observed at its end (1 Oct 00:00 UTC).
    let largest = fixture("daily_papers_2025-09-30_50items-limit-cap_submitterOrganization.json");
    world
        .store
        .with(move |s| {
            let reports = paperboy::ingest::ingest_files(s, &[largest], at("2025-10-02T00:00:00Z"));
            assert!(reports[0].error.is_none(), "{:?}", reports[0].error);
            Ok(())
        })
        .await;
    // The paper with 664 authors, from a saved January 2025 day, joins that day's list at the
    // top.
    let text = std::fs::read_to_string(fixture(
        "daily_papers_2025-01-27_664-author-paper_4items.json",
    ))
    .unwrap();
    let day = paperboy::sources::hf::parse_day(&text).unwrap();
    let mut crowded = day
        .papers
        .into_iter()
        .max_by_key(|p| p.authors.len())
        .unwrap();
    assert!(crowded.authors.len() >= 600, "{}", crowded.authors.len());
    crowded.daily_date = Some(date("2025-09-30"));
    crowded.upvotes = Some(10_000);
    let crowded_id = crowded.id.key().to_string();
    store_papers(&world.store, vec![crowded], at("2025-09-30T23:00:00Z")).await;

    assert_eq!(world.deliver("2025-10-01T09:00:10Z").await, 1);
    let posts: Vec<Value> = world.discord.channel_posts(8081);
    assert!(!posts.is_empty());
    let ids = linked_ids(&posts);
    assert_eq!(ids.len(), 25, "{ids:?}");
    assert_eq!(ids[0], crowded_id);
    assert!(world.requests(8081).iter().all(|r| r.status == 200));
    world.discord.assert_no_violations();
}
