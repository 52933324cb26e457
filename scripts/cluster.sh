#!/usr/bin/env bash
# A production-shaped Temporal cluster on this machine, without Docker:
# PostgreSQL (Debian's package, its own instance), the Temporal server and its
# SQL schema tool built from the go.temporal.io/server module, and the Web UI
# server built from github.com/temporalio/ui-server/v2. The same shape as
# docker-compose.temporal.yml (same database user and names, same dynamic
# config, same namespace and search attributes); keep the versions below and
# that file's image tags in step.
#
#   scripts/cluster.sh up            build what is missing (cached), start all three, set up schema,
#                                    namespace and search attributes; safe to run again
#   scripts/cluster.sh status        each part's address and whether it answers; exit 0 only if all do
#   scripts/cluster.sh down          stop all three; data is kept
#   scripts/cluster.sh down --wipe   stop all three and delete the data dir
#   scripts/cluster.sh build         only build (or find) the binaries
#   scripts/cluster.sh env           print the export lines that point shardflow at the cluster
#   scripts/cluster.sh restart postgresql        pg_ctl restart (the cluster test and the chaos suite
#                                                restart it mid-job)
#   scripts/cluster.sh restart temporal [--kill] stop the Temporal server (SIGTERM, or SIGKILL with --kill),
#                                                start it again and wait until it answers (the chaos suite's
#                                                server kill)
#
# Environment (defaults in brackets):
#   SHARDFLOW_CLUSTER_DIR            data dir: PostgreSQL data, generated configs, logs, pid files
#                                    [<checkout>/.shardflow/cluster]
#   SHARDFLOW_CACHE_DIR              binaries are cached in $SHARDFLOW_CACHE_DIR/cluster/<part>-<version>/
#                                    [$HOME/.cache/shardflow], outside the checkout, so a second `up`
#                                    and other checkouts on the machine do not build again
#   TEMPORAL_VERSION                 go.temporal.io/server release [1.32.2] (the compose file's
#                                    temporalio/server and admin-tools tags)
#   TEMPORAL_UI_VERSION              github.com/temporalio/ui-server/v2 release [2.56.4] (the compose
#                                    file's temporalio/ui tag)
#   TEMPORAL_DB_USER                 PostgreSQL user Temporal connects as; the instance's superuser [temporal]
#   TEMPORAL_DB_PASSWORD             its password [temporal]
#   SHARDFLOW_CLUSTER_PG_PORT        PostgreSQL, 127.0.0.1 only [55432]
#   SHARDFLOW_CLUSTER_PORT           Temporal frontend gRPC, 127.0.0.1 only [7243]; the other services
#                                    use the next ports: history +1, matching +2, worker +6, frontend
#                                    HTTP +10, Prometheus metrics +20, membership (each service's
#                                    gRPC port - 300, e.g. 6943)
#   SHARDFLOW_CLUSTER_UI_PORT        Web UI, 127.0.0.1 only [8243]
#   SHARDFLOW_CLUSTER_NAMESPACE      namespace created on `up` [default]
#   SHARDFLOW_CLUSTER_RETENTION      its retention [72h]
#   SHARDFLOW_CLUSTER_LOG_LEVEL      Temporal server log level [info]
#   SHARDFLOW_CLUSTER_WAIT           seconds to wait for each part to answer [90]
#   SHARDFLOW_TEMPORAL_CLI, TEMPORAL_CLI   the Temporal CLI used for health checks and the namespace
#                                    [.tools/temporal-path, as bootstrap records it, else `temporal`]
#   GOTOOLCHAIN                      when unset and the installed Go is older than a module's go line,
#                                    go1.27.3 (fetched by the go command from the Go module proxy)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEPLOY="$REPO/deploy/cluster"

