//! Parsing the time zone of a schedule. Only IANA names of places (`Europe/Berlin`) and UTC
//! are accepted, because abbreviations and fixed offsets cannot follow daylight saving time:
//! a digest set to "CET" or "UTC+1" would post an hour off for half the year. Rejections
//! suggest real zone names.

use std::collections::HashMap;
use std::sync::LazyLock;

use chrono::{NaiveDate, Offset, TimeZone};
use chrono_tz::{Tz, TZ_VARIANTS};
use regex::Regex;

/// Most zone names one error message suggests.
const MAX_SUGGESTIONS: usize = 3;

/// Zone names used in messages when nothing closer is known.
const EXAMPLES: &[&str] = &["Europe/Berlin", "America/New_York", "Asia/Kolkata"];

/// Error returned by [`parse_zone`]. Each message names what is accepted and suggests zones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZoneError {
    #[error(
        "The time zone is missing. Use an IANA zone name such as {}, or UTC.",
        or_list(EXAMPLES)
    )]
    Empty,
    #[error(
        "`{input}` is a time zone abbreviation. Abbreviations are ambiguous and do not follow \
         daylight saving time, so use an IANA zone name such as {}.",
        or_list(suggestions)
    )]
    Abbreviation {
        input: String,
        suggestions: Vec<&'static str>,
    },
    #[error(
        "`{input}` is a fixed UTC offset, which does not follow daylight saving time. {}",
        offset_hint(suggestions)
    )]
    FixedOffset {
        input: String,
        suggestions: Vec<&'static str>,
    },
    #[error(
        "`{input}` is an old alias in the time zone database. Use the current name, {}.",
        or_list(suggestions)
    )]
    LegacyName {
        input: String,
        suggestions: Vec<&'static str>,
    },
    #[error(
        "`{input}` is not an IANA time zone name. {}",
        unknown_hint(suggestions)
    )]
    Unknown {
        input: String,
        suggestions: Vec<&'static str>,
    },
}

impl ZoneError {
    /// Zone names the message suggests, best first: the matches found for the input, or
    /// general examples when there are none. Every one is accepted by [`parse_zone`].
    pub fn suggestions(&self) -> &[&'static str] {
        let matches = match self {
            ZoneError::Empty => return EXAMPLES,
            ZoneError::Abbreviation { suggestions, .. }
            | ZoneError::FixedOffset { suggestions, .. }
            | ZoneError::LegacyName { suggestions, .. }
            | ZoneError::Unknown { suggestions, .. } => suggestions,
        };
        if matches.is_empty() {
            EXAMPLES
        } else {
            matches
        }
    }
}

fn or_list(names: &[&str]) -> String {
    match names {
        [] => or_list(EXAMPLES),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

fn offset_hint(suggestions: &[&str]) -> String {
    if suggestions.is_empty() {
        format!(
            "Use the IANA zone name of your location, such as {}.",
            or_list(EXAMPLES)
        )
    } else {
        format!(
            "Use the IANA zone name of a place with that offset, such as {}.",
            or_list(suggestions)
        )
    }
}

fn unknown_hint(suggestions: &[&str]) -> String {
    if suggestions.is_empty() {
        format!("Use a name such as {}, or UTC.", or_list(EXAMPLES))
    } else {
        format!("Did you mean {}?", or_list(suggestions))
    }
}

/// Parses a time zone name. Accepts any IANA `Area/Location` name, matched case-insensitively
/// and with spaces read as underscores (`america/new york` gives `America/New_York`), and
/// `UTC` or `Etc/UTC`, which both give `Etc/UTC`.
///
/// Rejects abbreviations (`EST`, `CET`, `IST`), fixed offsets (`UTC+2`, `+05:30`, `GMT-3`,
/// `Etc/GMT+5`), `GMT` (which people also use for UK time), and the database's old aliases
/// without a slash, such as `Japan`. Old aliases with a slash, such as `US/Eastern`, are
/// accepted because they still follow a region's daylight saving rules.
pub fn parse_zone(input: &str) -> Result<Tz, ZoneError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(ZoneError::Empty);
    }
    let key = trimmed.to_lowercase().replace(' ', "_");
    let error_input = trimmed.to_string();

    if key == "utc" || key == "etc/utc" {
        return Ok(chrono_tz::Etc::UTC);
    }
    if let Some(minutes) = fixed_offset_minutes(&key) {
        return Err(ZoneError::FixedOffset {
            input: error_input,
            suggestions: zones_with_offset(minutes),
        });
    }
    if let Some(suggestions) = abbreviation_zones(&key) {
        return Err(ZoneError::Abbreviation {
            input: error_input,
            suggestions: suggestions.to_vec(),
        });
    }
    match ZONES_BY_LOWERCASE_NAME.get(key.as_str()) {
        Some(&zone) if is_place_name(zone.name()) => Ok(zone),
        Some(_) => Err(ZoneError::LegacyName {
            input: error_input,
            suggestions: legacy_replacement(&key).to_vec(),
        }),
        None => Err(ZoneError::Unknown {
            input: error_input,
            suggestions: closest_names(&key),
        }),
    }
}

