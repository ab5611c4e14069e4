//! PyTorch profiler (Kineto) Chrome traces, plain or gzip-compressed: the complete events
//! (`"ph":"X"`) whose category is `kernel` are GPU kernels with device-side `dur` in µs;
//! everything else (CPU ops, runtime calls, memcpy, flows, annotations) is ignored.
//!
//! The trace is streamed through serde: events are looked at one at a time and folded into the
//! launch table, so memory is the table plus one event, whatever the file's size. serde_json's
//! nesting limit (128) turns a hostile `[[[[...` into an error, not a stack overflow.
//!
//! Tool version: Kineto writes no PyTorch version into the trace. Of the top-level keys,
//! `schemaVersion` is the one that versions the file the profiler wrote, so `tool_version` is
//! `kineto trace schema N` when it is present; `deviceProperties` (the GPUs) and
//! `distributedInfo` (the collective back-end) describe the machine and job, not the tool.

use std::fmt;
use std::io::Read;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::aggregate::{LaunchTable, check_ns};
use crate::error::{At, ErrorKind, Problem};
use crate::{ImportedKernel, Limits};

pub(crate) struct Parsed {
    pub tool_version: Option<String>,
    pub kernels: Vec<ImportedKernel>,
}

struct State<'a> {
    table: LaunchTable<'a>,
    limits: &'a Limits,
    failure: Option<Problem>,
    saw_events: bool,
    kernel_events: u64,
    schema_version: Option<String>,
}

impl State<'_> {
    /// Records why parsing stops; serde carries only a message, the position comes from it.
    fn fail<E: de::Error>(&mut self, p: Problem) -> E {
        let message = p.problem.clone();
        self.failure = Some(p);
        E::custom(message)
    }
}

/// Reads the trace from `input` (already decompressed). `cut_short` tells whether the input was
/// stopped by a size cap, so that the parser's complaint is reported as that.
pub(crate) fn read(
    input: impl Read,
    limits: &Limits,
    cut_short: &dyn Fn() -> Option<Problem>,
) -> Result<Parsed, Problem> {
    let mut state = State {
        table: LaunchTable::new(limits),
        limits,
        failure: None,
        saw_events: false,
        kernel_events: 0,
        schema_version: None,
    };
    let mut de = serde_json::Deserializer::from_reader(std::io::BufReader::with_capacity(1 << 16, input));
    let parsed = Root(&mut state).deserialize(&mut de).and_then(|()| de.end());
    if let Err(e) = parsed {
        if let Some(p) = cut_short() {
            return Err(p);
        }
        let at = if e.line() > 0 { At::Line(e.line() as u64) } else { At::Nowhere };
        if let Some(mut p) = state.failure.take() {
            p.at = at;
            return Err(p);
        }
        if e.is_io() {
            return Err(Problem::new(
                at,
                ErrorKind::Malformed,
                format!("cannot read the trace: {e}"),
                "the file is damaged: copy it again",
            ));
        }
        return Err(Problem::malformed(
            at,
            format!("not a valid JSON trace: {e}"),
            "give a Chrome trace written by the PyTorch profiler (`prof.export_chrome_trace`), complete and unedited",
        ));
    }
    if !state.saw_events {
        return Err(Problem::malformed(
            At::Nowhere,
            "no traceEvents array",
            "give a Chrome trace written by the PyTorch profiler (`prof.export_chrome_trace`)",
        ));
    }
    if state.kernel_events == 0 {
        return Err(Problem::no_kernels(
            At::Nowhere,
            "profile with `activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]` so the trace has `kernel` events",
        ));
    }
    Ok(Parsed {
        tool_version: state.schema_version.map(|v| format!("kineto trace schema {v}")),
        kernels: state.table.finish(),
    })
}

/// The top level: an object with `traceEvents` (PyTorch), or a bare array of events (the other
/// form the Chrome trace format allows).
struct Root<'s, 'a>(&'s mut State<'a>);

impl<'de> DeserializeSeed<'de> for Root<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Root<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a trace object with traceEvents, or an array of trace events")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "traceEvents" => {
                    map.next_value_seed(Events(&mut *self.0))?;
                    self.0.saw_events = true;
                }
                "schemaVersion" => {
                    if let Loose::Num(v) = map.next_value::<Loose>()? {
                        self.0.schema_version = Some(format!("{v}"));
                    }
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        self.0.saw_events = true;
        Events(self.0).visit_seq(seq)
    }
}

struct Events<'s, 'a>(&'s mut State<'a>);

impl<'de> DeserializeSeed<'de> for Events<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Events<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of trace events")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let state = self.0;
        while let Some(event) = seq.next_element::<Event>()? {
            let is_kernel = matches!(&event.ph, Some(Loose::Str(ph)) if ph == "X")
                && matches!(&event.cat, Some(Loose::Str(cat)) if cat.eq_ignore_ascii_case("kernel"));
            if !is_kernel {
                continue;
            }
            state.kernel_events += 1;
            let Some(Loose::Str(name)) = event.name else {
                return Err(state.fail(Problem::malformed(
                    At::Nowhere,
                    "a kernel event without a name",
                    "export the trace again",
                )));
            };
            let Some(Loose::Num(dur_us)) = event.dur else {
                return Err(state.fail(Problem::malformed(
                    At::Nowhere,
                    "a kernel event without a numeric dur",
                    "export the trace again",
                )));
            };
            let result = check_ns(dur_us * 1e3, "dur", &At::Nowhere, state.limits)
                .and_then(|ns| state.table.add(&name, ns, None, &At::Nowhere));
            if let Err(p) = result {
                return Err(state.fail(p));
            }
        }
        Ok(())
    }
}

/// The fields of an event that matter; any other field is skipped unread.
#[derive(Deserialize)]
struct Event {
    #[serde(default)]
    ph: Option<Loose>,
    #[serde(default)]
    cat: Option<Loose>,
    #[serde(default)]
    name: Option<Loose>,
    #[serde(default)]
    dur: Option<Loose>,
}

/// A JSON value reduced to what is needed: a string, a number, or anything else (skipped), so
/// that an odd field in an event that is not a kernel never fails the import.
enum Loose {
    Str(String),
    Num(f64),
    Other,
}

impl<'de> Deserialize<'de> for Loose {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LooseVisitor)
    }
}

struct LooseVisitor;

impl<'de> Visitor<'de> for LooseVisitor {
    type Value = Loose;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Loose, E> {
        Ok(Loose::Str(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Loose, E> {
        Ok(Loose::Str(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Loose, E> {
        Ok(Loose::Num(v as f64))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Loose, E> {
        Ok(Loose::Num(v as f64))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Loose, E> {
        Ok(Loose::Num(v))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Loose, E> {
        Ok(Loose::Other)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Loose, E> {
        Ok(Loose::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Loose, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Loose::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Loose, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Loose::Other)
    }
}
