//! The pages of nonconformity and corrective action beyond the registers'
//! own (clause 10.2): what a nonconformity's page adds (its root cause,
//! actions, recurrence and what it needs to close), the root-cause
//! analysis with a view for each method, and the verification of a
//! corrective action's effectiveness.

use super::page::{field, render, PageResult, Shell};
use super::section::Section;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::extract::{Form, Path};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use axum::Router;
use pawl_app::nonconformity as service;
use pawl_app::Principal;
use pawl_domain::access::Permission;
use pawl_domain::nonconformity::{
    describe_key, fault_tree_text, parse_fault_tree, Barrier, BarrierState, Bone, FaultTree, Fishbone, FiveWhys,
    RootCauseAnalysis, Why,
};
use pawl_domain::register::fields;
use pawl_domain::register::{CAUSE_CATEGORIES, CORRECTIVE_ACTION, NONCONFORMITY};
use pawl_domain::FieldError;
use pawl_store::Record;

pub fn routes(router: Router<AppState>) -> Router<AppState> {
    router
        .route(
            "/nonconformities/{id}/root-cause",
            get(root_cause).post(save_root_cause),
        )
        .route("/corrective-actions/{id}/verify", get(verify_form).post(verify))
        .route("/ageing", get(ageing))
}

fn ca_state(code: &str) -> &'static str {
    CORRECTIVE_ACTION.workflow.map_or("", |w| w.label(code))
}

/// What a nonconformity's page adds to the register's record page.
pub(crate) async fn nc_sections(s: &AppState, p: &Principal, r: &Record) -> Result<Vec<Section>, ApiError> {
    let reader = s.app.store.org(&p.organisation.id);
    let analysis = reader.root_cause(&r.id).await?;
    let filter = pawl_app::register::filter(&CORRECTIVE_ACTION, &[("nonconformity_id".into(), r.id.clone())])?;
    let actions = reader
        .records(
            &CORRECTIVE_ACTION,
            &filter,
            &pawl_store::ListQuery {
                limit: Some(100),
                ..Default::default()
            },
        )
        .await?;
    let recurrences = reader.recurrences(&r.id).await?;
    let can_write = p.can(NONCONFORMITY.write);
    let closed = r.status.as_deref() == Some("closed");
    let mut sections = vec![Section {
        title: "Root cause".into(),
        empty: "No root cause recorded yet. Analyse it (5 whys, fishbone, fault tree or barrier analysis) before the action plan is approved.".into(),
        lines: analysis
            .as_ref()
            .filter(|a| !a.analysis.statement.is_empty())
            .map(|a| {
                let category = CAUSE_CATEGORIES
                    .iter()
                    .find(|c| c.code == a.analysis.category)
                    .map_or("", |c| c.label);
                vec![(
                    format!("/nonconformities/{}/root-cause", r.id),
                    format!(
                        "{} ({category}; by {})",
                        a.analysis.statement,
                        a.analysis.methods().join(", ")
                    ),
                )]
            })
            .unwrap_or_default(),
        action: Some((
            if analysis.is_some() { "See the analysis" } else { "Analyse the root cause" }.into(),
            format!("/nonconformities/{}/root-cause", r.id),
        )),
    }];
    sections.push(Section {
        title: format!("Corrective actions ({})", actions.total),
        empty: "No corrective action yet. Plan what removes the cause, with how its effectiveness will be judged."
            .into(),
        lines: actions
            .items
            .iter()
            .map(|a| {
                (
                    format!("/corrective-actions/{}", a.id),
                    format!(
                        "{} · {}{}",
                        a.title(),
                        ca_state(a.status.as_deref().unwrap_or("")),
                        a.due().map(|d| format!(" · due {d}")).unwrap_or_default()
                    ),
                )
            })
            .collect(),
        action: (can_write && !closed).then(|| {
            (
                "Plan a corrective action".into(),
                format!(
                    "/corrective-actions/new?nonconformity_id={}",
                    r.reference.clone().unwrap_or_default()
                ),
            )
        }),
    });
    sections.push(Section {
        title: format!("Recurs with ({})", recurrences.len()),
        empty: "No other nonconformity on the same clause or Annex A control within 12 months.".into(),
        lines: recurrences
            .iter()
            .map(|x| {
                (
                    format!("/nonconformities/{}", x.id),
                    format!(
                        "{} {} · {} · same {}",
                        x.reference,
                        x.title,
                        x.detected_on,
                        describe_key(&x.key)
                    ),
                )
            })
            .collect(),
        action: None,
    });
    if !closed {
        let gaps = service::closure_check(&s.app.store, &p.organisation.id, r).await?;
        sections.push(Section {
            title: "Before it can close".into(),
            empty: "Nothing is missing: every action is verified effective and the change to the ISMS is linked."
                .into(),
            lines: gaps.into_iter().map(|g| ("#links".to_owned(), g)).collect(),
            action: None,
        });
    }
    Ok(sections)
}

