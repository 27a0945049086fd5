//! The pages of continual improvement beyond the registers' own (clause
//! 10.1): the improvement board, an incident's timeline, an ISMS cycle's
//! status and two cycles compared, and the page where anyone reports an
//! incident or near miss or suggests an improvement.

use super::page::{field, render, PageResult, Shell};
use super::section::Section;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::{Form, Path, Query};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;
use pawl_app::cycle::CycleStatus;
use pawl_app::improvement::BoardColumn;
use pawl_app::Principal;
use pawl_domain::access::Permission;
use pawl_domain::cycle::{ItemStatus, PhaseState};
use pawl_domain::register::{
    choice_label, Kind, CYCLE, IMPROVEMENT, IMPROVEMENT_SOURCES, INCIDENT, PHASES, SUGGESTION,
};
use pawl_domain::FieldError;
use pawl_store::{ListQuery, Record, RecordFilter, TimelineEntry};
use serde::Deserialize;
use serde_json::{Map, Value as Json};

pub fn routes(router: Router<AppState>) -> Router<AppState> {
    router
        .route("/improvements/board", get(board))
        .route("/incidents/{id}/timeline", get(timeline).post(timeline_add))
        .route("/cycles/{id}/status", get(cycle_status))
        .route("/cycles/compare", get(compare))
        .route("/report", get(report_form))
        .route("/report/incident", post(report_incident))
        .route("/report/suggestion", post(report_suggestion))
}

#[derive(Template)]
#[template(path = "improvement_board.html")]
struct BoardPage {
    shell: Shell,
    columns: Vec<BoardColumn>,
    source: String,
    owner: String,
    phase: String,
    sources: &'static [pawl_domain::register::Choice],
    phases: &'static [pawl_domain::register::Choice],
    can_write: bool,
    error: Option<String>,
}

impl BoardPage {
    fn phase_label<'a>(&self, code: &'a str) -> &'a str {
        choice_label(PHASES, code)
    }

    fn source_label<'a>(&self, code: &'a str) -> &'a str {
        choice_label(IMPROVEMENT_SOURCES, code)
    }

    /// The register filtered as the board is, at one step.
    fn more_href(&self, step: &str) -> String {
        let mut params = vec![("status", step)];
        for (k, v) in [("source", &self.source), ("owner", &self.owner), ("phase", &self.phase)] {
            if !v.is_empty() {
                params.push((k, v.as_str()));
            }
        }
        format!(
            "/improvements?{}",
            serde_urlencoded::to_string(params).unwrap_or_default()
        )
    }
}

#[derive(Deserialize, Default)]
struct BoardQuery {
    source: Option<String>,
    owner: Option<String>,
    phase: Option<String>,
}

/// The improvement board: a column per step, cards soonest due first.
async fn board(State(s): State<AppState>, Auth(p): Auth, Query(q): Query<BoardQuery>) -> PageResult {
    let (source, owner, phase) = (
        q.source.unwrap_or_default(),
        q.owner.unwrap_or_default(),
        q.phase.unwrap_or_default(),
    );
    let pairs: Vec<(String, String)> = [("source", &source), ("owner", &owner), ("phase", &phase)]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.clone()))
        .collect();
    let (filter, error) = match pawl_app::register::filter(&IMPROVEMENT, &pairs) {
        Ok(f) => (f, None),
        Err(e) => (RecordFilter::default(), Some(e.to_string())),
    };
    let columns = pawl_app::improvement::board(&s.app.store, &p.organisation.id, &filter, 25).await?;
    Ok(render(&BoardPage {
        shell: Shell::new(&s, &p, "improvements-board").await?,
        columns,
        source,
        owner,
        phase,
        sources: IMPROVEMENT_SOURCES,
        phases: PHASES,
        can_write: p.can(Permission::WriteIsms),
        error,
    }))
}

