//! Diagrams drawn on the server as SVG: root causes (clause 10.2), a
//! fishbone with its problem at the head and a bone per category, and a
//! fault tree from the top event down through AND and OR gates; and
//! charts of training completions and metric trends (7.2, 9.1). Plain markup, no
//! script: pages embed it as it is, and every text is escaped.

use pawl_domain::nonconformity::{FaultNode, Fishbone};
use std::fmt::Write;

/// Text as SVG character data or an attribute value.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// At most `max` characters, with an ellipsis when cut: a diagram shows
/// the start, the page beside it the whole text.
fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
    t.push('…');
    t
}

const FONT: &str = "font-family=\"system-ui, sans-serif\" font-size=\"12\"";

/// A fishbone: the spine runs to the problem on the right; categories
/// alternate above and below it, each cause a line of text on its bone.
pub fn fishbone(f: &Fishbone) -> String {
    let per_side = f.bones.len().div_ceil(2).max(1);
    let bone_gap = 220;
    let most_causes = f.bones.iter().map(|b| b.causes.len()).max().unwrap_or(0).max(1);
    let half = 40 + most_causes as i64 * 16;
    let width = 40 + per_side as i64 * bone_gap + 200;
    let height = 2 * half + 40;
    let spine_y = half + 20;
    let head_x = width - 190;
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" role=\"img\" class=\"diagram\" {FONT}>\
         <title>Fishbone: {}</title>\
         <line x1=\"20\" y1=\"{spine_y}\" x2=\"{head_x}\" y2=\"{spine_y}\" stroke=\"currentColor\" stroke-width=\"3\"/>\
         <rect x=\"{head_x}\" y=\"{}\" width=\"180\" height=\"44\" rx=\"6\" fill=\"none\" stroke=\"currentColor\"/>\
         <text fill=\"currentColor\" x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-weight=\"600\">{}</text>",
        esc(&f.problem),
        spine_y - 22,
        head_x + 90,
        spine_y + 4,
        esc(&clip(&f.problem, 26)),
    );
    for (i, bone) in f.bones.iter().enumerate() {
        let above = i % 2 == 0;
        let x = 60 + (i / 2) as i64 * bone_gap;
        let tip_y = if above {
            spine_y - half + 10
        } else {
            spine_y + half - 10
        };
        let join_x = x + 60;
        let _ = write!(
            svg,
            "<line x1=\"{x}\" y1=\"{tip_y}\" x2=\"{join_x}\" y2=\"{spine_y}\" stroke=\"currentColor\" stroke-width=\"2\"/>\
             <text fill=\"currentColor\" x=\"{x}\" y=\"{}\" font-weight=\"600\">{}</text>",
            if above { tip_y - 6 } else { tip_y + 16 },
            esc(&clip(&bone.category, 28)),
        );
        for (j, cause) in bone.causes.iter().enumerate() {
            let step = (j as i64 + 1) * 16;
            let y = if above { tip_y + step } else { tip_y - step };
            let _ = write!(
                svg,
                "<text fill=\"currentColor\" x=\"{}\" y=\"{}\">{}</text>",
                x + 12 + (60 * step / half.max(1)),
                y + 4,
                esc(&clip(cause, 30)),
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

struct Placed<'a> {
    node: &'a FaultNode,
    x: i64,
    y: i64,
    children: Vec<usize>,
}

/// Lays a tree out: leaves side by side, each parent centred over its children.
fn place<'a>(n: &'a FaultNode, depth: i64, next_leaf: &mut i64, out: &mut Vec<Placed<'a>>) -> usize {
    let children: Vec<usize> = n.children.iter().map(|c| place(c, depth + 1, next_leaf, out)).collect();
    let x = if children.is_empty() {
        let x = *next_leaf;
        *next_leaf += 1;
        x * 180
    } else {
        (out[children[0]].x + out[children[children.len() - 1]].x) / 2
    };
    out.push(Placed {
        node: n,
        x,
        y: depth * 110,
        children,
    });
    out.len() - 1
}

/// A fault tree: events as boxes, each gate drawn under its event with its
/// kind (AND, OR) and lines down to the events it joins; basic events as
/// rounded boxes.
pub fn fault_tree(top: &FaultNode) -> String {
    let mut placed = Vec::new();
    let mut leaves = 0;
    place(top, 0, &mut leaves, &mut placed);
    let width = leaves.max(1) * 180 + 20;
    let height = placed.iter().map(|p| p.y).max().unwrap_or(0) + 90;
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" role=\"img\" class=\"diagram\" {FONT}>\
         <title>Fault tree: {}</title>",
        esc(&top.event)
    );
    for p in &placed {
        let (cx, y) = (p.x + 100, p.y + 10);
        for &c in &p.children {
            let child = &placed[c];
            let _ = write!(
                svg,
                "<line x1=\"{cx}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"currentColor\"/>",
                y + 62,
                child.x + 100,
                child.y + 10
            );
        }
        let basic = p.node.gate.is_none();
        let _ = write!(
            svg,
            "<rect x=\"{}\" y=\"{y}\" width=\"160\" height=\"40\" rx=\"{}\" fill=\"none\" stroke=\"currentColor\"/>\
             <text fill=\"currentColor\" x=\"{cx}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            p.x + 20,
            if basic { 18 } else { 2 },
            y + 24,
            esc(&clip(&p.node.event, 24)),
        );
        if let Some(g) = p.node.gate {
            let _ = write!(
                svg,
                "<line x1=\"{cx}\" y1=\"{}\" x2=\"{cx}\" y2=\"{}\" stroke=\"currentColor\"/>\
                 <rect x=\"{}\" y=\"{}\" width=\"36\" height=\"18\" rx=\"9\" fill=\"none\" stroke=\"currentColor\"/>\
                 <text fill=\"currentColor\" x=\"{cx}\" y=\"{}\" text-anchor=\"middle\" font-size=\"10\" font-weight=\"700\">{}</text>",
                y + 40,
                y + 44,
                cx - 18,
                y + 44,
                y + 57,
                g.label()
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use pawl_domain::nonconformity::{Bone, Gate};

    #[test]
    fn text_is_escaped_and_no_script_gets_in() {
        let f = Fishbone {
            problem: "<script>alert(1)</script>".into(),
            bones: vec![Bone {
                category: "People & \"process\"".into(),
                causes: vec!["<img onerror=x>".into()],
            }],
        };
        let svg = fishbone(&f);
        assert!(!svg.contains("<script") && !svg.contains("<img"), "{svg}");
        assert!(svg.contains("People &amp; &quot;process&quot;"), "{svg}");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    }

    #[test]
    fn a_fault_tree_centres_each_gate_over_its_events() {
        let leaf = |e: &str| FaultNode {
            event: e.into(),
            gate: None,
            children: vec![],
        };
        let top = FaultNode {
            event: "Data lost".into(),
            gate: Some(Gate::And),
            children: vec![leaf("Disk failed"), leaf("Backup unusable")],
        };
        let svg = fault_tree(&top);
        assert_eq!(svg.matches("<rect").count(), 4, "three events and one gate: {svg}");
        assert!(svg.contains(">AND<"));
        // The top event sits between its two leaves (x 0 and 180).
        assert!(svg.contains("<rect x=\"110\" y=\"10\""), "{svg}");
    }
}

/// Training completions per month as a bar chart (7.2, 7.3): one bar a
/// month, its count above it, the month under it. `months` are
/// (`YYYY-MM`, count) in order; months without completions are drawn empty.
/// Text is drawn in the page's text colour (`currentColor`), so that it
/// reads in dark mode as in light; the year in the class `chart-muted`.
pub fn monthly_bars(title: &str, months: &[(String, i64)]) -> String {
    let (bar, gap, height, top, bottom) = (28.0_f64, 8.0_f64, 160.0_f64, 28.0_f64, 34.0_f64);
    let width = 20.0 + months.len() as f64 * (bar + gap);
    let max = months.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1) as f64;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w:.0} {h:.0}\" width=\"{w:.0}\" role=\"img\" aria-label=\"{t}\" {FONT}><title>{t}</title>",
        w = width.max(200.0),
        h = top + height + bottom,
        t = esc(title)
    );
    const NAMES: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    for (i, (month, n)) in months.iter().enumerate() {
        let x = 10.0 + i as f64 * (bar + gap);
        let h = (*n as f64 / max) * height;
        let y = top + height - h;
        // The month's short name under its bar, the year under January and the first.
        let (year, mm) = month.split_once('-').unwrap_or((month.as_str(), ""));
        let name = mm
            .parse::<usize>()
            .ok()
            .and_then(|m| NAMES.get(m.wrapping_sub(1)))
            .copied()
            .unwrap_or(mm);
        let _ = write!(
            s,
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bar:.0}\" height=\"{h:.1}\" fill=\"#3b6ea8\"><title>{m}: {n}</title></rect>\
             <text x=\"{cx:.1}\" y=\"{ty:.1}\" text-anchor=\"middle\" font-size=\"10\" fill=\"currentColor\">{n}</text>\
             <text x=\"{cx:.1}\" y=\"{my:.1}\" text-anchor=\"middle\" font-size=\"10\" fill=\"currentColor\">{name}</text>",
            m = esc(month),
            name = esc(name),
            cx = x + bar / 2.0,
            ty = y - 4.0,
            my = top + height + 14.0,
        );
        if i == 0 || mm == "01" {
            let _ = write!(
                s,
                "<text x=\"{cx:.1}\" y=\"{yy:.1}\" text-anchor=\"middle\" font-size=\"10\" fill=\"currentColor\" class=\"chart-muted\">{y}</text>",
                cx = x + bar / 2.0,
                yy = top + height + 28.0,
                y = esc(year),
            );
        }
    }
    s.push_str("</svg>");
    s
}

