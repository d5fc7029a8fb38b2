//! The multi-stage Dockerfile and its `.dockerignore`.

use std::fmt::Write as _;

use crate::topology::Topology;

/// Workspace members and whether each has a library and/or a binary target; the dependency
/// stage builds against stub sources of exactly these shapes.
/// (A test ties this list to the workspace's `members`.)
const CRATES: [(&str, bool, bool); 7] = [
    ("api", true, true),
    ("graph", true, false),
    ("store", true, false),
    ("forecast", true, false),
    ("runtime", true, false),
    ("season", true, false),
    ("ops", true, true),
];

pub fn dockerfile(t: &Topology) -> String {
    let mut stubs = String::new();
    let mut manifests = String::new();
    for (name, lib, bin) in CRATES {
        writeln!(manifests, "COPY {name}/Cargo.toml {name}/Cargo.toml").expect("write to String");
        let mut files = Vec::new();
        if lib {
            files.push(format!("touch {name}/src/lib.rs"));
        }
        if bin {
            files.push(format!("echo 'fn main() {{}}' > {name}/src/main.rs"));
        }
        writeln!(
            stubs,
            " && mkdir -p {name}/src && {} \\",
            files.join(" && ")
        )
        .expect("write to String");
    }
    let port = t.api.port;
    let uid = t.api.uid;
    let data = t.api.data_dir;
    let health = t.api.ready_path;
    let members = CRATES.map(|c| c.0).join(" ");
    format!(
        r#"# syntax=docker/dockerfile:1
# Rendered by `cargo run -p ops -- render` from the typed topology; do not edit by hand.
# Multi-stage build of the nfl-predictor API:
#   docker build -f docker/Dockerfile -t nfl-predictor .                    production (default)
#   docker build -f docker/Dockerfile --target development -t nflp-dev .    cargo run, sources mounted
#   docker build -f docker/Dockerfile --target test .                       runs the unit tests

# 1. Dependency cache: compile every dependency against stub sources, so that a change to the
#    project's own code does not rebuild the dependency tree.
FROM rust:1-bookworm AS deps
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
# Patched third-party crates the workspace depends on (vendor/README.md).
COPY vendor vendor
{manifests}RUN true \
{stubs} && cargo build --release -p api

# 2. Build the service itself (sources are touched so that cargo does not trust the stubs).
FROM deps AS build
# The commit served in nflp_build_info (the build context has no .git):
#   docker build --build-arg NFLP_GIT_COMMIT=$(git rev-parse --short=12 HEAD) ...
ARG NFLP_GIT_COMMIT=unknown
ENV NFLP_GIT_COMMIT=$NFLP_GIT_COMMIT
COPY . .
RUN find {members} -name '*.rs' -exec touch {{}} + \
 && cargo build --release -p api \
 && strip target/release/api

# Unit tests of every crate (integration tests need the real servers: see scripts/test).
FROM deps AS test
COPY . .
RUN find api graph store forecast ops -name '*.rs' -exec touch {{}} + \
 && cargo test --workspace --lib

# Development: the toolchain with the sources; `cargo run -p api` on the embedded default.
FROM deps AS development
COPY . .
ENV BIND_ADDR=0.0.0.0:{port} DATA_DIR=/src/var
EXPOSE {port}
CMD ["cargo", "run", "-p", "api"]

# 3. Production: a small Debian image, a non-root user, tini as PID 1, a health check.
FROM debian:bookworm-slim AS production
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl tini \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid {uid} --home-dir {data} --create-home nflp
COPY --from=build /src/target/release/api /usr/local/bin/api
USER {uid}:{uid}
WORKDIR {data}
ENV BIND_ADDR=0.0.0.0:{port} DATA_DIR={data} APP_PROFILE=production
EXPOSE {port}
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
  CMD curl -fsS http://127.0.0.1:{port}{health} || exit 1
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/api"]
"#
    )
}

pub fn dockerignore() -> String {
    "# Rendered by `cargo run -p ops -- render`.\n\
     target\nvar\n.git\n**/*.log\n.env\n.env.production\n.env.development\n\
     scripts/neo4j/target\n.schemathesis\nnginx/certs\n"
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dependency_stage_stubs_exactly_the_workspace_members_with_their_targets() {
        let manifest = include_str!("../../../Cargo.toml");
        let line = manifest
            .lines()
            .find(|l| l.starts_with("members"))
            .expect("a members line");
        let members: Vec<&str> = line.split('"').skip(1).step_by(2).collect();
        let stubbed: Vec<&str> = CRATES.iter().map(|c| c.0).collect();
        assert_eq!(stubbed, members);
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        for (name, lib, bin) in CRATES {
            assert_eq!(
                root.join(name).join("src/lib.rs").exists(),
                lib,
                "{name} lib"
            );
            assert_eq!(
                root.join(name).join("src/main.rs").exists(),
                bin,
                "{name} bin"
            );
        }
        let file = dockerfile(&Topology::production());
        assert!(file.contains("COPY vendor vendor"), "the patched crates");
        assert!(file.contains(&format!("RUN find {} -name", members.join(" "))));
    }
}
