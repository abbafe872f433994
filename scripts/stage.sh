#!/usr/bin/env bash
# scripts/stage.sh — the staged deployment of the long runs (scripts/faults, scripts/soak),
# every address on 127.0.0.1, nothing shared with the machine's own Postgres and Redis:
#
#   Postgres primary ── synchronous streaming replica     (initdb, pg_basebackup -R)
#   Redis                                                 (one server; the HA set-ups below)
#   s3s-fs (attachments), an SMTP sink (notices, .eml files)
#   a TCP fault proxy (tests/load/src/bin/faultproxy.rs) in front of each Postgres and Redis
#   two idp nodes behind a round-robin balancer (the same proxy)
#   two messaging nodes behind another
#
# Sourced after scripts/services.sh; `stage_up` starts it all, `stage_down` (trap) stops it.
# The nodes name both Postgres servers with target_session_attrs=read-write, so a promoted
# replica takes over without a restart. `stage_restart_nodes URL` restarts the four nodes on
# another Redis (STAGE_REDIS_URL of the Sentinel and Cluster set-ups, stage_sentinel and
# stage_cluster).
#
# Reads: BIN (the release binaries), OUT_DIR (logs), WORK (scratch folder, removed at the end).

STAGE_PIDS=()
IDP_NODE_PIDS=(0 0)
MSG_NODE_PIDS=(0 0)
PG_PORTS=()
PG_DATAS=()
REDIS_PORTS=()   # every redis-server and sentinel started here
S3_PID=0
SMTP_PID=0

quietly() { "$@" >/dev/null 2>&1; }

stage_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# shellcheck disable=SC2317  # invoked through the callers' traps
stage_down() {
  local pid port data
  for pid in "${IDP_NODE_PIDS[@]}" "${MSG_NODE_PIDS[@]}" "${STAGE_PIDS[@]}" "$S3_PID" "$SMTP_PID"; do
    if [[ "$pid" != 0 ]]; then kill -TERM "$pid" 2>/dev/null || true; fi
  done
  for port in "${REDIS_PORTS[@]}"; do
    redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
  done
  for data in "${PG_DATAS[@]}"; do
    pg_as_owner "$(pg_bin_dir)/pg_ctl" -D "$data" -m immediate stop >/dev/null 2>&1 || true
  done
  rm -rf "$WORK"
}

# --- Postgres: a primary and its synchronous replica --------------------------------------
stage_pg_start() { # index
  local i="$1"
  pg_as_owner "$(pg_bin_dir)/pg_ctl" -D "${PG_DATAS[$i]}" -l "$WORK/pg-$i.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p ${PG_PORTS[$i]} -k $WORK" start >/dev/null
}
stage_pg_stop() { # index
  pg_as_owner "$(pg_bin_dir)/pg_ctl" -D "${PG_DATAS[$1]}" -m immediate stop >/dev/null
}
stage_postgres() {
  PG_PORTS=("$(stage_free_port)" "$(stage_free_port)")
  PG_DATAS=("$WORK/pg-0" "$WORK/pg-1")
  is_root && chown postgres: "$WORK"
  pg_as_owner "$(pg_bin_dir)/initdb" -D "${PG_DATAS[0]}" -U postgres --auth=trust --encoding=UTF8 \
    --locale=C.UTF-8 >"$OUT_DIR/initdb.log" 2>&1
  printf "synchronous_standby_names = '*'\nwal_level = replica\n" >>"${PG_DATAS[0]}/postgresql.conf"
  stage_pg_start 0
  pg_as_owner "$(pg_bin_dir)/pg_basebackup" -h 127.0.0.1 -p "${PG_PORTS[0]}" -U postgres \
    -D "${PG_DATAS[1]}" -R -X stream
  # Promoted, the replica has no standby of its own and must not wait for one.
  echo "synchronous_standby_names = ''" >>"${PG_DATAS[1]}/postgresql.auto.conf"
  stage_pg_start 1
  wait_until "the synchronous replica" bash -c "[[ \$(psql -h 127.0.0.1 -p ${PG_PORTS[0]} -U postgres -Atc \
    \"SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'\" postgres) == 1 ]]"
  psql -h 127.0.0.1 -p "${PG_PORTS[0]}" -U postgres -qc "CREATE DATABASE idp" postgres
  psql -h 127.0.0.1 -p "${PG_PORTS[0]}" -U postgres -qc "CREATE DATABASE messaging" postgres
}
# psql on the server that accepts writes now (after a failover, the promoted replica).
stage_psql() { # database, SQL
  local port
  for port in "${PG_PORTS[@]}"; do
    if [[ "$(psql -h 127.0.0.1 -p "$port" -U postgres -Atc 'SELECT pg_is_in_recovery()' postgres 2>/dev/null)" == f ]]; then
      psql -h 127.0.0.1 -p "$port" -U postgres -Atc "$2" "$1"
      return
    fi
  done
  return 1
}

