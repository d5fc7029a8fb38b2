//! Logging set-up: one subscriber for the process, pretty for people, JSON in production.

use tracing_subscriber::{fmt, EnvFilter};

use crate::settings::LogFormat;

pub fn init(format: LogFormat, level: &str) {
    let filter = EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new(level));
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let result = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
    // A second init (tests spawning several apps) keeps the first subscriber.
    let _ = result;
}

/// The root span of every request.
///
/// Unlike tracing-actix-web's default, it does no work when the span is disabled (its fields
/// are evaluated only when a subscriber wants them), and it records the route template after
/// routing instead of matching the path against every route a second time before it.
pub struct RequestSpan;

impl tracing_actix_web::RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &actix_web::dev::ServiceRequest) -> tracing::Span {
        use actix_web::HttpMessage;
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = tracing::field::Empty,
            http.target = %request.uri().path_and_query().map_or("", |p| p.as_str()),
            http.flavor = ?request.version(),
            http.scheme = %request.connection_info().scheme(),
            http.host = %request.connection_info().host(),
            http.client_ip = %request.connection_info().realip_remote_addr().unwrap_or(""),
            http.user_agent = %request
                .headers()
                .get(actix_web::http::header::USER_AGENT)
                .and_then(|h| h.to_str().ok())
                .unwrap_or(""),
            http.status_code = tracing::field::Empty,
            otel.kind = "server",
            otel.status_code = tracing::field::Empty,
            request_id = %request
                .extensions()
                .get::<tracing_actix_web::RequestId>()
                .map(ToString::to_string)
                .unwrap_or_default(),
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
        )
    }

    fn on_request_end<B: actix_web::body::MessageBody>(
        span: tracing::Span,
        outcome: &Result<actix_web::dev::ServiceResponse<B>, actix_web::Error>,
    ) {
        if span.is_disabled() {
            return;
        }
        if let Ok(response) = outcome {
            let route = response.request().match_pattern();
            span.record("http.route", route.as_deref().unwrap_or("unmatched"));
        }
        tracing_actix_web::DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::{Arc, Mutex};

    use actix_web::{test, web, App, HttpResponse};
    use tracing::field::{Field, Visit};
    use tracing_subscriber::layer::{Context, SubscriberExt};
    use tracing_subscriber::Layer;

    use super::RequestSpan;

    type Fields = Arc<Mutex<BTreeMap<String, String>>>;

    /// Keeps every field recorded on any span, by name (the last value wins).
    struct Capture(Fields);

    struct Collect<'a>(&'a mut BTreeMap<String, String>);

    impl Visit for Collect<'_> {
        fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
            self.0.insert(
                field.name().to_string(),
                format!("{value:?}").replace('"', ""),
            );
        }
    }

    impl<S: tracing::Subscriber> Layer<S> for Capture {
        fn on_new_span(
            &self,
            attrs: &tracing::span::Attributes<'_>,
            _: &tracing::span::Id,
            _: Context<'_, S>,
        ) {
            attrs.record(&mut Collect(&mut self.0.lock().unwrap()));
        }
        fn on_record(
            &self,
            _: &tracing::span::Id,
            values: &tracing::span::Record<'_>,
            _: Context<'_, S>,
        ) {
            values.record(&mut Collect(&mut self.0.lock().unwrap()));
        }
    }

    async fn request_span_fields(path: &str) -> BTreeMap<String, String> {
        let fields = Fields::default();
        let subscriber = tracing_subscriber::registry().with(Capture(fields.clone()));
        let _guard = tracing::subscriber::set_default(subscriber);
        let app = test::init_service(
            App::new()
                .wrap(tracing_actix_web::TracingLogger::<RequestSpan>::new())
                .route(
                    "/games/{id}/predictions",
                    web::get().to(|| async { HttpResponse::Ok().finish() }),
                ),
        )
        .await;
        test::call_service(&app, test::TestRequest::get().uri(path).to_request()).await;
        let out = fields.lock().unwrap().clone();
        out
    }

    #[actix_web::test]
    async fn the_request_span_names_the_route_template_and_status_after_routing() {
        // (path, route recorded, status recorded)
        let cases = [
            (
                "/games/KC_BUF_2024_W10/predictions",
                "/games/{id}/predictions",
                "200",
            ),
            ("/nowhere", "unmatched", "404"),
        ];
        for (path, route, status) in cases {
            let fields = request_span_fields(path).await;
            assert_eq!(
                fields.get("http.route").map(String::as_str),
                Some(route),
                "{path}: {fields:?}"
            );
            assert_eq!(
                fields.get("http.status_code").map(String::as_str),
                Some(status),
                "{path}"
            );
            assert_eq!(fields.get("http.target").map(String::as_str), Some(path));
            assert_eq!(fields.get("http.method").map(String::as_str), Some("GET"));
            assert!(
                fields.get("request_id").is_some_and(|id| id.len() == 36),
                "{path}: a request id: {fields:?}"
            );
        }
    }
}
