//! The load and footprint parts: one bot process on the million-paper store, timed from spawn
//! to ready, measured idle, then sent a burst of slash commands and autocompletes.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde_json::json;

use crate::bot::{Bot, Memory};
use crate::report::{mib, millis, Latencies};
use crate::support::payloads::{GUILD_ID, TOKEN};
use crate::support::{BuiltInteraction, FakeDiscord, InteractionBuilder};

/// Interactions sent at once; the batches are spread evenly over the send time.
const BATCH: usize = 20;

/// Discord's deadline for the first response to an interaction.
const DEADLINE: Duration = Duration::from_secs(3);

/// How long the run waits for the last responses before it reports the missing ones.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(60);

/// Search queries covering each syntax feature, with words common in the arXiv sample.
const QUERIES: &[&str] = &[
    "diffusion video",
    "\"language model\"",
    "transform*",
    "rlhf OR dpo",
    "graph neural -survey",
    "author:smith",
    "cat:cs.CL translation",
    "since:2024-06 reinforcement learning",
    "until:2018 convolutional",
    "has:code detection",
    "sort:date quantum",
    "sort:upvotes diffusion",
    "2001.50010",
    "https://arxiv.org/abs/2203.50100",
    "learning",
    "neural network optimization",
    "bayesian inference sampling",
    "robot* manipulation",
    "\"state space\" OR mamba",
    "image segmentation medical",
    "federated privacy",
    "attention -vision",
    "graph",
    "stochastic gradient descent convergence",
];

/// IDs for `/paper` and `/summary`: generated papers (keys from `YYMM.50000` up) and the
/// papers listed today.
const PAPER_IDS: &[&str] = &[
    "2001.50010",
    "1507.50200",
    "2212.50003",
    "1811.50420",
    "2406.51000",
    "9912.00001",
    "9912.00017",
    "https://arxiv.org/abs/2102.50077",
];

/// Partial IDs and titles typed into `/paper`'s autocomplete.
const PARTIALS: &[&str] = &[
    "2001.5",
    "9912",
    "1507.502",
    "diffusion",
    "2406.510",
    "",
    "22",
];

/// `/trending`'s window and `/summary`'s length are choice options, which Discord sends as
/// the index of the chosen value: 0, 1, 2 for today, this week, this month, and 0, 1 for
/// short, detailed.
const WINDOWS: u64 = 3;
const LENGTHS: u64 = 2;

/// The kind of one sent interaction, for per-kind figures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Search,
    Trending,
    Paper,
    Summary,
    Autocomplete,
}

