//! Printable documents an auditor keeps: a management review's pack and its
//! minutes (clause 9.3.3). Drawn with the PDF base-14 Helvetica fonts, so no
//! font is embedded and no browser runs on the server to print them.

use pdf_writer::{Content, Name, Pdf, Rect, Ref, Str, TextStr};

/// Title and subtitle head the first page; the blocks flow onto A4 pages.
pub struct Doc {
    pub title: String,
    pub subtitle: String,
    pub blocks: Vec<Block>,
}

pub enum Block {
    /// Kept on a page with at least the three lines after it.
    Heading(String),
    /// A line break starts a new line; blank lines are kept.
    Paragraph(String),
    /// Smaller and grey, e.g. "This register holds nothing."
    Note(String),
    /// Bold keys in the left 35%, wrapped values on the right.
    KeyValues(Vec<(String, String)>),
    /// `widths` are relative; when they do not match the columns, columns are
    /// equal. The header is drawn again on every page the table runs onto.
    Table {
        header: Vec<String>,
        rows: Vec<Vec<String>>,
        widths: Vec<f32>,
    },
}

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN_X: f32 = 56.0;
const TOP_Y: f32 = PAGE_H - 60.0;
const BOTTOM: f32 = 56.0;
const TEXT_W: f32 = PAGE_W - 2.0 * MARGIN_X;
const BODY_H: f32 = TOP_Y - BOTTOM;
const LEADING: f32 = 1.3;
const PAD: f32 = 3.0;

#[derive(Clone, Copy)]
enum Font {
    Regular,
    Bold,
}

impl Font {
    fn name(self) -> Name<'static> {
        match self {
            Font::Regular => Name(b"F1"),
            Font::Bold => Name(b"F2"),
        }
    }

    fn widths(self) -> &'static [u16; 224] {
        match self {
            Font::Regular => &HELVETICA,
            Font::Bold => &HELVETICA_BOLD,
        }
    }
}

#[derive(Clone, Copy)]
struct Style {
    font: Font,
    size: f32,
    grey: f32,
}

const fn style(font: Font, size: f32, grey: f32) -> Style {
    Style { font, size, grey }
}

const TITLE: Style = style(Font::Bold, 18.0, 0.0);
const SUBTITLE: Style = style(Font::Regular, 10.0, 0.4);
const HEADING: Style = style(Font::Bold, 14.0, 0.0);
const BODY: Style = style(Font::Regular, 10.0, 0.0);
const KEY: Style = style(Font::Bold, 10.0, 0.0);
const NOTE: Style = style(Font::Regular, 9.0, 0.4);
const CELL: Style = style(Font::Regular, 9.0, 0.0);
const CELL_HEAD: Style = style(Font::Bold, 9.0, 0.0);
const FOOTER: Style = style(Font::Regular, 8.0, 0.4);

impl Style {
    fn line_height(self) -> f32 {
        self.size * LEADING
    }
}

// Advance widths (1/1000 em) of WinAnsi codes 32..=255, from Adobe's AFM files
// for the base-14 fonts. The high half is measured too: an em dash or an "Æ" is
// far wider than an average glyph, and guessing would push lines past the box.
// Codes WinAnsi leaves undefined are 0; `encode` never produces them.
#[rustfmt::skip]
const HELVETICA: [u16; 224] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, 0,
    556, 0, 222, 556, 333, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0,
    0, 222, 222, 333, 333, 350, 556, 1000, 333, 1000, 500, 333, 944, 0, 500, 667,
    278, 333, 556, 556, 556, 556, 260, 556, 333, 737, 370, 556, 584, 333, 737, 333,
    400, 584, 333, 333, 333, 578, 537, 278, 333, 333, 365, 556, 834, 834, 834, 611,
    667, 667, 667, 667, 667, 667, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278,
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611,
    556, 556, 556, 556, 556, 556, 889, 500, 556, 556, 556, 556, 278, 278, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 584, 611, 556, 556, 556, 556, 500, 556, 500,
];

