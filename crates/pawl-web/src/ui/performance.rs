//! The pages of performance evaluation beyond the registers' own: a
//! metric's trend and measurements (9.1), what an objective's and a
//! review's pages add, a review's printable pack (9.3), and audit
//! readiness.

use super::page::{field, render, PageResult, Shell};
use super::section::Section;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::{Form, Path};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;
use pawl_app::performance as service;
use pawl_app::Principal;
use pawl_domain::access::Permission;
use pawl_domain::metric::{format_value, parse_number};
use pawl_domain::readiness::{Readiness, ReadinessState};
use pawl_domain::register::fields;
use pawl_domain::register::{choice_label, MANAGEMENT_REVIEW, METRIC, METRIC_STATUS, REVIEW_DECISION};
use pawl_domain::FieldError;
use pawl_store::{ListQuery, Measurement, Record};

pub fn routes(router: Router<AppState>) -> Router<AppState> {
    router
        .route("/metrics/{id}/measurements", get(measurements).post(measure))
        .route("/metrics/{id}/compute", post(compute))
        .route("/management-reviews/{id}/pack", get(pack))
        .route("/readiness", get(readiness))
}

fn status_label(code: &str) -> &str {
    choice_label(METRIC_STATUS, code)
}

/// What a metric's page adds: its latest measurements and trend.
pub(crate) async fn metric_sections(s: &AppState, p: &Principal, r: &Record) -> Result<Vec<Section>, ApiError> {
    let latest = s.app.store.org(&p.organisation.id).measurements(&r.id, 6).await?;
    let href = format!("/metrics/{}/measurements", r.id);
    Ok(vec![Section {
        title: format!("Latest: {}", status_label(&fields::metric::STATUS_NOW.text(&r.values))),
        empty: if fields::metric::BUILT_IN.text(&r.values).is_empty() {
            "Not measured yet: enter the first measurement, import them, or have a script push them to the API.".into()
        } else {
            "No data yet: pawl computes it when it is due, and it says no data while its register is empty.".into()
        },
        lines: latest
            .iter()
            .map(|m| {
                (
                    href.clone(),
                    format!(
                        "{}: {} {}",
                        m.measured_on,
                        format_value(m.value),
                        fields::metric::UNIT.text(&r.values)
                    ),
                )
            })
            .collect(),
        action: Some(("Trend and every measurement".into(), href)),
    }])
}

/// What a review's page adds: its pack and its decisions.
pub(crate) async fn review_sections(s: &AppState, p: &Principal, r: &Record) -> Result<Vec<Section>, ApiError> {
    let f = pawl_app::register::filter(&REVIEW_DECISION, &[("review_id".into(), r.id.clone())])?;
    let decisions = s
        .app
        .store
        .org(&p.organisation.id)
        .records(
            &REVIEW_DECISION,
            &f,
            &ListQuery {
                limit: Some(100),
                ..Default::default()
            },
        )
        .await?;
    let frozen = r.status.as_deref() == Some("approved");
    Ok(vec![
        Section {
            title: "Review pack (9.3.2)".into(),
            empty: String::new(),
            lines: vec![(
                format!("/management-reviews/{}/pack", r.id),
                if frozen {
                    "The pack as frozen at approval, with its hash".into()
                } else {
                    "The pack compiled from the live registers now".into()
                },
            )],
            action: Some((
                "Download the PDF".into(),
                format!("/api/v1/management-reviews/{}/pack.pdf", r.id),
            )),
        },
        Section {
            title: format!("Decisions ({})", decisions.total),
            empty: "No decision recorded: record each decision on improvement and changes to the ISMS as an action or an improvement (9.3.3).".into(),
            lines: decisions
                .items
                .iter()
                .map(|d| {
                    (
                        format!("/review-decisions/{}", d.id),
                        format!(
                            "{} {} (owner {}, due {}, {})",
                            d.reference.clone().unwrap_or_default(),
                            fields::review_decision::DECISION.text(&d.values),
                            fields::review_decision::OWNER.text(&d.values),
                            fields::review_decision::DUE_DATE.text(&d.values),
                            REVIEW_DECISION
                                .workflow
                                .map_or("", |w| w.label(d.status.as_deref().unwrap_or("")))
                                .to_lowercase()
                        ),
                    )
                })
                .collect(),
            action: p.can(Permission::WriteIsms).then(|| {
                (
                    "Record a decision".to_owned(),
                    format!("/review-decisions/new?review_id={}", r.id),
                )
            }),
        },
    ])
}

#[derive(Template)]
#[template(path = "metric_measurements.html")]
struct MeasurementsPage {
    shell: Shell,
    metric: Record,
    chart: String,
    measurements: Vec<Measurement>,
    built_in: bool,
    breach: bool,
    can_write: bool,
    typed: Vec<(String, String)>,
    errors: Vec<FieldError>,
}

impl MeasurementsPage {
    fn err(&self, name: &str) -> Option<&str> {
        self.errors.iter().find(|e| e.field == name).map(|e| e.message.as_str())
    }

    fn typed(&self, name: &str) -> &str {
        field(&self.typed, name)
    }

    fn value(&self, v: &f64) -> String {
        format_value(*v)
    }

    fn status(&self) -> String {
        status_label(&fields::metric::STATUS_NOW.text(&self.metric.values)).to_owned()
    }

