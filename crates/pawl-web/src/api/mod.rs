//! The JSON API under `/api/v1`. Each handler declares its OpenAPI
//! operation beside it, so the document cannot drift from the routes.

pub(crate) mod audit;
pub(crate) mod calendar;
pub(crate) mod catalog;
pub(crate) mod context;
pub(crate) mod control;
pub(crate) mod document;
pub(crate) mod identity;
pub(crate) mod improvement;
pub(crate) mod internal_audit;
pub(crate) mod nonconformity;
pub(crate) mod notify;
pub(crate) mod performance;
pub(crate) mod register;
pub(crate) mod risk;
mod system;

use crate::error::{Problem, ProblemField};
use crate::AppState;
pub(crate) use catalog::ControlFilter;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "pawl API",
        description = "The JSON API of pawl, an ISMS for ISO/IEC 27001:2022. Errors are RFC 9457 problem documents; lists share one shape: items, total and next_cursor.",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    components(schemas(Problem, ProblemField)),
    modifiers(&Security),
    security(("bearer" = []), ("session" = [])),
    tags(
        (name = "system", description = "Health and the API document"),
        (name = "catalog", description = "ISO/IEC 27001:2022 clauses and Annex A controls"),
        (name = "organisation", description = "The organisation, its members and API tokens (clause 5.3)"),
        (name = "notifications", description = "What pawl tells people, in pawl and by e-mail, and password resets by e-mail (Annex A 5.17)"),
        (name = "audit", description = "The tamper-evident audit trail (clause 7.5.3)"),
        (name = "risk", description = "The risk method, assets and the risk register (clauses 6.1.2, 6.1.3, 8.2, 8.3)"),
        (name = "controls", description = "Applied controls, the Statement of Applicability (6.1.3 d), control checks (9.1), evidence and crosswalks"),
        (name = "documents", description = "Documented information: versions, approval, review, acknowledgement and the mandatory documents (clauses 5.2, 7.3, 7.5)"),
        (name = "audits", description = "Audit checklists, programme coverage, auditor objectivity and audit reports (clause 9.2)"),
        (name = "nonconformities", description = "Root-cause analysis, recurrence and closure of nonconformities, and verification of corrective actions (clause 10.2)"),
        (name = "organisation-context", description = "Suppliers' due-diligence reviews and training completions, per person and over time (clauses 7.2, 7.3, Annex A 5.22)"),
        (name = "performance", description = "Metric measurements pushed or computed (9.1), management review packs as JSON and PDF (9.3) and audit readiness"),
        (name = "improvement", description = "Continual improvement: the improvement board, incident timelines, lessons learned and ISMS cycles year over year (clause 10.1)"),
        (name = "registers", description = "Every register declared on the register machinery (assets, treatment actions, ...), typed links between any two records, and my work")
    )
)]
struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let c = openapi.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API token from `pawl token create` or the Tokens page"))
                    .build(),
            ),
        );
        c.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::auth::SESSION_COOKIE,
                "A browser session; state-changing calls also need the X-CSRF-Token header",
            ))),
        );
    }
}

/// The API's routes and its document; `upload_limit` bounds evidence
/// uploads, which may be far larger than any other request.
pub fn split(upload_limit: usize) -> (axum::Router<AppState>, utoipa::openapi::OpenApi) {
    let (routes, mut doc) = register::routes(router(upload_limit)).split_for_parts();
    register::document(&mut doc);
    problems(&mut doc);
    (routes, doc)
}

