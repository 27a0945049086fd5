//! Risk register pages: the register with heat maps, a risk, its form,
//! the review list, import, the past register, assets and the method.

use super::page::{render, PageError, PageResult, Shell};
use super::section::Section;
use super::words::RiskWords;
use crate::api::risk::{heat_grid, RiskParams};
use crate::auth::Auth;
use crate::extract::{Form, Path, Query};
use crate::{ApiError, AppState};
use askama::Template;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use pawl_app::risk::{self as service, AcceptanceInput, DueForReview, ImportReport, RiskInput, ScoreInput};
use pawl_app::{AppError, Principal};
use pawl_domain::access::Permission;
use pawl_domain::register::fields;
use pawl_domain::register::TREATMENT_ACTION;
use pawl_domain::risk::{AcceptanceLapse, RiskMethod, RiskStatus, TreatmentOption};
use pawl_domain::DomainError;
use pawl_store::{Acceptance, Assessment, HeatCell, ListQuery, MethodVersion, Record, RegisterRow, Risk};
use serde::Deserialize;
use std::collections::HashMap;

pub struct HeatRow {
    pub label: String,
    pub likelihood: usize,
    pub cells: Vec<HeatCellView>,
}

pub struct HeatCellView {
    pub impact: usize,
    pub level: String,
    pub count: i64,
}

/// A heat map ready to draw: likelihood from high (top) to low.
pub struct HeatMapView {
    pub title: String,
    pub param: &'static str,
    pub impact: Vec<String>,
    pub rows: Vec<HeatRow>,
}

