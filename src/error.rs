//! Errors in two tiers: text written for users, and internal chains for the log.
