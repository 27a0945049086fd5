//! A management review's pack and minutes as a PDF an auditor keeps
//! (clause 9.3.3): the review, its attendees and minutes, one section per
//! input of 9.3.2 with its figures and the change since the previous
//! review, and the decisions taken.

use pawl_app::performance::Pack;
use pawl_pdf::{Block, Doc};

fn figure(v: Option<i64>) -> String {
    v.map_or_else(|| "no data".to_owned(), |n| n.to_string())
}

pub fn review_pack(p: &Pack) -> Vec<u8> {
    let r = &p.pack.review;
    let mut blocks = vec![Block::KeyValues(vec![
        ("Review".into(), format!("{} {}", r.reference, r.title)),
        ("Planned for".into(), r.planned_on.clone()),
        (
            "Held on".into(),
            if r.held_on.is_empty() {
                "not held yet".into()
            } else {
                r.held_on.clone()
            },
        ),
        ("Chair".into(), r.chair.clone()),
        (
            "Changes since".into(),
            match &p.pack.previous {
                Some(prev) => format!("{} (review {prev})", p.pack.since),
                None => format!("{} (no earlier approved review)", p.pack.since),
            },
        ),
        (
            "Pack".into(),
            match (&p.sha256, &p.frozen_at) {
                (Some(hash), Some(at)) => format!(
                    "frozen at approval on {at}; SHA-256 {hash}{}",
                    if p.intact { "" } else { " (does NOT match its hash)" }
                ),
                _ => format!(
                    "compiled from the live registers at {}; not yet frozen",
                    p.pack.compiled_at
                ),
            },
        ),
    ])];
    blocks.push(Block::Heading("Attendees".into()));
    blocks.push(if r.attendees.is_empty() {
        Block::Note("No attendees recorded yet.".into())
    } else {
        Block::Paragraph(r.attendees.clone())
    });
    blocks.push(Block::Heading("Minutes".into()));
    blocks.push(if r.minutes.is_empty() {
        Block::Note("No minutes recorded yet.".into())
    } else {
        Block::Paragraph(r.minutes.clone())
    });
    for s in &p.pack.sections {
        blocks.push(Block::Heading(format!("{} {}", s.input, s.title)));
        if s.empty {
            blocks.push(Block::Note(s.summary.clone()));
            continue;
        }
        blocks.push(Block::Table {
            header: vec!["Figure".into(), "Now".into(), "Previous review".into(), "Change".into()],
            rows: s
                .figures
                .iter()
                .map(|f| {
                    vec![
                        f.label.clone(),
                        figure(f.value),
                        f.previous.map_or_else(|| "-".to_owned(), |n| n.to_string()),
                        f.change.map_or_else(|| "-".to_owned(), |c| format!("{c:+}")),
                    ]
                })
                .collect(),
            widths: vec![5.0, 1.2, 1.6, 1.2],
        });
        if !s.items.is_empty() {
            blocks.push(Block::Table {
                header: vec!["Reference".into(), "Title".into(), "Detail".into()],
                rows: s
                    .items
                    .iter()
                    .map(|i| vec![i.reference.clone(), i.title.clone(), i.detail.clone()])
                    .collect(),
                widths: vec![1.2, 4.0, 3.0],
            });
        }
    }
    blocks.push(Block::Heading("9.3.3 Decisions".into()));
    if p.pack.decisions.is_empty() {
        blocks.push(Block::Note("No decisions recorded.".into()));
    } else {
        blocks.push(Block::Table {
            header: vec![
                "Reference".into(),
                "Decision".into(),
                "About".into(),
                "Owner".into(),
                "Due".into(),
                "Status".into(),
            ],
            rows: p
                .pack
                .decisions
                .iter()
                .map(|d| {
                    vec![
                        d.reference.clone(),
                        d.decision.clone(),
                        format!("{}; becomes {}", d.about, d.becomes.to_lowercase()),
                        d.owner.clone(),
                        d.due_date.clone(),
                        d.status.clone(),
                    ]
                })
                .collect(),
            widths: vec![1.3, 4.0, 2.2, 2.0, 1.4, 1.2],
        });
    }
    pawl_pdf::render(&Doc {
        title: format!("Management review {}: {}", r.reference, r.title),
        subtitle: "Review pack and minutes (ISO/IEC 27001:2022 clause 9.3)".into(),
        blocks,
    })
}
