//! Sentence splitting for abstracts as arXiv and Hugging Face deliver them: hard-wrapped at
//! about 80 columns, with inline LaTeX, and full of abbreviations such as "e.g." and "et al.".

/// Words that end with a period without ending the sentence. They are compared lower-case
/// and without their final period, so "e.g." is listed as `e.g`.
const ABBREVIATIONS: &[&str] = &[
    "e.g", "i.e", "eg", "ie", "cf", "vs", "viz", "w.r.t", "wrt", "a.k.a", "approx", "resp", "incl",
    "esp", "ca", "fig", "figs", "eq", "eqs", "eqn", "eqns", "sec", "secs", "ref", "refs", "tab",
    "thm", "def", "prop", "lem", "cor", "vol", "pp", "ch", "dr", "mr", "mrs", "ms", "prof", "jr",
    "sr", "st",
];

/// Characters that may follow a sentence's final punctuation before the space, such as the
/// quote and bracket in `"... (see below)." Next`.
const CLOSERS: &[char] = &['.', '!', '?', '"', '\'', ')', ']', '\u{201D}', '\u{2019}'];

/// Splits an abstract into sentences. Hard-wrapped lines are joined, whitespace is collapsed,
/// and a blank line always ends a sentence. Returns no sentences for blank input.
pub(crate) fn split_sentences(text: &str) -> Vec<String> {
    paragraphs(text)
        .iter()
        .flat_map(|paragraph| split_paragraph(paragraph))
        .collect()
}

/// Joins the lines of each blank-line-separated paragraph into one line.
fn paragraphs(text: &str) -> Vec<String> {
    let mut result = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() {
            push_paragraph(&mut result, &mut current);
            continue;
        }
        // A line break after a hyphen ("state-of-the-\nart") joins without a space, because
        // arXiv wraps at spaces and never hyphenates words itself.
        let after_hyphen = current.ends_with('-')
            && current
                .chars()
                .rev()
                .nth(1)
                .is_some_and(char::is_alphabetic)
            && line.starts_with(|c: char| c.is_lowercase());
        if !current.is_empty() && !after_hyphen {
            current.push(' ');
        }
        current.push_str(line);
    }
    push_paragraph(&mut result, &mut current);
    result
}

fn push_paragraph(result: &mut Vec<String>, current: &mut String) {
    let collapsed = current.split_whitespace().collect::<Vec<_>>().join(" ");
    if !collapsed.is_empty() {
        result.push(collapsed);
    }
    current.clear();
}

fn split_paragraph(paragraph: &str) -> Vec<String> {
    let chars: Vec<char> = paragraph.chars().collect();
    let protected = protected_spans(&chars);
    let mut sentences = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < chars.len() {
        if matches!(chars[i], '.' | '!' | '?') && !protected[i] {
            if let Some((end, next_start)) = sentence_end(&chars, i) {
                push_sentence(&mut sentences, &chars[start..end]);
                start = next_start;
                i = next_start;
                continue;
            }
        }
        i += 1;
    }
    push_sentence(&mut sentences, &chars[start..]);
    sentences
}

fn push_sentence(sentences: &mut Vec<String>, chars: &[char]) {
    let sentence: String = chars.iter().collect();
    let sentence = sentence.trim();
    if !sentence.is_empty() {
        sentences.push(sentence.to_string());
    }
}

/// Decides whether the punctuation at `i` ends a sentence. Returns the end of the sentence
/// (after any closing quotes or brackets) and the start of the next one.
fn sentence_end(chars: &[char], i: usize) -> Option<(usize, usize)> {
    let mut end = i + 1;
    while end < chars.len() && CLOSERS.contains(&chars[end]) {
        end += 1;
    }
    if end == chars.len() {
        return Some((end, end));
    }
    // A decimal point (3.5), a URL or a file name has no space after the period.
    if !chars[end].is_whitespace() {
        return None;
    }
    let mut next = end;
    while next < chars.len() && chars[next].is_whitespace() {
        next += 1;
    }
    if next == chars.len() {
        return Some((end, next));
    }
    if !starts_sentence(chars[next]) {
        return None;
    }
    if chars[i] == '.' && ends_with_abbreviation(&chars[..i], chars[next]) {
        return None;
    }
    Some((end, next))
}

