//! Transition instants below were checked against Python's zoneinfo on the system tz
//! database; each case names the local wall times around the transition.

use chrono::TimeZone;
use proptest::prelude::*;

use super::*;

fn time(text: &str) -> NaiveTime {
    parse_time(text).expect("test time is valid")
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("test date is valid")
}

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("test instant is valid")
        .with_timezone(&Utc)
}

fn days(text: &str) -> WeekdaySet {
    parse_weekdays(text).expect("test weekdays are valid")
}

// ---- parse_time ----

#[test]
fn parse_time_accepts_24_hour_forms() {
    assert_eq!(
        parse_time("09:30"),
        Ok(NaiveTime::from_hms_opt(9, 30, 0).unwrap())
    );
    assert_eq!(
        parse_time(" 9:05 "),
        Ok(NaiveTime::from_hms_opt(9, 5, 0).unwrap())
    );
    assert_eq!(parse_time("00:00"), Ok(NaiveTime::MIN));
    assert_eq!(
        parse_time("23:59"),
        Ok(NaiveTime::from_hms_opt(23, 59, 0).unwrap())
    );
}

#[test]
fn parse_time_rejects_end_of_day() {
    let error = parse_time("24:00").unwrap_err();
    assert_eq!(
        error,
        TimeError::EndOfDay {
            input: "24:00".to_string()
        }
    );
    assert!(error.to_string().contains("00:00"), "{error}");
}

#[test]
fn parse_time_rejects_out_of_range() {
    for input in ["24:30", "25:00", "12:60", "99:99"] {
        assert_eq!(
            parse_time(input),
            Err(TimeError::OutOfRange {
                input: input.to_string()
            }),
            "{input}"
        );
    }
}

#[test]
fn parse_time_suggests_24_hour_form() {
    let cases = [
        ("9am", "09:00"),
        ("9 PM", "21:00"),
        ("9:30pm", "21:30"),
        ("12am", "00:00"),
        ("12pm", "12:00"),
        ("11:59 p.m.", "23:59"),
    ];
    for (input, suggestion) in cases {
        assert_eq!(
            parse_time(input),
            Err(TimeError::TwelveHour {
                input: input.to_string(),
                suggestion: suggestion.to_string()
            }),
            "{input}"
        );
    }
    assert_eq!(
        parse_time("9pm").unwrap_err().to_string(),
        "`9pm` is a 12-hour time. Use 24-hour HH:MM: 21:00."
    );
    assert!(matches!(
        parse_time("13pm"),
        Err(TimeError::OutOfRange { .. })
    ));
}

#[test]
fn parse_time_rejects_other_forms() {
    for input in ["9", "0930", "9.30", "09:30:00", "noon", "-1:00", "٠٩:٣٠"] {
        assert_eq!(
            parse_time(input),
            Err(TimeError::Invalid {
                input: input.to_string()
            }),
            "{input}"
        );
    }
    assert_eq!(parse_time("  "), Err(TimeError::Empty));
}

// ---- parse_weekdays ----

#[test]
fn parse_weekdays_reads_keywords() {
    assert_eq!(days("daily"), WeekdaySet::ALL);
    assert_eq!(days("ALL"), WeekdaySet::ALL);
    assert_eq!(days("every day"), WeekdaySet::ALL);
    assert_eq!(
        days("weekdays"),
        WeekdaySet::from_array([
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri
        ])
    );
    assert_eq!(
        days("weekends"),
        WeekdaySet::from_array([Weekday::Sat, Weekday::Sun])
    );
}

#[test]
fn parse_weekdays_reads_ranges_and_lists() {
    assert_eq!(days("mon-fri"), days("weekdays"));
    assert_eq!(days("Monday–Friday"), days("weekdays"));
    assert_eq!(
        days("mon,wed,fri"),
        WeekdaySet::from_array([Weekday::Mon, Weekday::Wed, Weekday::Fri])
    );
    assert_eq!(
        days("Tue Thu"),
        WeekdaySet::from_array([Weekday::Tue, Weekday::Thu])
    );
    assert_eq!(
        days("fri-mon"),
        WeekdaySet::from_array([Weekday::Fri, Weekday::Sat, Weekday::Sun, Weekday::Mon])
    );
    assert_eq!(days("wed-wed"), WeekdaySet::single(Weekday::Wed));
    assert_eq!(
        days("weekends, wed"),
        WeekdaySet::from_array([Weekday::Sat, Weekday::Sun, Weekday::Wed])
    );
}