TEMPORAL_VERSION="${TEMPORAL_VERSION:-1.32.2}"
TEMPORAL_UI_VERSION="${TEMPORAL_UI_VERSION:-2.56.4}"
DB_USER="${TEMPORAL_DB_USER:-temporal}"
DB_PASSWORD="${TEMPORAL_DB_PASSWORD:-temporal}"
DATA="${SHARDFLOW_CLUSTER_DIR:-$REPO/.shardflow/cluster}"
CACHE="${SHARDFLOW_CACHE_DIR:-$HOME/.cache/shardflow}/cluster"
PG_PORT="${SHARDFLOW_CLUSTER_PG_PORT:-55432}"
FRONTEND_PORT="${SHARDFLOW_CLUSTER_PORT:-7243}"
UI_PORT="${SHARDFLOW_CLUSTER_UI_PORT:-8243}"
NAMESPACE="${SHARDFLOW_CLUSTER_NAMESPACE:-default}"
RETENTION="${SHARDFLOW_CLUSTER_RETENTION:-72h}"
LOG_LEVEL="${SHARDFLOW_CLUSTER_LOG_LEVEL:-info}"
WAIT="${SHARDFLOW_CLUSTER_WAIT:-90}"
# The Go toolchain the go command may fetch when the installed one is too old.
GO_FALLBACK_TOOLCHAIN="go1.27.3"
# shardflow's search attributes (src/core/names.ts, SEARCH_ATTRIBUTES).
SEARCH_ATTRIBUTES=(ShardflowPhase ShardflowSource)

FRONTEND="127.0.0.1:$FRONTEND_PORT"
UI_URL="http://127.0.0.1:$UI_PORT"
TEMPORAL_DIR="$CACHE/temporal-$TEMPORAL_VERSION"
UI_DIR="$CACHE/ui-server-$TEMPORAL_UI_VERSION"
PGDATA="$DATA/postgresql"
LOGS="$DATA/logs"
RUN="$DATA/run"
CONF="$DATA/config"

SCRIPT_NAME=cluster
# shellcheck source=scripts/shellHelpers.sh
source "$REPO/scripts/shellHelpers.sh"

# fail PART LOGFILE REASON: says which part failed and shows the end of its log.
fail() {
  echo "cluster: ERROR: $1 failed: $3" >&2
  if [ -s "$2" ]; then
    echo "cluster: last lines of $2:" >&2
    tail -n 30 "$2" | sed 's/^/    /' >&2
  fi
  exit 1
}

# --- tools ----------------------------------------------------------------------

temporal_cli() {
  local c
  for c in "${SHARDFLOW_TEMPORAL_CLI:-}" "${TEMPORAL_CLI:-}"; do
    [ -n "$c" ] && { echo "$c"; return; }
  done
  if [ -f "$REPO/.tools/temporal-path" ] && [ -x "$(cat "$REPO/.tools/temporal-path")" ]; then
    cat "$REPO/.tools/temporal-path"
    return
  fi
  have temporal && { command -v temporal; return; }
  die "the Temporal CLI was not found; run scripts/bootstrap.sh or set TEMPORAL_CLI"
}

pg_bin() {
  local d
  d="$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
  [ -n "$d" ] && [ -x "$d/initdb" ] && echo "$d"
}

# Debian's postgresql package creates and starts a cluster of its own on 5432
# unless told not to; this instance needs none of that.
install_postgresql() {
  { is_root && have apt-get; } || die "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb);
    install it: sudo apt-get install -y postgresql"
  mkdir -p /etc/postgresql-common/createcluster.d
  echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.d/shardflow-no-main-cluster.conf
  log "apt-get install postgresql"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
}

# Runs a PostgreSQL program as the owner of the data dir: as root, postgres
# (initdb and the server refuse to run as root).
as_pg_owner() {
  if is_root; then runuser -u postgres -- "$@"; else "$@"; fi
}

# --- builds -----------------------------------------------------------------------

# download_json MODULE@VERSION: `go mod download -json` outside any module, so
# the checkout's own files play no part.
download_json() {
  (cd / && go mod download -json "$1") || true
}

