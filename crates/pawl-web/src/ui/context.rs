//! The pages of the organisation around the ISMS beyond the registers'
//! own: what a supplier's, a campaign's and an interested party's pages
//! add, a supplier's review form, a campaign's completions, and the
//! training report with its chart over time (4.2, 7.2, 7.3, A.5.22).

use super::page::{field, render, PageResult, Shell};
use super::section::Section;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::{Form, Path, Query};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use axum::Router;
use pawl_app::Principal;
use pawl_domain::access::Permission;
use pawl_domain::register::fields;
use pawl_domain::register::{choice_label, REQUIREMENT, REVIEW_RESULTS, SUPPLIER, SUPPLIER_FAILURE, TRAINING};
use pawl_domain::FieldError;
use pawl_store::{Completion, ListQuery, Record, SupplierReview, Trainee};
use serde::Deserialize;

pub fn routes(router: Router<AppState>) -> Router<AppState> {
    router
        .route("/suppliers/{id}/review", get(review_form).post(review))
        .route("/trainings/{id}/completions", get(completions).post(complete))
        .route("/trainings/report", get(report))
        .route("/me/trainings/{id}", get(my_training).post(my_training_done))
}

#[derive(Template)]
#[template(path = "my_training.html")]
struct MyTrainingPage {
    shell: Shell,
    training: Record,
    /// Done this round already.
    done: bool,
    completed_on: String,
    notes: String,
    errors: Vec<FieldError>,
}

