//! `paperboy digest schedule` as a real process: post instants across the spring and fall
//! clock changes of six zones, and one-line errors with exit code 2 for bad input.
//!
//! Expected instants were worked out from the 2026 rules of each zone (Python's zoneinfo
//! agrees): a post time skipped by the clocks moves to the end of the gap, and a repeated
//! one posts at its first occurrence.

use std::process::{Command, Output};

use serde_json::Value;

fn paperboy(args: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_paperboy"))
        .args(["digest", "schedule"])
        .args(args)
        .current_dir(dir.path())
        .env_remove("RUST_LOG")
        .output()
        .expect("paperboy runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// One expected post: local date, UTC instant, local instant with offset, clock change.
type Post = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
);

struct Case {
    zone: &'static str,
    time: &'static str,
    from: &'static str,
    posts: [Post; 3],
}

const CASES: &[Case] = &[
    Case {
        zone: "America/New_York",
        time: "02:30",
        from: "2026-03-07T00:00:00Z",
        posts: [
            (
                "2026-03-07",
                "2026-03-07T07:30:00Z",
                "2026-03-07T02:30:00-05:00",
                None,
            ),
            (
                "2026-03-08",
                "2026-03-08T07:00:00Z",
                "2026-03-08T03:00:00-04:00",
                Some("gap"),
            ),
            (
                "2026-03-09",
                "2026-03-09T06:30:00Z",
                "2026-03-09T02:30:00-04:00",
                None,
            ),
        ],
    },
    Case {
        zone: "America/New_York",
        time: "01:30",
        from: "2026-10-31T00:00:00Z",
        posts: [
            (
                "2026-10-31",
                "2026-10-31T05:30:00Z",
                "2026-10-31T01:30:00-04:00",
                None,
            ),
            (
                "2026-11-01",
                "2026-11-01T05:30:00Z",
                "2026-11-01T01:30:00-04:00",
                Some("overlap"),
            ),
            (
                "2026-11-02",
                "2026-11-02T06:30:00Z",
                "2026-11-02T01:30:00-05:00",
                None,
            ),
        ],
    },
    Case {
        zone: "Europe/Berlin",
        time: "02:30",
        from: "2026-03-28T00:00:00Z",
        posts: [
            (
                "2026-03-28",
                "2026-03-28T01:30:00Z",
                "2026-03-28T02:30:00+01:00",
                None,
            ),
            (
                "2026-03-29",
                "2026-03-29T01:00:00Z",
                "2026-03-29T03:00:00+02:00",
                Some("gap"),
            ),
            (
                "2026-03-30",
                "2026-03-30T00:30:00Z",
                "2026-03-30T02:30:00+02:00",
                None,
            ),
        ],
    },
    Case {
        zone: "Europe/Berlin",
        time: "02:30",
        from: "2026-10-24T00:00:00Z",
        posts: [
            (
                "2026-10-24",
                "2026-10-24T00:30:00Z",
                "2026-10-24T02:30:00+02:00",
                None,
            ),
            (
                "2026-10-25",
                "2026-10-25T00:30:00Z",
                "2026-10-25T02:30:00+02:00",
                Some("overlap"),
            ),
            (
                "2026-10-26",
                "2026-10-26T01:30:00Z",
                "2026-10-26T02:30:00+01:00",
                None,
            ),
        ],
    },
    // Southern hemisphere with a 30-minute offset: clocks go back in April, forward in October.
    Case {
        zone: "Australia/Adelaide",
        time: "02:30",
        from: "2026-04-03T12:00:00Z",
        posts: [
            (
                "2026-04-04",
                "2026-04-03T16:00:00Z",
                "2026-04-04T02:30:00+10:30",
                None,
            ),
            (
                "2026-04-05",
                "2026-04-04T16:00:00Z",
                "2026-04-05T02:30:00+10:30",
                Some("overlap"),
            ),
            (
                "2026-04-06",
                "2026-04-05T17:00:00Z",
                "2026-04-06T02:30:00+09:30",
                None,
            ),
        ],
    },
    Case {
        zone: "Australia/Adelaide",
        time: "02:30",
        from: "2026-10-02T12:00:00Z",
        posts: [
            (
                "2026-10-03",
                "2026-10-02T17:00:00Z",
                "2026-10-03T02:30:00+09:30",
                None,
            ),
            (
                "2026-10-04",
                "2026-10-03T16:30:00Z",
                "2026-10-04T03:00:00+10:30",
                Some("gap"),
            ),
            (
                "2026-10-05",
                "2026-10-04T16:00:00Z",
                "2026-10-05T02:30:00+10:30",
                None,
            ),
        ],
    },
    // Lord Howe Island moves its clocks by 30 minutes only.
    Case {
        zone: "Australia/Lord_Howe",
        time: "01:45",
        from: "2026-04-03T12:00:00Z",
        posts: [
            (
                "2026-04-04",
                "2026-04-03T14:45:00Z",
                "2026-04-04T01:45:00+11:00",
                None,
            ),
            (
                "2026-04-05",
                "2026-04-04T14:45:00Z",
                "2026-04-05T01:45:00+11:00",
                Some("overlap"),
            ),
            (
                "2026-04-06",
                "2026-04-05T15:15:00Z",
                "2026-04-06T01:45:00+10:30",
                None,
            ),
        ],
    },
    Case {
        zone: "Australia/Lord_Howe",
        time: "02:15",
        from: "2026-10-02T12:00:00Z",
        posts: [
            (
                "2026-10-03",
                "2026-10-02T15:45:00Z",
                "2026-10-03T02:15:00+10:30",
                None,
            ),
            (
                "2026-10-04",
                "2026-10-03T15:30:00Z",
                "2026-10-04T02:30:00+11:00",
                Some("gap"),
            ),
            (
                "2026-10-05",
                "2026-10-04T15:15:00Z",
                "2026-10-05T02:15:00+11:00",
                None,
            ),
        ],
    },
    // Chile changes its clocks at midnight, so the repeated hour ends one local date and the
    // skipped hour starts the next.
    Case {
        zone: "America/Santiago",
        time: "23:30",
        from: "2026-04-03T12:00:00Z",
        posts: [
            (
                "2026-04-03",
                "2026-04-04T02:30:00Z",
                "2026-04-03T23:30:00-03:00",
                None,
            ),
            (
                "2026-04-04",
                "2026-04-05T02:30:00Z",
                "2026-04-04T23:30:00-03:00",
                Some("overlap"),
            ),
            (
                "2026-04-05",
                "2026-04-06T03:30:00Z",
                "2026-04-05T23:30:00-04:00",
                None,
            ),
        ],
    },
    Case {
        zone: "America/Santiago",
        time: "00:30",
        from: "2026-09-04T12:00:00Z",
        posts: [
            (
                "2026-09-05",
                "2026-09-05T04:30:00Z",
                "2026-09-05T00:30:00-04:00",
                None,
            ),
            (
                "2026-09-06",
                "2026-09-06T04:00:00Z",
                "2026-09-06T01:00:00-03:00",
                Some("gap"),
            ),
            (
                "2026-09-07",
                "2026-09-07T03:30:00Z",
                "2026-09-07T00:30:00-03:00",
                None,
            ),
        ],
    },
    Case {
        zone: "Pacific/Auckland",
        time: "02:30",
        from: "2026-04-03T00:00:00Z",
        posts: [
            (
                "2026-04-04",
                "2026-04-03T13:30:00Z",
                "2026-04-04T02:30:00+13:00",
                None,
            ),
            (
                "2026-04-05",
                "2026-04-04T13:30:00Z",
                "2026-04-05T02:30:00+13:00",
                Some("overlap"),
            ),
            (
                "2026-04-06",
                "2026-04-05T14:30:00Z",
                "2026-04-06T02:30:00+12:00",
                None,
            ),
        ],
    },
    Case {
        zone: "Pacific/Auckland",
        time: "02:30",
        from: "2026-09-25T12:00:00Z",
        posts: [
            (
                "2026-09-26",
                "2026-09-25T14:30:00Z",
                "2026-09-26T02:30:00+12:00",
                None,
            ),
            (
                "2026-09-27",
                "2026-09-26T14:00:00Z",
                "2026-09-27T03:00:00+13:00",
                Some("gap"),
            ),
            (
                "2026-09-28",
                "2026-09-27T13:30:00Z",
                "2026-09-28T02:30:00+13:00",
                None,
            ),
        ],
    },
];

fn json_posts(args: &[&str]) -> Vec<Value> {
    let output = paperboy(args);
    assert!(output.status.success(), "{args:?}: {}", stderr(&output));
    let value: Value = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    value.as_array().unwrap().clone()
}

#[test]
fn schedule_crosses_clock_changes_in_six_zones() {
    for case in CASES {
        let args = [
            "--time", case.time, "--zone", case.zone, "--from", case.from, "--count", "3", "--json",
        ];
        let posts = json_posts(&args);
        let label = format!("{} {} from {}", case.zone, case.time, case.from);
        assert_eq!(posts.len(), 3, "{label}: {posts:?}");
        for (post, (local_date, utc, local, change)) in posts.iter().zip(&case.posts) {
            assert_eq!(post["local_date"], *local_date, "{label}: {post}");
            assert_eq!(post["utc"], *utc, "{label}: {post}");
            assert_eq!(post["local"], *local, "{label}: {post}");
            let expected_change = change.map_or(Value::Null, Value::from);
            assert_eq!(post["clock_change"], expected_change, "{label}: {post}");
        }
    }
}

#[test]
fn text_output_shows_utc_and_local_time() {
    let output = paperboy(&[
        "--time",
        "02:30",
        "--zone",
        "America/New_York",
        "--from",
        "2026-03-07T00:00:00Z",
        "--count",
        "2",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].starts_with("2026-03-07T07:30:00Z"), "{text}");
    assert!(
        lines[0].contains("Sat 2026-03-07 02:30 EST (-05:00)"),
        "{text}"
    );
    assert!(lines[1].starts_with("2026-03-08T07:00:00Z"), "{text}");
    assert!(lines[1].contains("03:00 EDT (-04:00)"), "{text}");
    assert!(lines[1].contains("skipped by the clock change"), "{text}");
}

#[test]
fn weekdays_skip_the_weekend() {
    // Friday 6 March 2026 at noon UTC: the next weekday posts are Mon 9 and Tue 10 March.
    let posts = json_posts(&[
        "--time",
        "09:00",
        "--zone",
        "Europe/Berlin",
        "--from",
        "2026-03-06T12:00:00Z",
        "--count",
        "2",
        "--weekdays",
        "mon-fri",
        "--json",
    ]);
    let dates: Vec<&str> = posts
        .iter()
        .map(|p| p["local_date"].as_str().unwrap())
        .collect();
    assert_eq!(dates, vec!["2026-03-09", "2026-03-10"]);
    assert_eq!(posts[0]["utc"], "2026-03-09T08:00:00Z");
}

#[test]
fn from_instant_with_offset_is_accepted() {
    // 2026-03-07T08:00:00+01:00 is 07:00 UTC, so that day's 07:30 UTC post still follows.
    let posts = json_posts(&[
        "--time",
        "02:30",
        "--zone",
        "America/New_York",
        "--from",
        "2026-03-07T08:00:00+01:00",
        "--count",
        "1",
        "--json",
    ]);
    assert_eq!(posts[0]["utc"], "2026-03-07T07:30:00Z");
}

/// Runs with one bad value and checks exit code 2 and a single line on stderr that contains
/// each of `expected`.
fn assert_rejected(args: &[&str], expected: &[&str]) {
    let output = paperboy(args);
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {message}");
    assert_eq!(message.trim_end().lines().count(), 1, "{args:?}: {message}");
    assert!(message.starts_with("error: "), "{args:?}: {message}");
    for needle in expected {
        assert!(message.contains(needle), "{args:?}: {message}");
    }
    assert!(output.stdout.is_empty(), "{args:?}: {}", stdout(&output));
}

#[test]
fn bad_input_exits_2_with_one_line() {
    let from = "2026-03-07T00:00:00Z";
    assert_rejected(
        &["--time", "9am", "--zone", "Europe/Paris", "--from", from],
        &["09:00"],
    );
    assert_rejected(
        &["--time", "25:00", "--zone", "Europe/Paris", "--from", from],
        &["out of range"],
    );
    assert_rejected(
        &["--time", "09:00", "--zone", "CET", "--from", from],
        &["abbreviation", "Europe/Paris"],
    );
    assert_rejected(
        &["--time", "09:00", "--zone", "UTC+2", "--from", from],
        &["fixed UTC offset", "Europe/Berlin"],
    );
    assert_rejected(
        &["--time", "09:00", "--zone", "Europe/Berln", "--from", from],
        &["Europe/Berlin"],
    );
    assert_rejected(
        &[
            "--time",
            "09:00",
            "--zone",
            "Europe/Paris",
            "--from",
            "yesterday",
        ],
        &["RFC 3339"],
    );
    assert_rejected(
        &[
            "--time",
            "09:00",
            "--zone",
            "Europe/Paris",
            "--from",
            from,
            "--count",
            "0",
        ],
        &["1 to 1000"],
    );
    assert_rejected(
        &[
            "--time",
            "09:00",
            "--zone",
            "Europe/Paris",
            "--from",
            from,
            "--count",
            "many",
        ],
        &["1 to 1000"],
    );
    assert_rejected(
        &[
            "--time",
            "09:00",
            "--zone",
            "Europe/Paris",
            "--from",
            from,
            "--weekdays",
            "funday",
        ],
        &["funday", "mon-fri"],
    );
}
