//! Text clean-up for display: LaTeX made readable, Markdown escaped, lengths clamped.