/// Every zone in the database, keyed by lower-case name.
static ZONES_BY_LOWERCASE_NAME: LazyLock<HashMap<String, Tz>> = LazyLock::new(|| {
    TZ_VARIANTS
        .iter()
        .map(|zone| (zone.name().to_lowercase(), *zone))
        .collect()
});

/// Names of the form `Area/Location` outside `Etc/`, plus `Etc/UTC`: the names that
/// [`parse_zone`] accepts.
fn is_place_name(name: &str) -> bool {
    name == "Etc/UTC" || (name.contains('/') && !name.starts_with("Etc/"))
}

/// Recognizes `UTC+2`, `GMT-03:00`, `+0530` and `Etc/GMT+5`, returning the offset east of
/// UTC in minutes. `GMT+5` is five hours east, but `Etc/GMT+5` is five hours west.
fn fixed_offset_minutes(key: &str) -> Option<i32> {
    static OFFSET: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^(utc|gmt|z|ut)?_*([+\-\u{2212}])_*([0-9]{1,2})(:?([0-9]{2}))?$")
            .expect("offset pattern is valid")
    });
    static ETC_GMT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^etc/(gmt|utc|uct)([+\-]?)([0-9]{1,2})$").expect("Etc pattern is valid")
    });
    if let Some(caps) = ETC_GMT.captures(key) {
        let hours: i32 = caps[3].parse().ok()?;
        // The database's Etc names follow POSIX and count hours west of Greenwich.
        let sign = if &caps[2] == "+" { -1 } else { 1 };
        return Some(sign * hours * 60);
    }
    let caps = OFFSET.captures(key)?;
    let hours: i32 = caps[3].parse().ok()?;
    let minutes: i32 = caps.get(5).map_or(Ok(0), |m| m.as_str().parse()).ok()?;
    let sign = if &caps[2] == "+" { 1 } else { -1 };
    Some(sign * (hours * 60 + minutes))
}

/// Zones in common use, in the order that offset suggestions list them.
const COMMON_ZONES: &[&str] = &[
    "Etc/UTC",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Phoenix",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Mexico_City",
    "America/Toronto",
    "America/Bogota",
    "America/Halifax",
    "America/St_Johns",
    "America/Santiago",
    "America/Sao_Paulo",
    "America/Argentina/Buenos_Aires",
    "Atlantic/Azores",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Lisbon",
    "Europe/Berlin",
    "Europe/Paris",
    "Africa/Lagos",
    "Europe/Athens",
    "Africa/Cairo",
    "Africa/Johannesburg",
    "Europe/Istanbul",
    "Europe/Moscow",
    "Africa/Nairobi",
    "Asia/Tehran",
    "Asia/Dubai",
    "Asia/Kabul",
    "Asia/Karachi",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Asia/Dhaka",
    "Asia/Yangon",
    "Asia/Bangkok",
    "Asia/Jakarta",
    "Asia/Shanghai",
    "Asia/Singapore",
    "Australia/Perth",
    "Asia/Tokyo",
    "Asia/Seoul",
    "Australia/Adelaide",
    "Australia/Darwin",
    "Australia/Brisbane",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Pacific/Noumea",
    "Pacific/Auckland",
    "Pacific/Chatham",
    "Pacific/Fiji",
    "Pacific/Tongatapu",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
];