# --- Redis ------------------------------------------------------------------------------
stage_redis_server() { # port, extra arguments…
  local port="$1"
  shift
  # A folder each: a replica writes the master's snapshot there (dump.rdb), which any other
  # server started in the same folder would load.
  mkdir -p "$WORK/redis-$port"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --save "" --appendonly no \
    --logfile "$OUT_DIR/redis-$port.log" --pidfile "$WORK/redis-$port.pid" --dir "$WORK/redis-$port" "$@"
  REDIS_PORTS+=("$port")
  wait_until "Redis on $port" quietly redis-cli -p "$port" ping
}
stage_redis() {
  REDIS_PORT_MAIN="$(stage_free_port)"
  stage_redis_server "$REDIS_PORT_MAIN"
}
# A master, its replica and three Sentinels; STAGE_REDIS_URL names them for the nodes.
stage_sentinel() {
  local master replica port i
  master="$(stage_free_port)"
  replica="$(stage_free_port)"
  stage_redis_server "$master"
  stage_redis_server "$replica" --replicaof 127.0.0.1 "$master"
  SENTINEL_PORTS=()
  for i in 0 1 2; do
    port="$(stage_free_port)"
    printf 'port %s\nbind 127.0.0.1\nsentinel monitor stage 127.0.0.1 %s 2\nsentinel down-after-milliseconds stage 1000\nsentinel failover-timeout stage 5000\n' \
      "$port" "$master" >"$WORK/sentinel-$port.conf"
    redis-server "$WORK/sentinel-$port.conf" --sentinel --daemonize yes \
      --logfile "$OUT_DIR/sentinel-$port.log" --pidfile "$WORK/redis-$port.pid"
    REDIS_PORTS+=("$port")
    SENTINEL_PORTS+=("$port")
    wait_until "Sentinel on $port" quietly redis-cli -p "$port" ping
  done
  wait_until "the replica in sync" bash -c "redis-cli -p $master info replication | grep -q 'state=online'"
  STAGE_REDIS_URL="redis+sentinel://127.0.0.1:${SENTINEL_PORTS[0]},127.0.0.1:${SENTINEL_PORTS[1]},127.0.0.1:${SENTINEL_PORTS[2]}/stage"
}
# Three masters and three replicas; STAGE_REDIS_URL names them for the nodes.
stage_cluster() {
  local ports=() port addresses=()
  for _ in 1 2 3 4 5 6; do
    port="$(stage_free_port)"
    # The cluster bus listens on port + 10000: keep below the ephemeral range.
    while ((port + 10000 > 65535)); do port="$(stage_free_port)"; done
    stage_redis_server "$port" --cluster-enabled yes --cluster-config-file "$WORK/nodes-$port.conf" \
      --cluster-node-timeout 1000 --cluster-replica-validity-factor 0
    ports+=("$port")
    addresses+=("127.0.0.1:$port")
  done
  redis-cli --cluster create "${addresses[@]}" --cluster-replicas 1 --cluster-yes >"$OUT_DIR/cluster-create.log"
  for port in "${ports[@]}"; do
    wait_until "cluster node $port" bash -c "redis-cli -p $port cluster info | grep -q cluster_state:ok"
  done
  CLUSTER_PORTS=("${ports[@]}")
  STAGE_REDIS_URL="redis+cluster://127.0.0.1:${ports[0]},127.0.0.1:${ports[1]},127.0.0.1:${ports[2]}"
}

