#!/usr/bin/env bash
# The services Sluice's test suites talk to, on a Debian machine where you are root:
#
#   packages  docker.io docker-registry redis-server redis-tools postgresql chromium python3-botocore
#             (apt-get, --no-install-recommends, only the missing ones)
#   docker    a Docker engine on /var/run/docker.sock (reused when one answers at $DOCKER_HOST)
#   registry  Debian's docker-registry on 127.0.0.1:$SLUICE_REGISTRY_PORT (plain HTTP)
#   redis     redis-server on 127.0.0.1:$SLUICE_REDIS_PORT, nothing written to disk
#   postgres  a throw-away cluster on 127.0.0.1:$SLUICE_PG_PORT (trust auth, fsync off) with the
#             database the tests use, $SLUICE_PG_DATABASE
#   image     $SLUICE_NODE_IMAGE, a Docker base image made from this machine's node, its libraries,
#             npm and a shell (nothing is pulled, so it works without access to Docker Hub)
#
# Each service that already answers is reused and left alone; `stop` stops only what this script
# started (it keeps a pid file per service it started). At the end it writes $SLUICE_SERVICES_DIR/env.sh
# with every variable the suites read; `source` it before `npm test`.
#
# Usage: bash scripts/services.sh [start|stop|env|status]     (default: start)
# Ports and names can be changed with the variables above; the defaults are the ones the suites assume.
set -euo pipefail

DIR=${SLUICE_SERVICES_DIR:-${TMPDIR:-/tmp}/sluice-services}
REGISTRY_PORT=${SLUICE_REGISTRY_PORT:-5000}
REDIS_PORT=${SLUICE_REDIS_PORT:-6379}
PG_PORT=${SLUICE_PG_PORT:-5433}
PG_DATABASE=${SLUICE_PG_DATABASE:-sluice_test}
NODE_IMAGE=${SLUICE_NODE_IMAGE:-node20-local:base}
DOCKER_SOCKET=${SLUICE_DOCKER_SOCKET:-/var/run/docker.sock}
PACKAGES=(docker.io docker-registry redis-server redis-tools postgresql chromium python3-botocore)

say() { printf '[services] %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# retry COMMAND every 0.2 s for up to SECONDS; true as soon as it succeeds
retry() {
  local tries=$(( $1 * 5 )); shift
  local i
  for (( i = 0; i < tries; i++ )); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  return 1
}

# running PID: the process exists and is not a zombie
running() { local s; s=$(ps -o stat= -p "$1" 2>/dev/null) && [ -n "$s" ] && [ "${s:0:1}" != Z ]; }

pg_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && echo "$d"; done | sort -V | tail -1
}

# ------------------------------------------------------------------ packages
install_packages() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -eq 0 ]; then return; fi
  [ "$(id -u)" = 0 ] || die "missing packages ${missing[*]}; install them as root: apt-get install --no-install-recommends ${missing[*]}"
  say "installing ${missing[*]}"
  apt-get update -q >"$DIR/logs/apt.log" 2>&1 || { tail -20 "$DIR/logs/apt.log" >&2; die "apt-get update failed"; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >>"$DIR/logs/apt.log" 2>&1 \
    || { tail -20 "$DIR/logs/apt.log" >&2; die "apt-get install failed (log: $DIR/logs/apt.log)"; }
}

# ------------------------------------------------------------------ docker engine
docker_answers() { DOCKER_HOST="unix://$DOCKER_SOCKET" docker version >/dev/null 2>&1; }

start_docker() {
  if docker_answers; then say "docker: reusing the engine at $DOCKER_SOCKET"; return; fi
  mkdir -p /var/lib/docker
  # No NAT rules (--iptables=false): containers reach the host and each other, which is all the tests need.
  local driver
  for driver in overlay2 vfs; do
    nohup dockerd --host "unix://$DOCKER_SOCKET" --iptables=false --storage-driver="$driver" >"$DIR/logs/dockerd.log" 2>&1 &
    echo $! >"$DIR/dockerd.pid"
    if retry 30 docker_answers; then say "docker: started ($driver)"; return; fi
    say "docker: did not start with $driver storage"
    kill "$(cat "$DIR/dockerd.pid")" 2>/dev/null || true
    rm -f "$DIR/dockerd.pid"
    sleep 1
  done
  tail -20 "$DIR/logs/dockerd.log" >&2
  die "the Docker engine did not start (log: $DIR/logs/dockerd.log)"
}