/// What an improvement's page adds: where it is in Plan-Do-Check-Act and
/// what its next step needs.
pub(crate) fn improvement_sections(r: &Record) -> Vec<Section> {
    let Some(w) = IMPROVEMENT.workflow else {
        return Vec::new();
    };
    let status = r.status.clone().unwrap_or_default();
    let mut lines = Vec::new();
    for t in w.moves_from(&status) {
        let missing: Vec<&str> = w
            .state(t.to)
            .map(|s| s.requires)
            .unwrap_or_default()
            .iter()
            .filter(|f| r.text(f).is_empty())
            .filter_map(|f| IMPROVEMENT.field(f).map(|f| f.label))
            .collect();
        let text = if missing.is_empty() {
            format!("{}: ready", t.label)
        } else {
            format!("{}: needs {}", t.label, missing.join(", "))
        };
        lines.push((format!("/improvements/{}#edit", r.id), text));
    }
    vec![Section {
        title: format!(
            "Step {} · phase {}",
            w.label(&status),
            choice_label(PHASES, pawl_domain::register::phase_of(&status))
        ),
        empty: "Decided: nothing further; a new weakness is a new item.".into(),
        lines,
        action: Some(("The board".into(), "/improvements/board".into())),
    }]
}

/// What an incident's page adds: its timeline.
pub(crate) async fn incident_sections(s: &AppState, p: &Principal, r: &Record) -> Result<Vec<Section>, ApiError> {
    let entries = s.app.store.org(&p.organisation.id).timeline(&r.id).await?;
    let href = format!("/incidents/{}/timeline", r.id);
    Ok(vec![Section {
        title: format!("Timeline ({})", entries.len()),
        empty: "No entries yet.".into(),
        lines: entries
            .iter()
            .map(|e| {
                (
                    href.clone(),
                    format!("{} — {}", e.happened_at.replace('T', " "), e.entry),
                )
            })
            .collect(),
        action: Some(("Add to the timeline".into(), href)),
    }])
}

/// What a cycle's page adds: its status and the comparison with others.
pub(crate) async fn cycle_sections(s: &AppState, p: &Principal, r: &Record) -> Result<Vec<Section>, ApiError> {
    let st = pawl_app::cycle::status(&s.app.store, &p.organisation.id, r).await?;
    let href = format!("/cycles/{}/status", r.id);
    Ok(vec![Section {
        title: if st.frozen {
            "Status, frozen when the cycle closed".into()
        } else {
            "Status, from the live records".into()
        },
        empty: String::new(),
        lines: st
            .figures
            .phases
            .iter()
            .map(|ph| (href.clone(), format!("{}: {}", ph.label, ph.state.label())))
            .collect(),
        action: Some(("Every figure, and what is missing".into(), href)),
    }])
}

#[derive(Template)]
#[template(path = "incident_timeline.html")]
struct TimelinePage {
    shell: Shell,
    incident: Record,
    entries: Vec<TimelineEntry>,
    can_write: bool,
    happened_at: String,
    entry: String,
    errors: Vec<FieldError>,
}

impl TimelinePage {
    fn err(&self, name: &str) -> Option<&str> {
        self.errors.iter().find(|e| e.field == name).map(|e| e.message.as_str())
    }
}

async fn timeline_page(
    s: &AppState,
    p: &Principal,
    id: &str,
    typed: (&str, &str),
    errors: Vec<FieldError>,
) -> Result<TimelinePage, ApiError> {
    let reader = s.app.store.org(&p.organisation.id);
    let incident = reader.record(&INCIDENT, id).await?;
    Ok(TimelinePage {
        shell: Shell::new(s, p, INCIDENT.path).await?,
        entries: reader.timeline(id).await?,
        incident,
        can_write: p.can(Permission::WriteIsms),
        happened_at: typed.0.to_owned(),
        entry: typed.1.to_owned(),
        errors,
    })
}

async fn timeline(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<String>) -> PageResult {
    let today = pawl_app::today().to_string();
    Ok(render(&timeline_page(&s, &p, &id, (&today, ""), Vec::new()).await?))
}

