//! `dataset ls`: which device × back-end × power-mode × model cells hold data, and how much.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::manifest::{MANIFEST_FILE, Manifest};
use crate::schema::v1::{Backend, VERSION_DIR};
use crate::store::scan_columns;

/// The columns of `runs` and `generations` that place a row in a cell.
#[derive(Debug, Deserialize)]
struct CellRow {
    device_label: String,
    backend: Backend,
    power_mode: Option<String>,
    model_name: String,
    status: String,
}

const CELL_COLUMNS: &[&str] = &["device_label", "backend", "power_mode", "model_name", "status"];

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct CellKey {
    pub device_label: String,
    pub backend: Backend,
    pub power_mode: Option<String>,
    pub model_name: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CellCounts {
    pub runs: u64,
    pub runs_ok: u64,
    pub generations: u64,
    pub generations_ok: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cell {
    #[serde(flatten)]
    pub key: CellKey,
    #[serde(flatten)]
    pub counts: CellCounts,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TableCount {
    pub shards: u64,
    pub rows: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Listing {
    pub cells: Vec<Cell>,
    /// Shards and rows per table, from the manifest.
    pub tables: BTreeMap<String, TableCount>,
}

/// Summarises the dataset at `root`.
pub fn list(root: &Path) -> Result<Listing> {
    let manifest = Manifest::load(&root.join(VERSION_DIR).join(MANIFEST_FILE))?;
    let mut listing = Listing::default();
    for t in crate::schema::v1::TABLES {
        listing.tables.insert(t.name.to_owned(), TableCount::default());
    }
    for s in &manifest.shards {
        let t = listing.tables.entry(s.table.clone()).or_default();
        t.shards += 1;
        t.rows += s.rows;
    }
    let mut cells: BTreeMap<CellKey, CellCounts> = BTreeMap::new();
    for (table, is_run) in [("runs", true), ("generations", false)] {
        for row in scan_columns::<CellRow>(root, &manifest, table, CELL_COLUMNS)? {
            let counts = cells
                .entry(CellKey {
                    device_label: row.device_label,
                    backend: row.backend,
                    power_mode: row.power_mode,
                    model_name: row.model_name,
                })
                .or_default();
            let ok = row.status == "ok";
            if is_run {
                counts.runs += 1;
                counts.runs_ok += u64::from(ok);
            } else {
                counts.generations += 1;
                counts.generations_ok += u64::from(ok);
            }
        }
    }
    listing.cells = cells.into_iter().map(|(key, counts)| Cell { key, counts }).collect();
    Ok(listing)
}

/// The listing as an aligned text table.
pub fn render_text(listing: &Listing) -> String {
    let header = ["DEVICE", "BACKEND", "POWER MODE", "MODEL", "RUNS ok/all", "GENERATIONS ok/all"];
    let rows: Vec<[String; 6]> = listing
        .cells
        .iter()
        .map(|c| {
            [
                c.key.device_label.clone(),
                c.key.backend.to_string(),
                c.key.power_mode.clone().unwrap_or_else(|| "-".into()),
                c.key.model_name.clone(),
                format!("{}/{}", c.counts.runs_ok, c.counts.runs),
                format!("{}/{}", c.counts.generations_ok, c.counts.generations),
            ]
        })
        .collect();
    let mut widths: [usize; 6] = header.map(|h| h.chars().count());
    for r in &rows {
        for (w, v) in widths.iter_mut().zip(r) {
            *w = (*w).max(v.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let parts: Vec<String> = cells.iter().zip(widths).map(|(v, w)| format!("{v:<w$}")).collect();
        parts.join("  ").trim_end().to_owned() + "\n"
    };
    let mut out = String::new();
    if rows.is_empty() {
        out.push_str("no runs or generations yet\n");
    } else {
        out.push_str(&line(&header.map(String::from)));
        for r in &rows {
            out.push_str(&line(r));
        }
    }
    out.push('\n');
    for (name, t) in &listing.tables {
        out.push_str(&format!("{name}: {} rows in {} shards\n", t.rows, t.shards));
    }
    out
}