impl MyTrainingPage {
    fn error_of(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    fn text(&self, field: &str) -> String {
        TRAINING.text(&self.training.values, field)
    }
}

async fn my_training_page(
    s: &AppState,
    p: &Principal,
    id: &str,
    completed_on: String,
    notes: String,
    errors: Vec<FieldError>,
) -> Result<MyTrainingPage, ApiError> {
    let reader = s.app.store.org(&p.organisation.id);
    let done = reader
        .training_of(&p.user_id, id)
        .await?
        .ok_or(pawl_store::StoreError::NotFound {
            entity: "training you are asked to complete",
        })?;
    Ok(MyTrainingPage {
        shell: Shell::new(s, p, "my-work").await?,
        training: reader.record(&TRAINING, id).await?,
        done,
        completed_on,
        notes,
        errors,
    })
}

/// A course as its trainee reads it, with the way to say it is done.
async fn my_training(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<String>) -> PageResult {
    let today = pawl_app::today().to_string();
    Ok(render(
        &my_training_page(&s, &p, &id, today, String::new(), Vec::new()).await?,
    ))
}

async fn my_training_done(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    let (on, notes) = (field(&form, "completed_on"), field(&form, "notes"));
    match pawl_app::context::complete_own(&s.app.store, &p, &id, on, notes).await {
        Ok(_) => Ok(Redirect::to("/my-work").into_response()),
        Err(pawl_app::AppError::Invalid(pawl_domain::DomainError::Invalid(errors))) => {
            let page = my_training_page(&s, &p, &id, on.to_owned(), notes.to_owned(), errors).await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

async fn children(
    s: &AppState,
    p: &Principal,
    kind: &'static pawl_domain::register::Kind,
    field: &str,
    id: &str,
) -> Result<pawl_store::Page<Record>, ApiError> {
    let f = pawl_app::register::filter(kind, &[(field.to_owned(), id.to_owned())])?;
    Ok(s.app
        .store
        .org(&p.organisation.id)
        .records(
            kind,
            &f,
            &ListQuery {
                limit: Some(50),
                ..Default::default()
            },
        )
        .await?)
}

/// What a supplier's page adds: its reviews and failures.
pub(crate) async fn supplier_sections(s: &AppState, p: &Principal, r: &Record) -> Result<Vec<Section>, ApiError> {
    let reviews = s.app.store.org(&p.organisation.id).supplier_reviews(&r.id).await?;
    let failures = children(s, p, &SUPPLIER_FAILURE, "supplier_id", &r.id).await?;
    let review_href = format!("/suppliers/{}/review", r.id);
    Ok(vec![
        Section {
            title: format!("Due-diligence reviews ({})", reviews.len()),
            empty: format!(
                "Never reviewed; due {}.",
                Some(fields::supplier::NEXT_REVIEW.text(&r.values))
                    .filter(|d| !d.is_empty())
                    .unwrap_or_else(|| "now".into())
            ),
            lines: reviews
                .iter()
                .map(|v| {
                    (
                        review_href.clone(),
                        format!(
                            "{}: {} — {}",
                            v.reviewed_on,
                            choice_label(REVIEW_RESULTS, &v.result),
                            v.notes
                        ),
                    )
                })
                .collect(),
            action: p
                .can(Permission::WriteIsms)
                .then(|| ("Record a review".to_owned(), review_href.clone())),
        },
        Section {
            title: format!("Failures ({})", failures.total),
            empty: "No failure recorded.".into(),
            lines: failures
                .items
                .iter()
                .map(|f| (format!("/supplier-failures/{}", f.id), f.title()))
                .collect(),
            action: p.can(Permission::WriteIsms).then(|| {
                (
                    "Record a failure".to_owned(),
                    format!("/supplier-failures/new?supplier_id={}", r.id),
                )
            }),
        },
    ])
}

/// What an interested party's page adds: its requirements.
pub(crate) async fn party_sections(s: &AppState, p: &Principal, r: &Record) -> Result<Vec<Section>, ApiError> {
    let reqs = children(s, p, &REQUIREMENT, "party_id", &r.id).await?;
    Ok(vec![Section {
        title: format!("Requirements ({})", reqs.total),
        empty: "No requirement recorded yet.".into(),
        lines: reqs
            .items
            .iter()
            .map(|q| {
                let addressed = if fields::requirement::ADDRESSED.text(&q.values) == "addressed" {
                    "addressed"
                } else {
                    "not addressed yet"
                };
                (
                    format!("/requirements/{}", q.id),
                    format!(
                        "{} {} ({addressed})",
                        q.reference.clone().unwrap_or_default(),
                        q.title()
                    ),
                )
            })
            .collect(),
        action: p.can(Permission::WriteIsms).then(|| {
            (
                "Add a requirement".to_owned(),
                format!("/requirements/new?party_id={}", r.id),
            )
        }),
    }])
}

/// What a campaign's page adds: who completed it this round.
pub(crate) async fn training_sections(s: &AppState, p: &Principal, r: &Record) -> Result<Vec<Section>, ApiError> {
    let people = s.app.store.org(&p.organisation.id).trainees(&r.id).await?;
    let done = people.iter().filter(|t| t.completed_on.is_some()).count();
    let href = format!("/trainings/{}/completions", r.id);
    Ok(vec![Section {
        title: format!("Completion: {done} of {} people", people.len()),
        empty: "Its audience has no members yet.".into(),
        lines: people
            .iter()
            .filter(|t| t.completed_on.is_none())
            .take(50)
            .map(|t| (href.clone(), format!("{} has not completed it", t.email)))
            .collect(),
        action: Some(("Everyone, and every completion".into(), href)),
    }])
}

#[derive(Template)]
#[template(path = "supplier_review.html")]
struct ReviewPage {
    shell: Shell,
    supplier: Record,
    reviews: Vec<SupplierReview>,
    results: &'static [pawl_domain::register::Choice],
    can_write: bool,
    typed: Vec<(String, String)>,
    errors: Vec<FieldError>,
}

impl ReviewPage {
    fn err(&self, name: &str) -> Option<&str> {
        self.errors.iter().find(|e| e.field == name).map(|e| e.message.as_str())
    }

    fn typed(&self, name: &str) -> &str {
        field(&self.typed, name)
    }

    fn result_label<'a>(&self, code: &'a str) -> &'a str {
        choice_label(REVIEW_RESULTS, code)
    }
}

async fn review_page(
    s: &AppState,
    p: &Principal,
    id: &str,
    typed: Vec<(String, String)>,
    errors: Vec<FieldError>,
) -> Result<ReviewPage, ApiError> {
    let reader = s.app.store.org(&p.organisation.id);
    Ok(ReviewPage {
        shell: Shell::new(s, p, SUPPLIER.path).await?,
        supplier: reader.record(&SUPPLIER, id).await?,
        reviews: reader.supplier_reviews(id).await?,
        results: REVIEW_RESULTS,
        can_write: p.can(Permission::WriteIsms),
        typed,
        errors,
    })
}

async fn review_form(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<String>) -> PageResult {
    let typed = vec![("reviewed_on".to_owned(), pawl_app::today().to_string())];
    Ok(render(&review_page(&s, &p, &id, typed, Vec::new()).await?))
}

async fn review(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    let r = pawl_app::context::review_supplier(
        &s.app.store,
        &p,
        &id,
        field(&form, "reviewed_on"),
        field(&form, "result"),
        field(&form, "notes"),
        field(&form, "evidence"),
    )
    .await;
    match r {
        Ok(_) => Ok(Redirect::to(&format!("/suppliers/{id}?notice=Review+recorded.")).into_response()),
        Err(pawl_app::AppError::Invalid(pawl_domain::DomainError::Invalid(errors))) => {
            let page = review_page(&s, &p, &id, form, errors).await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "training_completions.html")]
struct CompletionsPage {
    shell: Shell,
    training: Record,
    people: Vec<Trainee>,
    done: usize,
    completions: Vec<Completion>,
    can_write: bool,
    typed: Vec<(String, String)>,
    errors: Vec<FieldError>,
}

impl CompletionsPage {
    fn err(&self, name: &str) -> Option<&str> {
        self.errors.iter().find(|e| e.field == name).map(|e| e.message.as_str())
    }

    fn typed(&self, name: &str) -> &str {
        field(&self.typed, name)
    }

    fn source_label(&self, code: &str) -> &'static str {
        match code {
            "import" => "Imported",
            "api" => "From the LMS",
            pawl_app::context::SELF_DECLARED => "Declared by the person",
            _ => "Entered",
        }
    }
}

async fn completions_page(
    s: &AppState,
    p: &Principal,
    id: &str,
    typed: Vec<(String, String)>,
    errors: Vec<FieldError>,
) -> Result<CompletionsPage, ApiError> {
    let reader = s.app.store.org(&p.organisation.id);
    let people = reader.trainees(id).await?;
    Ok(CompletionsPage {
        shell: Shell::new(s, p, TRAINING.path).await?,
        training: reader.record(&TRAINING, id).await?,
        done: people.iter().filter(|t| t.completed_on.is_some()).count(),
        people,
        completions: reader.completions(id, 200).await?,
        can_write: p.can(Permission::WriteIsms),
        typed,
        errors,
    })
}

async fn completions(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<String>) -> PageResult {
    let typed = vec![("completed_on".to_owned(), pawl_app::today().to_string())];
    Ok(render(&completions_page(&s, &p, &id, typed, Vec::new()).await?))
}

async fn complete(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    let input = pawl_app::context::CompletionInput {
        email: field(&form, "email"),
        completed_on: field(&form, "completed_on"),
        notes: field(&form, "notes"),
    };
    match pawl_app::context::complete(&s.app.store, &p, &id, input, "entered").await {
        Ok(_) => Ok(Redirect::to(&format!("/trainings/{id}/completions")).into_response()),
        Err(pawl_app::AppError::Invalid(pawl_domain::DomainError::Invalid(errors))) => {
            let page = completions_page(&s, &p, &id, form, errors).await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// A campaign's line in the training report.
struct CampaignRow {
    id: String,
    /// Its reference and title.
    title: String,
    due: String,
    required: i64,
    done: i64,
}

#[derive(Template)]
#[template(path = "training_report.html")]
struct ReportPage {
    shell: Shell,
    chart: String,
    /// The chart's figures, (`YYYY-MM`, completions), for those who cannot see it.
    months: Vec<(String, i64)>,
    rows: Vec<CampaignRow>,
    total: i64,
    /// The person looked up, with their completions: (campaign, date).
    person: Option<(String, Vec<(String, String)>)>,
}

#[derive(Deserialize, Default)]
struct ReportQuery {
    from: Option<String>,
    person: Option<String>,
}

/// Completion per campaign and over time, drawn on the server.
async fn report(State(s): State<AppState>, Auth(p): Auth, Query(q): Query<ReportQuery>) -> PageResult {
    let org = &p.organisation.id;
    let months = pawl_app::context::monthly(&s.app.store, org, None, q.from.as_deref()).await?;
    let reader = s.app.store.org(org);
    let active = pawl_app::register::filter(&TRAINING, &[("status".into(), "active".into())])?;
    let campaigns = reader
        .records(
            &TRAINING,
            &active,
            &ListQuery {
                limit: Some(100),
                skip_total: true,
                ..Default::default()
            },
        )
        .await?;
    let ids: Vec<String> = campaigns.items.iter().map(|c| c.id.clone()).collect();
    let progress = reader.training_progress(&ids).await?;
    let rows = campaigns
        .items
        .into_iter()
        .map(|c| {
            let (required, done) = progress
                .iter()
                .find(|(id, ..)| *id == c.id)
                .map_or((0, 0), |(_, r, d)| (*r, *d));
            CampaignRow {
                title: c.title(),
                due: fields::training::DUE_DATE.text(&c.values),
                required,
                done,
                id: c.id,
            }
        })
        .collect();
    let person = match q.person.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        None => None,
        Some(email) => {
            let done = reader.completions_of(&email.to_lowercase(), 200).await?;
            Some((
                email.to_owned(),
                done.into_iter()
                    .map(|(c, reference, title)| (format!("{reference} {title}"), c.completed_on))
                    .collect(),
            ))
        }
    };
    Ok(render(&ReportPage {
        person,
        shell: Shell::new(&s, &p, "training-report").await?,
        total: months.iter().map(|(_, n)| n).sum(),
        chart: pawl_reports::svg::monthly_bars("Training completions per month", &months),
        months,
        rows,
    }))
}
