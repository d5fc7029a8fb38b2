//! The only place errors become HTTP: `application/problem+json` with a stable `code`.
//! A 500's cause is logged, never sent.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A use case failed (the application layer's error).
    #[error(transparent)]
    Service(#[from] crate::services::Error),
    /// A read of the graph failed.
    #[error("{0}")]
    Graph(#[from] graph::Error),
    #[error("{0}")]
    Forecast(#[from] forecast::Error),
    /// A read of the time-series store failed; the cause is logged, never sent.
    #[error("the time-series store is unavailable")]
    Store(#[from] store::Error),
    #[error("invalid {field}: {message}")]
    Invalid { field: String, message: String },
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("request body is too large (limit {0} bytes)")]
    PayloadTooLarge(usize),
    #[error("this method is not allowed on this path (allowed: {0})")]
    MethodNotAllowed(String),
    #[error("{0}")]
    Conflict(String),
    #[error("none of the media types in Accept is served here (available: {0})")]
    NotAcceptable(String),
    #[error("an X-API-Key header is required")]
    Unauthenticated,
    #[error("the API key is not valid or has been revoked")]
    InvalidKey,
    #[error("the API key's scope does not allow this operation")]
    InsufficientScope,
    #[error("too many requests; retry in {0} s")]
    RateLimited(u64),
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

type Parts = (StatusCode, &'static str, Option<String>);

const INTERNAL: Parts = (StatusCode::INTERNAL_SERVER_ERROR, "internal", None);
const STORE_DOWN: Parts = (
    StatusCode::SERVICE_UNAVAILABLE,
    "dependency_unavailable",
    None,
);

fn graph_parts(e: &graph::Error) -> Parts {
    use graph::Error as G;
    match e {
        G::NotFound { .. } => (StatusCode::NOT_FOUND, "not_found", None),
        G::Conflict { .. } => (StatusCode::CONFLICT, "conflict", None),
        G::Stale { .. } => (StatusCode::CONFLICT, "stale_forecast", None),
        G::Invalid { field, .. } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_parameter",
            Some(field.to_string()),
        ),
        G::Malformed(_) => (StatusCode::UNPROCESSABLE_ENTITY, "malformed_csv", None),
        G::Unavailable(_) => STORE_DOWN,
        G::Csv(_) | G::Store(_) | G::Neo4j(_) | G::Decode(_) => INTERNAL,
    }
}

fn forecast_parts(e: &forecast::Error) -> Parts {
    match e {
        forecast::Error::OutOfOrder { .. } => {
            (StatusCode::UNPROCESSABLE_ENTITY, "not_forecastable", None)
        }
        forecast::Error::UnknownTeam(..) => INTERNAL,
    }
}

fn runtime_parts(e: &runtime::Error) -> Parts {
    use runtime::Error as R;
    match e {
        R::Graph(g) => graph_parts(g),
        R::Forecast(f) => forecast_parts(f),
        R::Season(_) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_parameter",
            Some("season".to_string()),
        ),
        R::Registry(_) | R::UnknownTeam { .. } | R::Engine(_) | R::Switched { .. } | R::Task(_) => {
            INTERNAL
        }
    }
}

fn service_parts(e: &crate::services::Error) -> Parts {
    use crate::services::Error as S;
    match e {
        S::Graph(g) => graph_parts(g),
        S::Forecast(f) => forecast_parts(f),
        S::Runtime(r) => runtime_parts(r),
        S::NotReady(_) => STORE_DOWN,
        S::Store(_) => STORE_DOWN,
        S::Invalid { field, .. } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_parameter",
            Some(field.to_string()),
        ),
        S::Internal(_) => INTERNAL,
    }
}

/// RFC 9457 problem details.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable, machine-readable error code.
    pub code: String,
    /// The parameter or field at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Row-level errors (CSV imports).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<graph::RowError>>,
}

