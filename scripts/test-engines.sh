#!/usr/bin/env bash
# Starts, stops and describes the Docker Engines Orch's Docker tests run against.
#
#   scripts/test-engines.sh start          install what is missing (as root), start the engines, build the
#                                          test image in each, print the environment (as `env` does)
#   scripts/test-engines.sh stop           stop every engine and remove their directories
#   scripts/test-engines.sh env            print `export ...` lines for the running engines
#   scripts/test-engines.sh stop-one N     stop engine N (0-based) and leave its state in place
#   scripts/test-engines.sh start-one N    start engine N again with the same command line
#
# Engines run side by side under ORCH_ENGINES_DIR (default /tmp/orch-engines), one directory each, with
# vfs storage, no default bridge and no NAT, and listen on a unix socket only. ORCH_ENGINES (default 2)
# says how many. Idempotent: `start` leaves engines that already answer alone.
# The test image, orch-test/busybox:1, is a root filesystem holding the static busybox and its applets,
# imported with `docker import` (no registry is needed or reachable).
set -euo pipefail

DIR="${ORCH_ENGINES_DIR:-/tmp/orch-engines}"
COUNT="${ORCH_ENGINES:-2}"
IMAGE="${ORCH_TEST_IMAGE:-orch-test/busybox:1}"

log() { echo "test-engines: $*" >&2; }

