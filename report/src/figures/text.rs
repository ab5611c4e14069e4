//! Text measurement, wrapping and (as a last resort) shortening for labels drawn in the one
//! monospace font. Names from the dataset are wrapped onto as many lines as their place allows;
//! only a name longer than that room (hundreds of characters) is cut, and ends in "…".

use super::style::CHAR_EM;

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

/// Whether a line may break after `chars[i]`: after a name's own separators, but never so that
/// a " · " separator ends a line (it reads better at the start of the next one).
fn breaks_after(chars: &[char], i: usize) -> bool {
    match chars[i] {
        ' ' => i == 0 || chars[i - 1] != '·',
        '-' | '/' | ':' | ',' | ')' => true,
        _ => false,
    }
}

/// `text` on lines of at most `max_cols` columns, each broken after a separator where one falls
/// in the last two thirds of the line (a space at a break is dropped), and inside a word only
/// where a word is longer than a line. At most `max_lines` lines: only a text that does not fit
/// in those is cut, its last line ending in "…". Read in order and joined, the lines give the
/// text back up to the whitespace at the breaks.
pub(super) fn wrap(text: &str, max_cols: usize, max_lines: usize) -> Vec<String> {
    let max_cols = max_cols.max(2);
    let chars: Vec<char> = text.chars().collect();
    let mut lines = Vec::new();
    let mut pos = 0;
    while pos < chars.len() && lines.len() < max_lines.max(1) {
        let rest: String = chars[pos..].iter().collect();
        if text_cols(&rest) <= max_cols {
            lines.push(rest.trim().to_owned());
            return lines;
        }
        if lines.len() + 1 == max_lines.max(1) {
            lines.push(ellipsize(rest.trim(), max_cols));
            return lines;
        }
        let mut fit = 0; // chars that fit on this line
        let mut used = 0;
        while pos + fit < chars.len() && used + char_cols(chars[pos + fit]) <= max_cols {
            used += char_cols(chars[pos + fit]);
            fit += 1;
        }
        let fit = fit.max(1);
        let split = (fit / 3 + 1..=fit).rev().find(|&i| breaks_after(&chars, pos + i - 1)).unwrap_or(fit);
        let line: String = chars[pos..pos + split].iter().collect();
        lines.push(line.trim().to_owned());
        pos += split;
        while pos < chars.len() && chars[pos] == ' ' {
            pos += 1;
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_breaks_at_separators_and_keeps_every_character() {
        let name = "Cloud VM, NVIDIA H100 80GB HBM3, 16 vCPU · cuda";
        let lines = wrap(name, 24, 4);
        assert_eq!(lines, ["Cloud VM, NVIDIA H100", "80GB HBM3, 16 vCPU", "· cuda"]);
        assert!(lines.iter().all(|l| text_cols(l) <= 24));
        // A word longer than a line is broken inside; nothing is lost.
        let lines = wrap("DeepSeek-R1-Distill-Qwen-1.5B (BF16)", 7, 10);
        assert_eq!(lines.concat().replace(' ', ""), "DeepSeek-R1-Distill-Qwen-1.5B(BF16)");
        assert!(lines.iter().all(|l| text_cols(l) <= 7), "{lines:?}");
        // Only what does not fit in the lines allowed is cut.
        let long = "x".repeat(300);
        let lines = wrap(&long, 40, 3);
        assert_eq!(lines.len(), 3);
        assert!(lines[2].ends_with('…') && !lines[..2].iter().any(|l| l.contains('…')));
        assert_eq!(wrap("short", 40, 3), ["short"]);
        assert!(wrap("", 40, 3).is_empty());
    }
}