async fn timeline_add(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    let (at, entry) = (field(&form, "happened_at"), field(&form, "entry"));
    match pawl_app::improvement::add_timeline(&s.app.store, &p, &id, at, entry).await {
        Ok(_) => Ok(Redirect::to(&format!("/incidents/{id}/timeline")).into_response()),
        Err(pawl_app::AppError::Invalid(pawl_domain::DomainError::Invalid(errors))) => {
            let page = timeline_page(&s, &p, &id, (at, entry), errors).await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

fn item_badge(s: ItemStatus) -> &'static str {
    match s {
        ItemStatus::Met => "badge-ok",
        ItemStatus::NotMet => "badge-danger",
        ItemStatus::NotAssessed => "badge-muted",
    }
}

fn phase_badge(s: PhaseState) -> &'static str {
    match s {
        PhaseState::OnTrack => "badge-ok",
        PhaseState::NeedsAttention => "badge-danger",
        PhaseState::PartlyAssessed => "badge-warn",
    }
}

#[derive(Template)]
#[template(path = "cycle_status.html")]
struct CycleStatusPage {
    shell: Shell,
    c: CycleStatus,
    others: Vec<String>,
}

impl CycleStatusPage {
    fn item_badge(&self, s: &ItemStatus) -> &'static str {
        item_badge(*s)
    }

    fn phase_badge(&self, s: &PhaseState) -> &'static str {
        phase_badge(*s)
    }
}

async fn all_cycles(s: &AppState, p: &Principal) -> Result<Vec<Record>, ApiError> {
    Ok(s.app
        .store
        .org(&p.organisation.id)
        .records(
            &CYCLE,
            &RecordFilter::default(),
            &ListQuery {
                limit: Some(500),
                skip_total: true,
                ..Default::default()
            },
        )
        .await?
        .items)
}

async fn cycle_status(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<String>) -> PageResult {
    let org = &p.organisation.id;
    let c = s.app.store.org(org).record(&CYCLE, &id).await?;
    let st = pawl_app::cycle::status(&s.app.store, org, &c).await?;
    let others = all_cycles(&s, &p)
        .await?
        .into_iter()
        .map(|o| o.title())
        .filter(|n| *n != st.name)
        .collect();
    Ok(render(&CycleStatusPage {
        shell: Shell::new(&s, &p, CYCLE.path).await?,
        c: st,
        others,
    }))
}

/// One row of the comparison: an item of both cycles.
struct CompareRow {
    phase: String,
    label: String,
    a: Option<(ItemStatus, String)>,
    b: Option<(ItemStatus, String)>,
}

#[derive(Template)]
#[template(path = "cycle_compare.html")]
struct ComparePage {
    shell: Shell,
    names: Vec<String>,
    pair: Option<(CycleStatus, CycleStatus)>,
    rows: Vec<CompareRow>,
    /// (label, a, b).
    counts: Vec<(String, i64, i64)>,
    error: Option<String>,
}

impl ComparePage {
    fn item_badge(&self, s: &ItemStatus) -> &'static str {
        item_badge(*s)
    }

    fn chosen(&self, which: &str) -> String {
        self.pair
            .as_ref()
            .map(|(a, b)| if which == "a" { a.name.clone() } else { b.name.clone() })
            .unwrap_or_default()
    }
}

#[derive(Deserialize, Default)]
struct CompareQuery {
    a: Option<String>,
    b: Option<String>,
}

