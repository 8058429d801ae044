#!/usr/bin/env bash
# Starts, stops and describes the 3-member etcd cluster Orch's etcd tests run against, on 127.0.0.1.
#
#   scripts/test-etcd.sh start          install etcd-server if missing (as root), start the members, wait until
#                                       the cluster answers, print the environment (`export ...` lines)
#   scripts/test-etcd.sh stop           stop every member and remove its data
#   scripts/test-etcd.sh env            print `export ...` lines for the running cluster
#   scripts/test-etcd.sh stop-one N     stop member N (0..2) with SIGKILL, its data left in place
#   scripts/test-etcd.sh start-one N    start member N again with the same command line (it rejoins)
#
# Member N listens for clients on 127.0.0.1:2N379 and for peers on 127.0.0.1:2N380 (ORCH_ETCD_PORT_BASE, default
# 20000, moves both), one directory each under ORCH_ETCD_DIR (default /tmp/orch-etcd). Idempotent: `start`
# leaves members that already run alone. The environment it prints:
#   ORCH_ETCD_ENDPOINTS  the client URLs, comma-separated
#   ORCH_ETCD_SCRIPT     this script, for tests that stop and start members
set -euo pipefail

DIR="${ORCH_ETCD_DIR:-/tmp/orch-etcd}"
BASE="${ORCH_ETCD_PORT_BASE:-20000}"
MEMBERS=3
SELF="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"

log() { echo "test-etcd: $*" >&2; }

etcd_bin() {
  command -v etcd 2>/dev/null || { [ -x /usr/bin/etcd ] && echo /usr/bin/etcd; } || true
}

install_missing() {
  if [ -n "$(etcd_bin)" ]; then return 0; fi
  if [ "$(id -u)" != 0 ]; then
    log "etcd is missing and this is not root: install Debian's etcd-server, or run as root"; exit 1
  fi
  log "installing etcd-server"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q etcd-server >&2 \
    || { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q etcd-server >&2; }
  # The package starts a system etcd on the default ports; the tests want only their own members.
  if command -v systemctl >/dev/null 2>&1; then systemctl stop etcd >/dev/null 2>&1 || true; fi
}

client_port() { echo $((BASE + $1 * 1000 + 379)); }
peer_port() { echo $((BASE + $1 * 1000 + 380)); }
client_url() { echo "http://127.0.0.1:$(client_port "$1")"; }
pidfile() { echo "$DIR/m$1/etcd.pid"; }

cluster() {
  local out="" i
  for ((i = 0; i < MEMBERS; i++)); do
    out+="${out:+,}m$i=http://127.0.0.1:$(peer_port "$i")"
  done
  echo "$out"
}

endpoints() {
  local out="" i
  for ((i = 0; i < MEMBERS; i++)); do out+="${out:+,}$(client_url "$i")"; done
  echo "$out"
}

running_pid() {
  local p
  p="$(cat "$(pidfile "$1")" 2>/dev/null || true)"
  if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then echo "$p"; fi
}

# Whether member N answers a health check through its HTTP gateway.
healthy() { curl -s -m 2 "$(client_url "$1")/health" 2>/dev/null | grep -q '"health":"true"'; }

start_one() {
  local n="$1" d="$DIR/m$1" state="new"
  if [ -n "$(running_pid "$n")" ]; then return 0; fi
  mkdir -p "$d"
  if [ -d "$d/data/member" ]; then state="existing"; fi
  setsid "$(etcd_bin)" --name "m$n" --data-dir "$d/data" \
    --listen-client-urls "$(client_url "$n")" --advertise-client-urls "$(client_url "$n")" \
    --listen-peer-urls "http://127.0.0.1:$(peer_port "$n")" \
    --initial-advertise-peer-urls "http://127.0.0.1:$(peer_port "$n")" \
    --initial-cluster "$(cluster)" --initial-cluster-token orch-test --initial-cluster-state "$state" \
    --heartbeat-interval 100 --election-timeout 1000 \
    >"$d/etcd.log" 2>&1 </dev/null &
  echo $! >"$(pidfile "$n")"
}

stop_one() {
  local p
  p="$(running_pid "$1")"
  if [ -n "$p" ]; then
    kill -9 "$p" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$(pidfile "$1")"
}

print_env() {
  echo "export ORCH_ETCD_ENDPOINTS=$(endpoints)"
  echo "export ORCH_ETCD_SCRIPT=$SELF"
}

start() {
  install_missing
  local i
  for ((i = 0; i < MEMBERS; i++)); do start_one "$i"; done
  for _ in $(seq 1 300); do
    local ok=0
    for ((i = 0; i < MEMBERS; i++)); do healthy "$i" && ok=$((ok + 1)); done
    if [ "$ok" -eq "$MEMBERS" ]; then
      log "cluster of $MEMBERS members answers at $(endpoints)"
      print_env
      return 0
    fi
    sleep 0.1
  done
  log "the cluster did not become healthy in 30 s; member logs follow"
  for ((i = 0; i < MEMBERS; i++)); do tail -n 20 "$DIR/m$i/etcd.log" >&2 || true; done
  exit 1
}

stop() {
  local i
  for ((i = 0; i < MEMBERS; i++)); do stop_one "$i"; done
  rm -rf "$DIR"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  env) print_env ;;
  stop-one) stop_one "${2:?member number}" ;;
  start-one) start_one "${2:?member number}" ;;
  *) echo "usage: $0 start|stop|env|stop-one N|start-one N" >&2; exit 2 ;;
esac