# --- attachments and mail -----------------------------------------------------------------
stage_s3_start() {
  "$S3S" --host 127.0.0.1 --port "$S3_PORT" --access-key stage --secret-key "$(cat "$WORK/s3-secret")" \
    "$WORK/s3" >>"$OUT_DIR/s3s.log" 2>&1 &
  S3_PID=$!
  wait_until "s3s-fs on $S3_PORT" bash -c "exec 3<>/dev/tcp/127.0.0.1/$S3_PORT" 2>/dev/null
}
stage_smtp_start() {
  python3 "$REPO/scripts/dev-mail-sink.py" "$SMTP_PORT" "$WORK/mail" >>"$OUT_DIR/smtp.log" 2>&1 &
  SMTP_PID=$!
  wait_until "the SMTP sink on $SMTP_PORT" bash -c "exec 3<>/dev/tcp/127.0.0.1/$SMTP_PORT" 2>/dev/null
}

# --- proxies --------------------------------------------------------------------------------
stage_proxy() { # name listen upstream…
  local name="$1" listen="$2" args
  shift 2
  args=(--listen "127.0.0.1:$listen")
  for upstream in "$@"; do args+=(--upstream "127.0.0.1:$upstream"); done
  "$BIN/faultproxy" "${args[@]}" >"$OUT_DIR/proxy-$name.log" 2>&1 &
  STAGE_PIDS+=("$!")
  eval "PROXY_${name}=$!"
}