/// Checks that a character can start a sentence: a capital letter, a digit, math, or an
/// opening bracket or quote. A lower-case letter after a period means an abbreviation.
fn starts_sentence(c: char) -> bool {
    c.is_uppercase()
        || c.is_ascii_digit()
        || matches!(c, '$' | '\\' | '(' | '[' | '"' | '\u{201C}' | '\'')
}

/// Checks the word before a period against the abbreviation list.
fn ends_with_abbreviation(before: &[char], next: char) -> bool {
    let (word, rest) = last_word(before);
    let lower = word.to_lowercase();
    let previous = last_word(rest.strip_suffix(&[' ']).unwrap_or(rest))
        .0
        .to_lowercase();

    if lower == "al" && previous == "et" {
        return true;
    }
    // "No. 5" abbreviates "number", but "... is no. We" ends a sentence.
    if lower == "no" || lower == "nos" {
        return next.is_ascii_digit();
    }
    // NOTE: a single capital letter ("J. Smith") is not treated as an initial, because in
    // abstracts "for a group G. We show" is far more common than a person's name.
    ABBREVIATIONS.contains(&lower.as_str())
}

/// Splits off the last word, which ends at the slice's end and starts after a space or an
/// opening bracket. Returns the word and the text before it.
fn last_word(chars: &[char]) -> (String, &[char]) {
    let start = chars
        .iter()
        .rposition(|&c| c.is_whitespace() || c == '(' || c == '[')
        .map_or(0, |i| i + 1);
    (chars[start..].iter().collect(), &chars[..start])
}

/// Marks characters inside inline math (`$...$`, `$$...$$`) and inside matched brackets, where
/// a period never ends the sentence. Unmatched delimiters protect nothing, so one stray `$` or
/// `(` cannot swallow the rest of the abstract.
fn protected_spans(chars: &[char]) -> Vec<bool> {
    let mut in_math = vec![false; chars.len()];
    for (open, close) in math_spans(chars) {
        in_math[open..=close].iter_mut().for_each(|p| *p = true);
    }

    // Count, for each position, how many matched bracket pairs enclose it: +1 where a pair
    // opens and -1 after it closes, summed left to right. This stays linear in the length.
    // Parentheses and square brackets are matched separately, so a stray `[` cannot stop a
    // `(` from finding its `)`.
    let mut depth_change = vec![0i64; chars.len() + 1];
    let mut open_parens: Vec<usize> = Vec::new();
    let mut open_squares: Vec<usize> = Vec::new();
    for (i, &c) in chars.iter().enumerate() {
        if in_math[i] {
            continue;
        }
        let start = match c {
            '(' => {
                open_parens.push(i);
                None
            }
            '[' => {
                open_squares.push(i);
                None
            }
            ')' => open_parens.pop(),
            ']' => open_squares.pop(),
            _ => None,
        };
        if let Some(start) = start {
            depth_change[start] += 1;
            depth_change[i + 1] -= 1;
        }
    }

    let mut depth = 0;
    let mut protected = in_math;
    for (i, flag) in protected.iter_mut().enumerate() {
        depth += depth_change[i];
        *flag = *flag || depth > 0;
    }
    protected
}