/// What a corrective action's page adds: its verifications.
pub(crate) async fn ca_sections(s: &AppState, p: &Principal, r: &Record) -> Result<Vec<Section>, ApiError> {
    let reader = s.app.store.org(&p.organisation.id);
    let verifications = reader.verifications(&r.id).await?;
    let can_verify = p.can(Permission::RecordAuditResults) && r.status.as_deref() == Some("implemented");
    Ok(vec![Section {
        title: format!("Verification of effectiveness ({})", verifications.len()),
        empty: format!(
            "Not verified yet. Once it is implemented, someone other than its implementer checks it against its criteria{}.",
            match fields::corrective_action::VERIFY_NOT_BEFORE.text(&r.values) {
                d if d.is_empty() => String::new(),
                d => format!(", from {d}"),
            }
        ),
        lines: verifications
            .iter()
            .map(|v| {
                (
                    format!("/corrective-actions/{}/verify", r.id),
                    format!(
                        "{} by {}: {} — {}",
                        v.verified_on,
                        v.verifier,
                        if v.result == "effective" { "Effective" } else { "Not effective" },
                        v.notes
                    ),
                )
            })
            .collect(),
        action: can_verify.then(|| ("Verify its effectiveness".into(), format!("/corrective-actions/{}/verify", r.id))),
    }])
}

/// A row of the 5 whys form.
struct WhyRow {
    why: String,
    because: String,
}

/// A fishbone category with its causes, one a line.
struct BoneRow {
    category: String,
    causes: String,
}

struct BarrierRow {
    barrier: String,
    expected: String,
    state: String,
    why: String,
}

#[derive(Template)]
#[template(path = "nonconformity_root_cause.html")]
struct RootCausePage {
    shell: Shell,
    nc: Record,
    statement: String,
    category: String,
    categories: &'static [pawl_domain::register::Choice],
    why_problem: String,
    whys: Vec<WhyRow>,
    fish_problem: String,
    bones: Vec<BoneRow>,
    tree: String,
    barriers: Vec<BarrierRow>,
    states: [(&'static str, &'static str); 4],
    fishbone_svg: Option<String>,
    fault_tree_svg: Option<String>,
    saved: Option<RootCauseAnalysis>,
    can_write: bool,
    errors: Vec<FieldError>,
    notice: Option<String>,
}

impl RootCausePage {
    fn err(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| {
                e.field == field
                    || e.field.starts_with(&format!("{field}."))
                    || e.field.starts_with(&format!("{field}["))
            })
            .map(|e| e.message.as_str())
    }

    fn barrier_label(&self, b: &Barrier) -> &'static str {
        b.state.label()
    }
}

const STATES: [(&str, &str); 4] = [
    ("missing", "Missing"),
    ("failed", "Failed"),
    ("weak", "Weak"),
    ("worked", "Worked"),
];

