//! `paperboy_rank`: an FTS5 auxiliary function that scores a row with BM25 and field weights,
//! from document frequencies that the caller passes as an argument.
//!
//! The score is the sum over phrases and columns of BM25 for that column (its own length
//! normalisation) times the column's weight, as Lucene scores a query over several fields. FTS5's
//! `bm25()` instead adds the weighted hits of all columns before saturating them, so one title
//! hit already saturates and a title match barely outranks an abstract that repeats the word.
//! The inverse document frequency is Lucene's `ln(1 + (N - df + 0.5) / (df + 0.5))`, which stays
//! positive: FTS5's version drops to nearly zero for words in over half the papers, and in a
//! store of AI papers that is "language" and "models".
//!
//! FTS5's `bm25()` counts the documents that contain each phrase by reading that phrase's whole
//! doclist on every query. At a million papers that costs 5 to 20 ms for a word such as "model"
//! (in a third of them), whatever the LIMIT, because the count comes before the first row. The
//! search code estimates these counts cheaply instead, so scoring a row only reads that row's
//! own positions.
//!
//! This is the crate's only `unsafe` code: SQLite's extension API has no safe Rust binding in
//! rusqlite 0.40, so the function is registered and called through `rusqlite::ffi`.

use std::ffi::{c_int, c_void, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

use rusqlite::{ffi, Connection};

/// The SQL name, as queries call it: `paperboy_rank(papers_fts, frequencies)`, where
/// `frequencies` is a blob of one little-endian `f64` per phrase of the MATCH expression (one
/// blob, because SQLite caps a function at 127 arguments and a query may have more phrases).
pub const NAME: &str = "paperboy_rank";
const NAME_C: &CStr = c"paperboy_rank";

/// Column weights in index order (title, keywords, abstract, authors): a word in the title
/// counts as much as ten in the authors' names.
pub const COLUMN_WEIGHTS: [f64; 4] = [10.0, 5.0, 2.0, 1.0];

/// BM25's term-frequency saturation and length normalisation, FTS5's and Lucene's defaults.
const K1: f64 = 1.2;
const B: f64 = 0.75;

/// A document frequency below zero marks a phrase that only filters (such as an arXiv category)
/// and adds nothing to the score.
pub const NOT_SCORED: f64 = -1.0;

/// Packs document frequencies into the blob argument.
pub fn frequencies_blob(frequencies: &[f64]) -> Vec<u8> {
    frequencies.iter().flat_map(|f| f.to_le_bytes()).collect()
}

/// Registers the function on `conn`. It stays registered until the connection closes.
pub fn register(conn: &Connection) -> rusqlite::Result<()> {
    let api = fts5_api(conn)?;
    // SAFETY: `api` is the non-null `fts5_api` of this connection, valid while it is open.
    // The function pointer is a plain `extern "C" fn` with no user data, so nothing needs to
    // outlive the call or be freed.
    let rc = unsafe {
        match (*api).xCreateFunction {
            Some(create) => create(api, NAME_C.as_ptr(), ptr::null_mut(), Some(rank), None),
            None => ffi::SQLITE_MISUSE,
        }
    };
    check(rc, "cannot register the search ranking function")
}

/// Fetches the connection's FTS5 API pointer, the documented way: `SELECT fts5(?1)` with a
/// pointer bound to the parameter under the type name "fts5_api_ptr".
fn fts5_api(conn: &Connection) -> rusqlite::Result<*mut ffi::fts5_api> {
    let mut api: *mut ffi::fts5_api = ptr::null_mut();
    // SAFETY: the handle is this open connection's. The statement is finalized on every path
    // before returning, and the bound pointer (to the local `api`) is only written during
    // `sqlite3_step`, while `api` is alive.
    let rc = unsafe {
        let db = conn.handle();
        let mut stmt: *mut ffi::sqlite3_stmt = ptr::null_mut();
        let sql = c"SELECT fts5(?1)";
        let mut rc = ffi::sqlite3_prepare_v2(db, sql.as_ptr(), -1, &mut stmt, ptr::null_mut());
        if rc == ffi::SQLITE_OK {
            let target: *mut *mut ffi::fts5_api = &mut api;
            rc = ffi::sqlite3_bind_pointer(
                stmt,
                1,
                target.cast::<c_void>(),
                c"fts5_api_ptr".as_ptr(),
                None,
            );
        }
        if rc == ffi::SQLITE_OK {
            rc = ffi::sqlite3_step(stmt);
            if rc == ffi::SQLITE_ROW {
                rc = ffi::SQLITE_OK;
            }
        }
        ffi::sqlite3_finalize(stmt);
        rc
    };
    check(rc, "cannot reach SQLite's FTS5 extension API")?;
    if api.is_null() {
        return Err(failure(
            ffi::SQLITE_ERROR,
            "SQLite has no FTS5 extension API",
        ));
    }
    Ok(api)
}

fn check(rc: c_int, what: &str) -> rusqlite::Result<()> {
    if rc == ffi::SQLITE_OK {
        Ok(())
    } else {
        Err(failure(rc, what))
    }
}

fn failure(rc: c_int, what: &str) -> rusqlite::Error {
    rusqlite::Error::SqliteFailure(ffi::Error::new(rc), Some(what.to_string()))
}

/// The entry point SQLite calls once per row. A panic must not cross into C, so the scoring
/// runs under `catch_unwind` (it has no code path that panics, but this keeps it that way).
unsafe extern "C" fn rank(
    api: *const ffi::Fts5ExtensionApi,
    fts: *mut ffi::Fts5Context,
    ctx: *mut ffi::sqlite3_context,
    arg_count: c_int,
    args: *mut *mut ffi::sqlite3_value,
) {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: SQLite passes a valid API table and context for the current row, and
        // `args` points to `arg_count` values that live for this call.
        unsafe {
            let frequencies = read_arguments(args, arg_count);
            score_row(&*api, fts, &frequencies)
        }
    }));
    // SAFETY: `ctx` is this call's result context.
    unsafe {
        match outcome {
            Ok(Ok(score)) => ffi::sqlite3_result_double(ctx, score),
            Ok(Err(rc)) => ffi::sqlite3_result_error_code(ctx, rc),
            Err(_) => ffi::sqlite3_result_error(ctx, c"paperboy_rank failed".as_ptr(), -1),
        }
    }
}

