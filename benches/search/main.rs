//! Search at scale: builds a store of a million papers and measures ingest, size and query
//! latency per query class, for Paperboy's SQLite search and for tantivy on the same papers.
//!
//! Run it with `cargo bench --bench search` (add `-- --help` for the options). Without
//! `--bench`, which only `cargo bench` passes, it exits at once, so `cargo test --all-targets`
//! does not build a million-paper store. It reads the arXiv sample from
//! `../shared/corpora/arxiv-metadata-sample-50k.jsonl.gz` next to the repository unless
//! `--corpus` names another file, and writes its stores under `target/search-bench/`.

mod corpus;
mod engine_tantivy;
mod queries;
mod report;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use chrono::{DateTime, TimeZone, Utc};

use corpus::{Corpus, Slot};
use engine_tantivy::TantivyIndex;
use paperboy::paper::Paper;
use paperboy::store::Store;
use queries::{BenchQuery, Class};
use report::{Latencies, Report};

const USAGE: &str = "\
usage: cargo bench --bench search -- [options]
  --papers N      papers in the store, real ones included (default 1000000)
  --dir PATH      where the stores are built (default target/search-bench)
  --corpus PATH   the arXiv sample (default ../shared/corpora/arxiv-metadata-sample-50k.jsonl.gz)
  --reuse         keep stores built by an earlier run with the same --papers
  --no-tantivy    measure Paperboy only
  --repeat N      timed runs of each query (default 5)
  --build-only    stop after building the stores";

/// Papers written per `bulk_insert` call, so memory stays flat whatever the total.
const CHUNK: usize = 20_000;

/// Results per page, as `/search` shows them.
const PAGE: usize = 10;

struct Options {
    papers: usize,
    dir: PathBuf,
    corpus: PathBuf,
    reuse: bool,
    tantivy: bool,
    repeat: usize,
    build_only: bool,
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.iter().any(|a| a == "--bench") {
        println!("search benchmark skipped: run it with `cargo bench --bench search`");
        return Ok(());
    }
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return Ok(());
    }
    let options = parse_options(&args)?;
    run(&options)
}

fn parse_options(args: &[String]) -> Result<Options> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut options = Options {
        papers: 1_000_000,
        dir: root.join("target/search-bench"),
        corpus: root.join("../shared/corpora/arxiv-metadata-sample-50k.jsonl.gz"),
        reuse: false,
        tantivy: true,
        repeat: 5,
        build_only: false,
    };
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let mut value = || {
            iter.next()
                .with_context(|| format!("{arg} needs a value\n{USAGE}"))
        };
        match arg.as_str() {
            "--bench" => {}
            "--papers" => options.papers = value()?.parse().context("--papers takes a number")?,
            "--dir" => options.dir = PathBuf::from(value()?),
            "--corpus" => options.corpus = PathBuf::from(value()?),
            "--reuse" => options.reuse = true,
            "--no-tantivy" => options.tantivy = false,
            "--build-only" => options.build_only = true,
            "--repeat" => options.repeat = value()?.parse().context("--repeat takes a number")?,
            other => bail!("unknown option {other}\n{USAGE}"),
        }
    }
    Ok(options)
}

fn run(options: &Options) -> Result<()> {
    let mut report = Report::new(options.papers);
    let started = Instant::now();
    let corpus = corpus::load(&options.corpus)?;
    let fixtures = fixture_files()?;
    let generated_count = options
        .papers
        .saturating_sub(corpus.real.len() + report::FIXTURE_PAPERS);
    let slots = corpus::plan_generated(generated_count, 20_261_204, &corpus.real_ids());
    report.corpus_seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "loaded {} real papers ({} left out for invalid IDs) and planned {} generated ones in {:.1} s",
        corpus.real.len(),
        corpus.unreadable_ids,
        slots.len(),
        report.corpus_seconds
    );

    std::fs::create_dir_all(&options.dir)?;
    let store = build_store(options, &corpus, &slots, &fixtures, &mut report)?;
    let mut tantivy = if options.tantivy {
        Some(build_tantivy(options, &corpus, &slots, &mut report)?)
    } else {
        None
    };
    if let Some(index) = tantivy.as_mut() {
        index.open_reader()?;
    }
    if options.build_only {
        report.print(&[]);
        return Ok(());
    }

    let generated_ids: Vec<String> = slots.iter().step_by(997).map(|s| s.id.clone()).collect();
    let queries = queries::build(&corpus, &generated_ids, 42);
    for class in Class::ALL {
        let set: Vec<&BenchQuery> = queries.iter().filter(|q| q.class == class).collect();
        let paperboy = time_paperboy(&store, &set, options.repeat)?;
        let other = match &tantivy {
            Some(index) => Some(time_tantivy(index, &set, options.repeat)?),
            None => None,
        };
        report.add_class(class, set.len(), paperboy, other);
    }
    report.suggest = time_suggest(&store, &corpus, options.repeat)?;
    report.print(&queries);
    Ok(())
}