/// Common zones whose offset is `minutes` in January or July 2025. A fixed date keeps the
/// suggestions stable; zones that change their rules later may be suggested wrongly.
fn zones_with_offset(minutes: i32) -> Vec<&'static str> {
    let has_offset = |name: &&&str| {
        let Ok(zone) = name.parse::<Tz>() else {
            return false;
        };
        [1, 7].iter().any(|&month| {
            let noon = NaiveDate::from_ymd_opt(2025, month, 15)
                .and_then(|d| d.and_hms_opt(12, 0, 0))
                .expect("fixed date is valid");
            zone.offset_from_utc_datetime(&noon).fix().local_minus_utc() == minutes * 60
        })
    };
    COMMON_ZONES
        .iter()
        .filter(has_offset)
        .take(MAX_SUGGESTIONS)
        .copied()
        .collect()
}

/// Zones that people usually mean by an abbreviation or a legacy abbreviation-style zone.
/// Ambiguous abbreviations list one zone per meaning: IST is India, Ireland and Israel.
const ABBREVIATIONS: &[(&[&str], &[&str])] = &[
    (
        &["pst", "pdt", "pt", "pst8pdt"],
        &["America/Los_Angeles", "America/Vancouver"],
    ),
    (
        &["mst", "mdt", "mt", "mst7mdt"],
        &["America/Denver", "America/Phoenix", "America/Edmonton"],
    ),
    (
        &["cst", "cdt", "ct", "cst6cdt"],
        &["America/Chicago", "America/Mexico_City", "Asia/Shanghai"],
    ),
    (
        &["est", "edt", "et", "est5edt"],
        &["America/New_York", "America/Toronto"],
    ),
    (&["akst", "akdt"], &["America/Anchorage"]),
    (&["hst", "hdt"], &["Pacific/Honolulu"]),
    (
        &["ast", "adt"],
        &["America/Halifax", "America/Puerto_Rico", "Asia/Riyadh"],
    ),
    (&["nst", "ndt"], &["America/St_Johns"]),
    (
        &["gmt", "bst", "greenwich", "gmt0"],
        &["Europe/London", "Etc/UTC"],
    ),
    (&["z", "zulu", "uct", "universal", "ut"], &["Etc/UTC"]),
    (&["wet", "west"], &["Europe/Lisbon"]),
    (
        &["cet", "cest", "met", "mest"],
        &["Europe/Paris", "Europe/Berlin"],
    ),
    (
        &["eet", "eest"],
        &["Europe/Athens", "Europe/Helsinki", "Africa/Cairo"],
    ),
    (&["msk"], &["Europe/Moscow"]),
    (
        &["ist"],
        &["Asia/Kolkata", "Europe/Dublin", "Asia/Jerusalem"],
    ),
    (&["pkt"], &["Asia/Karachi"]),
    (&["ict"], &["Asia/Bangkok"]),
    (&["wib"], &["Asia/Jakarta"]),
    (&["sgt"], &["Asia/Singapore"]),
    (&["hkt"], &["Asia/Hong_Kong"]),
    (&["pht"], &["Asia/Manila"]),
    (&["jst"], &["Asia/Tokyo"]),
    (&["kst"], &["Asia/Seoul"]),
    (&["awst"], &["Australia/Perth"]),
    (
        &["acst", "acdt"],
        &["Australia/Adelaide", "Australia/Darwin"],
    ),
    (
        &["aest", "aedt"],
        &[
            "Australia/Sydney",
            "Australia/Melbourne",
            "Australia/Brisbane",
        ],
    ),
    (&["nzst", "nzdt"], &["Pacific/Auckland"]),
    (&["brt"], &["America/Sao_Paulo"]),
    (&["art"], &["America/Argentina/Buenos_Aires"]),
    (&["sast"], &["Africa/Johannesburg"]),
    (&["cat"], &["Africa/Maputo"]),
    (&["eat"], &["Africa/Nairobi"]),
    (&["wat"], &["Africa/Lagos"]),
];

