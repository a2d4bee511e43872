//! Text clean-up for display: LaTeX made readable, Markdown escaped, lengths clamped.
//!
//! The store keeps the providers' raw text, so every function here runs at the point of
//! display. The usual order is [`unwrap_lines`], then [`latex_to_text`], then
//! [`escape_markdown`], and the caller truncates last with [`truncate_markdown`] once its
//! budget is known. [`display_title`] and [`display_abstract`] apply the first three steps.

use std::sync::OnceLock;

use regex::Regex;
use unicode_segmentation::UnicodeSegmentation;

/// Zero-width space, inserted after `@` and `<` so that Discord parses no mention.
const ZWSP: char = '\u{200B}';

/// Ellipsis appended by [`truncate`]. It is one `char`, so it costs one unit of the budget.
pub const ELLIPSIS: char = '…';

/// Maximum nesting of LaTeX command arguments that [`latex_to_text`] converts. Deeper
/// arguments lose their markup without conversion, which bounds the recursion on hostile input.
const MAX_LATEX_NESTING: usize = 16;

// ---------------------------------------------------------------------------------------------
// Composed display helpers
// ---------------------------------------------------------------------------------------------

/// Cleans a raw title into one line of escaped Markdown (line wraps joined, LaTeX converted).
pub fn display_title(raw: &str) -> String {
    escape_markdown(&plain_line(raw))
}

/// Cleans a raw abstract into escaped Markdown, keeping paragraph breaks.
pub fn display_abstract(raw: &str) -> String {
    escape_markdown(latex_to_text(&unwrap_lines(raw)).trim())
}

/// Cleans raw text into one line of plain text (line wraps joined, LaTeX converted), for
/// places that render no Markdown such as autocomplete choices and embed footers.
pub fn plain_line(raw: &str) -> String {
    let one_line = unwrap_lines(raw).replace('\n', " ");
    collapse_spaces(&latex_to_text(&one_line))
        .trim()
        .to_string()
}

/// Returns the first sentence of `text` by the Unicode sentence-boundary rules (UAX #29),
/// which do not break after abbreviations such as "e.g." that a lowercase word follows.
pub fn first_sentence(text: &str) -> &str {
    text.split_sentence_bounds().next().unwrap_or("").trim()
}

// ---------------------------------------------------------------------------------------------
// Line wraps
// ---------------------------------------------------------------------------------------------

/// Joins hard line wraps and collapses whitespace, keeping paragraph breaks.
///
/// arXiv and Hugging Face wrap abstracts at about 80 columns. A blank line separates
/// paragraphs and comes out as `"\n\n"`. A line that ends in a letter and `-` joins the next
/// line without a space, because the wrap then sits inside a hyphenated word ("large-\nscale").
pub fn unwrap_lines(s: &str) -> String {
    let mut paragraphs: Vec<String> = Vec::new();
    let mut current = String::new();

    for line in s.replace("\r\n", "\n").split(['\n', '\r']) {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.is_empty() {
            if !current.is_empty() {
                paragraphs.push(std::mem::take(&mut current));
            }
            continue;
        }
        if !current.is_empty() && !ends_with_word_hyphen(&current) {
            current.push(' ');
        }
        current.push_str(&words.join(" "));
    }
    if !current.is_empty() {
        paragraphs.push(current);
    }
    paragraphs.join("\n\n")
}

/// True when `s` ends in a letter followed by `-`, as in a hyphenated word split by a wrap.
fn ends_with_word_hyphen(s: &str) -> bool {
    let mut tail = s.chars().rev();
    tail.next() == Some('-') && tail.next().is_some_and(char::is_alphabetic)
}

/// Collapses runs of spaces into one space. Newlines are kept.
fn collapse_spaces(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == ' ' && out.ends_with(' ') {
            continue;
        }
        out.push(c);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// LaTeX
// ---------------------------------------------------------------------------------------------

/// Converts the common LaTeX in titles and abstracts into readable Unicode text.
///
/// Math delimiters (`$…$`, `$$…$$`, `\(…\)`, `\[…\]`) are removed and their content kept.
/// A `$` delimits math only when a matching `$` follows in the same paragraph, the opening
/// `$` has no whitespace after it, the closing `$` has none before it and no digit after it
/// (the rule Pandoc uses). So currency such as "on $60 GPUs" or "$5-$10" stays intact.
/// Greek letters and common symbols become Unicode, style commands (`\textbf{x}`) keep
/// their argument, digit super- and subscripts become Unicode, escapes (`\$`, `\&`, `\%`,
/// `\_`, `\#`) become the literal character, `--`/`---` become dashes and `~` a space.
/// Unknown commands keep their name without the backslash (`\method` → `method`).
pub fn latex_to_text(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    for segment in split_math(&chars) {
        let part = &chars[segment.start..segment.end];
        out.push_str(&Converter::convert(part, segment.math, 0));
    }
    collapse_spaces(&out)
}

/// A run of the input that is either text or the inside of a math span.
#[derive(Debug, PartialEq)]
struct Segment {
    start: usize,
    end: usize,
    math: bool,
}

/// Splits `chars` into text and math segments, dropping the math delimiters.
fn split_math(chars: &[char]) -> Vec<Segment> {
    let mut segments = Vec::new();
    let mut text_start = 0;
    let mut i = 0;

    while i < chars.len() {
        let span = match chars[i] {
            '\\' => bracket_math_span(chars, i),
            '$' => dollar_math_span(chars, i),
            _ => None,
        };
        match span {
            Some(span) => {
                segments.push(Segment {
                    start: text_start,
                    end: i,
                    math: false,
                });
                segments.push(Segment {
                    start: span.inner_start,
                    end: span.inner_end,
                    math: true,
                });
                i = span.after;
                text_start = i;
            }
            None if chars[i] == '\\' => i += escape_len(chars, i),
            None if starts_with(chars, i, "$$") => i += 2,
            None => i += 1,
        }
    }
    segments.push(Segment {
        start: text_start,
        end: chars.len(),
        math: false,
    });
    segments.retain(|segment| segment.start < segment.end);
    segments
}

/// Position of a math span: its content and the index just past its closing delimiter.
struct MathSpan {
    inner_start: usize,
    inner_end: usize,
    after: usize,
}

/// Length of the escape starting at the backslash at `i`. `\\$` counts as one escape
/// because Hugging Face JSON double-escapes the dollar in titles such as "\\$OneMillion".
fn escape_len(chars: &[char], i: usize) -> usize {
    if starts_with(chars, i, "\\\\$") {
        3
    } else {
        (chars.len() - i).min(2)
    }
}

fn starts_with(chars: &[char], at: usize, pattern: &str) -> bool {
    pattern
        .chars()
        .enumerate()
        .all(|(offset, expected)| chars.get(at + offset) == Some(&expected))
}

/// Finds the next unescaped occurrence of `pattern` at or after `from`.
fn find_unescaped(chars: &[char], from: usize, pattern: &str) -> Option<usize> {
    let mut i = from;
    while i < chars.len() {
        if starts_with(chars, i, pattern) {
            return Some(i);
        }
        i += if chars[i] == '\\' {
            escape_len(chars, i)
        } else {
            1
        };
    }
    None
}

/// Matches `\(…\)` or `\[…\]` starting at `i`.
fn bracket_math_span(chars: &[char], i: usize) -> Option<MathSpan> {
    let close = match chars.get(i + 1) {
        Some('(') => "\\)",
        Some('[') => "\\]",
        _ => return None,
    };
    let end = find_unescaped(chars, i + 2, close)?;
    Some(MathSpan {
        inner_start: i + 2,
        inner_end: end,
        after: end + 2,
    })
}

/// Matches `$$…$$` or `$…$` starting at `i`, applying the currency rule from
/// [`latex_to_text`] to single dollars.
fn dollar_math_span(chars: &[char], i: usize) -> Option<MathSpan> {
    if starts_with(chars, i, "$$") {
        let end = find_unescaped(chars, i + 2, "$$")?;
        let inner = &chars[i + 2..end];
        if inner.is_empty() || contains_paragraph_break(inner) {
            return None;
        }
        return Some(MathSpan {
            inner_start: i + 2,
            inner_end: end,
            after: end + 2,
        });
    }

    let opens = chars.get(i + 1).is_some_and(|c| !c.is_whitespace());
    if !opens {
        return None;
    }
    let end = find_unescaped(chars, i + 1, "$")?;
    let closes = !chars[end - 1].is_whitespace()
        && !chars.get(end + 1).is_some_and(char::is_ascii_digit)
        && !contains_paragraph_break(&chars[i + 1..end]);
    closes.then_some(MathSpan {
        inner_start: i + 1,
        inner_end: end,
        after: end + 1,
    })
}

fn contains_paragraph_break(chars: &[char]) -> bool {
    chars.windows(2).any(|pair| pair == ['\n', '\n'])
}

/// Converts one text or math segment, recursing into command arguments.
struct Converter<'a> {
    chars: &'a [char],
    pos: usize,
    math: bool,
    depth: usize,
    out: String,
}

