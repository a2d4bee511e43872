//! The SQLite store. Every SQL statement of Paperboy lives here.
