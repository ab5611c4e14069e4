//! The published values: every number the dataset quotes from a paper, as an appendix a person
//! reads and as the `published` table (`tables/published.csv`).
//!
//! The `published` table has one row per (number, sentence): a number the paper prints in two
//! sentences is two rows, and most rows share their sentence with other numbers. A reader wants
//! one entry per number, so rows that give the same value for the same source, figure, device,
//! back-end, mode, model, precision, metric, kernel class and unit are merged into one
//! [`PublishedEntry`] with their distinct sentences and ambiguities listed together.
//!
//! Entries are sorted by what they say (source, section, figure in natural order, metric,
//! device, back-end, mode, model, value), never by the rows' hashes, and numbered `P1`, `P2`…
//! in that order, so a reference is the same in every build of the same dataset. The measure
//! tables print a matched number as `707 (P3†)` ([`PublishedReferences`]): the reference leads
//! to the entry, and `†` says the entry has an ambiguity, stated there in words.

use std::collections::BTreeMap;

use edgebench_dataset::schema::Sha256Hex;
use edgebench_dataset::schema::v1::Published;
use serde::Serialize;

use super::{KeyValue, MISSING, RowDoc, TableDoc};
use crate::analysis::Analysis;
use crate::metrics::Metric;

/// Marks a published number whose reading the dataset records as ambiguous.
pub const AMBIGUOUS_MARK: &str = "†";

/// What an entry without a recorded ambiguity says in its place.
const NONE_STATED: &str = "none stated";

/// The appendix of published values.
#[derive(Debug, Clone, Serialize)]
pub struct PublishedAppendix {
    pub title: String,
    /// What the appendix holds and how the measure tables point to it.
    pub intro: String,
    /// Each cited paper: key → full citation.
    pub sources: Vec<KeyValue>,
    /// Entries grouped by source and section, in reference order.
    pub groups: Vec<PublishedGroup>,
    /// Shown instead of the groups when there are none.
    pub empty_message: String,
}

/// The entries quoted from one section of one paper.
#[derive(Debug, Clone, Serialize)]
pub struct PublishedGroup {
    /// `liu2026edge §IV-A`.
    pub heading: String,
    pub entries: Vec<PublishedEntry>,
}

/// One published number, with every sentence it is quoted from.
#[derive(Debug, Clone, Serialize)]
pub struct PublishedEntry {
    /// Reference the measure tables print (`P7`).
    pub id: String,
    /// `§IV-A, Fig. 2`.
    pub location: String,
    /// `Qwen-1.5B (Q8)`, or `no model` for a model-independent number.
    pub model: String,
    /// Device, and the back-end and mode where the paper states them (`Jetson Orin NX · cuda`).
    pub platform: String,
    /// The metric's label where the report knows it, else the dataset's key; with the kernel
    /// class for kernel shares.
    pub metric: String,
    /// As printed, with its unit (`2086 ms`, `195%`).
    pub value: String,
    /// The distinct sentences, verbatim.
    pub quotes: Vec<String>,
    /// What the text leaves unclear, in words; `none stated` when no row records anything.
    pub ambiguity: String,
    pub ambiguous: bool,
    /// The merged rows' ids (for tests and cross-references; not shown).
    #[serde(skip)]
    pub published_ids: Vec<Sha256Hex>,
}

/// An entry's reference as the measure tables print it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The entry's position, from 1 (`P7` → 7).
    pub number: usize,
    pub id: String,
    pub ambiguous: bool,
}

impl Reference {
    /// `P7`, or `P7†` for an ambiguous number.
    pub fn label(&self) -> String {
        if self.ambiguous { format!("{}{AMBIGUOUS_MARK}", self.id) } else { self.id.clone() }
    }
}

/// Every published row's appendix reference, by row id.
#[derive(Debug, Clone, Default)]
pub struct PublishedReferences {
    by_row: BTreeMap<Sha256Hex, Reference>,
}

impl PublishedReferences {
    pub fn of(analysis: &Analysis) -> Self {
        Self::from_entries(&entries(analysis))
    }

    fn from_entries(entries: &[PublishedEntry]) -> Self {
        let mut by_row = BTreeMap::new();
        for (i, e) in entries.iter().enumerate() {
            for id in &e.published_ids {
                by_row.insert(id.clone(), Reference { number: i + 1, id: e.id.clone(), ambiguous: e.ambiguous });
            }
        }
        Self { by_row }
    }

    /// The references of the entries `rows` were merged into, each once, in appendix order
    /// (`P54†, P55`); empty when none is in the appendix.
    pub fn labels(&self, rows: &[Sha256Hex]) -> String {
        let refs: BTreeMap<usize, &Reference> = rows.iter().filter_map(|id| self.by_row.get(id)).map(|r| (r.number, r)).collect();
        refs.values().map(|r| r.label()).collect::<Vec<_>>().join(", ")
    }