/// Reads the document frequencies from the one argument after the table name. A missing or
/// malformed argument gives an empty list, which `score_row` rejects.
///
/// # Safety
/// `args` must point to `count` valid values (or be null with `count` 0).
unsafe fn read_arguments(args: *mut *mut ffi::sqlite3_value, count: c_int) -> Vec<f64> {
    if args.is_null() || count != 1 {
        return Vec::new();
    }
    // SAFETY: guaranteed by the caller: `args[0]` is a valid value for this call. The blob
    // pointer stays valid until the value changes, and it is copied out before returning.
    let bytes = unsafe {
        let value = *args;
        let data = ffi::sqlite3_value_blob(value);
        let length = usize::try_from(ffi::sqlite3_value_bytes(value)).unwrap_or(0);
        if data.is_null() || length == 0 {
            return Vec::new();
        }
        std::slice::from_raw_parts(data.cast::<u8>(), length)
    };
    bytes
        .chunks_exact(8)
        .filter_map(|chunk| chunk.try_into().ok().map(f64::from_le_bytes))
        .collect()
}

const COLUMNS: usize = COLUMN_WEIGHTS.len();

/// The statistics BM25 needs of the row and the table.
struct RowStats {
    /// Hits of each phrase in each column.
    hits: Vec<[f64; COLUMNS]>,
    /// Tokens in each column of the row.
    lengths: [f64; COLUMNS],
    /// Tokens per row in each column, over the table.
    average_lengths: [f64; COLUMNS],
    rows: f64,
}

/// Scores the current row: the sum over scored phrases and columns of weighted BM25. Higher is
/// better.
///
/// # Safety
/// `api` and `fts` must be the values SQLite passed to the current call.
unsafe fn score_row(
    api: &ffi::Fts5ExtensionApi,
    fts: *mut ffi::Fts5Context,
    document_frequencies: &[f64],
) -> Result<f64, c_int> {
    // SAFETY: forwarded from the caller.
    let stats = unsafe { row_stats(api, fts)? };
    if stats.hits.len() != document_frequencies.len() {
        // The query passed the wrong number of frequencies: a bug in the search code.
        return Err(ffi::SQLITE_MISUSE);
    }
    let mut score = 0.0;
    for (hits, &df) in stats.hits.iter().zip(document_frequencies) {
        if df < 0.0 {
            continue;
        }
        let weight = idf(df, stats.rows);
        for column in 0..COLUMNS {
            let tf = hits[column];
            if tf > 0.0 {
                let relative = stats.lengths[column] / stats.average_lengths[column].max(1.0);
                let saturation = tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * relative));
                score += weight * COLUMN_WEIGHTS[column] * saturation;
            }
        }
    }
    Ok(score)
}

/// Lucene's inverse document frequency, positive for every frequency.
fn idf(document_frequency: f64, rows: f64) -> f64 {
    let df = document_frequency.clamp(0.0, rows);
    (1.0 + (rows - df + 0.5) / (df + 0.5)).ln()
}