#[rustfmt::skip]
const HELVETICA_BOLD: [u16; 224] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611,
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556,
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611,
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584, 0,
    556, 0, 278, 556, 500, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0,
    0, 278, 278, 500, 500, 350, 556, 1000, 333, 1000, 556, 333, 944, 0, 500, 667,
    278, 333, 556, 556, 556, 556, 280, 556, 333, 737, 370, 556, 584, 333, 737, 333,
    400, 584, 333, 333, 333, 611, 556, 278, 333, 333, 365, 556, 834, 834, 834, 611,
    722, 722, 722, 722, 722, 722, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278,
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611,
    556, 556, 556, 556, 556, 556, 889, 556, 556, 556, 556, 556, 278, 278, 278, 278,
    611, 611, 611, 611, 611, 611, 611, 584, 611, 611, 611, 611, 611, 556, 611, 556,
];

// The WinAnsi bytes 0x80..=0x9F, which Latin-1 leaves to control codes.
#[rustfmt::skip]
const SPECIALS: [(char, u8); 27] = [
    ('€', 0x80), ('‚', 0x82), ('ƒ', 0x83), ('„', 0x84), ('…', 0x85), ('†', 0x86), ('‡', 0x87), ('\u{2C6}', 0x88),
    ('‰', 0x89), ('Š', 0x8A), ('‹', 0x8B), ('Œ', 0x8C), ('Ž', 0x8E), ('‘', 0x91), ('’', 0x92), ('“', 0x93),
    ('”', 0x94), ('•', 0x95), ('–', 0x96), ('—', 0x97), ('\u{2DC}', 0x98), ('™', 0x99), ('š', 0x9A), ('›', 0x9B),
    ('œ', 0x9C), ('ž', 0x9E), ('Ÿ', 0x9F),
];

/// Text as WinAnsi bytes, the only encoding the base-14 fonts read without an
/// embedded font; what it cannot show becomes '?' rather than a wrong glyph.
fn encode(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            ' '..='~' | '\u{A0}'..='\u{FF}' => u8::try_from(c).unwrap_or(b'?'),
            '\t' => b' ',
            _ => SPECIALS.iter().find(|&&(s, _)| s == c).map_or(b'?', |&(_, b)| b),
        })
        .collect()
}

fn glyph(font: Font, byte: u8) -> u64 {
    let width = byte.checked_sub(32).and_then(|i| font.widths().get(usize::from(i)));
    width.map_or(0, |&w| u64::from(w))
}

// Lines are built and checked in whole font units, so both agree exactly.
fn to_pt(units: u64, size: f32) -> f32 {
    units as f32 * size / 1000.0
}

fn measure(bytes: &[u8], style: Style) -> f32 {
    to_pt(bytes.iter().map(|&b| glyph(style.font, b)).sum(), style.size)
}

/// Lines of WinAnsi bytes no wider than `width`, broken at spaces, and inside
/// a word only when the word alone is too wide. A glyph wider than the whole
/// box still gets a line of its own, so wrapping always moves on.
fn wrap(text: &str, style: Style, width: f32) -> Vec<Vec<u8>> {
    let fits = |units: u64| to_pt(units, style.size) <= width;
    let space = glyph(style.font, b' ');
    let mut out = Vec::new();
    for source in text.lines() {
        let bytes = encode(source);
        let first = out.len();
        let mut line: Vec<u8> = Vec::new();
        let mut used: u64 = 0;
        for word in bytes.split(|&b| b == b' ').filter(|w| !w.is_empty()) {
            let gap = if line.is_empty() { 0 } else { space };
            let w: u64 = word.iter().map(|&b| glyph(style.font, b)).sum();
            if fits(used + gap + w) {
                if gap > 0 {
                    line.push(b' ');
                }
                line.extend_from_slice(word);
                used += gap + w;
                continue;
            }
            if !line.is_empty() {
                out.push(std::mem::take(&mut line));
                used = 0;
            }
            for &b in word {
                let g = glyph(style.font, b);
                if !line.is_empty() && !fits(used + g) {
                    out.push(std::mem::take(&mut line));
                    used = 0;
                }
                line.push(b);
                used += g;
            }
        }
        if !line.is_empty() || out.len() == first {
            out.push(line);
        }
    }
    out
}

