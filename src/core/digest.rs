//! Digests: validating an admin's settings, choosing the papers of a day, and describing a
//! digest's schedule and state.

mod plan;

use std::collections::HashSet;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;

use super::schedule::{self, WeekdaySet};
use super::trending::{self, Window};
use crate::error::{Error, UserError};
use crate::paper::Paper;
use crate::render::{self, ListedPaper, Message};
use crate::store::{
    Delivery, DeliveryState, Digest, DigestSettings, Store, StoreError, WeekendPolicy,
    DEFAULT_DEDUPE_DAYS,
};

pub use plan::{planned_posts, ClockChange, PlannedPost, ScheduleInput, MAX_PLANNED_POSTS};

pub const DEFAULT_PAPER_COUNT: u32 = 10;
pub const MAX_PAPER_COUNT: u32 = 25;
pub const MAX_DEDUPE_DAYS: u32 = 90;
/// Highest `min_upvotes`; the slash command's option has the same maximum.
pub const MAX_MIN_UPVOTES: i64 = 100_000;
const MAX_TERMS: usize = 20;
const MAX_TERM_CHARS: usize = 60;
/// Trending candidates examined before the filters; enough for narrow keyword filters.
const CANDIDATES: usize = 500;

/// What an admin typed into `/digest set`, before validation.
#[derive(Debug, Clone, Default)]
pub struct DigestRequest {
    pub guild_id: u64,
    pub channel_id: u64,
    pub time: String,
    pub zone: String,
    pub count: Option<i64>,
    pub keywords: Option<String>,
    pub exclude: Option<String>,
    pub categories: Option<String>,
    pub weekdays: Option<String>,
    pub min_upvotes: Option<i64>,
    pub dedupe_days: Option<i64>,
    pub weekend: Option<String>,
    pub announce_empty: Option<bool>,
}

/// Checks every value and turns the request into settings the store accepts.
pub fn validate(request: &DigestRequest) -> Result<DigestSettings, UserError> {
    let time = schedule::parse_time(&request.time).map_err(|e| UserError::new(e.to_string()))?;
    let zone = schedule::parse_zone(&request.zone).map_err(|e| UserError::new(e.to_string()))?;
    let weekdays = match request.weekdays.as_deref().map(str::trim) {
        None | Some("") => WeekdaySet::ALL,
        Some(text) => schedule::parse_weekdays(text).map_err(|e| UserError::new(e.to_string()))?,
    };
    let count = request.count.unwrap_or(DEFAULT_PAPER_COUNT as i64);
    if !(1..=MAX_PAPER_COUNT as i64).contains(&count) {
        return Err(UserError::new(format!(
            "The number of papers must be from 1 to {MAX_PAPER_COUNT}; {count} is out of range."
        )));
    }
    let dedupe_days = request.dedupe_days.unwrap_or(DEFAULT_DEDUPE_DAYS as i64);
    if !(0..=MAX_DEDUPE_DAYS as i64).contains(&dedupe_days) {
        return Err(UserError::new(format!(
            "dedupe_days must be from 0 to {MAX_DEDUPE_DAYS}; {dedupe_days} is out of range."
        )));
    }
    let min_upvotes = request.min_upvotes.unwrap_or(0);
    if !(0..=MAX_MIN_UPVOTES).contains(&min_upvotes) {
        return Err(UserError::new(format!(
            "min_upvotes must be from 0 to {MAX_MIN_UPVOTES}; {min_upvotes} is out of range."
        )));
    }
    let weekend_policy = match request
        .weekend
        .as_deref()
        .map(|w| w.trim().to_ascii_lowercase())
    {
        None => WeekendPolicy::BestOfWeek,
        Some(w) if w.is_empty() => WeekendPolicy::BestOfWeek,
        Some(w) => WeekendPolicy::parse(&w.replace(['-', ' '], "_")).ok_or_else(|| {
            UserError::new(format!(
                "`{w}` is not a weekend policy. Use best_of_week or skip."
            ))
        })?,
    };
    Ok(DigestSettings {
        guild_id: request.guild_id,
        channel_id: request.channel_id,
        post_time: time.format("%H:%M").to_string(),
        zone: zone.name().to_string(),
        weekdays: weekday_text(&weekdays),
        paper_count: count as u32,
        min_upvotes,
        keywords: parse_terms("keywords", request.keywords.as_deref())?,
        exclude_keywords: parse_terms("exclude", request.exclude.as_deref())?,
        categories: parse_categories(request.categories.as_deref())?,
        dedupe_days: dedupe_days as u32,
        weekend_policy,
        announce_empty: request.announce_empty.unwrap_or(false),
    })
}

