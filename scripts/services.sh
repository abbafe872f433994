#!/usr/bin/env bash
# scripts/services.sh — make Postgres, Redis (and, for the tests, Chromium) reachable.
#
# Sourced by scripts/dev and scripts/test. A service that already answers is reused;
# otherwise its Debian package is installed when we run as root (or the exact apt-get
# command is printed) and a PRIVATE instance is started under .local/ (git-ignored).
# stop_started_services stops only what this shell started.
#
# Settings (environment):
#   IDP_PG_HOST, IDP_PG_PORT        Postgres address   (127.0.0.1:5432)
#   IDP_REDIS_HOST, IDP_REDIS_PORT  Redis address      (127.0.0.1:6379)
#
# Run directly for housekeeping:
#   bash scripts/services.sh up      start what is missing and leave it running
#   bash scripts/services.sh down    stop the private instances under .local/
#   bash scripts/services.sh status  say what answers

set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL_DIR="$REPO/.local"

PG_HOST="${IDP_PG_HOST:-127.0.0.1}"
PG_PORT="${IDP_PG_PORT:-5432}"
REDIS_HOST="${IDP_REDIS_HOST:-127.0.0.1}"
REDIS_PORT="${IDP_REDIS_PORT:-6379}"

# What this shell started (read by stop_started_services).
STARTED_PG_DATA=""
STARTED_REDIS=""
STARTED_S3=""
APT_UPDATED=""

say() { printf '==> %s\n' "$*" >&2; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}
is_root() { [[ "$(id -u)" -eq 0 ]]; }
is_local_host() { [[ "$1" == 127.0.0.1 || "$1" == localhost || "$1" == ::1 ]]; }

# apt_install PACKAGE... — install Debian packages as root, or print the command and stop.
apt_install() {
  if ! is_root; then
    printf 'Missing packages. Install them with:\n\n  sudo apt-get install -y %s\n\n' "$*" >&2
    exit 1
  fi
  command -v apt-get >/dev/null || die "apt-get not found: install $* with your package manager"
  say "installing $*"
  if [[ -z "$APT_UPDATED" ]]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -q
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
}

