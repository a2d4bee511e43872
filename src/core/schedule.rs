//! Schedule arithmetic for digests: local post times in IANA zones, mapped to UTC instants.
//!
//! A digest posts at one wall-clock time (say 09:00) in one zone on chosen weekdays. Daylight
//! saving time makes that mapping irregular, so two rules fix it:
//!
//! - On a spring-forward day a time inside the gap (02:30 in New York) does not exist. The
//!   post goes out at the first instant after the gap (03:00 EDT).
//! - On a fall-back day a time inside the overlap (01:30 in New York) happens twice; the post
//!   goes out once, at the earlier occurrence (01:30 EDT).

mod zone;

use std::sync::LazyLock;

use chrono::{
    DateTime, Datelike, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeDelta,
    TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;
use regex::Regex;

pub use chrono::WeekdaySet;
pub use zone::{parse_zone, ZoneError};

/// Error returned by [`parse_time`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("The post time is missing. Use 24-hour HH:MM, such as 09:00 or 17:30.")]
    Empty,
    #[error("`{input}` is a 12-hour time. Use 24-hour HH:MM: {suggestion}.")]
    TwelveHour { input: String, suggestion: String },
    #[error("`{input}` is the end of the day, which is not a post time. Use 00:00 for midnight at the start of a day, or 23:59.")]
    EndOfDay { input: String },
    #[error("`{input}` is out of range. Hours run from 00 to 23 and minutes from 00 to 59.")]
    OutOfRange { input: String },
    #[error("`{input}` is not a time. Use 24-hour HH:MM, such as 09:00 or 17:30.")]
    Invalid { input: String },
}

/// Parses a post time in 24-hour `HH:MM` or `H:MM` form, such as `09:30`, `9:30` or `17:05`.
///
/// Rejects 12-hour forms (`9am`, `9:30 PM`) with the 24-hour spelling in the message, rather
/// than guessing what `12am` means, and rejects `24:00` and seconds.
pub fn parse_time(input: &str) -> Result<NaiveTime, TimeError> {
    static TWENTY_FOUR_HOUR: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^([0-9]{1,2}):([0-9]{2})$").expect("time pattern is valid"));
    static TWELVE_HOUR: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^([0-9]{1,2})(:([0-9]{2}))?\s*([ap])\.?\s*m\.?$")
            .expect("12-hour pattern is valid")
    });

    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(TimeError::Empty);
    }
    let lower = trimmed.to_lowercase();
    let error_input = trimmed.to_string();

    if let Some(caps) = TWELVE_HOUR.captures(&lower) {
        let hour: u32 = caps[1].parse().unwrap_or(u32::MAX);
        let minute: u32 = caps
            .get(3)
            .map_or(0, |m| m.as_str().parse().unwrap_or(u32::MAX));
        let pm = &caps[4] == "p";
        return Err(match twelve_to_twenty_four(hour, minute, pm) {
            Some(suggestion) => TimeError::TwelveHour {
                input: error_input,
                suggestion,
            },
            None => TimeError::OutOfRange { input: error_input },
        });
    }

    let Some(caps) = TWENTY_FOUR_HOUR.captures(&lower) else {
        return Err(TimeError::Invalid { input: error_input });
    };
    let hour: u32 = caps[1].parse().unwrap_or(u32::MAX);
    let minute: u32 = caps[2].parse().unwrap_or(u32::MAX);
    if hour == 24 && minute == 0 {
        return Err(TimeError::EndOfDay { input: error_input });
    }
    NaiveTime::from_hms_opt(hour, minute, 0).ok_or(TimeError::OutOfRange { input: error_input })
}

/// Writes a 12-hour time in 24-hour form for the error message: 12am is 00:00, 12pm is 12:00.
fn twelve_to_twenty_four(hour: u32, minute: u32, pm: bool) -> Option<String> {
    if !(1..=12).contains(&hour) || minute > 59 {
        return None;
    }
    let hour = match (hour, pm) {
        (12, false) => 0,
        (12, true) => 12,
        (h, false) => h,
        (h, true) => h + 12,
    };
    Some(format!("{hour:02}:{minute:02}"))
}

/// Error returned by [`parse_weekdays`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WeekdaysError {
    #[error("The days are missing. {}", WEEKDAYS_HELP)]
    Empty,
    #[error("`{item}` in `{input}` is not a day. {}", WEEKDAYS_HELP)]
    UnknownDay { input: String, item: String },
}