    fn source(&self, code: &str) -> &'static str {
        match code {
            "computed" => "Computed by pawl",
            "import" => "Imported",
            "api" => "Pushed through the API",
            _ => "Entered",
        }
    }

    /// Where a breach becomes an improvement, its source this metric.
    fn breach_href(&self) -> String {
        let q = serde_urlencoded::to_string([
            ("source", "metric_breach".to_owned()),
            ("source_record", self.metric.reference.clone().unwrap_or_default()),
            (
                "title",
                format!(
                    "{} is {}",
                    fields::metric::TITLE.text(&self.metric.values),
                    status_label(&fields::metric::STATUS_NOW.text(&self.metric.values)).to_lowercase()
                ),
            ),
        ])
        .unwrap_or_default();
        format!("/improvements/new?{q}")
    }
}

async fn measurements_page(
    s: &AppState,
    p: &Principal,
    id: &str,
    typed: Vec<(String, String)>,
    errors: Vec<FieldError>,
) -> Result<MeasurementsPage, ApiError> {
    let reader = s.app.store.org(&p.organisation.id);
    let metric = reader.record(&METRIC, id).await?;
    let measurements = reader.measurements(id, 500).await?;
    let t = pawl_domain::metric::Thresholds::of(&metric.values).ok();
    let num = |f: &str| parse_number(f, &metric.text(f)).ok().flatten();
    let points: Vec<(String, f64, &str)> = measurements
        .iter()
        .rev()
        .map(|m| {
            (
                m.measured_on.clone(),
                m.value,
                t.map_or("on_target", |t| t.status(m.value)),
            )
        })
        .collect();
    let chart = pawl_reports::svg::trend(
        &format!("{} over time", metric.title()),
        &points,
        num("target"),
        num("warning"),
        num("critical"),
    );
    Ok(MeasurementsPage {
        shell: Shell::new(s, p, METRIC.path).await?,
        built_in: !fields::metric::BUILT_IN.text(&metric.values).is_empty(),
        breach: matches!(
            fields::metric::STATUS_NOW.text(&metric.values).as_str(),
            "warning" | "critical"
        ),
        metric,
        chart,
        measurements,
        can_write: p.can(Permission::WriteIsms),
        typed,
        errors,
    })
}

async fn measurements(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<String>) -> PageResult {
    let typed = vec![("measured_on".to_owned(), pawl_app::today().to_string())];
    Ok(render(&measurements_page(&s, &p, &id, typed, Vec::new()).await?))
}

async fn measure(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    let r = service::measure(
        &s.app.store,
        &p,
        &id,
        service::MeasurementInput {
            measured_on: field(&form, "measured_on"),
            value: field(&form, "value"),
            note: field(&form, "note"),
        },
        "entered",
    )
    .await;
    match r {
        Ok(_) => Ok(Redirect::to(&format!("/metrics/{id}/measurements?notice=Measurement+recorded.")).into_response()),
        Err(pawl_app::AppError::Invalid(pawl_domain::DomainError::Invalid(errors))) => {
            let page = measurements_page(&s, &p, &id, form, errors).await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

async fn compute(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<String>) -> PageResult {
    let c = service::compute(&s.app.store, &p.organisation.id, &p.actor(), &id).await?;
    let notice = match c.value {
        Some(v) => format!("Computed: {}.", format_value(v)),
        None => "No data: the register it counts holds nothing yet.".to_owned(),
    };
    let q = serde_urlencoded::to_string([("notice", notice)]).unwrap_or_default();
    Ok(Redirect::to(&format!("/metrics/{id}/measurements?{q}")).into_response())
}

#[derive(Template)]
#[template(path = "review_pack.html")]
struct PackPage {
    shell: Shell,
    review: Record,
    pack: service::Pack,
}

impl PackPage {
    fn figure(&self, v: &Option<i64>) -> String {
        v.map_or_else(|| "no data".to_owned(), |n| n.to_string())
    }

    fn change(&self, v: &Option<i64>) -> String {
        match v {
            Some(0) => "no change".into(),
            Some(n) => format!("{n:+}"),
            None => "—".into(),
        }
    }
}

async fn pack(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<String>) -> PageResult {
    let org = &p.organisation.id;
    let review = service::find_review(&s.app.store, org, &id).await?;
    let pack = service::pack(&s.app.store, org, &review).await?;
    Ok(render(&PackPage {
        shell: Shell::new(&s, &p, MANAGEMENT_REVIEW.path).await?,
        review,
        pack,
    }))
}

#[derive(Template)]
#[template(path = "readiness.html")]
struct ReadinessPage {
    shell: Shell,
    r: std::sync::Arc<Readiness>,
}

impl ReadinessPage {
    fn state_class(&self, s: &ReadinessState) -> &'static str {
        match s {
            ReadinessState::Ready => "todo-done",
            _ => "todo-open",
        }
    }
}

async fn readiness(State(s): State<AppState>, Auth(p): Auth) -> PageResult {
    Ok(render(&ReadinessPage {
        shell: Shell::new(&s, &p, "readiness").await?,
        r: s.figures
            .get_or(&s.app.store, &p.organisation.id, "readiness", || async {
                Ok(service::readiness(&s.app.store, &p.organisation.id).await?)
            })
            .await?,
    }))
}