/// Rows for the form: what is stored, then blank rows to add to.
fn page_of(
    shell: Shell,
    nc: Record,
    a: &RootCauseAnalysis,
    saved: Option<RootCauseAnalysis>,
    can_write: bool,
    errors: Vec<FieldError>,
) -> RootCausePage {
    let mut whys: Vec<WhyRow> = a
        .five_whys
        .iter()
        .flat_map(|w| &w.whys)
        .map(|w| WhyRow {
            why: w.why.clone(),
            because: w.because.clone(),
        })
        .collect();
    while whys.len() < 5 {
        whys.push(WhyRow {
            why: String::new(),
            because: String::new(),
        });
    }
    let mut bones: Vec<BoneRow> = a
        .fishbone
        .iter()
        .flat_map(|f| &f.bones)
        .map(|b| BoneRow {
            category: b.category.clone(),
            causes: b.causes.join("\n"),
        })
        .collect();
    for c in CAUSE_CATEGORIES.iter().filter(|c| c.code != "other") {
        if !bones.iter().any(|b| b.category.eq_ignore_ascii_case(c.label)) {
            bones.push(BoneRow {
                category: c.label.to_owned(),
                causes: String::new(),
            });
        }
    }
    let mut barriers: Vec<BarrierRow> = a
        .barriers
        .iter()
        .map(|b| BarrierRow {
            barrier: b.barrier.clone(),
            expected: b.expected.clone(),
            state: serde_json::to_value(b.state)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            why: b.why.clone(),
        })
        .collect();
    while barriers.len() < a.barriers.len().max(3) + 1 {
        barriers.push(BarrierRow {
            barrier: String::new(),
            expected: String::new(),
            state: "missing".into(),
            why: String::new(),
        });
    }
    let shown = saved.as_ref();
    // A method's problem is the nonconformity itself until someone words it.
    let title = fields::nonconformity::TITLE.text(&nc.values);
    RootCausePage {
        shell,
        statement: a.statement.clone(),
        category: a.category.clone(),
        categories: CAUSE_CATEGORIES,
        why_problem: a
            .five_whys
            .as_ref()
            .map_or_else(|| title.clone(), |w| w.problem.clone()),
        whys,
        fish_problem: a.fishbone.as_ref().map_or(title, |f| f.problem.clone()),
        bones,
        tree: a
            .fault_tree
            .as_ref()
            .map(|t| fault_tree_text(&t.top))
            .unwrap_or_default(),
        barriers,
        states: STATES,
        fishbone_svg: shown.and_then(|a| a.fishbone.as_ref()).map(pawl_reports::svg::fishbone),
        fault_tree_svg: shown
            .and_then(|a| a.fault_tree.as_ref())
            .map(|t| pawl_reports::svg::fault_tree(&t.top)),
        saved,
        can_write,
        errors,
        notice: None,
        nc,
    }
}

async fn root_cause(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
) -> PageResult {
    let reader = s.app.store.org(&p.organisation.id);
    let nc = reader.record(&NONCONFORMITY, &id).await?;
    let saved = reader.root_cause(&id).await?.map(|a| a.analysis);
    let a = saved.clone().unwrap_or_default();
    let can_write = p.can(NONCONFORMITY.write) && nc.status.as_deref() != Some("closed");
    let shell = Shell::new(&s, &p, NONCONFORMITY.path).await?;
    let mut page = page_of(shell, nc, &a, saved, can_write, Vec::new());
    if q.as_deref() == Some("notice=saved") {
        page.notice = Some("Analysis saved.".into());
    }
    Ok(render(&page))
}

fn all<'a>(form: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    form.iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