# ------------------------------------------------------------------ registry
registry_answers() { curl -sf "http://127.0.0.1:$REGISTRY_PORT/v2/" >/dev/null; }

start_registry() {
  if registry_answers; then say "registry: reusing 127.0.0.1:$REGISTRY_PORT"; return; fi
  mkdir -p "$DIR/registry"
  cat >"$DIR/registry/config.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $DIR/registry/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$REGISTRY_PORT
EOF
  nohup docker-registry serve "$DIR/registry/config.yml" >"$DIR/logs/registry.log" 2>&1 &
  echo $! >"$DIR/registry.pid"
  retry 15 registry_answers || { tail -20 "$DIR/logs/registry.log" >&2; die "the registry did not start on 127.0.0.1:$REGISTRY_PORT"; }
  say "registry: started on 127.0.0.1:$REGISTRY_PORT"
}

# ------------------------------------------------------------------ redis
redis_answers() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }

start_redis() {
  if redis_answers; then say "redis: reusing 127.0.0.1:$REDIS_PORT"; return; fi
  mkdir -p "$DIR/redis"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes --pidfile "$DIR/redis.pid" \
    --dir "$DIR/redis" --save '' --appendonly no --logfile "$DIR/logs/redis.log"
  retry 10 redis_answers || { tail -20 "$DIR/logs/redis.log" >&2; die "Redis did not start on 127.0.0.1:$REDIS_PORT"; }
  say "redis: started on 127.0.0.1:$REDIS_PORT"
}

