# syntax=docker/dockerfile:1
# The secure-messaging service image. Build from the repository root:
#   docker build -f docker/messaging.Dockerfile -t sso-messaging .

FROM rust:1-bookworm AS builder
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release -p messaging --locked \
    && install -m 0755 target/release/messaging /usr/local/bin/messaging

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10002 --user-group --home-dir /app --shell /usr/sbin/nologin messaging
WORKDIR /app
COPY --from=builder /usr/local/bin/messaging /usr/local/bin/messaging
# config/messaging/ is read at start; the migrations are compiled in.
COPY config/ /app/config/
ENV MESSAGING_ENV=production \
    MESSAGING_LOG_FORMAT=json
USER messaging
EXPOSE 8444
ENTRYPOINT ["/usr/local/bin/messaging"]
CMD ["serve"]