/// The saved Hugging Face days of the test fixtures, ingested last as the newest papers.
fn fixture_files() -> Result<Vec<PathBuf>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hf");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    Ok(files)
}

/// The observation time that the benchmark's ingests record.
fn observed_at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 8, 19, 0, 0, 0)
        .single()
        .unwrap_or_else(Utc::now)
}

/// Calls `each` with the real and generated papers merged oldest first, `CHUNK` at a time.
fn for_each_chunk(
    corpus: &Corpus,
    slots: &[Slot],
    mut each: impl FnMut(&[Paper]) -> Result<()>,
) -> Result<()> {
    let mut real = corpus.real.iter().peekable();
    let mut generated = slots.iter().peekable();
    let mut chunk = Vec::with_capacity(CHUNK);
    loop {
        let real_first = match (real.peek(), generated.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(r), Some(g)) => r.published.map(|t| t.date_naive()) <= Some(g.date),
        };
        let paper = if real_first {
            real.next().cloned()
        } else {
            generated
                .next()
                .map(|slot| corpus.generate(slot))
                .transpose()?
        };
        chunk.extend(paper);
        if chunk.len() == CHUNK {
            each(&chunk)?;
            chunk.clear();
        }
    }
    if !chunk.is_empty() {
        each(&chunk)?;
    }
    Ok(())
}

fn build_store(
    options: &Options,
    corpus: &Corpus,
    slots: &[Slot],
    fixtures: &[PathBuf],
    report: &mut Report,
) -> Result<Store> {
    let path = options.dir.join(format!("paperboy-{}.db", options.papers));
    if options.reuse && path.exists() {
        let store = Store::open(&path)?;
        report.store_bytes = file_bytes(&path);
        eprintln!(
            "reusing {} ({} papers)",
            path.display(),
            store.paper_count()?
        );
        return Ok(store);
    }
    remove_store(&path)?;
    let started = Instant::now();
    let mut store = Store::open(&path)?;
    let mut inserting = Duration::ZERO;
    let mut inserting_cpu = 0.0;
    let mut inserted = 0;
    for_each_chunk(corpus, slots, |papers| {
        let t = Instant::now();
        let cpu = process_cpu_seconds();
        inserted += store.bulk_insert(papers, observed_at())?;
        inserting += t.elapsed();
        inserting_cpu += process_cpu_seconds() - cpu;
        if inserted % 200_000 < CHUNK {
            eprintln!(
                "  {inserted} papers, {:.0} s",
                started.elapsed().as_secs_f64()
            );
        }
        Ok(())
    })?;
    let t = Instant::now();
    let reports = paperboy::ingest::ingest_files(&mut store, fixtures, observed_at());
    if let Some(unit) = reports.iter().find(|u| u.error.is_some()) {
        bail!("fixture ingest failed: {}", unit.summary_line());
    }
    report.fixture_seconds = t.elapsed().as_secs_f64();
    let t = Instant::now();
    store.optimize_search_index()?;
    report.optimize_seconds = t.elapsed().as_secs_f64();
    report.insert_seconds = inserting.as_secs_f64();
    report.insert_cpu_seconds = inserting_cpu;
    report.inserted = inserted;
    report.build_seconds = started.elapsed().as_secs_f64();
    report.store_bytes = file_bytes(&path);
    eprintln!(
        "store built: {} papers in {:.1} s",
        store.paper_count()?,
        report.build_seconds
    );
    Ok(store)
}

