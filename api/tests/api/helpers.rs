use std::path::{Path, PathBuf};

use api::settings::Settings;
use api::startup::Application;
use serde_json::Value;

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub handle: actix_web::dev::ServerHandle,
    /// The serving task: done once the server stopped and released the data directory.
    served: std::sync::Mutex<Option<tokio::task::JoinHandle<std::io::Result<()>>>>,
    /// The admin key the app created on first start.
    pub key: String,
    /// The internal metrics listener's port, when METRICS_BIND_ADDR is set.
    pub metrics_port: Option<u16>,
    /// Keeps the data directory alive (and deletes it) with the app.
    _dir: Option<tempfile::TempDir>,
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Seasons 2016–2018 of the bundled file: enough history for real forecasts, quick to import.
pub fn small_games_file() -> PathBuf {
    fixture("games_2016_2018.csv")
}

/// A secret setting from test text.
pub fn secret(v: impl Into<String>) -> Option<secrecy::SecretString> {
    Some(secrecy::SecretString::from(v.into()))
}

/// The settings every test app starts from: the built-in defaults (not this process's
/// environment), a random port, the given data directory and seed, two workers, no limits.
pub fn test_settings(data_dir: &Path, seed: &str) -> Settings {
    let mut s = Settings::load_from(std::iter::empty()).expect("the defaults are valid");
    s.bind_addr = "127.0.0.1:0".into();
    s.data_dir = data_dir.to_path_buf();
    s.seed_file = seed.into();
    s.http_workers = 2;
    s.log_level = "warn".into();
    s.rate_limit_per_second = 0.0;
    s.auth_rate_limit_per_second = 0.0;
    s
}

type Started = (
    String,
    actix_web::dev::ServerHandle,
    Option<u16>,
    tokio::task::JoinHandle<std::io::Result<()>>,
);

async fn start(data_dir: &Path, seed: &str, configure: impl FnOnce(&mut Settings)) -> Started {
    let mut settings = test_settings(data_dir, seed);
    configure(&mut settings);
    api::telemetry::init(settings.log_format(), &settings.log_level);
    let app = Application::build(settings).await.expect("the app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let handle = app.handle();
    let metrics = app.metrics_port();
    let served = tokio::spawn(app.run_until_stopped());
    (address, handle, metrics, served)
}

/// Starts the real app on a random port with a fresh data directory seeded from the small file.
pub async fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut app = spawn_app_in(dir.path(), &small_games_file().display().to_string()).await;
    app._dir = Some(dir);
    app
}

/// Starts the app on an existing data directory (for restart tests).
pub async fn spawn_app_in(data_dir: &Path, seed: &str) -> TestApp {
    spawn_app_with(data_dir, seed, |_| {}).await
}

/// Starts the app with its settings changed by `configure` (backends, limits).
pub async fn spawn_app_with(
    data_dir: &Path,
    seed: &str,
    configure: impl FnOnce(&mut Settings),
) -> TestApp {
    let (address, handle, metrics_port, served) = start(data_dir, seed, configure).await;
    let key = admin_key(data_dir);
    TestApp {
        metrics_port,
        address,
        client: client_with_key(&key),
        key,
        handle,
        served: std::sync::Mutex::new(Some(served)),
        _dir: None,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request is sent")
    }

    /// GET with extra request headers.
    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
        let mut r = self.client.get(self.url(path));
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        r.send().await.expect("request is sent")
    }

    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let r = self.get(path).await;
        let status = r.status().as_u16();
        (status, r.json().await.expect("body is JSON"))
    }

    async fn send_json(&self, method: reqwest::Method, path: &str, body: &Value) -> (u16, Value) {
        let r = self
            .client
            .request(method, self.url(path))
            .json(body)
            .send()
            .await
            .expect("request is sent");
        let status = r.status().as_u16();
        (status, r.json().await.expect("body is JSON"))
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> (u16, Value) {
        self.send_json(reqwest::Method::POST, path, body).await
    }

    pub async fn put_json(&self, path: &str, body: &Value) -> (u16, Value) {
        self.send_json(reqwest::Method::PUT, path, body).await
    }

    pub async fn post_empty(&self, path: &str) -> (u16, Value) {
        let r = self
            .client
            .post(self.url(path))
            .send()
            .await
            .expect("request is sent");
        let status = r.status().as_u16();
        (status, r.json().await.expect("body is JSON"))
    }

    /// Stops the server gracefully and waits until it has released the data directory.
    pub async fn stop(&self) {
        self.handle.stop(true).await;
        let served = self.served.lock().unwrap().take();
        if let Some(served) = served {
            let _ = served.await;
        }
    }
}

/// Asserts a problem document with the given status and code.
pub async fn assert_problem(resp: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(resp.status().as_u16(), status, "status");
    let ct = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string());
    assert_eq!(ct.as_deref(), Some("application/problem+json"));
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status);
    body
}

/// The admin key the app wrote on first start.
pub fn admin_key(data_dir: &Path) -> String {
    std::fs::read_to_string(data_dir.join("admin.key")).expect("admin.key written on first start")
}

/// A client sending `key` as X-API-Key on every request.
pub fn client_with_key(key: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-api-key", key.parse().unwrap());
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap()
}

/// A loopback port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A private Redis on `port` (no persistence), ready when this returns.
pub fn start_redis(port: u16) -> std::process::Child {
    let child = std::process::Command::new("redis-server")
        .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
        .args(["--save", "", "--appendonly", "no"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("redis-server is installed (scripts/install-deps)");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(std::time::Instant::now() < deadline, "redis did not start");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child
}

/// Runs the `api` binary on `data_dir` with `args` (no seeding, quiet logs) and waits for it.
pub fn api_cli(data_dir: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_api"))
        .args(["--data-dir", &data_dir.display().to_string()])
        .args(args)
        .env("LOG_LEVEL", "warn")
        .env("SEED_FILE", "none")
        .output()
        .expect("the api binary runs")
}
