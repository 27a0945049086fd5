//! The ISO/IEC 27001:2022 catalog: clauses and Annex A controls.

use crate::error::{ApiError, ApiResult, Problem};
use crate::response::{list_of, ListBody};
use axum::extract::{Path, Query};
use axum::Json;
use pawl_domain::catalog::{AnnexAControl, AttributeFamily, Catalog, Clause, Theme};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct AnnexControlOut {
    /// `5.1` ... `8.34`.
    pub id: String,
    /// `A.5.1` ...
    pub annex_ref: String,
    pub title: String,
    /// Organizational, People, Physical or Technological.
    pub theme: String,
    pub new_in_2022: bool,
    /// ISO/IEC 27002:2022 attributes (informative).
    pub attributes: AttributesOut,
}

#[derive(Serialize, ToSchema)]
pub struct AttributesOut {
    pub control_type: Vec<String>,
    pub security_properties: Vec<String>,
    pub cybersecurity_concepts: Vec<String>,
    pub operational_capabilities: Vec<String>,
    pub security_domains: Vec<String>,
}

impl From<&AnnexAControl> for AnnexControlOut {
    fn from(c: &AnnexAControl) -> Self {
        let a = &c.attributes;
        AnnexControlOut {
            id: c.id.clone(),
            annex_ref: c.annex_ref(),
            title: c.title.clone(),
            theme: c.theme.as_str().into(),
            new_in_2022: c.new_in_2022,
            attributes: AttributesOut {
                control_type: a.control_type.clone(),
                security_properties: a.security_properties.clone(),
                cybersecurity_concepts: a.cybersecurity_concepts.clone(),
                operational_capabilities: a.operational_capabilities.clone(),
                security_domains: a.security_domains.clone(),
            },
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ClauseOut {
    pub id: String,
    pub parent: Option<String>,
    pub level: u8,
    pub title: String,
    /// The documented information the clause asks for, paraphrased.
    pub documented_information: Option<String>,
}

impl From<&Clause> for ClauseOut {
    fn from(c: &Clause) -> Self {
        ClauseOut {
            id: c.id.clone(),
            parent: c.parent.clone(),
            level: c.level,
            title: c.title.clone(),
            documented_information: c.documented_information.clone(),
        }
    }
}

list_of!(AnnexControlList, AnnexControlOut);
list_of!(ClauseList, ClauseOut);

#[derive(Debug, Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct ControlFilter {
    /// Organizational, People, Physical or Technological.
    pub theme: Option<String>,
    /// An attribute family: control_type, security_properties,
    /// cybersecurity_concepts, operational_capabilities or security_domains.
    pub attribute: Option<String>,
    /// The value the attribute must hold, e.g. `Preventive`.
    pub value: Option<String>,
}

/// A theme and an attribute value to match, either optional.
pub type CatalogFilter<'a> = (Option<Theme>, Option<(AttributeFamily, &'a str)>);

impl ControlFilter {
    /// Turns the query into catalog terms, naming each bad field.
    pub fn parse(&self) -> Result<CatalogFilter<'_>, ApiError> {
        let mut errors = Vec::new();
        let theme = match self.theme.as_deref().filter(|t| !t.is_empty()) {
            None => None,
            Some(t) => Theme::parse(t).or_else(|| {
                errors.push(pawl_domain::FieldError::new(
                    "theme",
                    "use Organizational, People, Physical or Technological",
                ));
                None
            }),
        };
        let attribute = match (
            self.attribute.as_deref().filter(|a| !a.is_empty()),
            self.value.as_deref().filter(|v| !v.is_empty()),
        ) {
            (None, None) => None,
            (Some(a), Some(v)) => match AttributeFamily::parse(a) {
                Some(f) => Some((f, v)),
                None => {
                    errors.push(pawl_domain::FieldError::new(
                        "attribute",
                        "use control_type, security_properties, cybersecurity_concepts, operational_capabilities or security_domains",
                    ));
                    None
                }
            },
            (Some(_), None) => {
                errors.push(pawl_domain::FieldError::new(
                    "value",
                    "give the attribute value to match",
                ));
                None
            }
            (None, Some(_)) => {
                errors.push(pawl_domain::FieldError::new(
                    "attribute",
                    "name the attribute family the value belongs to",
                ));
                None
            }
        };
        if errors.is_empty() {
            Ok((theme, attribute))
        } else {
            Err(ApiError::invalid(errors))
        }
    }
}

/// The 93 Annex A controls, filterable by theme and by attribute value.
#[utoipa::path(get, path = "/api/v1/catalog/iso27001-2022/annex-a", tag = "catalog", params(ControlFilter),
    responses((status = 200, body = AnnexControlList), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn annex_a_list(Query(f): Query<ControlFilter>) -> ApiResult<Json<AnnexControlList>> {
    let (theme, attribute) = f.parse()?;
    Ok(Json(AnnexControlList::whole(
        Catalog::get()
            .filter(theme, attribute)
            .map(AnnexControlOut::from)
            .collect(),
    )))
}

/// One Annex A control, by `5.1` or `A.5.1`.
#[utoipa::path(get, path = "/api/v1/catalog/iso27001-2022/annex-a/{id}", tag = "catalog",
    params(("id" = String, Path, description = "Control id, e.g. 5.1 or A.5.1")),
    responses((status = 200, body = AnnexControlOut), (status = 404, body = Problem)))]
pub async fn annex_a_get(Path(id): Path<String>) -> ApiResult<Json<AnnexControlOut>> {
    Catalog::get()
        .control(&id)
        .map(|c| Json(AnnexControlOut::from(c)))
        .ok_or_else(|| ApiError::not_found(&format!("Annex A control {id:?}")))
}

/// Clauses 4 to 10 with their sub-clauses.
#[utoipa::path(get, path = "/api/v1/catalog/iso27001-2022/clauses", tag = "catalog",
    responses((status = 200, body = ClauseList), (status = 401, body = Problem)))]
pub async fn clauses_list() -> Json<ClauseList> {
    Json(ClauseList::whole(
        Catalog::get().clauses.iter().map(ClauseOut::from).collect(),
    ))
}

/// One clause, by id such as `6.1.2`.
#[utoipa::path(get, path = "/api/v1/catalog/iso27001-2022/clauses/{id}", tag = "catalog",
    params(("id" = String, Path, description = "Clause id, e.g. 6.1.2")),
    responses((status = 200, body = ClauseOut), (status = 404, body = Problem)))]
pub async fn clause_get(Path(id): Path<String>) -> ApiResult<Json<ClauseOut>> {
    Catalog::get()
        .clause(&id)
        .map(|c| Json(ClauseOut::from(c)))
        .ok_or_else(|| ApiError::not_found(&format!("clause {id:?}")))
}