    /// Whether any of `rows` is in an ambiguous entry.
    pub fn any_ambiguous(&self, rows: &[Sha256Hex]) -> bool {
        rows.iter().filter_map(|id| self.by_row.get(id)).any(|r| r.ambiguous)
    }

    /// The reference of the entry a published row was merged into.
    pub fn get(&self, row: &Published) -> Option<&Reference> {
        self.by_row.get(&row.published_id)
    }
}

/// What the captions of tables that print references say about them.
pub fn reference_note(any_ambiguous: bool) -> String {
    let mark = if any_ambiguous {
        format!(" {AMBIGUOUS_MARK} marks a number whose reading is ambiguous: the entry says what the text leaves unclear.")
    } else {
        String::new()
    };
    format!("Pn is the number's entry in the appendix of published values, with the sentence it is quoted from.{mark}")
}

pub fn appendix(analysis: &Analysis) -> PublishedAppendix {
    let rows = analysis.published.len();
    let mut sources: BTreeMap<&str, &str> = BTreeMap::new();
    for p in &analysis.published {
        sources.entry(p.row.citation_key.as_str()).or_insert(p.row.citation.0.as_str());
    }
    let mut groups: Vec<PublishedGroup> = Vec::new();
    for (rows, entry) in numbered(analysis) {
        let heading = format!("{} §{}", rows[0].citation_key, rows[0].section);
        match groups.last_mut() {
            Some(g) if g.heading == heading => g.entries.push(entry),
            _ => groups.push(PublishedGroup { heading, entries: vec![entry] }),
        }
    }
    let numbers: usize = groups.iter().map(|g| g.entries.len()).sum();
    PublishedAppendix {
        title: "Published values".to_owned(),
        intro: format!(
            "Every number the dataset quotes from a paper: {numbers} numbers from {rows} quoted rows. A number quoted in several sentences is one entry with all of them. Each entry gives the model; the device, and the back-end and power mode where the paper states them; the metric; the value as printed; where it is printed; the sentence; and what the text leaves unclear about it. The measure tables point here with the entry's reference (P1, P2…), marked {AMBIGUOUS_MARK} where the reading is ambiguous."
        ),
        sources: sources.into_iter().map(|(k, v)| KeyValue { key: k.to_owned(), value: v.to_owned() }).collect(),
        groups,
        empty_message: "The dataset holds no published values yet.".to_owned(),
    }
}

/// The appendix as one table, one line per entry, for `tables/published.csv` (the page shows
/// [`appendix`]).
pub(super) fn published_table(analysis: &Analysis) -> TableDoc {
    let rows = numbered(analysis)
        .into_iter()
        .map(|(rows, e)| {
            let r = rows[0];
            RowDoc {
                cells: vec![
                    e.id,
                    format!("{} {}", r.citation_key, e.location),
                    r.device_label.clone(),
                    r.backend.map(|b| b.to_string()).unwrap_or_else(|| MISSING.to_owned()),
                    r.power_mode.clone().unwrap_or_else(|| MISSING.to_owned()),
                    e.model,
                    e.metric,
                    e.value,
                    e.quotes.join(" | "),
                    e.ambiguity,
                ],
                published: true,
            }
        })
        .collect();
    TableDoc {
        id: "published".to_owned(),
        title: "Published values".to_owned(),
        caption: "Every number the dataset's `published` table holds, one line per number (rows that give the same number are merged, their sentences joined with ` | `), with what the text leaves unclear. Ref is the reference the measure tables print.".to_owned(),
        columns: ["Ref", "Source", "Device", "Back-end", "Mode", "Model", "Metric", "Value", "Quote", "Ambiguity"].map(String::from).to_vec(),
        rows,
        empty_message: "The dataset holds no published values yet.".to_owned(),
        group_columns: 0,
        repeats: Vec::new(),
    }
}

/// The published rows grouped by the number they give, in reference order.
fn merged_rows(analysis: &Analysis) -> Vec<Vec<&Published>> {
    let mut rows: Vec<&Published> = analysis.published.iter().map(|p| &p.row).collect();
    rows.sort_by(|a, b| order_key(a).cmp(&order_key(b)).then_with(|| a.published_id.cmp(&b.published_id)));
    let mut groups: Vec<Vec<&Published>> = Vec::new();
    for row in rows {
        match groups.last_mut() {
            Some(g) if order_key(g[0]) == order_key(row) => g.push(row),
            _ => groups.push(vec![row]),
        }
    }
    groups
}

/// Each number's rows and its entry, numbered in order.
fn numbered(analysis: &Analysis) -> Vec<(Vec<&Published>, PublishedEntry)> {
    merged_rows(analysis)
        .into_iter()
        .enumerate()
        .map(|(i, rows)| {
            let entry = entry(i + 1, &rows);
            (rows, entry)
        })
        .collect()
}