/// The analysis a form describes; blank rows are left out, and a method
/// left wholly blank is not used.
fn analysis_of(form: &[(String, String)]) -> Result<RootCauseAnalysis, FieldError> {
    let whys: Vec<Why> = all(form, "why")
        .into_iter()
        .zip(all(form, "because"))
        .filter(|(w, b)| !w.trim().is_empty() || !b.trim().is_empty())
        .map(|(w, b)| Why {
            why: w.trim().into(),
            because: b.trim().into(),
        })
        .collect();
    let why_problem = field(form, "why_problem").trim();
    let bones: Vec<Bone> = all(form, "bone")
        .into_iter()
        .zip(all(form, "causes"))
        .map(|(c, causes)| Bone {
            category: c.trim().into(),
            causes: causes
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
        })
        .filter(|b| !b.causes.is_empty())
        .collect();
    let fish_problem = field(form, "fish_problem").trim();
    let tree =
        parse_fault_tree("fault_tree", field(form, "fault_tree")).map_err(|pawl_domain::DomainError::Invalid(e)| {
            e.into_iter()
                .next()
                .unwrap_or_else(|| FieldError::new("fault_tree", "unreadable"))
        })?;
    let barriers: Vec<Barrier> = all(form, "barrier")
        .into_iter()
        .zip(all(form, "expected"))
        .zip(all(form, "barrier_state"))
        .zip(all(form, "barrier_why"))
        .filter(|(((b, _), _), _)| !b.trim().is_empty())
        .map(|(((b, e), st), w)| {
            let state = match st {
                "failed" => BarrierState::Failed,
                "weak" => BarrierState::Weak,
                "worked" => BarrierState::Worked,
                _ => BarrierState::Missing,
            };
            Barrier {
                barrier: b.trim().into(),
                expected: e.trim().into(),
                state,
                why: w.trim().into(),
            }
        })
        .collect();
    Ok(RootCauseAnalysis {
        statement: field(form, "statement").trim().into(),
        category: field(form, "category").trim().into(),
        // The problems come filled in, so a method counts once it has content.
        five_whys: (!whys.is_empty()).then(|| FiveWhys {
            problem: why_problem.into(),
            whys,
        }),
        fishbone: (!bones.is_empty()).then(|| Fishbone {
            problem: fish_problem.into(),
            bones,
        }),
        fault_tree: tree.map(|top| FaultTree { top }),
        barriers,
    })
}

async fn save_root_cause(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    let refused = |a: RootCauseAnalysis, errors: Vec<FieldError>| {
        let (s, p, id) = (&s, &p, &id);
        async move {
            let reader = s.app.store.org(&p.organisation.id);
            let nc = reader.record(&NONCONFORMITY, id).await?;
            let saved = reader.root_cause(id).await?.map(|a| a.analysis);
            let shell = Shell::new(s, p, NONCONFORMITY.path).await?;
            Ok::<_, ApiError>(render(&page_of(shell, nc, &a, saved, true, errors)))
        }
    };
    let a = match analysis_of(&form) {
        Ok(a) => a,
        Err(e) => {
            // Keep what was typed: read the form again without the tree.
            let mut kept = form.clone();
            kept.retain(|(k, _)| k != "fault_tree");
            let a = analysis_of(&kept).unwrap_or_default();
            return Ok(refused(a, vec![e]).await?);
        }
    };
    match service::set_root_cause(&s.app.store, &p, &id, a.clone(), None).await {
        Ok(_) => Ok(Redirect::to(&format!("/nonconformities/{id}/root-cause?notice=saved")).into_response()),
        Err(pawl_app::AppError::Invalid(pawl_domain::DomainError::Invalid(errors))) => Ok(refused(a, errors).await?),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "corrective_action_verify.html")]
struct VerifyPage {
    shell: Shell,
    action: Record,
    nc_href: String,
    criteria: String,
    verifications: Vec<pawl_store::Verification>,
    can_verify: bool,
    result: String,
    notes: String,
    evidence: String,
    errors: Vec<FieldError>,
    refusal: Option<String>,
}