const WEEKDAYS_HELP: &str = "Use day names or their first three letters, alone, in ranges or \
                             in lists: mon-fri, mon,wed,fri, weekdays, weekends or daily.";

/// Parses the days a digest posts on. Accepts `daily` (or `all`, `every day`), `weekdays`,
/// `weekends`, single days (`mon`, `Tuesday`) and ranges (`mon-fri`), where `fri-mon` wraps
/// over the weekend. Items can be combined in comma- or space-separated lists
/// (`mon,wed,fri`), and case is ignored.
pub fn parse_weekdays(input: &str) -> Result<WeekdaySet, WeekdaysError> {
    let lower = input.trim().to_lowercase();
    if lower.is_empty() {
        return Err(WeekdaysError::Empty);
    }
    if matches!(lower.as_str(), "every day" | "everyday") {
        return Ok(WeekdaySet::ALL);
    }

    let mut days = WeekdaySet::EMPTY;
    for item in lower
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
    {
        let parsed = parse_weekday_item(item).ok_or_else(|| WeekdaysError::UnknownDay {
            input: input.trim().to_string(),
            item: item.to_string(),
        })?;
        days = days.union(parsed);
    }
    if days.is_empty() {
        return Err(WeekdaysError::Empty);
    }
    Ok(days)
}

fn parse_weekday_item(item: &str) -> Option<WeekdaySet> {
    match item {
        "daily" | "all" => return Some(WeekdaySet::ALL),
        "weekdays" => return Some(range(Weekday::Mon, Weekday::Fri)),
        "weekends" | "weekend" => return Some(range(Weekday::Sat, Weekday::Sun)),
        _ => {}
    }
    match item.split_once(['-', '\u{2013}']) {
        Some((first, last)) => Some(range(parse_day(first)?, parse_day(last)?)),
        None => Some(WeekdaySet::single(parse_day(item)?)),
    }
}

/// Days from `first` to `last` inclusive, wrapping past Sunday.
fn range(first: Weekday, last: Weekday) -> WeekdaySet {
    let mut days = WeekdaySet::single(first);
    let mut day = first;
    while day != last {
        day = day.succ();
        days.insert(day);
    }
    days
}

fn parse_day(word: &str) -> Option<Weekday> {
    let day = match word {
        "mo" | "mon" | "monday" => Weekday::Mon,
        "tu" | "tue" | "tues" | "tuesday" => Weekday::Tue,
        "we" | "wed" | "wednesday" => Weekday::Wed,
        "th" | "thu" | "thur" | "thurs" | "thursday" => Weekday::Thu,
        "fr" | "fri" | "friday" => Weekday::Fri,
        "sa" | "sat" | "saturday" => Weekday::Sat,
        "su" | "sun" | "sunday" => Weekday::Sun,
        _ => return None,
    };
    Some(day)
}

/// Writes a weekday set in the form [`parse_weekdays`] reads: `daily`, `weekdays`,
/// `weekends`, or a list such as `mon,wed,fri`. The empty set is written as an empty string.
pub fn format_weekdays(days: WeekdaySet) -> String {
    if days == WeekdaySet::ALL {
        return "daily".to_string();
    }
    if days == range(Weekday::Mon, Weekday::Fri) {
        return "weekdays".to_string();
    }
    if days == range(Weekday::Sat, Weekday::Sun) {
        return "weekends".to_string();
    }
    days.iter(Weekday::Mon)
        .map(|day| day.to_string().to_lowercase())
        .collect::<Vec<_>>()
        .join(",")
}

/// One scheduled post: the local date it belongs to and the instant it goes out.
///
/// `at` usually falls on `local_date` in the schedule's zone. It falls on the next date only
/// when a whole local day is skipped, as in Pacific/Apia on 2011-12-30.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PostSlot {
    pub local_date: NaiveDate,
    pub at: DateTime<Utc>,
}

