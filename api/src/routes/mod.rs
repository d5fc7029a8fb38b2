//! HTTP handlers: they convert requests into domain calls and shape the answers.

pub mod admin;
pub mod docs;
pub mod experts;
pub mod games;
pub mod health;
pub mod ingest;
pub mod predictions;
pub mod provenance;
pub mod quality;
pub mod seasons;
pub mod stream;
pub mod teams;
pub mod ui;

use actix_web::web;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiError;

/// Every route. `public_metrics` is false when `/metrics` lives on its own internal listener.
pub fn configure(cfg: &mut web::ServiceConfig, public_metrics: bool) {
    cfg.service(
        // Dynamic routes are matched one by one in this order: the hot reads come first.
        web::scope("/api/v1")
            .service(predictions::list_for_game)
            .service(predictions::create_for_game)
            .service(provenance::prediction)
            .service(provenance::game)
            .service(predictions::get)
            .service(experts::list)
            .service(experts::get)
            .service(experts::predictions)
            .service(teams::list)
            .service(teams::get)
            .service(teams::ratings)
            .service(teams::season)
            .service(seasons::standings)
            .service(seasons::odds)
            .service(seasons::what_if)
            .service(seasons::odds_leverage)
            .service(seasons::rooting)
            .service(provenance::odds_run)
            .service(games::list)
            .service(games::upcoming)
            .service(games::this_week)
            .service(games::create)
            .service(games::get)
            .service(games::record_result)
            .service(predictions::history)
            .service(quality::leaderboard)
            .service(quality::calibration)
            .service(quality::categories)
            .service(stream::stream)
            .service(ingest::status),
    )
    .service(admin::reload_model)
    .service(ingest::run_now)
    .service(health::health)
    .service(health::livez)
    .service(health::readyz)
    .service(docs::openapi_json)
    .service(docs::swagger_ui)
    .service(docs::swagger_asset)
    .service(ui::index)
    .service(ui::asset);
    if public_metrics {
        cfg.service(health::metrics);
    }
}

/// Parses an optional integer query parameter, naming it when it is not a number.
pub(crate) fn int_param(field: &'static str, v: &Option<String>) -> Result<Option<i64>, ApiError> {
    match v.as_deref().map(str::trim) {
        None => Ok(None),
        Some(s) => s.parse::<i64>().map(Some).map_err(|_| {
            ApiError::invalid(
                field,
                format!(
                    "'{}' is not an integer",
                    s.chars().take(20).collect::<String>()
                ),
            )
        }),
    }
}

pub(crate) fn date_param(
    field: &'static str,
    v: &Option<String>,
) -> Result<Option<chrono::NaiveDate>, ApiError> {
    match v.as_deref().map(str::trim) {
        None => Ok(None),
        Some(s) => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| {
                ApiError::invalid(
                    field,
                    format!(
                        "'{}' is not a date (YYYY-MM-DD)",
                        s.chars().take(20).collect::<String>()
                    ),
                )
            }),
    }
}

pub(crate) fn bool_param(field: &'static str, v: &Option<String>) -> Result<bool, ApiError> {
    match v.as_deref() {
        None | Some("false") | Some("0") => Ok(false),
        Some("true") | Some("1") => Ok(true),
        Some(_) => Err(ApiError::invalid(field, "must be true or false")),
    }
}

/// `201 Created` with a typed JSON body, and a `Location` when the new resource has its own URL.
pub struct Created<T> {
    body: T,
    location: Option<String>,
}

impl<T> Created<T> {
    pub fn new(body: T) -> Self {
        Self {
            body,
            location: None,
        }
    }

    pub fn at(location: String, body: T) -> Self {
        Self {
            body,
            location: Some(location),
        }
    }
}

impl<T: Serialize> actix_web::Responder for Created<T> {
    type Body = actix_web::body::BoxBody;

    fn respond_to(self, _: &actix_web::HttpRequest) -> actix_web::HttpResponse {
        let mut r = actix_web::HttpResponse::Created();
        if let Some(l) = self.location {
            r.insert_header((actix_web::http::header::LOCATION, l));
        }
        r.json(self.body)
    }
}

/// A complete collection.
#[derive(Serialize, ToSchema)]
pub struct List<T> {
    pub items: Vec<T>,
    pub total: u64,
}

/// One page of a collection.
#[derive(Serialize, ToSchema)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub total: u64,
    /// The page number asked for; 0 for a page asked by cursor (`after`).
    pub page: u32,
    pub per_page: u32,
    /// On collections that take `after`: the cursor of the next page, absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

impl<T> From<graph::Page<T>> for Paged<T> {
    fn from(p: graph::Page<T>) -> Self {
        Self {
            items: p.items,
            total: p.total,
            page: p.page,
            per_page: p.per_page,
            next: p.next.map(|c| c.to_string()),
        }
    }
}