pub(crate) fn heat_view(title: &str, param: &'static str, m: &RiskMethod, counts: &[HeatCell]) -> HeatMapView {
    let grid = heat_grid(m, counts);
    HeatMapView {
        title: title.to_owned(),
        param,
        impact: m.impact.iter().map(|l| l.label.clone()).collect(),
        rows: grid
            .into_iter()
            .enumerate()
            .rev()
            .map(|(l, row)| HeatRow {
                label: m.likelihood[l].label.clone(),
                likelihood: l + 1,
                cells: row
                    .into_iter()
                    .enumerate()
                    .map(|(i, c)| HeatCellView {
                        impact: i + 1,
                        level: c.level,
                        count: c.count,
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// The current filter, echoed back into the form.
#[derive(Default)]
pub struct FilterView {
    q: String,
    status: String,
    residual_level: String,
    treatment: String,
    sort: String,
    order: String,
    inherent_cell: String,
    residual_cell: String,
    acceptance: String,
}

#[derive(Template)]
#[template(path = "risks.html")]
struct RisksPage {
    shell: Shell,
    words: RiskWords,
    risks: Vec<Risk>,
    total: i64,
    method_version: i64,
    inherent_map: HeatMapView,
    residual_map: HeatMapView,
    f: FilterView,
    statuses: Vec<(&'static str, &'static str)>,
    levels: Vec<(String, String)>,
    treatments: Vec<(&'static str, &'static str)>,
    /// The acceptance filter's choices: (code, label).
    lapses: Vec<(&'static str, &'static str)>,
    sorts: Vec<(&'static str, &'static str)>,
    next_link: Option<String>,
    can_write: bool,
}

pub async fn register(State(s): State<AppState>, Auth(p): Auth, Query(mut q): Query<RiskParams>) -> PageResult {
    if q.sort.is_none() {
        q.sort = Some("residual".into());
        q.order = Some(q.order.unwrap_or_else(|| "desc".into()));
    }
    let reader = s.app.store.org(&p.organisation.id);
    let filter = q.filter()?;
    let page = reader.risks(&filter, &q.list()?).await?;
    let method = reader.risk_method().await?;
    let inherent = reader.heat_map(false).await?;
    let residual = reader.heat_map(true).await?;
    let next_link = page.next_cursor.as_ref().map(|c| {
        super::page::next_page(
            "/risks",
            c,
            &[
                ("q", &q.q),
                ("status", &q.status),
                ("residual_level", &q.residual_level),
                ("treatment", &q.treatment),
                ("sort", &q.sort),
                ("order", &q.order),
                ("inherent_cell", &q.inherent_cell),
                ("residual_cell", &q.residual_cell),
                ("asset_id", &q.asset_id),
                ("acceptance", &q.acceptance),
            ],
        )
    });
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    Ok(render(&RisksPage {
        shell: Shell::new(&s, &p, "risks").await?,
        words: RiskWords::of(&method.method),
        total: page.total,
        risks: page.items,
        method_version: method.version,
        inherent_map: heat_view("Inherent risk", "inherent_cell", &method.method, &inherent),
        residual_map: heat_view("Residual risk", "residual_cell", &method.method, &residual),
        f: FilterView {
            q: text(&q.q),
            status: text(&q.status),
            residual_level: text(&q.residual_level),
            treatment: text(&q.treatment),
            sort: text(&q.sort),
            order: text(&q.order),
            inherent_cell: text(&q.inherent_cell),
            residual_cell: text(&q.residual_cell),
            acceptance: text(&q.acceptance),
        },
        statuses: RiskStatus::ALL.iter().map(|s| (s.as_str(), s.label())).collect(),
        levels: method
            .method
            .levels
            .iter()
            .map(|l| (l.key.clone(), l.label.clone()))
            .collect(),
        treatments: TreatmentOption::ALL.iter().map(|t| (t.as_str(), t.label())).collect(),
        lapses: AcceptanceLapse::ALL.iter().map(|l| (l.as_str(), l.label())).collect(),
        sorts: vec![
            ("residual", "Residual level"),
            ("inherent", "Inherent level"),
            ("next_review", "Next review"),
            ("reference", "Reference"),
            ("title", "Title"),
            ("updated_at", "Last change"),
        ],
        next_link,
        can_write: p.can(Permission::WriteIsms),
    }))
}

/// Colours for the method's levels, as classes: the CSP allows no inline style.
pub async fn levels_css(State(s): State<AppState>, Auth(p): Auth) -> Result<Response, PageError> {
    let method = s.app.store.org(&p.organisation.id).risk_method().await?;
    let mut css = String::new();
    for l in &method.method.levels {
        if l.key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            if let Some(text) = text_on(&l.colour) {
                css.push_str(&format!(
                    ".lv-{} {{ background: {}; color: {text}; }}\n",
                    l.key, l.colour
                ));
            }
        }
    }
    Ok(([(header::CONTENT_TYPE, "text/css; charset=utf-8")], css).into_response())
}

/// WCAG 2 relative luminance of a colour written `#rrggbb`.
fn luminance(colour: &str) -> Option<f64> {
    // Only six hex digits: the colour is written into a style sheet.
    let hex = colour
        .strip_prefix('#')
        .filter(|h| h.len() == 6 && h.chars().all(|c| c.is_ascii_hexdigit()))?;
    let channel = |i: usize| -> Option<f64> {
        let c = f64::from(u8::from_str_radix(hex.get(i..i + 2)?, 16).ok()?) / 255.0;
        Some(if c <= 0.039_28 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        })
    };
    Some(0.2126 * channel(0)? + 0.7152 * channel(2)? + 0.0722 * channel(4)?)
}

/// The text colour, black or white, that reads best on a level's colour.
/// A method may choose any colour, so the text is chosen for it; one of the
/// two always contrasts by at least 4.58:1, above the 4.5:1 of WCAG AA.
fn text_on(background: &str) -> Option<&'static str> {
    let l = luminance(background)?;
    let (on_white, on_black) = (1.05 / (l + 0.05), (l + 0.05) / 0.05);
    Some(if on_black >= on_white { "#000" } else { "#fff" })
}

#[cfg(test)]
mod level_colour_tests {
    use super::*;

    fn contrast(a: f64, b: f64) -> f64 {
        (a.max(b) + 0.05) / (a.min(b) + 0.05)
    }

    #[test]
    fn level_text_contrasts_by_at_least_4_5_to_1() {
        assert_eq!(text_on("#f59f00"), Some("#000"), "white on amber is 2.13:1");
        assert_eq!(text_on("#c92a2a"), Some("#fff"));
        assert_eq!(text_on("#2f9e44"), Some("#000"));
        assert_eq!(text_on("red"), None);
        assert_eq!(text_on("#+f+f+f"), None, "no sign: the colour goes into a style sheet");
        for r in (0..=255u8).step_by(15) {
            for g in (0..=255u8).step_by(15) {
                for b in (0..=255u8).step_by(15) {
                    let bg = format!("#{r:02x}{g:02x}{b:02x}");
                    let l = luminance(&bg).unwrap();
                    let text = if text_on(&bg) == Some("#000") { 0.0 } else { 1.0 };
                    assert!(contrast(l, text) >= 4.5, "{bg}");
                }
            }
        }
    }
}

#[derive(Template)]
#[template(path = "risk.html")]
struct RiskPage {
    shell: Shell,
    words: RiskWords,
    risk: Risk,
    /// The assets it affects: (id, name).
    assets: Vec<(String, String)>,
    /// Applied controls that treat it: (id, reference, name).
    controls: Vec<(String, String, String)>,
    actions: Vec<ActionView>,
    acceptances: Vec<Acceptance>,
    assessments: Vec<Assessment>,
    method_version: i64,
    stale_method: bool,
    can_write: bool,
    can_read_trail: bool,
    notice: Option<String>,
    error: Option<String>,
    /// Who may accept the risk at its level, in words.
    who_may_accept: String,
    /// How this person would accept it, when they may: the form is shown
    /// only then.
    accept_as: Option<String>,
    /// Why this person may not accept it.
    accept_refusal: Option<String>,
    /// What was typed into the acceptance form, kept after an error.
    typed: AcceptTyped,
}

#[derive(Default)]
pub struct AcceptTyped {
    rationale: String,
    expires_on: String,
}

#[derive(Deserialize, Default)]
pub struct NoticeQuery {
    notice: Option<String>,
}

async fn risk_page(
    s: &AppState,
    p: &Principal,
    id: &str,
    notice: Option<String>,
    error: Option<String>,
) -> Result<RiskPage, ApiError> {
    let reader = s.app.store.org(&p.organisation.id);
    let risk = reader.risk(id).await?;
    let method = reader.risk_method().await?;
    let level = risk
        .residual
        .as_ref()
        .or(risk.inherent.as_ref())
        .map(|s| s.level.clone());
    let (who_may_accept, accept) = match &level {
        Some(level) => (
            method.method.who_may_accept(level),
            service::acceptance_by(&risk, &method.method, level, p),
        ),
        None => (String::new(), Err("assess the risk before accepting it".into())),
    };
    let (accept_as, accept_refusal) = match accept {
        _ if !p.can(Permission::WriteIsms) => (None, None),
        Ok(pawl_domain::risk::AcceptedAs::Owner) => (Some("You accept it as its owner.".to_owned()), None),
        Ok(pawl_domain::risk::AcceptedAs::OnOwnersBehalf) => (
            Some(format!(
                "You accept it on behalf of its owner, {}; the record says so.",
                risk.owner_name
            )),
            None,
        ),
        Err(why) => (None, Some(why)),
    };
    Ok(RiskPage {
        who_may_accept,
        accept_as,
        accept_refusal,
        typed: AcceptTyped::default(),
        shell: Shell::new(s, p, "risks").await?,
        words: RiskWords::of(&method.method),
        assets: reader
            .risk_assets(id)
            .await?
            .into_iter()
            .map(|a| (a.id.clone(), a.title()))
            .collect(),
        controls: reader.controls_of_risk(id).await?,
        actions: actions_of_risk(&reader, id).await?,
        acceptances: reader.acceptances(id).await?,
        assessments: reader.assessments(id).await?,
        stale_method: risk.method_version != method.version,
        method_version: method.version,
        risk,
        can_write: p.can(Permission::WriteIsms),
        can_read_trail: p.can(Permission::ReadAuditTrail),
        notice,
        error,
    })
}

pub async fn risk(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> PageResult {
    Ok(render(&risk_page(&s, &p, &id, q.notice, None).await?))
}

pub struct TextField {
    name: &'static str,
    label: &'static str,
    value: String,
    long: bool,
    error: Option<String>,
}

pub struct SelectField {
    name: &'static str,
    label: &'static str,
    value: String,
    options: Vec<(String, String)>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "risk_form.html")]
struct RiskFormPage {
    shell: Shell,
    risk: Option<Risk>,
    action: String,
    method_version: i64,
    text_fields: Vec<TextField>,
    selects: Vec<SelectField>,
    cia: String,
    next_review: String,
    note: String,
    assessed_on: String,
    members: Vec<String>,
    all_assets: Vec<(String, String, bool)>,
    errors: HashMap<String, String>,
    /// Every field error in the form's order, above the form: (the id of
    /// the field it is about and the field's label, the error).
    summary: Vec<(Option<(String, &'static str)>, String)>,
    error: Option<String>,
}

impl RiskFormPage {
    fn error_of(&self, name: &str) -> Option<&String> {
        self.errors.get(name)
    }
}

/// The fields of the risk form that are neither text nor a choice, with
/// their labels and the id a link to them goes to.
const OTHER_FIELDS: [(&str, &str, &str); 5] = [
    ("cia", "Confidentiality, integrity, availability at stake", "f-cia_c"),
    ("next_review", "Next review", "f-next_review"),
    ("asset_ids", "Affected assets", "f-asset_ids"),
    ("note", "Assessment note", "f-note"),
    ("assessed_on", "Assessed on", "f-assessed_on"),
];

/// The form's errors in the order of its fields; one about a field the
/// form does not show is named by what it says alone.
fn error_summary(page: &RiskFormPage) -> Vec<(Option<(String, &'static str)>, String)> {
    let fields = page
        .text_fields
        .iter()
        .map(|f| (f.name, f.label))
        .chain(page.selects.iter().map(|f| (f.name, f.label)))
        .map(|(name, label)| (name, label, format!("f-{name}")))
        .chain(OTHER_FIELDS.iter().map(|(n, l, id)| (*n, *l, (*id).to_owned())));
    let mut out = Vec::new();
    let mut named = Vec::new();
    for (name, label, id) in fields {
        if let Some(e) = page.errors.get(name) {
            out.push((Some((id, label)), e.clone()));
        }
        named.push(name);
    }
    let mut rest: Vec<(&String, &String)> = page
        .errors
        .iter()
        .filter(|(k, _)| !named.contains(&k.as_str()))
        .collect();
    rest.sort();
    out.extend(rest.into_iter().map(|(_, e)| (None, e.clone())));
    out
}

/// What the form shows: a risk's values, or what was just submitted.
fn form_values(risk: Option<&Risk>, submitted: &[(String, String)]) -> HashMap<String, String> {
    let mut v = HashMap::new();
    if let Some(r) = risk {
        let num = |s: Option<i64>| s.map(|n| n.to_string()).unwrap_or_default();
        for (k, val) in [
            ("reference", r.reference.clone()),
            ("title", r.title.clone()),
            ("description", r.description.clone()),
            ("category", r.category.clone()),
            ("threat", r.threat.clone()),
            ("vulnerability", r.vulnerability.clone()),
            ("owner", r.owner_name.clone()),
            ("cia", r.cia.clone()),
            ("likelihood", num(r.inherent.as_ref().map(|s| s.likelihood))),
            ("impact", num(r.inherent.as_ref().map(|s| s.impact))),
            ("residual_likelihood", num(r.residual.as_ref().map(|s| s.likelihood))),
            ("residual_impact", num(r.residual.as_ref().map(|s| s.impact))),
            ("target_level", r.target_level.clone().unwrap_or_default()),
            ("treatment", r.treatment.clone().unwrap_or_default()),
            ("status", r.status.clone()),
            ("review_interval_days", r.review_interval_days.to_string()),
            ("next_review", r.next_review.clone().unwrap_or_default()),
        ] {
            v.insert(k.to_owned(), val);
        }
    }
    if !submitted.is_empty() {
        let mut cia = String::new();
        for (k, val) in submitted {
            match k.as_str() {
                "cia_c" => cia.push('C'),
                "cia_i" => cia.push('I'),
                "cia_a" => cia.push('A'),
                _ => {
                    v.insert(k.clone(), val.clone());
                }
            }
        }
        v.insert("cia".into(), cia);
    }
    v
}

async fn form_page(
    s: &AppState,
    p: &Principal,
    risk: Option<Risk>,
    submitted: &[(String, String)],
    errors: HashMap<String, String>,
) -> Result<RiskFormPage, ApiError> {
    let reader = s.app.store.org(&p.organisation.id);
    let method = reader.risk_method().await?;
    let m = &method.method;
    let values = form_values(risk.as_ref(), submitted);
    let get = |k: &str| values.get(k).cloned().unwrap_or_default();
    let scale = |levels: &[pawl_domain::risk::ScaleLevel], empty: &str| {
        let mut o = vec![(String::new(), empty.to_owned())];
        o.extend(
            levels
                .iter()
                .enumerate()
                .map(|(i, l)| ((i + 1).to_string(), format!("{} {}", i + 1, l.label))),
        );
        o
    };
    let linked: Vec<String> = match &risk {
        Some(r) => reader.risk_assets(&r.id).await?.into_iter().map(|a| a.id).collect(),
        None => Vec::new(),
    };
    let submitted_assets: Vec<&String> = submitted.iter().filter(|(k, _)| k == "asset").map(|(_, v)| v).collect();
    let all_assets = reader
        .records(
            &pawl_domain::register::ASSET,
            &Default::default(),
            &ListQuery {
                limit: Some(500),
                ..Default::default()
            },
        )
        .await?
        .items
        .into_iter()
        .map(|a| {
            let checked = if submitted.is_empty() {
                linked.contains(&a.id)
            } else {
                submitted_assets.contains(&&a.id)
            };
            let name = a.title();
            (a.id, name, checked)
        })
        .collect();
    let members = reader
        .members(&ListQuery {
            limit: Some(500),
            ..Default::default()
        })
        .await?
        .items
        .into_iter()
        .map(|m| m.email)
        .collect();
    let text = |name: &'static str, label: &'static str, long: bool| TextField {
        name,
        label,
        value: get(name),
        long,
        error: errors.get(name).cloned(),
    };
    let select = |name: &'static str, label: &'static str, value: String, options: Vec<(String, String)>| SelectField {
        name,
        label,
        value,
        options,
        error: errors.get(name).cloned(),
    };
    let mut statuses: Vec<(String, String)> = RiskStatus::ALL
        .iter()
        .map(|s| (s.as_str().to_owned(), s.label().to_owned()))
        .collect();
    statuses.retain(|(k, _)| k != "accepted" || get("status") == "accepted");
    let mut page = RiskFormPage {
        shell: Shell::new(s, p, "risks").await?,
        action: match &risk {
            Some(r) => format!("/risks/{}/edit", r.id),
            None => "/risks/new".into(),
        },
        method_version: method.version,
        text_fields: vec![
            text("reference", "Reference (blank for the next R-number)", false),
            text("title", "Title", false),
            text("description", "Description", true),
            text("category", "Category", false),
            text("threat", "Threat", false),
            text("vulnerability", "Vulnerability", false),
            text("owner", "Risk owner (a member's e-mail, or a name)", false),
        ],
        selects: vec![
            select(
                "likelihood",
                "Inherent likelihood",
                get("likelihood"),
                scale(&m.likelihood, "not assessed"),
            ),
            select(
                "impact",
                "Inherent impact",
                get("impact"),
                scale(&m.impact, "not assessed"),
            ),
            select(
                "residual_likelihood",
                "Residual likelihood",
                get("residual_likelihood"),
                scale(&m.likelihood, "not assessed"),
            ),
            select(
                "residual_impact",
                "Residual impact",
                get("residual_impact"),
                scale(&m.impact, "not assessed"),
            ),
            select(
                "target_level",
                "Target level",
                get("target_level"),
                std::iter::once((String::new(), "None".to_owned()))
                    .chain(m.levels.iter().map(|l| (l.key.clone(), l.label.clone())))
                    .collect(),
            ),
            select(
                "treatment",
                "Treatment",
                get("treatment"),
                std::iter::once((String::new(), "Not decided".to_owned()))
                    .chain(
                        TreatmentOption::ALL
                            .iter()
                            .map(|t| (t.as_str().to_owned(), t.label().to_owned())),
                    )
                    .collect(),
            ),
            select("status", "Status", get("status"), statuses),
            select(
                "review_interval_days",
                "Review every",
                if get("review_interval_days").is_empty() {
                    "365".into()
                } else {
                    get("review_interval_days")
                },
                [
                    ("30", "month"),
                    ("90", "quarter"),
                    ("182", "half year"),
                    ("365", "year"),
                ]
                .iter()
                .map(|(v, l)| (v.to_string(), l.to_string()))
                .collect(),
            ),
        ],
        cia: get("cia"),
        next_review: get("next_review"),
        note: get("note"),
        assessed_on: get("assessed_on"),
        members,
        all_assets,
        risk,
        errors,
        summary: Vec::new(),
        error: None,
    };
    page.summary = error_summary(&page);
    Ok(page)
}

pub async fn new_form(State(s): State<AppState>, Auth(p): Auth) -> PageResult {
    Ok(render(&form_page(&s, &p, None, &[], HashMap::new()).await?))
}

pub async fn edit_form(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<String>) -> PageResult {
    let risk = s.app.store.org(&p.organisation.id).risk(&id).await?;
    Ok(render(&form_page(&s, &p, Some(risk), &[], HashMap::new()).await?))
}

/// Reads the submitted form into a full set of changes.
fn input_of(fields: &[(String, String)]) -> (RiskInput, Option<i64>) {
    let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim().to_owned());
    let opt = |k: &str| get(k).filter(|v| !v.is_empty());
    let score = |k: &str| Some(opt(k).map(ScoreInput::Label));
    let mut cia = String::new();
    for (k, c) in [("cia_c", 'C'), ("cia_i", 'I'), ("cia_a", 'A')] {
        if get(k).is_some() {
            cia.push(c);
        }
    }
    let input = RiskInput {
        reference: opt("reference"),
        title: get("title"),
        description: get("description"),
        category: get("category"),
        threat: get("threat"),
        vulnerability: get("vulnerability"),
        owner: get("owner"),
        cia: Some(cia),
        likelihood: score("likelihood"),
        impact: score("impact"),
        residual_likelihood: score("residual_likelihood"),
        residual_impact: score("residual_impact"),
        target_level: Some(opt("target_level")),
        treatment: Some(opt("treatment")),
        status: opt("status"),
        review_interval_days: opt("review_interval_days").and_then(|v| v.parse().ok()),
        next_review: Some(opt("next_review")),
        asset_ids: Some(
            fields
                .iter()
                .filter(|(k, _)| k == "asset")
                .map(|(_, v)| v.clone())
                .collect(),
        ),
        note: opt("note"),
        assessed_on: opt("assessed_on"),
    };
    (input, opt("version").and_then(|v| v.parse().ok()))
}

/// Field errors go beside their fields; anything else above the form.
async fn form_error(
    s: &AppState,
    p: &Principal,
    risk: Option<Risk>,
    fields: &[(String, String)],
    e: AppError,
) -> PageResult {
    let e = match e {
        AppError::Invalid(DomainError::Invalid(list)) => {
            let errors = list.into_iter().map(|f| (f.field, f.message)).collect();
            let page = form_page(s, p, risk, fields, errors).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response());
        }
        other => ApiError::from(other),
    };
    if e.status.is_server_error() || e.status == StatusCode::NOT_FOUND || e.status == StatusCode::FORBIDDEN {
        return Err(PageError(e));
    }
    let mut page = form_page(s, p, risk, fields, HashMap::new()).await?;
    page.error = Some(e.message());
    Ok((e.status, render(&page)).into_response())
}

pub async fn create(State(s): State<AppState>, Auth(p): Auth, Form(fields): Form<Vec<(String, String)>>) -> PageResult {
    let (input, _) = input_of(&fields);
    match service::create_risk(&s.app.store, &p.organisation.id, &p.actor(), &input).await {
        Ok(r) => {
            Ok(Redirect::to(&format!("/risks/{}?notice=Risk%20{}%20recorded.", r.id, r.reference)).into_response())
        }
        Err(e) => form_error(&s, &p, None, &fields, e).await,
    }
}

pub async fn update(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    let current = service::ensure_may_change(&s.app.store, &p, &id).await?;
    let (input, version) = input_of(&fields);
    match service::update_risk(
        &s.app.store,
        &p.organisation.id,
        &service::RiskEditor::of(&p),
        &id,
        &input,
        version,
    )
    .await
    {
        Ok(r) => Ok(Redirect::to(&format!("/risks/{}?notice=Saved.", r.id)).into_response()),
        Err(e) => form_error(&s, &p, Some(current), &fields, e).await,
    }
}

#[derive(Deserialize)]
pub struct AcceptForm {
    rationale: String,
    expires_on: Option<String>,
    version: Option<i64>,
}

pub async fn accept(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    Form(f): Form<AcceptForm>,
) -> PageResult {
    let input = AcceptanceInput {
        rationale: f.rationale,
        expires_on: f.expires_on.filter(|e| !e.is_empty()),
    };
    match service::accept(&s.app.store, &p, &id, &input, f.version).await {
        Ok(_) => Ok(Redirect::to(&format!("/risks/{id}?notice=Residual%20risk%20accepted.")).into_response()),
        Err(e) => {
            let e = ApiError::from(e);
            if e.status.is_server_error() || e.status == StatusCode::NOT_FOUND {
                return Err(PageError(e));
            }
            let mut page = risk_page(&s, &p, &id, None, Some(e.message())).await?;
            page.typed = AcceptTyped {
                rationale: input.rationale,
                expires_on: input.expires_on.unwrap_or_default(),
            };
            Ok((e.status, render(&page)).into_response())
        }
    }
}

/// A treatment action as the risk page and the report show it.
pub struct ActionView {
    pub id: String,
    pub description: String,
    pub owner: String,
    pub due: Option<String>,
    pub status: &'static str,
    pub risk_id: String,
}

impl From<&Record> for ActionView {
    fn from(r: &Record) -> Self {
        let text = |f: &str| r.value(f).map(|v| v.display()).unwrap_or_default();
        ActionView {
            id: r.id.clone(),
            description: text("description"),
            owner: text("owner"),
            due: r.due(),
            status: r
                .kind
                .workflow
                .map_or("", |w| w.label(r.status.as_deref().unwrap_or(""))),
            risk_id: text("risk_id"),
        }
    }
}

async fn actions_of_risk(reader: &pawl_store::OrgReader<'_>, risk_id: &str) -> Result<Vec<ActionView>, ApiError> {
    let page = reader
        .records(
            &TREATMENT_ACTION,
            &actions_of(risk_id),
            &ListQuery {
                limit: Some(500),
                skip_total: true,
                ..Default::default()
            },
        )
        .await?;
    Ok(page.items.iter().map(ActionView::from).collect())
}

/// Adds a treatment action from the risk's page, through the register
/// service like every other change of an action.
pub async fn add_action(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    let mut input: serde_json::Map<String, serde_json::Value> = form
        .into_iter()
        .filter(|(k, _)| ["description", "owner", "due_date"].contains(&k.as_str()))
        .map(|(k, v)| (k, serde_json::Value::String(v)))
        .collect();
    input.insert("risk_id".into(), serde_json::Value::String(id.clone()));
    match pawl_app::register::create(&s.app.store, &p, &TREATMENT_ACTION, &input).await {
        Ok(_) => Ok(Redirect::to(&format!("/risks/{id}?notice=Action%20added.")).into_response()),
        Err(e) => {
            let e = ApiError::from(e);
            if e.status.is_client_error() && !matches!(e.status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN) {
                let page = risk_page(&s, &p, &id, None, Some(e.message())).await?;
                Ok((e.status, render(&page)).into_response())
            } else {
                Err(PageError(e))
            }
        }
    }
}

#[derive(Template)]
#[template(path = "risks_due.html")]
struct DuePage {
    shell: Shell,
    words: RiskWords,
    due: Vec<DueForReview>,
    /// All that are due, of which `due` may list the first.
    total: i64,
}

pub async fn due(State(s): State<AppState>, Auth(p): Auth) -> PageResult {
    let method = s.app.store.org(&p.organisation.id).risk_method().await?;
    Ok(render(&DuePage {
        shell: Shell::new(&s, &p, "risks").await?,
        words: RiskWords::of(&method.method),
        due: service::due_for_review(&s.app.store, &p.organisation.id, 500).await?,
        total: service::due_for_review_count(&s.app.store, &p.organisation.id).await?,
    }))
}

pub async fn export_csv(State(s): State<AppState>, Auth(p): Auth) -> PageResult {
    Ok(crate::api::risk::register_download(&s, &p, "csv").await?)
}

#[derive(Template)]
#[template(path = "risk_report.html")]
struct ReportPage {
    static_version: &'static str,
    words: RiskWords,
    org: String,
    produced: String,
    produced_by: String,
    method_version: i64,
    risks: Vec<Risk>,
    /// (risk reference, treatment, action) of live risks.
    plan: Vec<(String, String, ActionView)>,
    inherent_map: HeatMapView,
    residual_map: HeatMapView,
}

/// The risk assessment report (8.2) and treatment plan (6.1.3 e) as a
/// printable page.
pub async fn report(State(s): State<AppState>, Auth(p): Auth) -> PageResult {
    let reader = s.app.store.org(&p.organisation.id);
    let method = reader.risk_method().await?;
    let mut risks = Vec::new();
    service::for_each_risk(&s.app.store, &p.organisation.id, |r, _, _| {
        risks.push(r.clone());
        Ok(())
    })
    .await?;
    let by_id: HashMap<&str, &Risk> = risks.iter().map(|r| (r.id.as_str(), r)).collect();
    let mut plan = Vec::new();
    pawl_app::register::for_each(&s.app.store, &p.organisation.id, &TREATMENT_ACTION, |a, _| {
        let a = ActionView::from(a);
        if let Some(r) = by_id.get(a.risk_id.as_str()) {
            plan.push((r.reference.clone(), r.treatment.clone().unwrap_or_default(), a));
        }
        Ok(())
    })
    .await?;
    plan.sort_by(|a, b| a.0.cmp(&b.0));
    let inherent = reader.heat_map(false).await?;
    let residual = reader.heat_map(true).await?;
    Ok(render(&ReportPage {
        static_version: super::page::static_version(),
        words: RiskWords::of(&method.method),
        org: p.organisation.name.clone(),
        produced: pawl_domain::time_fmt::format_instant(time::OffsetDateTime::now_utc())[..16].replace('T', " "),
        produced_by: p.email.clone(),
        method_version: method.version,
        inherent_map: heat_view("Inherent risk", "inherent_cell", &method.method, &inherent),
        residual_map: heat_view("Residual risk", "residual_cell", &method.method, &residual),
        risks,
        plan,
    }))
}

pub async fn export_xlsx(State(s): State<AppState>, Auth(p): Auth) -> PageResult {
    Ok(crate::api::risk::register_download(&s, &p, "xlsx").await?)
}

#[derive(Template)]
#[template(path = "risk_import.html")]
struct ImportPage {
    shell: Shell,
    report: Option<ImportReport>,
    /// The checked file kept for its real run, when the check passed.
    checked: Option<String>,
    expired: bool,
    column_labels: Vec<(String, &'static str)>,
}

/// Files checked by a dry run, waiting for their real run.
static CHECKED: crate::upload::PendingUploads<ImportReport> = crate::upload::PendingUploads::new();

#[derive(Deserialize, Default)]
pub struct ImportQuery {
    checked: Option<String>,
}

/// The import form; after an upload, what the check found, with the way to
/// import the same file without choosing it again.
pub async fn import_form(State(s): State<AppState>, Auth(p): Auth, Query(q): Query<ImportQuery>) -> PageResult {
    let report = q
        .checked
        .as_deref()
        .and_then(|id| CHECKED.report(&p.organisation.id, &p.user_id, id));
    let expired = q.checked.is_some() && report.is_none();
    let checked = q
        .checked
        .filter(|_| report.as_ref().is_some_and(|r| r.dry_run && !r.refused));
    let column_labels = report
        .as_ref()
        .map(|r| {
            r.columns
                .iter()
                .map(|(h, c)| (h.clone(), c.map_or("not imported", |c| c.header())))
                .collect()
        })
        .unwrap_or_default();
    Ok(render(&ImportPage {
        shell: Shell::new(&s, &p, "risks").await?,
        report,
        checked,
        expired,
        column_labels,
    }))
}

/// An upload is checked or imported, then the browser is sent to a plain
/// address: the report is shown from there, so the upload's CSRF token
/// never stays in the address bar or the history.
pub async fn import(
    State(s): State<AppState>,
    Auth(p): Auth,
    crate::extract::Upload(mut form): crate::extract::Upload,
) -> PageResult {
    let mut file = axum::body::Bytes::new();
    let mut dry_run = false;
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| ApiError::bad_request(format!("unreadable upload: {e}")))?
    {
        match field.name() {
            Some("file") => {
                file = field
                    .bytes()
                    .await
                    .map_err(|e| ApiError::bad_request(format!("unreadable upload: {e}")))?
            }
            Some("dry_run") => dry_run = true,
            _ => {}
        }
    }
    run_import(&s, &p, file, dry_run).await
}

/// Imports the file a dry run checked, as it was uploaded.
pub async fn import_checked(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<String>) -> PageResult {
    match CHECKED.take(&p.organisation.id, &p.user_id, &id) {
        Some(pending) => run_import(&s, &p, pending.bytes, false).await,
        None => Ok(Redirect::to(&format!("/risks/import?checked={id}")).into_response()),
    }
}

async fn run_import(s: &AppState, p: &Principal, file: axum::body::Bytes, dry_run: bool) -> PageResult {
    let report = service::import_table(
        &s.app.store,
        &p.organisation.id,
        &service::RiskEditor::of(p),
        crate::upload::read_sheet(file.clone()).await?,
        &HashMap::new(),
        dry_run,
    )
    .await?;
    // Only a file that passed its check waits for a real run; an imported
    // or refused one keeps just its report.
    let keep = if report.dry_run && !report.refused {
        file
    } else {
        axum::body::Bytes::new()
    };
    let id = CHECKED.keep(
        &p.organisation.id,
        &p.user_id,
        crate::upload::Pending { bytes: keep, report },
    );
    Ok(Redirect::to(&format!("/risks/import?checked={id}")).into_response())
}

#[derive(Deserialize)]
pub struct AsOfQuery {
    as_of: String,
}

#[derive(Template)]
#[template(path = "register_as_of.html")]
struct AsOfPage {
    shell: Shell,
    words: RiskWords,
    as_of: String,
    rows: Vec<RegisterRow>,
}

pub async fn register_as_of(State(s): State<AppState>, Auth(p): Auth, Query(q): Query<AsOfQuery>) -> PageResult {
    let date = pawl_domain::time_fmt::parse_date("as_of", &q.as_of).map_err(ApiError::from)?;
    let rows = s
        .app
        .store
        .org(&p.organisation.id)
        .register_as_of(&date.to_string())
        .await?;
    let method = s.app.store.org(&p.organisation.id).risk_method().await?;
    Ok(render(&AsOfPage {
        shell: Shell::new(&s, &p, "risks").await?,
        words: RiskWords::of(&method.method),
        as_of: date.to_string(),
        rows,
    }))
}

#[derive(Template)]
#[template(path = "risk_method.html")]
struct MethodPage {
    shell: Shell,
    words: RiskWords,
    method: MethodVersion,
    versions: Vec<MethodVersion>,
    matrix: HeatMapView,
    can_edit: bool,
    notice: Option<String>,
}

pub async fn method(State(s): State<AppState>, Auth(p): Auth, Query(q): Query<NoticeQuery>) -> PageResult {
    let reader = s.app.store.org(&p.organisation.id);
    let method = reader.risk_method().await?;
    let mut versions = reader.risk_method_versions().await?;
    if versions.is_empty() {
        versions.push(method.clone());
    }
    Ok(render(&MethodPage {
        shell: Shell::new(&s, &p, "risk-method").await?,
        words: RiskWords::of(&method.method),
        matrix: heat_view("Risk matrix", "inherent_cell", &method.method, &[]),
        method,
        versions,
        can_edit: p.can(Permission::ManageRiskMethod),
        notice: q.notice,
    }))
}

/// One step of a likelihood or impact scale in the method form.
struct ScaleStepView {
    n: usize,
    label: String,
    description: String,
    error: Option<String>,
}

struct ScaleView {
    axis: &'static str,
    title: &'static str,
    steps: Vec<ScaleStepView>,
}

struct LevelView {
    k: usize,
    key: String,
    label: String,
    colour: String,
    may_retain: bool,
    roles: Vec<(&'static str, bool)>,
    error: Option<String>,
}

struct MatrixRowView {
    likelihood: usize,
    label: String,
    cells: Vec<(usize, String)>,
}

#[derive(Template)]
#[template(path = "risk_method_edit.html")]
struct MethodEditPage {
    shell: Shell,
    version: i64,
    scales: Vec<ScaleView>,
    likelihood_n: usize,
    impact_n: usize,
    levels: Vec<LevelView>,
    level_keys: Vec<(String, String)>,
    impact_labels: Vec<String>,
    matrix: Vec<MatrixRowView>,
    note: String,
    errors: Vec<String>,
}

fn method_edit_page(
    shell: Shell,
    version: i64,
    m: &RiskMethod,
    note: String,
    errors: Vec<pawl_domain::FieldError>,
) -> MethodEditPage {
    let error_of = |field: &str| errors.iter().find(|e| e.field == field).map(|e| e.message.clone());
    let steps = |axis: &str, s: &[pawl_domain::risk::ScaleLevel]| {
        s.iter()
            .enumerate()
            .map(|(i, l)| ScaleStepView {
                n: i + 1,
                label: l.label.clone(),
                description: l.description.clone(),
                error: error_of(&format!("{axis}[{}].label", i + 1)),
            })
            .collect()
    };
    let levels = m
        .levels
        .iter()
        .enumerate()
        .map(|(k, l)| {
            let rule = m.acceptance.iter().find(|a| a.level == l.key);
            LevelView {
                k,
                key: l.key.clone(),
                label: l.label.clone(),
                colour: l.colour.clone(),
                may_retain: rule.is_some_and(|a| a.may_retain),
                roles: pawl_domain::identity::Role::ALL
                    .into_iter()
                    .map(|r| (r.as_str(), rule.is_some_and(|a| a.accepted_by.contains(&r))))
                    .collect(),
                error: error_of(&format!("levels[{k}].key")).or_else(|| error_of(&format!("levels[{k}].colour"))),
            }
        })
        .collect();
    MethodEditPage {
        shell,
        version,
        scales: vec![
            ScaleView {
                axis: "likelihood",
                title: "Likelihood",
                steps: steps("likelihood", &m.likelihood),
            },
            ScaleView {
                axis: "impact",
                title: "Impact",
                steps: steps("impact", &m.impact),
            },
        ],
        likelihood_n: m.likelihood.len(),
        impact_n: m.impact.len(),
        levels,
        level_keys: m.levels.iter().map(|l| (l.key.clone(), l.label.clone())).collect(),
        impact_labels: m.impact.iter().map(|l| l.label.clone()).collect(),
        matrix: m
            .matrix
            .iter()
            .enumerate()
            .rev()
            .map(|(r, row)| MatrixRowView {
                likelihood: r + 1,
                label: m.likelihood.get(r).map(|l| l.label.clone()).unwrap_or_default(),
                cells: row.iter().enumerate().map(|(c, k)| (c + 1, k.clone())).collect(),
            })
            .collect(),
        note,
        errors: errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect(),
    }
}

#[derive(Deserialize, Default)]
pub struct MethodEditQuery {
    likelihood: Option<usize>,
    impact: Option<usize>,
    levels: Option<usize>,
}

/// The form for a new version of the risk method (clause 6.1.2 a, b).
pub async fn method_edit(State(s): State<AppState>, Auth(p): Auth, Query(q): Query<MethodEditQuery>) -> PageResult {
    let current = s.app.store.org(&p.organisation.id).risk_method().await?;
    let m = &current.method;
    let method = m.resized(
        q.likelihood.unwrap_or(m.likelihood.len()),
        q.impact.unwrap_or(m.impact.len()),
        q.levels.unwrap_or(m.levels.len()),
    );
    let shell = Shell::new(&s, &p, "risk-method").await?;
    Ok(render(&method_edit_page(
        shell,
        current.version,
        &method,
        String::new(),
        vec![],
    )))
}

/// Reads the method form. Sizes come from the form's hidden counts, clamped
/// to what a method allows, so a forged form cannot make it loop for long.
fn method_of_form(fields: &[(String, String)]) -> (RiskMethod, String) {
    let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim()).unwrap_or("");
    let count = |k: &str, lo: usize| get(k).parse::<usize>().unwrap_or(lo).clamp(lo, 7);
    let (ln, im, kn) = (count("likelihood_n", 3), count("impact_n", 3), count("levels_n", 1));
    let scale = |axis: &str, n: usize| {
        (1..=n)
            .map(|i| pawl_domain::risk::ScaleLevel {
                label: get(&format!("{axis}{i}_label")).to_owned(),
                description: get(&format!("{axis}{i}_description")).to_owned(),
            })
            .collect()
    };
    let levels: Vec<pawl_domain::risk::RiskLevel> = (0..kn)
        .map(|k| pawl_domain::risk::RiskLevel {
            key: get(&format!("level{k}_key")).to_lowercase(),
            label: get(&format!("level{k}_label")).to_owned(),
            colour: get(&format!("level{k}_colour")).to_lowercase(),
        })
        .collect();
    let acceptance = levels
        .iter()
        .enumerate()
        .map(|(k, l)| pawl_domain::risk::AcceptanceRule {
            level: l.key.clone(),
            may_retain: !get(&format!("level{k}_retain")).is_empty(),
            accepted_by: fields
                .iter()
                .filter(|(n, _)| *n == format!("level{k}_by"))
                .filter_map(|(_, v)| pawl_domain::identity::Role::parse(v).ok())
                .collect(),
        })
        .collect();
    let matrix = (1..=ln)
        .map(|r| (1..=im).map(|c| get(&format!("m{r}_{c}")).to_owned()).collect())
        .collect();
    let method = RiskMethod {
        likelihood: scale("likelihood", ln),
        impact: scale("impact", im),
        levels,
        matrix,
        acceptance,
    };
    (method, get("note").to_owned())
}

pub async fn method_save(
    State(s): State<AppState>,
    Auth(p): Auth,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult {
    let (method, note) = method_of_form(&fields);
    let mut problems = match method.validate() {
        Err(DomainError::Invalid(list)) => list,
        Ok(()) => vec![],
    };
    if note.is_empty() {
        problems.push(pawl_domain::FieldError::new("note", "say what changed and why"));
    }
    if problems.is_empty() {
        let mut tx = s.app.store.write(&p.organisation.id, &p.actor()).await?;
        tx.ensure_risk_method().await?;
        let saved = tx.save_risk_method(&method, &note).await?;
        tx.commit().await?;
        return Ok(Redirect::to(&format!("/risk-method?notice=Version%20{}%20saved.", saved.version)).into_response());
    }
    let current = s.app.store.org(&p.organisation.id).risk_method().await?;
    let shell = Shell::new(&s, &p, "risk-method").await?;
    let page = method_edit_page(shell, current.version, &method, note, problems);
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
}

/// What an asset's page adds: the live risks that name it (clause 6.1.2).
pub(crate) async fn asset_sections(s: &AppState, p: &Principal, r: &Record) -> Result<Vec<Section>, ApiError> {
    let reader = s.app.store.org(&p.organisation.id);
    let filter = pawl_store::RiskFilter {
        asset_id: Some(r.id.clone()),
        ..Default::default()
    };
    let risks = reader
        .risks(
            &filter,
            &pawl_store::ListQuery {
                limit: Some(50),
                sort: Some("reference".into()),
                ..Default::default()
            },
        )
        .await?;
    Ok(vec![Section {
        title: format!("Risks that name it ({})", risks.total),
        empty: "No live risk names this asset.".into(),
        lines: risks
            .items
            .into_iter()
            .map(|k| (format!("/risks/{}", k.id), format!("{} {}", k.reference, k.title)))
            .collect(),
        action: Some((
            "All of them in the register".into(),
            format!("/risks?asset_id={}", r.id),
        )),
    }])
}

/// Filters of the risk page's treatment actions: those of one risk.
fn actions_of(risk_id: &str) -> pawl_store::RecordFilter {
    pawl_store::RecordFilter {
        fields: vec![(fields::treatment_action::RISK_ID.field(), vec![risk_id.to_owned()])],
        ..Default::default()
    }
}
