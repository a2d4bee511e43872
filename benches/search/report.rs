//! Latency percentiles and the Markdown report the benchmark prints.

use std::time::Duration;

use crate::queries::{BenchQuery, Class};

/// Papers in the Hugging Face fixtures of `tests/fixtures/hf`.
pub const FIXTURE_PAPERS: usize = 205;

/// Timed runs of one query class.
#[derive(Default)]
pub struct Latencies {
    /// Each run's time, query text and number of hits.
    samples: Vec<(Duration, String, usize)>,
}

impl Latencies {
    pub fn record(&mut self, elapsed: Duration, text: &str, hits: usize) {
        self.samples.push((elapsed, text.to_string(), hits));
    }

    /// The `p`-th percentile in milliseconds (nearest rank).
    pub fn percentile(&self, p: f64) -> f64 {
        let mut times: Vec<Duration> = self.samples.iter().map(|s| s.0).collect();
        times.sort();
        if times.is_empty() {
            return 0.0;
        }
        let rank = ((p / 100.0) * times.len() as f64).ceil() as usize;
        times[rank.clamp(1, times.len()) - 1].as_secs_f64() * 1000.0
    }

    fn slowest(&self) -> Option<&(Duration, String, usize)> {
        self.samples.iter().max_by_key(|s| s.0)
    }

    fn mean_hits(&self) -> f64 {
        if self.samples.is_empty() {
            return 0.0;
        }
        self.samples.iter().map(|s| s.2 as f64).sum::<f64>() / self.samples.len() as f64
    }
}

struct ClassRow {
    class: Class,
    queries: usize,
    paperboy: Latencies,
    tantivy: Option<Latencies>,
}

/// Everything one run measured.
#[derive(Default)]
pub struct Report {
    pub papers: usize,
    pub inserted: usize,
    pub corpus_seconds: f64,
    pub insert_seconds: f64,
    /// CPU time of the inserts, which a busy machine inflates less than wall time.
    pub insert_cpu_seconds: f64,
    pub fixture_seconds: f64,
    pub optimize_seconds: f64,
    pub build_seconds: f64,
    pub store_bytes: u64,
    pub tantivy_insert_seconds: f64,
    pub tantivy_build_seconds: f64,
    pub tantivy_bytes: u64,
    pub suggest: Latencies,
    classes: Vec<ClassRow>,
}

impl Report {
    pub fn new(papers: usize) -> Self {
        Report {
            papers,
            ..Report::default()
        }
    }

    pub fn add_class(
        &mut self,
        class: Class,
        queries: usize,
        paperboy: Latencies,
        tantivy: Option<Latencies>,
    ) {
        self.classes.push(ClassRow {
            class,
            queries,
            paperboy,
            tantivy,
        });
    }

    pub fn print(&self, queries: &[BenchQuery]) {
        self.print_build();
        self.print_latencies();
        self.print_examples(queries);
    }

    fn print_build(&self) {
        let mb = |bytes: u64| bytes as f64 / 1e6;
        println!("## Build ({} papers)\n", self.papers);
        println!("| step | Paperboy (SQLite FTS5) | tantivy |");
        println!("|---|---|---|");
        if self.inserted > 0 {
            println!(
                "| bulk insert | {} papers in {:.1} s = {:.0} papers/s | {:.1} s = {:.0} papers/s |",
                self.inserted,
                self.insert_seconds,
                self.inserted as f64 / self.insert_seconds,
                self.tantivy_insert_seconds,
                self.inserted as f64 / self.tantivy_insert_seconds.max(1e-9),
            );
            println!(
                "| bulk insert, CPU time | {:.1} s = {:.0} papers/s | |",
                self.insert_cpu_seconds,
                self.inserted as f64 / self.insert_cpu_seconds.max(1e-9),
            );
            println!(
                "| fixtures through `ingest_files` | {:.2} s | |",
                self.fixture_seconds
            );
            println!(
                "| index optimize | {:.1} s | (in commit) |",
                self.optimize_seconds
            );
            println!(
                "| whole build, paper generation included | {:.1} s | {:.1} s |",
                self.build_seconds, self.tantivy_build_seconds
            );
        }
        println!(
            "| size on disk | {:.0} MB | {:.0} MB |",
            mb(self.store_bytes),
            mb(self.tantivy_bytes)
        );
        println!("| loading the sample | {:.1} s | |\n", self.corpus_seconds);
    }

    fn print_latencies(&self) {
        println!(
            "## Query latency, first page of {} hits (ms)\n",
            crate::PAGE
        );
        println!("| class | queries × runs | Paperboy p50 | p99 | tantivy p50 | p99 | p50 ratio | mean hits Paperboy / tantivy |");
        println!("|---|---|---|---|---|---|---|---|");
        for row in &self.classes {
            let ours = &row.paperboy;
            let (their_p50, their_p99, their_hits) = match &row.tantivy {
                Some(t) => (t.percentile(50.0), t.percentile(99.0), t.mean_hits()),
                None => (f64::NAN, f64::NAN, f64::NAN),
            };
            println!(
                "| {} | {} × {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.1} | {:.1} / {:.1} |",
                row.class.name(),
                row.queries,
                ours.samples.len() / row.queries.max(1),
                ours.percentile(50.0),
                ours.percentile(99.0),
                their_p50,
                their_p99,
                ours.percentile(50.0) / their_p50,
                ours.mean_hits(),
                their_hits,
            );
        }
        println!(
            "| autocomplete (`suggest_papers`) | {} | {:.2} | {:.2} | | | | {:.1} |",
            self.suggest.samples.len(),
            self.suggest.percentile(50.0),
            self.suggest.percentile(99.0),
            self.suggest.mean_hits()
        );
        println!();
        for row in &self.classes {
            if let Some((time, text, _)) = row.paperboy.slowest() {
                println!(
                    "slowest {}: `{text}` {:.1} ms",
                    row.class.name(),
                    time.as_secs_f64() * 1000.0
                );
            }
        }
        if let Some((time, text, _)) = self.suggest.slowest() {
            println!(
                "slowest autocomplete: `{text}` {:.1} ms",
                time.as_secs_f64() * 1000.0
            );
        }
        println!();
    }

    fn print_examples(&self, queries: &[BenchQuery]) {
        println!("## Example queries\n");
        for class in Class::ALL {
            let examples: Vec<String> = queries
                .iter()
                .filter(|q| q.class == class)
                .take(4)
                .map(|q| format!("`{}`", q.text()))
                .collect();
            println!("- {}: {}", class.name(), examples.join(", "));
        }
    }
}
