//! The Nginx reverse proxy in front of the API: TLS, gzip, security headers, rate limits,
//! WebSocket upgrade, and `/metrics` kept off the public side.

use std::fmt::Write as _;
use std::path::PathBuf;

use crate::topology::Topology;

/// Where and how this Nginx runs.
#[derive(Clone, Debug)]
pub struct NginxTarget {
    /// `host:port` of each API instance behind the proxy.
    pub upstreams: Vec<String>,
    /// Plain HTTP on one loopback address (local target) or 80 + 443 with TLS (compose).
    pub listen: Listen,
    /// Runtime paths (pid, logs, temp files) for an unprivileged, self-contained instance;
    /// `None` uses the image's defaults.
    pub runtime_dir: Option<PathBuf>,
}

#[derive(Clone, Debug)]
pub enum Listen {
    Tls { certificate: PathBuf, key: PathBuf },
    Plain { address: String },
}

impl NginxTarget {
    pub fn compose(t: &Topology) -> Self {
        Self {
            upstreams: vec![format!("api:{}", t.api.port)],
            listen: Listen::Tls {
                certificate: "/etc/nginx/certs/tls.crt".into(),
                key: "/etc/nginx/certs/tls.key".into(),
            },
            runtime_dir: None,
        }
    }
}

const SECURITY_HEADERS: [(&str, &str); 6] = [
    ("X-Content-Type-Options", "\"nosniff\""),
    ("X-Frame-Options", "\"DENY\""),
    ("Referrer-Policy", "\"no-referrer\""),
    ("Permissions-Policy", "\"geolocation=(), camera=(), microphone=()\""),
    (
        "Content-Security-Policy",
        "\"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self' ws: wss:; frame-ancestors 'none'\"",
    ),
    ("Cross-Origin-Opener-Policy", "\"same-origin\""),
];

pub fn nginx_conf(t: &Topology, target: &NginxTarget) -> String {
    let mut c = String::new();
    let w = &mut c;
    process(w, target);
    http_settings(w, t, target);
    let listen = listen(w, t, target);
    server(w, t, &listen);
    c
}

/// The process: pid and logs (under the runtime directory when there is one), events.
fn process(w: &mut String, target: &NginxTarget) {
    let _ = writeln!(
        w,
        "# Rendered by `cargo run -p ops -- render` from the typed topology; do not edit by hand."
    );
    let _ = writeln!(w, "worker_processes auto;");
    if let Some(dir) = &target.runtime_dir {
        let d = dir.display();
        let _ = writeln!(w, "pid {d}/nginx.pid;\nerror_log {d}/error.log warn;");
    } else {
        let _ = writeln!(
            w,
            "pid /var/run/nginx.pid;\nerror_log /var/log/nginx/error.log warn;"
        );
    }
    let _ = writeln!(w, "events {{\n    worker_connections 4096;\n}}\n\nhttp {{");
    if let Some(dir) = &target.runtime_dir {
        let d = dir.display();
        for kind in ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"] {
            let _ = writeln!(w, "    {kind}_temp_path {d}/{kind};");
        }
        let _ = writeln!(w, "    access_log {d}/access.log;");
    } else {
        let _ = writeln!(w, "    access_log /var/log/nginx/access.log;");
    }
}