const WEEK: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

fn weekday_text(set: &WeekdaySet) -> String {
    WEEK.iter()
        .filter(|d| set.contains(**d))
        .map(|d| d.to_string().to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join(",")
}

fn parse_terms(option: &str, text: Option<&str>) -> Result<Vec<String>, UserError> {
    let Some(text) = text else {
        return Ok(Vec::new());
    };
    let terms: Vec<String> = text
        .split([',', ';'])
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|t| t.chars().any(char::is_alphanumeric))
        .collect();
    if terms.len() > MAX_TERMS {
        return Err(UserError::new(format!(
            "{option} takes at most {MAX_TERMS} comma-separated terms; you gave {}.",
            terms.len()
        )));
    }
    if let Some(long) = terms.iter().find(|t| t.chars().count() > MAX_TERM_CHARS) {
        return Err(UserError::new(format!(
            "Each {option} term can be at most {MAX_TERM_CHARS} characters; `{}` is longer.",
            crate::text::truncate(long, 40)
        )));
    }
    Ok(terms)
}

/// arXiv's archives, the part of a category before the dot (`cs` in `cs.CL`), from arXiv's
/// category taxonomy. An archive alone stands for all of its categories.
const ARXIV_ARCHIVES: [&str; 20] = [
    "astro-ph", "cond-mat", "cs", "econ", "eess", "gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th",
    "math", "math-ph", "nlin", "nucl-ex", "nucl-th", "physics", "q-bio", "q-fin", "quant-ph",
    "stat",
];

/// Parses arXiv categories such as `cs.CL` or `hep-th`, with the archive in lower case (as
/// arXiv writes it) and the subject as typed, because matching ignores case.
fn parse_categories(text: Option<&str>) -> Result<Vec<String>, UserError> {
    let terms = parse_terms("categories", text)?;
    terms.iter().map(|term| parse_category(term)).collect()
}

fn parse_category(term: &str) -> Result<String, UserError> {
    let invalid = || {
        UserError::new(format!(
            "`{term}` is not an arXiv category. Use names such as cs.CL, cs.LG, stat.ML or \
             hep-th, or an archive such as cs for all of its categories."
        ))
    };
    let (archive, subject) = match term.split_once('.') {
        Some((archive, subject)) => (archive.to_ascii_lowercase(), Some(subject)),
        None => (term.to_ascii_lowercase(), None),
    };
    if !ARXIV_ARCHIVES.contains(&archive.as_str()) {
        return Err(invalid());
    }
    match subject {
        None => Ok(archive),
        Some(subject)
            if !subject.is_empty()
                && subject.chars().all(|c| c.is_ascii_alphabetic() || c == '-') =>
        {
            Ok(format!("{archive}.{subject}"))
        }
        Some(_) => Err(invalid()),
    }
}

/// The parsed schedule of a digest.
pub struct Schedule {
    pub time: NaiveTime,
    pub zone: Tz,
    pub weekdays: WeekdaySet,
}

