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