# ensure_rust — cargo (and a C compiler, which aws-lc-rs needs) must be present.
ensure_rust() {
  if ! command -v cargo >/dev/null; then
    cat >&2 <<'EOF'
error: cargo not found. Install Rust with rustup (https://rustup.rs):

  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y
  . "$HOME/.cargo/env"

EOF
    exit 1
  fi
  command -v cc >/dev/null || apt_install build-essential
}

# ---------------------------------------------------------------------------------- Postgres

pg_answers() {
  command -v pg_isready >/dev/null && pg_isready -q -h "$PG_HOST" -p "$PG_PORT"
}

# The newest installed server's bin directory (as in `ls /usr/lib/postgresql/*/bin/initdb`),
# or an empty line.
pg_bin_dir() {
  local initdb best=""
  for initdb in /usr/lib/postgresql/*/bin/initdb; do
    if [[ -x "$initdb" ]]; then best="${initdb%/initdb}"; fi
  done
  printf '%s\n' "$best"
}

# Where the private cluster lives: .local/pg, unless we are root and the postgres user
# cannot reach the repository (a clone under /root): then a folder under /var/tmp.
pg_base_dir() {
  if is_root && ! runuser -u postgres -- test -x "$REPO"; then
    printf '/var/tmp/idp-pg-%s\n' "$(printf '%s' "$REPO" | cksum | cut -d ' ' -f 1)"
  else
    printf '%s\n' "$LOCAL_DIR/pg"
  fi
}

# Run a Postgres server tool as the user that owns the private cluster.
pg_as_owner() {
  if is_root; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

ensure_postgres() {
  if pg_answers; then
    say "Postgres answers on $PG_HOST:$PG_PORT: reusing it"
    return
  fi
  if [[ -z "$(pg_bin_dir)" ]] || ! command -v pg_isready >/dev/null || ! command -v psql >/dev/null; then
    apt_install postgresql postgresql-client
    # The Debian package may have started its own cluster on 5432.
    if pg_answers; then
      say "Postgres answers on $PG_HOST:$PG_PORT: reusing it"
      return
    fi
  fi
  is_local_host "$PG_HOST" || die "Postgres on $PG_HOST:$PG_PORT does not answer (only a local one can be started)"
  start_private_postgres
}

start_private_postgres() {
  local bin base data sockets log
  bin="$(pg_bin_dir)"
  [[ -n "$bin" ]] || die "no Postgres server found under /usr/lib/postgresql"
  base="$(pg_base_dir)"
  data="$base/data"
  sockets="$base/run"
  log="$base/pg.log"
  [[ "$base" == "$LOCAL_DIR/pg" ]] && log="$LOCAL_DIR/pg.log"
  say "starting a private Postgres on 127.0.0.1:$PG_PORT (data in $data, log in $log)"

  mkdir -p "$base" "$sockets" "$(dirname "$log")"
  touch "$log"
  if is_root; then
    id postgres >/dev/null 2>&1 || die "the postgres system user is missing (reinstall the postgresql package)"
    chown -R postgres: "$base"
    chown postgres: "$log"
  fi

  if [[ ! -s "$data/PG_VERSION" ]]; then
    rm -rf "$data"
    pg_as_owner "$bin/initdb" -D "$data" --auth=trust -U postgres \
      --encoding=UTF8 --locale=C.UTF-8 >>"$log" 2>&1 ||
      { tail -n 20 "$log" >&2; die "initdb failed (log: $log)"; }
  fi
  # A cluster of ours left running by an earlier run, maybe on another port.
  if pg_as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    pg_as_owner "$bin/pg_ctl" -D "$data" stop -m fast >/dev/null
  fi

  STARTED_PG_DATA="$data"
  pg_as_owner "$bin/pg_ctl" -D "$data" -l "$log" -w -t 60 start \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k '$sockets'" >/dev/null ||
    { tail -n 20 "$log" >&2; die "Postgres did not start (log: $log)"; }
  wait_until "Postgres on 127.0.0.1:$PG_PORT" pg_answers
}

# ensure_database NAME — create the database NAME (as user postgres, over TCP) if missing.
ensure_database() {
  local name="$1" exists
  [[ "$name" =~ ^[a-z_][a-z0-9_]*$ ]] || die "bad database name: $name"
  exists="$(psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres -XtAq \
    -c "SELECT 1 FROM pg_database WHERE datname = '$name'")"
  if [[ "$exists" != 1 ]]; then
    say "creating database $name"
    createdb -h "$PG_HOST" -p "$PG_PORT" -U postgres "$name"
  fi
}

# fresh_database NAME: drop NAME (ending its connections) and create it empty. Each test
# works in its own schema of the test database; starting every run from an empty database
# keeps those schemas from piling up across runs.
fresh_database() {
  local name="$1"
  [[ "$name" =~ ^[a-z_][a-z0-9_]*$ ]] || die "bad database name: $name"
  psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres -XqAt \
    -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null
  ensure_database "$name"
}

# ------------------------------------------------------------------------------------- Redis

redis_answers() {
  command -v redis-cli >/dev/null &&
    [[ "$(redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]]
}

ensure_redis() {
  if redis_answers; then
    say "Redis answers on $REDIS_HOST:$REDIS_PORT: reusing it"
    return
  fi
  if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
    apt_install redis-server
    if redis_answers; then
      say "Redis answers on $REDIS_HOST:$REDIS_PORT: reusing it"
      return
    fi
  fi
  is_local_host "$REDIS_HOST" || die "Redis on $REDIS_HOST:$REDIS_PORT does not answer (only a local one can be started)"

  local dir="$LOCAL_DIR/redis"
  mkdir -p "$dir"
  say "starting a private Redis on 127.0.0.1:$REDIS_PORT (log in $dir/redis.log)"
  STARTED_REDIS="$REDIS_PORT"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" \
    --save "" --appendonly no --dir "$dir" \
    --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" ||
    die "redis-server did not start (log: $dir/redis.log)"
  wait_until "Redis on 127.0.0.1:$REDIS_PORT" redis_answers
}

# ensure_server_tools — the high-availability tests start their own Redis Clusters, Sentinel
# sets and Postgres primary/replica pairs from the server binaries, whether or not the shared
# services run on this machine (they may answer from elsewhere).
ensure_server_tools() {
  if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
    apt_install redis-server
  fi
  if [[ -z "$(pg_bin_dir)" ]] || ! command -v psql >/dev/null; then
    apt_install postgresql postgresql-client
  fi
  if is_root && ! id postgres >/dev/null 2>&1; then
    die "the postgres system user is missing (reinstall the postgresql package)"
  fi
}

# ---------------------------------------------------------------------------------- Chromium

# ensure_chromium — the browser tests drive /usr/bin/chromium through /usr/bin/chromedriver.
ensure_chromium() {
  if [[ ! -x /usr/bin/chromium || ! -x /usr/bin/chromedriver ]]; then
    apt_install chromium chromium-driver
  fi
}

# ensure_axe — axe-core (npm) for the accessibility tests, in AXE_DIR outside the clone so a
# second run reuses it; exports AXE_JS, the script the tests inject into Chromium.
AXE_VERSION=4.14.1
ensure_axe() {
  local dir="${AXE_DIR:-/var/tmp/sso-axe-$AXE_VERSION}"
  if [[ ! -f "$dir/node_modules/axe-core/axe.min.js" ]]; then
    command -v npm >/dev/null || apt_install npm
    say "installing axe-core $AXE_VERSION (npm) into $dir"
    mkdir -p "$dir"
    npm install --no-audit --no-fund --prefix "$dir" "axe-core@$AXE_VERSION" >/dev/null
  fi
  export AXE_JS="$dir/node_modules/axe-core/axe.min.js"
}

# ------------------------------------------------------------------- S3-compatible store

# ensure_s3 — a real S3-compatible server for the messaging attachment tests: s3s-fs from
# crates.io (installed once into S3S_ROOT, outside the clone, when neither it nor one on PATH
# is there), started on a free port over a fresh folder under .local/s3 holding the bucket
# `messaging-test`. Exports MESSAGING_TEST_S3_ENDPOINT, _BUCKET, _ACCESS_KEY and _SECRET_FILE.
S3S_VERSION=0.14.1
# s3s_bin — prints the s3s-fs binary, installing it first when it is nowhere.
s3s_bin() {
  local root="${S3S_ROOT:-/var/tmp/sso-s3s-$S3S_VERSION}" bin
  bin="$root/bin/s3s-fs"
  if [[ ! -x "$bin" ]] && command -v s3s-fs >/dev/null; then bin="$(command -v s3s-fs)"; fi
  if [[ ! -x "$bin" ]]; then
    say "installing s3s-fs $S3S_VERSION into $root (cargo install, about 5 minutes, once)"
    mkdir -p "$root"
    CARGO_TARGET_DIR="$root/build" cargo install --quiet --root "$root" s3s-fs \
      --version "=$S3S_VERSION" --locked --features binary >"$root/install.log" 2>&1 ||
      die "s3s-fs did not install (log: $root/install.log)"
    rm -rf "$root/build"
    bin="$root/bin/s3s-fs"
  fi
  echo "$bin"
}
ensure_s3() {
  local bin dir port
  bin="$(s3s_bin)"
  dir="$LOCAL_DIR/s3"
  rm -rf "$dir"
  mkdir -p "$dir/data/messaging-test"
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  head -c 24 /dev/urandom | base64 >"$dir/secret"
  say "starting s3s-fs on 127.0.0.1:$port (log in $dir/s3s.log)"
  "$bin" --host 127.0.0.1 --port "$port" --access-key messaging-test \
    --secret-key "$(cat "$dir/secret")" "$dir/data" >"$dir/s3s.log" 2>&1 &
  STARTED_S3="$!"
  wait_until "s3s-fs on 127.0.0.1:$port" bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null
  export MESSAGING_TEST_S3_ENDPOINT="http://127.0.0.1:$port"
  export MESSAGING_TEST_S3_BUCKET=messaging-test
  export MESSAGING_TEST_S3_ACCESS_KEY=messaging-test
  export MESSAGING_TEST_S3_SECRET_FILE="$dir/secret"
}

# ---------------------------------------------------------------------------------- clamd

# ensure_clamd — a real clamd for the messaging antivirus hook's tests (Debian's
# clamav-daemon, installed when missing), started on a free port over a signature database of
# one test signature written here (the official databases need the internet, which the tests
# do not): it finds the bytes MESSAGING-TEST-VIRUS. Exports MESSAGING_TEST_CLAMD (IP:port).
STARTED_CLAMD=""
ensure_clamd() {
  local dir port
  command -v clamd >/dev/null || apt_install clamav-daemon
  dir="$LOCAL_DIR/clamd"
  rm -rf "$dir"
  mkdir -p "$dir/db"
  # ndb: name, target (0: any file), offset (*: anywhere), hex of MESSAGING-TEST-VIRUS.
  printf 'Messaging.Test.Signature:0:*:%s\n' \
    "$(printf 'MESSAGING-TEST-VIRUS' | od -An -tx1 | tr -d ' \n')" >"$dir/db/messaging-test.ndb"
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  {
    echo "DatabaseDirectory $dir/db"
    echo "TCPSocket $port"
    echo "TCPAddr 127.0.0.1"
    echo "Foreground yes"
    echo "LogFile $dir/clamd.log"
    echo "StreamMaxLength 200M"
    is_root && echo "User root"
  } >"$dir/clamd.conf"
  say "starting clamd on 127.0.0.1:$port (log in $dir/clamd.log)"
  clamd -c "$dir/clamd.conf" >"$dir/clamd.out" 2>&1 &
  STARTED_CLAMD="$!"
  wait_until "clamd on 127.0.0.1:$port" bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null
  export MESSAGING_TEST_CLAMD="127.0.0.1:$port"
}

# ----------------------------------------------------------------------------------- helpers

# wait_until DESCRIPTION COMMAND... — retry COMMAND for up to 30 s.
wait_until() {
  local what="$1" try
  shift
  for try in $(seq 150); do
    "$@" && return 0
    [[ "$try" -eq 1 ]] && say "waiting for $what"
    sleep 0.2
  done
  die "$what did not come up"
}

ensure_services() {
  ensure_postgres
  ensure_redis
}

# stop_started_services — stop what this shell started, nothing else. Safe to call twice.
stop_started_services() {
  if [[ -n "$STARTED_PG_DATA" ]]; then
    say "stopping the private Postgres"
    pg_as_owner "$(pg_bin_dir)/pg_ctl" -D "$STARTED_PG_DATA" stop -m fast >/dev/null || true
    STARTED_PG_DATA=""
  fi
  if [[ -n "$STARTED_REDIS" ]]; then
    say "stopping the private Redis"
    redis-cli -h 127.0.0.1 -p "$STARTED_REDIS" shutdown nosave >/dev/null 2>&1 || true
    STARTED_REDIS=""
  fi
  if [[ -n "$STARTED_CLAMD" ]]; then
    say "stopping clamd"
    kill "$STARTED_CLAMD" 2>/dev/null || true
    STARTED_CLAMD=""
  fi
  if [[ -n "$STARTED_S3" ]]; then
    say "stopping s3s-fs"
    kill "$STARTED_S3" 2>/dev/null || true
    STARTED_S3=""
  fi
}

# Stop the private instances under .local/ whoever started them (e.g. after a kill -9).
stop_private_services() {
  local data pid bin
  data="$(pg_base_dir)/data"
  bin="$(pg_bin_dir)"
  if [[ -n "$bin" && -f "$data/postmaster.pid" ]] &&
    pg_as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    say "stopping the private Postgres ($data)"
    pg_as_owner "$bin/pg_ctl" -D "$data" stop -m fast >/dev/null
  fi
  if [[ -f "$LOCAL_DIR/redis/redis.pid" ]]; then
    pid="$(cat "$LOCAL_DIR/redis/redis.pid")"
    if [[ "$pid" =~ ^[0-9]+$ && "$(cat "/proc/$pid/comm" 2>/dev/null)" == redis-server ]]; then
      say "stopping the private Redis (pid $pid)"
      kill -TERM "$pid"
    fi
  fi
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  case "${1:-status}" in
    up) ensure_services ;;
    down) stop_private_services ;;
    status)
      if pg_answers; then say "Postgres answers on $PG_HOST:$PG_PORT"; else say "Postgres: no answer on $PG_HOST:$PG_PORT"; fi
      if redis_answers; then say "Redis answers on $REDIS_HOST:$REDIS_PORT"; else say "Redis: no answer on $REDIS_HOST:$REDIS_PORT"; fi
      ;;
    *) die "usage: bash scripts/services.sh [up|down|status]" ;;
  esac
fi
