//! `paperboy_rank`: an FTS5 auxiliary function that scores a row with BM25 and field weights,
//! like FTS5's own `bm25()`, except that the caller passes the document frequency of each
//! phrase as an argument.
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

/// The SQL name, as queries call it: `paperboy_rank(papers_fts, df1, df2, ...)`.
pub const NAME: &str = "paperboy_rank";
const NAME_C: &CStr = c"paperboy_rank";

/// Column weights in index order (title, keywords, abstract, authors): a word in the title
/// counts as much as ten in the authors' names.
pub const COLUMN_WEIGHTS: [f64; 4] = [10.0, 5.0, 2.0, 1.0];

/// BM25's term-frequency saturation and length normalisation, FTS5's and Lucene's defaults.
const K1: f64 = 1.2;
const B: f64 = 0.75;

/// A document frequency argument below zero marks a phrase that only filters (such as an arXiv
/// category) and adds nothing to the score.
pub const NOT_SCORED: f64 = -1.0;

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

/// Reads the document frequencies passed after the table name, one per phrase.
///
/// # Safety
/// `args` must point to `count` valid values (or be null with `count` 0).
unsafe fn read_arguments(args: *mut *mut ffi::sqlite3_value, count: c_int) -> Vec<f64> {
    let count = usize::try_from(count).unwrap_or(0);
    if args.is_null() || count == 0 {
        return Vec::new();
    }
    // SAFETY: guaranteed by the caller.
    let values = unsafe { std::slice::from_raw_parts(args, count) };
    values
        .iter()
        // SAFETY: each element is a valid protected value for the duration of the call.
        .map(|&value| unsafe { ffi::sqlite3_value_double(value) })
        .collect()
}

/// What BM25 needs of the row and the table.
struct RowStats {
    /// Column-weighted hit count of each phrase.
    weighted_hits: Vec<f64>,
    /// Tokens in the row, all columns.
    length: f64,
    /// Tokens per row over the table.
    average_length: f64,
    rows: f64,
}

/// Scores the current row: the BM25 sum over scored phrases. Higher is better.
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
    if stats.weighted_hits.len() != document_frequencies.len() {
        // The query passed the wrong number of frequencies: a bug in the search code.
        return Err(ffi::SQLITE_MISUSE);
    }
    let normaliser = K1 * (1.0 - B + B * stats.length / stats.average_length.max(1.0));
    let score = stats
        .weighted_hits
        .iter()
        .zip(document_frequencies)
        .filter(|(hits, df)| **hits > 0.0 && **df >= 0.0)
        .map(|(hits, df)| idf(*df, stats.rows) * hits * (K1 + 1.0) / (hits + normaliser))
        .sum();
    Ok(score)
}

/// BM25's inverse document frequency, kept above zero as FTS5 keeps it, so a phrase found in
/// more than half the rows still counts a little.
fn idf(document_frequency: f64, rows: f64) -> f64 {
    let df = document_frequency.min(rows);
    let value = ((rows - df + 0.5) / (df + 0.5)).ln();
    value.max(1e-6)
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
    // the current row, as FTS5's documentation prescribes; every out-pointer is a local.
    unsafe {
        let phrases = usize::try_from(phrase_count(fts)).unwrap_or(0);
        let mut rows: i64 = 0;
        ok(row_count(fts, &mut rows))?;
        let mut total_tokens: i64 = 0;
        ok(total_size(fts, -1, &mut total_tokens))?;
        let mut length: c_int = 0;
        ok(column_size(fts, -1, &mut length))?;

        let mut weighted_hits = vec![0.0; phrases];
        let mut instances: c_int = 0;
        ok(inst_count(fts, &mut instances))?;
        for index in 0..instances {
            let (mut phrase, mut column, mut offset) = (0, 0, 0);
            ok(inst(fts, index, &mut phrase, &mut column, &mut offset))?;
            let weight = usize::try_from(column)
                .ok()
                .and_then(|c| COLUMN_WEIGHTS.get(c))
                .copied()
                .unwrap_or(1.0);
            let slot = usize::try_from(phrase)
                .ok()
                .and_then(|p| weighted_hits.get_mut(p));
            if let Some(hits) = slot {
                *hits += weight;
            }
        }
        let rows_f = rows.max(1) as f64;
        Ok(RowStats {
            weighted_hits,
            length: f64::from(length),
            average_length: total_tokens as f64 / rows_f,
            rows: rows_f,
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
             INSERT INTO t VALUES ('images', '', 'diffusion diffusion in a long abstract about many other things', 'Bob');
             INSERT INTO t VALUES ('other', '', 'nothing', 'Cy');",
        )
        .unwrap();
        register(&conn).unwrap();
        conn
    }

    fn scores(conn: &Connection, sql: &str) -> Vec<(i64, f64)> {
        let mut stmt = conn.prepare(sql).unwrap();
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
        rows.map(Result::unwrap).collect()
    }

    #[test]
    fn title_hit_outranks_abstract_hits() {
        let conn = table();
        let rows = scores(
            &conn,
            "SELECT rowid, paperboy_rank(t, 2) FROM t WHERE t MATCH 'diffusion' ORDER BY 2 DESC",
        );
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].0, 1);
        assert!(rows[0].1 > rows[1].1);
    }

    #[test]
    fn order_matches_builtin_bm25_for_true_frequencies() {
        let conn = table();
        let ours = scores(
            &conn,
            "SELECT rowid, paperboy_rank(t, 2, 2) FROM t WHERE t MATCH 'diffusion OR images' \
             ORDER BY 2 DESC",
        );
        let theirs = scores(
            &conn,
            "SELECT rowid, -bm25(t, 10.0, 5.0, 2.0, 1.0) FROM t \
             WHERE t MATCH 'diffusion OR images' ORDER BY 2 DESC",
        );
        let ours: Vec<i64> = ours.iter().map(|r| r.0).collect();
        let theirs: Vec<i64> = theirs.iter().map(|r| r.0).collect();
        assert_eq!(ours, theirs);
    }

    #[test]
    fn unscored_phrase_adds_nothing() {
        let conn = table();
        let with_filter = scores(
            &conn,
            "SELECT rowid, paperboy_rank(t, 2, -1) FROM t WHERE t MATCH 'diffusion AND ada'",
        );
        let alone = scores(
            &conn,
            "SELECT rowid, paperboy_rank(t, 2) FROM t WHERE t MATCH 'diffusion' AND rowid = 1",
        );
        assert_eq!(with_filter, alone);
    }

    #[test]
    fn wrong_argument_count_is_an_error() {
        let conn = table();
        let result: rusqlite::Result<f64> = conn.query_row(
            "SELECT paperboy_rank(t) FROM t WHERE t MATCH 'diffusion'",
            [],
            |r| r.get(0),
        );
        assert!(result.is_err());
    }
}
