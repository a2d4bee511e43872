//! The post instants of a digest schedule, for checking a schedule before saving it, as
//! `paperboy digest schedule` does.

use chrono::{DateTime, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::core::schedule::{self, WeekdaySet};
use crate::error::UserError;

/// Most instants one call lists.
pub const MAX_PLANNED_POSTS: usize = 1000;

/// How a daylight-saving change moved a post away from its plain wall-clock time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockChange {
    /// The clocks skipped the post time that day, so the post goes out at the first instant
    /// after the skipped hours.
    Gap,
    /// The post time happened twice that day, so the post goes out at the first occurrence.
    Overlap,
}

/// One post of a schedule.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedPost {
    /// The local date the post belongs to; it decides the once-per-date rule.
    pub local_date: NaiveDate,
    pub at: DateTime<Utc>,
    /// `at` in the schedule's zone.
    pub local: DateTime<Tz>,
    /// The post time of the schedule, which `local` differs from on a gap day.
    pub post_time: NaiveTime,
    pub clock_change: Option<ClockChange>,
}

/// The schedule as typed: a local time, a zone and, optionally, the weekdays.
#[derive(Debug, Clone, Copy)]
pub struct ScheduleInput<'a> {
    pub time: &'a str,
    pub zone: &'a str,
    /// `None` or blank means every day.
    pub weekdays: Option<&'a str>,
}

/// Lists the next `count` posts of a schedule strictly after `from`, with the same rules as the
/// poster: a time skipped by the clocks moves to the end of the gap, and a repeated time
/// posts at its first occurrence.
pub fn planned_posts(
    input: ScheduleInput<'_>,
    from: DateTime<Utc>,
    count: usize,
) -> Result<Vec<PlannedPost>, UserError> {
    if !(1..=MAX_PLANNED_POSTS).contains(&count) {
        return Err(UserError::new(format!(
            "The number of posts must be from 1 to {MAX_PLANNED_POSTS}; {count} is out of range."
        )));
    }
    let time = schedule::parse_time(input.time).map_err(|e| UserError::new(e.to_string()))?;
    let zone = schedule::parse_zone(input.zone).map_err(|e| UserError::new(e.to_string()))?;
    let weekdays = match input.weekdays.map(str::trim) {
        None | Some("") => WeekdaySet::ALL,
        Some(text) => schedule::parse_weekdays(text).map_err(|e| UserError::new(e.to_string()))?,
    };

    let posts = schedule::next_post_instants(time, zone, from, count, weekdays)
        .into_iter()
        .map(|slot| PlannedPost {
            local_date: slot.local_date,
            at: slot.at,
            local: slot.at.with_timezone(&zone),
            post_time: time,
            clock_change: clock_change(zone, slot.local_date.and_time(time)),
        })
        .collect();
    Ok(posts)
}

fn clock_change(zone: Tz, local: chrono::NaiveDateTime) -> Option<ClockChange> {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(_) => None,
        LocalResult::Ambiguous(_, _) => Some(ClockChange::Overlap),
        LocalResult::None => Some(ClockChange::Gap),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>(time: &'a str, zone: &'a str) -> ScheduleInput<'a> {
        ScheduleInput {
            time,
            zone,
            weekdays: None,
        }
    }

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn marks_gap_and_overlap_days() {
        let spring = planned_posts(
            input("02:30", "America/New_York"),
            utc("2026-03-07T00:00:00Z"),
            3,
        )
        .unwrap();
        let changes: Vec<_> = spring.iter().map(|p| p.clock_change).collect();
        assert_eq!(changes, vec![None, Some(ClockChange::Gap), None]);

        let fall = planned_posts(
            input("01:30", "America/New_York"),
            utc("2026-10-31T00:00:00Z"),
            3,
        )
        .unwrap();
        let changes: Vec<_> = fall.iter().map(|p| p.clock_change).collect();
        assert_eq!(changes, vec![None, Some(ClockChange::Overlap), None]);
    }

    #[test]
    fn count_out_of_range_names_the_range() {
        let error = planned_posts(input("09:00", "UTC"), Utc::now(), 0).unwrap_err();
        assert!(error.to_string().contains("1 to 1000"), "{error}");
    }

    #[test]
    fn fixed_offset_zone_is_rejected_with_suggestions() {
        let error = planned_posts(input("09:00", "UTC+2"), Utc::now(), 1).unwrap_err();
        assert!(error.to_string().contains("Europe/Berlin"), "{error}");
    }
}