/// A metric's trend (9.1): its measurements as a line in date order, the
/// target as a dashed line and the warning and critical thresholds as
/// dotted ones, each point coloured by the status it had. `points` are
/// (`YYYY-MM-DD`, value, status code), oldest first.
pub fn trend(
    title: &str,
    points: &[(String, f64, &str)],
    target: Option<f64>,
    warning: Option<f64>,
    critical: Option<f64>,
) -> String {
    let (width, height, left, top, bottom) = (640.0_f64, 200.0_f64, 48.0_f64, 24.0_f64, 30.0_f64);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width:.0} {h:.0}\" width=\"100%\" role=\"img\" aria-label=\"{t}\" {FONT}><title>{t}</title>",
        h = top + height + bottom,
        t = esc(title)
    );
    if points.is_empty() {
        let _ = write!(
            s,
            "<text x=\"{x:.0}\" y=\"{y:.0}\" text-anchor=\"middle\" fill=\"currentColor\" class=\"chart-muted\">No measurements yet</text></svg>",
            x = width / 2.0,
            y = top + height / 2.0
        );
        return s;
    }
    let lines: Vec<f64> = [target, warning, critical].into_iter().flatten().collect();
    let values = points.iter().map(|p| p.1).chain(lines.iter().copied());
    let (mut lo, mut hi) = values.fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if (hi - lo).abs() < f64::EPSILON {
        lo -= 1.0;
        hi += 1.0;
    }
    let pad = (hi - lo) * 0.08;
    let (lo, hi) = (lo - pad, hi + pad);
    let plot = width - left - 16.0;
    let x = |i: usize| {
        left + if points.len() == 1 {
            plot / 2.0
        } else {
            i as f64 * plot / (points.len() - 1) as f64
        }
    };
    let y = |v: f64| top + (hi - v) / (hi - lo) * height;
    let _ = write!(
        s,
        "<line x1=\"{left:.0}\" y1=\"{top:.0}\" x2=\"{left:.0}\" y2=\"{b:.0}\" stroke=\"#999\"/>\
         <text x=\"{lx:.0}\" y=\"{ty:.1}\" text-anchor=\"end\" font-size=\"10\" fill=\"currentColor\">{hi}</text>\
         <text x=\"{lx:.0}\" y=\"{by:.1}\" text-anchor=\"end\" font-size=\"10\" fill=\"currentColor\">{lo}</text>",
        b = top + height,
        lx = left - 4.0,
        ty = top + 10.0,
        by = top + height,
        hi = esc(&pawl_domain::metric::format_value(hi)),
        lo = esc(&pawl_domain::metric::format_value(lo)),
    );
    for (v, label, dash, colour) in [
        (critical, "critical", "2 3", "#b42318"),
        (warning, "warning", "2 3", "#b54708"),
        (target, "target", "6 4", "#027a48"),
    ] {
        if let Some(v) = v {
            let _ = write!(
                s,
                "<line x1=\"{left:.0}\" y1=\"{yv:.1}\" x2=\"{r:.0}\" y2=\"{yv:.1}\" stroke=\"{colour}\" stroke-dasharray=\"{dash}\"><title>{label} {n}</title></line>",
                yv = y(v),
                r = left + plot,
                n = esc(&pawl_domain::metric::format_value(v)),
            );
        }
    }
    let path: Vec<String> = points
        .iter()
        .enumerate()
        .map(|(i, p)| format!("{:.1},{:.1}", x(i), y(p.1)))
        .collect();
    let _ = write!(
        s,
        "<polyline fill=\"none\" stroke=\"#3b6ea8\" stroke-width=\"2\" points=\"{}\"/>",
        path.join(" ")
    );
    for (i, (day, v, status)) in points.iter().enumerate() {
        let colour = match *status {
            "critical" => "#b42318",
            "warning" => "#b54708",
            _ => "#3b6ea8",
        };
        let _ = write!(
            s,
            "<circle cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"3.5\" fill=\"{colour}\"><title>{d}: {n}</title></circle>",
            cx = x(i),
            cy = y(*v),
            d = esc(day),
            n = esc(&pawl_domain::metric::format_value(*v)),
        );
    }
    if let (Some(first), Some(last)) = (points.first(), points.last()) {
        let _ = write!(
            s,
            "<text x=\"{l:.0}\" y=\"{ty:.0}\" font-size=\"10\" fill=\"currentColor\">{a}</text><text x=\"{r:.0}\" y=\"{ty:.0}\" text-anchor=\"end\" font-size=\"10\" fill=\"currentColor\">{b}</text>",
            l = left,
            r = left + plot,
            ty = top + height + 16.0,
            a = esc(&first.0),
            b = esc(&last.0),
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod chart_tests {
    use super::*;

    #[test]
    fn every_month_has_a_bar_and_text_is_escaped() {
        let m = pawl_domain::training::fill_months("2025-11", "2026-02", &[("2025-12".into(), 4)]);
        let svg = monthly_bars("<Phishing> & more", &m);
        assert!(svg.contains("&lt;Phishing&gt; &amp; more") && !svg.contains("<Phishing>"));
        assert_eq!(svg.matches("<rect").count(), 4, "one bar a month, empty ones too");
        // Text takes the page's colour, so that it reads in dark mode too.
        let tags = svg.split("<text").skip(1).map(|t| t.split('>').next().unwrap_or(""));
        assert!(tags.into_iter().all(|t| t.contains("fill=\"currentColor\"")), "{svg}");
    }

    #[test]
    fn a_trend_has_a_point_a_measurement_and_its_thresholds() {
        let points = vec![
            ("2026-10-01".to_owned(), 12.0, "critical"),
            ("2026-11-01".to_owned(), 7.0, "warning"),
            ("2026-12-01".to_owned(), 4.0, "on_target"),
        ];
        let svg = trend("Click <rate>", &points, Some(5.0), None, Some(10.0));
        assert_eq!(svg.matches("<circle").count(), 3);
        assert!(svg.contains("target 5") && svg.contains("critical 10") && !svg.contains("warning "));
        assert!(svg.contains("Click &lt;rate&gt;"));
        assert!(trend("t", &[], Some(1.0), None, None).contains("No measurements yet"));
        let flat = trend("t", &[("2026-12-01".into(), 3.0, "on_target")], None, None, None);
        assert!(!flat.contains("NaN") && !flat.contains("inf"), "{flat}");
    }
}
