//! Text columns read as dictionaries, resolved once per distinct value.
//!
//! A generations shard holds a few hundred runs and three statuses over tens of thousands of
//! rows, and its rows are sorted by generation id, so consecutive rows rarely share a run. Read
//! as plain strings, every row would copy a 64-character run id and look it up in a hash map;
//! read as a dictionary ([`edgebench_dataset::shard::dictionary_type`]), a row is a key into the
//! column's distinct values, and what a value stands for (a run's slot, "is `ok`") is worked out
//! the first time a row uses it ([`Memo`]).

use arrow_array::cast::AsArray;
use arrow_array::types::Int32Type;
use std::sync::Arc;

use arrow_array::{Array, ArrayRef, Int32Array, RecordBatch, StringArray};

/// A text column of a batch: a dictionary, or plain strings where the shard predates the column
/// (the reader fills such a column with plain nulls).
pub enum Texts<'a> {
    Dictionary {
        keys: &'a Int32Array,
        values: &'a StringArray,
        dictionary: &'a ArrayRef,
    },
    Plain(&'a StringArray),
}

impl<'a> Texts<'a> {
    pub fn of(batch: &'a RecordBatch, name: &str) -> Result<Texts<'a>, String> {
        let column = batch
            .column_by_name(name)
            .ok_or_else(|| format!("column {name} missing"))?;
        if let Some(dict) = column.as_dictionary_opt::<Int32Type>() {
            let values = dict
                .values()
                .as_string_opt::<i32>()
                .ok_or_else(|| format!("column {name} is not a text column"))?;
            return Ok(Texts::Dictionary {
                keys: dict.keys(),
                values,
                dictionary: dict.values(),
            });
        }
        column
            .as_string_opt::<i32>()
            .map(Texts::Plain)
            .ok_or_else(|| format!("column {name} is not a text column"))
    }

    /// How many distinct keys [`Texts::key`] can give: the size a [`Memo`] needs.
    pub fn key_space(&self) -> usize {
        match self {
            Texts::Dictionary { values, .. } => values.len(),
            Texts::Plain(strings) => strings.len(),
        }
    }

    /// Row `i`'s key (below [`Texts::key_space`]), or `None` where the row is null.
    pub fn key(&self, i: usize) -> Option<usize> {
        match self {
            Texts::Dictionary { keys, values, .. } => {
                let k = keys.is_valid(i).then(|| keys.value(i))?;
                // The reader checks keys against the dictionary; a negative one would be a bug there.
                let k = usize::try_from(k).ok()?;
                values.is_valid(k).then_some(k)
            }
            Texts::Plain(strings) => strings.is_valid(i).then_some(i),
        }
    }

    /// The text of a key from [`Texts::key`].
    pub fn text(&self, key: usize) -> &'a str {
        match self {
            Texts::Dictionary { values, .. } => values.value(key),
            Texts::Plain(strings) => strings.value(key),
        }
    }
}

/// What each key of a [`Texts`] stands for, worked out on first use only: values of the
/// dictionary that no row uses are never looked at (a run without rows must not appear). The
/// reader hands every batch of a column chunk the same dictionary (one `Arc`), so what was
/// worked out is kept for as long as the dictionary stays the same ([`Memo::follow`]): at 10M
/// rows a shard's row group holds some 65 000 rows of 5 000 runs.
pub struct Memo<T: Copy> {
    dictionary: Option<ArrayRef>,
    known: Vec<Option<T>>,
}

impl<T: Copy> Default for Memo<T> {
    fn default() -> Self {
        Memo {
            dictionary: None,
            known: Vec::new(),
        }
    }
}

impl<T: Copy> Memo<T> {
    /// Makes the memo fit `texts`, the column of a new batch: kept if it has the same dictionary
    /// as the batch before, emptied otherwise.
    pub fn follow(&mut self, texts: &Texts) {
        let same = match (texts, &self.dictionary) {
            (Texts::Dictionary { dictionary, .. }, Some(known)) => Arc::ptr_eq(dictionary, known),
            _ => false,
        };
        if !same {
            self.dictionary = match texts {
                Texts::Dictionary { dictionary, .. } => Some(Arc::clone(dictionary)),
                Texts::Plain(_) => None,
            };
            self.known.clear();
            self.known.resize(texts.key_space(), None);
        }
    }

    /// What `key` of `texts` (the column [`Memo::follow`] was last given) stands for.
    pub fn get(&mut self, texts: &Texts, key: usize, resolve: impl FnOnce(&str) -> T) -> T {
        *self.known[key].get_or_insert_with(|| resolve(texts.text(key)))
    }

    /// What `key` stands for, if worked out already (for a `resolve` that needs `&mut` to what
    /// holds the memo; then [`Memo::remember`] it).
    pub fn known(&self, key: usize) -> Option<T> {
        self.known[key]
    }

    pub fn remember(&mut self, key: usize, value: T) -> T {
        self.known[key] = Some(value);
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use arrow_array::DictionaryArray;

    fn batch(column: Arc<dyn Array>) -> RecordBatch {
        RecordBatch::try_from_iter([("t", column)]).expect("valid batch")
    }

    #[test]
    fn dictionary_and_plain_columns_give_the_same_texts() {
        let rows = [Some("b"), None, Some("a"), Some("b")];
        let dict: DictionaryArray<Int32Type> = rows.into_iter().collect();
        let plain = StringArray::from(rows.to_vec());
        for b in [batch(Arc::new(dict)), batch(Arc::new(plain))] {
            let texts = Texts::of(&b, "t").expect("a text column");
            let got: Vec<Option<&str>> = (0..4)
                .map(|i| texts.key(i).map(|k| texts.text(k)))
                .collect();
            assert_eq!(got, rows);
            let mut memo = Memo::default();
            memo.follow(&texts);
            let mut calls = 0;
            for i in [0, 2, 3] {
                let key = texts.key(i).expect("not null");
                let len = memo.get(&texts, key, |s| {
                    calls += 1;
                    s.len()
                });
                assert_eq!(len, 1);
            }
            assert_eq!(
                calls,
                if matches!(texts, Texts::Dictionary { .. }) {
                    2
                } else {
                    3
                }
            );
        }
    }
}