/// Every error answer is a problem document, sent as
/// `application/problem+json` (RFC 9457); the document says so for every
/// operation, and adds the answers any operation can give that handlers do
/// not list: a malformed request (400), input refused field by field (422,
/// control characters and bounds in queries too), for those with a body
/// one too large (413) or of a type not read (415), for those with a path
/// id a record that is not there (404), and for those taking `If-Match` a
/// stale version (412), and for all but the public ones no or a bad
/// credential (401) or a role without the permission (403). An error
/// answer that is a report of its own (an
/// import refused, with every problem by line) keeps its JSON, and may be
/// a problem document as well.
fn problems(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::ParameterIn;
    use utoipa::openapi::{Content, Ref, RefOr, ResponseBuilder};
    const PROBLEM: &str = "application/problem+json";
    let problem = |what: &str| {
        RefOr::T(
            ResponseBuilder::new()
                .description(what)
                .content(PROBLEM, Content::new(Some(Ref::from_schema_name("Problem"))))
                .build(),
        )
    };
    for (path, item) in doc.paths.paths.iter_mut() {
        let ops = [
            ("GET", &mut item.get),
            ("PUT", &mut item.put),
            ("POST", &mut item.post),
            ("DELETE", &mut item.delete),
            ("PATCH", &mut item.patch),
        ];
        for (method, op) in ops.into_iter() {
            let Some(op) = op else { continue };
            let public = method.parse().ok().and_then(|m| crate::policy::rule_for(&m, path))
                == Some(crate::policy::Rule::Public);
            let params = op.parameters.as_deref().unwrap_or_default();
            let has_path_id = params.iter().any(|p| p.parameter_in == ParameterIn::Path);
            let takes_if_match = params.iter().any(|p| p.name.eq_ignore_ascii_case("if-match"));
            let answers = &mut op.responses.responses;
            for (status, answer) in answers.iter_mut() {
                if let (true, RefOr::T(r)) = (status.starts_with('4') || status.starts_with('5'), answer) {
                    let is_problem =
                        |c: &Content| matches!(&c.schema, Some(RefOr::Ref(r)) if r.ref_location.ends_with("/Problem"));
                    match r.content.get("application/json") {
                        Some(c) if is_problem(c) => {
                            if let Some(c) = r.content.shift_remove("application/json") {
                                r.content.insert(PROBLEM.to_owned(), c);
                            }
                        }
                        Some(_) => {
                            r.content
                                .insert(PROBLEM.to_owned(), Content::new(Some(Ref::from_schema_name("Problem"))));
                        }
                        None => {}
                    }
                }
            }
            let has_body = op.request_body.is_some();
            let generic = [
                (
                    "400",
                    true,
                    "The request is malformed: its query, path or body cannot be read",
                ),
                ("422", true, "A value is refused; the problem names the field"),
                ("401", !public, "No valid token or session"),
                ("403", !public, "The caller's role does not allow this"),
                ("404", has_path_id, "No such record in this organisation"),
                (
                    "412",
                    takes_if_match,
                    "The record changed since the version named in If-Match",
                ),
                (
                    "428",
                    takes_if_match,
                    "The organisation requires If-Match and none was sent",
                ),
                ("413", has_body, "The body is larger than this server reads"),
                (
                    "415",
                    has_body,
                    "The body's content type is not one this operation reads",
                ),
            ];
            for (status, applies, what) in generic {
                if applies {
                    answers.entry(status.into()).or_insert_with(|| problem(what));
                }
            }
        }
    }
}