/// Parses the schedule the store holds. The values were validated when saved, so a failure
/// here means the row was edited by hand.
pub fn schedule_of(settings: &DigestSettings) -> Result<Schedule, StoreError> {
    let corrupt = |what: &'static str, value: &str| StoreError::Corrupt {
        what,
        value: value.to_string(),
    };
    Ok(Schedule {
        time: schedule::parse_time(&settings.post_time)
            .map_err(|_| corrupt("digest time", &settings.post_time))?,
        zone: schedule::parse_zone(&settings.zone)
            .map_err(|_| corrupt("digest zone", &settings.zone))?,
        weekdays: schedule::parse_weekdays(&settings.weekdays)
            .map_err(|_| corrupt("digest weekdays", &settings.weekdays))?,
    })
}

/// The slot a digest should be posting now: the latest slot at or before `now` that is at most
/// `catch_up` old and not older than the digest's last change. A slot from before the last
/// change is skipped, because an admin who sets a digest at 10:00 for 09:00 expects the first
/// post the next day.
pub fn due_slot(
    digest: &Digest,
    now: DateTime<Utc>,
    catch_up: Duration,
) -> Result<Option<(NaiveDate, DateTime<Utc>)>, StoreError> {
    let schedule = schedule_of(&digest.settings)?;
    let today = now.with_timezone(&schedule.zone).date_naive();
    for back in 0..=2 {
        let Some(date) = today.checked_sub_signed(Duration::days(back)) else {
            continue;
        };
        if !schedule.weekdays.contains(date.weekday()) {
            continue;
        }
        let at = schedule::slot_for_date(schedule.time, schedule.zone, date);
        if at > now {
            continue;
        }
        let fresh = now - at <= catch_up && at >= digest.updated_at;
        return Ok(fresh.then_some((date, at)));
    }
    Ok(None)
}

/// The next slot strictly after `now`, if the digest posts on any weekday.
pub fn next_slot(
    digest: &Digest,
    now: DateTime<Utc>,
) -> Result<Option<schedule::PostSlot>, StoreError> {
    let schedule = schedule_of(&digest.settings)?;
    Ok(
        schedule::next_post_instants(schedule.time, schedule.zone, now, 1, schedule.weekdays)
            .into_iter()
            .next(),
    )
}

/// Chooses the papers of a digest for one local date, posted at `at`.
///
/// Candidates are the day's trending papers; on a day with none left after the filters (as on
/// weekends, when Hugging Face lists nothing) the best-of-week policy looks at the past week.
/// Papers this digest posted within its dedupe window are left out.
pub fn compose(
    store: &Store,
    digest: &Digest,
    local_date: NaiveDate,
    at: DateTime<Utc>,
) -> Result<Vec<Paper>, StoreError> {
    let settings = &digest.settings;
    let recent: HashSet<String> = if settings.dedupe_days > 0 {
        let since = local_date - Duration::days(settings.dedupe_days as i64);
        store
            .recently_posted(digest.id, since)?
            .into_iter()
            .collect()
    } else {
        HashSet::new()
    };

    let mut papers = pick(store, settings, Window::Day, at, &recent)?;
    if papers.is_empty() && settings.weekend_policy == WeekendPolicy::BestOfWeek {
        papers = pick(store, settings, Window::Week, at, &recent)?;
    }
    papers.truncate(settings.paper_count as usize);
    Ok(papers)
}

fn pick(
    store: &Store,
    settings: &DigestSettings,
    window: Window,
    at: DateTime<Utc>,
    recent: &HashSet<String>,
) -> Result<Vec<Paper>, StoreError> {
    let entries = trending::trending(store, window, at, CANDIDATES)?;
    let mut papers: Vec<Paper> = entries
        .into_iter()
        .filter(|e| e.score > 0.0)
        .map(|e| e.paper)
        .filter(|p| !recent.contains(p.id.key()))
        .filter(|p| matches_filters(p, settings))
        .collect();
    if !settings.categories.is_empty() {
        append_new_submissions(store, settings, window, at, recent, &mut papers)?;
    }
    Ok(papers)
}