/// `text` cut at a word to fit `width`, marked with "..." where it was cut.
fn truncate(text: &str, style: Style, width: f32) -> Vec<u8> {
    let whole = encode(text);
    if measure(&whole, style) <= width {
        return whole;
    }
    let cut = wrap(text, style, width - measure(b"...", style)).into_iter().next();
    [cut.unwrap_or_default().as_slice(), b"..."].concat()
}

/// Left edge and width of each of `n` columns across the text width.
fn columns(widths: &[f32], n: usize) -> Vec<(f32, f32)> {
    let sum: f32 = widths.iter().sum();
    let usable = widths.len() == n && sum.is_finite() && widths.iter().all(|w| w.is_finite() && *w > 0.0);
    let mut x = MARGIN_X;
    (0..n)
        .map(|i| {
            let share = if usable { widths[i] / sum } else { 1.0 / n as f32 };
            let col = (x, TEXT_W * share);
            x += col.1;
            col
        })
        .collect()
}

fn show(page: &mut Content, x: f32, baseline: f32, style: Style, line: &[u8]) {
    if line.is_empty() {
        return;
    }
    page.set_fill_gray(style.grey)
        .begin_text()
        .set_font(style.font.name(), style.size);
    page.next_line(x, baseline).show(Str(line)).end_text();
}

/// A table row: each cell's wrapped lines.
type Cells = [Vec<Vec<u8>>];

fn row_lines(cells: &Cells) -> usize {
    cells.iter().map(Vec::len).max().unwrap_or(0).max(1)
}

fn row_height(cells: &Cells) -> f32 {
    row_lines(cells) as f32 * CELL.line_height() + 2.0 * PAD
}

/// Pages are drawn one after another; `y` is the top of the free space left
/// on the current page.
struct Layout {
    done: Vec<Content>,
    page: Content,
    y: f32,
}

impl Layout {
    fn new_page(&mut self) {
        self.done.push(std::mem::replace(&mut self.page, Content::new()));
        self.y = TOP_Y;
    }

    // A page that is still empty is never given up, or content taller than a
    // page would open blank pages forever.
    fn ensure(&mut self, height: f32) {
        if self.y - height < BOTTOM && self.y < TOP_Y {
            self.new_page();
        }
    }

    fn gap(&mut self, space: f32) {
        if self.y < TOP_Y {
            self.y -= space;
        }
    }

    /// `keep` is the height that must fit on the page after the text, so
    /// that a heading is not left alone at the foot of a page.
    fn flow(&mut self, text: &str, style: Style, keep: f32) {
        let lines = wrap(text, style, TEXT_W);
        let lh = style.line_height();
        if keep > 0.0 {
            self.ensure(lines.len() as f32 * lh + keep);
        }
        for line in &lines {
            self.ensure(lh);
            show(&mut self.page, MARGIN_X, self.y - style.size, style, line);
            self.y -= lh;
        }
    }

    fn key_values(&mut self, pairs: &[(String, String)]) {
        let key_w = TEXT_W * 0.35;
        let lh = BODY.line_height();
        for (key, value) in pairs {
            let keys = wrap(key, KEY, key_w - 8.0);
            let values = wrap(value, BODY, TEXT_W - key_w);
            let n = keys.len().max(values.len()).max(1);
            for i in 0..n {
                self.ensure(lh);
                let baseline = self.y - BODY.size;
                if let Some(line) = keys.get(i) {
                    show(&mut self.page, MARGIN_X, baseline, KEY, line);
                }
                if let Some(line) = values.get(i) {
                    show(&mut self.page, MARGIN_X + key_w, baseline, BODY, line);
                }
                self.y -= lh;
            }
            self.y -= 2.0;
        }
    }

