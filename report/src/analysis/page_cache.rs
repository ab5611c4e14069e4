//! Cold and warm starts: the page-cache state of a run's model file when its worker started, a
//! part of the cell key (see [`super::CellKey::page_cache`]).

use serde::Serialize;

/// The page-cache state of a run's model file at its start, from `model_resident_fraction`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum PageCache {
    /// Under a tenth of the file resident: the load reads from storage.
    Cold,
    /// Between a tenth and nine tenths.
    Partial,
    /// Nine tenths or more resident: the load reads from memory.
    Warm,
}

impl PageCache {
    /// The state of a resident fraction; `None` when it is unknown.
    pub fn of(fraction: Option<f64>) -> Option<PageCache> {
        let f = fraction.filter(|f| f.is_finite())?;
        Some(if f < 0.1 {
            PageCache::Cold
        } else if f < 0.9 {
            PageCache::Partial
        } else {
            PageCache::Warm
        })
    }

    /// As in `tables/medians.csv`.
    pub fn as_str(self) -> &'static str {
        match self {
            PageCache::Cold => "cold",
            PageCache::Partial => "partial",
            PageCache::Warm => "warm",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PageCache::Cold => "cold start",
            PageCache::Partial => "partly cached",
            PageCache::Warm => "warm start",
        }
    }
}
