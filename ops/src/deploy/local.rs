//! The local target: the whole topology on this machine from Debian's packages (nginx, redis,
//! postgres, prometheus, alertmanager, exporters), the Neo4j server the backend tests use, and
//! the API build, under one state directory.
//!
//! ```text
//! $STATE/state.json          ports, generated secrets, current and previous release
//! $STATE/releases/<id>/api   each release's binary
//! $STATE/data/               the API's DATA_DIR (model registry, admin.key), shared by releases
//! $STATE/{postgres,redis,neo4j,prometheus,alertmanager,nginx,exporters}/
//! $STATE/backups/<id>/       pg_dump, redis RDB, data dir copy, manifest.json
//! ```

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::process::{self, alive, http_ok, port_open, spawn, terminate, wait_until};
use super::{retention, DeployOptions};
use crate::render::{monitoring, nginx};
use crate::topology::{LocalPorts, Placement, Topology};
use crate::ui::{self, Phase, StatusRow};
use crate::validate::{nginx_binary, run};
use crate::{Error, Result};

const PG_BIN: &str = "/usr/lib/postgresql/15/bin";
const DATABASE: &str = "nflp";
const NEO4J_JAR: &str = "scripts/neo4j/target/neo4j-test-server-1.0.0.jar";
const KEEP_RELEASES: usize = 3;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Release {
    pub id: String,
    pub slot: usize,
    /// The release's API processes (API_INSTANCES of them), all behind Nginx.
    pub instances: Vec<Instance>,
    pub binary: PathBuf,
    pub env: Vec<(String, String)>,
}

/// One API process of a release.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Instance {
    pub port: u16,
    pub pid: u32,
}

impl Release {
    pub fn ports(&self) -> Vec<u16> {
        self.instances.iter().map(|i| i.port).collect()
    }