/// CPU time used by this process so far, in seconds, from `/proc/self/stat` (Linux only; 0
/// elsewhere). Other jobs on a busy machine slow the wall clock but not this.
fn process_cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name, which ends at the last ')': state is field 3, and user
    // and system time, in clock ticks of 1/100 s on Linux, are fields 14 and 15.
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return 0.0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn remove_store(path: &Path) -> Result<()> {
    for suffix in ["", "-wal", "-shm"] {
        let file = PathBuf::from(format!("{}{suffix}", path.display()));
        if file.exists() {
            std::fs::remove_file(&file)?;
        }
    }
    Ok(())
}

/// The store's size: the database file plus its write-ahead log.
fn file_bytes(path: &Path) -> u64 {
    ["", "-wal"]
        .iter()
        .filter_map(|s| std::fs::metadata(format!("{}{s}", path.display())).ok())
        .map(|m| m.len())
        .sum()
}

fn build_tantivy(
    options: &Options,
    corpus: &Corpus,
    slots: &[Slot],
    report: &mut Report,
) -> Result<TantivyIndex> {
    let dir = options.dir.join(format!("tantivy-{}", options.papers));
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    let started = Instant::now();
    let index = TantivyIndex::create(&dir)?;
    let mut writer = index.writer(1 << 30)?;
    let mut adding = Duration::ZERO;
    for_each_chunk(corpus, slots, |papers| {
        let t = Instant::now();
        for paper in papers {
            index.add(&writer, paper)?;
        }
        adding += t.elapsed();
        Ok(())
    })?;
    let t = Instant::now();
    writer.commit()?;
    writer.wait_merging_threads()?;
    adding += t.elapsed();
    report.tantivy_insert_seconds = adding.as_secs_f64();
    report.tantivy_build_seconds = started.elapsed().as_secs_f64();
    report.tantivy_bytes = engine_tantivy::size_on_disk(&dir);
    eprintln!(
        "tantivy index built in {:.1} s",
        report.tantivy_build_seconds
    );
    Ok(index)
}

/// Runs every query once untimed, then `repeat` timed rounds.
fn time_paperboy(store: &Store, set: &[&BenchQuery], repeat: usize) -> Result<Latencies> {
    let mut latencies = Latencies::default();
    for round in 0..=repeat {
        for query in set {
            let text = query.text();
            let t = Instant::now();
            let outcome = paperboy::core::search(store, &text, 0, PAGE);
            let elapsed = t.elapsed();
            let hits = match outcome {
                Ok(paperboy::core::SearchOutcome::Hits { hits, .. }) => hits.len(),
                Ok(paperboy::core::SearchOutcome::Paper(_)) => 1,
                Err(e) if e.is_user_error() => 0,
                Err(e) => bail!("query `{text}` failed: {e:?}"),
            };
            if round > 0 {
                latencies.record(elapsed, &text, hits);
            }
        }
    }
    Ok(latencies)
}

fn time_tantivy(index: &TantivyIndex, set: &[&BenchQuery], repeat: usize) -> Result<Latencies> {
    let mut latencies = Latencies::default();
    for round in 0..=repeat {
        for query in set {
            let t = Instant::now();
            let hits = index.search(query, PAGE)?.len();
            if round > 0 {
                latencies.record(t.elapsed(), &query.text(), hits);
            }
        }
    }
    Ok(latencies)
}

/// Autocomplete fragments as they are typed: the start of an ID, of a title word, of a title.
fn time_suggest(store: &Store, corpus: &Corpus, repeat: usize) -> Result<Latencies> {
    let mut fragments: Vec<String> = Vec::new();
    for (index, paper) in corpus.real.iter().step_by(1_700).enumerate() {
        let key = paper.id.key();
        let title: String = paper.title.chars().take(4 + index % 12).collect();
        fragments.push(key.chars().take(4 + index % 5).collect());
        fragments.push(title);
    }
    let mut latencies = Latencies::default();
    for round in 0..=repeat {
        for fragment in &fragments {
            let t = Instant::now();
            let found = store.suggest_papers(fragment, 25)?.len();
            if round > 0 {
                latencies.record(t.elapsed(), fragment, found);
            }
        }
    }
    Ok(latencies)
}