#[test]
fn parse_weekdays_rejects_unknown_days() {
    let error = parse_weekdays("mon,funday").unwrap_err();
    assert_eq!(
        error,
        WeekdaysError::UnknownDay {
            input: "mon,funday".to_string(),
            item: "funday".to_string()
        }
    );
    assert!(error.to_string().contains("mon-fri"), "{error}");
    assert!(matches!(
        parse_weekdays("mon-"),
        Err(WeekdaysError::UnknownDay { .. })
    ));
    assert_eq!(parse_weekdays(" "), Err(WeekdaysError::Empty));
    assert_eq!(parse_weekdays(" , "), Err(WeekdaysError::Empty));
}

#[test]
fn format_weekdays_round_trips() {
    for text in [
        "daily",
        "weekdays",
        "weekends",
        "mon,wed,fri",
        "sun",
        "mon,tue,sat,sun",
    ] {
        assert_eq!(format_weekdays(days(text)), text);
    }
    assert_eq!(format_weekdays(days("fri-mon")), "mon,fri,sat,sun");
}

// ---- slot_for_date: a normal day, the gap and the overlap in each zone ----

/// One zone's transition days: (date, local time, expected UTC instant).
struct Case {
    zone: Tz,
    description: &'static str,
    date: NaiveDate,
    time: &'static str,
    expected: &'static str,
}

fn check(cases: &[Case]) {
    for case in cases {
        let at = slot_for_date(time(case.time), case.zone, case.date);
        assert_eq!(
            at,
            utc(case.expected),
            "{} {} {} {}",
            case.zone.name(),
            case.description,
            case.date,
            case.time
        );
    }
}

#[test]
fn new_york_transitions() {
    let zone = Tz::America__New_York;
    check(&[
        // 2025-03-09: 02:00 EST becomes 03:00 EDT at 07:00Z.
        Case {
            zone,
            description: "normal time on spring day",
            date: date(2025, 3, 9),
            time: "09:00",
            expected: "2025-03-09T13:00:00Z",
        },
        Case {
            zone,
            description: "inside gap",
            date: date(2025, 3, 9),
            time: "02:30",
            expected: "2025-03-09T07:00:00Z",
        },
        Case {
            zone,
            description: "gap start",
            date: date(2025, 3, 9),
            time: "02:00",
            expected: "2025-03-09T07:00:00Z",
        },
        Case {
            zone,
            description: "just before gap",
            date: date(2025, 3, 9),
            time: "01:59",
            expected: "2025-03-09T06:59:00Z",
        },
        // 2025-11-02: 02:00 EDT becomes 01:00 EST at 06:00Z; 01:30 happens twice.
        Case {
            zone,
            description: "inside overlap",
            date: date(2025, 11, 2),
            time: "01:30",
            expected: "2025-11-02T05:30:00Z",
        },
        Case {
            zone,
            description: "after overlap",
            date: date(2025, 11, 2),
            time: "02:00",
            expected: "2025-11-02T07:00:00Z",
        },
        Case {
            zone,
            description: "winter",
            date: date(2025, 12, 1),
            time: "09:00",
            expected: "2025-12-01T14:00:00Z",
        },
    ]);
}

