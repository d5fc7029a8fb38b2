use actix_web::{post, web};

use crate::error::ApiError;
use crate::services::models::{self, Reloaded};
use crate::state::AppState;

#[utoipa::path(
    operation_id = "reloadModel",
    tag = "admin",
    responses(
        (status = 200, description = "The engine now runs the version `current` points at", body = Reloaded),
        (status = 500, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/admin/reload-model")]
#[tracing::instrument(name = "admin.reload_model", skip_all)]
pub async fn reload_model(state: web::Data<AppState>) -> Result<web::Json<Reloaded>, ApiError> {
    Ok(web::Json(models::switch_model(&state.services).await?))
}