# fetch_module MODULE@VERSION: downloads the module into the module cache and
# sets MODULE_DIR to its folder. When the installed Go is older than the
# module's go line and GOTOOLCHAIN is unset, exports GOTOOLCHAIN for the
# builds that follow.
fetch_module() {
  local json gomod need have_v
  json="$(download_json "$1")"
  if [ -z "${GOTOOLCHAIN:-}" ]; then
    gomod="$(sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p' <<<"$json")"
    [ -f "$gomod" ] || { echo "$json" >&2; return 1; }
    need="$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$gomod")"
    have_v="$(GOTOOLCHAIN=local go env GOVERSION)"
    have_v="${have_v#go}"
    if [ -n "$need" ] && [ "$(printf '%s\n%s\n' "$need" "$have_v" | sort -V | head -n 1)" != "$need" ]; then
      log "the installed Go $have_v is older than $need (go.mod of $1); using $GO_FALLBACK_TOOLCHAIN"
      export GOTOOLCHAIN="$GO_FALLBACK_TOOLCHAIN"
      json="$(download_json "$1")"
    fi
  fi
  MODULE_DIR="$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p' <<<"$json")"
  { [ -n "$MODULE_DIR" ] && [ -d "$MODULE_DIR" ]; } || { echo "$json" >&2; return 1; }
}

# build_module PART DEST MODULE@VERSION ITEM...: builds in the module's own
# folder (its go.mod and go.sum) into DEST, which appears only when complete.
# An ITEM is PACKAGE=BINARY (built into DEST/bin) or copy:PATH (a folder of
# the module copied to DEST/PATH).
build_module() {
  local part="$1" dest="$2" module="$3" tmp start item
  shift 3
  have go || die "go is needed to build the $part (apt-get install golang-go, or go.dev/dl)"
  start=$(date +%s)
  log "building the $part from $module (cached in $dest)"
  fetch_module "$module" || die "could not download $module from the Go module proxy"
  tmp="$dest.tmp-$$"
  rm -rf "$tmp"
  mkdir -p "$tmp/bin"
  for item in "$@"; do
    case "$item" in
      copy:*)
        mkdir -p "$tmp/$(dirname "${item#copy:}")"
        cp -R "$MODULE_DIR/${item#copy:}" "$tmp/${item#copy:}"
        chmod -R u+w "$tmp/${item#copy:}"
        ;;
      *)
        (cd "$MODULE_DIR" && nice -n 10 go build -trimpath -o "$tmp/bin/${item#*=}" "${item%%=*}") \
          || { rm -rf "$tmp"; die "building ${item%%=*} of $module failed (output above)"; }
        ;;
    esac
  done
  rm -rf "$dest"
  mv "$tmp" "$dest"
  log "built the $part in $(($(date +%s) - start)) s"
}

# The server, its SQL schema tool and the PostgreSQL schema files of the same version.
build_temporal() {
  [ -x "$TEMPORAL_DIR/bin/temporal-server" ] && return
  build_module "Temporal server" "$TEMPORAL_DIR" "go.temporal.io/server@v$TEMPORAL_VERSION" \
    ./cmd/server=temporal-server ./cmd/tools/sql=temporal-sql-tool copy:schema/postgresql/v12
}

build_ui() {
  [ -x "$UI_DIR/bin/ui-server" ] && return
  build_module "Web UI server" "$UI_DIR" "github.com/temporalio/ui-server/v2@v$TEMPORAL_UI_VERSION" \
    ./cmd/server=ui-server
}

# --- config files -------------------------------------------------------------------

# render TEMPLATE OUT NAME=VALUE...: replaces each @NAME@ and refuses to leave one unfilled.
render() {
  local template="$1" out="$2" text pair
  shift 2
  text="$(cat "$template")"
  for pair in "$@"; do
    text="${text//@${pair%%=*}@/${pair#*=}}"
  done
  if grep -q '@[A-Z_]*@' <<<"$text"; then
    die "$template: unfilled fields: $(grep -o '@[A-Z_]*@' <<<"$text" | sort -u | tr '\n' ' ')"
  fi
  printf '%s\n' "$text" >"$out"
}