#[test]
fn berlin_and_london_transitions() {
    let berlin = Tz::Europe__Berlin;
    let london = Tz::Europe__London;
    check(&[
        // 2025-03-30 at 01:00Z: Berlin 02:00 CET becomes 03:00 CEST, London 01:00 GMT becomes 02:00 BST.
        Case {
            zone: berlin,
            description: "inside gap",
            date: date(2025, 3, 30),
            time: "02:30",
            expected: "2025-03-30T01:00:00Z",
        },
        Case {
            zone: london,
            description: "inside gap",
            date: date(2025, 3, 30),
            time: "01:30",
            expected: "2025-03-30T01:00:00Z",
        },
        Case {
            zone: london,
            description: "after gap",
            date: date(2025, 3, 30),
            time: "09:00",
            expected: "2025-03-30T08:00:00Z",
        },
        // 2025-10-26 at 01:00Z: Berlin 03:00 CEST becomes 02:00 CET, London 02:00 BST becomes 01:00 GMT.
        Case {
            zone: berlin,
            description: "inside overlap",
            date: date(2025, 10, 26),
            time: "02:30",
            expected: "2025-10-26T00:30:00Z",
        },
        Case {
            zone: london,
            description: "inside overlap",
            date: date(2025, 10, 26),
            time: "01:30",
            expected: "2025-10-26T00:30:00Z",
        },
        Case {
            zone: london,
            description: "winter",
            date: date(2025, 10, 26),
            time: "09:00",
            expected: "2025-10-26T09:00:00Z",
        },
    ]);
}

#[test]
fn sydney_transitions_southern_hemisphere() {
    let zone = Tz::Australia__Sydney;
    check(&[
        // 2025-04-06: 03:00 AEDT (+11) becomes 02:00 AEST (+10) at 16:00Z the day before.
        Case {
            zone,
            description: "inside overlap",
            date: date(2025, 4, 6),
            time: "02:30",
            expected: "2025-04-05T15:30:00Z",
        },
        Case {
            zone,
            description: "after overlap",
            date: date(2025, 4, 6),
            time: "09:00",
            expected: "2025-04-05T23:00:00Z",
        },
        // 2025-10-05: 02:00 AEST becomes 03:00 AEDT at 16:00Z the day before.
        Case {
            zone,
            description: "inside gap",
            date: date(2025, 10, 5),
            time: "02:30",
            expected: "2025-10-04T16:00:00Z",
        },
        Case {
            zone,
            description: "after gap",
            date: date(2025, 10, 5),
            time: "09:00",
            expected: "2025-10-04T22:00:00Z",
        },
    ]);
}

#[test]
fn adelaide_transitions_half_hour_offset() {
    let zone = Tz::Australia__Adelaide;
    check(&[
        // 2025-04-06: 03:00 ACDT (+10:30) becomes 02:00 ACST (+9:30) at 16:30Z the day before.
        Case {
            zone,
            description: "inside overlap",
            date: date(2025, 4, 6),
            time: "02:30",
            expected: "2025-04-05T16:00:00Z",
        },
        Case {
            zone,
            description: "after overlap",
            date: date(2025, 4, 6),
            time: "09:00",
            expected: "2025-04-05T23:30:00Z",
        },
        // 2025-10-05: 02:00 ACST becomes 03:00 ACDT at 16:30Z the day before.
        Case {
            zone,
            description: "inside gap",
            date: date(2025, 10, 5),
            time: "02:15",
            expected: "2025-10-04T16:30:00Z",
        },
        Case {
            zone,
            description: "after gap",
            date: date(2025, 10, 5),
            time: "09:00",
            expected: "2025-10-04T22:30:00Z",
        },
    ]);
}

#[test]
fn kolkata_has_no_transitions() {
    let zone = Tz::Asia__Kolkata;
    check(&[
        Case {
            zone,
            description: "march",
            date: date(2025, 3, 30),
            time: "09:00",
            expected: "2025-03-30T03:30:00Z",
        },
        Case {
            zone,
            description: "october",
            date: date(2025, 10, 26),
            time: "02:30",
            expected: "2025-10-25T21:00:00Z",
        },
    ]);
}

