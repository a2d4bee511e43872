//! Command line: the same core queries as the slash commands, for operators and scripts.