impl VerifyPage {
    fn err(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

async fn verify_page(
    s: &AppState,
    p: &Principal,
    id: &str,
    typed: (&str, &str, &str),
    errors: Vec<FieldError>,
    refusal: Option<String>,
) -> Result<VerifyPage, ApiError> {
    let reader = s.app.store.org(&p.organisation.id);
    let action = reader.record(&CORRECTIVE_ACTION, id).await?;
    Ok(VerifyPage {
        shell: Shell::new(s, p, CORRECTIVE_ACTION.path).await?,
        nc_href: format!(
            "/nonconformities/{}",
            fields::corrective_action::NONCONFORMITY_ID.text(&action.values)
        ),
        criteria: fields::corrective_action::EFFECTIVENESS_CRITERIA.text(&action.values),
        verifications: reader.verifications(id).await?,
        can_verify: p.can(Permission::RecordAuditResults) && action.status.as_deref() == Some("implemented"),
        action,
        result: typed.0.to_owned(),
        notes: typed.1.to_owned(),
        evidence: typed.2.to_owned(),
        errors,
        refusal,
    })
}

async fn verify_form(State(s): State<AppState>, Auth(p): Auth, Path(id): Path<String>) -> PageResult {
    Ok(render(
        &verify_page(&s, &p, &id, ("effective", "", ""), Vec::new(), None).await?,
    ))
}

async fn verify(
    State(s): State<AppState>,
    Auth(p): Auth,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> PageResult {
    let (result, notes, evidence) = (field(&form, "result"), field(&form, "notes"), field(&form, "evidence"));
    match service::verify(&s.app.store, &p, &id, result, notes, evidence).await {
        Ok((v, _)) => Ok(Redirect::to(&format!(
            "/corrective-actions/{id}?notice={}",
            super::admin::urlencode(if v.result == "effective" {
                "Verified effective."
            } else {
                "Recorded as not effective; the nonconformity is reopened for new actions."
            })
        ))
        .into_response()),
        Err(pawl_app::AppError::Invalid(pawl_domain::DomainError::Invalid(errors))) => Ok(render(
            &verify_page(&s, &p, &id, (result, notes, evidence), errors, None).await?,
        )),
        Err(pawl_app::AppError::Refused(why)) => Ok(render(
            &verify_page(&s, &p, &id, (result, notes, evidence), Vec::new(), Some(why)).await?,
        )),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_becomes_an_analysis_leaving_blank_rows_out() {
        let form: Vec<(String, String)> = [
            ("statement", "No restore schedule"),
            ("category", "process"),
            ("why_problem", "Restore failed"),
            ("why", "Why did it fail?"),
            ("because", "Key missing"),
            ("why", ""),
            ("because", ""),
            ("fish_problem", "Restore failed"),
            ("bone", "People"),
            ("causes", ""),
            ("bone", "Process"),
            ("causes", "No schedule\n\nNo owner"),
            ("fault_tree", "OR: Restore failed\n  Key missing\n  Archive corrupt"),
            ("barrier", "Restore test"),
            ("expected", "Catch it"),
            ("barrier_state", "weak"),
            ("barrier_why", "Yearly only"),
            ("barrier", ""),
            ("expected", ""),
            ("barrier_state", "missing"),
            ("barrier_why", ""),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        let a = analysis_of(&form).unwrap().check().unwrap();
        assert_eq!(a.five_whys.as_ref().unwrap().whys.len(), 1);
        assert_eq!(a.fishbone.as_ref().unwrap().bones.len(), 1);
        assert_eq!(
            a.fishbone.as_ref().unwrap().bones[0].causes,
            ["No schedule", "No owner"]
        );
        assert_eq!(a.fault_tree.as_ref().unwrap().top.children.len(), 2);
        assert_eq!(a.barriers.len(), 1);
        assert_eq!(a.barriers[0].state, BarrierState::Weak);
        let mut bad = form.clone();
        bad.retain(|(k, _)| k != "fault_tree");
        bad.push(("fault_tree".into(), "Top\n  Child".into()));
        assert_eq!(analysis_of(&bad).unwrap_err().field, "fault_tree");
    }
}

#[derive(Template)]
#[template(path = "nonconformity_ageing.html")]
struct AgeingPage {
    shell: Shell,
    today: String,
    nonconformities: Vec<pawl_store::AgeBucket>,
    actions: Vec<pawl_store::AgeBucket>,
}

/// How long nonconformities and corrective actions have been open, and
/// which are overdue: the lists are the registers filtered.
async fn ageing(State(s): State<AppState>, Auth(p): Auth) -> PageResult {
    let today = time::OffsetDateTime::now_utc().date();
    let (nonconformities, actions) = s.app.store.org(&p.organisation.id).ageing(today).await?;
    Ok(render(&AgeingPage {
        shell: Shell::new(&s, &p, "ageing").await?,
        today: today.to_string(),
        nonconformities,
        actions,
    }))
}
