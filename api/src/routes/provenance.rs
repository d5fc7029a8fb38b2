//! Provenance reads: a prediction's or a whole game forecast's, in the service's own graph
//! shape or in W3C PROV (PROV-JSON, PROV-N), chosen by `Accept` or `?format=`.

use actix_web::{get, http::header, web, HttpRequest, HttpResponse};
use graph::{PredictionId, Provenance};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::ApiError;
use crate::prov::{Document, Format};
use crate::services::games;
use crate::services::{cache_keys, provenance};
use crate::state::AppState;

#[derive(Deserialize, IntoParams)]
pub struct FormatQuery {
    /// `json` (the default), `prov-json` or `prov-n`; overrides `Accept` for clients that
    /// cannot set headers.
    pub format: Option<String>,
}

/// The format asked for: `?format=` first, else the `Accept` header (406 when it allows
/// none of ours).
fn format(req: &HttpRequest, q: &FormatQuery) -> Result<Format, ApiError> {
    if let Some(f) = q.format.as_deref() {
        return Format::parse(f)
            .ok_or_else(|| ApiError::invalid("format", "one of: json, prov-json, prov-n"));
    }
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok());
    Format::negotiate(accept).ok_or_else(|| {
        ApiError::NotAcceptable(
            Format::MEDIA_TYPES
                .iter()
                .map(|(m, _)| *m)
                .collect::<Vec<_>>()
                .join(", "),
        )
    })
}

fn prov_response(doc: &Document, f: Format) -> HttpResponse {
    let body = match f {
        Format::ProvN => doc.to_prov_n().into_bytes(),
        _ => doc.to_prov_json().to_string().into_bytes(),
    };
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, f.media_type()))
        .insert_header((header::VARY, "Accept"))
        .body(body)
}

#[utoipa::path(
    operation_id = "getPredictionProvenance",
    tag = "predictions",
    params(
        ("id" = String, Path, description = "Prediction id"),
        FormatQuery,
        ("Accept" = Option<String>, Header, description = "`application/json` (default), `application/prov+json` (PROV-JSON) or `text/provenance-notation` (PROV-N)"),
        ("If-None-Match" = Option<String>, Header, description = "Entity tag of a copy the client holds (JSON): 304 if it is still current"),
    ),
    responses(
        (status = 200, description = "The prediction, its expert and game, the memories it used (with influence weight and rank) and the past games they stand for; a consensus also names the expert predictions it was derived from (PROV formats)", content(
            (Provenance = "application/json"),
            (serde_json::Value = "application/prov+json"),
            (String = "text/provenance-notation"),
        )),
        (status = 304, description = "The client's copy (If-None-Match) is current"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 406, description = "Accept allows none of the media types served", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/predictions/{id}/provenance")]
#[tracing::instrument(name = "predictions.provenance", skip(req, state, q))]
pub async fn prediction(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    q: web::Query<FormatQuery>,
) -> Result<HttpResponse, ApiError> {
    let f = format(&req, &q)?;
    let id = PredictionId::parse(&id)?;
    if f == Format::Json {
        return state
            .cached_json(&req, &cache_keys::provenance(&id), || async {
                Ok(provenance::prediction_graph(&state.services, &id).await?)
            })
            .await;
    }
    let doc = provenance::prediction_document(&state.services, &id, &state.public_base_url).await?;
    Ok(prov_response(&doc, f))
}

#[utoipa::path(
    operation_id = "getGameProvenance",
    tag = "games",
    params(
        ("id" = String, Path, description = "Game id"),
        FormatQuery,
        ("Accept" = Option<String>, Header, description = "`application/json` (default), `application/prov+json` (PROV-JSON) or `text/provenance-notation` (PROV-N)"),
    ),
    responses(
        (status = 200, description = "The game's whole stored forecast (every expert's prediction and the consensus) as one provenance document: a list of per-prediction graphs in JSON, one PROV document otherwise", content(
            (Vec<Provenance> = "application/json"),
            (serde_json::Value = "application/prov+json"),
            (String = "text/provenance-notation"),
        )),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 406, description = "Accept allows none of the media types served", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/games/{id}/provenance")]
#[tracing::instrument(name = "games.provenance", skip(req, state, q))]
pub async fn game(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    q: web::Query<FormatQuery>,
) -> Result<HttpResponse, ApiError> {
    let f = format(&req, &q)?;
    let id = games::resolve(&state.services, &id).await?;
    if f == Format::Json {
        let all = provenance::game_graphs(&state.services, &id).await?;
        return Ok(HttpResponse::Ok()
            .insert_header((header::VARY, "Accept"))
            .json(all));
    }
    let doc = provenance::game_document(&state.services, &id, &state.public_base_url).await?;
    Ok(prov_response(&doc, f))
}

#[utoipa::path(
    operation_id = "getOddsRun",
    tag = "seasons",
    params(
        ("id" = String, Path, description = "Odds run id (`odds-…`, from a run's `run.id`)"),
        FormatQuery,
        ("Accept" = Option<String>, Header, description = "`application/json` (default), `application/prov+json` (PROV-JSON) or `text/provenance-notation` (PROV-N)"),
    ),
    responses(
        (status = 200, description = "A recorded playoff odds run: its record (season, date counted, simulations, seed, model version, history generation, every game taken as played) and the digest of the odds it gave, which `api simulate --reproduce ID` gives again; in PROV, the odds generated by the simulation that used the model version's plan and each played game", content(
            (provenance::RecordedRun = "application/json"),
            (serde_json::Value = "application/prov+json"),
            (String = "text/provenance-notation"),
        )),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 406, description = "Accept allows none of the media types served", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A `format` that is not one of json, prov-json, prov-n", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/odds/runs/{id}")]
#[tracing::instrument(name = "odds.run", skip(req, state, q))]
pub async fn odds_run(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    q: web::Query<FormatQuery>,
) -> Result<HttpResponse, ApiError> {
    let f = format(&req, &q)?;
    if f == Format::Json {
        let run = provenance::recorded_odds_run(&state.services, &id).await?;
        return Ok(HttpResponse::Ok()
            .insert_header((header::VARY, "Accept"))
            .json(run));
    }
    let doc = provenance::odds_run_document(&state.services, &id, &state.public_base_url).await?;
    Ok(prov_response(&doc, f))
}
