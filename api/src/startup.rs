//! Builds the application from settings: opens the store, seeds it on first start, replays
//! the model and binds the HTTP server.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_cors::Cors;
use actix_web::dev::Server;
use actix_web::middleware::DefaultHeaders;
use actix_web::{web, App, HttpServer};
use anyhow::Context;
use graph::embedded::EmbeddedGraph;
use graph::neo4j::{Neo4jConfig, Neo4jGraph};
use graph::Graph;
use secrecy::ExposeSecret;
use store::{Cache, KeyStore, MemoryCache, PgSettings, PgStore, RedisCache, Series, SqliteStore};

use crate::error;
use crate::metrics::Metrics;
use crate::services::events::Components;
use crate::services::{Event, Events, Services};
use crate::settings::{GraphBackend, Settings};
use crate::state::AppState;
use runtime::{Predictor, Rebuild};

/// Probes graph, series and cache and records them in the `nflp_dependency_up` gauges.
async fn probe_dependencies(state: &AppState) -> [bool; 3] {
    let svc = &state.services;
    let (graph, series, cache) =
        futures_util::join!(svc.graph.health(), svc.series.ping(), svc.cache.healthy());
    let now = [graph.is_ok(), series.is_ok(), cache];
    for (dep, up) in ["graph", "series", "cache"].into_iter().zip(now) {
        svc.metrics
            .dependency_up
            .with_label_values(&[dep])
            .set(i64::from(up));
    }
    let stats = svc.cache.stats();
    let m = &svc.metrics;
    m.cache_memory_hits
        .inc_by(stats.memory_hits.saturating_sub(m.cache_memory_hits.get()));
    if let Some(up) = stats.near_tier_up {
        m.set_near_tier_up(up);
    }
    now
}

/// Held while a process uses a data directory's embedded graph: the embedded default keeps
/// the graph in process memory, so a second process on the same directory would silently
/// diverge from the first. Released when dropped (the file stays).
#[derive(Debug)]
pub struct DataDirLock {
    _file: std::fs::File,
}

/// Name of the lock file in the data directory.
pub const LOCK_FILE: &str = "instance.lock";

/// Takes the data directory's lock when the configured graph is the embedded one (other
/// backends are shared by design: any number of instances may use them).
pub fn lock_data_dir(settings: &Settings) -> anyhow::Result<Option<DataDirLock>> {
    if settings.graph_backend != GraphBackend::Embedded {
        return Ok(None);
    }
    let dir = &settings.data_dir;
    std::fs::create_dir_all(dir)
        .with_context(|| format!("Failed to create data directory {}", dir.display()))?;
    let path = dir.join(LOCK_FILE);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("Failed to open the lock file {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(DataDirLock { _file: file })),
        Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
            "another process holds the lock {} of the embedded store: the embedded default \
             serves one instance per data directory (stop the other one, or choose another \
             DATA_DIR; to run several instances use Neo4j, PostgreSQL and Redis, see the \
             README's \"Running more than one instance\")",
            path.display()
        ),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("Failed to lock {}", path.display()))
        }
    }
}

pub struct Application {
    port: u16,
    server: Server,
    /// The internal `/metrics` listener, when METRICS_BIND_ADDR is set.
    metrics: Option<(u16, Server)>,
    /// The data directory's lock on the embedded default, released when serving ends.
    lock: Option<DataDirLock>,
    drain: Drain,
}

/// Opens the configured graph backend: the embedded graph under the data directory, or Neo4j.
pub async fn open_graph(settings: &Settings) -> anyhow::Result<Arc<dyn Graph>> {
    match settings.graph_backend {
        GraphBackend::Embedded => {
            std::fs::create_dir_all(&settings.data_dir).with_context(|| {
                format!(
                    "Failed to create data directory {}",
                    settings.data_dir.display()
                )
            })?;
            let graph = EmbeddedGraph::open(&settings.data_dir.join("graph.db"))
                .await
                .context("Failed to open the embedded graph")?;
            Ok(Arc::new(graph))
        }
        GraphBackend::Neo4j => {
            let cfg = Neo4jConfig {
                uri: settings.neo4j_uri.clone(),
                user: settings.neo4j_user.clone(),
                password: settings
                    .neo4j_password
                    .as_ref()
                    .map(|p| p.expose_secret().to_string())
                    .unwrap_or_default(),
                max_connections: settings.neo4j_max_connections,
                query_timeout: Duration::from_secs(settings.neo4j_query_timeout_seconds),
            };
            let graph = Neo4jGraph::connect(&cfg)
                .await
                .with_context(|| format!("Failed to connect to Neo4j at {}", settings.neo4j_uri))?;
            Ok(Arc::new(graph))
        }
    }
}

