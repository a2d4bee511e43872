//! The bot under load: the release `paperboy run` against the fake Discord on 127.0.0.1.
//!
//! * `load`: slash commands and autocompletes sent through the fake gateway within a few
//!   seconds to a bot with a million-paper store, with the time each took.
//! * `footprint`: resident memory idle and under that load, and the time to IDENTIFY and to
//!   command registration. It runs with `load`, on the same bot process.
//! * `fanout`: digests due at once, posted to a fake Discord that limits every client to a
//!   global rate of requests per second, with the total time and the 429s received.
//!
//! Run it with `cargo bench --bench load` (add `-- --help` for the options). Without
//! `--bench`, which only `cargo bench` passes, it exits at once, so `cargo test --all-targets`
//! neither builds a million-paper store nor starts a bot.

#[path = "../../tests/common/mod.rs"]
mod common;
// The search benchmark's generator; this benchmark uses only part of it.
#[allow(dead_code)]
#[path = "../search/corpus.rs"]
mod corpus;
#[path = "../../tests/support/mod.rs"]
mod support;

mod bot;
mod fanout;
mod interactions;
mod report;
mod store;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};

const USAGE: &str = "\
usage: cargo bench --bench load -- [options]
  --only NAME       run one part: load (with footprint) or fanout (default: both)
  --papers N        papers in the store of the load part (default 1000000)
  --commands N      interactions sent in the load part (default 1000)
  --send-seconds S  time over which they are sent, evenly (default 2.5)
  --one-at-a-time   send each interaction after the previous one was answered
  --digests N       digests posted in the fan-out part (default 10000)
  --rate N          global requests per second the fake allows in the fan-out (default 50)
  --dir PATH        where the stores are built (default target/load-bench)
  --corpus PATH     the arXiv sample (default ../shared/corpora/arxiv-metadata-sample-50k.jsonl.gz)
  --reuse           keep the store built by an earlier run with the same --papers";

pub struct Options {
    pub only: Option<String>,
    pub papers: usize,
    pub commands: usize,
    pub send_seconds: f64,
    pub one_at_a_time: bool,
    pub digests: usize,
    pub rate: u32,
    pub dir: PathBuf,
    pub corpus: PathBuf,
    pub reuse: bool,
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.iter().any(|a| a == "--bench") {
        println!("load benchmark skipped: run it with `cargo bench --bench load`");
        return Ok(());
    }
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return Ok(());
    }
    let options = parse_options(&args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(run(&options))
}

fn parse_options(args: &[String]) -> Result<Options> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut options = Options {
        only: None,
        papers: 1_000_000,
        commands: 1_000,
        send_seconds: 2.5,
        one_at_a_time: false,
        digests: 10_000,
        rate: 50,
        dir: root.join("target/load-bench"),
        corpus: root.join("../shared/corpora/arxiv-metadata-sample-50k.jsonl.gz"),
        reuse: false,
    };
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let mut value = || {
            iter.next()
                .with_context(|| format!("{arg} needs a value\n{USAGE}"))
        };
        match arg.as_str() {
            "--bench" => {}
            "--only" => options.only = Some(value()?.clone()),
            "--papers" => options.papers = number(arg, value()?)?,
            "--commands" => options.commands = number(arg, value()?)?,
            "--send-seconds" => options.send_seconds = number(arg, value()?)?,
            "--digests" => options.digests = number(arg, value()?)?,
            "--rate" => options.rate = number(arg, value()?)?,
            "--dir" => options.dir = PathBuf::from(value()?),
            "--corpus" => options.corpus = PathBuf::from(value()?),
            "--reuse" => options.reuse = true,
            "--one-at-a-time" => options.one_at_a_time = true,
            other => bail!("unknown option {other}\n{USAGE}"),
        }
    }
    if let Some(only) = &options.only {
        if only != "load" && only != "fanout" {
            bail!("--only takes load or fanout, not {only}\n{USAGE}");
        }
    }
    Ok(options)
}

fn number<T: std::str::FromStr>(option: &str, value: &str) -> Result<T> {
    value
        .parse()
        .ok()
        .with_context(|| format!("{option} takes a positive number, not {value:?}"))
}

async fn run(options: &Options) -> Result<()> {
    report::print_machine();
    let wanted = |part: &str| options.only.as_deref().is_none_or(|only| only == part);
    if wanted("load") {
        let db =
            store::million_store(&options.dir, &options.corpus, options.papers, options.reuse)?;
        let send_time = Duration::from_secs_f64(options.send_seconds.max(0.0));
        let one_at_a_time = options.one_at_a_time;
        let outcome = interactions::run(&db, options.commands, send_time, one_at_a_time).await?;
        outcome.print();
    }
    if wanted("fanout") {
        let outcome = fanout::run(&options.dir, options.digests, options.rate).await?;
        outcome.print();
    }
    Ok(())
}