write_configs() {
  local old_umask
  old_umask="$(umask)"
  mkdir -p "$CONF/ui"
  # The configs hold the database password.
  umask 077
  render "$DEPLOY/temporal.yaml.tmpl" "$CONF/temporal.yaml" \
    LOG_LEVEL="$LOG_LEVEL" PG_PORT="$PG_PORT" DB_USER="$DB_USER" DB_PASSWORD="$DB_PASSWORD" \
    FRONTEND_PORT="$FRONTEND_PORT" FRONTEND_MEMBERSHIP_PORT=$((FRONTEND_PORT - 300)) \
    FRONTEND_HTTP_PORT=$((FRONTEND_PORT + 10)) METRICS_PORT=$((FRONTEND_PORT + 20)) \
    HISTORY_PORT=$((FRONTEND_PORT + 1)) HISTORY_MEMBERSHIP_PORT=$((FRONTEND_PORT + 1 - 300)) \
    MATCHING_PORT=$((FRONTEND_PORT + 2)) MATCHING_MEMBERSHIP_PORT=$((FRONTEND_PORT + 2 - 300)) \
    WORKER_PORT=$((FRONTEND_PORT + 6)) WORKER_MEMBERSHIP_PORT=$((FRONTEND_PORT + 6 - 300)) \
    DYNAMIC_CONFIG="$REPO/deploy/temporal/dynamicconfig/development-sql.yaml"
  render "$DEPLOY/ui.yaml.tmpl" "$CONF/ui/cluster.yaml" FRONTEND_PORT="$FRONTEND_PORT" UI_PORT="$UI_PORT"
  umask "$old_umask"
}

# --- processes ------------------------------------------------------------------------

# running NAME BINARY: the pid in $RUN/NAME.pid when that process still runs BINARY.
running() {
  local pid
  [ -f "$RUN/$1.pid" ] || return 1
  pid="$(cat "$RUN/$1.pid")"
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$2" || return 1
  echo "$pid"
}

# start_bg NAME LOG COMMAND...: starts COMMAND in its own session, output to LOG.
start_bg() {
  local name="$1" logfile="$2"
  shift 2
  mkdir -p "$RUN" "$LOGS"
  [ -f "$logfile" ] && mv "$logfile" "$logfile.1"
  setsid "$@" </dev/null >"$logfile" 2>&1 &
  echo $! >"$RUN/$name.pid"
}

# stop_bg NAME BINARY: SIGTERM, then SIGKILL after 30 s.
stop_bg() {
  local pid
  if ! pid="$(running "$1" "$2")"; then
    rm -f "$RUN/$1.pid"
    log "$1 not running"
    return
  fi
  kill -TERM "$pid"
  for _ in $(seq 60); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  rm -f "$RUN/$1.pid"
  log "$1 stopped"
}

# --- checks -----------------------------------------------------------------------------

pg_answers() {
  local bin
  bin="$(pg_bin)" || return 1
  "$bin/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -t 3
}

temporal_answers() {
  "$(temporal_cli)" operator cluster health --address "$FRONTEND" --command-timeout 5s >/dev/null 2>&1
}

ui_answers() {
  have curl || return 1
  curl -fsS --max-time 5 "$UI_URL/api/v1/settings" >/dev/null 2>&1
}

# wait_for PART LOG CHECK [NAME BINARY]: waits up to $WAIT s; gives up early if the process died.
wait_for() {
  local part="$1" logfile="$2" check="$3" name="${4:-}" binary="${5:-}" deadline missing=0
  deadline=$(($(date +%s) + WAIT))
  until "$check"; do
    # Just after the start the child may not have run the binary yet (its command line is still this
    # script's, a few times in 200 starts here), so it has exited only when missing at 3 checks in a row.
    if [ -n "$name" ] && ! running "$name" "$binary" >/dev/null; then
      missing=$((missing + 1))
      [ "$missing" -ge 3 ] && fail "$part" "$logfile" "the process exited"
    else
      missing=0
    fi
    [ "$(date +%s)" -ge "$deadline" ] && fail "$part" "$logfile" "no answer within $WAIT s"
    sleep 1
  done
}