/// Opens the relational store (time series and API keys): PostgreSQL when DATABASE_URL is
/// set, else embedded SQLite.
pub async fn open_store(
    settings: &Settings,
) -> anyhow::Result<(Arc<dyn Series>, Arc<dyn KeyStore>)> {
    match &settings.database_url {
        Some(url) => {
            let pg = PgSettings {
                min_connections: settings.db_pool_min,
                max_connections: settings.db_pool_max,
                statement_timeout: Duration::from_secs(settings.db_statement_timeout_seconds),
                ..Default::default()
            };
            let store = Arc::new(
                PgStore::connect(url.expose_secret(), &pg)
                    .await
                    .context("Failed to connect to PostgreSQL")?,
            );
            Ok((store.clone(), store))
        }
        None => {
            std::fs::create_dir_all(&settings.data_dir).with_context(|| {
                format!(
                    "Failed to create data directory {}",
                    settings.data_dir.display()
                )
            })?;
            let store = Arc::new(
                SqliteStore::open(&settings.data_dir.join("series.db"))
                    .await
                    .context("Failed to open the embedded store")?,
            );
            Ok((store.clone(), store))
        }
    }
}

/// The API key service over the configured store.
pub async fn open_keys(settings: &Settings) -> anyhow::Result<crate::auth::Keys> {
    let (_, keys) = open_store(settings).await?;
    let secret = crate::auth::load_secret(
        settings.api_secret.as_ref().map(|s| s.expose_secret()),
        &settings.data_dir,
    )?;
    Ok(crate::auth::Keys::new(keys, secret, Duration::ZERO))
}

/// The cache: Redis when REDIS_URL is set, else in-process.
pub fn open_cache(settings: &Settings) -> anyhow::Result<Arc<dyn Cache>> {
    let ttl = Duration::from_secs(settings.cache_ttl_seconds);
    let bytes = settings.cache_memory_mb.saturating_mul(1024 * 1024);
    Ok(match &settings.redis_url {
        Some(url) => {
            let redis = RedisCache::new(url.expose_secret(), &settings.cache_namespace, ttl)
                .context("Failed to configure the Redis cache")?
                .with_key_groups(crate::services::cache_keys::CACHE_GROUP_DEPTH);
            Arc::new(if settings.cache_near_tier && !ttl.is_zero() {
                redis.with_near_tier(settings.cache_capacity, bytes)
            } else {
                redis
            })
        }
        None => Arc::new(MemoryCache::with_byte_limit(
            ttl,
            settings.cache_capacity,
            bytes,
        )),
    })
}

/// Games per import transaction for the configured backend.
pub fn import_batch_size(settings: &Settings) -> usize {
    match settings.graph_backend {
        GraphBackend::Embedded => settings.import_batch_size,
        GraphBackend::Neo4j => settings.neo4j_batch_size,
    }
}

/// Imports the seed file when the store holds no games (the service's first start, and the
/// commands that need the history on a fresh data directory); the games imported, if any.
pub async fn seed_if_empty(graph: &dyn Graph, settings: &Settings) -> anyhow::Result<Option<u64>> {
    if graph.count_games().await.context("Failed to count games")? > 0 {
        return Ok(None);
    }
    let bytes: Vec<u8> = match settings.seed_file.as_str() {
        "none" | "" => return Ok(None),
        "bundled" => crate::BUNDLED_GAMES.to_vec(),
        path => std::fs::read(path).with_context(|| format!("Failed to read seed file {path}"))?,
    };
    let started = Instant::now();
    let batch =
        graph::import::parse(bytes.as_slice()).context("Failed to parse the seed games file")?;
    let stats = graph
        .import(&batch, import_batch_size(settings), &|_| {})
        .await
        .context("Failed to import the seed games file")?;
    tracing::info!(
        games = stats.games_created,
        teams = stats.teams_created,
        memories = stats.memories_created,
        matchups = stats.matchups_written,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "imported the seed games file on first start"
    );
    Ok(Some(stats.games_created))
}