install_missing() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  command -v docker >/dev/null 2>&1 || missing+=(docker.io)
  [ -x /bin/busybox ] && /bin/busybox --list 2>/dev/null | grep -qx httpd || missing+=(busybox-static)
  if [ ${#missing[@]} -eq 0 ]; then return 0; fi
  if [ "$(id -u)" != 0 ]; then
    log "missing packages ${missing[*]} and not root: install them, or run as root"; exit 1
  fi
  log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2 \
    || { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2; }
}

sock() { echo "$DIR/e$1/docker.sock"; }
pidfile() { echo "$DIR/e$1/docker.pid"; }

answers() { timeout 5 docker -H "unix://$(sock "$1")" version >/dev/null 2>&1; }

running_pid() {
  local p
  p="$(cat "$(pidfile "$1")" 2>/dev/null || true)"
  if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then echo "$p"; fi
}

start_one() {
  local n="$1" d="$DIR/e$1"
  if [ -n "$(running_pid "$n")" ] && answers "$n"; then return 0; fi
  mkdir -p "$d/data" "$d/exec"
  rm -f "$(sock "$n")" "$(pidfile "$n")"
  # No default bridge and no NAT: containers are reached through ports published on 127.0.0.1 of networks
  # the runtime creates. --iptables stays on so that those networks stay isolated from each other.
  # Each engine gets its own address pool (10.(200+N).0.0/16 in /26 subnets: 1,024 networks of 62
  # addresses), disjoint from the others'; Docker's default pools hold about 31 networks per host.
  setsid dockerd --storage-driver=vfs --ip-masq=false --bridge=none \
    --default-address-pool "base=10.$((200 + n)).0.0/16,size=26" \
    --data-root "$d/data" --exec-root "$d/exec" --pidfile "$(pidfile "$n")" \
    -H "unix://$(sock "$n")" >"$d/dockerd.log" 2>&1 </dev/null &
  local i pid=$!
  for i in $(seq 1 120); do
    if answers "$n"; then return 0; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  log "engine $n did not answer in 60 s; its log:"; tail -20 "$d/dockerd.log" >&2; exit 1
}

build_image() {
  local root="$DIR/rootfs"
  if [ ! -f "$DIR/busybox.tar" ]; then
    rm -rf "$root"; mkdir -p "$root/bin" "$root/tmp" "$root/www" "$root/data" "$root/etc"
    cp /bin/busybox "$root/bin/busybox"
    local a
    for a in $(/bin/busybox --list); do
      [ "$a" = busybox ] || ln -sf busybox "$root/bin/$a"
    done
    echo 'root:x:0:0:root:/:/bin/sh' >"$root/etc/passwd"
    echo 'root:x:0:' >"$root/etc/group"
    echo 'orch test image' >"$root/www/index.html"
    tar -C "$root" -cf "$DIR/busybox.tar.tmp" . && mv "$DIR/busybox.tar.tmp" "$DIR/busybox.tar"
  fi
  local n
  for n in "$@"; do
    if ! docker -H "unix://$(sock "$n")" image inspect "$IMAGE" >/dev/null 2>&1; then
      docker -H "unix://$(sock "$n")" import -c 'ENV PATH=/bin' -c 'CMD ["sh"]' "$DIR/busybox.tar" "$IMAGE" >/dev/null
    fi
  done
}

print_env() {
  local hosts="" pids="" n
  for n in $(seq 0 $((COUNT - 1))); do
    hosts="${hosts:+$hosts,}unix://$(sock "$n")"
    pids="${pids:+$pids,}$(pidfile "$n")"
  done
  echo "export ORCH_DOCKER_HOSTS=$hosts"
  echo "export ORCH_DOCKER_PIDFILES=$pids"
  echo "export ORCH_DOCKER_IMAGE=$IMAGE"
  echo "export ORCH_ENGINES_SCRIPT=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
}

# Removes engine N's containers and the networks tests made on it, so that their bridges do not outlive
# the engine: a killed dockerd leaves its bridges behind, and enough of them use up the address pools (later
# engines then fail to create networks: "could not find an available, non-overlapping IPv4 address pool").
# Bridges it cannot remove through the engine are deleted after the engine stops.
release_networks() {
  local n="$1" h
  h="unix://$(sock "$n")"
  answers "$n" || return 0
  local ids
  ids="$(docker -H "$h" ps -aq 2>/dev/null || true)"
  [ -z "$ids" ] || docker -H "$h" rm -f $ids >/dev/null 2>&1 || true
  ids="$(docker -H "$h" network ls -q --no-trunc --filter type=custom 2>/dev/null || true)"
  local id
  for id in $ids; do
    docker -H "$h" network rm "$id" >/dev/null 2>&1 || echo "br-${id:0:12}" >>"$DIR/leftover-bridges"
  done
}

delete_leftover_bridges() {
  [ -f "$DIR/leftover-bridges" ] || return 0
  local b
  while read -r b; do ip link delete "$b" 2>/dev/null || true; done <"$DIR/leftover-bridges"
  rm -f "$DIR/leftover-bridges"
}

# Deletes what killed engines leave on the host; called only while no engine runs. Every bridge with an address
# in the engines' pools (10.200.0.0/16 to 10.209.0.0/16) is a leftover then, and so is every iptables rule naming a bridge
# that is gone or a subnet of those pools. A leftover MASQUERADE rule ("-s <subnet> ! -o <its dead bridge>")
# matches the traffic of a later network on the same subnet (bridged traffic passes iptables here), so that
# network's connections are NATed, and a container that leaves and re-joins at its address loses them (the
# engine clears their conntrack entries): a request in flight across an alias change then hangs. Reproduced with
# such a rule, never without it.
delete_leftovers() {
  local b t rule
  for b in $(ip -br -4 addr show type bridge 2>/dev/null | awk '$1 ~ /^br-/ && $3 ~ /^10\.20[0-9]\./ {print $1}'); do
    ip link delete "$b" 2>/dev/null || true
  done
  command -v iptables >/dev/null 2>&1 || return 0
  for t in nat filter; do
    { iptables -t "$t" -S 2>/dev/null || true; } | { grep -E -- '^-A .*(br-[0-9a-f]{12}|-s 10\.20[0-9]\.)' || true; } | while read -r rule; do
      local stale=no
      if echo "$rule" | grep -qE -- '-s 10\.20[0-9]\.'; then stale=yes; fi
      for b in $(echo "$rule" | grep -oE 'br-[0-9a-f]{12}'); do
        ip link show "$b" >/dev/null 2>&1 || stale=yes
      done
      if [ "$stale" = yes ]; then eval "iptables -t $t ${rule/#-A/-D}" 2>/dev/null || true; fi
    done
  done
}

any_running() {
  local n
  for n in $(seq 0 $((COUNT - 1))); do [ -z "$(running_pid "$n")" ] || return 0; done
  return 1
}

stop_one() {
  local n="$1" p i
  p="$(running_pid "$n")"
  [ -n "$p" ] || return 0
  kill "$p" 2>/dev/null || true
  for i in $(seq 1 60); do
    kill -0 "$p" 2>/dev/null || return 0
    sleep 0.5
  done
  kill -9 "$p" 2>/dev/null || true
}

cmd="${1:-}"
case "$cmd" in
  start)
    install_missing
    mkdir -p "$DIR"
    all=()
    any_running || delete_leftovers
    # One after the other: engines starting together race to create the same iptables chains.
    for n in $(seq 0 $((COUNT - 1))); do start_one "$n"; all+=("$n"); done
    build_image "${all[@]}"
    print_env
    ;;
  start-one)
    start_one "${2:?engine number}"
    build_image "$2"
    ;;
  stop-one)
    stop_one "${2:?engine number}"
    ;;
  env)
    print_env
    ;;
  stop)
    for n in $(seq 0 $((COUNT - 1))); do release_networks "$n"; done
    for n in $(seq 0 $((COUNT - 1))); do stop_one "$n" & done
    wait
    delete_leftover_bridges
    any_running || delete_leftovers
    # Container runtimes' mounts must be gone before the directories can be removed.
    if [ -d "$DIR" ]; then
      { grep -o " $DIR[^ ]*" /proc/mounts || true; } | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
      rm -rf "$DIR"
    fi
    ;;
  *)
    echo "usage: $0 start|stop|env|stop-one N|start-one N" >&2; exit 2
    ;;
esac
