# syntax=docker/dockerfile:1
#
# The one image of the platform: every service runs from it (`ticketing serve --services ...`),
# and so do `ticketing migrate` and `ticketing demo`.
#
#   docker build -t ticketing .
#   docker run --rm -p 8000:8000 ticketing            # embedded mode: SQLite in the /var/lib/ticketing volume
#
# The build steps are the ones CI runs: `npm ci && npm run build` in web/, then
# `cargo build --release --locked -p cli`.

ARG NODE_VERSION=20
ARG RUST_VERSION=1.95
ARG DEBIAN_RELEASE=bookworm

# --- 1. the web app -----------------------------------------------------------------------------
FROM node:${NODE_VERSION}-${DEBIAN_RELEASE}-slim AS web
WORKDIR /src/web
# Dependencies first, so that a change to the app's source reuses this layer.
COPY web/package.json web/package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build

# --- 2. the binary ------------------------------------------------------------------------------
# Same Debian release as the runtime stage, so the binary links against the same glibc.
FROM rust:${RUST_VERSION}-slim-${DEBIAN_RELEASE} AS rust
WORKDIR /src
# Everything is compiled in (SQLite bundled, no TLS library): gcc and libc6-dev from the base suffice.
COPY Cargo.toml Cargo.lock ./
COPY crates/ crates/
# The web app's build is embedded in the binary (crates/gateway/src/web.rs).
COPY --from=web /src/web/dist web/dist/
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p cli \
    && install -D -m 0755 target/release/ticketing /out/ticketing

# --- 3. runtime ---------------------------------------------------------------------------------
FROM debian:${DEBIAN_RELEASE}-slim AS runtime
# curl: the HEALTHCHECK; sqlite3: `.backup` of the embedded databases (docs/operations.md);
# tini: PID 1 that forwards the stop signal and reaps children.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl sqlite3 tini \
    && rm -rf /var/lib/apt/lists/*
# A fixed numeric uid, so Kubernetes' runAsNonRoot can verify it.
RUN groupadd --system --gid 10001 ticketing \
    && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/ticketing --shell /usr/sbin/nologin ticketing \
    && install -d -o 10001 -g 10001 -m 0750 /var/lib/ticketing

COPY --from=rust /out/ticketing /usr/local/bin/ticketing

# Defaults for a container; every one can be overridden (see deploy/.env.example).
ENV TICKETING_BIND=0.0.0.0 \
    TICKETING_PORT=8000 \
    TICKETING_DATA_DIR=/var/lib/ticketing \
    TICKETING_LOG_FORMAT=json

USER 10001:10001
WORKDIR /var/lib/ticketing
# Embedded mode keeps its SQLite files, search index, mail spool and generated JWT secret here.
VOLUME ["/var/lib/ticketing"]
EXPOSE 8000

# `ticketing serve` shuts down gracefully (drains in-flight requests) on SIGINT.
STOPSIGNAL SIGINT
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD curl -fsS "http://127.0.0.1:${TICKETING_PORT}/health" >/dev/null || exit 1

ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/ticketing"]
CMD ["serve"]