/// The API's and `/admin`'s rate limits: fleet-wide through Redis when it is configured (each
/// instance on its own while Redis does not answer), per instance otherwise.
pub fn open_limiters(
    settings: &Settings,
    metrics: &Arc<Metrics>,
) -> anyhow::Result<(crate::limits::Limiter, crate::limits::Limiter)> {
    use crate::limits::Limiter;
    let api = Limiter::new(
        "api",
        settings.rate_limit_per_second,
        settings.rate_limit_burst,
    );
    let admin = Limiter::new(
        "admin",
        settings.auth_rate_limit_per_second,
        settings.rate_limit_burst,
    );
    Ok(match &settings.redis_url {
        Some(url) if settings.rate_limit_fleet && (api.limits() || admin.limits()) => {
            let redis = Arc::new(
                store::RedisRateLimiter::new(url.expose_secret(), &settings.cache_namespace)
                    .context("Failed to configure the fleet rate limits")?,
            );
            (
                api.with_fleet(redis.clone(), metrics.clone()),
                admin.with_fleet(redis, metrics.clone()),
            )
        }
        _ => (api, admin),
    })
}

/// The scheduler's set-up when a feed is configured: this instance is named by its host and
/// a random suffix in the run log.
pub fn schedule_config(settings: &Settings) -> Option<crate::services::ingest::ScheduleConfig> {
    let url = settings.schedule_feed_url.clone()?;
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "instance".into());
    let id = uuid::Uuid::new_v4().simple().to_string();
    let mut cfg = crate::services::ingest::ScheduleConfig::new(url, format!("{host}-{}", &id[..8]));
    cfg.horizon_days = settings.forecast_horizon_days;
    cfg.today = settings.schedule_today;
    cfg.accept_corrections = settings.schedule_accept_corrections;
    cfg.timeout = std::time::Duration::from_secs(settings.schedule_feed_timeout_seconds.max(1));
    cfg.retries = settings.schedule_feed_retries;
    cfg.max_bytes = settings.schedule_feed_max_mb.max(1) << 20;
    Some(cfg)
}

/// The fleet notifier: Redis pub/sub when Redis is configured and `HISTORY_NOTIFY` is on.
pub fn open_notifier(settings: &Settings) -> anyhow::Result<Option<Arc<store::RedisNotifier>>> {
    match (&settings.redis_url, settings.history_notify) {
        (Some(url), true) => Ok(Some(Arc::new(
            store::RedisNotifier::new(url.expose_secret(), &settings.cache_namespace)
                .context("Failed to configure history notifications")?,
        ))),
        _ => Ok(None),
    }
}

/// The model registry for the configured backends: shared in the graph on Neo4j (every
/// instance sees an activation), files in the data directory on the embedded default.
pub fn open_registry(settings: &Settings, graph: &Arc<dyn Graph>) -> runtime::registry::Registry {
    match settings.graph_backend {
        GraphBackend::Neo4j => runtime::registry::Registry::Shared(graph.clone()),
        GraphBackend::Embedded => runtime::registry::Registry::files(&settings.data_dir),
    }
}