/// Computes the instant a post at local `time` on local `date` in `zone` goes out. A time
/// skipped by a gap moves to the first instant after the gap, and a time that happens twice
/// uses the earlier occurrence.
pub fn slot_for_date(time: NaiveTime, zone: Tz, date: NaiveDate) -> DateTime<Utc> {
    let local = date.and_time(time);
    match zone.from_local_datetime(&local) {
        LocalResult::Single(at) => at.with_timezone(&Utc),
        LocalResult::Ambiguous(a, b) => a.min(b).with_timezone(&Utc),
        LocalResult::None => first_instant_after_gap(zone, local)
            // NOTE: only reached at the ends of chrono's date range, where no instant exists;
            // reading the wall time as UTC keeps the result defined.
            .unwrap_or_else(|| local.and_utc()),
    }
}

/// Maximum gap length searched, in minutes. The longest real gap is a whole day (Pacific/Apia
/// skipped 2011-12-30), so two days leave room.
const MAX_GAP_MINUTES: i64 = 2 * 24 * 60;

/// Finds the first instant whose wall time is at or after `local`, which sits inside a gap.
fn first_instant_after_gap(zone: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    // Walk forward a minute at a time to the first wall time that exists.
    let mut probe = local;
    let mut found = None;
    for _ in 0..MAX_GAP_MINUTES {
        probe = probe.checked_add_signed(TimeDelta::minutes(1))?;
        if let Some(at) = earliest(zone.from_local_datetime(&probe)) {
            found = Some(at);
            break;
        }
    }
    let mut at = found?;
    // Offsets from before standard time (local mean time) include seconds, so a gap can end
    // up to a minute before `probe`. Step back to the transition instant itself.
    for _ in 0..60 {
        let Some(earlier) = at.checked_sub_signed(TimeDelta::seconds(1)) else {
            break;
        };
        if earlier.naive_local() < local {
            break;
        }
        at = earlier;
    }
    Some(at.with_timezone(&Utc))
}

fn earliest(result: LocalResult<DateTime<Tz>>) -> Option<DateTime<Tz>> {
    match result {
        LocalResult::Single(at) => Some(at),
        LocalResult::Ambiguous(a, b) => Some(a.min(b)),
        LocalResult::None => None,
    }
}

/// Iterator over the post slots of a schedule, in time order. Created by [`post_slots`].
#[derive(Debug, Clone)]
pub struct PostSlots {
    time: NaiveTime,
    zone: Tz,
    weekdays: WeekdaySet,
    next_date: Option<NaiveDate>,
    after: DateTime<Utc>,
}

impl Iterator for PostSlots {
    type Item = PostSlot;

    fn next(&mut self) -> Option<PostSlot> {
        if self.weekdays.is_empty() {
            return None;
        }
        loop {
            let date = self.next_date?;
            self.next_date = date.succ_opt();
            if !self.weekdays.contains(date.weekday()) {
                continue;
            }
            let at = slot_for_date(self.time, self.zone, date);
            if at <= self.after {
                continue;
            }
            self.after = at;
            return Some(PostSlot {
                local_date: date,
                at,
            });
        }
    }
}

/// Returns an iterator over every post slot strictly after `from`, in time order, on the
/// allowed `weekdays`. The iterator is empty when `weekdays` is empty and ends at chrono's
/// last date.
pub fn post_slots(
    time: NaiveTime,
    zone: Tz,
    from: DateTime<Utc>,
    weekdays: WeekdaySet,
) -> PostSlots {
    let today = local_date(zone, from);
    // Start a day early: a slot moved forward out of a gap can land after `from` even though
    // its local date is before today's.
    PostSlots {
        time,
        zone,
        weekdays,
        next_date: Some(today.pred_opt().unwrap_or(today)),
        after: from,
    }
}

/// Returns the date in `zone` at instant `at`. Near chrono's last instant the local date may
/// not be representable, so the UTC date is used there.
fn local_date(zone: Tz, at: DateTime<Utc>) -> NaiveDate {
    let offset = zone.offset_from_utc_datetime(&at.naive_utc()).fix();
    at.naive_utc()
        .checked_add_offset(offset)
        .map_or(at.date_naive(), |local| local.date())
}

/// Lists the next `count` post slots strictly after `from`, in time order, on the allowed
/// `weekdays`. Returns fewer only when `weekdays` is empty or chrono's date range ends.
pub fn next_post_instants(
    time: NaiveTime,
    zone: Tz,
    from: DateTime<Utc>,
    count: usize,
    weekdays: WeekdaySet,
) -> Vec<PostSlot> {
    post_slots(time, zone, from, weekdays).take(count).collect()
}

#[cfg(test)]
mod tests;
