//! `index.html`: one self-contained page (inline CSS and SVG, no script, no network), rendered
//! with minijinja. Autoescaping is on for the `.html` template, so contributor text is always
//! text; the only unescaped values are the SVG figures, which the figure module escapes itself.

use std::path::{Path, PathBuf};

use minijinja::Environment;

use super::{ExportError, Exporter, write_file};
use crate::document::ReportDocument;

pub struct Html;

const PAGE: &str = include_str!("../../../templates/index.html");
const STYLE: &str = include_str!("../../../templates/report.css");

/// Renders the page.
pub fn render(doc: &ReportDocument) -> Result<String, ExportError> {
    let template_error = |name: &str, e: minijinja::Error| ExportError::Template { name: name.to_owned(), message: format!("{e:#}") };
    let mut env = Environment::new();
    // Undefined values are template bugs: fail the build instead of printing nothing.
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.add_template("index.html", PAGE).map_err(|e| template_error("index.html", e))?;
    env.add_template("report.css", STYLE).map_err(|e| template_error("report.css", e))?;
    let template = env.get_template("index.html").map_err(|e| template_error("index.html", e))?;
    template.render(minijinja::context! { doc => minijinja::value::Value::from(minijinja::value::Serde(doc)) }).map_err(|e| template_error("index.html", e))
}

impl Exporter for Html {
    fn name(&self) -> &'static str {
        "html"
    }

    fn export(&self, doc: &ReportDocument, out: &Path) -> Result<Vec<PathBuf>, ExportError> {
        Ok(vec![write_file(&out.join("index.html"), render(doc)?.as_bytes())?])
    }
}