fn entries(analysis: &Analysis) -> Vec<PublishedEntry> {
    numbered(analysis).into_iter().map(|(_, e)| e).collect()
}

fn entry(number: usize, rows: &[&Published]) -> PublishedEntry {
    let r = rows[0];
    let mut quotes: Vec<String> = Vec::new();
    let mut ambiguities: Vec<String> = Vec::new();
    for row in rows {
        push_distinct(&mut quotes, &row.quote.0);
        if let Some(a) = &row.ambiguity {
            push_distinct(&mut ambiguities, &a.0);
        }
    }
    let mut platform = vec![r.device_label.clone()];
    platform.extend(r.backend.map(|b| b.to_string()));
    platform.extend(r.power_mode.clone());
    let mut metric = Metric::from_key(&r.metric).map(|m| m.label().to_owned()).unwrap_or_else(|| r.metric.clone());
    if let Some(class) = r.op_class {
        metric = format!("{metric}, {class}");
    }
    PublishedEntry {
        id: format!("P{number}"),
        location: match &r.figure {
            Some(f) => format!("§{}, {f}", r.section),
            None => format!("§{}", r.section),
        },
        model: match (&r.model_name, &r.model_precision) {
            (Some(m), Some(q)) => format!("{m} ({q})"),
            (Some(m), None) => m.clone(),
            (None, _) => "no model".to_owned(),
        },
        platform: platform.join(" · "),
        metric,
        value: printed_value(r.value, &r.unit),
        quotes,
        ambiguous: !ambiguities.is_empty(),
        ambiguity: if ambiguities.is_empty() { NONE_STATED.to_owned() } else { ambiguities.join(" ") },
        published_ids: rows.iter().map(|row| row.published_id.clone()).collect(),
    }
}

fn push_distinct(list: &mut Vec<String>, text: &str) {
    if !list.iter().any(|t| t == text) {
        list.push(text.to_owned());
    }
}

/// The number as the paper prints it: shortest decimal form (`0.43`, `2086`, `44.8`), since
/// rounding to a fixed number of digits would add digits the paper never printed; `%` without a
/// space.
fn printed_value(value: f64, unit: &str) -> String {
    match unit.trim() {
        "" => format!("{value}"),
        "%" => format!("{value}%"),
        u => format!("{value} {u}"),
    }
}

/// What makes two rows the same number, in the order the entries are numbered.
type OrderKey = (String, Vec<NaturalChunk>, Vec<NaturalChunk>, String, String, String, String, String, String, String, String, i64);

/// A run of text or a number, so that `Fig. 9` sorts before `Fig. 10`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum NaturalChunk {
    Number(u64),
    Text(String),
}

fn natural(s: &str) -> Vec<NaturalChunk> {
    let mut chunks = Vec::new();
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        let digits = c.is_ascii_digit();
        let end = rest.find(|ch: char| ch.is_ascii_digit() != digits).unwrap_or(rest.len());
        let (run, tail) = rest.split_at(end);
        chunks.push(if digits { NaturalChunk::Number(run.parse().unwrap_or(u64::MAX)) } else { NaturalChunk::Text(run.to_owned()) });
        rest = tail;
    }
    chunks
}

fn order_key(r: &Published) -> OrderKey {
    let text = |o: Option<String>| o.unwrap_or_default();
    // f64 in total order as an integer: flip the magnitude bits of negative numbers.
    let bits = r.value.to_bits() as i64;
    let value = bits ^ ((((bits >> 63) as u64) >> 1) as i64);
    (
        r.citation_key.clone(),
        natural(&r.section),
        natural(r.figure.as_deref().unwrap_or("")),
        r.metric.clone(),
        r.device_label.clone(),
        text(r.backend.map(|b| b.to_string())),
        text(r.power_mode.clone()),
        text(r.model_name.clone()),
        text(r.model_precision.clone()),
        text(r.op_class.map(|c| c.to_string())),
        r.unit.clone(),
        value,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order_puts_fig_9_before_fig_10() {
        assert!(natural("Fig. 9") < natural("Fig. 10"));
        assert!(natural("IV-A") < natural("IV-B"));
        assert!(natural("") < natural("Fig. 2"));
    }

    #[test]
    fn values_print_as_the_paper_printed_them() {
        assert_eq!(printed_value(0.43, "GB"), "0.43 GB");
        assert_eq!(printed_value(2086.0, "ms"), "2086 ms");
        assert_eq!(printed_value(195.0, "%"), "195%");
        assert_eq!(printed_value(0.11, ""), "0.11");
    }

    #[test]
    fn references_mark_ambiguity() {
        assert_eq!(Reference { number: 7, id: "P7".into(), ambiguous: true }.label(), "P7†");
        assert_eq!(Reference { number: 8, id: "P8".into(), ambiguous: false }.label(), "P8");
        assert!(reference_note(true).contains('†') && !reference_note(false).contains('†'));
    }
}
