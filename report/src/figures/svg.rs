//! The SVG document around a chart: plotters draws into it, a final pass pins the font and
//! rounds font sizes, and elements plotters cannot write (a class and a `<title>` per published
//! value) are added after it as an overlay. Also the "no data" placeholder.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::FONT_FAMILY;
use super::style::{BASE_HEIGHT, MESSAGE_PX, WIDTH, format_tick, xml_escape};
use super::text::{clean, cols_in, ellipsize};

pub(super) type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
pub(super) type DrawError = DrawingAreaErrorKind<std::io::Error>;
pub(super) type Drawn = Result<(), DrawError>;

/// Runs `draw` on a fresh SVG document; a drawing error becomes a "could not be drawn" figure.
pub(super) fn render(size: (u32, u32), draw: impl FnOnce(&Area<'_>) -> Drawn) -> String {
    render_with_overlay(size, |root| draw(root).map(|()| String::new()))
}

/// Like [`render`], with the SVG elements that `draw` returns added on top of the drawing, just
/// before the document ends. The overlay is the caller's markup: it must escape its text.
pub(super) fn render_with_overlay(size: (u32, u32), draw: impl FnOnce(&Area<'_>) -> Result<String, DrawError>) -> String {
    let mut buf = String::new();
    let result = {
        let root = SVGBackend::with_string(&mut buf, size).into_drawing_area();
        draw(&root).and_then(|overlay| root.present().map(|()| overlay))
    };
    match result {
        Ok(overlay) => {
            let svg = normalize_attributes(&buf);
            match svg.rfind("</svg>") {
                Some(end) if !overlay.is_empty() => format!("{}{overlay}{}", &svg[..end], &svg[end..]),
                _ => svg,
            }
        }
        Err(e) => empty_svg(&format!("figure could not be drawn: {e}")),
    }
}

/// Pins every `font-family` to [`FONT_FAMILY`], whatever plotters chose for text whose style
/// this module does not set, and rounds `font-size` (plotters divides by 1.24, leaving float
/// noise such as 11.999999999999998). Attribute values never contain a raw `"` (plotters
/// escapes it), so the value ends at the next quote.
fn normalize_attributes(svg: &str) -> String {
    let svg = rewrite_attribute(svg, "font-family", |_| xml_escape(FONT_FAMILY));
    rewrite_attribute(&svg, "font-size", |value| match value.parse::<f64>() {
        Ok(px) => format_tick((px * 100.0).round() / 100.0),
        Err(_) => value.to_owned(),
    })
}

fn rewrite_attribute(svg: &str, name: &str, value: impl Fn(&str) -> String) -> String {
    let pattern = format!(" {name}=\"");
    let mut out = String::with_capacity(svg.len());
    let mut rest = svg;
    while let Some(start) = rest.find(&pattern) {
        let value_start = start + pattern.len();
        let Some(len) = rest[value_start..].find('"') else {
            break;
        };
        out.push_str(&rest[..value_start]);
        out.push_str(&value(&rest[value_start..value_start + len]));
        rest = &rest[value_start + len..];
    }
    out.push_str(rest);
    out
}

/// A figure-sized SVG that says there is no data (message drawn as text, e.g. "no data: no run has power readings").
pub fn empty_svg(message: &str) -> String {
    let text = xml_escape(&ellipsize(&clean(message), cols_in(f64::from(WIDTH) - 40.0, MESSAGE_PX)));
    let (w, h) = (WIDTH, BASE_HEIGHT);
    let (cx, cy) = (w / 2, h / 2);
    // The dashed frame marks the figure's place, so an empty figure is not mistaken for a
    // rendering glitch.
    format!(
        "<svg width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" xmlns=\"http://www.w3.org/2000/svg\">\n\
         <rect x=\"0\" y=\"0\" width=\"{w}\" height=\"{h}\" fill=\"#FFFFFF\" stroke=\"none\"/>\n\
         <rect x=\"0.5\" y=\"0.5\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#BBBBBB\" stroke-dasharray=\"6 4\"/>\n\
         <text x=\"{cx}\" y=\"{cy}\" dy=\"0.5ex\" text-anchor=\"middle\" font-family=\"{FONT_FAMILY}\" \
         font-size=\"{MESSAGE_PX}\" fill=\"#555555\">{text}</text>\n\
         </svg>\n",
        w - 1,
        h - 1,
    )
}
