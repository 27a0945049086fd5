//! Documents written in Markdown, as HTML that is safe to put in a page
//! (clause 7.5.2: a suitable format): pulldown-cmark renders, then ammonia
//! keeps only the tags and attributes a document needs. Raw HTML in the
//! source is shown as text, never run; links may only be http, https or
//! mailto, and open nothing with the page's authority.

use ammonia::Builder;
use pulldown_cmark::{html, Event, Options, Parser};
use std::collections::HashSet;
use std::sync::OnceLock;

fn cleaner() -> &'static Builder<'static> {
    static CLEANER: OnceLock<Builder<'static>> = OnceLock::new();
    CLEANER.get_or_init(|| {
        let mut b = Builder::default();
        b.url_schemes(HashSet::from(["http", "https", "mailto"]))
            .link_rel(Some("noopener noreferrer nofollow"))
            .rm_tags(["img"])
            .strip_comments(true);
        b
    })
}

/// The HTML of a Markdown document, sanitised.
pub fn to_html(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    // Raw HTML becomes text before rendering, so that the sanitiser sees
    // only what Markdown itself made.
    let parser = Parser::new_ext(markdown, options).map(|e| match e {
        Event::Html(h) | Event::InlineHtml(h) => Event::Text(h),
        other => other,
    });
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, parser);
    cleaner().clean(&out).to_string()
}

#[cfg(test)]
mod tests {
    use super::to_html;

    #[test]
    fn markdown_renders_headings_lists_and_tables() {
        let h = to_html("# Access\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n");
        assert!(
            h.contains("<h1>Access</h1>") && h.contains("<li>one</li>") && h.contains("<td>2</td>"),
            "{h}"
        );
    }

    #[test]
    fn nothing_in_a_document_can_run() {
        let hostile = [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "[click](javascript:alert(1))",
            "[x](JaVaScRiPt:alert(1))",
            "[x](data:text/html;base64,PHNjcmlwdD4=)",
            "<a href=\"javascript:alert(1)\">x</a>",
            "<iframe src=//evil></iframe>",
            "![x](https://evil.example/track.png)",
            "<div style=\"background:url(javascript:x)\">y</div>",
            "[x](vbscript:msgbox)",
            "<svg onload=alert(1)>",
            "<<script>script>alert(1)<</script>/script>",
        ];
        for md in hostile {
            let h = to_html(md).to_lowercase();
            // Escaped text may say anything; only the tags themselves matter.
            let tags: Vec<&str> = h.split('<').skip(1).filter_map(|t| t.split('>').next()).collect();
            for t in &tags {
                for bad in [
                    "script",
                    "iframe",
                    "img",
                    "svg",
                    "javascript:",
                    "vbscript:",
                    "data:",
                    "onerror",
                    "onload",
                    "style=",
                ] {
                    assert!(!t.contains(bad), "{md:?} gave the tag <{t}> in {h:?}");
                }
            }
        }
    }

    #[test]
    fn raw_html_is_shown_as_text_and_links_stay_links() {
        let h = to_html("Use <b>bold</b> and [the wiki](https://wiki.example/a).");
        assert!(h.contains("&lt;b&gt;bold&lt;/b&gt;"), "{h}");
        assert!(
            h.contains("href=\"https://wiki.example/a\"") && h.contains("rel=\"noopener noreferrer nofollow\""),
            "{h}"
        );
    }
}