# --- parts ---------------------------------------------------------------------------------

postgresql_up() {
  local bin pwfile
  bin="$(pg_bin)" || { install_postgresql; bin="$(pg_bin)" || die "PostgreSQL still missing after apt-get install"; }
  mkdir -p "$DATA" "$LOGS"
  if is_root; then
    # The server runs as postgres, which must reach its data dir and log.
    runuser -u postgres -- test -x "$DATA" \
      || die "user postgres cannot reach $DATA (a parent folder is closed to it); set SHARDFLOW_CLUSTER_DIR to a path it can reach"
    touch "$LOGS/postgresql.log"
    chown postgres "$LOGS/postgresql.log"
  fi
  if [ ! -f "$PGDATA/PG_VERSION" ]; then
    log "initdb $PGDATA (PostgreSQL $("$bin/postgres" --version | awk '{print $3}'))"
    mkdir -p "$PGDATA"
    is_root && chown postgres "$PGDATA"
    chmod 700 "$PGDATA"
    pwfile="$(mktemp)"
    printf '%s\n' "$DB_PASSWORD" >"$pwfile"
    is_root && chown postgres "$pwfile"
    # The bootstrap superuser is Temporal's user, as the postgres image makes it
    # from POSTGRES_USER in the compose file. Passwords on TCP; no unix socket.
    as_pg_owner "$bin/initdb" -D "$PGDATA" -U "$DB_USER" --pwfile="$pwfile" \
      --auth-host=scram-sha-256 --auth-local=scram-sha-256 -E UTF8 --locale=C.UTF-8 \
      >"$LOGS/initdb.log" 2>&1 || { rm -f "$pwfile"; fail postgresql "$LOGS/initdb.log" "initdb"; }
    rm -f "$pwfile"
  fi
  if pg_answers; then
    log "postgresql already answers at 127.0.0.1:$PG_PORT"
    return
  fi
  # In a file the server reads, so a plain `pg_ctl restart` keeps them.
  cat >"$PGDATA/shardflow.conf" <<CONF
# Written by scripts/cluster.sh on every up.
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = ''
CONF
  grep -qxF "include 'shardflow.conf'" "$PGDATA/postgresql.conf" \
    || echo "include 'shardflow.conf'" >>"$PGDATA/postgresql.conf"
  is_root && chown postgres "$PGDATA/shardflow.conf"
  log "starting postgresql on 127.0.0.1:$PG_PORT"
  as_pg_owner "$bin/pg_ctl" -D "$PGDATA" -l "$LOGS/postgresql.log" -w -t "$WAIT" start >/dev/null \
    || fail postgresql "$LOGS/postgresql.log" "pg_ctl start"
  wait_for postgresql "$LOGS/postgresql.log" pg_answers
}

# Every step is idempotent, as in the compose file's schema job: `create`
# ignores a database that exists, `setup-schema -v 0.0` leaves a newer schema
# as it is, and `update-schema` applies only the missing versions (so a newer
# TEMPORAL_VERSION is applied here too).
schema_up() {
  local pair db dir
  local sqltool=("$TEMPORAL_DIR/bin/temporal-sql-tool" --plugin postgres12 --ep 127.0.0.1 -p "$PG_PORT" -u "$DB_USER")
  : >"$LOGS/schema.log"
  for pair in temporal:temporal temporal_visibility:visibility; do
    db="${pair%%:*}"
    dir="${pair##*:}"
    {
      SQL_PASSWORD="$DB_PASSWORD" "${sqltool[@]}" --db "$db" create \
        && SQL_PASSWORD="$DB_PASSWORD" "${sqltool[@]}" --db "$db" setup-schema -v 0.0 \
        && SQL_PASSWORD="$DB_PASSWORD" "${sqltool[@]}" --db "$db" update-schema \
          -d "$TEMPORAL_DIR/schema/postgresql/v12/$dir/versioned"
    } >>"$LOGS/schema.log" 2>&1 || fail "schema setup ($db)" "$LOGS/schema.log" "temporal-sql-tool"
  done
  log "schema up to date (temporal, temporal_visibility)"
}

