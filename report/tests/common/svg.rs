//! Reading a figure's SVG as the tests check it.

/// The contents of every `<text>` element, unescaped, in document order.
pub fn texts(svg: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = svg;
    while let Some(start) = rest.find("<text") {
        let body = start + rest[start..].find('>').unwrap() + 1;
        let end = body + rest[body..].find("</text>").unwrap();
        out.push(unescape(rest[body..end].trim()));
        rest = &rest[end..];
    }
    out
}

/// XML's five entities back to their characters (`&amp;` last, so `&amp;lt;` stays `&lt;`).
pub fn unescape(text: &str) -> String {
    text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'").replace("&amp;", "&")
}