    fn table(&mut self, header: &[String], rows: &[Vec<String>], widths: &[f32]) {
        let n = rows.iter().map(Vec::len).fold(header.len(), usize::max);
        if n == 0 {
            return;
        }
        let cols = columns(widths, n);
        let wrap_row = |cells: &[String], style: Style| -> Vec<Vec<Vec<u8>>> {
            let cell = |i: usize| cells.get(i).map_or("", String::as_str);
            cols.iter()
                .enumerate()
                .map(|(i, &(_, w))| wrap(cell(i), style, w - 2.0 * PAD))
                .collect()
        };
        let head = (!header.is_empty()).then(|| wrap_row(header, CELL_HEAD));
        // A header taller than a third of a page is drawn once, not repeated,
        // so that every page still has room for rows.
        let repeat = head.as_deref().filter(|h| row_height(h) <= BODY_H / 3.0);
        if let Some(h) = head.as_deref() {
            self.ensure(row_height(h) + CELL.line_height() + 2.0 * PAD);
            self.row(h, &cols, true, None);
        }
        for cells in rows {
            self.row(&wrap_row(cells.as_slice(), CELL), &cols, false, repeat);
        }
    }

    /// A row that fits on a page is moved whole to the next one; a taller row
    /// is split line by line, the header drawn again on each new page.
    fn row(&mut self, cells: &Cells, cols: &[(f32, f32)], head: bool, repeat: Option<&Cells>) {
        let style = if head { CELL_HEAD } else { CELL };
        let (lh, lines) = (CELL.line_height(), row_lines(cells));
        let mut fresh = self.y >= TOP_Y;
        if !fresh && self.y - row_height(cells) < BOTTOM && row_height(cells) <= BODY_H / 2.0 {
            self.break_table(cols, repeat);
            fresh = true;
        }
        let mut first = 0;
        while first < lines {
            let room = ((self.y - BOTTOM - 2.0 * PAD) / lh).floor().max(0.0) as usize;
            let take = room.min(lines - first);
            if take == 0 && !fresh {
                self.break_table(cols, repeat);
                fresh = true;
                continue;
            }
            let take = take.max(1);
            let height = take as f32 * lh + 2.0 * PAD;
            if head {
                self.page
                    .set_fill_gray(0.9)
                    .rect(MARGIN_X, self.y - height, TEXT_W, height)
                    .fill_nonzero();
            }
            let top = self.y - PAD - style.size;
            for (cell, &(x, _)) in cells.iter().zip(cols) {
                for (k, line) in cell.iter().skip(first).take(take).enumerate() {
                    show(&mut self.page, x + PAD, top - k as f32 * lh, style, line);
                }
            }
            self.y -= height;
            self.page
                .set_line_width(0.5)
                .set_stroke_gray(0.6)
                .move_to(MARGIN_X, self.y);
            self.page.line_to(MARGIN_X + TEXT_W, self.y).stroke();
            first += take;
            if first < lines {
                self.break_table(cols, repeat);
                fresh = true;
            }
        }
    }

    fn break_table(&mut self, cols: &[(f32, f32)], repeat: Option<&Cells>) {
        self.new_page();
        if let Some(h) = repeat {
            self.row(h, cols, true, None);
        }
    }
}

fn layout(doc: &Doc) -> Vec<Content> {
    let mut l = Layout {
        done: Vec::new(),
        page: Content::new(),
        y: TOP_Y,
    };
    l.flow(&doc.title, TITLE, 0.0);
    l.flow(&doc.subtitle, SUBTITLE, 0.0);
    l.gap(14.0);
    for block in &doc.blocks {
        let (text, style, before, keep, after) = match block {
            Block::Heading(text) => (text, HEADING, 10.0, 3.0 * BODY.line_height(), 0.0),
            Block::Paragraph(text) => (text, BODY, 0.0, 0.0, 6.0),
            Block::Note(text) => (text, NOTE, 0.0, 0.0, 6.0),
            Block::KeyValues(pairs) => {
                l.key_values(pairs);
                l.gap(4.0);
                continue;
            }
            Block::Table { header, rows, widths } => {
                l.table(header, rows, widths);
                l.gap(6.0);
                continue;
            }
        };
        l.gap(before);
        l.flow(text, style, keep);
        l.gap(after);
    }
    l.done.push(l.page);
    l.done
}