/// Adds the arXiv submissions of the window in the digest's categories after the ranked
/// papers. Papers from category feeds have no upvotes yet, so they follow the papers with
/// upvote gains, newest first, instead of being dropped for a score of zero.
fn append_new_submissions(
    store: &Store,
    settings: &DigestSettings,
    window: Window,
    at: DateTime<Utc>,
    recent: &HashSet<String>,
    papers: &mut Vec<Paper>,
) -> Result<(), StoreError> {
    let since = at - window.length();
    for paper in store.papers_published_between(since, at, CANDIDATES)? {
        let already = papers.iter().any(|p| p.id == paper.id);
        if !already && !recent.contains(paper.id.key()) && matches_filters(&paper, settings) {
            papers.push(paper);
        }
    }
    Ok(())
}

/// Whether a paper passes a digest's topic filters.
pub fn matches_filters(paper: &Paper, settings: &DigestSettings) -> bool {
    if paper.upvotes.unwrap_or(0) < settings.min_upvotes {
        return false;
    }
    let haystack = normalize(&format!(
        "{} {} {}",
        paper.title,
        paper.abstract_text,
        paper.ai_keywords.join(" ")
    ));
    let has = |term: &String| haystack.contains(&normalize(term));
    if settings.exclude_keywords.iter().any(has) {
        return false;
    }
    if settings.keywords.is_empty() && settings.categories.is_empty() {
        return true;
    }
    let in_category = settings
        .categories
        .iter()
        .any(|c| paper.categories.iter().any(|pc| category_matches(pc, c)));
    in_category || settings.keywords.iter().any(has)
}

/// Returns whether a paper's category falls under a configured one: the same category ignoring
/// case, or a category of the configured archive (`cs.CL` under `cs`).
fn category_matches(paper_category: &str, configured: &str) -> bool {
    let paper_category = paper_category.to_ascii_lowercase();
    let configured = configured.to_ascii_lowercase();
    paper_category == configured
        || paper_category
            .strip_prefix(&configured)
            .is_some_and(|rest| rest.starts_with('.'))
}

/// Lower-case words separated by single spaces, with a space at each end, so that a term
/// matches whole words only ("rl" does not match "world").
fn normalize(text: &str) -> String {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    format!(" {} ", words.join(" "))
}

/// The messages of a digest post.
pub fn render_digest(papers: &[Paper], local_date: NaiveDate) -> Vec<Message> {
    let items: Vec<ListedPaper> = papers
        .iter()
        .enumerate()
        .map(|(i, paper)| ListedPaper {
            paper,
            rank: i + 1,
            score_note: None,
        })
        .collect();
    let heading = format!("Trending papers · {}", local_date.format("%a %-d %b %Y"));
    render::paper_list(&heading, None, &items)
}

/// The text of an empty digest, for servers that asked to be told.
pub fn empty_notice(local_date: NaiveDate) -> Message {
    render::notice(&format!(
        "No new papers matched this channel's digest topics for {}.",
        local_date.format("%a %-d %b %Y")
    ))
}

/// Shows an instant in the digest's zone and in UTC, the UTC date included when it differs
/// from the local one: `Tue 18 Aug 2026 01:00 AEST (Mon 17 Aug 15:00 UTC)`.
fn format_slot(at: DateTime<Utc>, zone: Tz) -> String {
    let local = at.with_timezone(&zone);
    let utc = if local.date_naive() == at.date_naive() {
        at.format("%H:%M UTC")
    } else {
        at.format("%a %-d %b %H:%M UTC")
    };
    format!("{} ({utc})", local.format("%a %-d %b %Y %H:%M %Z"))
}

/// The reply to a saved `/digest set`.
pub fn confirmation(digest: &Digest, now: DateTime<Utc>) -> String {
    let next = match (next_slot(digest, now), schedule_of(&digest.settings)) {
        (Ok(Some(slot)), Ok(schedule)) => format_slot(slot.at, schedule.zone),
        _ => "none (no weekday selected)".to_string(),
    };
    format!(
        "Digest saved for <#{}>: {}\nNext post: {next}",
        digest.settings.channel_id,
        settings_line(&digest.settings)
    )
}

