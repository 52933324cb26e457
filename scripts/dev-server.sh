#!/usr/bin/env bash
# Start, stop or check a local Temporal dev server (temporal server start-dev)
# for development and tests. State lives in a SQLite file so workflow history
# survives restarts.
#
# Usage: scripts/dev-server.sh start|stop|status
#
# Environment:
#   TEMPORAL_ADDRESS    host:port of the frontend (default 127.0.0.1:7233)
#   TEMPORAL_NAMESPACE  namespace to create/use (default "default")
#   SHARDFLOW_DATA_DIR  data root (default <repo>/.shardflow); the server keeps
#                       temporal.sqlite, server.pid and server.log in its temporal/
#   SHARDFLOW_UI_PORT   Web UI port (default 8233)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# 127.0.0.1 rather than "localhost": Node may resolve localhost to ::1 first,
# while the dev server only listens on the IPv4 address it is given.
ADDR="${TEMPORAL_ADDRESS:-127.0.0.1:7233}"
NS="${TEMPORAL_NAMESPACE:-default}"
UI_PORT="${SHARDFLOW_UI_PORT:-8233}"
HOST="${ADDR%:*}"
PORT="${ADDR##*:}"
DATA="${SHARDFLOW_DATA_DIR:-$REPO/.shardflow}/temporal"
PID_FILE="$DATA/server.pid"
LOG_FILE="$DATA/server.log"
DB_FILE="$DATA/temporal.sqlite"
SEARCH_ATTRIBUTES=(ShardflowPhase ShardflowSource) # all of type Keyword

say() { echo "dev-server: $*"; }
die() { echo "dev-server: ERROR: $*" >&2; exit 1; }

usage() {
  echo "usage: $0 start|stop|status" >&2
  exit 2
}

temporal_bin() {
  local path_file="$REPO/.tools/temporal-path" bin
  [ -f "$path_file" ] || die "$path_file not found; run scripts/bootstrap.sh first"
  bin="$(cat "$path_file")"
  [ -x "$bin" ] || die "temporal binary $bin (from .tools/temporal-path) is missing; run scripts/bootstrap.sh again"
  echo "$bin"
}

# Is anything listening on the port at all? (cheap, needs no CLI)
port_open() {
  local connect_host="$HOST"
  [ "$connect_host" = "0.0.0.0" ] && connect_host=127.0.0.1
  if command -v timeout >/dev/null 2>&1; then
    timeout 3 bash -c "exec 3<>/dev/tcp/$connect_host/$PORT" 2>/dev/null
  else
    bash -c "exec 3<>/dev/tcp/$connect_host/$PORT" 2>/dev/null
  fi
}

# Does a Temporal frontend answer? (a port can be open while the server starts)
healthy() {
  "$TEMPORAL" operator cluster health --address "$ADDR" --command-timeout 5s >/dev/null 2>&1
}

wait_healthy() { # wait_healthy SECONDS [PID]: PID given = give up early if it dies
  local deadline=$((SECONDS + $1)) pid="${2:-}"
  while [ "$SECONDS" -lt "$deadline" ]; do
    healthy && return 0
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    sleep 1
  done
  healthy
}

# The pid from server.pid if that process is still our dev server; guards
# against acting on a recycled pid after a reboot or crash.
our_pid() {
  local pid
  [ -f "$PID_FILE" ] || return 1
  pid="$(cat "$PID_FILE")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  ps -p "$pid" -o args= 2>/dev/null | grep -q 'start-dev' || return 1
  echo "$pid"
}

