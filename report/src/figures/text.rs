//! Text measurement and shortening for labels drawn in the one monospace font.

use super::CHAR_EM;

/// Display columns of a character in a monospace font: East Asian wide characters take two.
pub(super) fn char_cols(c: char) -> usize {
    let wide = matches!(u32::from(c),
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x1F300..=0x1F64F
        | 0x1F900..=0x1F9FF
        | 0x20000..=0x3FFFD);
    if wide { 2 } else { 1 }
}

pub(super) fn text_cols(text: &str) -> usize {
    text.chars().map(char_cols).sum()
}

pub(super) fn text_width(text: &str, px: f64) -> f64 {
    text_cols(text) as f64 * CHAR_EM * px
}

/// How many columns of text at `px` fit in `width` pixels.
pub(super) fn cols_in(width: f64, px: f64) -> usize {
    (width / (CHAR_EM * px)).floor().max(0.0) as usize
}

/// Labels come from the dataset: control characters are not allowed in XML at all, and runs of
/// whitespace would only waste the little room there is.
pub(super) fn clean(text: &str) -> String {
    let replaced: String = text
        .chars()
        .map(|c| match c {
            c if c.is_control() => ' ',
            '\u{FFFE}' | '\u{FFFF}' => '\u{FFFD}',
            c => c,
        })
        .collect();
    replaced.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Like [`ellipsize`], but a series name's " · back-end · mode" suffix survives: two devices
/// with long names must still show which back-end each bar is.
pub(super) fn ellipsize_keeping_suffix(text: &str, max_cols: usize) -> String {
    match text.find(" · ") {
        Some(at) if text_cols(text) > max_cols && text_cols(&text[at..]) + 8 <= max_cols => {
            let suffix = &text[at..];
            format!("{}{suffix}", ellipsize(&text[..at], max_cols - text_cols(suffix)))
        }
        _ => ellipsize(text, max_cols),
    }
}

/// `text` cut to at most `max_cols` columns, ending in "…" when it was cut.
pub(super) fn ellipsize(text: &str, max_cols: usize) -> String {
    if text_cols(text) <= max_cols {
        return text.to_owned();
    }
    if max_cols == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = char_cols(c);
        if used + w > max_cols - 1 {
            break;
        }
        out.push(c);
        used += w;
    }
    let mut out = out.trim_end().to_owned();
    out.push('…');
    out
}

/// `text` on at most two lines of `max_cols` columns, broken after a separator where possible,
/// and whether it had to be shortened to fit.
pub(super) fn wrap_two_lines(text: &str, max_cols: usize) -> (Vec<String>, bool) {
    if text_cols(text) <= max_cols || max_cols < 2 {
        return (vec![ellipsize(text, max_cols)], text_cols(text) > max_cols);
    }
    let chars: Vec<char> = text.chars().collect();
    let mut fit = 0; // chars that fit on the first line
    let mut used = 0;
    while fit < chars.len() && used + char_cols(chars[fit]) <= max_cols {
        used += char_cols(chars[fit]);
        fit += 1;
    }
    // Break after the last separator within the first line; a hard break if there is none.
    let split = (1..=fit)
        .rev()
        .find(|&i| matches!(chars[i - 1], ' ' | '-' | '_' | '/' | '·' | ':' | ','))
        .unwrap_or(fit);
    let first: String = chars[..split].iter().collect();
    let rest: String = chars[split..].iter().collect();
    let rest = rest.trim_start();
    (vec![first.trim_end().to_owned(), ellipsize(rest, max_cols)], text_cols(rest) > max_cols)
}

/// Head columns a shortened group label keeps before its protected tail: enough for a model's
/// family and size (`Qwen2.5-0.5B-…`).
pub(super) const LABEL_HEAD_MIN_COLS: usize = 14;

/// The end of a group label that shortening must keep: its last " · " mark (a model label's
/// " · synthetic") with the parenthesis just before it (the quantisation). Groups that differ only
/// there, such as a trained and a synthetic model of one name, must not be cut to the same text.
/// `None` for a label without a mark, which is shortened from its end as before.
pub(super) fn protected_tail(text: &str) -> Option<&str> {
    let mark = text.rfind(" · ")?;
    let before = &text[..mark];
    let start = if before.ends_with(')') { before.rfind(" (").unwrap_or(mark) } else { mark };
    Some(&text[start..])
}

/// `text` within `max_cols`: the middle of the name cut and the [`protected_tail`] kept whole
/// where [`LABEL_HEAD_MIN_COLS`] of the head still fit; otherwise cut from the end.
pub(super) fn shorten_label(text: &str, max_cols: usize) -> String {
    if text_cols(text) <= max_cols {
        return text.to_owned();
    }
    match protected_tail(text) {
        Some(tail) if text_cols(tail) + LABEL_HEAD_MIN_COLS <= max_cols => {
            let head = &text[..text.len() - tail.len()];
            format!("{}{tail}", ellipsize(head, max_cols - text_cols(tail)))
        }
        _ => ellipsize(text, max_cols),
    }
}

/// Whether the `lines` a group label was drawn as still end with its mark (the text after its
/// last " · "; a line break may fall before or after the separator).
pub(super) fn keeps_tail(text: &str, lines: &[String]) -> bool {
    match text.rfind(" · ") {
        Some(mark) => lines.last().is_some_and(|l| l.ends_with(&text[mark + " · ".len()..])),
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marked_label_is_cut_in_its_name_never_in_its_mark() {
        let label = "DeepSeek-R1-Distill-Qwen-1.5B (BF16) · synthetic";
        assert_eq!(protected_tail(label), Some(" (BF16) · synthetic"));
        assert_eq!(shorten_label(label, 33), "DeepSeek-R1-D… (BF16) · synthetic");
        // Too little room for a useful head: cut from the end like any label.
        assert_eq!(shorten_label(label, 20), ellipsize(label, 20));
        // Labels without a mark are shortened as before.
        assert_eq!(protected_tail("SmolLM2-135M-Instruct (Q4_1)"), None);
        assert_eq!(shorten_label("SmolLM2-135M-Instruct (Q4_1)", 18), ellipsize("SmolLM2-135M-Instruct (Q4_1)", 18));
        assert!(keeps_tail(label, &["DeepSeek-R1-Distill-Qwen-1.5B".into(), "(BF16) · synthetic".into()]));
        assert!(!keeps_tail(label, &["DeepSeek-R1-Distill-Qwen-1.5B".into(), "(BF16) · synt…".into()]));
    }
}
