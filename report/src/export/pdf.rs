//! `report.pdf`, compiled in-process by Typst.
//!
//! [`ReportWorld`] is the one door between Typst and the outside, and it opens onto exactly three
//! kinds of file, all held in memory: the template (`/main.typ`, compiled into the binary), the
//! report data (`/data.json`) and the figures (`/figures/<id>.svg`). Any other path — `/etc/passwd`,
//! a package import — is "not found". Fonts are Typst's embedded ones, never the system's, and the
//! date is the data's, so the same dataset gives the same bytes on every machine.
//!
//! Contributor text reaches Typst only as values of `/data.json`, read with `json()`. Strings
//! displayed from it are text, not markup: a device called `#read("/etc/passwd")` prints those
//! characters.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use typst::diag::{FileError, FileResult, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Duration, Smart};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World, WorldExt};
use typst_kit::fonts::FontStore;
use typst_layout::PagedDocument;

use super::{ExportError, Exporter, write_file};
use crate::document::ReportDocument;

const TEMPLATE: &str = include_str!("../../../templates/report.typ");

pub struct Pdf;

impl Exporter for Pdf {
    fn name(&self) -> &'static str {
        "pdf"
    }

    fn export(&self, doc: &ReportDocument, out: &Path) -> Result<Vec<PathBuf>, ExportError> {
        Ok(vec![write_file(&out.join("report.pdf"), &compile_pdf(doc)?)?])
    }
}

/// Compiles the report to PDF bytes.
pub fn compile_pdf(doc: &ReportDocument) -> Result<Vec<u8>, ExportError> {
    let world = ReportWorld::new(doc)?;
    let compiled = typst::compile::<PagedDocument>(&world);
    let document = compiled.output.map_err(|errors| ExportError::Typst(describe(&world, &errors)))?;
    let options = typst_pdf::PdfOptions {
        // A fixed identifier and no creation time stamp: the bytes depend on the data only.
        ident: Smart::Custom("edgebench-report".to_owned()),
        timestamp: None,
        ..Default::default()
    };
    typst_pdf::pdf(&document, &options).map_err(|errors| ExportError::Typst(describe(&world, &errors)))
}

fn describe(world: &ReportWorld, errors: &[SourceDiagnostic]) -> String {
    errors
        .iter()
        .map(|e| {
            let place = e
                .span
                .id()
                .and_then(|id| {
                    let source = world.source(id).ok()?;
                    let range = world.range(e.span)?;
                    let line = source.text()[..range.start].lines().count().max(1);
                    Some(format!("{}:{line}: ", id.get().vpath().get_with_slash()))
                })
                .unwrap_or_default();
            let hints: String = e.hints.iter().map(|h| format!(" (hint: {})", h.v)).collect();
            format!("{place}{}{hints}", e.message)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

struct ReportWorld {
    library: LazyHash<Library>,
    fonts: FontStore,
    main: Source,
    /// Every file Typst may read, by id.
    files: HashMap<FileId, Bytes>,
    today: Option<Datetime>,
}

fn file_id(path: &str) -> Result<FileId, ExportError> {
    let vpath = VirtualPath::new(path).map_err(|e| ExportError::Typst(format!("{path}: {e:?}")))?;
    Ok(RootedPath::new(VirtualRoot::Project, vpath).intern())
}

impl ReportWorld {
    fn new(doc: &ReportDocument) -> Result<ReportWorld, ExportError> {
        let main_id = file_id("/main.typ")?;
        let mut files = HashMap::new();
        // The SVG text is served as files; the JSON need not carry it twice.
        let mut data = serde_json::to_value(doc).map_err(|e| ExportError::Typst(format!("report data: {e}")))?;
        if let Some(figures) = data.get_mut("figures").and_then(|f| f.as_array_mut()) {
            for figure in figures {
                if let Some(obj) = figure.as_object_mut() {
                    obj.remove("svg");
                }
            }
        }
        let json = serde_json::to_vec(&data).map_err(|e| ExportError::Typst(format!("report data: {e}")))?;
        files.insert(file_id("/data.json")?, Bytes::new(json));
        for figure in &doc.figures {
            files.insert(file_id(&format!("/{}", figure.file))?, Bytes::new(figure.svg.clone().into_bytes()));
        }
        let mut fonts = FontStore::new();
        fonts.extend(typst_kit::fonts::embedded());
        let today = doc.data_date.as_deref().and_then(|d| {
            let mut parts = d.split('-').map(|p| p.parse::<u32>().ok());
            let (y, m, day) = (parts.next()??, parts.next()??, parts.next()??);
            Datetime::from_ymd(y as i32, m as u8, day as u8)
        });
        Ok(ReportWorld {
            library: LazyHash::new(Library::builder().build()),
            fonts,
            main: Source::new(main_id, TEMPLATE.to_owned()),
            files,
            today,
        })
    }
}

impl World for ReportWorld {
    fn library(&self) -> &LazyHash<Library> {
        &self.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        self.fonts.book()
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() { Ok(self.main.clone()) } else { Err(FileError::NotSource) }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if id == self.main.id() {
            return Ok(Bytes::from_string(self.main.text().to_owned()));
        }
        self.files
            .get(&id)
            .cloned()
            .ok_or_else(|| FileError::NotFound(PathBuf::from(id.get().vpath().get_with_slash())))
    }

    fn font(&self, index: usize) -> Option<Font> {
        self.fonts.font(index)
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        self.today
    }
}
