//! The dashboard: static pages embedded in the binary (no CDN; works offline). They call the
//! same public API with the key the user enters, and follow `/api/v1/stream`.

use actix_web::{get, web, HttpResponse};

const INDEX: &str = include_str!("../../static/dashboard/index.html");

#[get("/")]
pub async fn index() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-cache"))
        .insert_header((
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self' ws: wss:; frame-ancestors 'none'",
        ))
        .body(INDEX)
}

#[get("/ui/{file}")]
pub async fn asset(file: web::Path<String>) -> HttpResponse {
    let (body, ty): (&'static str, &str) = match file.as_str() {
        "app.js" => (
            include_str!("../../static/dashboard/app.js"),
            "application/javascript; charset=utf-8",
        ),
        "odds.js" => (
            include_str!("../../static/dashboard/odds.js"),
            "application/javascript; charset=utf-8",
        ),
        "app.css" => (
            include_str!("../../static/dashboard/app.css"),
            "text/css; charset=utf-8",
        ),
        _ => return HttpResponse::NotFound().finish(),
    };
    HttpResponse::Ok()
        .content_type(ty)
        .insert_header(("Cache-Control", "no-cache"))
        .body(body)
}