# process_up NAME BINARY PART ADDRESS CHECK COMMAND...: starts COMMAND unless
# the process from an earlier `up` runs and CHECK passes; a process that runs
# but does not answer is replaced.
process_up() {
  local name="$1" binary="$2" part="$3" address="$4" check="$5"
  shift 5
  if running "$name" "$binary" >/dev/null && "$check"; then
    log "$part already answers at $address"
    return
  fi
  stop_bg "$name" "$binary" >/dev/null
  log "starting the $part on $address"
  start_bg "$name" "$LOGS/$name.log" "$@"
  wait_for "$part" "$LOGS/$name.log" "$check" "$name" "$binary"
}

temporal_up() {
  process_up temporal temporal-server "Temporal server" "$FRONTEND" temporal_answers \
    "$TEMPORAL_DIR/bin/temporal-server" --config-file "$CONF/temporal.yaml" --allow-no-auth start
}

# As the compose file's namespace job: create the namespace if it is missing,
# then register the search attributes (which succeeds when they exist with the
# same type), retrying while the new namespace reaches the frontend's cache.
namespace_up() {
  local cli n sa_args=() name
  cli="$(temporal_cli)"
  : >"$LOGS/namespace.log"
  if ! "$cli" operator namespace describe --address "$FRONTEND" -n "$NAMESPACE" >/dev/null 2>&1; then
    log "creating namespace $NAMESPACE"
    # A create that fails because another `up` made it first is fine.
    "$cli" operator namespace create --address "$FRONTEND" -n "$NAMESPACE" --retention "$RETENTION" \
      >>"$LOGS/namespace.log" 2>&1 \
      || "$cli" operator namespace describe --address "$FRONTEND" -n "$NAMESPACE" >/dev/null 2>&1 \
      || fail "namespace $NAMESPACE" "$LOGS/namespace.log" "temporal operator namespace create"
  fi
  for name in "${SEARCH_ATTRIBUTES[@]}"; do sa_args+=(--name "$name" --type Keyword); done
  n=0
  until "$cli" operator search-attribute create --address "$FRONTEND" -n "$NAMESPACE" "${sa_args[@]}" \
    >>"$LOGS/namespace.log" 2>&1; do
    n=$((n + 1))
    [ "$n" -ge 30 ] && fail "search attributes" "$LOGS/namespace.log" "temporal operator search-attribute create"
    sleep 2
  done
  log "namespace $NAMESPACE with search attributes ${SEARCH_ATTRIBUTES[*]} (Keyword)"
}

ui_up() {
  process_up ui ui-server "Web UI server" "$UI_URL" ui_answers \
    "$UI_DIR/bin/ui-server" --root "$CONF" --config ui --env cluster start
}

# --- commands -------------------------------------------------------------------------------

cmd_build() {
  build_temporal
  build_ui
}

cmd_up() {
  local start
  start=$(date +%s)
  cmd_build
  write_configs
  postgresql_up
  schema_up
  temporal_up
  namespace_up
  ui_up
  log "up in $(($(date +%s) - start)) s"
  cmd_status
  echo
  cmd_env
}

cmd_status() {
  local ok=0
  report() {
    if "$3"; then printf '  %-11s %-28s up\n' "$1" "$2"; else printf '  %-11s %-28s DOWN\n' "$1" "$2"; ok=1; fi
  }
  report postgresql "127.0.0.1:$PG_PORT" pg_answers
  report temporal "$FRONTEND" temporal_answers
  report web-ui "$UI_URL" ui_answers
  echo "  data: $DATA"
  return "$ok"
}

