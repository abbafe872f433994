# syntax=docker/dockerfile:1
# The identity provider image. Build from the repository root:
#   docker build -f docker/idp.Dockerfile -t sso-idp .
# (docker/idp.Dockerfile.dockerignore keeps .local/, certs/ and target/ out of the context.)

FROM rust:1-bookworm AS builder
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release -p idp --locked \
    && install -m 0755 target/release/idp /usr/local/bin/idp

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin idp
WORKDIR /app
COPY --from=builder /usr/local/bin/idp /usr/local/bin/idp
# Templates, translations, assets and migrations are compiled in; migrations/ is kept for
# reference and config/ is read at start-up (IDP__SECTION__KEY variables override it).
COPY config/ /app/config/
COPY migrations/ /app/migrations/
ENV IDP_ENV=production \
    IDP_CONFIG_DIR=/app/config
USER idp
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/idp"]
CMD ["serve"]