# --- nodes ------------------------------------------------------------------------------
stage_idp_start() { # index
  local i="$1"
  (cd "$APP" && IDP__SERVER__BIND="127.0.0.1:${IDP_PORTS[$i]}" \
    IDP__SERVER__METRICS_BIND="127.0.0.1:${IDP_OPS_PORTS[$i]}" exec "$BIN/idp" serve) \
    >>"$OUT_DIR/idp-$i.log" 2>&1 &
  IDP_NODE_PIDS[i]=$!
  wait_until "idp node $i" quietly curl -fsS --max-time 1 "http://127.0.0.1:${IDP_OPS_PORTS[$i]}/readyz"
}
stage_messaging_start() { # index
  local i="$1"
  (cd "$APP" && MESSAGING__SERVER__BIND="127.0.0.1:${MSG_PORTS[$i]}" exec "$BIN/messaging" serve) \
    >>"$OUT_DIR/messaging-$i.log" 2>&1 &
  MSG_NODE_PIDS[i]=$!
  wait_until "messaging node $i" quietly curl -fsS --max-time 1 --cacert "$APP/certs/dev-ca.pem" \
    "https://localhost:${MSG_PORTS[$i]}/readyz"
}
stage_stop_node() { # pid
  kill -TERM "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
# Restarts the four nodes on the Redis `url` (both services).
stage_restart_nodes() {
  export IDP__REDIS__URL="$1" MESSAGING__REDIS__URL="$1"
  local i
  for i in 0 1; do
    stage_stop_node "${IDP_NODE_PIDS[$i]}"
    stage_idp_start "$i"
    stage_stop_node "${MSG_NODE_PIDS[$i]}"
    stage_messaging_start "$i"
  done
}

stage_up() {
  stage_postgres
  stage_redis
  S3S="$(s3s_bin)"
  S3_PORT="$(stage_free_port)"
  mkdir -p "$WORK/s3/stage"
  head -c 24 /dev/urandom | base64 >"$WORK/s3-secret"
  stage_s3_start
  SMTP_PORT="$(stage_free_port)"
  stage_smtp_start

  PG_PROXIES=("$(stage_free_port)" "$(stage_free_port)")
  REDIS_PROXY="$(stage_free_port)"
  stage_proxy pg "${PG_PROXIES[0]}" "${PG_PORTS[0]}"
  stage_proxy pg_replica "${PG_PROXIES[1]}" "${PG_PORTS[1]}"
  stage_proxy redis "$REDIS_PROXY" "$REDIS_PORT_MAIN"

  LB_PORT="$(stage_free_port)"
  MLB_PORT="$(stage_free_port)"
  IDP_PORTS=("$(stage_free_port)" "$(stage_free_port)")
  IDP_OPS_PORTS=("$(stage_free_port)" "$(stage_free_port)")
  MSG_PORTS=("$(stage_free_port)" "$(stage_free_port)")
  local pg_hosts="127.0.0.1:${PG_PROXIES[0]},127.0.0.1:${PG_PROXIES[1]}"
  local pg_options="target_session_attrs=read-write&connect_timeout=2"
  export IDP_ENV=dev MESSAGING_ENV=dev RUST_LOG=warn
  export IDP__DATABASE__URL="postgres://postgres@$pg_hosts/idp?$pg_options"
  export IDP__REDIS__URL="redis://127.0.0.1:$REDIS_PROXY"
  export IDP__SERVER__PUBLIC_URL="https://localhost:$LB_PORT"
  export IDP__RATE_LIMIT__PER_IP_PER_SECOND=100000 IDP__RATE_LIMIT__PER_IP_BURST=100000
  export IDP__RATE_LIMIT__PASSWORD_CHECKS_PER_IP_PER_MINUTE=100000000
  export IDP__TELEMETRY__FILTER=warn
  export MESSAGING__DATABASE__URL="postgres://postgres@$pg_hosts/messaging?$pg_options"
  export MESSAGING__REDIS__URL="$IDP__REDIS__URL"
  export MESSAGING__SERVER__PUBLIC_URL="https://localhost:$MLB_PORT"
  export MESSAGING__IDP__ISSUER="https://localhost:$LB_PORT"
  export MESSAGING__RATE_LIMIT__PER_IP_PER_SECOND=1000000 MESSAGING__RATE_LIMIT__PER_IP_BURST=1000000
  export MESSAGING__QUOTAS__SEND_PER_MINUTE=100000000 MESSAGING__QUOTAS__SEND_PER_DAY=100000000
  export MESSAGING__QUOTAS__UPLOAD_PER_MINUTE=100000000 MESSAGING__QUOTAS__UPLOAD_PER_DAY=100000000
  export MESSAGING__ATTACHMENTS__STORE=s3
  export MESSAGING__ATTACHMENTS__S3__ENDPOINT="http://127.0.0.1:$S3_PORT"
  export MESSAGING__ATTACHMENTS__S3__BUCKET=stage MESSAGING__ATTACHMENTS__S3__REGION=us-east-1
  export MESSAGING__ATTACHMENTS__S3__ACCESS_KEY_ID=stage
  export MESSAGING__ATTACHMENTS__S3__SECRET_ACCESS_KEY_FILE="$WORK/s3-secret"
  # Every notice at once (no 15-minute batching), retried quickly: the outbox is exercised.
  export MESSAGING__MAIL__SMTP_PORT="$SMTP_PORT" MESSAGING__MAIL__NOTIFY_INTERVAL_SECS=0
  export MESSAGING__MAIL__POLL_MS=200 MESSAGING__MAIL__RETRY_BASE_SECS=1 MESSAGING__MAIL__MAX_ATTEMPTS=12
  export IDP__MAIL__SMTP_PORT="$SMTP_PORT"

  # The nodes run in a folder of their own (configuration and certificates linked from the
  # repository), so their secrets and demo client secret never replace the dev server's.
  APP="$WORK/app"
  mkdir -p "$APP"
  ln -s "$REPO/config" "$APP/config"
  ln -s "$REPO/certs" "$APP/certs"
  (cd "$APP" && "$BIN/idp" dev-setup >"$OUT_DIR/dev-setup.log" 2>&1)
  (cd "$APP" && "$BIN/messaging" dev-setup >>"$OUT_DIR/dev-setup.log" 2>&1)

  stage_idp_start 0
  stage_idp_start 1
  stage_proxy lb "$LB_PORT" "${IDP_PORTS[0]}" "${IDP_PORTS[1]}"
  wait_until "the idp balancer" curl -fsS -o /dev/null --max-time 1 --cacert "$APP/certs/dev-ca.pem" \
    "https://localhost:$LB_PORT/jwks.json"
  stage_messaging_start 0
  stage_messaging_start 1
  stage_proxy mlb "$MLB_PORT" "${MSG_PORTS[0]}" "${MSG_PORTS[1]}"
  wait_until "the messaging balancer" curl -fsS -o /dev/null --max-time 1 \
    --cacert "$APP/certs/dev-ca.pem" "https://localhost:$MLB_PORT/readyz"
}

# loadgen's mixed load through the balancers: stage_load SECONDS TIMELINE [loadgen options…]
stage_load() {
  local seconds="$1" timeline="$2"
  shift 2
  "$BIN/loadgen" --scenario mixed --base "https://localhost:$LB_PORT" \
    --messaging-base "https://localhost:$MLB_PORT" --ca "$APP/certs/dev-ca.pem" \
    --client-id demo-portal --client-secret-file "$APP/.local/demo/demo-portal.secret" \
    --duration "${seconds}s" --timeline "$timeline" "$@"
}