/// Pairs unescaped `$` delimiters in order (`$$` counts as one) and returns the index ranges
/// they enclose, inclusive. An odd delimiter at the end is treated as a literal dollar sign.
fn math_spans(chars: &[char]) -> Vec<(usize, usize)> {
    let mut delimiters = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '$' && (i == 0 || chars[i - 1] != '\\') {
            let width = if chars.get(i + 1) == Some(&'$') { 2 } else { 1 };
            delimiters.push((i, i + width - 1));
            i += width;
        } else {
            i += 1;
        }
    }
    delimiters
        .chunks_exact(2)
        .map(|pair| (pair[0].0, pair[1].1))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_plain_sentences() {
        assert_eq!(
            split_sentences("We study X. It works! Does it scale? Yes."),
            vec!["We study X.", "It works!", "Does it scale?", "Yes."]
        );
    }

    #[test]
    fn joins_hard_wrapped_lines() {
        let text = "  We propose a\nnew method for\n  state-of-the-\nart parsing. It is fast.\n";
        assert_eq!(
            split_sentences(text),
            vec![
                "We propose a new method for state-of-the-art parsing.",
                "It is fast."
            ]
        );
    }

    #[test]
    fn blank_line_ends_sentence() {
        assert_eq!(
            split_sentences("First paragraph without a period\n\nSecond one."),
            vec!["First paragraph without a period", "Second one."]
        );
    }

    #[test]
    fn keeps_abbreviations_inside_sentence() {
        let text = "Many tasks, e.g. Detection, need sets (Smith et al. 2019). See Fig. 3 and \
                    Eq. 2 for details, i.e. The proof. Prof. Lee agrees.";
        assert_eq!(
            split_sentences(text),
            vec![
                "Many tasks, e.g. Detection, need sets (Smith et al. 2019).",
                "See Fig. 3 and Eq. 2 for details, i.e. The proof.",
                "Prof. Lee agrees."
            ]
        );
    }

    #[test]
    fn keeps_decimals() {
        assert_eq!(
            split_sentences("Accuracy rose by 3.5 points, to 91.2%. Next."),
            vec!["Accuracy rose by 3.5 points, to 91.2%.", "Next."]
        );
    }

    #[test]
    fn single_capital_letter_ends_sentence() {
        assert_eq!(
            split_sentences("Let G be a group of order N. We show that G is abelian."),
            vec!["Let G be a group of order N.", "We show that G is abelian."]
        );
    }

    #[test]
    fn lowercase_after_period_continues_sentence() {
        assert_eq!(
            split_sentences("We use approx. ten layers. Done."),
            vec!["We use approx. ten layers.", "Done."]
        );
    }

    #[test]
    fn ignores_periods_inside_math() {
        let text = "We bound $x. Y$ and $$a. B$$ tightly. Then $n$ grows.";
        assert_eq!(
            split_sentences(text),
            vec!["We bound $x. Y$ and $$a. B$$ tightly.", "Then $n$ grows."]
        );
    }

    #[test]
    fn stray_dollar_does_not_swallow_text() {
        assert_eq!(
            split_sentences("It costs \\$5. Then $x$ is small. Last $ sign. End."),
            vec![
                "It costs \\$5.",
                "Then $x$ is small.",
                "Last $ sign.",
                "End."
            ]
        );
    }

    #[test]
    fn ignores_periods_inside_brackets() {
        assert_eq!(
            split_sentences("We show (see Sec. 2. Also B.) the bound. Next."),
            vec!["We show (see Sec. 2. Also B.) the bound.", "Next."]
        );
    }

    #[test]
    fn closing_quote_stays_with_sentence() {
        assert_eq!(
            split_sentences("We call it \"fast.\" It is."),
            vec!["We call it \"fast.\"", "It is."]
        );
    }

    #[test]
    fn no_number_abbreviation_depends_on_digit() {
        assert_eq!(
            split_sentences("See No. 5 here. The answer is no. We stop."),
            vec!["See No. 5 here.", "The answer is no.", "We stop."]
        );
    }

    #[test]
    fn blank_input_has_no_sentences() {
        assert!(split_sentences("").is_empty());
        assert!(split_sentences(" \n\n\t ").is_empty());
    }
}
