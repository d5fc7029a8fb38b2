use actix_web::{get, web};
use graph::{Cursor, Expert, ExpertId, PageRequest, Prediction};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{int_param, List, Paged};
use crate::error::ApiError;
use crate::services::catalog;
use crate::state::AppState;

/// The expert id of a path (`id`).
fn expert_id(id: &str) -> Result<ExpertId, ApiError> {
    ExpertId::parse(id).map_err(|_| {
        ApiError::invalid(
            "id",
            format!(
                "'{}' is not a valid id",
                id.chars().take(40).collect::<String>()
            ),
        )
    })
}

#[utoipa::path(
    operation_id = "listExperts",
    tag = "experts",
    responses((status = 200, description = "The sixteen experts and the market", body = List<Expert>))
)]
#[get("/experts")]
#[tracing::instrument(name = "experts.list", skip_all)]
pub async fn list(state: web::Data<AppState>) -> Result<web::Json<List<Expert>>, ApiError> {
    let items = catalog::list_experts(&state.services).await?;
    Ok(web::Json(List {
        total: items.len() as u64,
        items,
    }))
}

#[utoipa::path(
    operation_id = "getExpert",
    tag = "experts",
    params(("id" = String, Path, description = "Expert id, e.g. elo")),
    responses(
        (status = 200, body = Expert),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/experts/{id}")]
#[tracing::instrument(name = "experts.get", skip(state))]
pub async fn get(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<web::Json<Expert>, ApiError> {
    let id = expert_id(&id)?;
    Ok(web::Json(catalog::get_expert(&state.services, &id).await?))
}

#[derive(Deserialize, IntoParams)]
pub struct PageQuery {
    /// 1-based page number (default 1).
    pub page: Option<String>,
    /// Items per page, 1–500 (default 50).
    pub per_page: Option<String>,
}

impl PageQuery {
    pub fn parse(&self) -> Result<PageRequest, ApiError> {
        Ok(PageRequest::parse(
            int_param("page", &self.page)?,
            int_param("per_page", &self.per_page)?,
        )?)
    }
}

/// An expert's predictions, oldest first: by page number, or by cursor (`after`, the `next`
/// of the page before), which costs the same at any depth.
#[derive(Deserialize, IntoParams)]
pub struct ExpertPageQuery {
    /// 1-based page number (default 1); not with `after`.
    pub page: Option<String>,
    /// Items per page, 1–500 (default 50).
    pub per_page: Option<String>,
    /// Start just after this cursor: the `next` of the page before.
    pub after: Option<String>,
}

impl ExpertPageQuery {
    pub fn parse(&self) -> Result<(PageRequest, Option<Cursor>), ApiError> {
        let page = PageRequest::parse(
            int_param("page", &self.page)?,
            int_param("per_page", &self.per_page)?,
        )?;
        let after = match self.after.as_deref() {
            None => None,
            Some(_) if self.page.is_some() => {
                return Err(ApiError::invalid(
                    "after",
                    "a page is asked by number or by cursor, not both",
                ))
            }
            Some(c) => Some(Cursor::parse(c)?),
        };
        Ok((page, after))
    }
}

#[utoipa::path(
    operation_id = "listExpertPredictions",
    tag = "experts",
    params(("id" = String, Path, description = "Expert id"), ExpertPageQuery),
    responses(
        (status = 200, body = Paged<Prediction>),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/experts/{id}/predictions")]
#[tracing::instrument(name = "experts.predictions", skip(state, q))]
pub async fn predictions(
    state: web::Data<AppState>,
    id: web::Path<String>,
    q: web::Query<ExpertPageQuery>,
) -> Result<web::Json<Paged<Prediction>>, ApiError> {
    let id = expert_id(&id)?;
    let (page, after) = q.parse()?;
    let p = catalog::expert_predictions(&state.services, &id, page, after.as_ref()).await?;
    Ok(web::Json(Paged::from(p)))
}