#[test]
fn auckland_transitions() {
    let zone = Tz::Pacific__Auckland;
    check(&[
        // 2025-04-06: 03:00 NZDT (+13) becomes 02:00 NZST (+12) at 14:00Z the day before.
        Case {
            zone,
            description: "inside overlap",
            date: date(2025, 4, 6),
            time: "02:30",
            expected: "2025-04-05T13:30:00Z",
        },
        // 2025-09-28: 02:00 NZST becomes 03:00 NZDT at 14:00Z the day before.
        Case {
            zone,
            description: "inside gap",
            date: date(2025, 9, 28),
            time: "02:30",
            expected: "2025-09-27T14:00:00Z",
        },
    ]);
}

#[test]
fn santiago_transitions_at_midnight() {
    let zone = Tz::America__Santiago;
    check(&[
        // 2025-04-06 00:00 -03 becomes 2025-04-05 23:00 -04 at 03:00Z: 23:30 on the 5th repeats.
        Case {
            zone,
            description: "inside overlap",
            date: date(2025, 4, 5),
            time: "23:30",
            expected: "2025-04-06T02:30:00Z",
        },
        Case {
            zone,
            description: "day after overlap",
            date: date(2025, 4, 6),
            time: "00:30",
            expected: "2025-04-06T04:30:00Z",
        },
        // 2025-09-07 00:00 -04 becomes 01:00 -03 at 04:00Z: midnight itself does not exist.
        Case {
            zone,
            description: "midnight in gap",
            date: date(2025, 9, 7),
            time: "00:00",
            expected: "2025-09-07T04:00:00Z",
        },
        Case {
            zone,
            description: "inside gap",
            date: date(2025, 9, 7),
            time: "00:30",
            expected: "2025-09-07T04:00:00Z",
        },
        Case {
            zone,
            description: "before gap",
            date: date(2025, 9, 6),
            time: "23:30",
            expected: "2025-09-07T03:30:00Z",
        },
    ]);
}

#[test]
fn lord_howe_transitions_half_hour_shift() {
    let zone = Tz::Australia__Lord_Howe;
    check(&[
        // 2025-04-06: 02:00 (+11) becomes 01:30 (+10:30) at 15:00Z the day before.
        Case {
            zone,
            description: "inside overlap",
            date: date(2025, 4, 6),
            time: "01:45",
            expected: "2025-04-05T14:45:00Z",
        },
        Case {
            zone,
            description: "after overlap",
            date: date(2025, 4, 6),
            time: "02:00",
            expected: "2025-04-05T15:30:00Z",
        },
        // 2025-10-05: 02:00 (+10:30) becomes 02:30 (+11) at 15:30Z the day before.
        Case {
            zone,
            description: "inside gap",
            date: date(2025, 10, 5),
            time: "02:15",
            expected: "2025-10-04T15:30:00Z",
        },
        Case {
            zone,
            description: "gap end",
            date: date(2025, 10, 5),
            time: "02:30",
            expected: "2025-10-04T15:30:00Z",
        },
        Case {
            zone,
            description: "before gap",
            date: date(2025, 10, 5),
            time: "01:59",
            expected: "2025-10-04T15:29:00Z",
        },
    ]);
}

#[test]
fn apia_skipped_day_posts_after_gap() {
    // Samoa skipped 2011-12-30: 23:59:59 on the 29th (-10) was followed by 00:00 on the 31st (+14).
    let zone = Tz::Pacific__Apia;
    check(&[Case {
        zone,
        description: "skipped day",
        date: date(2011, 12, 30),
        time: "09:00",
        expected: "2011-12-30T10:00:00Z",
    }]);
    let slots = next_post_instants(
        time("09:00"),
        zone,
        utc("2011-12-29T00:00:00Z"),
        3,
        WeekdaySet::ALL,
    );
    let dates: Vec<NaiveDate> = slots.iter().map(|s| s.local_date).collect();
    assert_eq!(
        dates,
        vec![date(2011, 12, 29), date(2011, 12, 30), date(2011, 12, 31)]
    );
    assert_eq!(slots[1].at, utc("2011-12-30T10:00:00Z"));
    assert_eq!(slots[2].at, utc("2011-12-30T19:00:00Z"));
}

// ---- next_post_instants ----