fn abbreviation_zones(key: &str) -> Option<&'static [&'static str]> {
    ABBREVIATIONS
        .iter()
        .find(|(names, _)| names.contains(&key))
        .map(|(_, zones)| *zones)
}

/// Current names for the database's old aliases that are neither abbreviations nor offsets,
/// from its `backward` and `etcetera` files (release 2025b, as bundled with chrono-tz 0.10.4).
const LEGACY_NAMES: &[(&str, &str)] = &[
    ("etc/gmt", "Etc/UTC"),
    ("etc/greenwich", "Etc/UTC"),
    ("etc/uct", "Etc/UTC"),
    ("etc/universal", "Etc/UTC"),
    ("etc/zulu", "Etc/UTC"),
    ("cuba", "America/Havana"),
    ("egypt", "Africa/Cairo"),
    ("eire", "Europe/Dublin"),
    ("gb", "Europe/London"),
    ("gb-eire", "Europe/London"),
    ("hongkong", "Asia/Hong_Kong"),
    ("iceland", "Atlantic/Reykjavik"),
    ("iran", "Asia/Tehran"),
    ("israel", "Asia/Jerusalem"),
    ("jamaica", "America/Jamaica"),
    ("japan", "Asia/Tokyo"),
    ("kwajalein", "Pacific/Kwajalein"),
    ("libya", "Africa/Tripoli"),
    ("nz", "Pacific/Auckland"),
    ("nz-chat", "Pacific/Chatham"),
    ("navajo", "America/Denver"),
    ("prc", "Asia/Shanghai"),
    ("poland", "Europe/Warsaw"),
    ("portugal", "Europe/Lisbon"),
    ("roc", "Asia/Taipei"),
    ("rok", "Asia/Seoul"),
    ("singapore", "Asia/Singapore"),
    ("turkey", "Europe/Istanbul"),
    ("w-su", "Europe/Moscow"),
];

fn legacy_replacement(key: &str) -> &'static [&'static str] {
    for (name, zone) in LEGACY_NAMES {
        if *name == key {
            return std::slice::from_ref(zone);
        }
    }
    EXAMPLES
}

/// Accepted zone names closest to `key` by edit distance, comparing with the whole name and,
/// for input without a slash, with the city part (`berlin` finds `Europe/Berlin`).
fn closest_names(key: &str) -> Vec<&'static str> {
    let max_distance = if key.chars().count() <= 12 { 2 } else { 3 };
    let mut scored: Vec<(usize, &'static str)> = TZ_VARIANTS
        .iter()
        .map(|zone| zone.name())
        .filter(|name| is_place_name(name))
        .filter_map(|name| {
            let lower = name.to_lowercase();
            let mut distance = edit_distance(key, &lower);
            if !key.contains('/') {
                let city = lower.rsplit('/').next().unwrap_or(&lower);
                distance = distance.min(edit_distance(key, city));
            }
            (distance <= max_distance).then_some((distance, name))
        })
        .collect();
    scored.sort();
    scored
        .into_iter()
        .take(MAX_SUGGESTIONS)
        .map(|(_, name)| name)
        .collect()
}