impl<'a> Converter<'a> {
    fn convert(chars: &'a [char], math: bool, depth: usize) -> String {
        if depth > MAX_LATEX_NESTING {
            return strip_markup(chars);
        }
        let mut converter = Converter {
            chars,
            pos: 0,
            math,
            depth,
            out: String::new(),
        };
        converter.run();
        converter.out
    }

    fn peek(&self, offset: usize) -> Option<char> {
        self.chars.get(self.pos + offset).copied()
    }

    fn run(&mut self) {
        while let Some(c) = self.peek(0) {
            match c {
                '\\' => self.backslash(),
                '{' | '}' => self.pos += 1,
                '~' => self.tilde(),
                '^' | '_' if self.math || self.peek(1) == Some('{') => self.script(c),
                '-' if !self.math => self.dashes(),
                '`' if !self.math && self.peek(1) == Some('`') => self.emit("“", 2),
                '\'' if !self.math && self.peek(1) == Some('\'') => self.emit("”", 2),
                'h' if !self.math && self.at_url() => self.copy_url(),
                _ => {
                    self.out.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    /// Turns a LaTeX tie (`Fig.~3`) into a space. A `~` after whitespace or an opening
    /// bracket stays, because plain-text abstracts use it for "approximately" (`~10%`).
    fn tilde(&mut self) {
        let approximately = !self.math
            && self
                .out
                .chars()
                .next_back()
                .is_none_or(|c| c.is_whitespace() || matches!(c, '(' | '['));
        self.emit(if approximately { "~" } else { " " }, 1);
    }

    /// Appends `text` and skips `consumed` input characters.
    fn emit(&mut self, text: &str, consumed: usize) {
        self.out.push_str(text);
        self.pos += consumed;
    }

    /// True at the start of a bare URL, which is copied unchanged so that `~` and `--`
    /// inside it survive.
    fn at_url(&self) -> bool {
        starts_with(self.chars, self.pos, "https://")
            || starts_with(self.chars, self.pos, "http://")
    }

    fn copy_url(&mut self) {
        while let Some(c) = self.peek(0).filter(|c| !c.is_whitespace()) {
            self.out.push(c);
            self.pos += 1;
        }
    }

    fn dashes(&mut self) {
        let run = self.chars[self.pos..]
            .iter()
            .take_while(|&&c| c == '-')
            .count();
        match run {
            2 => self.out.push('–'),
            3 => self.out.push('—'),
            _ => self.out.extend(std::iter::repeat_n('-', run)),
        }
        self.pos += run;
    }

    /// Handles a backslash: a command word, an escaped character, an accent or spacing.
    fn backslash(&mut self) {
        let Some(next) = self.peek(1) else {
            self.pos += 1;
            return;
        };
        if next.is_ascii_alphabetic() {
            self.command();
            return;
        }
        self.pos += 2;
        match next {
            '$' | '&' | '%' | '_' | '#' | '{' | '}' => self.out.push(next),
            '\\' if self.peek(0) == Some('$') => self.emit("$", 1),
            '\\' => self.out.push(' '),
            '\'' | '`' | '"' | '^' | '~' | '=' | '.' => self.accent(next),
            ',' | ';' | ':' => self.out.push(' '),
            c if c.is_whitespace() => self.out.push(' '),
            '!' => {}
            '|' => self.out.push('‖'),
            other => self.out.push(other),
        }
    }

    fn command(&mut self) {
        let start = self.pos + 1;
        let len = self.chars[start..]
            .iter()
            .take_while(|c| c.is_ascii_alphabetic())
            .count();
        let name: String = self.chars[start..start + len].iter().collect();
        self.pos = start + len;
        self.apply_command(&name);
    }

    fn apply_command(&mut self, name: &str) {
        match name {
            _ if is_text_style(name) => self.styled(false),
            _ if is_math_style(name) => self.styled(self.math),
            "mathbb" | "mathbbm" | "mathds" => {
                let inner = self.next_argument(self.math);
                self.out.extend(inner.chars().map(double_struck));
            }
            "frac" | "dfrac" | "tfrac" => self.fraction(),
            "sqrt" => self.square_root(),
            "url" => self.url_argument(),
            "href" => self.href(),
            "c" | "v" | "u" | "H" | "r" | "k" => self.accent_word(name),
            "left" | "right" | "big" | "Big" | "bigg" | "Bigg" | "bigl" | "bigr" | "Bigl"
            | "Bigr" | "displaystyle" | "textstyle" | "limits" | "nonumber" => {}
            "quad" | "qquad" => self.out.push(' '),
            _ => match symbol(name) {
                Some(symbol) => self.out.push_str(symbol),
                None => self.out.push_str(name),
            },
        }
    }

    /// Emits the converted argument of a style command such as `\textbf{x}`.
    fn styled(&mut self, math: bool) {
        let inner = self.next_argument(math);
        self.out.push_str(&inner);
    }

    /// Reads the next argument (a `{group}`, a `\command` or one character) and returns
    /// its input range.
    fn argument(&mut self) -> Option<std::ops::Range<usize>> {
        while self.peek(0).is_some_and(|c| c == ' ') {
            self.pos += 1;
        }
        let first = self.peek(0)?;
        let start = self.pos;
        match first {
            '{' => {
                let end = matching_brace(self.chars, start);
                self.pos = (end + 1).min(self.chars.len());
                Some(start + 1..end)
            }
            '\\' => {
                let letters = self.chars[start + 1..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphabetic())
                    .count();
                let len = if letters > 0 {
                    1 + letters
                } else {
                    escape_len(self.chars, start)
                };
                self.pos = start + len;
                Some(start..self.pos)
            }
            _ => {
                self.pos += 1;
                Some(start..self.pos)
            }
        }
    }

    /// Reads and converts the next argument, or returns an empty string at the end of input.
    fn next_argument(&mut self, math: bool) -> String {
        match self.argument() {
            Some(range) => Converter::convert(&self.chars[range], math, self.depth + 1),
            None => String::new(),
        }
    }

    fn raw_argument(&mut self) -> String {
        match self.argument() {
            Some(range) => self.chars[range].iter().collect(),
            None => String::new(),
        }
    }

    /// Renders `^x` or `_x`: Unicode super- or subscripts when every character has one,
    /// otherwise the marker followed by the argument, in parentheses when it is not one word.
    fn script(&mut self, marker: char) {
        self.pos += 1;
        let inner = self.next_argument(true);
        self.out.push_str(&format_script(marker, inner.trim()));
    }

    fn fraction(&mut self) {
        let numerator = self.next_argument(self.math);
        let denominator = self.next_argument(self.math);
        let text = format!("{}/{}", grouped(&numerator), grouped(&denominator));
        self.out.push_str(&text);
    }

    fn square_root(&mut self) {
        if self.peek(0) == Some('[') {
            let close = self.chars[self.pos..].iter().position(|&c| c == ']');
            self.pos = close.map_or(self.chars.len(), |offset| self.pos + offset + 1);
        }
        let radicand = self.next_argument(self.math);
        self.out.push('√');
        self.out.push_str(&grouped(&radicand));
    }

    fn url_argument(&mut self) {
        let url = self.raw_argument();
        self.out.push_str(&url);
    }

    /// Renders `\href{url}{text}` as "text (url)".
    fn href(&mut self) {
        let url = self.raw_argument();
        let text = self.next_argument(self.math);
        let rendered = if text.trim().is_empty() {
            url
        } else {
            format!("{text} ({url})")
        };
        self.out.push_str(&rendered);
    }

    /// Applies a symbol accent such as `\'e` or `\"{o}`.
    fn accent(&mut self, mark: char) {
        let base = self.next_argument(self.math);
        match accent_mark(mark) {
            Some(combining) if !base.is_empty() => self.out.push_str(&compose(&base, combining)),
            _ => {
                self.out.push(mark);
                self.out.push_str(&base);
            }
        }
    }

    /// Applies a letter accent such as `\c{c}` or `\v{s}`.
    fn accent_word(&mut self, name: &str) {
        let base = self.next_argument(self.math);
        let mark = name.chars().next().and_then(accent_word_mark);
        match mark {
            Some(combining) if !base.is_empty() => self.out.push_str(&compose(&base, combining)),
            _ => {
                self.out.push_str(name);
                self.out.push_str(&base);
            }
        }
    }
}

/// Drops commands and braces without converting anything, for arguments nested too deeply.
fn strip_markup(chars: &[char]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => {
                let letters = chars[i + 1..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphabetic())
                    .count();
                if letters == 0 {
                    out.extend(chars.get(i + 1));
                    i += 2;
                } else {
                    i += 1 + letters;
                }
            }
            '{' | '}' => i += 1,
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// Index of the `}` matching the `{` at `open`, or the input length when it is unmatched.
fn matching_brace(chars: &[char], open: usize) -> usize {
    let mut depth = 0usize;
    let mut i = open;
    while i < chars.len() {
        match chars[i] {
            '\\' => {
                i += escape_len(chars, i);
                continue;
            }
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
        i += 1;
    }
    chars.len()
}

fn is_text_style(name: &str) -> bool {
    matches!(
        name,
        "text"
            | "textbf"
            | "textit"
            | "textsc"
            | "texttt"
            | "textrm"
            | "textsf"
            | "textup"
            | "textmd"
            | "textnormal"
            | "emph"
            | "underline"
            | "mbox"
            | "hbox"
    )
}

fn is_math_style(name: &str) -> bool {
    matches!(
        name,
        "mathrm"
            | "mathbf"
            | "mathit"
            | "mathcal"
            | "mathscr"
            | "mathfrak"
            | "mathsf"
            | "mathtt"
            | "mathnormal"
            | "boldsymbol"
            | "bm"
            | "operatorname"
            | "hat"
            | "tilde"
            | "bar"
            | "vec"
            | "dot"
            | "ddot"
            | "overline"
            | "widehat"
            | "widetilde"
    )
}

/// Wraps `s` in parentheses unless it is a single character or one alphanumeric word.
fn grouped(s: &str) -> String {
    let s = s.trim();
    if s.chars().count() <= 1 || s.chars().all(char::is_alphanumeric) {
        s.to_string()
    } else {
        format!("({s})")
    }
}

fn format_script(marker: char, inner: &str) -> String {
    if inner.is_empty() {
        return String::new();
    }
    let map = if marker == '^' {
        superscript
    } else {
        subscript
    };
    if let Some(mapped) = inner.chars().map(map).collect::<Option<String>>() {
        return mapped;
    }
    if marker == '^' && inner == "∘" {
        return "°".to_string();
    }
    if inner
        .chars()
        .all(|c| matches!(c, '′' | '*' | '∗' | '†' | '‡'))
    {
        return inner.to_string();
    }
    format!("{marker}{}", grouped(inner))
}

const SUPERSCRIPT_DIGITS: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
const SUBSCRIPT_DIGITS: [char; 10] = ['₀', '₁', '₂', '₃', '₄', '₅', '₆', '₇', '₈', '₉'];

fn superscript(c: char) -> Option<char> {
    if let Some(digit) = c.to_digit(10) {
        return SUPERSCRIPT_DIGITS.get(digit as usize).copied();
    }
    match c {
        '+' => Some('⁺'),
        '-' | '−' => Some('⁻'),
        '=' => Some('⁼'),
        '(' => Some('⁽'),
        ')' => Some('⁾'),
        'n' => Some('ⁿ'),
        'i' => Some('ⁱ'),
        _ => None,
    }
}

fn subscript(c: char) -> Option<char> {
    if let Some(digit) = c.to_digit(10) {
        return SUBSCRIPT_DIGITS.get(digit as usize).copied();
    }
    match c {
        '+' => Some('₊'),
        '-' | '−' => Some('₋'),
        '=' => Some('₌'),
        '(' => Some('₍'),
        ')' => Some('₎'),
        _ => None,
    }
}

fn double_struck(c: char) -> char {
    match c {
        'R' => 'ℝ',
        'N' => 'ℕ',
        'Z' => 'ℤ',
        'Q' => 'ℚ',
        'C' => 'ℂ',
        'P' => 'ℙ',
        'H' => 'ℍ',
        'E' => '𝔼',
        '1' => '𝟙',
        other => other,
    }
}

/// Combining mark for a symbol accent (`\'`, `` \` ``, `\"`, `\^`, `\~`, `\=`, `\.`).
fn accent_mark(mark: char) -> Option<char> {
    match mark {
        '\'' => Some('\u{0301}'),
        '`' => Some('\u{0300}'),
        '"' => Some('\u{0308}'),
        '^' => Some('\u{0302}'),
        '~' => Some('\u{0303}'),
        '=' => Some('\u{0304}'),
        '.' => Some('\u{0307}'),
        _ => None,
    }
}

/// Combining mark for a letter accent (`\c`, `\v`, `\u`, `\H`, `\r`, `\k`).
fn accent_word_mark(name: char) -> Option<char> {
    match name {
        'c' => Some('\u{0327}'),
        'v' => Some('\u{030C}'),
        'u' => Some('\u{0306}'),
        'H' => Some('\u{030B}'),
        'r' => Some('\u{030A}'),
        'k' => Some('\u{0328}'),
        _ => None,
    }
}

/// Precomposed letters for the accents seen in author names and titles: (combining mark,
/// base letters, composed letters at the same positions).
const PRECOMPOSED: &[(char, &str, &str)] = &[
    (
        '\u{0301}',
        "aeiouyAEIOUYcnszlrCNSZLR",
        "áéíóúýÁÉÍÓÚÝćńśźĺŕĆŃŚŹĹŔ",
    ),
    ('\u{0300}', "aeiouAEIOU", "àèìòùÀÈÌÒÙ"),
    ('\u{0308}', "aeiouyAEIOUY", "äëïöüÿÄËÏÖÜŸ"),
    ('\u{0302}', "aeiouAEIOU", "âêîôûÂÊÎÔÛ"),
    ('\u{0303}', "anoANO", "ãñõÃÑÕ"),
    ('\u{0327}', "csCS", "çşÇŞ"),
    ('\u{030C}', "cszrnedCSZRNED", "čšžřňěďČŠŽŘŇĚĎ"),
    ('\u{030A}', "auAU", "åůÅŮ"),
];

/// Puts the accent on the first character of `base`: the precomposed letter when one is
/// known, otherwise the letter followed by the combining mark.
fn compose(base: &str, combining: char) -> String {
    let mut chars = base.chars();
    let Some(first) = chars.next() else {
        return String::new();
    };
    // A dotless i or j (`\i`, `\j`) carries the accent in place of the dot.
    let first = match first {
        'ı' => 'i',
        'ȷ' => 'j',
        other => other,
    };
    let composed = PRECOMPOSED
        .iter()
        .find(|(mark, _, _)| *mark == combining)
        .and_then(|(_, bases, results)| {
            let index = bases.chars().position(|c| c == first)?;
            results.chars().nth(index)
        });
    let mut out = String::new();
    match composed {
        Some(letter) => out.push(letter),
        None => {
            out.push(first);
            out.push(combining);
        }
    }
    out.extend(chars);
    out
}

/// Unicode for a LaTeX command name, or `None` for names outside the table.
fn symbol(name: &str) -> Option<&'static str> {
    greek(name)
        .or_else(|| operator(name))
        .or_else(|| text_symbol(name))
}

fn greek(name: &str) -> Option<&'static str> {
    let letter = match name {
        "alpha" => "α",
        "beta" => "β",
        "gamma" => "γ",
        "delta" => "δ",
        "epsilon" | "varepsilon" => "ε",
        "zeta" => "ζ",
        "eta" => "η",
        "theta" => "θ",
        "vartheta" => "ϑ",
        "iota" => "ι",
        "kappa" => "κ",
        "lambda" => "λ",
        "mu" => "μ",
        "nu" => "ν",
        "xi" => "ξ",
        "omicron" => "ο",
        "pi" => "π",
        "varpi" => "ϖ",
        "rho" => "ρ",
        "varrho" => "ϱ",
        "sigma" => "σ",
        "varsigma" => "ς",
        "tau" => "τ",
        "upsilon" => "υ",
        "phi" | "varphi" => "φ",
        "chi" => "χ",
        "psi" => "ψ",
        "omega" => "ω",
        "Gamma" => "Γ",
        "Delta" => "Δ",
        "Theta" => "Θ",
        "Lambda" => "Λ",
        "Xi" => "Ξ",
        "Pi" => "Π",
        "Sigma" => "Σ",
        "Upsilon" => "Υ",
        "Phi" => "Φ",
        "Psi" => "Ψ",
        "Omega" => "Ω",
        _ => return None,
    };
    Some(letter)
}

fn operator(name: &str) -> Option<&'static str> {
    let symbol = match name {
        "times" => "×",
        "div" => "÷",
        "cdot" => "·",
        "pm" => "±",
        "mp" => "∓",
        "leq" | "le" | "leqslant" => "≤",
        "geq" | "ge" | "geqslant" => "≥",
        "neq" | "ne" => "≠",
        "approx" => "≈",
        "sim" => "∼",
        "simeq" => "≃",
        "equiv" => "≡",
        "propto" => "∝",
        "infty" => "∞",
        "rightarrow" | "to" | "longrightarrow" => "→",
        "leftarrow" | "gets" | "longleftarrow" => "←",
        "Rightarrow" | "implies" => "⇒",
        "Leftarrow" => "⇐",
        "leftrightarrow" => "↔",
        "Leftrightarrow" | "iff" => "⇔",
        "mapsto" => "↦",
        "uparrow" => "↑",
        "downarrow" => "↓",
        "in" => "∈",
        "notin" => "∉",
        "subset" => "⊂",
        "subseteq" => "⊆",
        "supset" => "⊃",
        "supseteq" => "⊇",
        "cup" => "∪",
        "cap" => "∩",
        "setminus" => "∖",
        "forall" => "∀",
        "exists" => "∃",
        "partial" => "∂",
        "nabla" => "∇",
        "sum" => "∑",
        "prod" => "∏",
        "int" => "∫",
        "ll" => "≪",
        "gg" => "≫",
        "circ" => "∘",
        "star" => "⋆",
        "ast" => "∗",
        "oplus" => "⊕",
        "otimes" => "⊗",
        "land" | "wedge" => "∧",
        "lor" | "vee" => "∨",
        "neg" | "lnot" => "¬",
        "top" => "⊤",
        "bot" | "perp" => "⊥",
        "mid" => "∣",
        "langle" => "⟨",
        "rangle" => "⟩",
        "lfloor" => "⌊",
        "rfloor" => "⌋",
        "lceil" => "⌈",
        "rceil" => "⌉",
        "prime" => "′",
        "ell" => "ℓ",
        "emptyset" | "varnothing" => "∅",
        "lt" => "<",
        "gt" => ">",
        _ => return None,
    };
    Some(symbol)
}

fn text_symbol(name: &str) -> Option<&'static str> {
    let symbol = match name {
        "ldots" | "dots" | "cdots" | "textellipsis" => "…",
        "vdots" => "⋮",
        "textendash" => "–",
        "textemdash" => "—",
        "textasciitilde" => "~",
        "textbackslash" => "\\",
        "textbar" => "|",
        "dag" | "dagger" => "†",
        "ddag" | "ddagger" => "‡",
        "degree" | "textdegree" => "°",
        "checkmark" => "✓",
        "copyright" => "©",
        "texttrademark" => "™",
        "textregistered" => "®",
        "pounds" => "£",
        "euro" => "€",
        "S" => "§",
        "P" => "¶",
        "ss" => "ß",
        "o" => "ø",
        "O" => "Ø",
        "ae" => "æ",
        "AE" => "Æ",
        "oe" => "œ",
        "OE" => "Œ",
        "aa" => "å",
        "AA" => "Å",
        "l" => "ł",
        "L" => "Ł",
        "i" => "ı",
        "j" => "ȷ",
        _ => return None,
    };
    Some(symbol)
}

// ---------------------------------------------------------------------------------------------
// Markdown and mentions
// ---------------------------------------------------------------------------------------------

/// Escapes Discord Markdown and neutralises mentions, so that `s` displays as typed.
///
/// A backslash goes before `\ * _ ~ ` | [ ]` everywhere, and before `>`, `#`, `-` and
/// `+` list markers and the `.` of a numbered list at the start of a line. Bare URLs are
/// copied unescaped, because Discord links them before it parses Markdown and a backslash
/// would become part of the link. A zero-width space goes after every `@` (also the
/// fullwidth `＠` and small `﹫`) and after every `<` that could open a mention, channel,
/// emoji, timestamp or command tag. The function only inserts characters, so no input, not
/// even "@@everyoneeveryone" or "@\u{200B}everyone", yields `@everyone`, `@here`, `<@` or
/// `<#` in the output.
pub fn escape_markdown(s: &str) -> String {
    let mut escaper = Escaper {
        out: String::with_capacity(s.len() + 16),
        line: LineState::Start,
    };
    let mut last = 0;
    for found in url_regex().find_iter(s) {
        let url = found.as_str().trim_end_matches(DISCORD_URL_TRAILING);
        escaper.plain(&s[last..found.start()]);
        escaper.url(url);
        last = found.start() + url.len();
    }
    escaper.plain(&s[last..]);
    escaper.out
}

/// Inserts zero-width spaces so that `s` contains no mention, and escapes nothing else.
/// For text whose Markdown is intended, such as notices that the bot writes itself.
pub fn neutralize_mentions(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if needs_zwsp_after(c, chars.peek().copied()) {
            out.push(ZWSP);
        }
    }
    out
}

/// Bare URLs as Discord links them: a scheme and everything up to whitespace or `<`.
fn url_regex() -> &'static Regex {
    static URL: OnceLock<Regex> = OnceLock::new();
    URL.get_or_init(|| Regex::new(r"https?://[^\s<]+").expect("the URL pattern is valid"))
}