#[test]
fn next_slots_cross_spring_gap_and_fall_overlap() {
    let zone = Tz::America__New_York;
    let spring = next_post_instants(
        time("02:30"),
        zone,
        utc("2025-03-08T00:00:00Z"),
        3,
        WeekdaySet::ALL,
    );
    let instants: Vec<_> = spring.iter().map(|s| s.at).collect();
    assert_eq!(
        instants,
        vec![
            utc("2025-03-08T07:30:00Z"),
            utc("2025-03-09T07:00:00Z"),
            utc("2025-03-10T06:30:00Z")
        ]
    );

    let fall = next_post_instants(
        time("01:30"),
        zone,
        utc("2025-11-01T12:00:00Z"),
        2,
        WeekdaySet::ALL,
    );
    assert_eq!(fall.len(), 2);
    assert_eq!(
        fall[0],
        PostSlot {
            local_date: date(2025, 11, 2),
            at: utc("2025-11-02T05:30:00Z")
        }
    );
    assert_eq!(
        fall[1],
        PostSlot {
            local_date: date(2025, 11, 3),
            at: utc("2025-11-03T06:30:00Z")
        }
    );
}

#[test]
fn next_slots_are_strictly_after_from() {
    let zone = Tz::Europe__Berlin;
    let from = utc("2025-06-02T07:00:00Z"); // exactly 09:00 CEST on a Monday
    let slots = next_post_instants(time("09:00"), zone, from, 1, WeekdaySet::ALL);
    assert_eq!(slots[0].local_date, date(2025, 6, 3));
    let just_before = next_post_instants(
        time("09:00"),
        zone,
        from - TimeDelta::seconds(1),
        1,
        WeekdaySet::ALL,
    );
    assert_eq!(just_before[0].at, from);
}

#[test]
fn next_slots_skip_disallowed_weekdays() {
    let zone = Tz::Asia__Kolkata;
    // Friday 2025-06-06 at 12:00 IST, after the 09:00 post.
    let from = utc("2025-06-06T06:30:00Z");
    let slots = next_post_instants(time("09:00"), zone, from, 3, days("mon-fri"));
    let dates: Vec<NaiveDate> = slots.iter().map(|s| s.local_date).collect();
    assert_eq!(
        dates,
        vec![date(2025, 6, 9), date(2025, 6, 10), date(2025, 6, 11)]
    );

    let sparse = next_post_instants(time("09:00"), zone, from, 3, days("mon,wed,fri"));
    let dates: Vec<NaiveDate> = sparse.iter().map(|s| s.local_date).collect();
    assert_eq!(
        dates,
        vec![date(2025, 6, 9), date(2025, 6, 11), date(2025, 6, 13)]
    );
}

#[test]
fn weekday_is_local_not_utc() {
    // 08:00 Thursday 2026-01-01 in Auckland is 19:00Z on Wednesday 2025-12-31.
    let zone = Tz::Pacific__Auckland;
    let slots = next_post_instants(
        time("08:00"),
        zone,
        utc("2025-12-31T00:00:00Z"),
        1,
        days("thu"),
    );
    assert_eq!(
        slots,
        vec![PostSlot {
            local_date: date(2026, 1, 1),
            at: utc("2025-12-31T19:00:00Z")
        }]
    );
}

#[test]
fn next_slots_cross_year_end() {
    let zone = Tz::Asia__Tokyo;
    let slots = next_post_instants(
        time("09:00"),
        zone,
        utc("2025-12-30T01:00:00Z"),
        4,
        WeekdaySet::ALL,
    );
    let dates: Vec<NaiveDate> = slots.iter().map(|s| s.local_date).collect();
    assert_eq!(
        dates,
        vec![
            date(2025, 12, 31),
            date(2026, 1, 1),
            date(2026, 1, 2),
            date(2026, 1, 3)
        ]
    );
    assert_eq!(slots[1].at, utc("2026-01-01T00:00:00Z"));

    let weekdays = next_post_instants(
        time("09:00"),
        zone,
        utc("2025-12-30T01:00:00Z"),
        3,
        days("weekdays"),
    );
    let dates: Vec<NaiveDate> = weekdays.iter().map(|s| s.local_date).collect();
    assert_eq!(
        dates,
        vec![date(2025, 12, 31), date(2026, 1, 1), date(2026, 1, 2)]
    );
}

