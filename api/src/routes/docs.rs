use actix_web::{get, web, HttpResponse};
use utoipa::OpenApi;

use crate::openapi::ApiDoc;

#[get("/openapi.json")]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}

const SWAGGER_HTML: &str = r##"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>nfl-predictor API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/docs/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui" });</script>
</body></html>"##;

#[get("/docs")]
pub async fn swagger_ui() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(SWAGGER_HTML)
}

#[get("/docs/{file}")]
pub async fn swagger_asset(file: web::Path<String>) -> HttpResponse {
    let (body, ty): (&'static [u8], &str) = match file.as_str() {
        "swagger-ui-bundle.js" => (
            include_bytes!("../../static/swagger/swagger-ui-bundle.js"),
            "application/javascript",
        ),
        "swagger-ui.css" => (
            include_bytes!("../../static/swagger/swagger-ui.css"),
            "text/css",
        ),
        _ => return HttpResponse::NotFound().finish(),
    };
    HttpResponse::Ok()
        .content_type(ty)
        .insert_header(("Cache-Control", "public, max-age=86400"))
        .body(body)
}
