//! Exactly-once digest delivery, driven by calling `paperboy::discord::deliver_due` with fixed
//! instants against the fake Discord: one post per local date across midnight, a restart
//! after each step of a delivery, catch-up after downtime, empty days, and `/digest show`.

mod common;
mod support;

use std::time::Duration;

use common::digests::{
    at, date, fast_options, linked_ids, papers_listed_on, proxied_sender, settings, store_papers,
    TestStore,
};
use common::logs::LogCapture;
use paperboy::core::digest::describe_guild;
use paperboy::discord::{deliver_due, DigestSender};
use paperboy::store::{DeliveryState, Digest, DigestSettings};
use serde_json::Value;
use support::payloads::TOKEN;
use support::{FakeDiscord, RecordedRequest};

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

    /// Runs one poster round at `now` and returns how many digests it posted.
    async fn deliver(&self, now: &str) -> usize {
        deliver_due(&self.sender, &self.store.store, &fast_options(), at(now))
            .await
            .unwrap()
    }

    fn posts(&self, channel_id: u64) -> Vec<Value> {
        self.discord.channel_posts(channel_id)
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

    async fn show(&self, guild_id: u64, now: &str) -> String {
        let now = at(now);
        self.store
            .with(move |s| describe_guild(s, guild_id, now))
            .await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_post_per_local_date_across_midnight() {
    let world = World::start().await;
    let digest = world
        .add_digest(
            settings(1, 101, "23:30", "America/New_York"),
            "2026-08-17T12:00:00Z",
        )
        .await;
    let first_day = papers_listed_on("2607", date("2026-08-18"), 5);
    store_papers(&world.store, first_day, at("2026-08-18T20:00:00Z")).await;

    // 23:40 on Tue 18 Aug in New York: the slot of 18 Aug is due.
    assert_eq!(world.deliver("2026-08-19T03:40:00Z").await, 1);
    // 00:10 on 19 Aug: a new local date, but its 23:30 has not come; 18 Aug is done.
    assert_eq!(world.deliver("2026-08-19T04:10:00Z").await, 0);
    assert_eq!(world.delivery_state(digest.id, "2026-08-19").await, None);

    let second_day = papers_listed_on("2608", date("2026-08-19"), 5);
    store_papers(&world.store, second_day, at("2026-08-19T20:00:00Z")).await;
    // 23:35 on 19 Aug, then 00:05 on 20 Aug.
    assert_eq!(world.deliver("2026-08-20T03:35:00Z").await, 1);
    assert_eq!(world.deliver("2026-08-20T04:05:00Z").await, 0);

    let posts = world.posts(101);
    assert_eq!(posts.len(), 2, "{posts:?}");
    assert!(linked_ids(&posts[..1])
        .iter()
        .all(|id| id.starts_with("2607.")));
    assert!(linked_ids(&posts[1..])
        .iter()
        .all(|id| id.starts_with("2608.")));
    assert_eq!(linked_ids(&posts[..1]).len(), 5);
    assert_ne!(posts[0]["nonce"], posts[1]["nonce"]);
    assert_eq!(posts[0]["enforce_nonce"], true);
    for day in ["2026-08-18", "2026-08-19"] {
        assert_eq!(
            world.delivery_state(digest.id, day).await,
            Some(DeliveryState::Sent),
            "{day}"
        );
    }
    world.discord.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_after_claim_posts_exactly_once() {
    let world = World::start().await;
    let digest = world
        .add_digest(
            settings(1, 111, "09:00", "Europe/Paris"),
            "2026-08-17T12:00:00Z",
        )
        .await;
    store_papers(
        &world.store,
        papers_listed_on("2608", date("2026-08-18"), 5),
        at("2026-08-18T06:00:00Z"),
    )
    .await;
    // A crash right after the claim leaves the row claimed, and nothing reached Discord.
    let id = digest.id;
    world
        .store
        .with(move |s| {
            s.claim_delivery(id, date("2026-08-18"), "pb-any", at("2026-08-18T07:00:01Z"))
        })
        .await;

    assert_eq!(world.deliver("2026-08-18T07:00:30Z").await, 1);
    let requests = world.requests(111);
    assert_eq!(requests.len(), 1);
    let body = requests[0].body.as_ref().unwrap();
    assert_eq!(body["nonce"], format!("pb{id}d20260818m0"));
    assert_eq!(
        world.delivery_state(id, "2026-08-18").await,
        Some(DeliveryState::Sent)
    );

    // Once recorded, later rounds of the same day send nothing at all.
    assert_eq!(world.deliver("2026-08-18T07:01:00Z").await, 0);
    assert_eq!(world.deliver("2026-08-18T09:00:00Z").await, 0);
    assert_eq!(world.requests(111).len(), 1);
    world.discord.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resumed_slot_keeps_chosen_papers() {
    let world = World::start().await;
    let digest = world
        .add_digest(
            settings(1, 121, "09:00", "Europe/Paris"),
            "2026-08-17T12:00:00Z",
        )
        .await;
    store_papers(
        &world.store,
        papers_listed_on("2608", date("2026-08-18"), 5),
        at("2026-08-18T06:00:00Z"),
    )
    .await;
    // The crash came after the papers were chosen. An ingest may have changed the ranking
    // since, but the resumed post keeps the stored choice and its order.
    let id = digest.id;
    world
        .store
        .with(move |s| {
            let day = date("2026-08-18");
            let now = at("2026-08-18T07:00:01Z");
            s.claim_delivery(id, day, "pb-any", now)?;
            s.record_composition(id, day, &["2608.00004".into(), "2608.00002".into()], now)
        })
        .await;

    assert_eq!(world.deliver("2026-08-18T07:00:30Z").await, 1);
    assert_eq!(
        linked_ids(&world.posts(121)),
        vec!["2608.00004", "2608.00002"]
    );
    world.discord.assert_no_violations();
}

/// Marks a slot as claimed and unfinished, keeping `confirmed` message ids: the state a crash
/// leaves when it strikes after Discord created the messages but before the store recorded
/// all of them.
fn forget_outcome(store: &TestStore, digest_id: i64, day: &str, confirmed: &[String]) {
    let confirmed = serde_json::to_string(confirmed).unwrap();
    store
        .sql()
        .execute(
            "UPDATE deliveries SET state = 'claimed', finished_at = NULL, message_ids = ?3 \
             WHERE digest_id = ?1 AND local_date = ?2",
            rusqlite::params![digest_id, day, confirmed],
        )
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sent_but_unrecorded_post_is_dropped_by_nonce() {
    let world = World::start().await;
    let digest = world
        .add_digest(
            settings(1, 131, "09:00", "Europe/Paris"),
            "2026-08-17T12:00:00Z",
        )
        .await;
    store_papers(
        &world.store,
        papers_listed_on("2608", date("2026-08-18"), 5),
        at("2026-08-18T06:00:00Z"),
    )
    .await;
    assert_eq!(world.deliver("2026-08-18T07:00:30Z").await, 1);
    forget_outcome(&world.store, digest.id, "2026-08-18", &[]);

    world.deliver("2026-08-18T07:01:00Z").await;
    assert_eq!(world.requests(131).len(), 2, "the message is sent again");
    assert_eq!(world.posts(131).len(), 1, "Discord keeps one post");
    assert_eq!(world.discord.deduplicated_posts(131).len(), 1);
    assert_eq!(
        world.delivery_state(digest.id, "2026-08-18").await,
        Some(DeliveryState::Sent)
    );
    world.discord.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resumed_slot_skips_confirmed_messages() {
    let world = World::start().await;
    let mut wide = settings(1, 141, "09:00", "Europe/Paris");
    wide.paper_count = 25;
    let digest = world.add_digest(wide, "2026-08-17T12:00:00Z").await;
    let mut papers = papers_listed_on("2608", date("2026-08-18"), 25);
    for paper in &mut papers {
        paper.abstract_text = "Diffusion models sample images step by step. ".repeat(8);
    }
    store_papers(&world.store, papers, at("2026-08-18T06:00:00Z")).await;

    assert_eq!(world.deliver("2026-08-18T07:00:30Z").await, 1);
    let posted = world.posts(141);
    assert!(posted.len() >= 2, "25 papers fit one message: {posted:?}");
    assert_eq!(linked_ids(&posted).len(), 25);

    // The crash struck after Discord confirmed the first message only.
    let first_id = world.discord.channel_messages(141)[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    forget_outcome(&world.store, digest.id, "2026-08-18", &[first_id]);
    let before = world.requests(141).len();
    world.deliver("2026-08-18T07:01:00Z").await;

    let resent = &world.requests(141)[before..];
    assert_eq!(resent.len(), posted.len() - 1, "only unconfirmed messages");
    assert!(resent
        .iter()
        .all(|r| r.body.as_ref().unwrap()["nonce"] != posted[0]["nonce"]));
    assert_eq!(world.posts(141).len(), posted.len());
    world.discord.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downtime_catch_up_stops_at_the_window() {
    let world = World::start().await;
    // At 12:00 in Paris, the 09:01 slot is 179 minutes late and the 08:59 slot 181.
    let inside = world
        .add_digest(
            settings(1, 151, "09:01", "Europe/Paris"),
            "2026-08-17T12:00:00Z",
        )
        .await;
    let outside = world
        .add_digest(
            settings(2, 152, "08:59", "Europe/Paris"),
            "2026-08-17T12:00:00Z",
        )
        .await;
    store_papers(
        &world.store,
        papers_listed_on("2608", date("2026-08-18"), 5),
        at("2026-08-18T06:00:00Z"),
    )
    .await;

    assert_eq!(world.deliver("2026-08-18T10:00:00Z").await, 1);
    assert_eq!(world.posts(151).len(), 1);
    assert!(world.requests(152).is_empty());
    assert_eq!(
        world.delivery_state(inside.id, "2026-08-18").await,
        Some(DeliveryState::Sent)
    );
    assert_eq!(world.delivery_state(outside.id, "2026-08-18").await, None);

    let shown = world.show(2, "2026-08-18T10:00:00Z").await;
    assert!(
        shown.contains("Next post: Wed 19 Aug 2026 08:59 CEST (06:59 UTC)"),
        "{shown}"
    );
    assert!(shown.contains("Last delivery: none yet"), "{shown}");
    world.discord.assert_no_violations();
}

/// Runs on the current thread, where the log capture records the poster's tasks.
#[tokio::test]
async fn empty_day_is_announced_only_when_asked() {
    let (logs, _guard) = LogCapture::start();
    let world = World::start().await;
    let mut announced = settings(1, 161, "09:00", "Europe/Paris");
    announced.keywords = vec!["quantum chromodynamics".to_string()];
    announced.announce_empty = true;
    let mut quiet = announced.clone();
    quiet.guild_id = 2;
    quiet.channel_id = 162;
    quiet.announce_empty = false;
    let announced = world.add_digest(announced, "2026-08-17T12:00:00Z").await;
    let quiet = world.add_digest(quiet, "2026-08-17T12:00:00Z").await;
    store_papers(
        &world.store,
        papers_listed_on("2608", date("2026-08-18"), 5),
        at("2026-08-18T06:00:00Z"),
    )
    .await;

    assert_eq!(world.deliver("2026-08-18T07:00:30Z").await, 1);
    let notice = world.posts(161);
    assert_eq!(notice.len(), 1);
    assert!(
        notice[0].to_string().contains("No new papers matched"),
        "{}",
        notice[0]
    );
    assert!(world.requests(162).is_empty());
    for digest in [&announced, &quiet] {
        assert_eq!(
            world.delivery_state(digest.id, "2026-08-18").await,
            Some(DeliveryState::Empty)
        );
        let channel = format!("channel_id={}", digest.settings.channel_id);
        let warned = logs.lines_with(&["WARN", "no papers match this digest today", &channel]);
        assert_eq!(warned.len(), 1, "{}", logs.text());
    }

    assert_eq!(world.deliver("2026-08-18T07:01:00Z").await, 0);
    assert_eq!(world.posts(161).len(), 1);
    world.discord.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn show_gives_local_and_utc_times() {
    let world = World::start().await;
    world
        .add_digest(
            settings(1, 171, "09:00", "Europe/Paris"),
            "2026-08-17T12:00:00Z",
        )
        .await;
    world
        .add_digest(
            settings(1, 172, "07:00", "Australia/Sydney"),
            "2026-08-17T12:00:00Z",
        )
        .await;
    store_papers(
        &world.store,
        papers_listed_on("2608", date("2026-08-18"), 5),
        at("2026-08-18T06:00:00Z"),
    )
    .await;
    assert_eq!(world.deliver("2026-08-18T07:00:20Z").await, 1);

    let shown = world.show(1, "2026-08-18T08:00:00Z").await;
    assert!(
        shown.contains("Next post: Wed 19 Aug 2026 09:00 CEST (07:00 UTC)"),
        "{shown}"
    );
    assert!(
        shown.contains(
            "Last delivery: Tue 18 Aug 2026, 5 papers posted at Tue 18 Aug 2026 09:00 CEST \
             (07:00 UTC)"
        ),
        "{shown}"
    );
    // Sydney's next 07:00 is still on the previous date in UTC.
    assert!(
        shown.contains("Next post: Wed 19 Aug 2026 07:00 AEST (Tue 18 Aug 21:00 UTC)"),
        "{shown}"
    );
    assert!(!shown.contains("Last error"), "{shown}");
}