/// Builds interaction `n` of the mix: 45 % `/search`, 15 % `/trending`, 15 % `/paper`, 10 %
/// `/summary` and 15 % autocomplete on `/paper`.
fn build(n: usize) -> (Kind, BuiltInteraction) {
    let pick = |items: &[&'static str]| items[n % items.len()];
    match n % 20 {
        0..=8 => {
            let query = pick(QUERIES);
            let built = InteractionBuilder::slash("search")
                .option("query", json!(query))
                .build();
            (Kind::Search, built)
        }
        9..=11 => {
            let built = InteractionBuilder::slash("trending")
                .option("window", json!(n as u64 % WINDOWS))
                .build();
            (Kind::Trending, built)
        }
        12..=14 => {
            let built = InteractionBuilder::slash("paper")
                .option("id", json!(pick(PAPER_IDS)))
                .build();
            (Kind::Paper, built)
        }
        15..=16 => {
            let built = InteractionBuilder::slash("summary")
                .option("id", json!(pick(PAPER_IDS)))
                .option("length", json!(n as u64 % LENGTHS))
                .build();
            (Kind::Summary, built)
        }
        _ => {
            let built = InteractionBuilder::autocomplete("paper", "id", pick(PARTIALS)).build();
            (Kind::Autocomplete, built)
        }
    }
}

/// Figures of one load run.
pub struct LoadOutcome {
    papers: u64,
    identify_after: Duration,
    registered_after: Duration,
    idle: Memory,
    under_load_peak_rss_kib: u64,
    after_load: Memory,
    send_span: Duration,
    sent: usize,
    /// Per kind: time from INTERACTION_CREATE to the accepted first response, at the fake.
    acknowledged: BTreeMap<Kind, Vec<Duration>>,
    unanswered: usize,
    over_deadline: usize,
    /// Per command: `elapsed_us` from the bot's `command finished` lines.
    server_side: BTreeMap<String, Vec<Duration>>,
    rejected_callbacks: usize,
    violations: Vec<String>,
}

/// Runs the bot on `db`, measures it idle, then sends `commands` interactions spread evenly
/// over `send_time` and waits for their responses.
/// With `one_at_a_time`, each interaction is sent only after the previous one received its
/// first response (or 5 s passed), which measures each command without queueing behind the others.
pub async fn run(
    db: &Path,
    commands: usize,
    send_time: Duration,
    one_at_a_time: bool,
) -> Result<LoadOutcome> {
    let batch_pause = send_time.mul_f64(BATCH as f64 / commands.max(1) as f64);
    let papers = paperboy::store::Store::open(db)?.paper_count()?;
    let discord = FakeDiscord::start().await;
    let bot = Bot::start(db, &discord.proxy_url(), TOKEN, GUILD_ID)?;

    discord
        .wait_identify_count(1, Duration::from_secs(60))
        .await
        .with_context(|| format!("the bot did not identify:\n{}", bot.log_tail(30)))?;
    let identify_after = bot.started_at.elapsed();
    let registration = discord
        .wait_for(
            |r| r.method == "PUT" && r.api_path().ends_with("/commands"),
            Duration::from_secs(60),
        )
        .await
        .with_context(|| format!("the bot did not register commands:\n{}", bot.log_tail(30)))?;
    let registered_after = registration.received_at.duration_since(bot.started_at);
    if !bot
        .wait_for_log_count("registered commands in guild", 1, Duration::from_secs(30))
        .await
    {
        bail!(
            "the bot did not log its command registration:\n{}",
            bot.log_tail(30)
        );
    }

    // Idle: connected, commands registered, nothing asked yet.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let idle = bot.memory()?;

    let mut sent = Vec::with_capacity(commands);
    let mut peak_rss = idle.rss_kib;
    let started = Instant::now();
    for n in 0..commands {
        let (kind, interaction) = build(n);
        discord.send_interaction(&interaction);
        sent.push((kind, interaction.id));
        if one_at_a_time {
            let id = interaction.id;
            discord
                .wait_for(
                    |r| r.interaction_id == Some(id) && r.path.ends_with("/callback"),
                    Duration::from_secs(5),
                )
                .await;
        } else if (n + 1) % BATCH == 0 {
            tokio::time::sleep(batch_pause).await;
            peak_rss = peak_rss.max(bot.memory()?.rss_kib);
        }
    }
    let send_span = started.elapsed();

    let slash_commands = sent
        .iter()
        .filter(|(k, _)| *k != Kind::Autocomplete)
        .count();
    let drain_deadline = Instant::now() + DRAIN_TIMEOUT;
    loop {
        peak_rss = peak_rss.max(bot.memory()?.rss_kib);
        let answered = sent
            .iter()
            .filter(|(_, id)| {
                discord
                    .interaction(*id)
                    .is_some_and(|v| v.acknowledged_after.is_some())
            })
            .count();
        let finished = bot
            .log()
            .iter()
            .filter(|line| line.contains("command finished"))
            .count();
        if (answered == sent.len() && finished >= slash_commands) || Instant::now() > drain_deadline
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let after_load = bot.memory()?;

    let mut acknowledged: BTreeMap<Kind, Vec<Duration>> = BTreeMap::new();
    let mut unanswered = 0;
    let mut over_deadline = 0;
    for (kind, id) in &sent {
        match discord.interaction(*id).and_then(|v| v.acknowledged_after) {
            Some(after) => {
                if after > DEADLINE {
                    over_deadline += 1;
                }
                acknowledged.entry(*kind).or_default().push(after);
            }
            None => unanswered += 1,
        }
    }
    let rejected_callbacks = discord
        .requests()
        .iter()
        .filter(|r| r.interaction_id.is_some() && r.status >= 400)
        .count();
    let log = bot.log();
    let server_side = parse_finished(&log);
    let log_path = db.with_extension("bot.log");
    std::fs::write(&log_path, log.join("\n"))
        .with_context(|| format!("cannot write the bot log to {}", log_path.display()))?;
    let violations = discord.violations();
    bot.stop().await;

    Ok(LoadOutcome {
        papers,
        identify_after,
        registered_after,
        idle,
        under_load_peak_rss_kib: peak_rss,
        after_load,
        send_span,
        sent: sent.len(),
        acknowledged,
        unanswered,
        over_deadline,
        server_side,
        rejected_callbacks,
        violations,
    })
}

/// Reads `command=NAME ... elapsed_us=N` from each `command finished` line.
fn parse_finished(log: &[String]) -> BTreeMap<String, Vec<Duration>> {
    let mut by_command: BTreeMap<String, Vec<Duration>> = BTreeMap::new();
    for line in log.iter().filter(|line| line.contains("command finished")) {
        let field = |name: &str| {
            line.split_whitespace()
                .find_map(|word| word.strip_prefix(name))
                .map(str::to_string)
        };
        let (Some(command), Some(elapsed)) = (field("command="), field("elapsed_us=")) else {
            continue;
        };
        if let Ok(micros) = elapsed.parse::<u64>() {
            by_command
                .entry(command)
                .or_default()
                .push(Duration::from_micros(micros));
        }
    }
    by_command
}

impl LoadOutcome {
    pub fn print(&self) {
        println!("\n== footprint (store of {} papers) ==", self.papers);
        println!(
            "ready: IDENTIFY after {:.0} ms, commands registered after {:.0} ms (goal <= 1000 ms)",
            millis(self.identify_after),
            millis(self.registered_after)
        );
        println!(
            "memory idle: VmRSS {:.1} MiB, VmHWM {:.1} MiB (goal <= 60 MB idle)",
            mib(self.idle.rss_kib),
            mib(self.idle.hwm_kib)
        );
        println!(
            "memory under load: peak VmRSS sampled {:.1} MiB, VmHWM after the load {:.1} MiB, \
             VmRSS after {:.1} MiB (goal <= 150 MB)",
            mib(self.under_load_peak_rss_kib),
            mib(self.after_load.hwm_kib),
            mib(self.after_load.rss_kib)
        );

        println!("\n== load ==");
        println!(
            "sent {} interactions in {:.2} s; without an accepted first response within 3 s: {} \
             ({} late responses that the fake accepted, the rest rejected as late or never sent); \
             rejected interaction requests: {}; fake Discord violations: {}",
            self.sent,
            self.send_span.as_secs_f64(),
            self.unanswered + self.over_deadline,
            self.over_deadline,
            self.rejected_callbacks,
            self.violations.len()
        );
        for violation in self.violations.iter().take(5) {
            println!("  violation: {violation}");
        }
        let mut all_server = Vec::new();
        for (command, samples) in &self.server_side {
            all_server.extend(samples.iter().copied());
            println!(
                "server-side /{command}: {}",
                Latencies::new(samples.clone()).summary()
            );
        }
        println!(
            "server-side, all slash commands: {} (goal p99 <= 50 ms)",
            Latencies::new(all_server).summary()
        );
        let mut all_acknowledged = Vec::new();
        for (kind, samples) in &self.acknowledged {
            all_acknowledged.extend(samples.iter().copied());
            println!(
                "at the fake, send to first response, {kind:?}: {}",
                Latencies::new(samples.clone()).summary()
            );
        }
        println!(
            "at the fake, send to first response, all: {}",
            Latencies::new(all_acknowledged).summary()
        );
    }
}