# ------------------------------------------------------------------ postgres
pg_answers() { "$(pg_bin)/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; }

start_postgres() {
  local bin; bin=$(pg_bin)
  [ -n "$bin" ] || die "PostgreSQL's programs are not under /usr/lib/postgresql/*/bin (apt-get install --no-install-recommends postgresql)"
  if pg_answers; then
    say "postgres: reusing 127.0.0.1:$PG_PORT"
  else
    # initdb refuses to run as root: the cluster belongs to the postgres user.
    mkdir -p "$DIR/pg"
    chown postgres:postgres "$DIR/pg"
    if [ ! -f "$DIR/pg/data/PG_VERSION" ]; then
      runuser -u postgres -- "$bin/initdb" -D "$DIR/pg/data" -U postgres -A trust -E UTF8 --no-sync >"$DIR/logs/initdb.log" 2>&1 \
        || { cat "$DIR/logs/initdb.log" >&2; die "initdb failed"; }
    fi
    runuser -u postgres -- "$bin/pg_ctl" -D "$DIR/pg/data" -l "$DIR/pg/postgres.log" -w -t 30 \
      -o "-p $PG_PORT -k $DIR/pg -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      start >/dev/null || { tail -20 "$DIR/pg/postgres.log" >&2; die "PostgreSQL did not start on 127.0.0.1:$PG_PORT"; }
    touch "$DIR/postgres.started"
    say "postgres: started on 127.0.0.1:$PG_PORT"
  fi
  local exists
  exists=$(psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$PG_DATABASE'") \
    || die "cannot connect to PostgreSQL on 127.0.0.1:$PG_PORT as postgres (the tests connect without a password)"
  if [ "$exists" != 1 ]; then
    createdb -h 127.0.0.1 -p "$PG_PORT" -U postgres "$PG_DATABASE"
    say "postgres: created database $PG_DATABASE"
  fi
}

# ------------------------------------------------------------------ node base image
# The image holds this machine's node binary with the shared libraries it links, npm, a /bin/sh (dash)
# and env (npm's shebang), and the CA bundle: enough to build and run a flow's image without a pull.
build_image() {
  local version; version=$(node -v)
  if [ "$(DOCKER_HOST="unix://$DOCKER_SOCKET" docker image inspect -f '{{index .Config.Labels "node.version"}}' "$NODE_IMAGE" 2>/dev/null)" = "$version" ]; then
    say "image: reusing $NODE_IMAGE (node $version)"
    return
  fi
  local root="$DIR/image-root" node_bin lib npm_dir
  node_bin=$(readlink -f "$(command -v node)")
  npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  rm -rf "$root"
  mkdir -p "$root"/{usr/bin,bin,etc/ssl/certs,tmp,app,root,usr/lib/node_modules}
  chmod 1777 "$root/tmp"
  cp "$node_bin" "$root/usr/bin/node"
  for lib in $(for b in "$node_bin" /bin/dash /usr/bin/env; do ldd "$b" | grep -o '/[^ ]*'; done | sort -u); do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
  cp /bin/dash "$root/bin/sh"
  cp /usr/bin/env "$root/usr/bin/env"
  cp -a "$npm_dir" "$root/usr/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/bin/npx"
  if [ -f /etc/ssl/certs/ca-certificates.crt ]; then cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"; fi
  echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
  echo 'root:x:0:' >"$root/etc/group"
  echo 'hosts: files dns' >"$root/etc/nsswitch.conf"
  tar -C "$root" -c . | DOCKER_HOST="unix://$DOCKER_SOCKET" docker import \
    -c 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
    -c 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
    -c 'WORKDIR /app' -c "LABEL node.version=$version" \
    - "$NODE_IMAGE" >/dev/null
  rm -rf "$root"
  DOCKER_HOST="unix://$DOCKER_SOCKET" docker run --rm "$NODE_IMAGE" node -e 'process.exit(0)' \
    || die "the image $NODE_IMAGE was built but node does not start in it"
  say "image: built $NODE_IMAGE (node $version)"
}

# ------------------------------------------------------------------ env file
write_env() {
  cat >"$DIR/env.sh" <<EOF
# Written by scripts/services.sh: the variables Sluice's test suites read.
export DOCKER_HOST=unix://$DOCKER_SOCKET
export TEST_REGISTRY=127.0.0.1:$REGISTRY_PORT
export REDIS_URL=redis://127.0.0.1:$REDIS_PORT
export SLUICE_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:$PG_PORT/$PG_DATABASE
export CHROMIUM_PATH=$(command -v chromium || echo /usr/bin/chromium)
export TEST_NODE_IMAGE=$NODE_IMAGE
EOF
  say "env: source $DIR/env.sh"
}

status() {
  local ok=0
  if docker_answers; then say "docker: up"; else say "docker: down"; ok=1; fi
  if registry_answers; then say "registry: up"; else say "registry: down"; ok=1; fi
  if redis_answers; then say "redis: up"; else say "redis: down"; ok=1; fi
  if [ -n "$(pg_bin)" ] && pg_answers; then say "postgres: up"; else say "postgres: down"; ok=1; fi
  return $ok
}

# ------------------------------------------------------------------ stop
stop_pid() {
  local name=$1 file="$DIR/$1.pid" pid i
  [ -f "$file" ] || return 0
  pid=$(cat "$file")
  if running "$pid"; then
    kill "$pid" 2>/dev/null || true
    for (( i = 0; i < 100; i++ )); do running "$pid" || break; sleep 0.1; done
    say "$name: stopped"
  fi
  rm -f "$file"
}

stop_all() {
  if [ -f "$DIR/postgres.started" ]; then
    runuser -u postgres -- "$(pg_bin)/pg_ctl" -D "$DIR/pg/data" -m fast stop >/dev/null 2>&1 || true
    rm -f "$DIR/postgres.started"
    say "postgres: stopped"
  fi
  stop_pid redis
  stop_pid registry
  stop_pid dockerd
}

mkdir -p "$DIR/logs"
chmod 755 "$DIR"   # the postgres user must reach its cluster under it
case "${1:-start}" in
  start)
    install_packages
    start_docker
    start_registry
    start_redis
    start_postgres
    build_image
    write_env ;;
  stop) stop_all ;;
  env) write_env ;;
  status) status ;;
  *) echo "usage: bash scripts/services.sh [start|stop|env|status]" >&2; exit 2 ;;
esac