# A server we did not start (or one whose database predates an attribute) may
# lack the namespace or our search attributes; create whatever is missing.
ensure_namespace_and_attributes() {
  local name out
  if ! "$TEMPORAL" operator namespace describe --address "$ADDR" --namespace "$NS" >/dev/null 2>&1; then
    say "creating namespace $NS"
    out="$("$TEMPORAL" operator namespace create --address "$ADDR" --namespace "$NS" 2>&1)" \
      || grep -qi 'already' <<<"$out" || die "could not create namespace $NS: $out"
    # The frontend only sees a new namespace after its cache refreshes (~10 s).
    local deadline=$((SECONDS + 30))
    until "$TEMPORAL" operator search-attribute list --address "$ADDR" --namespace "$NS" >/dev/null 2>&1; do
      [ "$SECONDS" -lt "$deadline" ] || die "namespace $NS was created but is still not visible after 30 s"
      sleep 1
    done
  fi
  # Creating an attribute that already exists with the same type succeeds;
  # only "already exists ... different type" fails, and that is a real problem.
  for name in "${SEARCH_ATTRIBUTES[@]}"; do
    out="$("$TEMPORAL" operator search-attribute create --address "$ADDR" --namespace "$NS" \
      --name "$name" --type Keyword 2>&1)" && continue
    if grep -qi 'already exists' <<<"$out" && ! grep -qi 'different type' <<<"$out"; then
      continue
    fi
    die "could not register search attribute $name as Keyword: $out"
  done
  say "search attributes ${SEARCH_ATTRIBUTES[*]} (Keyword) registered in namespace $NS"
}

cmd_start() {
  TEMPORAL="$(temporal_bin)"
  local pid name
  if port_open; then
    # Maybe a server someone else runs, or ours still starting up.
    wait_healthy 60 || die "something listens at $ADDR but it is not a healthy Temporal server"
    say "dev server already running at $ADDR; reusing it"
    ensure_namespace_and_attributes
    return 0
  fi
  if pid="$(our_pid)"; then
    die "dev server (pid $pid) is running but not answering at $ADDR; see $LOG_FILE, or run '$0 stop'"
  fi

  mkdir -p "$DATA"
  local bind_ip="$HOST"
  [ "$bind_ip" = "localhost" ] && bind_ip=127.0.0.1
  local args=(server start-dev
    --ip "$bind_ip" --port "$PORT" --ui-port "$UI_PORT"
    --db-filename "$DB_FILE" --namespace "$NS" --log-level warn)
  for name in "${SEARCH_ATTRIBUTES[@]}"; do args+=(--search-attribute "$name=Keyword"); done

  say "starting: $TEMPORAL ${args[*]}"
  # Keep one previous log for post-mortems without growing forever.
  [ -f "$LOG_FILE" ] && mv -f "$LOG_FILE" "$LOG_FILE.1"
  # setsid detaches it from our process group so Ctrl-C in the calling shell
  # (or the caller exiting) doesn't take the server down with it.
  local launcher=()
  command -v setsid >/dev/null 2>&1 && launcher=(setsid)
  nohup ${launcher[@]+"${launcher[@]}"} "$TEMPORAL" "${args[@]}" >"$LOG_FILE" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$PID_FILE"

  if ! wait_healthy 60 "$pid"; then
    kill "$pid" 2>/dev/null || true
    rm -f "$PID_FILE"
    echo "dev-server: last lines of $LOG_FILE:" >&2
    tail -n 20 "$LOG_FILE" >&2 || true
    die "dev server did not become healthy at $ADDR within 60 s"
  fi
  # start-dev registers the attributes itself; this just confirms they exist.
  ensure_namespace_and_attributes
  say "dev server running at $ADDR (namespace $NS, pid $pid)"
  say "Web UI: http://localhost:$UI_PORT"
  say "data: $DATA"
}

cmd_stop() {
  local pid
  if ! [ -f "$PID_FILE" ]; then
    say "no $PID_FILE: nothing is running that this script started"
    return 0
  fi
  if ! pid="$(our_pid)"; then
    say "dev server from $PID_FILE is not running any more; removing the stale pid file"
    rm -f "$PID_FILE"
    return 0
  fi
  say "stopping dev server (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.5; done
  if kill -0 "$pid" 2>/dev/null; then
    say "still running after 30 s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$PID_FILE"
  say "stopped"
}

cmd_status() {
  TEMPORAL="$(temporal_bin)"
  local pid
  if healthy; then
    if pid="$(our_pid)"; then
      say "running at $ADDR (started by this script, pid $pid)"
    else
      say "running at $ADDR (not started by this script)"
    fi
    return 0
  fi
  if port_open; then
    say "something listens at $ADDR but Temporal does not answer (still starting?)"
  else
    say "not running: nothing answers at $ADDR"
  fi
  return 1
}

[ $# -eq 1 ] || usage
case "$1" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *) usage ;;
esac
