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
    routes::teams::ratings,
    routes::teams::season,
    routes::seasons::standings,
    routes::seasons::odds,
    routes::seasons::what_if,
    routes::seasons::odds_leverage,
    routes::seasons::rooting,
    routes::provenance::odds_run,
    routes::games::list,
    routes::games::get,
    routes::games::upcoming,
    routes::games::this_week,
    routes::games::create,
    routes::games::record_result,
    routes::predictions::create_for_game,
    routes::predictions::list_for_game,
    routes::predictions::history,
    routes::predictions::get,
    routes::provenance::prediction,
    routes::provenance::game,
    routes::ingest::status,
    routes::quality::leaderboard,
    routes::quality::calibration,
    routes::quality::categories,
))]
struct V1;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "nfl-predictor",
        description = "NFL game predictions from sixteen expert models (and the betting market, for games with lines) and a learned consensus, with full provenance: every prediction records the memories (past games and patterns) that shaped it.",
        license(name = "MIT")
    ),
    paths(
        routes::health::health,
        routes::health::livez,
        routes::health::readyz,
        routes::health::metrics,
        routes::admin::reload_model,
        routes::ingest::run_now
    ),
    nest((path = "/api/v1", api = V1)),
    components(schemas(crate::error::Problem, graph::RowError)),
    modifiers(&SecurityAddon),
    tags(
        (name = "experts", description = "The forecasting experts: sixteen models and the market"),
        (name = "teams", description = "Franchises and historical clubs"),
        (name = "seasons", description = "Standings and playoff seeds by the league's tie-breaking procedures; playoff odds from the simulated rest of a season"),
        (name = "games", description = "Games, past and upcoming"),
        (name = "predictions", description = "Forecasts and their provenance"),
        (name = "quality", description = "Walk-forward scores and calibration of every expert"),
        (name = "operations", description = "Health and metrics"),
        (name = "admin", description = "Model operations"),
    )
)]
pub struct ApiDoc;

/// Declares the X-API-Key header scheme, applies it (with its 401/403/429 answers) to every
/// `/api/v1` and `/admin` route, and tightens parameter schemas to what the handlers accept.
struct SecurityAddon;

fn string_pattern(p: &str) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(p))
        .into()
}

fn integer(min: i64, max: i64) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(min as f64))
        .maximum(Some(max as f64))
        .into()
}

const GAME_ID: &str = "^[A-Z][A-Z0-9]{1,3}_[A-Z][A-Z0-9]{1,3}_(19[2-9][0-9]|20[0-9][0-9])_W([1-9]|[12][0-9]|30)(_G[2-9])?$";

impl utoipa::Modify for SecurityAddon {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityRequirement, SecurityScheme};
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(
                "api_key",
                SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-API-Key"))),
            );
        let problem = |desc: &str| {
            ResponseBuilder::new()
                .description(desc)
                .content(
                    "application/problem+json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Problem")))
                        .build(),
                )
                .build()
        };
        let categories = format!("^({})$", forecast::Category::ALL.map(|c| c.id()).join("|"));
        for (path, item) in openapi.paths.paths.iter_mut() {
            let secured = path.starts_with("/api/v1") || path.starts_with("/admin");
            let id_pattern = if path.starts_with("/api/v1/games/") {
                Some(GAME_ID)
            } else if path.starts_with("/api/v1/experts/") {
                Some("^[a-z_]{2,32}$")
            } else if path.starts_with("/api/v1/teams/") {
                Some("^[A-Za-z][A-Za-z0-9]{1,3}$")
            } else if path.starts_with("/api/v1/predictions/") {
                Some("^[A-Za-z0-9_.:-]{1,128}$")
            } else {
                None
            };
            for op in [&mut item.get, &mut item.post].into_iter().flatten() {
                if secured {
                    op.security = Some(vec![SecurityRequirement::new(
                        "api_key",
                        Vec::<String>::new(),
                    )]);
                    let r = &mut op.responses.responses;
                    r.insert("401".into(), problem("No X-API-Key header").into());
                    r.insert(
                        "403".into(),
                        problem("Invalid or revoked key, or insufficient scope").into(),
                    );
                    r.insert(
                        "429".into(),
                        problem("Rate limited; see Retry-After").into(),
                    );
                    r.entry("400".into())
                        .or_insert_with(|| problem("Malformed request").into());
                    if op.request_body.is_some() {
                        r.insert("413".into(), problem("Body larger than 64 KiB").into());
                    }
                }
                for param in op.parameters.iter_mut().flatten() {
                    let schema = match param.name.as_str() {
                        "id" => id_pattern.map(string_pattern),
                        "page" => Some(integer(1, 1_000_000)),
                        "per_page" => Some(integer(1, 500)),
                        "season" => Some(integer(1920, 2100)),
                        "week" => Some(integer(1, 30)),
                        "team" => Some(string_pattern("^[A-Za-z][A-Za-z0-9]{1,3}$")),
                        "category" => Some(string_pattern(&categories)),
                        "include_inactive" => {
                            Some(ObjectBuilder::new().schema_type(Type::Boolean).into())
                        }
                        _ => None,
                    };
                    if let Some(s) = schema {
                        param.schema = Some(s);
                    }
                }
            }
        }
    }
}

/// Methods the API serves on a route pattern (e.g. `GET, POST`), from the OpenAPI document.
pub fn allowed_methods(pattern: &str) -> Option<String> {
    static TABLE: std::sync::LazyLock<std::collections::HashMap<String, String>> =
        std::sync::LazyLock::new(|| {
            ApiDoc::openapi()
                .paths
                .paths
                .into_iter()
                .map(|(path, item)| {
                    let mut m = Vec::new();
                    if item.get.is_some() {
                        m.push("GET");
                        m.push("HEAD");
                    }
                    if item.post.is_some() {
                        m.push("POST");
                    }
                    if item.put.is_some() {
                        m.push("PUT");
                    }
                    (path, m.join(", "))
                })
                .collect()
        });
    TABLE.get(pattern).cloned()
}