/// The application's services over the configured backends, for the CLI: the model is not
/// replayed until a use case needs it.
pub async fn open_services(settings: &Settings) -> anyhow::Result<Services> {
    let graph = open_graph(settings).await?;
    let (series, _) = open_store(settings).await?;
    let registry = open_registry(settings, &graph);
    let (version, params) = registry.current_model().await?;
    let metrics = Arc::new(Metrics::new().context("Failed to register metrics")?);
    Ok(Services {
        predictor: Arc::new(
            Predictor::new(graph.clone(), metrics.clone(), version, params)
                .with_registry(&registry),
        ),
        graph,
        series,
        cache: open_cache(settings)?,
        registry,
        metrics,
        events: Events::new(),
        notifier: open_notifier(settings)?,
    })
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let lock = lock_data_dir(&settings)?;
        let graph = open_graph(&settings).await?;
        seed_if_empty(graph.as_ref(), &settings).await?;
        let (series, key_store) = open_store(&settings).await?;
        let keys = serving_keys(&settings, key_store).await?;
        let registry = open_registry(&settings, &graph);
        let metrics = Arc::new(Metrics::new().context("Failed to register metrics")?);
        let notifier = open_notifier(&settings)?;
        let predictor = start_model(&settings, &graph, &registry, &metrics, &notifier).await?;
        let (api_limiter, auth_limiter) = open_limiters(&settings, &metrics)?;
        let cache = open_cache(&settings)?;
        if let Some(snap) = predictor.latest() {
            series
                .record_ratings(&snap.season_ratings)
                .await
                .context("Failed to record rating history")?;
        }
        let state = web::Data::new(AppState {
            services: Services {
                graph,
                predictor,
                cache,
                series,
                registry,
                metrics,
                events: Events::new(),
                notifier,
            },
            keys,
            request_log: crate::state::RequestLog::default(),
            public_base_url: settings.public_base_url.clone(),
            schedule: schedule_config(&settings),
            schedule_cron: settings
                .schedule_feed_url
                .as_ref()
                .map(|_| settings.schedule_cron.clone()),
            today: settings.schedule_today,
            ingest_turn: tokio::sync::Mutex::new(()),
            api_limiter,
            auth_limiter,
            draining: std::sync::atomic::AtomicBool::new(false),
        });
        if state.schedule.is_some() {
            let cron = settings
                .schedule_cron
                .parse::<croner::Cron>()
                .context("Failed to parse SCHEDULE_CRON")?;
            crate::scheduler::spawn(state.clone(), cron, settings.schedule_run_at_start);
        }
        spawn_health_watcher(&state, &settings).await;
        spawn_request_log_flusher(&state, &settings);
        let listener = TcpListener::bind(&settings.bind_addr)
            .with_context(|| format!("Failed to bind {}", settings.bind_addr))?;
        let port = listener
            .local_addr()
            .context("Failed to read the bound address")?
            .port();
        let workers = if settings.http_workers == 0 {
            std::thread::available_parallelism().map_or(2, |n| n.get())
        } else {
            settings.http_workers
        };
        let cors_origins: Vec<String> = settings
            .cors_origins
            .split(',')
            .map(|o| o.trim().to_string())
            .filter(|o| !o.is_empty())
            .collect();
        let public_metrics = settings.metrics_bind_addr.is_none();
        let metrics = metrics_server(&settings, &state)?;
        let drain = Drain {
            state: state.clone(),
            seconds: settings.shutdown_drain_seconds,
        };
        let server = HttpServer::new(move || {
            let cors = cors(&cors_origins);
            App::new()
                .app_data(state.clone())
                .app_data(
                    web::JsonConfig::default()
                        .limit(64 * 1024)
                        .error_handler(error::json_error),
                )
                .app_data(web::QueryConfig::default().error_handler(error::query_error))
                .app_data(web::PathConfig::default().error_handler(error::path_error))
                .wrap(
                    DefaultHeaders::new()
                        .add(("X-Content-Type-Options", "nosniff"))
                        .add(("X-Frame-Options", "DENY"))
                        .add(("Referrer-Policy", "no-referrer")),
                )
                .wrap(actix_web::middleware::from_fn(crate::middleware::guard))
                .wrap(actix_web::middleware::from_fn(
                    crate::middleware::http_metrics,
                ))
                .wrap(cors)
                .wrap(tracing_actix_web::TracingLogger::<
                    crate::telemetry::RequestSpan,
                >::new())
                .configure(|cfg| crate::routes::configure(cfg, public_metrics))
                .default_service(web::to(crate::fallback::not_routed))
        })
        .workers(workers)
        // SIGTERM and Ctrl-C are handled in `run_until_stopped`: readiness goes first.
        .disable_signals()
        .listen(listener)
        .context("Failed to listen")?
        .run();
        Ok(Self {
            port,
            server,
            metrics,
            lock,
            drain,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The internal metrics port, when METRICS_BIND_ADDR is set.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(p, _)| *p)
    }

    /// A handle to stop the server (graceful: in-flight requests finish).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until the main server stops; the metrics listener stops with it. On SIGTERM or
    /// Ctrl-C: `/readyz` turns 503 for `SHUTDOWN_DRAIN_SECONDS` while everything else serves,
    /// then the server stops taking connections and finishes the requests in flight.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let _lock = self.lock;
        let handle = self.server.handle();
        let drain = self.drain;
        tokio::spawn(async move {
            stop_signal().await;
            drain
                .state
                .draining
                .store(true, std::sync::atomic::Ordering::SeqCst);
            tracing::info!(
                seconds = drain.seconds,
                "stop requested: not ready; draining"
            );
            tokio::time::sleep(Duration::from_secs(drain.seconds)).await;
            handle.stop(true).await;
        });
        match self.metrics {
            None => self.server.await,
            Some((_, metrics)) => {
                let handle = metrics.handle();
                let metrics = tokio::spawn(metrics);
                let r = self.server.await;
                handle.stop(true).await;
                let _ = metrics.await;
                r
            }
        }
    }
}

/// What a stop signal needs: the readiness flag to lower and how long before stopping.
struct Drain {
    state: web::Data<AppState>,
    seconds: u64,
}