/// The document as PDF bytes. Every page is laid out before any footer is
/// written, so that each can say how many pages there are.
pub fn render(doc: &Doc) -> Vec<u8> {
    let pages = layout(doc);
    let total = pages.len();
    let mut pdf = Pdf::new();
    let mut next = Ref::new(1);
    let (catalog, tree, regular, bold, info) = (next.bump(), next.bump(), next.bump(), next.bump(), next.bump());
    let ids: Vec<(Ref, Ref)> = (0..total).map(|_| (next.bump(), next.bump())).collect();

    pdf.catalog(catalog).pages(tree);
    let count = i32::try_from(total).unwrap_or(i32::MAX);
    pdf.pages(tree).kids(ids.iter().map(|&(page, _)| page)).count(count);
    for (id, name) in [(regular, b"Helvetica".as_slice()), (bold, b"Helvetica-Bold".as_slice())] {
        pdf.type1_font(id)
            .base_font(Name(name))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    pdf.document_info(info)
        .title(TextStr(&doc.title))
        .producer(TextStr("pawl"))
        .creator(TextStr("pawl"));

    let title = truncate(
        &doc.title.split_whitespace().collect::<Vec<_>>().join(" "),
        FOOTER,
        TEXT_W / 2.0,
    );
    for (i, (mut content, &(page_id, content_id))) in pages.into_iter().zip(&ids).enumerate() {
        let number = format!("Page {} of {}", i + 1, total);
        let number_x = PAGE_W - MARGIN_X - measure(number.as_bytes(), FOOTER);
        show(&mut content, MARGIN_X, BOTTOM - 26.0, FOOTER, &title);
        show(&mut content, number_x, BOTTOM - 26.0, FOOTER, number.as_bytes());
        let data = content.finish();
        {
            let mut page = pdf.page(page_id);
            page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H))
                .parent(tree)
                .contents(content_id);
            page.resources()
                .fonts()
                .pair(Font::Regular.name(), regular)
                .pair(Font::Bold.name(), bold);
        }
        pdf.stream(content_id, &data);
    }
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn make(title: &str, subtitle: &str, blocks: Vec<Block>) -> Vec<u8> {
        let (title, subtitle) = (title.to_string(), subtitle.to_string());
        render(&Doc {
            title,
            subtitle,
            blocks,
        })
    }

    fn table(header: &[&str], rows: Vec<Vec<String>>, widths: &[f32]) -> Block {
        let (header, widths) = (header.iter().map(|h| h.to_string()).collect(), widths.to_vec());
        Block::Table { header, rows, widths }
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    // pdf-writer writes the page tree as "/Type /Pages" and each page as
    // "/Type /Page", so a page is the shorter key not followed by an "s".
    fn page_count(pdf: &[u8]) -> usize {
        let key = b"/Type /Page";
        pdf.windows(key.len() + 1)
            .filter(|w| w.starts_with(key) && w[key.len()] != b's')
            .count()
    }

    #[test]
    fn output_is_a_whole_pdf_naming_its_fonts_and_title() {
        let pdf = make(
            "Management review 2025",
            "Minutes",
            vec![Block::Paragraph("Inputs.".into())],
        );
        assert!(pdf.starts_with(b"%PDF-"));
        assert!(pdf.trim_ascii_end().ends_with(b"%%EOF"));
        assert!(contains(&pdf, b"/BaseFont /Helvetica-Bold"));
        assert!(contains(&pdf, b"/Encoding /WinAnsiEncoding"));
        assert!(contains(&pdf, b"/Title (Management review 2025)"));
        assert_eq!(page_count(&pdf), 1);
        assert!(contains(&pdf, b"(Page 1 of 1)"));
    }

    #[test]
    fn a_long_table_runs_over_pages_each_numbered_of_the_total() {
        let rows = (0..200).map(|i| vec![format!("R-{i}"), format!("Risk {i} at length"), "Open".into()]);
        let risks = table(&["Ref", "Risk", "Status"], rows.collect(), &[1.0, 4.0, 1.0]);
        let pdf = make("Risks", "", vec![Block::Heading("Risk register".into()), risks]);
        let n = page_count(&pdf);
        assert!(n > 1, "200 rows fit on {n} page");
        assert!(contains(&pdf, format!("(Page 1 of {n})").as_bytes()));
        assert!(contains(&pdf, format!("(Page {n} of {n})").as_bytes()));
        assert!(!contains(&pdf, format!("(Page {} of", n + 1).as_bytes()));
        // The header is drawn again on every page the table runs onto.
        assert_eq!(pdf.windows(5).filter(|w| w == b"(Ref)").count(), n);
    }

    #[test]
    fn hostile_text_renders_and_is_encoded_as_win_ansi() {
        assert_eq!(page_count(&make("", "", Vec::new())), 1);
        let word = "x".repeat(10_000);
        let odd = "nul \u{0} emoji 😀 cjk 監査 tab\there\r\n\n\nend".to_string();
        let rows = (0..5_000).map(|i| vec![i.to_string(), odd.clone()]).collect();
        let blocks = vec![
            Block::Heading(word.clone()),
            Block::Paragraph("é — “quoted”".into()),
            Block::Note(String::new()),
            Block::KeyValues(vec![(word.clone(), odd.clone()), (String::new(), String::new())]),
            table(&[word.as_str()], vec![vec![word.clone()]], &[f32::NAN]),
            table(&[], rows, &[-1.0, f32::INFINITY]),
            table(&[], Vec::new(), &[]),
        ];
        let pdf = make(&word, &odd, blocks);
        assert!(page_count(&pdf) > 1);
        assert_eq!(encode("é — “quoted”"), b"\xE9 \x97 \x93quoted\x94");
        // pdf-writer writes a string holding non-ASCII bytes in hex.
        assert!(contains(&pdf, b"<E92097209371756F74656494>"));
        assert_eq!(encode("\u{0}😀監\u{85}"), b"????");
        let footer = truncate(&word, FOOTER, TEXT_W / 2.0);
        assert!(footer.ends_with(b"...") && measure(&footer, FOOTER) <= TEXT_W / 2.0);
    }

    #[test]
    fn wrapped_lines_fit_their_width_and_keep_every_character() {
        let texts = [
            String::new(),
            "The review considered   the status of actions from previous reviews.".into(),
            "first\n\nthird line after a blank one\n".into(),
            format!("short {} tail", "W".repeat(500)),
            "x".repeat(10_000),
            "é — “quoted” – ‰ Æ ™ … 😀 監査\t".repeat(20),
        ];
        for text in &texts {
            for (style, width) in [(BODY, 20.0), (KEY, 75.5), (TITLE, 200.0), (BODY, TEXT_W), (KEY, TEXT_W)] {
                let lines = wrap(text, style, width);
                assert!(
                    lines.iter().all(|l| measure(l, style) <= width),
                    "{lines:?} wider than {width}"
                );
                let kept: Vec<u8> = lines.concat().into_iter().filter(|&b| b != b' ').collect();
                let given: Vec<u8> = text.lines().flat_map(encode).filter(|&b| b != b' ').collect();
                assert_eq!(kept, given);
            }
        }
        assert_eq!(wrap("a\n\nb", BODY, TEXT_W).len(), 3);
        let narrow = measure(b"alpha bet", BODY);
        assert_eq!(wrap("alpha beta", BODY, narrow), [b"alpha".to_vec(), b"beta".to_vec()]);
    }
}