/// Optimal-string-alignment distance: insertions, deletions, substitutions and swaps of
/// adjacent characters each cost one, so `Amercia` is one edit from `America`.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = best;
        }
    }
    rows[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_iana_names_case_insensitively() {
        assert_eq!(parse_zone("Europe/Berlin"), Ok(Tz::Europe__Berlin));
        assert_eq!(parse_zone("  america/new_york "), Ok(Tz::America__New_York));
        assert_eq!(parse_zone("AMERICA/NEW YORK"), Ok(Tz::America__New_York));
        assert_eq!(
            parse_zone("america/argentina/buenos_aires"),
            Ok(Tz::America__Argentina__Buenos_Aires)
        );
        assert_eq!(
            parse_zone("Australia/Lord_Howe"),
            Ok(Tz::Australia__Lord_Howe)
        );
    }

    #[test]
    fn accepts_utc_as_etc_utc() {
        assert_eq!(parse_zone("UTC"), Ok(chrono_tz::Etc::UTC));
        assert_eq!(parse_zone("etc/utc"), Ok(chrono_tz::Etc::UTC));
        assert_eq!(parse_zone("utc").map(|z| z.name()), Ok("Etc/UTC"));
    }

    #[test]
    fn rejects_empty_input() {
        let error = parse_zone("  ").unwrap_err();
        assert_eq!(error, ZoneError::Empty);
        assert!(error.to_string().contains("Europe/Berlin"), "{error}");
    }

    #[test]
    fn rejects_abbreviations_with_real_zones() {
        let cases: &[(&str, &str)] = &[
            ("PST", "America/Los_Angeles"),
            ("EST", "America/New_York"),
            ("est5edt", "America/New_York"),
            ("CET", "Europe/Paris"),
            ("CEST", "Europe/Berlin"),
            ("IST", "Asia/Kolkata"),
            ("IST", "Europe/Dublin"),
            ("JST", "Asia/Tokyo"),
            ("AEST", "Australia/Sydney"),
            ("GMT", "Europe/London"),
            ("zulu", "Etc/UTC"),
        ];
        for &(input, zone) in cases {
            let error = parse_zone(input).unwrap_err();
            assert!(
                matches!(error, ZoneError::Abbreviation { .. }),
                "{input}: {error:?}"
            );
            assert!(error.suggestions().contains(&zone), "{input}: {error:?}");
            assert!(error.to_string().contains(zone), "{input}: {error}");
        }
    }

    #[test]
    fn abbreviation_message_reads_well() {
        assert_eq!(
            parse_zone("IST").unwrap_err().to_string(),
            "`IST` is a time zone abbreviation. Abbreviations are ambiguous and do not follow \
             daylight saving time, so use an IANA zone name such as Asia/Kolkata, \
             Europe/Dublin or Asia/Jerusalem."
        );
    }

    #[test]
    fn rejects_fixed_offsets_with_matching_zones() {
        let cases: &[(&str, &str)] = &[
            ("UTC+2", "Europe/Berlin"),
            ("utc+02:00", "Europe/Berlin"),
            ("GMT+5", "Asia/Karachi"),
            ("GMT-3", "America/Sao_Paulo"),
            ("+05:30", "Asia/Kolkata"),
            ("+0530", "Asia/Kolkata"),
            ("UTC-5", "America/New_York"),
            ("Etc/GMT+5", "America/New_York"),
            ("Etc/GMT-10", "Australia/Sydney"),
            ("UTC+0", "Etc/UTC"),
            ("etc/gmt0", "Etc/UTC"),
            ("UTC−8", "America/Los_Angeles"),
        ];
        for &(input, zone) in cases {
            let error = parse_zone(input).unwrap_err();
            assert!(
                matches!(error, ZoneError::FixedOffset { .. }),
                "{input}: {error:?}"
            );
            assert!(error.suggestions().contains(&zone), "{input}: {error:?}");
        }
    }

    #[test]
    fn fixed_offset_without_common_zone_uses_examples() {
        let error = parse_zone("UTC+12:34").unwrap_err();
        assert!(matches!(error, ZoneError::FixedOffset { .. }));
        assert_eq!(
            error.to_string(),
            "`UTC+12:34` is a fixed UTC offset, which does not follow daylight saving time. \
             Use the IANA zone name of your location, such as Europe/Berlin, America/New_York \
             or Asia/Kolkata."
        );
    }

    #[test]
    fn every_rejected_database_name_gets_suggestions() {
        for zone in TZ_VARIANTS.iter().filter(|z| !is_place_name(z.name())) {
            let name = zone.name();
            if name == "UTC" {
                continue;
            }
            let error = parse_zone(name).unwrap_err();
            assert!(!error.suggestions().is_empty(), "{name}: {error:?}");
            for suggestion in error.suggestions() {
                assert!(
                    parse_zone(suggestion).is_ok(),
                    "{name} suggests {suggestion}"
                );
            }
        }
    }

    #[test]
    fn rejects_legacy_aliases() {
        let error = parse_zone("Japan").unwrap_err();
        assert_eq!(
            error,
            ZoneError::LegacyName {
                input: "Japan".to_string(),
                suggestions: vec!["Asia/Tokyo"]
            }
        );
        assert!(matches!(
            parse_zone("NZ"),
            Err(ZoneError::LegacyName { .. })
        ));
        assert!(matches!(
            parse_zone("Etc/Greenwich"),
            Err(ZoneError::LegacyName { .. })
        ));
    }

    #[test]
    fn suggests_close_names_for_typos() {
        let cases: &[(&str, &str)] = &[
            ("Europe/Berln", "Europe/Berlin"),
            ("Amercia/New_York", "America/New_York"),
            ("asia/kolkatta", "Asia/Kolkata"),
            ("Berlin", "Europe/Berlin"),
            ("new york", "America/New_York"),
        ];
        for &(input, zone) in cases {
            let error = parse_zone(input).unwrap_err();
            assert!(
                matches!(error, ZoneError::Unknown { .. }),
                "{input}: {error:?}"
            );
            assert_eq!(
                error.suggestions().first(),
                Some(&zone),
                "{input}: {error:?}"
            );
        }
        assert_eq!(
            parse_zone("Europe/Berln").unwrap_err().to_string(),
            "`Europe/Berln` is not an IANA time zone name. Did you mean Europe/Berlin?"
        );
    }

    #[test]
    fn unknown_name_without_near_match_gets_examples() {
        let error = parse_zone("Mars/Olympus_Mons").unwrap_err();
        assert_eq!(
            error,
            ZoneError::Unknown {
                input: "Mars/Olympus_Mons".to_string(),
                suggestions: Vec::new()
            }
        );
        assert_eq!(error.suggestions(), EXAMPLES);
        assert_eq!(
            error.to_string(),
            "`Mars/Olympus_Mons` is not an IANA time zone name. Use a name such as \
             Europe/Berlin, America/New_York or Asia/Kolkata, or UTC."
        );
    }

    #[test]
    fn every_suggestion_is_accepted() {
        let mut names: Vec<&str> = COMMON_ZONES.to_vec();
        names.extend(EXAMPLES);
        names.extend(ABBREVIATIONS.iter().flat_map(|(_, zones)| zones.iter()));
        names.extend(LEGACY_NAMES.iter().map(|(_, zone)| *zone));
        for name in names {
            assert_eq!(parse_zone(name).map(|z| z.name()), Ok(name), "{name}");
        }
    }

    #[test]
    fn legacy_table_lists_database_names() {
        for (name, _) in LEGACY_NAMES {
            assert!(ZONES_BY_LOWERCASE_NAME.contains_key(*name), "{name}");
        }
    }

    #[test]
    fn edit_distance_counts_swaps_once() {
        assert_eq!(edit_distance("amercia", "america"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