/// SIGTERM (what Kubernetes, systemd and the local deploy send) or Ctrl-C.
async fn stop_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!(error = %e, "cannot listen for SIGTERM");
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

/// The API keys: the signing secret, and the first admin key, created and shown once on a
/// fresh store (it is stored only as a hash).
async fn serving_keys(
    settings: &Settings,
    key_store: Arc<dyn KeyStore>,
) -> anyhow::Result<crate::auth::Keys> {
    let secret = crate::auth::load_secret(
        settings.api_secret.as_ref().map(|s| s.expose_secret()),
        &settings.data_dir,
    )?;
    let keys = crate::auth::Keys::new(
        key_store,
        secret,
        Duration::from_secs(settings.auth_cache_seconds),
    );
    if let Some(key) = keys.ensure_admin_key(&settings.data_dir).await? {
        eprintln!(
            "\nCreated the first admin API key (also written to {}, mode 0600):\n\n    {key}\n\nSend it as the X-API-Key header.\n",
            settings.data_dir.join("admin.key").display()
        );
    }
    Ok(keys)
}

/// One watcher probes the dependencies: it keeps the `nflp_dependency_up` gauges current and
/// announces changes on the live stream. The first probe runs before the server opens.
async fn spawn_health_watcher(state: &web::Data<AppState>, settings: &Settings) {
    let mut last = probe_dependencies(state).await;
    let watcher = state.clone();
    let every = Duration::from_secs(settings.health_watch_seconds.max(1));
    tokio::spawn(async move {
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        loop {
            tick.tick().await;
            let now = probe_dependencies(&watcher).await;
            if now != last {
                watcher.services.events.publish(&Event::Health {
                    components: Components {
                        graph: now[0].into(),
                        series: now[1].into(),
                        cache: now[2].into(),
                    },
                });
            }
            last = now;
        }
    });
}

/// Flushes the per-route request log to the time series every `REQUEST_METRICS_FLUSH_SECONDS`.
fn spawn_request_log_flusher(state: &web::Data<AppState>, settings: &Settings) {
    let flusher = state.clone();
    let every = Duration::from_secs(settings.request_metrics_flush_seconds.max(1));
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            flusher.flush_request_log().await;
        }
    });
}

/// With `METRICS_BIND_ADDR`, `/metrics` on its own internal port (one worker): the port and
/// the server.
fn metrics_server(
    settings: &Settings,
    state: &web::Data<AppState>,
) -> anyhow::Result<Option<(u16, Server)>> {
    let Some(addr) = &settings.metrics_bind_addr else {
        return Ok(None);
    };
    let l = TcpListener::bind(addr)
        .with_context(|| format!("Failed to bind the metrics address {addr}"))?;
    let port = l
        .local_addr()
        .context("Failed to read the metrics address")?
        .port();
    let st = state.clone();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(st.clone())
            .service(crate::routes::health::metrics)
    })
    .workers(1)
    .disable_signals()
    .listen(l)
    .context("Failed to listen for metrics")?
    .run();
    Ok(Some((port, server)))
}

/// CORS for the configured origins (`*` for any).
fn cors(origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods(vec!["GET", "POST", "PUT"])
        .allowed_headers(vec!["content-type", "x-api-key"])
        .max_age(3600);
    for o in origins {
        cors = if o == "*" {
            cors.allow_any_origin()
        } else {
            cors.allowed_origin(o)
        };
    }
    cors
}

/// The model of this instance: the registry's current version replayed through the history,
/// then kept current — polling the shared history generation and, with Redis, on the fleet's
/// announcements.
async fn start_model(
    settings: &Settings,
    graph: &Arc<dyn Graph>,
    registry: &runtime::registry::Registry,
    metrics: &Arc<Metrics>,
    notifier: &Option<Arc<store::RedisNotifier>>,
) -> anyhow::Result<Arc<Predictor>> {
    let (version, params) = registry.current_model().await?;
    let predictor = Arc::new(
        Predictor::new(graph.clone(), metrics.clone(), version, params).with_registry(registry),
    );
    predictor.rebuild(Rebuild::Start).await?;
    if settings.history_poll_milliseconds > 0 {
        predictor.watch(Duration::from_millis(settings.history_poll_milliseconds));
    }
    if let Some(n) = notifier {
        let p = predictor.clone();
        n.listen(move |generation| p.catch_up_in_background(generation, Rebuild::Notify));
    }
    Ok(predictor)
}
