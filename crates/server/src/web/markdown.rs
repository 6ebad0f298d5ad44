//! Markdown of our own texts (API descriptions, help pages) rendered to HTML. Raw HTML in
//! the source is shown as text, never passed through, so the output is safe to embed.

use pulldown_cmark::{Event, Options, Parser, html};

/// Renders Markdown to HTML; inline and block HTML become escaped text.
pub fn to_html(source: &str) -> String {
    let events = Parser::new_ext(source, Options::ENABLE_TABLES).map(|e| match e {
        Event::Html(t) | Event::InlineHtml(t) => Event::Text(t),
        other => other,
    });
    let mut out = String::with_capacity(source.len() * 2);
    html::push_html(&mut out, events);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_and_escapes() {
        assert_eq!(
            to_html("Send `Authorization: Bearer zt_…`."),
            "<p>Send <code>Authorization: Bearer zt_…</code>.</p>\n"
        );
        let out = to_html("a <script>alert(1)</script> b");
        assert!(!out.contains("<script>"), "{out}");
        assert!(out.contains("&lt;script&gt;"), "{out}");
    }
}
