//! The answer to a request no route takes: 405 naming the methods for a known path (from the
//! OpenAPI document, the one list of routes and methods), 404 for anything else. May call
//! `crate::openapi` and `crate::error`.

use crate::error::ApiError;

/// What no route answers: a known path with another method is 405 (naming the methods it
/// takes), anything else 404.
pub async fn not_routed(req: actix_web::HttpRequest) -> Result<actix_web::HttpResponse, ApiError> {
    let allowed = req
        .match_pattern()
        .and_then(|p| crate::openapi::allowed_methods(&p));
    Err(match allowed {
        Some(allowed) => ApiError::MethodNotAllowed(allowed),
        None => ApiError::Graph(graph::Error::not_found("route", req.path())),
    })
}