    /// `:8001, :8011` for messages.
    pub fn addresses(&self) -> String {
        self.instances
            .iter()
            .map(|i| format!(":{}", i.port))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Stops every process of the release (SIGTERM, then SIGKILL after `grace`); true when
    /// all drained in time.
    pub fn terminate(&self, grace: Duration) -> bool {
        self.instances
            .iter()
            .map(|i| terminate(i.pid, grace))
            .collect::<Vec<bool>>()
            .into_iter()
            .all(|drained| drained)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct State {
    pub ports: LocalPorts,
    pub redis_password: String,
    pub api_secret: String,
    pub current: Option<Release>,
    pub previous: Option<Release>,
}

fn random_hex(bytes: usize) -> Result<String> {
    let mut buf = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .map_err(|e| Error::io("read", Path::new("/dev/urandom"), e))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

fn write_private(path: &Path, contents: &str) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
    }
    std::fs::write(path, contents).map_err(|e| Error::io("write", path, e))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| Error::io("protect", path, e))
}

/// A local stack under one state directory.
pub struct Local {
    pub dir: PathBuf,
    pub root: PathBuf,
    pub state: State,
}

impl Local {
    /// Opens the state directory, creating it (ports from `base_port`, fresh secrets) if new.
    pub fn open(dir: &Path, root: &Path, base_port: u16) -> Result<Self> {
        let path = dir.join("state.json");
        let state = match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text)?,
            Err(_) => {
                let state = State {
                    ports: LocalPorts::from_base(base_port),
                    redis_password: random_hex(16)?,
                    api_secret: random_hex(24)?,
                    current: None,
                    previous: None,
                };
                write_private(&path, &serde_json::to_string_pretty(&state)?)?;
                state
            }
        };
        Ok(Self {
            dir: dir.to_path_buf(),
            root: root.to_path_buf(),
            state,
        })
    }

    /// Opens an existing state directory.
    pub fn existing(dir: &Path) -> Result<Self> {
        let path = dir.join("state.json");
        let text = std::fs::read_to_string(&path).map_err(|_| {
            Error::Invalid(format!(
                "no local deployment in {} (run `ops deploy --target local` first)",
                dir.display()
            ))
        })?;
        Ok(Self {
            dir: dir.to_path_buf(),
            root: PathBuf::from("."),
            state: serde_json::from_str(&text)?,
        })
    }

    fn save(&self) -> Result<()> {
        write_private(
            &self.dir.join("state.json"),
            &serde_json::to_string_pretty(&self.state)?,
        )
    }

    fn p(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    fn pid_file(&self, name: &str) -> PathBuf {
        self.p(&format!("run/{name}.pid"))
    }

    fn pid(&self, name: &str) -> Option<u32> {
        std::fs::read_to_string(self.pid_file(name))
            .ok()
            .and_then(|s| s.lines().next().and_then(|l| l.trim().parse().ok()))
            .filter(|p| alive(*p))
    }

    fn record_pid(&self, name: &str, pid: u32) -> Result<()> {
        let f = self.pid_file(name);
        if let Some(dir) = f.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
        }
        std::fs::write(&f, pid.to_string()).map_err(|e| Error::io("write", &f, e))
    }

    fn pg_url(&self) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/{DATABASE}",
            self.state.ports.postgres
        )
    }

    fn redis_url(&self) -> String {
        format!(
            "redis://:{}@127.0.0.1:{}/0",
            self.state.redis_password, self.state.ports.redis
        )
    }

    /// The environment every release of the API runs with, then the operator's overrides.
    pub fn api_env(&self, port: u16, extra: &[(String, String)]) -> Vec<(String, String)> {
        let p = &self.state.ports;
        let mut env: Vec<(String, String)> = [
            ("BIND_ADDR", format!("127.0.0.1:{port}")),
            ("DATA_DIR", self.p("data").display().to_string()),
            ("GRAPH_BACKEND", "neo4j".into()),
            ("NEO4J_URI", format!("127.0.0.1:{}", p.neo4j)),
            ("DATABASE_URL", self.pg_url()),
            ("REDIS_URL", self.redis_url()),
            ("API_SECRET", self.state.api_secret.clone()),
            ("PUBLIC_BASE_URL", format!("http://127.0.0.1:{}", p.nginx)),
            ("CORS_ORIGINS", format!("http://127.0.0.1:{}", p.nginx)),
            ("LOG_FORMAT", "json".into()),
            ("HTTP_WORKERS", "2".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        for (k, v) in extra {
            env.retain(|(ek, _)| ek != k);
            env.push((k.clone(), v.clone()));
        }
        env
    }

    // ----- pre-flight -------------------------------------------------------------------

    pub fn preflight(&self) -> Result<String> {
        let tools = [
            nginx_binary().display().to_string(),
            "redis-server".into(),
            "redis-cli".into(),
            format!("{PG_BIN}/pg_ctl"),
            format!("{PG_BIN}/pg_dump"),
            "prometheus".into(),
            "prometheus-alertmanager".into(),
            "prometheus-node-exporter".into(),
            "prometheus-redis-exporter".into(),
            "prometheus-postgres-exporter".into(),
            "java".into(),
            "openssl".into(),
        ];
        let missing: Vec<&String> = tools.iter().filter(|t| !on_path(t)).collect();
        if !missing.is_empty() {
            return Err(Error::MissingTool {
                tool: missing
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                hint: "run scripts/install-deps".into(),
            });
        }
        let jar = self.root.join(NEO4J_JAR);
        if !jar.exists() {
            return Err(Error::MissingTool {
                tool: jar.display().to_string(),
                hint: "run scripts/install-deps (builds the Neo4j server from Maven Central)"
                    .into(),
            });
        }
        // Ports: each is free or held by this stack already.
        let p = &self.state.ports;
        let owned = [
            ("nginx", p.nginx),
            ("postgres", p.postgres),
            ("redis", p.redis),
            ("neo4j", p.neo4j),
            ("prometheus", p.prometheus),
            ("alertmanager", p.alertmanager),
            ("node-exporter", p.node_exporter),
            ("redis-exporter", p.redis_exporter),
            ("postgres-exporter", p.postgres_exporter),
        ];
        for (name, port) in owned {
            if port_open(port) && !self.running(name) {
                return Err(Error::Invalid(format!(
                    "port {port} (for {name}) is taken by another program; choose another --base-port"
                )));
            }
        }
        for (slot, ports) in p.api_slots.iter().enumerate() {
            let ours = self.state.current.as_ref().is_some_and(|r| r.slot == slot);
            if let Some(port) = ports.iter().find(|port| port_open(**port) && !ours) {
                return Err(Error::Invalid(format!(
                    "API slot port {port} is taken by another program; choose another --base-port"
                )));
            }
        }
        let free = free_disk_mb(&self.dir)?;
        if free < 1024 {
            return Err(Error::Invalid(format!(
                "only {free} MB free under {}; 1024 MB needed",
                self.dir.display()
            )));
        }
        // The configurations this target will run, through their validators.
        self.write_configs(self.serving_ports().as_deref())?;
        run(
            "nginx -t (local)",
            Command::new(nginx_binary())
                .arg("-t")
                .arg("-q")
                .arg("-p")
                .arg(self.p("nginx"))
                .arg("-e")
                .arg(self.p("nginx/error.log"))
                .arg("-c")
                .arg(self.p("nginx/nginx.conf")),
        )?;
        run(
            "promtool check config (local)",
            Command::new("promtool")
                .args(["check", "config"])
                .arg(self.p("prometheus/prometheus.yml")),
        )?;
        Ok(format!("tools, ports, {free} MB free, configs valid"))
    }

    fn serving_ports(&self) -> Option<Vec<u16>> {
        self.state.current.as_ref().map(Release::ports)
    }

    /// Nginx, Prometheus and Alertmanager configuration for the API on `api_ports`.
    fn write_configs(&self, api_ports: Option<&[u16]>) -> Result<()> {
        let t = Topology::production();
        let p = self.state.ports;
        let dir = self.p("nginx");
        std::fs::create_dir_all(&dir).map_err(|e| Error::io("create", &dir, e))?;
        let target = nginx::NginxTarget {
            upstreams: api_ports
                .unwrap_or(&p.api_slots[0])
                .iter()
                .map(|port| format!("127.0.0.1:{port}"))
                .collect(),
            listen: nginx::Listen::Plain {
                address: format!("127.0.0.1:{}", p.nginx),
            },
            runtime_dir: Some(dir.clone()),
        };
        write_file(&dir.join("nginx.conf"), &nginx::nginx_conf(&t, &target))?;
        let prom = self.p("prometheus");
        write_file(
            &prom.join("prometheus.yml"),
            &monitoring::prometheus_config(&t, &Placement::Local(p), api_ports, Some("2s"))?,
        )?;
        write_file(&prom.join("alerts.yml"), &monitoring::alert_rules(&t)?)?;
        write_file(
            &self.p("alertmanager/alertmanager.yml"),
            &monitoring::alertmanager_config()?,
        )?;
        Ok(())
    }

    // ----- backing services --------------------------------------------------------------

    fn running(&self, name: &str) -> bool {
        match name {
            "postgres" => self.pg_pid().is_some(),
            "nginx" => self.nginx_pid().is_some(),
            _ => self.pid(name).is_some(),
        }
    }

    fn pg_pid(&self) -> Option<u32> {
        std::fs::read_to_string(self.p("postgres/data/postmaster.pid"))
            .ok()
            .and_then(|s| s.lines().next().and_then(|l| l.trim().parse().ok()))
            .filter(|p| alive(*p))
    }

    /// Starts every backing service that is not running; idempotent.
    pub fn ensure_services(&self, phase: &Phase) -> Result<String> {
        let p = self.state.ports;
        let mut started = Vec::new();
        if self.pg_pid().is_none() {
            phase.note("postgres");
            self.start_postgres()?;
            started.push("postgres");
        }
        if self.pid("redis").is_none() {
            phase.note("redis");
            let dir = self.p("redis");
            std::fs::create_dir_all(&dir).map_err(|e| Error::io("create", &dir, e))?;
            let t = Topology::production();
            let mut cmd = Command::new("redis-server");
            cmd.args(["--bind", "127.0.0.1", "--port", &p.redis.to_string()])
                .args(["--requirepass", &self.state.redis_password])
                .args(["--maxmemory", t.redis.max_memory])
                .args(["--maxmemory-policy", t.redis.eviction])
                .arg("--dir")
                .arg(&dir)
                .args([
                    "--dbfilename",
                    "dump.rdb",
                    "--save",
                    "3600 1",
                    "--daemonize",
                    "no",
                ]);
            let pid = spawn(cmd, &dir.join("redis.log"))?;
            self.record_pid("redis", pid)?;
            wait_until("redis", Duration::from_secs(20), Some(pid), || {
                port_open(p.redis)
            })?;
            started.push("redis");
        }
        if self.pid("neo4j").is_none() {
            phase.note("neo4j (first start takes a while)");
            let dir = self.p("neo4j");
            let _ = std::fs::remove_dir_all(dir.join("data"));
            let jar = self.root.join(NEO4J_JAR);
            let lib = self.root.join("scripts/neo4j/target/lib/*");
            let mut cmd = Command::new("java");
            cmd.args(["-Xms256m", "-Xmx1g", "-cp"])
                .arg(format!("{}:{}", jar.display(), lib.display()))
                .arg("dev.nflpredictor.Neo4jTestServer")
                .arg(p.neo4j.to_string())
                .arg(dir.join("data"));
            let pid = spawn(cmd, &dir.join("neo4j.log"))?;
            self.record_pid("neo4j", pid)?;
            wait_until("neo4j", Duration::from_secs(180), Some(pid), || {
                port_open(p.neo4j)
            })
            .map_err(|e| {
                Error::Invalid(format!(
                    "{e}\n{}",
                    process::tail(&dir.join("neo4j.log"), 15)
                ))
            })?;
            started.push("neo4j");
        }
        let exporters: [Exporter; 3] = [
            (
                "node-exporter",
                p.node_exporter,
                vec![format!(
                    "--web.listen-address=127.0.0.1:{}",
                    p.node_exporter
                )],
                vec![],
            ),
            (
                "redis-exporter",
                p.redis_exporter,
                vec![
                    format!("--redis.addr=redis://127.0.0.1:{}", p.redis),
                    format!("--web.listen-address=127.0.0.1:{}", p.redis_exporter),
                ],
                vec![("REDIS_PASSWORD".into(), self.state.redis_password.clone())],
            ),
            (
                "postgres-exporter",
                p.postgres_exporter,
                vec![format!(
                    "--web.listen-address=127.0.0.1:{}",
                    p.postgres_exporter
                )],
                vec![(
                    "DATA_SOURCE_NAME".into(),
                    format!(
                        "postgresql://postgres@127.0.0.1:{}/{DATABASE}?sslmode=disable",
                        p.postgres
                    ),
                )],
            ),
        ];
        for (name, port, args, env) in exporters {
            if self.pid(name).is_none() {
                phase.note(name);
                let mut cmd = Command::new(format!("prometheus-{name}"));
                cmd.args(&args).envs(env);
                let pid = spawn(cmd, &self.p(&format!("exporters/{name}.log")))?;
                self.record_pid(name, pid)?;
                wait_until(name, Duration::from_secs(20), Some(pid), || port_open(port))?;
                started.push(name);
            }
        }
        if self.pid("alertmanager").is_none() {
            phase.note("alertmanager");
            let dir = self.p("alertmanager");
            let mut cmd = Command::new("prometheus-alertmanager");
            cmd.arg(format!(
                "--config.file={}",
                dir.join("alertmanager.yml").display()
            ))
            .arg(format!("--storage.path={}", dir.join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{}", p.alertmanager))
            .arg("--cluster.listen-address=");
            let pid = spawn(cmd, &dir.join("alertmanager.log"))?;
            self.record_pid("alertmanager", pid)?;
            wait_until("alertmanager", Duration::from_secs(20), Some(pid), || {
                http_ok(&format!("http://127.0.0.1:{}/-/ready", p.alertmanager))
            })?;
            started.push("alertmanager");
        }
        if self.pid("prometheus").is_none() {
            phase.note("prometheus");
            let dir = self.p("prometheus");
            let mut cmd = Command::new("prometheus");
            cmd.arg(format!(
                "--config.file={}",
                dir.join("prometheus.yml").display()
            ))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg("--storage.tsdb.retention.time=30d")
            .arg(format!("--web.listen-address=127.0.0.1:{}", p.prometheus))
            .arg("--web.enable-lifecycle");
            let pid = spawn(cmd, &dir.join("prometheus.log"))?;
            self.record_pid("prometheus", pid)?;
            wait_until("prometheus", Duration::from_secs(30), Some(pid), || {
                http_ok(&format!("http://127.0.0.1:{}/-/ready", p.prometheus))
            })?;
            started.push("prometheus");
        }
        Ok(if started.is_empty() {
            "all running".into()
        } else {
            format!("started {}", started.join(", "))
        })
    }

    fn as_postgres(&self, program: &str) -> Command {
        if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--", program]);
            c
        } else {
            Command::new(program)
        }
    }

    fn start_postgres(&self) -> Result<()> {
        let dir = self.p("postgres");
        let data = dir.join("data");
        let sock = dir.join("run");
        for d in [&dir, &sock] {
            std::fs::create_dir_all(d).map_err(|e| Error::io("create", d, e))?;
        }
        if is_root() {
            run(
                "chown postgres",
                Command::new("chown")
                    .args(["-R", "postgres:postgres"])
                    .arg(&dir),
            )?;
        }
        if !data.join("PG_VERSION").exists() {
            run(
                "initdb",
                self.as_postgres(&format!("{PG_BIN}/initdb"))
                    .arg("-D")
                    .arg(&data)
                    .args(["-U", "postgres", "-A", "trust"]),
            )?;
        }
        run(
            "pg_ctl start",
            self.as_postgres(&format!("{PG_BIN}/pg_ctl"))
                .arg("-D")
                .arg(&data)
                .arg("-l")
                .arg(dir.join("postgres.log"))
                .arg("-w")
                .arg("-o")
                .arg(format!(
                    "-c listen_addresses=127.0.0.1 -p {} -k {}",
                    self.state.ports.postgres,
                    sock.display()
                ))
                .arg("start"),
        )?;
        let exists = run(
            "psql",
            Command::new(format!("{PG_BIN}/psql"))
                .args([
                    "-h",
                    "127.0.0.1",
                    "-p",
                    &self.state.ports.postgres.to_string(),
                ])
                .args(["-U", "postgres", "-tAc"])
                .arg(format!(
                    "SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'"
                )),
        )?;
        if exists.trim() != "1" {
            run(
                "createdb",
                Command::new(format!("{PG_BIN}/createdb"))
                    .args([
                        "-h",
                        "127.0.0.1",
                        "-p",
                        &self.state.ports.postgres.to_string(),
                    ])
                    .args(["-U", "postgres", DATABASE]),
            )?;
        }
        Ok(())
    }

    // ----- releases ----------------------------------------------------------------------

    /// Copies (or builds, then copies) the API binary into a new release directory.
    pub fn build(&self, opts: &DeployOptions, id: &str, phase: &Phase) -> Result<PathBuf> {
        let src = match &opts.api_bin {
            Some(b) => b.clone(),
            None => {
                phase.note("cargo build --release -p api");
                run(
                    "cargo build --release -p api",
                    Command::new("cargo").current_dir(&self.root).args([
                        "build",
                        "--release",
                        "-p",
                        "api",
                    ]),
                )?;
                self.root.join("target/release/api")
            }
        };
        let dir = self.p(&format!("releases/{id}"));
        std::fs::create_dir_all(&dir).map_err(|e| Error::io("create", &dir, e))?;
        let dest = dir.join("api");
        std::fs::copy(&src, &dest).map_err(|e| Error::io("copy", &src, e))?;
        Ok(dest)
    }

    pub fn migrate(&self, binary: &Path, env: &[(String, String)]) -> Result<String> {
        let out = run(
            "api migrate",
            Command::new(binary)
                .arg("migrate")
                .env_clear()
                .env("PATH", std::env::var_os("PATH").unwrap_or_default())
                .envs(env.iter().map(|(k, v)| (k, v))),
        )?;
        Ok(out
            .lines()
            .find(|l| l.starts_with("migrations applied"))
            .unwrap_or("migrations applied")
            .to_string())
    }

    /// Starts a release on the slot that is not serving; returns it (not yet serving).
    pub fn stage(&self, id: &str, binary: &Path, extra: &[(String, String)]) -> Result<Release> {
        let slot = match &self.state.current {
            Some(r) => 1 - r.slot,
            None => 0,
        };
        self.launch(id, slot, binary, extra)
    }

    /// Runs `binary` as release `id` on API slot `slot`: its API_INSTANCES processes. Only the
    /// first seeds an empty store (the others start with `SEED_FILE=none` and catch up through
    /// the shared history generation).
    fn launch(
        &self,
        id: &str,
        slot: usize,
        binary: &Path,
        extra: &[(String, String)],
    ) -> Result<Release> {
        let mut instances = Vec::new();
        for (i, port) in self.state.ports.api_slots[slot].iter().copied().enumerate() {
            let mut env = self.api_env(port, extra);
            if i > 0 {
                env.retain(|(k, _)| k != "SEED_FILE");
                env.push(("SEED_FILE".into(), "none".into()));
            }
            let mut cmd = Command::new(binary);
            cmd.env_clear()
                .env("PATH", std::env::var_os("PATH").unwrap_or_default())
                .envs(env.iter().map(|(k, v)| (k, v)));
            let log = if i == 0 {
                self.p(&format!("releases/{id}/api.log"))
            } else {
                self.p(&format!("releases/{id}/api-{}.log", i + 1))
            };
            let pid = spawn(cmd, &log)?;
            self.record_pid(&format!("api-{slot}-{i}"), pid)?;
            instances.push(Instance { port, pid });
        }
        Ok(Release {
            id: id.to_string(),
            slot,
            instances,
            binary: binary.to_path_buf(),
            env: extra.to_vec(),
        })
    }

    /// Every process of the release is ready (`/readyz` 200) and serves the expert list with
    /// the admin key.
    pub fn health_gate(&self, r: &Release, timeout: Duration) -> Result<String> {
        let mut served = 0;
        for (i, instance) in r.instances.iter().enumerate() {
            served = self.instance_gate(r, i, instance, timeout)?;
        }
        Ok(format!(
            "{} instances: /readyz 200, {served} experts served",
            r.instances.len()
        ))
    }

    fn instance_gate(
        &self,
        r: &Release,
        i: usize,
        instance: &Instance,
        timeout: Duration,
    ) -> Result<usize> {
        let base = format!("http://127.0.0.1:{}", instance.port);
        let log = if i == 0 {
            self.p(&format!("releases/{}/api.log", r.id))
        } else {
            self.p(&format!("releases/{}/api-{}.log", r.id, i + 1))
        };
        wait_until(
            &format!("release {} instance {} /readyz", r.id, i + 1),
            timeout,
            Some(instance.pid),
            || http_ok(&format!("{base}/readyz")),
        )
        .map_err(|e| Error::Invalid(format!("{e}; last log lines:\n{}", process::tail(&log, 8))))?;
        let key = std::fs::read_to_string(self.p("data/admin.key"))
            .map_err(|e| Error::io("read", &self.p("data/admin.key"), e))?;
        let experts: serde_json::Value = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()?
            .get(format!("{base}/api/v1/experts"))
            .header("X-API-Key", key.trim())
            .send()?
            .error_for_status()?
            .json()?;
        let n = experts["items"]
            .as_array()
            .or_else(|| experts.as_array())
            .map(|a| a.len())
            .unwrap_or(0);
        if n < 16 {
            return Err(Error::Invalid(format!(
                "release {} instance {} lists {n} experts, expected at least 16",
                r.id,
                i + 1
            )));
        }
        Ok(n)
    }

    /// Points nginx (and Prometheus) at `ports`, reloading or starting nginx.
    pub fn switch(&self, ports: &[u16]) -> Result<()> {
        self.write_configs(Some(ports))?;
        let nginx_args = |c: &mut Command| {
            c.arg("-p")
                .arg(self.p("nginx"))
                .arg("-e")
                .arg(self.p("nginx/error.log"))
                .arg("-c")
                .arg(self.p("nginx/nginx.conf"));
        };
        let mut test = Command::new(nginx_binary());
        test.arg("-t").arg("-q");
        nginx_args(&mut test);
        run("nginx -t", &mut test)?;
        let running = self
            .nginx_pid()
            .is_some_and(|p| alive(p) && port_open(self.state.ports.nginx));
        let mut cmd = Command::new(nginx_binary());
        nginx_args(&mut cmd);
        if running {
            cmd.args(["-s", "reload"]);
            run("nginx -s reload", &mut cmd)?;
        } else {
            run("nginx start", &mut cmd)?;
        }
        wait_until("nginx", Duration::from_secs(10), None, || {
            http_ok(&format!(
                "http://127.0.0.1:{}/healthz",
                self.state.ports.nginx
            ))
        })?;
        // Prometheus follows the serving release.
        if let Some(pid) = self.pid("prometheus") {
            process::signal(pid, "HUP");
        }
        Ok(())
    }

    fn nginx_pid(&self) -> Option<u32> {
        std::fs::read_to_string(self.p("nginx/nginx.pid"))
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .filter(|p| alive(*p))
    }

    pub fn promote(&mut self, r: Release) -> Result<Option<Release>> {
        let old = self.state.current.take();
        self.state.previous = old.clone();
        self.state.current = Some(r);
        self.save()?;
        Ok(old)
    }

    /// Deletes release directories beyond the newest KEEP_RELEASES (never the serving ones)
    /// and backups past retention.
    pub fn cleanup(&self) -> Result<String> {
        let mut removed = 0;
        let dir = self.p("releases");
        let mut ids: Vec<String> = std::fs::read_dir(&dir)
            .map_err(|e| Error::io("list", &dir, e))?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        ids.sort();
        ids.reverse();
        let live: Vec<&str> = [&self.state.current, &self.state.previous]
            .iter()
            .filter_map(|r| r.as_ref().map(|r| r.id.as_str()))
            .collect();
        for id in ids.iter().skip(KEEP_RELEASES) {
            if !live.contains(&id.as_str()) {
                let _ = std::fs::remove_dir_all(dir.join(id));
                removed += 1;
            }
        }
        let pruned = self.prune_backups()?;
        Ok(format!(
            "{removed} old releases removed, {pruned} backups past retention removed"
        ))
    }

    pub fn prune_backups(&self) -> Result<usize> {
        let dir = self.p("backups");
        let ids: Vec<String> = match std::fs::read_dir(&dir) {
            Ok(entries) => entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect(),
            Err(_) => return Ok(0),
        };
        let expired = retention::expired(&ids, chrono::Utc::now());
        for id in &expired {
            std::fs::remove_dir_all(dir.join(id))
                .map_err(|e| Error::io("remove", &dir.join(id), e))?;
        }
        Ok(expired.len())
    }

    // ----- backup and restore ------------------------------------------------------------

    pub fn backup(&self) -> Result<String> {
        // Ids have one-second resolution: never reuse one.
        let (id, dir) = loop {
            let id = retention::id_for(chrono::Utc::now());
            let dir = self.p(&format!("backups/{id}"));
            if !dir.exists() {
                break (id, dir);
            }
            std::thread::sleep(Duration::from_millis(200));
        };
        std::fs::create_dir_all(&dir).map_err(|e| Error::io("create", &dir, e))?;
        let pg = self.state.ports.postgres.to_string();
        run(
            "pg_dump",
            Command::new(format!("{PG_BIN}/pg_dump"))
                .args(["-h", "127.0.0.1", "-p", &pg, "-U", "postgres", "-Fc", "-f"])
                .arg(dir.join("postgres.dump"))
                .arg(DATABASE),
        )?;
        // Redis: BGSAVE, then wait until a save that finished after this request is on disk
        // (LASTSAVE has one-second resolution; the in-progress flag covers the same second).
        let asked = chrono::Utc::now().timestamp();
        self.redis(&["BGSAVE"])?;
        wait_until("redis BGSAVE", Duration::from_secs(30), None, || {
            let saved = self
                .redis(&["LASTSAVE"])
                .ok()
                .and_then(|s| s.parse::<i64>().ok())
                .unwrap_or(0);
            saved >= asked
                && self.redis(&["INFO", "persistence"]).is_ok_and(|s| {
                    s.contains("rdb_bgsave_in_progress:0")
                        && s.contains("rdb_last_bgsave_status:ok")
                })
        })?;
        let rdb = self.p("redis/dump.rdb");
        std::fs::copy(&rdb, dir.join("redis.rdb")).map_err(|e| Error::io("copy", &rdb, e))?;
        copy_dir(&self.p("data"), &dir.join("data"))?;
        let manifest = serde_json::json!({
            "id": id,
            "release": self.state.current.as_ref().map(|r| r.id.clone()),
            "files": ["postgres.dump", "redis.rdb", "data/"],
            "graph": "not included on the local target: its Neo4j is the embedded test server, \
                      without neo4j-admin; the compose and k8s targets dump it with neo4j-admin",
        });
        write_file(
            &dir.join("manifest.json"),
            &serde_json::to_string_pretty(&manifest)?,
        )?;
        self.prune_backups()?;
        Ok(id)
    }

    fn redis(&self, args: &[&str]) -> Result<String> {
        run(
            "redis-cli",
            Command::new("redis-cli")
                .args(["-h", "127.0.0.1", "-p", &self.state.ports.redis.to_string()])
                .args(["-a", &self.state.redis_password, "--no-auth-warning"])
                .args(args),
        )
        .map(|s| s.trim().to_string())
    }

    pub fn backups(&self) -> Vec<String> {
        let mut ids: Vec<String> = std::fs::read_dir(self.p("backups"))
            .map(|rd| {
                rd.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|i| retention::time_of(i).is_some())
                    .collect()
            })
            .unwrap_or_default();
        ids.sort();
        ids
    }

    /// Restores a backup: the API is stopped, PostgreSQL, Redis and the data directory are
    /// put back, and the same release is started again behind its health gate.
    pub fn restore(&mut self, id: Option<&str>) -> Result<String> {
        let backups = self.backups();
        let id = match id {
            Some(i) => backups
                .iter()
                .find(|b| b.as_str() == i)
                .cloned()
                .ok_or_else(|| {
                    Error::Invalid(format!("no backup `{i}` (have: {})", backups.join(", ")))
                })?,
            None => backups
                .last()
                .cloned()
                .ok_or_else(|| Error::Invalid("no backups to restore".into()))?,
        };
        let dir = self.p(&format!("backups/{id}"));
        let current = self.state.current.clone();
        if let Some(r) = &current {
            r.terminate(Duration::from_secs(30));
        }
        let pg = self.state.ports.postgres.to_string();
        run(
            "pg_restore",
            Command::new(format!("{PG_BIN}/pg_restore"))
                .args(["-h", "127.0.0.1", "-p", &pg, "-U", "postgres"])
                .args([
                    "--clean",
                    "--if-exists",
                    "--single-transaction",
                    "-d",
                    DATABASE,
                ])
                .arg(dir.join("postgres.dump")),
        )?;
        // Redis: stop, replace the snapshot, start again.
        if let Some(pid) = self.pid("redis") {
            self.redis(&["SHUTDOWN", "NOSAVE"]).ok();
            terminate(pid, Duration::from_secs(10));
        }
        let rdb = self.p("redis/dump.rdb");
        std::fs::copy(dir.join("redis.rdb"), &rdb).map_err(|e| Error::io("restore", &rdb, e))?;
        copy_dir(&dir.join("data"), &self.p("data"))?;
        let phase = Phase::start(1, 1, "restart services");
        let started = self.ensure_services(&phase)?;
        phase.done(&started);
        if let Some(r) = current {
            let phase = Phase::start(1, 1, "restart the API");
            let fresh = self.launch(&r.id, r.slot, &r.binary, &r.env)?;
            self.health_gate(&fresh, Duration::from_secs(120))?;
            self.state.current = Some(fresh);
            self.save()?;
            phase.done("healthy");
        }
        Ok(id)
    }

    // ----- status and stop ---------------------------------------------------------------

    pub fn status(&self) -> Vec<StatusRow> {
        let p = self.state.ports;
        let row = |service: &str, pid: Option<u32>, port: u16, url: Option<String>| {
            let healthy = pid.is_some() && url.as_deref().map_or_else(|| port_open(port), http_ok);
            StatusRow {
                service: service.to_string(),
                pid,
                address: format!("127.0.0.1:{port}"),
                healthy,
                detail: String::new(),
            }
        };
        let mut rows = Vec::new();
        match &self.state.current {
            Some(r) => {
                for (i, instance) in r.instances.iter().enumerate() {
                    let pid = Some(instance.pid).filter(|p| alive(*p));
                    let name = if i == 0 {
                        "api".to_string()
                    } else {
                        format!("api-{}", i + 1)
                    };
                    let mut api = row(
                        &name,
                        pid,
                        instance.port,
                        Some(format!("http://127.0.0.1:{}/health", instance.port)),
                    );
                    api.detail = format!("release {}", r.id);
                    if api.healthy {
                        api.detail.push_str(", /health 200");
                    }
                    rows.push(api);
                }
            }
            None => rows.push(StatusRow {
                service: "api".into(),
                pid: None,
                address: "-".into(),
                healthy: false,
                detail: "no release deployed".into(),
            }),
        }
        let mut nginx = row(
            "nginx",
            self.nginx_pid(),
            p.nginx,
            Some(format!("http://127.0.0.1:{}/healthz", p.nginx)),
        );
        nginx.detail = "proxy, rate limits".into();
        rows.push(nginx);
        rows.push(row("postgres", self.pg_pid(), p.postgres, None));
        rows.push(row("redis", self.pid("redis"), p.redis, None));
        rows.push(row("neo4j", self.pid("neo4j"), p.neo4j, None));
        rows.push(row(
            "prometheus",
            self.pid("prometheus"),
            p.prometheus,
            Some(format!("http://127.0.0.1:{}/-/healthy", p.prometheus)),
        ));
        rows.push(row(
            "alertmanager",
            self.pid("alertmanager"),
            p.alertmanager,
            Some(format!("http://127.0.0.1:{}/-/healthy", p.alertmanager)),
        ));
        for (name, port) in [
            ("node-exporter", p.node_exporter),
            ("redis-exporter", p.redis_exporter),
            ("postgres-exporter", p.postgres_exporter),
        ] {
            rows.push(row(
                name,
                self.pid(name),
                port,
                Some(format!("http://127.0.0.1:{port}/metrics")),
            ));
        }
        rows
    }

    pub fn stop(&self) -> Result<()> {
        for r in [&self.state.current, &self.state.previous]
            .into_iter()
            .flatten()
        {
            r.terminate(Duration::from_secs(30));
        }
        if let Some(pid) = self.nginx_pid() {
            terminate(pid, Duration::from_secs(10));
        }
        for name in [
            "prometheus",
            "alertmanager",
            "node-exporter",
            "redis-exporter",
            "postgres-exporter",
            "neo4j",
            "redis",
        ] {
            if let Some(pid) = self.pid(name) {
                terminate(pid, Duration::from_secs(20));
            }
        }
        if self.pg_pid().is_some() {
            run(
                "pg_ctl stop",
                self.as_postgres(&format!("{PG_BIN}/pg_ctl"))
                    .arg("-D")
                    .arg(self.p("postgres/data"))
                    .args(["-m", "fast", "stop"]),
            )?;
        }
        Ok(())
    }

    pub fn ports(&self) -> LocalPorts {
        self.state.ports
    }

    pub fn stage_message(&self) -> String {
        match &self.state.current {
            Some(r) => format!("serving {} on {}", r.id, r.addresses()),
            None => "no release serving yet".into(),
        }
    }
}

/// An exporter: its name, port, arguments and environment.
type Exporter = (&'static str, u16, Vec<String>, Vec<(String, String)>);

fn is_root() -> bool {
    std::env::var("USER").as_deref() == Ok("root")
        || std::fs::read_to_string("/proc/self/status")
            .map(|s| {
                s.lines()
                    .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
            })
            .unwrap_or(false)
}

fn on_path(tool: &str) -> bool {
    if tool.contains('/') {
        return Path::new(tool).exists();
    }
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(tool).exists()))
}

fn free_disk_mb(dir: &Path) -> Result<u64> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
    let out = run("df", Command::new("df").arg("-Pk").arg(dir))?;
    out.lines()
        .nth(1)
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|k| k.parse::<u64>().ok())
        .map(|k| k / 1024)
        .ok_or_else(|| Error::Invalid(format!("could not read free space from df: {out}")))
}

fn write_file(path: &Path, contents: &str) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
    }
    std::fs::write(path, contents).map_err(|e| Error::io("write", path, e))
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to).map_err(|e| Error::io("create", to, e))?;
    let entries = match std::fs::read_dir(from) {
        Ok(e) => e,
        Err(_) => return Ok(()),
    };
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("list", from, e))?;
        let src = entry.path();
        let dst = to.join(entry.file_name());
        if src.is_dir() {
            copy_dir(&src, &dst)?;
        } else {
            std::fs::copy(&src, &dst).map_err(|e| Error::io("copy", &src, e))?;
        }
    }
    Ok(())
}

/// For messages: which release serves now.
pub fn describe(r: &Option<Release>) -> String {
    r.as_ref()
        .map(|r| format!("{} ({})", r.id, r.addresses()))
        .unwrap_or_else(|| ui::yellow("none"))
}
