//! Continual improvement beyond the registers' own routes (clause 10.1):
//! the improvement board, incident timelines, the lessons' share that
//! drove a change, and ISMS cycles' status and year-over-year comparison.

use crate::auth::Auth;
use crate::error::{ApiResult, Problem};
use crate::extract::{Json, Path, Query};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use pawl_app::cycle::CycleStatus;
use pawl_app::improvement::BoardColumn;
use pawl_domain::cycle::{CycleFigures, ItemStatus, PhaseState};
use pawl_domain::register::fields;
use pawl_domain::register::{CYCLE, IMPROVEMENT, INCIDENT};
use pawl_store::{Record, TimelineEntry};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct BoardParams {
    /// Only items from these sources (comma-separated), e.g. `incident,near_miss`.
    pub source: Option<String>,
    /// Only items of this owner, by e-mail, name or member id.
    pub owner: Option<String>,
    /// Only items in these phases (comma-separated): plan, do, check, act.
    pub phase: Option<String>,
    /// Cards per column, 1 to 200; 50 when absent. Counts are always whole.
    pub per_column: Option<u32>,
}

impl BoardParams {
    pub(crate) fn filter(&self) -> ApiResult<pawl_store::RecordFilter> {
        let pairs: Vec<(String, String)> = [("source", &self.source), ("owner", &self.owner), ("phase", &self.phase)]
            .into_iter()
            .filter_map(|(k, v)| v.clone().map(|v| (k.to_owned(), v)))
            .collect();
        Ok(pawl_app::register::filter(&IMPROVEMENT, &pairs)?)
    }

    fn per_column(&self) -> ApiResult<u32> {
        match self.per_column {
            None => Ok(50),
            Some(n) if (1..=200).contains(&n) => Ok(n),
            Some(n) => Err(crate::ApiError::invalid(vec![pawl_domain::FieldError::new(
                "per_column",
                format!("{n} is not from 1 to 200"),
            )])),
        }
    }
}

/// An improvement as a card on the board.
#[derive(Serialize, ToSchema)]
pub struct BoardCard {
    pub id: String,
    pub reference: String,
    pub title: String,
    /// The source's code, e.g. `incident`.
    pub source: String,
    pub owner: String,
    /// low, medium, high; empty before analysis.
    pub severity: String,
    pub target_date: Option<String>,
    /// Times an evaluation sent it back to analysis.
    pub sent_back: i64,
}