/// # Safety
/// As for [`score_row`].
unsafe fn row_stats(
    api: &ffi::Fts5ExtensionApi,
    fts: *mut ffi::Fts5Context,
) -> Result<RowStats, c_int> {
    let (
        Some(phrase_count),
        Some(row_count),
        Some(total_size),
        Some(column_size),
        Some(inst_count),
        Some(inst),
    ) = (
        api.xPhraseCount,
        api.xRowCount,
        api.xColumnTotalSize,
        api.xColumnSize,
        api.xInstCount,
        api.xInst,
    )
    else {
        return Err(ffi::SQLITE_MISUSE);
    };
    // SAFETY: each function comes from SQLite's API table and is called with the context of
    // the current row, as FTS5's documentation prescribes. Every out-pointer is a local.
    unsafe {
        let mut rows: i64 = 0;
        ok(row_count(fts, &mut rows))?;
        let rows = rows.max(1) as f64;
        let mut lengths = [0.0; COLUMNS];
        let mut average_lengths = [0.0; COLUMNS];
        for (column, (length, average)) in lengths.iter_mut().zip(&mut average_lengths).enumerate()
        {
            let index = column as c_int;
            let mut tokens: c_int = 0;
            ok(column_size(fts, index, &mut tokens))?;
            *length = f64::from(tokens);
            let mut total: i64 = 0;
            ok(total_size(fts, index, &mut total))?;
            *average = total as f64 / rows;
        }

        let phrases = usize::try_from(phrase_count(fts)).unwrap_or(0);
        let mut hits = vec![[0.0; COLUMNS]; phrases];
        let mut instances: c_int = 0;
        ok(inst_count(fts, &mut instances))?;
        for index in 0..instances {
            let (mut phrase, mut column, mut offset) = (0, 0, 0);
            ok(inst(fts, index, &mut phrase, &mut column, &mut offset))?;
            let slot = usize::try_from(phrase)
                .ok()
                .and_then(|p| hits.get_mut(p))
                .zip(usize::try_from(column).ok())
                .and_then(|(row, c)| row.get_mut(c));
            if let Some(count) = slot {
                *count += 1.0;
            }
        }
        Ok(RowStats {
            hits,
            lengths,
            average_lengths,
            rows,
        })
    }
}

fn ok(rc: c_int) -> Result<(), c_int> {
    if rc == ffi::SQLITE_OK {
        Ok(())
    } else {
        Err(rc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE VIRTUAL TABLE t USING fts5 (title, keywords, abstract, authors);
             INSERT INTO t VALUES ('diffusion models', '', 'we study images', 'Ada');
             INSERT INTO t VALUES ('images', '', 'diffusion diffusion diffusion in an abstract', 'Bob');
             INSERT INTO t VALUES ('other', '', 'nothing', 'Cy');
             INSERT INTO t VALUES ('images of diffusion', '', 'models', 'Dee');",
        )
        .unwrap();
        register(&conn).unwrap();
        conn
    }

    fn ranked(conn: &Connection, expression: &str, frequencies: &[f64]) -> Vec<(i64, f64)> {
        let mut stmt = conn
            .prepare("SELECT rowid, paperboy_rank(t, ?2) FROM t WHERE t MATCH ?1 ORDER BY 2 DESC")
            .unwrap();
        let rows = stmt
            .query_map(
                rusqlite::params![expression, frequencies_blob(frequencies)],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        rows.map(Result::unwrap).collect()
    }

    #[test]
    fn title_hit_outranks_repeated_abstract_hits() {
        let rows = ranked(&table(), "diffusion", &[3.0]);
        assert_eq!(rows.len(), 3);
        assert_ne!(rows[0].0, 2);
        assert_eq!(rows[2].0, 2);
    }

    #[test]
    fn more_matched_phrases_rank_higher() {
        let rows = ranked(&table(), "diffusion OR models", &[3.0, 2.0]);
        assert_eq!(rows[0].0, 1, "{rows:?}");
        assert!(rows[0].1 > rows[1].1);
    }

    #[test]
    fn rare_phrase_weighs_more() {
        assert!(idf(1.0, 1000.0) > idf(500.0, 1000.0));
        assert!(idf(1000.0, 1000.0) > 0.0);
    }

    #[test]
    fn unscored_phrase_adds_nothing() {
        let conn = table();
        let with_filter = ranked(&conn, "diffusion AND authors : ada", &[3.0, NOT_SCORED]);
        let alone = ranked(&conn, "diffusion", &[3.0]);
        assert_eq!(with_filter[0], *alone.iter().find(|r| r.0 == 1).unwrap());
    }

    #[test]
    fn wrong_frequency_count_is_an_error() {
        let conn = table();
        let result: rusqlite::Result<f64> = conn.query_row(
            "SELECT paperboy_rank(t, ?1) FROM t WHERE t MATCH 'diffusion'",
            [frequencies_blob(&[1.0, 2.0])],
            |r| r.get(0),
        );
        assert!(result.is_err());
        let missing: rusqlite::Result<f64> = conn.query_row(
            "SELECT paperboy_rank(t) FROM t WHERE t MATCH 'diffusion'",
            [],
            |r| r.get(0),
        );
        assert!(missing.is_err());
    }
}
