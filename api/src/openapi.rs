use utoipa::OpenApi;

use crate::routes;

/// The versioned API, mounted under `/api/v1`.
#[derive(OpenApi)]
#[openapi(paths(
    routes::experts::list,
    routes::experts::get,
    routes::experts::predictions,
    routes::teams::list,
    routes::teams::get,
    routes::games::list,
    routes::games::get,
    routes::games::create,
    routes::predictions::create_for_game,
    routes::predictions::list_for_game,
    routes::predictions::history,
    routes::predictions::get,
    routes::predictions::provenance,
))]
struct V1;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "nfl-predictor",
        description = "NFL game predictions from fifteen expert models and a learned consensus, with full provenance: every prediction records the memories (past games and patterns) that shaped it.",
        license(name = "MIT")
    ),
    paths(routes::health::health, routes::health::metrics, routes::admin::reload_model),
    nest((path = "/api/v1", api = V1)),
    components(schemas(crate::error::Problem, graph::RowError)),
    modifiers(&SecurityAddon),
    tags(
        (name = "experts", description = "The fifteen forecasting experts"),
        (name = "teams", description = "Franchises and historical clubs"),
        (name = "games", description = "Games, past and upcoming"),
        (name = "predictions", description = "Forecasts and their provenance"),
        (name = "operations", description = "Health and metrics"),
        (name = "admin", description = "Model operations"),
    )
)]
pub struct ApiDoc;

/// Declares the X-API-Key header scheme and applies it to every `/api/v1` and `/admin` route.
struct SecurityAddon;

impl utoipa::Modify for SecurityAddon {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityRequirement, SecurityScheme};
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(
                "api_key",
                SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-API-Key"))),
            );
        for (path, item) in openapi.paths.paths.iter_mut() {
            if path.starts_with("/api/v1") || path.starts_with("/admin") {
                for op in [&mut item.get, &mut item.post].into_iter().flatten() {
                    op.security = Some(vec![SecurityRequirement::new(
                        "api_key",
                        Vec::<String>::new(),
                    )]);
                }
            }
        }
    }
}