cmd_down() {
  local bin
  case "${1:-}" in "" | --wipe) ;; *) die "down takes only --wipe, not $1" ;; esac
  stop_bg ui ui-server
  stop_bg temporal temporal-server
  bin="$(pg_bin)" || true
  # pg_ctl status also sees through a postmaster.pid left by a crash.
  if [ -n "$bin" ] && [ -f "$PGDATA/PG_VERSION" ] && as_pg_owner "$bin/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
    as_pg_owner "$bin/pg_ctl" -D "$PGDATA" -m fast -w -t "$WAIT" stop >/dev/null \
      || fail postgresql "$LOGS/postgresql.log" "pg_ctl stop"
    log "postgresql stopped"
  else
    log "postgresql not running"
  fi
  if [ "${1:-}" = "--wipe" ] && [ -d "$DATA" ]; then
    # Only a folder this script laid out: SHARDFLOW_CLUSTER_DIR may point anywhere.
    [ -d "$CONF" ] || [ -f "$PGDATA/PG_VERSION" ] || die "$DATA does not look like a cluster data dir; not removing it"
    rm -rf "$DATA"
    log "removed $DATA"
  fi
}

restart_postgresql() {
  local bin
  bin="$(pg_bin)" || die "PostgreSQL is not installed"
  [ -f "$PGDATA/postmaster.pid" ] || die "postgresql is not running (no $PGDATA/postmaster.pid)"
  as_pg_owner "$bin/pg_ctl" -D "$PGDATA" -l "$LOGS/postgresql.log" -m fast -w -t "$WAIT" restart >/dev/null \
    || fail postgresql "$LOGS/postgresql.log" "pg_ctl restart"
  log "postgresql restarted"
}

# restart_temporal [--kill]: --kill is a crash (kill -9, no shutdown); then the same start as `up`.
restart_temporal() {
  local pid
  pid="$(running temporal temporal-server)" || die "the Temporal server is not running (no live pid in $RUN/temporal.pid)"
  if [ "${1:-}" = "--kill" ]; then
    kill -KILL "$pid"
    for _ in $(seq 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && die "the Temporal server (pid $pid) still runs 10 s after SIGKILL"
    rm -f "$RUN/temporal.pid"
    log "temporal server (pid $pid) killed"
  else
    stop_bg temporal temporal-server
  fi
  temporal_up
  log "temporal server restarted"
}

# The chaos suite's and the cluster test's faults: one part restarted while the others run.
cmd_restart() {
  case "${1:-} ${2:-}" in
    "postgresql ") restart_postgresql ;;
    "temporal " | "temporal --kill") restart_temporal "${2:-}" ;;
    *) die "usage: restart postgresql | restart temporal [--kill], not: restart $*" ;;
  esac
}

cmd_env() {
  echo "# shardflow against this cluster:"
  echo "export TEMPORAL_ADDRESS=$FRONTEND"
  echo "export TEMPORAL_NAMESPACE=$NAMESPACE"
  echo "export SHARDFLOW_UI_URL=$UI_URL"
  echo "# test/e2e/cluster.test.ts:"
  echo "export SHARDFLOW_CLUSTER_ADDRESS=$FRONTEND"
  echo "export SHARDFLOW_CLUSTER_UI_URL=$UI_URL"
}

case "${1:-}" in
  up) cmd_up ;;
  down) shift; cmd_down "$@" ;;
  status) cmd_status ;;
  build) cmd_build ;;
  env) cmd_env ;;
  restart) shift; cmd_restart "$@" ;;
  *)
    echo "usage: scripts/cluster.sh up | status | down [--wipe] | build | env | restart postgresql | restart temporal [--kill]" >&2
    exit 2
    ;;
esac