#[test]
fn next_slots_with_no_weekdays_is_empty() {
    let slots = next_post_instants(
        time("09:00"),
        Tz::Etc__UTC,
        utc("2025-01-01T00:00:00Z"),
        5,
        WeekdaySet::EMPTY,
    );
    assert!(slots.is_empty());
}

#[test]
fn next_slots_near_range_ends() {
    let slots = next_post_instants(
        time("09:00"),
        Tz::Pacific__Kiritimati,
        DateTime::<Utc>::MAX_UTC,
        3,
        WeekdaySet::ALL,
    );
    assert!(slots.len() <= 3);
    let early = next_post_instants(
        time("09:00"),
        Tz::Pacific__Pago_Pago,
        DateTime::<Utc>::MIN_UTC,
        2,
        WeekdaySet::ALL,
    );
    assert_eq!(early.len(), 2);
    let _ = slot_for_date(time("23:59"), Tz::Pacific__Kiritimati, NaiveDate::MAX);
    let _ = slot_for_date(time("00:00"), Tz::Pacific__Pago_Pago, NaiveDate::MIN);
}

// ---- properties ----

fn any_zone() -> impl Strategy<Value = Tz> {
    prop::sample::select(chrono_tz::TZ_VARIANTS.to_vec())
}

fn any_weekdays() -> impl Strategy<Value = WeekdaySet> {
    // Bit i set means Weekday::try_from(i), counting from Monday; 0 (no days) is excluded.
    (1u8..128).prop_map(|bits| {
        (0u8..7)
            .filter(|i| bits & (1 << i) != 0)
            .filter_map(|i| Weekday::try_from(i).ok())
            .collect()
    })
}

proptest! {
    #[test]
    fn slots_increase_after_from_on_allowed_days(
        zone in any_zone(),
        hour in 0u32..24,
        minute in 0u32..60,
        // 1900-01-01 to 2100-01-01, in seconds.
        seconds in -2_208_988_800i64..4_102_444_800,
        count in 0usize..20,
        weekdays in any_weekdays(),
    ) {
        let from = Utc.timestamp_opt(seconds, 0).single().expect("in range");
        let post_time = NaiveTime::from_hms_opt(hour, minute, 0).expect("valid");
        let slots = next_post_instants(post_time, zone, from, count, weekdays);
        prop_assert_eq!(slots.len(), count);
        for slot in &slots {
            prop_assert!(slot.at > from);
            prop_assert!(weekdays.contains(slot.local_date.weekday()));
            prop_assert_eq!(slot.at, slot_for_date(post_time, zone, slot.local_date));
        }
        for pair in slots.windows(2) {
            prop_assert!(pair[0].at < pair[1].at);
            prop_assert!(pair[0].local_date < pair[1].local_date);
        }
    }

    #[test]
    fn slot_wall_time_matches_request(
        zone in any_zone(),
        hour in 0u32..24,
        minute in 0u32..60,
        day in 0i64..73_000, // 1900 to 2100
    ) {
        let date = date(1900, 1, 1) + TimeDelta::days(day);
        let post_time = NaiveTime::from_hms_opt(hour, minute, 0).expect("valid");
        let at = slot_for_date(post_time, zone, date).with_timezone(&zone);
        let requested = date.and_time(post_time);
        // Either the requested wall time, or the first one after a gap, which is later.
        prop_assert!(at.naive_local() >= requested);
        if at.naive_local() > requested {
            prop_assert!(matches!(zone.from_local_datetime(&requested), LocalResult::None));
            // One second earlier is still before the requested time: the gap's end.
            let before = (at - TimeDelta::seconds(1)).naive_local();
            prop_assert!(before < requested);
        }
    }

    #[test]
    fn parsers_never_panic(input in any::<String>()) {
        let _ = parse_time(&input);
        let _ = parse_weekdays(&input);
        let _ = parse_zone(&input);
    }
}
