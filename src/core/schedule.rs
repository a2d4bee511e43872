//! Schedule arithmetic for digests: local post times in IANA zones, mapped to UTC instants.
