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
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::Connection;
use rusqlite_migration::{Migrations, M};

pub use digests::{
    Delivery, DeliveryState, Digest, DigestSettings, WeekendPolicy, DEFAULT_DEDUPE_DAYS,
};
pub use papers::{SnapshotPoint, UpsertStats};
pub use search::{SearchHit, SearchSort, SearchTerm, StoreQuery};

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
    ])
}

pub struct Store {
    conn: Connection,
    path: PathBuf,
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
    next_reader: Arc<std::sync::atomic::AtomicUsize>,
}

impl SharedStore {
    /// Shares one connection for reads and writes alike.
    pub fn new(store: Store) -> Self {
        SharedStore {
            writer: Arc::new(Mutex::new(store)),
            readers: Arc::new(Vec::new()),
            next_reader: Arc::new(std::sync::atomic::AtomicUsize::new(0)),
        }
    }

    /// Shares `store` for writes and opens `count` read-only connections to the same file.
    pub fn with_readers(store: Store, count: usize) -> Result<Self, StoreError> {
        let mut readers = Vec::with_capacity(count);
        for _ in 0..count {
            let reader = Store::open(store.path())?;
            reader.conn.pragma_update(None, "query_only", "ON")?;
            readers.push(Mutex::new(reader));
        }
        let mut shared = SharedStore::new(store);
        shared.readers = Arc::new(readers);
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
    /// there are none). A free connection is taken when there is one; otherwise the call
    /// waits for the next in turn.
    pub async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    {
        if self.readers.is_empty() {
            return self.run(move |store| f(store)).await;
        }
        let readers = Arc::clone(&self.readers);
        let start = self
            .next_reader
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let joined = tokio::task::spawn_blocking(move || {
            let count = readers.len();
            let free = (0..count).find_map(|i| readers[(start + i) % count].try_lock().ok());
            let guard = match free {
                Some(guard) => guard,
                None => readers[start % count]
                    .lock()
                    .map_err(|_| StoreError::Poisoned)?,
            };
            f(&guard)
        })
        .await;
        joined.map_err(|_| StoreError::Poisoned)?
    }
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
