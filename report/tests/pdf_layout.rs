//! The PDF's layout, checked on the words poppler finds in it (`pdftotext -bbox`): on the
//! committed dataset no word runs into another (a name wider than its table column would) and
//! none crosses the page's margins.
//!
//! Needs poppler's `pdftotext` (installed by `scripts/test.sh`).

use std::path::Path;
use std::process::Command;

mod common;
use common::cli::{need, report_build, workspace};

/// A word's box in points, from the top-left corner of its page.
#[derive(Debug)]
struct Word {
    page: usize,
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
    text: String,
}

fn attribute(tag: &str, name: &str) -> f64 {
    let start = tag.find(&format!("{name}=\"")).unwrap_or_else(|| panic!("no {name} in {tag}")) + name.len() + 2;
    tag[start..].split('"').next().unwrap().parse().unwrap()
}

/// Every word of `pdf`, and each page's width.
fn words(pdf: &Path) -> (Vec<Word>, Vec<f64>) {
    let out = Command::new(need("pdftotext")).arg("-bbox").arg(pdf).arg("-").output().unwrap();
    assert!(out.status.success());
    let html = String::from_utf8(out.stdout).unwrap();
    let mut words = Vec::new();
    let mut widths = Vec::new();
    for (page, body) in html.split("<page ").skip(1).enumerate() {
        widths.push(attribute(body, "width"));
        for w in body.split("<word ").skip(1) {
            let (tag, rest) = w.split_once('>').unwrap();
            words.push(Word {
                page: page + 1,
                x0: attribute(tag, "xMin"),
                y0: attribute(tag, "yMin"),
                x1: attribute(tag, "xMax"),
                y1: attribute(tag, "yMax"),
                text: rest.split("</word>").next().unwrap().to_owned(),
            });
        }
    }
    (words, widths)
}

#[test]
fn no_word_of_the_committed_report_overlaps_another_or_the_margins() {
    let out = tempfile::tempdir().unwrap();
    report_build(&workspace().join("dataset"), out.path());
    let (words, widths) = words(&out.path().join("report.pdf"));
    assert!(words.len() > 5000, "the report has thousands of words, poppler found {}", words.len());

    // Two words overlap when their boxes share more than a point across and two points down:
    // lines of one paragraph touch by less (descenders into the next line's ascenders).
    let mut overlaps = Vec::new();
    for page in 1..=widths.len() {
        let on_page: Vec<&Word> = words.iter().filter(|w| w.page == page).collect();
        for (i, a) in on_page.iter().enumerate() {
            for b in &on_page[i + 1..] {
                let across = a.x1.min(b.x1) - a.x0.max(b.x0);
                let down = a.y1.min(b.y1) - a.y0.max(b.y0);
                if across > 1.0 && down > 2.0 {
                    overlaps.push(format!("page {page}: {:?} runs into {:?}", a.text, b.text));
                }
            }
        }
    }
    assert!(overlaps.is_empty(), "{} overlapping words, e.g. {:?}", overlaps.len(), &overlaps[..overlaps.len().min(10)]);

    // The template's margins are 1.7 cm left and right.
    let margin = 1.7 / 2.54 * 72.0;
    let outside: Vec<String> = words
        .iter()
        .filter(|w| w.x0 < margin - 2.0 || w.x1 > widths[w.page - 1] - margin + 2.0)
        .map(|w| format!("page {}: {:?} at x {:.0}–{:.0}", w.page, w.text, w.x0, w.x1))
        .collect();
    assert!(outside.is_empty(), "words outside the margins: {:?}", &outside[..outside.len().min(10)]);
}