fn settings_line(s: &DigestSettings) -> String {
    let mut line = format!(
        "{} papers at {} {} on {}",
        s.paper_count, s.post_time, s.zone, s.weekdays
    );
    if !s.keywords.is_empty() {
        line.push_str(&format!("; keywords: {}", s.keywords.join(", ")));
    }
    if !s.categories.is_empty() {
        line.push_str(&format!("; categories: {}", s.categories.join(", ")));
    }
    if !s.exclude_keywords.is_empty() {
        line.push_str(&format!("; excluding: {}", s.exclude_keywords.join(", ")));
    }
    if s.min_upvotes > 0 {
        line.push_str(&format!("; at least {} upvotes", s.min_upvotes));
    }
    line.push_str(&format!(
        "; no repeats within {} days; empty days: {}",
        s.dedupe_days,
        s.weekend_policy.as_str()
    ));
    crate::text::escape_markdown(&line)
}

/// The reply to `/digest show`: every digest of the guild with its state.
pub fn describe_guild(
    store: &Store,
    guild_id: u64,
    now: DateTime<Utc>,
) -> Result<String, StoreError> {
    let digests = store.guild_digests(guild_id)?;
    if digests.is_empty() {
        return Ok("This server has no digest yet. `/digest set` creates one.".to_string());
    }
    let mut blocks = Vec::new();
    for digest in &digests {
        blocks.push(describe_one(store, digest, now)?);
    }
    Ok(blocks.join("\n\n"))
}

fn describe_one(store: &Store, digest: &Digest, now: DateTime<Utc>) -> Result<String, StoreError> {
    let s = &digest.settings;
    let status = match (&digest.failing_reason, digest.enabled) {
        (Some(reason), _) => {
            format!("failing: {reason}. Fix the channel, then run `/digest set` again")
        }
        (None, false) => "off".to_string(),
        (None, true) => "on".to_string(),
    };
    let mut lines = vec![
        format!("**<#{}>** ({status})", s.channel_id),
        settings_line(s),
    ];
    if digest.enabled && digest.failing_reason.is_none() {
        let schedule = schedule_of(s)?;
        if let Some(slot) = next_slot(digest, now)? {
            lines.push(format!(
                "Next post: {}",
                format_slot(slot.at, schedule.zone)
            ));
        }
    }
    let zone = schedule_of(s).ok().map(|schedule| schedule.zone);
    lines.push(match store.last_delivery(digest.id)? {
        Some(delivery) => delivery_line(&delivery, zone),
        None => "Last delivery: none yet".to_string(),
    });
    if let Some(error) = &digest.last_error {
        lines.push(format!(
            "Last error: {}",
            crate::text::escape_markdown(error)
        ));
    }
    Ok(lines.join("\n"))
}

/// Describes the latest delivery slot of a digest for `/digest show`.
fn delivery_line(delivery: &Delivery, zone: Option<Tz>) -> String {
    let date = delivery.local_date.format("%a %-d %b %Y");
    let when = |at: DateTime<Utc>| match zone {
        Some(zone) => format_slot(at, zone),
        None => at.format("%a %-d %b %Y %H:%M UTC").to_string(),
    };
    match delivery.state {
        DeliveryState::Sent => format!(
            "Last delivery: {date}, {} papers posted {}",
            delivery.paper_ids.len(),
            delivery
                .finished_at
                .map_or_else(String::new, |at| format!("at {}", when(at)))
        ),
        DeliveryState::Empty => format!("Last delivery: {date}, no paper matched"),
        DeliveryState::Failed => format!(
            "Last delivery: {date}, failed: {}",
            crate::text::escape_markdown(delivery.error.as_deref().unwrap_or("unknown error"))
        ),
        DeliveryState::Claimed => format!(
            "Last delivery: {date}, started at {} and not finished yet; it is retried while \
             it is within the catch-up time",
            when(delivery.claimed_at)
        ),
    }
}

