//! `paperboy digest schedule`: when a digest schedule posts, in UTC and in local time, with
//! the days on which daylight saving time moves the post.

use std::io::Write as _;

use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use serde_json::{json, Value};

use super::CliError;
use crate::core::digest::{self, ClockChange, PlannedPost, ScheduleInput, MAX_PLANNED_POSTS};

#[derive(Debug, Args)]
pub struct DigestArgs {
    #[command(subcommand)]
    pub command: DigestCommand,
}

#[derive(Debug, Subcommand)]
pub enum DigestCommand {
    /// Print the next post instants of a schedule, in UTC and in local time.
    Schedule(ScheduleArgs),
}

/// Values are read as text and checked here, so that a mistake gets a one-line message.
#[derive(Debug, Args)]
pub struct ScheduleArgs {
    /// Local post time, 24-hour HH:MM.
    #[arg(long, value_name = "HH:MM")]
    pub time: String,
    /// IANA time zone, such as Europe/Paris or America/New_York.
    #[arg(long, value_name = "ZONE")]
    pub zone: String,
    /// List posts strictly after this instant (RFC 3339, such as 2026-03-08T00:00:00Z).
    /// Default: now.
    #[arg(long, value_name = "RFC3339")]
    pub from: Option<String>,
    /// How many posts to list, 1 to 1000.
    #[arg(long, value_name = "N", default_value = "7")]
    pub count: String,
    /// Days to post on: mon-fri, mon,wed,fri, weekdays, weekends or daily (default daily).
    #[arg(long, value_name = "LIST")]
    pub weekdays: Option<String>,
    /// Print a JSON array instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn digest_command(args: DigestArgs) -> Result<(), CliError> {
    match args.command {
        DigestCommand::Schedule(args) => schedule_command(args),
    }
}

fn schedule_command(args: ScheduleArgs) -> Result<(), CliError> {
    let from = match args.from.as_deref() {
        Some(text) => parse_instant(text)?,
        None => Utc::now(),
    };
    let count = parse_count(&args.count)?;
    let input = ScheduleInput {
        time: &args.time,
        zone: &args.zone,
        weekdays: args.weekdays.as_deref(),
    };
    let posts = digest::planned_posts(input, from, count)?;

    let mut out = std::io::stdout().lock();
    if args.json {
        let items: Vec<Value> = posts.iter().map(post_json).collect();
        let text = serde_json::to_string_pretty(&Value::Array(items))
            .map_err(|e| CliError::Internal(anyhow::Error::new(e)))?;
        writeln!(out, "{text}").map_err(CliError::Output)?;
        return Ok(());
    }
    for post in &posts {
        writeln!(out, "{}", post_line(post)).map_err(CliError::Output)?;
    }
    Ok(())
}

fn parse_instant(text: &str) -> Result<DateTime<Utc>, CliError> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|at| at.with_timezone(&Utc))
        .map_err(|_| {
            CliError::User(format!(
                "--from `{text}` is not an RFC 3339 instant; write it like \
                 2026-03-08T09:00:00Z or 2026-03-08T10:00:00+01:00"
            ))
        })
}

fn parse_count(text: &str) -> Result<usize, CliError> {
    text.trim()
        .parse::<usize>()
        .ok()
        .filter(|count| (1..=MAX_PLANNED_POSTS).contains(count))
        .ok_or_else(|| {
            CliError::User(format!(
                "--count `{text}` is invalid; use a whole number from 1 to {MAX_PLANNED_POSTS}"
            ))
        })
}

/// Formats one post as a line: the UTC instant, the local date, time and offset, and a note
/// on days when daylight saving time moved the post.
fn post_line(post: &PlannedPost) -> String {
    let mut line = format!(
        "{}  {}",
        post.at.format("%Y-%m-%dT%H:%M:%SZ"),
        post.local.format("%a %Y-%m-%d %H:%M %Z (%:z)")
    );
    let time = post.post_time.format("%H:%M");
    match post.clock_change {
        Some(ClockChange::Gap) => line.push_str(&format!(
            "  {time} is skipped by the clock change; posts at the end of the gap"
        )),
        Some(ClockChange::Overlap) => {
            line.push_str(&format!("  {time} happens twice; posts at the first"))
        }
        None => {}
    }
    line
}

fn post_json(post: &PlannedPost) -> Value {
    json!({
        "local_date": post.local_date.to_string(),
        "utc": post.at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "local": post.local.to_rfc3339(),
        "abbreviation": post.local.format("%Z").to_string(),
        "clock_change": post.clock_change,
    })
}