impl ApiError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    /// Status, stable code and the field at fault. Exhaustive: a new variant is a compile
    /// error here, not a silent 500.
    fn parts(&self) -> Parts {
        match self {
            ApiError::Service(e) => service_parts(e),
            ApiError::Graph(e) => graph_parts(e),
            ApiError::Forecast(e) => forecast_parts(e),
            ApiError::Store(_) => STORE_DOWN,
            ApiError::Unavailable(_) => STORE_DOWN,
            ApiError::Invalid { field, .. } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_parameter",
                Some(field.clone()),
            ),
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request", None),
            ApiError::PayloadTooLarge(_) => {
                (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", None)
            }
            ApiError::MethodNotAllowed(_) => {
                (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", None)
            }
            ApiError::NotAcceptable(_) => (StatusCode::NOT_ACCEPTABLE, "not_acceptable", None),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict", None),
            ApiError::Unauthenticated => (StatusCode::UNAUTHORIZED, "missing_api_key", None),
            ApiError::InvalidKey => (StatusCode::FORBIDDEN, "invalid_api_key", None),
            ApiError::InsufficientScope => (StatusCode::FORBIDDEN, "insufficient_scope", None),
            ApiError::RateLimited(_) => (StatusCode::TOO_MANY_REQUESTS, "rate_limited", None),
            ApiError::Internal(_) => INTERNAL,
        }
    }

    /// Row-level errors of a malformed games file, wherever in the chain they are.
    fn row_errors(&self) -> Option<Vec<graph::RowError>> {
        match self {
            ApiError::Graph(graph::Error::Malformed(rows))
            | ApiError::Service(crate::services::Error::Graph(graph::Error::Malformed(rows))) => {
                Some(rows.clone())
            }
            _ => None,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.parts().0
    }

    fn error_response(&self) -> HttpResponse {
        let (status, code, field) = self.parts();
        let detail = if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = ?self, "request failed");
            "an internal error occurred; it has been logged".to_string()
        } else {
            if status.is_server_error() {
                tracing::warn!(error = ?self, "request failed: a dependency is unavailable");
            }
            self.to_string()
        };
        let errors = self.row_errors();
        let mut builder = HttpResponse::build(status);
        if let ApiError::RateLimited(secs) = self {
            builder.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        if let ApiError::MethodNotAllowed(allowed) = self {
            builder.insert_header((header::ALLOW, allowed.as_str()));
        }
        builder
            .insert_header((header::CONTENT_TYPE, "application/problem+json"))
            .json(Problem {
                kind: format!("https://nfl-predictor.dev/problems/{code}"),
                title: status.canonical_reason().unwrap_or("Error").to_string(),
                status: status.as_u16(),
                detail,
                code: code.to_string(),
                field,
                errors,
            })
    }
}

/// Error handlers for actix's extractors so that malformed JSON, query strings and paths
/// also answer with problem documents.
pub fn json_error(
    err: actix_web::error::JsonPayloadError,
    _: &actix_web::HttpRequest,
) -> actix_web::Error {
    use actix_web::error::JsonPayloadError as J;
    let e = match &err {
        J::Deserialize(de) if de.is_data() => {
            let msg = de.to_string();
            let field = msg
                .split('`')
                .nth(1)
                .filter(|_| msg.contains("missing field") || msg.contains("unknown field"))
                .unwrap_or("body")
                .to_string();
            ApiError::invalid(field, msg)
        }
        J::Overflow { limit } => ApiError::PayloadTooLarge(*limit),
        J::OverflowKnownLength { limit, .. } => ApiError::PayloadTooLarge(*limit),
        J::ContentType => ApiError::BadRequest("Content-Type must be application/json".into()),
        _ => ApiError::BadRequest(format!("request body is not valid JSON: {err}")),
    };
    e.into()
}

pub fn query_error(
    err: actix_web::error::QueryPayloadError,
    _: &actix_web::HttpRequest,
) -> actix_web::Error {
    ApiError::BadRequest(format!("query string is not valid: {err}")).into()
}

pub fn path_error(
    err: actix_web::error::PathError,
    _: &actix_web::HttpRequest,
) -> actix_web::Error {
    ApiError::BadRequest(format!("path is not valid: {err}")).into()
}