/// The messages the next post of a channel's digest would have, for `/digest preview`.
pub fn preview(
    store: &Store,
    guild_id: u64,
    channel_id: u64,
    now: DateTime<Utc>,
) -> Result<Vec<Message>, Error> {
    let digest = store.digest(guild_id, channel_id)?.ok_or_else(|| {
        UserError::new(format!(
            "<#{channel_id}> has no digest. `/digest set` creates one."
        ))
    })?;
    let (date, at) = match next_slot(&digest, now)? {
        Some(slot) => (slot.local_date, now.min(slot.at)),
        None => (now.date_naive(), now),
    };
    let papers = compose(store, &digest, date, at)?;
    if papers.is_empty() {
        return Ok(vec![empty_notice(date)]);
    }
    Ok(render_digest(&papers, date))
}

/// IANA zone names for autocomplete: names starting with the typed text first, then names
/// containing it; a blank entry lists common zones.
pub fn zone_suggestions(partial: &str, limit: usize) -> Vec<String> {
    const COMMON: [&str; 12] = [
        "UTC",
        "America/New_York",
        "America/Chicago",
        "America/Los_Angeles",
        "America/Sao_Paulo",
        "Europe/London",
        "Europe/Paris",
        "Europe/Berlin",
        "Asia/Kolkata",
        "Asia/Shanghai",
        "Asia/Tokyo",
        "Australia/Sydney",
    ];
    let needle = partial.trim().to_ascii_lowercase().replace(' ', "_");
    if needle.is_empty() {
        return COMMON.iter().map(|z| z.to_string()).collect();
    }
    let names = chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name());
    let (mut starts, mut contains): (Vec<&str>, Vec<&str>) = names
        .filter(|n| n.to_ascii_lowercase().contains(&needle))
        .partition(|n| {
            let lower = n.to_ascii_lowercase();
            lower.starts_with(&needle)
                || lower
                    .rsplit('/')
                    .next()
                    .is_some_and(|c| c.starts_with(&needle))
        });
    starts.sort_unstable();
    contains.sort_unstable();
    starts
        .into_iter()
        .chain(contains)
        .take(limit)
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> DigestRequest {
        DigestRequest {
            guild_id: 1,
            channel_id: 2,
            time: "09:30".into(),
            zone: "Europe/Paris".into(),
            ..DigestRequest::default()
        }
    }

    #[test]
    fn followed_category_submissions_are_posted() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("t.db")).unwrap();
        let now = Utc::now();
        let mut fresh = Paper::new(
            crate::ids::ArxivId::from_key("2608.00002").unwrap(),
            "A new parser",
            "We parse.",
        );
        fresh.categories = vec!["cs.CL".into()];
        fresh.published = Some(now - Duration::hours(3));
        let mut other = fresh.clone();
        other.id = crate::ids::ArxivId::from_key("2608.00003").unwrap();
        other.categories = vec!["math.AG".into()];
        store.upsert_papers(&[fresh, other], now).unwrap();

        let mut r = request();
        r.categories = Some("cs.CL".into());
        let settings = validate(&r).unwrap();
        let digest = store
            .upsert_digest(&settings, None, now - Duration::hours(1))
            .unwrap();
        let papers = compose(&store, &digest, now.date_naive(), now).unwrap();
        let keys: Vec<&str> = papers.iter().map(|p| p.id.key()).collect();
        assert_eq!(keys, vec!["2608.00002"]);
    }

    #[test]
    fn valid_request_gets_defaults() {
        let settings = validate(&request()).unwrap();
        assert_eq!(settings.post_time, "09:30");
        assert_eq!(settings.paper_count, DEFAULT_PAPER_COUNT);
        assert_eq!(settings.weekdays, "mon,tue,wed,thu,fri,sat,sun");
        assert_eq!(settings.weekend_policy, WeekendPolicy::BestOfWeek);
    }

    #[test]
    fn out_of_range_count_names_the_range() {
        let mut r = request();
        r.count = Some(26);
        let error = validate(&r).unwrap_err().to_string();
        assert!(error.contains("1 to 25"), "{error}");
    }

    /// Validates `request` changed by `edit` and returns the error message.
    fn rejection(edit: impl FnOnce(&mut DigestRequest)) -> String {
        let mut r = request();
        edit(&mut r);
        validate(&r).unwrap_err().to_string()
    }

    #[test]
    fn each_invalid_option_says_what_is_accepted() {
        let cases: Vec<(String, &str)> = vec![
            (rejection(|r| r.time = "9pm".into()), "21:00"),
            (rejection(|r| r.time = "noon".into()), "HH:MM"),
            (rejection(|r| r.zone = "EST".into()), "America/New_York"),
            (rejection(|r| r.zone = "GMT+1".into()), "IANA"),
            (
                rejection(|r| r.weekdays = Some("mon-fryday".into())),
                "mon-fri",
            ),
            (rejection(|r| r.count = Some(0)), "from 1 to 25"),
            (rejection(|r| r.min_upvotes = Some(-1)), "from 0 to 100000"),
            (rejection(|r| r.dedupe_days = Some(91)), "from 0 to 90"),
            (
                rejection(|r| r.weekend = Some("sunday".into())),
                "best_of_week or skip",
            ),
            (
                rejection(|r| r.categories = Some("cs.CL, biology".into())),
                "cs.CL",
            ),
            (
                rejection(|r| r.keywords = Some(vec!["x"; 21].join(","))),
                "at most 20",
            ),
            (
                rejection(|r| r.exclude = Some("a".repeat(61))),
                "at most 60 characters",
            ),
        ];
        for (message, accepted) in cases {
            assert!(message.contains(accepted), "{message}");
        }
    }

    #[test]
    fn stored_zone_is_the_iana_name() {
        let mut r = request();
        r.zone = "america/new york".into();
        assert_eq!(validate(&r).unwrap().zone, "America/New_York");
        r.zone = "UTC+2".into();
        assert!(validate(&r).is_err());
    }

    #[test]
    fn categories_take_archives_and_subjects() {
        let mut r = request();
        r.categories = Some("CS.CL, hep-th, stat".into());
        let settings = validate(&r).unwrap();
        assert_eq!(settings.categories, vec!["cs.CL", "hep-th", "stat"]);
        for bad in ["cs.", "physics.optics.x", "computer science", "cs.C1"] {
            assert!(parse_category(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn archive_matches_its_categories_only() {
        assert!(category_matches("cs.CL", "cs"));
        assert!(category_matches("cs.CL", "CS.cl"));
        assert!(!category_matches("cs.CL", "cs.C"));
        assert!(!category_matches("astro-ph.GA", "astro"));
    }

    #[test]
    fn slot_shows_utc_date_when_it_differs() {
        let at = DateTime::parse_from_rfc3339("2026-08-18T21:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            format_slot(at, chrono_tz::Australia::Sydney),
            "Wed 19 Aug 2026 07:00 AEST (Tue 18 Aug 21:00 UTC)"
        );
        assert_eq!(
            format_slot(at, chrono_tz::Europe::London),
            "Tue 18 Aug 2026 22:00 BST (21:00 UTC)"
        );
    }

    #[test]
    fn keyword_matches_whole_words() {
        let mut paper = Paper::new(
            crate::ids::ArxivId::from_key("2508.00001").unwrap(),
            "A world model for robots",
            "",
        );
        paper.upvotes = Some(3);
        let mut settings = validate(&request()).unwrap();
        settings.keywords = vec!["rl".into()];
        assert!(!matches_filters(&paper, &settings));
        settings.keywords = vec!["World Model".into()];
        assert!(matches_filters(&paper, &settings));
        settings.exclude_keywords = vec!["robots".into()];
        assert!(!matches_filters(&paper, &settings));
    }

    #[test]
    fn zone_suggestions_prefer_prefixes() {
        let zones = zone_suggestions("paris", 25);
        assert_eq!(zones.first().map(String::as_str), Some("Europe/Paris"));
        assert!(zone_suggestions("e", 25).len() <= 25);
    }
}