fn router(upload_limit: usize) -> OpenApiRouter<AppState> {
    let uploads = OpenApiRouter::new()
        .routes(routes!(control::evidence_list, control::evidence_create))
        .routes(routes!(document::version_upload))
        .layer(axum::extract::DefaultBodyLimit::max(upload_limit));
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(uploads)
        .routes(routes!(system::health))
        .routes(routes!(system::openapi_json))
        .routes(routes!(system::me, system::me_patch))
        .routes(routes!(catalog::annex_a_list))
        .routes(routes!(catalog::annex_a_get))
        .routes(routes!(catalog::clauses_list))
        .routes(routes!(catalog::clause_get))
        .routes(routes!(identity::organisation_get, identity::organisation_patch))
        .routes(routes!(identity::members_list, identity::member_create))
        .routes(routes!(identity::invitations_list))
        .routes(routes!(identity::invite_many))
        .routes(routes!(identity::invitation_revoke))
        .routes(routes!(identity::my_invitations))
        .routes(routes!(identity::my_invitation_answer))
        .routes(routes!(identity::my_password_change))
        .routes(routes!(calendar::list, calendar::renew))
        .routes(routes!(calendar::revoke))
        .routes(routes!(notify::mine))
        .routes(routes!(notify::read_all))
        .routes(routes!(notify::read_one))
        .routes(routes!(notify::outbox))
        .routes(routes!(notify::retry))
        .routes(routes!(notify::reset_request))
        .routes(routes!(notify::reset_complete))
        .routes(routes!(
            identity::member_get,
            identity::member_patch,
            identity::member_delete
        ))
        .routes(routes!(identity::tokens_list, identity::token_create))
        .routes(routes!(identity::token_revoke))
        .routes(routes!(internal_audit::checklist))
        .routes(routes!(internal_audit::assess))
        .routes(routes!(internal_audit::coverage))
        .routes(routes!(internal_audit::objectivity))
        .routes(routes!(internal_audit::report_xlsx))
        .routes(routes!(context::supplier_reviews, context::supplier_review))
        .routes(routes!(context::completions, context::complete))
        .routes(routes!(context::complete_own))
        .routes(routes!(context::monthly))
        .routes(routes!(context::person_completions))
        .routes(routes!(performance::measurements, performance::measure))
        .routes(routes!(performance::compute))
        .routes(routes!(performance::pack))
        .routes(routes!(performance::pack_pdf))
        .routes(routes!(performance::readiness))
        .routes(routes!(improvement::board))
        .routes(routes!(improvement::timeline, improvement::timeline_add))
        .routes(routes!(improvement::lesson_summary))
        .routes(routes!(improvement::cycle_status))
        .routes(routes!(improvement::cycle_compare))
        .routes(routes!(nonconformity::root_cause_get, nonconformity::root_cause_put))
        .routes(routes!(nonconformity::recurrences))
        .routes(routes!(nonconformity::ageing))
        .routes(routes!(nonconformity::closure))
        .routes(routes!(nonconformity::verifications_list, nonconformity::verify))
        .routes(routes!(document::versions_list, document::version_create))
        .routes(routes!(document::version_get, document::version_patch))
        .routes(routes!(document::version_transition))
        .routes(routes!(document::version_file))
        .routes(routes!(document::diff))
        .routes(routes!(document::tree))
        .routes(routes!(document::trace))
        .routes(routes!(document::acknowledgements, document::acknowledge))
        .routes(routes!(document::my_reading))
        .routes(routes!(document::ack_report))
        .routes(routes!(document::ack_export))
        .routes(routes!(document::reviews, document::review_create))
        .routes(routes!(document::mandatory))
        .routes(routes!(audit::events))
        .routes(routes!(audit::verify))
        .routes(routes!(audit::history))
        .routes(routes!(risk::method_get, risk::method_put))
        .routes(routes!(risk::method_versions))
        .routes(routes!(risk::risks_list, risk::risk_create))
        .routes(routes!(risk::risk_get, risk::risk_patch, risk::risk_delete))
        .routes(routes!(risk::risk_rescore))
        .routes(routes!(risk::risk_assessments))
        .routes(routes!(risk::risk_accept))
        .routes(routes!(risk::risk_acceptances))
        .routes(routes!(risk::heatmap))
        .routes(routes!(risk::register_as_of))
        .routes(routes!(risk::due))
        .routes(routes!(risk::export))
        .routes(routes!(risk::import))
        .routes(routes!(control::controls_list, control::control_create))
        .routes(routes!(
            control::control_get,
            control::control_patch,
            control::control_delete
        ))
        .routes(routes!(control::checks_list, control::check_create))
        .routes(routes!(control::results_list))
        .routes(routes!(control::result_create))
        .routes(routes!(control::checks_due))
        .routes(routes!(control::controls_export))
        .routes(routes!(control::checks_export))
        .routes(routes!(control::evidence_export))
        .routes(routes!(control::soa_get))
        .routes(routes!(control::soa_put))
        .routes(routes!(control::soa_versions, control::soa_approve))
        .routes(routes!(control::soa_compare))
        .routes(routes!(control::soa_export))
        .routes(routes!(control::evidence_get))
        .routes(routes!(control::evidence_versions))
        .routes(routes!(control::evidence_download))
        .routes(routes!(control::crosswalks_list))
        .routes(routes!(control::crosswalk_get, control::crosswalk_put))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::path::{Path, PathBuf};

    /// The names of the types a source file declares for the API document:
    /// those deriving `ToSchema`, and the lists `list_of!` declares.
    fn schema_names(text: &str) -> Vec<String> {
        let ident = |s: &str| -> String { s.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect() };
        let mut out = Vec::new();
        let mut derives = false;
        for line in text.lines().map(str::trim) {
            if line.starts_with("#[derive(") {
                derives = line.contains("ToSchema");
            } else if let Some(rest) = ["pub struct ", "struct ", "pub enum ", "enum "]
                .iter()
                .find_map(|p| line.strip_prefix(p))
            {
                // The macro's own `pub struct $name` names nothing yet.
                if derives && !rest.starts_with('$') {
                    out.push(ident(rest));
                }
                derives = false;
            } else if let Some(rest) = line
                .split("list_of!(")
                .nth(1)
                .filter(|_| !line.starts_with("macro_rules"))
            {
                if !rest.starts_with('$') {
                    out.push(ident(rest));
                }
            }
        }
        out
    }

    /// utoipa keys schemas by their type's name and keeps the last, so two
    /// response types of one name would merge in the API document without
    /// a word (it happened once): every schema type has a name of its own.
    #[test]
    fn every_schema_type_has_a_name_of_its_own() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files: Vec<PathBuf> = Vec::new();
        for dir in [root.clone(), root.join("api")] {
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                if p.extension().is_some_and(|x| x == "rs") {
                    files.push(p);
                }
            }
        }
        let mut seen: HashMap<String, PathBuf> = HashMap::new();
        for f in &files {
            for name in schema_names(&std::fs::read_to_string(f).unwrap()) {
                if let Some(other) = seen.insert(name.clone(), f.clone()) {
                    panic!("{name} is declared in {} and in {}", other.display(), f.display());
                }
            }
        }
        assert!(
            seen.contains_key("TrainingCompletionOut") && seen.contains_key("WorkList"),
            "{seen:?}"
        );
    }
}