impl From<&Record> for BoardCard {
    fn from(r: &Record) -> Self {
        BoardCard {
            id: r.id.clone(),
            reference: r.reference.clone().unwrap_or_default(),
            title: fields::improvement::TITLE.text(&r.values),
            source: fields::improvement::SOURCE.text(&r.values),
            owner: fields::improvement::OWNER.text(&r.values),
            severity: fields::improvement::SEVERITY.text(&r.values),
            target_date: Some(fields::improvement::TARGET_DATE.text(&r.values)).filter(|d| !d.is_empty()),
            sent_back: fields::improvement::SENT_BACK.text(&r.values).parse().unwrap_or(0),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct BoardColumnOut {
    /// The step's code (`identify` ... `evaluate`), or `closed`.
    pub step: String,
    pub label: String,
    /// plan, do, check or act.
    pub phase: String,
    /// Items in this column under the filters.
    pub count: i64,
    /// The first of them, soonest due first.
    pub cards: Vec<BoardCard>,
}

impl From<BoardColumn> for BoardColumnOut {
    fn from(c: BoardColumn) -> Self {
        BoardColumnOut {
            step: c.step.into(),
            label: c.label.into(),
            phase: c.phase.into(),
            count: c.count,
            cards: c.cards.iter().map(BoardCard::from).collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct BoardOut {
    pub columns: Vec<BoardColumnOut>,
}

/// The improvement board: a column per step (identify, analyse, develop,
/// implement, evaluate) and one for those closed effective, filtered by
/// source, owner and phase.
#[utoipa::path(get, path = "/api/v1/improvements/board", tag = "improvement", params(BoardParams),
    responses((status = 200, body = BoardOut), (status = 400, body = Problem), (status = 422, body = Problem)))]
pub async fn board(
    State(s): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<BoardParams>,
) -> ApiResult<axum::Json<BoardOut>> {
    let columns = pawl_app::improvement::board(&s.app.store, &p.organisation.id, &q.filter()?, q.per_column()?).await?;
    Ok(axum::Json(BoardOut {
        columns: columns.into_iter().map(Into::into).collect(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct TimelineEntryOut {
    pub id: String,
    /// `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM`.
    pub happened_at: String,
    pub entry: String,
    pub created_at: String,
    pub created_by: String,
}

impl From<TimelineEntry> for TimelineEntryOut {
    fn from(e: TimelineEntry) -> Self {
        TimelineEntryOut {
            id: e.id,
            happened_at: e.happened_at,
            entry: e.entry,
            created_at: e.created_at,
            created_by: e.created_by,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct TimelineList {
    pub items: Vec<TimelineEntryOut>,
}

/// An incident's timeline, in the order things happened.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/timeline", tag = "improvement",
    params(("id" = String, Path)),
    responses((status = 200, body = TimelineList), (status = 404, body = Problem)))]
pub async fn timeline(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<TimelineList>> {
    let reader = s.app.store.org(&p.organisation.id);
    reader.record(&INCIDENT, &id).await?;
    let items = reader.timeline(&id).await?.into_iter().map(Into::into).collect();
    Ok(axum::Json(TimelineList { items }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TimelineInput {
    /// When it happened: `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM`, not in the future.
    pub happened_at: String,
    /// What happened or what was done.
    pub entry: String,
}

/// Adds a dated entry to an incident's timeline.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/timeline", tag = "improvement",
    params(("id" = String, Path)),
    request_body = TimelineInput,
    responses((status = 201, body = TimelineEntryOut), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
pub async fn timeline_add(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    Json(input): Json<TimelineInput>,
) -> ApiResult<Response> {
    let e = pawl_app::improvement::add_timeline(&s.app.store, &p, &id, &input.happened_at, &input.entry).await?;
    Ok((StatusCode::CREATED, axum::Json(TimelineEntryOut::from(e))).into_response())
}

#[derive(Serialize, ToSchema)]
pub struct LessonSummary {
    pub lessons: i64,
    /// Lessons linked to the change they drove.
    pub driven: i64,
    /// Lessons that have changed nothing yet: `GET /api/v1/lessons?change=none`.
    pub no_change: i64,
    /// driven / lessons in whole percent; null without lessons.
    pub share_percent: Option<i64>,
}

/// How many lessons learned drove a change: the dashboard's figure.
#[utoipa::path(get, path = "/api/v1/lessons/summary", tag = "improvement",
    responses((status = 200, body = LessonSummary)))]
pub async fn lesson_summary(State(s): State<AppState>, Auth(p): Auth) -> ApiResult<axum::Json<LessonSummary>> {
    let (lessons, driven) = s.app.store.org(&p.organisation.id).lesson_counts().await?;
    Ok(axum::Json(LessonSummary {
        lessons,
        driven,
        no_change: lessons - driven,
        share_percent: pawl_domain::cycle::driven_share(lessons, driven),
    }))
}

/// One figure of a cycle's status.
#[derive(Serialize, ToSchema)]
pub struct CycleItemOut {
    pub key: String,
    pub label: String,
    pub clause: String,
    /// met or not_met; not_assessed only in figures frozen before the register existed.
    pub status: String,
    pub figure: String,
    pub done: Option<i64>,
    pub total: Option<i64>,
    /// Where what is missing is listed in the web UI.
    pub href: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CyclePhaseOut {
    /// plan, do, check or act.
    pub phase: String,
    pub label: String,
    /// on_track, needs_attention or partly_assessed (frozen figures with items not assessed).
    pub state: String,
    pub items: Vec<CycleItemOut>,
}

#[derive(Serialize, ToSchema)]
pub struct CycleCountOut {
    pub key: String,
    pub label: String,
    pub value: i64,
}

/// A cycle's status: computed live while open, frozen once closed.
#[derive(Serialize, ToSchema)]
pub struct CycleStatusOut {
    pub id: String,
    pub name: String,
    pub starts_on: String,
    pub ends_on: String,
    /// open or closed.
    pub status: String,
    pub frozen: bool,
    pub frozen_at: Option<String>,
    pub frozen_by: Option<String>,
    /// SHA-256 of the frozen figures, also in the audit trail.
    pub sha256: Option<String>,
    /// The frozen figures still match their hash.
    pub intact: bool,
    pub phases: Vec<CyclePhaseOut>,
    pub counts: Vec<CycleCountOut>,
}

pub(crate) fn item_code(s: ItemStatus) -> &'static str {
    match s {
        ItemStatus::Met => "met",
        ItemStatus::NotMet => "not_met",
        ItemStatus::NotAssessed => "not_assessed",
    }
}

pub(crate) fn phase_code(s: PhaseState) -> &'static str {
    match s {
        PhaseState::OnTrack => "on_track",
        PhaseState::NeedsAttention => "needs_attention",
        PhaseState::PartlyAssessed => "partly_assessed",
    }
}

fn figures_out(f: CycleFigures) -> (Vec<CyclePhaseOut>, Vec<CycleCountOut>) {
    (
        f.phases
            .into_iter()
            .map(|p| CyclePhaseOut {
                phase: p.phase,
                label: p.label,
                state: phase_code(p.state).into(),
                items: p
                    .items
                    .into_iter()
                    .map(|i| CycleItemOut {
                        key: i.key,
                        label: i.label,
                        clause: i.clause,
                        status: item_code(i.status).into(),
                        figure: i.figure,
                        done: i.done,
                        total: i.total,
                        href: i.href,
                    })
                    .collect(),
            })
            .collect(),
        f.counts
            .into_iter()
            .map(|c| CycleCountOut {
                key: c.key,
                label: c.label,
                value: c.value,
            })
            .collect(),
    )
}

impl From<CycleStatus> for CycleStatusOut {
    fn from(c: CycleStatus) -> Self {
        let (phases, counts) = figures_out(c.figures);
        CycleStatusOut {
            id: c.id,
            name: c.name,
            starts_on: c.starts_on,
            ends_on: c.ends_on,
            status: c.status,
            frozen: c.frozen,
            frozen_at: c.frozen_at,
            frozen_by: c.frozen_by,
            sha256: c.sha256,
            intact: c.intact,
            phases,
            counts,
        }
    }
}

/// A cycle's Plan, Do, Check and Act status, item by item, with what is
/// missing.
#[utoipa::path(get, path = "/api/v1/cycles/{id}/status", tag = "improvement",
    params(("id" = String, Path, description = "The cycle's id or name, e.g. 2026.")),
    responses((status = 200, body = CycleStatusOut), (status = 404, body = Problem)))]
pub async fn cycle_status(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<CycleStatusOut>> {
    let org = &p.organisation.id;
    let reader = s.app.store.org(org);
    let found = reader.find_record(CYCLE.key, &id).await?;
    let c = reader.record(&CYCLE, found.as_deref().unwrap_or(&id)).await?;
    Ok(axum::Json(pawl_app::cycle::status(&s.app.store, org, &c).await?.into()))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CompareParams {
    /// The first cycle, by name (e.g. 2025) or id.
    pub a: String,
    /// The second cycle, by name (e.g. 2026) or id.
    pub b: String,
}

#[derive(Serialize, ToSchema)]
pub struct CycleCompareOut {
    pub a: CycleStatusOut,
    pub b: CycleStatusOut,
}

/// Two cycles side by side: a closed one as frozen, an open one live.
#[utoipa::path(get, path = "/api/v1/cycles/compare", tag = "improvement", params(CompareParams),
    responses((status = 200, body = CycleCompareOut), (status = 400, body = Problem), (status = 422, body = Problem)))]
pub async fn cycle_compare(
    State(s): State<AppState>,
    Auth(p): Auth,
    Query(q): Query<CompareParams>,
) -> ApiResult<axum::Json<CycleCompareOut>> {
    let (a, b) = pawl_app::cycle::compare(&s.app.store, &p.organisation.id, &q.a, &q.b).await?;
    Ok(axum::Json(CycleCompareOut {
        a: a.into(),
        b: b.into(),
    }))
}