/// Two cycles side by side; by default the last two.
async fn compare(State(s): State<AppState>, Auth(p): Auth, Query(q): Query<CompareQuery>) -> PageResult {
    let cycles = all_cycles(&s, &p).await?;
    let names: Vec<String> = cycles.iter().map(Record::title).collect();
    let n = names.len();
    let a =
        q.a.filter(|s| !s.is_empty())
            .or_else(|| (n >= 2).then(|| names[n - 2].clone()));
    let b =
        q.b.filter(|s| !s.is_empty())
            .or_else(|| (n >= 1).then(|| names[n - 1].clone()));
    let mut page = ComparePage {
        shell: Shell::new(&s, &p, CYCLE.path).await?,
        names,
        pair: None,
        rows: Vec::new(),
        counts: Vec::new(),
        error: None,
    };
    if let (Some(a), Some(b)) = (a, b) {
        match pawl_app::cycle::compare(&s.app.store, &p.organisation.id, &a, &b).await {
            Ok((a, b)) => {
                for (pa, pb) in a.figures.phases.iter().zip(&b.figures.phases) {
                    for ia in &pa.items {
                        let ib = pb.items.iter().find(|i| i.key == ia.key);
                        page.rows.push(CompareRow {
                            phase: pa.label.clone(),
                            label: ia.label.clone(),
                            a: Some((ia.status, ia.figure.clone())),
                            b: ib.map(|i| (i.status, i.figure.clone())),
                        });
                    }
                }
                page.counts = a
                    .figures
                    .counts
                    .iter()
                    .map(|c| {
                        let other = b.figures.counts.iter().find(|x| x.key == c.key).map_or(0, |x| x.value);
                        (c.label.clone(), c.value, other)
                    })
                    .collect();
                page.pair = Some((a, b));
            }
            Err(e) => page.error = Some(ApiError::from(e).detail.clone()),
        }
    }
    Ok(render(&page))
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    shell: Shell,
    notice: Option<String>,
    /// Which form the errors and typed values belong to.
    form: &'static str,
    typed: Vec<(String, String)>,
    errors: Vec<FieldError>,
    error: Option<String>,
}

impl ReportPage {
    fn err(&self, form: &str, name: &str) -> Option<&str> {
        (self.form == form)
            .then(|| self.errors.iter().find(|e| e.field == name).map(|e| e.message.as_str()))
            .flatten()
    }

    fn typed(&self, form: &str, name: &str) -> &str {
        if self.form != form {
            return "";
        }
        field(&self.typed, name)
    }
}

#[derive(Deserialize, Default)]
struct ReportQuery {
    notice: Option<String>,
}

/// Where anyone reports an incident or near miss, or suggests an improvement.
async fn report_form(State(s): State<AppState>, Auth(p): Auth, Query(q): Query<ReportQuery>) -> PageResult {
    Ok(render(&ReportPage {
        shell: Shell::new(&s, &p, "report").await?,
        notice: q.notice,
        form: "",
        typed: Vec::new(),
        errors: Vec::new(),
        error: None,
    }))
}

async fn report(
    s: AppState,
    p: Principal,
    kind: &'static Kind,
    form_name: &'static str,
    form: Vec<(String, String)>,
    thanks: fn(&Record) -> String,
) -> PageResult {
    let input: Map<String, Json> = kind
        .report
        .iter()
        .map(|f| ((*f).to_owned(), Json::String(field(&form, f).to_owned())))
        .collect();
    match pawl_app::register::create(&s.app.store, &p, kind, &input).await {
        Ok(r) => Ok(Redirect::to(&format!("/report?notice={}", super::admin::urlencode(&thanks(&r)))).into_response()),
        Err(e) => {
            let e = ApiError::from(e);
            if !e.status.is_client_error() || e.status == axum::http::StatusCode::FORBIDDEN {
                return Err(super::page::PageError(e));
            }
            let page = ReportPage {
                shell: Shell::new(&s, &p, "report").await?,
                notice: None,
                form: form_name,
                typed: form,
                error: e.fields.is_empty().then(|| e.detail.clone()),
                errors: e.fields.clone(),
            };
            Ok((e.status, render(&page)).into_response())
        }
    }
}

async fn report_incident(
    State(s): State<AppState>,
    Auth(p): Auth,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    report(s, p, &INCIDENT, "incident", form, |r| {
        format!(
            "Thank you: reported as {}. The ISMS manager triages it.",
            r.reference.clone().unwrap_or_default()
        )
    })
    .await
}

async fn report_suggestion(
    State(s): State<AppState>,
    Auth(p): Auth,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    report(s, p, &SUGGESTION, "suggestion", form, |r| {
        format!(
            "Thank you: your suggestion is {}. Its decision appears in My work.",
            r.reference.clone().unwrap_or_default()
        )
    })
    .await
}