/// Characters that Discord leaves out of the end of a bare link.
const DISCORD_URL_TRAILING: &[char] = &['.', ',', ':', ';', '"', '\'', ')', ']'];

fn needs_zwsp_after(c: char, next: Option<char>) -> bool {
    match c {
        '@' | '＠' | '﹫' => true,
        '<' => next.is_some_and(|n| matches!(n, '@' | '＠' | '﹫' | '#' | ':' | '/' | 'a' | 't')),
        _ => false,
    }
}

/// Position of the escaper within the current line, for markers that only format at a line start.
#[derive(Clone, Copy, PartialEq)]
enum LineState {
    /// Only spaces so far.
    Start,
    /// Only digits after the leading spaces, as in "12" before a numbered-list ". ".
    Digits,
    Other,
}

struct Escaper {
    out: String,
    line: LineState,
}

impl Escaper {
    fn plain(&mut self, text: &str) {
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            let next = chars.peek().copied();
            if self.needs_backslash(c, next) {
                self.out.push('\\');
            }
            self.out.push(c);
            if needs_zwsp_after(c, next) {
                self.out.push(ZWSP);
            }
            self.line = match (c, self.line) {
                ('\n', _) => LineState::Start,
                (' ' | '\t', LineState::Start) => LineState::Start,
                (d, LineState::Start | LineState::Digits) if d.is_ascii_digit() => {
                    LineState::Digits
                }
                _ => LineState::Other,
            };
        }
    }

    fn url(&mut self, url: &str) {
        self.out.push_str(&neutralize_mentions(url));
        self.line = LineState::Other;
    }

    fn needs_backslash(&self, c: char, next: Option<char>) -> bool {
        match c {
            '\\' | '*' | '_' | '~' | '`' | '|' | '[' | ']' => true,
            '>' | '#' => self.line == LineState::Start,
            '-' | '+' => self.line == LineState::Start && matches!(next, Some(' ' | '#')),
            '.' => self.line == LineState::Digits && next == Some(' '),
            _ => false,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Truncation
// ---------------------------------------------------------------------------------------------

/// Shortens `s` to at most `max_chars` characters, ellipsis included.
///
/// Characters are Unicode scalar values, which is how Discord counts its limits. The cut
/// falls on a grapheme-cluster boundary. Within the last 30% of the budget it prefers the
/// end of a sentence, then the end of a word, and otherwise cuts hard. The result is a
/// prefix of `s` followed by `…`, or `s` itself when it fits. When `max_chars` is 0 the
/// result is empty.
pub fn truncate(s: &str, max_chars: usize) -> String {
    if s.chars().count() <= max_chars {
        return s.to_string();
    }
    if max_chars == 0 {
        return String::new();
    }
    let cut = cut_point(s, max_chars - 1);
    let mut out = String::with_capacity(cut + ELLIPSIS.len_utf8());
    out.push_str(&s[..cut]);
    out.push(ELLIPSIS);
    out
}

/// Like [`truncate`] for escaped Markdown: when the cut leaves a dangling escape
/// backslash before the ellipsis, the grapheme holding it is dropped as well.
pub fn truncate_markdown(s: &str, max_chars: usize) -> String {
    let truncated = truncate(s, max_chars);
    if truncated == s {
        return truncated;
    }
    let Some(kept) = truncated.strip_suffix(ELLIPSIS) else {
        return truncated;
    };
    let backslashes = kept.chars().rev().take_while(|&c| c == '\\').count();
    if backslashes % 2 == 0 {
        return truncated;
    }
    let last = kept
        .grapheme_indices(true)
        .next_back()
        .map_or(0, |(offset, _)| offset);
    let mut out = kept[..last].to_string();
    out.push(ELLIPSIS);
    out
}

/// Byte offset at which to cut `s` so that at most `budget` characters remain.
fn cut_point(s: &str, budget: usize) -> usize {
    let window_start = budget - budget * 3 / 10;
    let mut hard = 0;
    let mut sentence = None;
    let mut word = None;
    let mut chars_before = 0;
    let mut previous: Option<&str> = None;

    for (offset, grapheme) in s.grapheme_indices(true) {
        if chars_before > budget {
            break;
        }
        hard = offset;
        let at_space = grapheme.starts_with(char::is_whitespace);
        if at_space && chars_before >= window_start {
            word = Some(offset);
            if previous.is_some_and(ends_sentence) {
                let keep_space = grapheme == " " && chars_before < budget;
                sentence = Some(if keep_space { offset + 1 } else { offset });
            }
        }
        chars_before += grapheme.chars().count();
        previous = Some(grapheme);
    }

    if let Some(cut) = sentence {
        return cut;
    }
    if let Some(cut) = word.map(|cut| trim_cut(s, cut)).filter(|&cut| cut > 0) {
        return cut;
    }
    match trim_cut(s, hard) {
        0 => hard,
        trimmed => trimmed,
    }
}

/// Moves a cut back over trailing whitespace and `,;:` graphemes so that the ellipsis
/// follows a word.
fn trim_cut(s: &str, cut: usize) -> usize {
    let mut end = cut;
    while let Some((offset, grapheme)) = s[..end].grapheme_indices(true).next_back() {
        let droppable =
            grapheme.chars().all(char::is_whitespace) || matches!(grapheme, "," | ";" | ":");
        if !droppable {
            break;
        }
        end = offset;
    }
    end
}

fn ends_sentence(grapheme: &str) -> bool {
    matches!(grapheme, "." | "!" | "?" | "。" | "！" | "？")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn unwrap_joins_hard_wraps() {
        assert_eq!(unwrap_lines("Multimodal\n  Models"), "Multimodal Models");
        assert_eq!(unwrap_lines("  a\t\tb  \r\nc "), "a b c");
    }

    #[test]
    fn unwrap_keeps_paragraph_breaks() {
        assert_eq!(unwrap_lines("one\ntwo\n\n  \nthree"), "one two\n\nthree");
        assert_eq!(unwrap_lines("one\r\n\r\ntwo"), "one\n\ntwo");
    }

    #[test]
    fn unwrap_joins_hyphenated_wrap() {
        assert_eq!(unwrap_lines("large-\nscale"), "large-scale");
        assert_eq!(unwrap_lines("a --\nb"), "a -- b");
    }

    #[test]
    fn unwrap_empty_input() {
        assert_eq!(unwrap_lines(""), "");
        assert_eq!(unwrap_lines("\n \n"), "");
    }

    #[test]
    fn latex_strips_math_delimiters() {
        assert_eq!(latex_to_text("$x$-axis"), "x-axis");
        assert_eq!(latex_to_text(r"$\mathcal{J}\&\mathcal{F}$"), "J&F");
        assert_eq!(latex_to_text("$$E = mc^2$$"), "E = mc²");
        assert_eq!(latex_to_text(r"\(a\) and \[b\]"), "a and b");
    }

    #[test]
    fn latex_keeps_currency_dollars() {
        let title = "DumpsterCluster: From Dumpster Diving to Serving LLaMA-70B on $60 GPUs";
        assert_eq!(latex_to_text(title), title);
        assert_eq!(latex_to_text("costs $5 or $10"), "costs $5 or $10");
        assert_eq!(latex_to_text("$5-$10"), "$5-$10");
        assert_eq!(latex_to_text("$"), "$");
        assert_eq!(latex_to_text("$$"), "$$");
    }

    #[test]
    fn latex_escaped_dollar_title() {
        let raw = r"\$OneMillion-Bench: How Far are Language Agents from Human Experts?";
        let expected = "$OneMillion-Bench: How Far are Language Agents from Human Experts?";
        assert_eq!(latex_to_text(raw), expected);
        assert_eq!(latex_to_text(r"\\$OneMillion-Bench"), "$OneMillion-Bench");
    }

    #[test]
    fn latex_greek_and_operators() {
        assert_eq!(latex_to_text(r"$\alpha$ and $\Omega$"), "α and Ω");
        assert_eq!(latex_to_text(r"$2\times 3 \leq 7$"), "2× 3 ≤ 7");
        let symbols = r"$\geq \approx \infty \rightarrow \sim \pm \cdot$";
        assert_eq!(latex_to_text(symbols), "≥ ≈ ∞ → ∼ ± ·");
    }

    #[test]
    fn latex_style_commands_keep_argument() {
        let raw =
            r"\textbf{bold} \emph{em} $\mathrm{d}$ \texttt{tt} \text{t} \textsc{AIEV-Instruct}";
        assert_eq!(latex_to_text(raw), "bold em d tt t AIEV-Instruct");
    }

    #[test]
    fn latex_scripts() {
        assert_eq!(latex_to_text("$x^{2}$"), "x²");
        assert_eq!(latex_to_text("$x_{10}$"), "x₁₀");
        assert_eq!(latex_to_text("$10^{-3}$"), "10⁻³");
        assert_eq!(latex_to_text("$x_i$"), "x_i");
        assert_eq!(latex_to_text("$W_{max}$"), "W_max");
        assert_eq!(latex_to_text("$e^{i x + 1}$"), "e^(i x + 1)");
        assert_eq!(latex_to_text(r"$f^\prime$"), "f′");
        assert_eq!(latex_to_text(r"$90^\circ$"), "90°");
    }

    #[test]
    fn latex_leaves_text_underscores() {
        assert_eq!(latex_to_text("snake_case and a^b"), "snake_case and a^b");
    }

    #[test]
    fn latex_escapes_become_literal() {
        assert_eq!(
            latex_to_text(r"84\% on A\&B, x\_y \#1"),
            "84% on A&B, x_y #1"
        );
    }

    #[test]
    fn latex_dashes_and_ties() {
        assert_eq!(latex_to_text("pages 1--3 --- done"), "pages 1–3 — done");
        assert_eq!(latex_to_text("Fig.~3"), "Fig. 3");
        assert_eq!(latex_to_text("about ~10% faster"), "about ~10% faster");
    }

    #[test]
    fn latex_unknown_command_keeps_name() {
        assert_eq!(latex_to_text(r"with \method even"), "with method even");
    }

    #[test]
    fn latex_accents() {
        assert_eq!(latex_to_text(r"Bolet\'{\i}n"), "Boletín");
        assert_eq!(latex_to_text(r#"Schr\"odinger"#), "Schrödinger");
        assert_eq!(latex_to_text(r"\c{c}a \v{s}"), "ça š");
    }

    #[test]
    fn latex_quotes_fraction_root() {
        assert_eq!(latex_to_text("``quoted''"), "“quoted”");
        assert_eq!(
            latex_to_text(r"$\frac{1}{2}$ $\frac{a+b}{c}$"),
            "1/2 (a+b)/c"
        );
        assert_eq!(latex_to_text(r"$\sqrt{d}$"), "√d");
        assert_eq!(latex_to_text(r"$\mathbb{R}^n$"), "ℝⁿ");
    }

    #[test]
    fn latex_keeps_urls() {
        let raw = "see https://example.com/~user/a--b";
        assert_eq!(latex_to_text(raw), raw);
        assert_eq!(latex_to_text(r"\url{https://x.org/~a}"), "https://x.org/~a");
    }

    #[test]
    fn latex_deep_nesting_is_bounded() {
        let raw = r"\textbf{".repeat(5000) + "x" + &"}".repeat(5000);
        assert_eq!(latex_to_text(&raw), "x");
    }

    #[test]
    fn precomposed_tables_line_up() {
        for (mark, bases, composed) in PRECOMPOSED {
            assert_eq!(
                bases.chars().count(),
                composed.chars().count(),
                "mark {mark:?}"
            );
        }
    }

    #[test]
    fn escape_formatting_characters() {
        assert_eq!(escape_markdown("a*b_c~d`e|f"), r"a\*b\_c\~d\`e\|f");
        assert_eq!(escape_markdown(r"back\slash"), r"back\\slash");
        assert_eq!(escape_markdown("[x](y)"), r"\[x\](y)");
    }

    #[test]
    fn escape_line_start_markers() {
        assert_eq!(escape_markdown("> quote"), r"\> quote");
        assert_eq!(escape_markdown("# head\n## sub"), "\\# head\n\\## sub");
        assert_eq!(escape_markdown("- item\n-# small"), "\\- item\n\\-# small");
        assert_eq!(escape_markdown("12. point"), r"12\. point");
        assert_eq!(escape_markdown("a > b # c - d 1. e"), "a > b # c - d 1. e");
    }

    #[test]
    fn escape_leaves_urls_intact() {
        let text = "code at https://github.com/a_b/c*d.";
        assert_eq!(escape_markdown(text), "code at https://github.com/a_b/c*d.");
    }

    #[test]
    fn escape_neutralises_mentions() {
        let cases = [
            "@everyone",
            "@here",
            "<@123>",
            "<@!123>",
            "<@&123>",
            "<#123>",
            "@@everyoneeveryone",
            "@\u{200B}everyone",
            "＠everyone",
            "https://x.org/@everyone",
        ];
        for case in cases {
            let escaped = escape_markdown(case);
            assert!(!contains_mention(&escaped), "{case:?} became {escaped:?}");
        }
    }

    #[test]
    fn neutralize_keeps_markdown() {
        assert_eq!(neutralize_mentions("**@here**"), "**@\u{200B}here**");
    }

    #[test]
    fn truncate_returns_fitting_input() {
        assert_eq!(truncate("short", 5), "short");
        assert_eq!(truncate("", 0), "");
        assert_eq!(truncate("abc", 0), "");
        assert_eq!(truncate("abc", 1), "…");
    }

    #[test]
    fn truncate_prefers_sentence_end() {
        let text = "First sentence here. Second sentence is longer.";
        assert_eq!(truncate(text, 25), "First sentence here. …");
    }

    #[test]
    fn truncate_prefers_word_end() {
        assert_eq!(truncate("alpha beta gamma delta", 15), "alpha beta…");
        assert_eq!(truncate("alpha, beta gamma", 9), "alpha…");
    }

    #[test]
    fn truncate_hard_cut_without_spaces() {
        assert_eq!(truncate("abcdefghij", 5), "abcd…");
    }

    #[test]
    fn truncate_keeps_grapheme_clusters() {
        let family = "👨\u{200D}👩\u{200D}👧";
        let text = format!("{family}{family}");
        assert_eq!(truncate(&text, 7), format!("{family}…"));
        assert_eq!(truncate("e\u{301}e\u{301}e\u{301}", 4), "e\u{301}…");
    }

    #[test]
    fn truncate_markdown_drops_dangling_escape() {
        assert_eq!(truncate_markdown(r"abc\*def", 5), "abc…");
        assert_eq!(truncate_markdown(r"ab\\cdef", 5), r"ab\\…");
    }

    #[test]
    fn display_title_composes_steps() {
        let raw = "Scaling $\\alpha$-*Models*\n  @everyone";
        assert_eq!(
            display_title(raw),
            "Scaling α-\\*Models\\* @\u{200B}everyone"
        );
    }

    #[test]
    fn display_abstract_keeps_paragraphs() {
        assert_eq!(display_abstract("a\nb\n\n84\\% c"), "a b\n\n84% c");
    }

    #[test]
    fn first_sentence_skips_abbreviations() {
        assert_eq!(
            first_sentence("We use e.g. cats. Then dogs."),
            "We use e.g. cats."
        );
        assert_eq!(first_sentence(""), "");
    }

    /// Collects every string under a `title` or `summary` key in a JSON document.
    fn titles_and_summaries(value: &serde_json::Value, found: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, inner) in map {
                    match inner {
                        serde_json::Value::String(s) if key == "title" || key == "summary" => {
                            found.push(s.clone())
                        }
                        _ => titles_and_summaries(inner, found),
                    }
                }
            }
            serde_json::Value::Array(items) => {
                for item in items {
                    titles_and_summaries(item, found);
                }
            }
            _ => {}
        }
    }

    #[test]
    fn fixture_texts_lose_latex_commands() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/hf");
        let mut texts = Vec::new();
        for entry in std::fs::read_dir(dir).expect("the Hugging Face fixtures exist") {
            let path = entry.unwrap().path();
            let json = std::fs::read_to_string(&path).unwrap();
            let value: serde_json::Value = serde_json::from_str(&json).unwrap();
            titles_and_summaries(&value, &mut texts);
        }
        assert!(texts.len() > 50, "found only {} texts", texts.len());
        let command = Regex::new(r"\\[A-Za-z]").unwrap();
        for raw in &texts {
            let cleaned = plain_line(raw);
            assert!(!command.is_match(&cleaned), "LaTeX left in {cleaned:?}");
            assert!(
                !cleaned.contains("\\$"),
                "escaped dollar left in {cleaned:?}"
            );
            assert!(!contains_mention(&display_abstract(raw)));
        }
    }

    /// True when `s` contains text that Discord would parse as a mention.
    fn contains_mention(s: &str) -> bool {
        ["@everyone", "@here", "<@", "<#"]
            .iter()
            .any(|needle| s.contains(needle))
    }

    fn is_grapheme_boundary(s: &str, offset: usize) -> bool {
        offset == s.len() || s.grapheme_indices(true).any(|(start, _)| start == offset)
    }

    proptest! {
        #[test]
        fn cleaning_never_panics(s in "\\PC*") {
            let _ = unwrap_lines(&s);
            let _ = latex_to_text(&s);
            let _ = display_title(&s);
            let _ = display_abstract(&s);
        }

        #[test]
        fn latex_never_panics_on_markup(s in r"[\\${}^_~a-z0-9 \-'`.\n]{0,80}") {
            let _ = latex_to_text(&s);
        }

        #[test]
        fn truncate_fits_and_is_prefix(s in "\\PC{0,60}", max in 0usize..70) {
            let out = truncate(&s, max);
            prop_assert!(out.chars().count() <= max);
            if out != s {
                let kept = out.strip_suffix(ELLIPSIS).unwrap_or(&out);
                prop_assert!(s.starts_with(kept));
                prop_assert!(is_grapheme_boundary(&s, kept.len()));
            }
        }

        #[test]
        fn truncate_markdown_fits_and_is_prefix(s in "\\PC{0,60}", max in 0usize..70) {
            let escaped = escape_markdown(&s);
            let out = truncate_markdown(&escaped, max);
            prop_assert!(out.chars().count() <= max);
            let kept = out.strip_suffix(ELLIPSIS).unwrap_or(&out);
            prop_assert!(escaped.starts_with(kept));
            prop_assert!(is_grapheme_boundary(&escaped, kept.len()));
        }

        #[test]
        fn truncate_respects_clusters(s in "[ae\u{301}\u{200D}👩👨\u{1F1E6}\u{1F1E8}. ]{0,40}", max in 0usize..50) {
            let out = truncate(&s, max);
            prop_assert!(out.chars().count() <= max);
            let kept = out.strip_suffix(ELLIPSIS).unwrap_or(&out);
            prop_assert!(s.starts_with(kept));
            prop_assert!(is_grapheme_boundary(&s, kept.len()));
        }

        #[test]
        fn escape_output_has_no_mentions(s in "[@<#!&＠a-z0-9 \u{200B}]{0,40}") {
            prop_assert!(!contains_mention(&escape_markdown(&s)));
        }

        #[test]
        fn escape_any_text_has_no_mentions(s in "\\PC*") {
            prop_assert!(!contains_mention(&escape_markdown(&s)));
        }

        #[test]
        fn escape_after_cleaning_has_no_mentions(s in r"[@<#\\{}$a-z ]{0,40}") {
            prop_assert!(!contains_mention(&display_abstract(&s)));
        }
    }
}