/// The `http` block's settings: logs, gzip, buffers, the rate-limit zones, the WebSocket
/// upgrade map and the upstream of API instances.
fn http_settings(w: &mut String, t: &Topology, target: &NginxTarget) {
    let r = &t.rate_limits;
    let _ = write!(
        w,
        r#"    server_tokens off;
    default_type application/octet-stream;
    sendfile on;
    keepalive_timeout 65s;
    client_max_body_size {body};

    gzip on;
    gzip_min_length 1024;
    gzip_comp_level 5;
    gzip_proxied any;
    gzip_vary on;
    gzip_types application/json application/problem+json text/plain text/css application/javascript image/svg+xml;

    # A game's forecast is ~40 KB of JSON: buffered in memory whole (the defaults, 8 x 4 KB,
    # spill it to a temp file on every request, which halved throughput in scripts/bench).
    proxy_buffer_size 16k;
    proxy_buffers 8 32k;
    proxy_busy_buffers_size 64k;

"#,
        body = t.max_body
    );
    if r.api_per_second > 0 {
        let _ = writeln!(
            w,
            "    limit_req_zone $binary_remote_addr zone=api:10m rate={}r/s;",
            r.api_per_second
        );
    }
    if r.auth_per_second > 0 {
        let _ = writeln!(
            w,
            "    limit_req_zone $binary_remote_addr zone=auth:10m rate={}r/s;",
            r.auth_per_second
        );
    }
    let _ = write!(
        w,
        r#"    limit_req_status 429;

    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ''      "";
    }}

    upstream api {{
"#
    );
    for u in &target.upstreams {
        let _ = writeln!(w, "        server {u} max_fails=3 fail_timeout=10s;");
    }
    let _ = writeln!(w, "        keepalive 64;\n    }}\n");
}

/// With TLS, the port-80 server that redirects (and answers `/healthz`); the main server's
/// listen directives.
fn listen(w: &mut String, t: &Topology, target: &NginxTarget) -> String {
    match &target.listen {
        Listen::Tls { certificate, key } => {
            let _ = write!(
                w,
                r#"    server {{
        listen 80 default_server;
        location = /healthz {{
            access_log off;
            default_type text/plain;
            return 200 "ok\n";
        }}
        location / {{
            return 301 https://$host$request_uri;
        }}
    }}

"#
            );
            format!(
                r#"        listen 443 ssl http2 default_server;
        server_name {domain};
        ssl_certificate {cert};
        ssl_certificate_key {key};
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305;
        ssl_prefer_server_ciphers off;
        ssl_session_cache shared:SSL:10m;
        ssl_session_timeout 1d;
        ssl_session_tickets off;
        add_header Strict-Transport-Security "max-age=63072000; includeSubDomains" always;
"#,
                domain = t.domain,
                cert = certificate.display(),
                key = key.display()
            )
        }
        Listen::Plain { address } => format!("        listen {address};\n"),
    }
}

/// The main server: security headers, the blocked metrics path, `/healthz`, `/admin/` with the
/// auth rate limit, the WebSocket stream, and everything else to the API.
fn server(w: &mut String, t: &Topology, listen: &str) {
    let r = &t.rate_limits;
    let _ = write!(w, "    server {{\n{listen}");
    for (name, value) in SECURITY_HEADERS {
        let _ = writeln!(w, "        add_header {name} {value} always;");
    }
    let limit = |zone: &str, rate: u32, burst: u32| {
        if rate > 0 {
            format!("            limit_req zone={zone} burst={burst} nodelay;\n")
        } else {
            String::new()
        }
    };
    let api_limit = limit("api", r.api_per_second, r.api_burst);
    let auth_limit = limit("auth", r.auth_per_second, r.auth_burst);
    let proxy = r#"            proxy_pass http://api;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Real-IP $remote_addr;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_next_upstream error timeout http_502 http_503;
            # The API sets these as well: send one copy, Nginx's.
            proxy_hide_header X-Content-Type-Options;
            proxy_hide_header X-Frame-Options;
            proxy_hide_header Referrer-Policy;
            proxy_connect_timeout 5s;
            proxy_read_timeout 60s;
"#;
    let _ = write!(
        w,
        r#"
        # Prometheus scrapes the API directly on the internal network; never through here.
        location = {metrics} {{
            return 404;
        }}

        location = /healthz {{
            access_log off;
            default_type text/plain;
            return 200 "ok\n";
        }}

        location /admin/ {{
{auth_limit}{proxy}        }}

        location = /api/v1/stream {{
{api_limit}            proxy_pass http://api;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
            proxy_set_header X-Real-IP $remote_addr;
            proxy_read_timeout 1h;
        }}

        location / {{
{api_limit}{proxy}        }}
    }}
}}
"#,
        metrics = t.api.metrics_path
    );
}
