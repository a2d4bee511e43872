//! The SQLite store. Every SQL statement of Paperboy lives in this module and its children.
//!
//! One [`Store`] owns one connection. The bot wraps one for writes and a few read-only ones in
//! a [`SharedStore`] and calls them from blocking tasks; the command line uses a `Store`
//! directly. Migrations in `migrations/` are embedded in the binary and applied when the store
//! opens.

mod categories;
mod digests;
mod papers;
mod search;
mod summaries;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};
use std::time::Duration;

use rusqlite::Connection;
use rusqlite_migration::{Migrations, M};
use tokio::sync::Semaphore;

pub use digests::{
    Delivery, DeliveryState, Digest, DigestSettings, WeekendPolicy, DEFAULT_DEDUPE_DAYS,
};
pub use papers::{SnapshotPoint, UpsertStats};
pub use search::{SearchHit, SearchSort, SearchTerm, StoreQuery, CANDIDATES, CODE_CANDIDATES};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the folder for the store at {path}: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot open the store at {path}: {reason}; check --db or store.path")]
    Open { path: PathBuf, reason: String },
    #[error("cannot update the schema of the store at {path}: {reason}")]
    Migrate { path: PathBuf, reason: String },
    #[error("store query failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the store holds a value it cannot read ({what}): {value}")]
    Corrupt { what: &'static str, value: String },
    #[error("the store is in use by a task that failed; restart Paperboy")]
    Poisoned,
}

/// Lists the schema changes, one entry per file in `migrations/`, in order.
fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(include_str!("../migrations/0001_initial.sql")),
        M::up(include_str!("../migrations/0002_search_at_scale.sql")),
        M::up(include_str!("../migrations/0003_delivery_progress.sql")),
        M::up(include_str!(
            "../migrations/0004_summaries_and_category_fetches.sql"
        )),
        M::up(include_str!("../migrations/0005_search_filters.sql")),
        M::up(include_str!("../migrations/0006_search_words.sql")),
    ])
}

pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// Document frequencies measured by earlier searches on this connection.
    frequencies: std::cell::RefCell<search::FrequencyCache>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens (or creates) the store at `path` and applies any pending migrations.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| StoreError::CreateDir {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        if path.as_os_str().is_empty() {
            return Err(StoreError::Open {
                path: path.to_path_buf(),
                reason: "the path is empty".to_string(),
            });
        }
        let open_error = |e: rusqlite::Error| StoreError::Open {
            path: path.to_path_buf(),
            reason: short_reason(&e),
        };
        let mut conn = Connection::open(path).map_err(open_error)?;
        configure(&conn).map_err(open_error)?;
        migrate(&mut conn, path)?;
        tracing::debug!(path = %path.display(), "store opened");
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            frequencies: Default::default(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs SQLite's own consistency check; returns its report lines ("ok" when sound).
    pub fn integrity_check(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn.prepare("PRAGMA integrity_check")?;
        let rows = stmt.query_map([], |row| row.get::<_, String>(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// Applies pending migrations. Two processes that open a new store at once can both see it
/// unmigrated; the loser's attempt fails on the tables the winner created, so it retries and
/// then finds the schema current.
fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let mut last_error = None;
    for attempt in 0..5u64 {
        match migrations().to_latest(conn) {
            Ok(()) => return Ok(()),
            Err(error) => {
                tracing::debug!(attempt, error = %error, "migration failed; retrying");
                last_error = Some(error);
                std::thread::sleep(Duration::from_millis(50 * (attempt + 1)));
            }
        }
    }
    let reason = match last_error {
        Some(rusqlite_migration::Error::RusqliteError { err, .. }) => short_reason(&err),
        Some(other) => other.to_string(),
        None => "unknown error".to_string(),
    };
    Err(StoreError::Migrate {
        path: path.to_path_buf(),
        reason,
    })
}

/// SQLite's own description of an error, without the repeated code rusqlite appends.
fn short_reason(error: &rusqlite::Error) -> String {
    match error {
        rusqlite::Error::SqliteFailure(_, Some(message)) if !message.is_empty() => message.clone(),
        rusqlite::Error::SqliteFailure(code, _) => code.to_string(),
        other => other.to_string(),
    }
}

// NOTE: the full-text indexes use `papers.rowid` as their rowid, and `papers` has no INTEGER
// PRIMARY KEY, so `VACUUM` may renumber its rows and break search. Nothing in Paperboy runs
// VACUUM; an operator must not either until the rowid is made explicit in a migration.

/// Sets the connection up for one writer and concurrent readers: WAL, foreign keys on, and a
/// busy timeout so a second process (an operator's `paperboy` command) waits instead of failing.
fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

/// A store shared between async tasks: one connection for writes and, optionally, a few
/// read-only connections so that queries run side by side (SQLite's WAL mode lets readers
/// proceed while the writer works). Every call runs on tokio's blocking pool, so a slow query
/// never stalls the gateway.
#[derive(Clone, Debug)]
pub struct SharedStore {
    writer: Arc<Mutex<Store>>,
    readers: Arc<Vec<Mutex<Store>>>,
    /// One permit per read connection. Queries wait here in arrival order before they take a
    /// blocking thread, so a burst neither starts hundreds of threads blocked on a mutex nor
    /// lets the mutex's unfair wake-ups starve the earliest callers.
    free_readers: Arc<Semaphore>,
}

/// Pages of the database file each read connection keeps in memory, in KiB (SQLite's
/// negative `cache_size`). With SQLite's 2 MiB default, searches of a million-paper store read
/// a fifth of their pages from the kernel again. 32 MiB per connection cut the p99 of a burst
/// of commands by about a fifth against 16 MiB, and keeps the bot near 100 MB under load
/// (BENCHMARKS.md, Load).
const READER_CACHE_KIB: i64 = 32 * 1024;

impl SharedStore {
    /// Shares one connection for reads and writes alike.
    pub fn new(store: Store) -> Self {
        SharedStore {
            writer: Arc::new(Mutex::new(store)),
            readers: Arc::new(Vec::new()),
            free_readers: Arc::new(Semaphore::new(0)),
        }
    }

    /// Shares `store` for writes and opens `count` read-only connections to the same file.
    pub fn with_readers(store: Store, count: usize) -> Result<Self, StoreError> {
        let mut readers = Vec::with_capacity(count);
        for _ in 0..count {
            let reader = Store::open(store.path())?;
            reader.conn.pragma_update(None, "query_only", "ON")?;
            reader
                .conn
                .pragma_update(None, "cache_size", -READER_CACHE_KIB)?;
            readers.push(Mutex::new(reader));
        }
        let mut shared = SharedStore::new(store);
        shared.readers = Arc::new(readers);
        shared.free_readers = Arc::new(Semaphore::new(count));
        Ok(shared)
    }

    /// Runs `f` with exclusive use of the write connection on a blocking thread.
    pub async fn run<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
    {
        let writer = Arc::clone(&self.writer);
        let joined = tokio::task::spawn_blocking(move || {
            let mut guard = writer.lock().map_err(|_| StoreError::Poisoned)?;
            f(&mut guard)
        })
        .await;
        joined.map_err(|_| StoreError::Poisoned)?
    }

    /// Runs a query that only reads on one of the read connections (the write connection when
    /// there are none). Callers wait for a free connection in the order they arrived.
    pub async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    {
        if self.readers.is_empty() {
            return self.run(move |store| f(store)).await;
        }
        let permit = Arc::clone(&self.free_readers)
            .acquire_owned()
            .await
            .map_err(|_| StoreError::Poisoned)?;
        let readers = Arc::clone(&self.readers);

        // The permit moves into the blocking task, so a caller that stops waiting does not
        // free the connection before the query ends.
        let joined = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let guard = free_reader(&readers)?;
            f(&guard)
        })
        .await;
        joined.map_err(|_| StoreError::Poisoned)?
    }
}

/// Takes a read connection that no caller holds. The caller has a permit, so one is free.
fn free_reader(readers: &[Mutex<Store>]) -> Result<MutexGuard<'_, Store>, StoreError> {
    for reader in readers {
        match reader.try_lock() {
            Ok(guard) => return Ok(guard),
            // A panic in an earlier read leaves the connection itself sound: reads hold no
            // transaction open across calls.
            Err(TryLockError::Poisoned(poisoned)) => return Ok(poisoned.into_inner()),
            Err(TryLockError::WouldBlock) => {}
        }
    }
    // Reachable only if a connection was taken without a permit. Wait for it then.
    readers
        .first()
        .ok_or(StoreError::Poisoned)?
        .lock()
        .map_err(|_| StoreError::Poisoned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        assert!(migrations().validate().is_ok());
    }

    #[test]
    fn open_creates_folder_and_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/paperboy.db");
        let store = Store::open(&path).unwrap();
        assert!(path.exists());
        assert_eq!(store.integrity_check().unwrap(), vec!["ok".to_string()]);
    }

    #[test]
    fn reopening_keeps_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("paperboy.db");
        drop(Store::open(&path).unwrap());
        let store = Store::open(&path).unwrap();
        assert_eq!(store.integrity_check().unwrap(), vec!["ok".to_string()]);
    }
}
