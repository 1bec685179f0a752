#!/usr/bin/env bash
# Local stack for ybss: genuine Apache Kafka (KRaft, single node) + SecantusDB
# (MongoDB wire protocol, one-member replica set "secantus").
#
#   bash deploy/local/stack.sh install   # fetch/build what is missing (idempotent)
#   bash deploy/local/stack.sh up        # install if needed, start, wait until both answer
#   bash deploy/local/stack.sh status    # what runs, pids and ports
#   bash deploy/local/stack.sh down      # stop exactly what `up` started
#   bash deploy/local/stack.sh logs      # where the logs are (tail -f them)
#
# All generated state (jars, venv, binaries, data, logs, pid files) lives in
# deploy/local/.work/ (git-ignored). `rm -rf deploy/local/.work` after `down`
# resets everything.
#
# Environment:
#   YBSS_MONGO_SERVER=rs|py   which SecantusDB server to run (default: rs, the Rust
#                             secantusd-rs; if its cargo build fails and the variable
#                             is unset, `up` falls back to py and says so loudly)
#   YBSS_STACK_CACHE_DIR      optional: keep a copy of the built secantusd-rs here and
#                             reuse it in later fresh clones (skips the ~4.5 min build)
#   KAFKA_BOOTSTRAP_SERVERS + MONGODB_URI  both set: `up` starts nothing and uses them
#   YBSS_STACK_TIMEOUT        seconds `up` waits for readiness (default 120)
#   YBSS_MONGO_CACHE_SIZE     the database server's WiredTiger cache (default 512M, enough for the tests;
#                             a city-size benchmark wants several G: bench/README.md 'A city's reads')
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WORK="$HERE/.work"
LOGS="$WORK/logs"
RUN="$WORK/run"

# ---- pinned versions -------------------------------------------------------
KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$HERE/kafka/pom.xml")"
SECANTUS_PY_VERSION="0.7.0b3"          # PyPI SecantusDB, server secantusd-py
SECANTUS_RS_VERSION="0.5.3-beta.196"   # crates.io secantus-mdb, server secantusd-rs
# Python packages of the stack's own tool venv (readiness checks); same pins as pyproject.toml
TOOLS_PIP_PINS=("pymongo==4.20.1" "aiokafka==0.14.0")

KAFKA_HOST=127.0.0.1
KAFKA_PORT=9092
KAFKA_CONTROLLER_PORT=9093
MONGO_HOST=127.0.0.1
MONGO_PORT=27017
LOCAL_KAFKA="$KAFKA_HOST:$KAFKA_PORT"
LOCAL_MONGO_URI="mongodb://$MONGO_HOST:$MONGO_PORT/?replicaSet=secantus"

MONGO_SERVER="${YBSS_MONGO_SERVER:-rs}"
MONGO_SERVER_EXPLICIT="${YBSS_MONGO_SERVER:+1}"
MONGO_CACHE_SIZE="${YBSS_MONGO_CACHE_SIZE:-512M}"  # WiredTiger cache of either server
TIMEOUT="${YBSS_STACK_TIMEOUT:-120}"

KAFKA_DIR="$WORK/kafka"
KAFKA_LIBS="$KAFKA_DIR/libs-$KAFKA_VERSION"
KAFKA_DATA="$KAFKA_DIR/data"
KAFKA_PROPS="$KAFKA_DIR/server.properties"
VENV="$WORK/venv"                       # SecantusDB (py server) + pymongo + aiokafka
CARGO_ROOT="$WORK/cargo"
RS_BIN="$CARGO_ROOT/bin/secantusd-rs"
PY_BIN="$VENV/bin/secantusd-py"
MONGO_DIR="$WORK/mongo"

log() { printf '[stack] %s\n' "$*"; }
err() { printf '[stack] ERROR: %s\n' "$*" >&2; }
die() { err "$*"; exit 1; }

case "$MONGO_SERVER" in
  py|rs) ;;
  *) die "YBSS_MONGO_SERVER must be 'py' or 'rs' (got '$MONGO_SERVER')" ;;
esac

# ---- prerequisites ---------------------------------------------------------
apt_install() {
  # Install Debian packages when we can (root, as on CI); otherwise explain.
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing Debian packages: $*"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    die "missing tools; install the Debian packages: $*"
  fi
}

need_java() {
  local missing=()
  command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
  command -v mvn >/dev/null || missing+=(maven)
  [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
  local major
  major="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/.*java.specification.version = \([0-9]*\).*/\1/p')"
  [ "${major:-0}" -ge 17 ] || die "Kafka $KAFKA_VERSION needs Java 17+, found Java ${major:-?} ($(command -v java))"
}

find_python311() {
  # A Python 3.10+ to create the tool venv with (SecantusDB needs >= 3.10).
  local c
  for c in python3.11 python3.12 python3.13 python3.10 python3; do
    if command -v "$c" >/dev/null && "$c" -c 'import sys, venv; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
      command -v "$c"; return 0
    fi
  done
  return 1
}

# ---- install ---------------------------------------------------------------
install_kafka() {
  if [ -f "$KAFKA_LIBS/.complete" ]; then return 0; fi
  need_java
  log "fetching Apache Kafka $KAFKA_VERSION jars from Maven Central (mvn dependency:copy-dependencies)"
  rm -rf "$KAFKA_LIBS.tmp"
  mvn -q -B -f "$HERE/kafka/pom.xml" dependency:copy-dependencies \
      -DoutputDirectory="$KAFKA_LIBS.tmp" -DincludeScope=runtime >"$LOGS/install-kafka.log" 2>&1 \
    || { tail -30 "$LOGS/install-kafka.log" >&2; die "mvn failed (log: $LOGS/install-kafka.log)"; }
  [ -f "$KAFKA_LIBS.tmp/kafka_2.13-$KAFKA_VERSION.jar" ] || die "kafka_2.13-$KAFKA_VERSION.jar not fetched"
  rm -rf "$KAFKA_LIBS" && mv "$KAFKA_LIBS.tmp" "$KAFKA_LIBS"
  touch "$KAFKA_LIBS/.complete"
  # drop jars of older pinned versions
  find "$KAFKA_DIR" -maxdepth 1 -type d -name 'libs-*' ! -name "libs-$KAFKA_VERSION" -exec rm -rf {} +
}

install_venv() {
  local stamp="$VENV/.ybss-stack-$SECANTUS_PY_VERSION"
  if [ -f "$stamp" ] && [ -x "$PY_BIN" ]; then return 0; fi
  local py
  py="$(find_python311)" || die "no Python >= 3.10 found to create $VENV"
  log "creating tool venv $VENV (SecantusDB==$SECANTUS_PY_VERSION ${TOOLS_PIP_PINS[*]})"
  rm -rf "$VENV"
  "$py" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check \
      "SecantusDB==$SECANTUS_PY_VERSION" "${TOOLS_PIP_PINS[@]}" >"$LOGS/install-venv.log" 2>&1 \
    || { tail -30 "$LOGS/install-venv.log" >&2; die "pip install failed (log: $LOGS/install-venv.log)"; }
  touch "$stamp"
}

rs_ok() { [ -x "$1" ] && "$1" --version 2>/dev/null | grep -qF -- "$SECANTUS_RS_VERSION"; }

install_rs() {
  local cache="${YBSS_STACK_CACHE_DIR:-}" cached=""
  [ -n "$cache" ] && cached="$cache/secantusd-rs-$SECANTUS_RS_VERSION"
  if ! rs_ok "$RS_BIN"; then
    if [ -n "$cached" ] && rs_ok "$cached"; then
      mkdir -p "$CARGO_ROOT/bin" && cp "$cached" "$RS_BIN"
      log "secantusd-rs $SECANTUS_RS_VERSION taken from YBSS_STACK_CACHE_DIR ($cached)"
    else
      build_rs || return 1
    fi
  fi
  if [ -n "$cached" ] && ! rs_ok "$cached"; then
    mkdir -p "$cache" && cp "$RS_BIN" "$cached.tmp.$$" && mv "$cached.tmp.$$" "$cached" \
      && log "cached secantusd-rs in $cached"
  fi
  return 0
}

build_rs() {
  command -v cargo >/dev/null || { err "cargo not found (a Rust toolchain is needed to build secantusd-rs)"; return 1; }
  command -v cmake >/dev/null || apt_install cmake
  command -v cc >/dev/null || apt_install build-essential
  log "building secantusd-rs $SECANTUS_RS_VERSION with cargo install (4-9 min on 2 cores, once; log: $LOGS/install-rs.log)"
  local t0=$SECONDS
  # The crate declares rust-version 1.98; it builds with this machine's 1.95, so
  # --ignore-rust-version. --locked uses the crate's own Cargo.lock. The target
  # dir lives in .work so an interrupted build resumes; it is removed on success.
  if ! CARGO_TARGET_DIR="$WORK/cargo-target" cargo install secantus-mdb --version "$SECANTUS_RS_VERSION" \
        --locked --ignore-rust-version --root "$CARGO_ROOT" >"$LOGS/install-rs.log" 2>&1; then
    tail -n 20 "$LOGS/install-rs.log" >&2
    err "cargo install secantus-mdb failed (log: $LOGS/install-rs.log)"
    return 1
  fi
  rm -rf "$WORK/cargo-target"
  log "secantusd-rs built in $((SECONDS - t0)) s"
}

# Resolve MONGO_SERVER to something installed: rs, or py when the rs build
# failed and the user did not ask for rs explicitly.
ensure_mongo_server() {
  [ "$MONGO_SERVER" = rs ] || return 0
  install_rs && return 0
  if [ -n "$MONGO_SERVER_EXPLICIT" ]; then
    err "YBSS_MONGO_SERVER=rs was requested but secantusd-rs could not be built"
    return 1
  fi
  err "secantusd-rs unavailable: FALLING BACK to the Python server secantusd-py (slower; see deploy/local/README.md)"
  MONGO_SERVER=py
}

cmd_install() {
  mkdir -p "$LOGS" "$RUN"
  install_kafka
  install_venv
  ensure_mongo_server || exit 1
  install_exchange
  log "installed: Kafka $KAFKA_VERSION jars, tool venv with secantusd-py $SECANTUS_PY_VERSION$( [ "$MONGO_SERVER" = rs ] && echo ", secantusd-rs $SECANTUS_RS_VERSION")"
}

# ---- process helpers -------------------------------------------------------
# A pid file is "ours and alive" when the process exists and its command line
# still carries our marker (guards against pid reuse).
pid_alive() {  # pidfile marker
  local pidfile="$1" marker="$2" pid
  [ -f "$pidfile" ] || return 1
  pid="$(cat "$pidfile" 2>/dev/null)"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$marker"
}

port_open() {  # port -> 0 when something accepts connections on 127.0.0.1:port
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

port_owner() {  # best-effort description of the listener on a port
  if command -v ss >/dev/null; then
    ss -ltnpH "sport = :$1" 2>/dev/null | sed -n 's/.*users:((\(.*\)))/\1/p' | head -1
  fi
}

start_detached() {  # pidfile logfile cmd... : start in its own session, no tty
  local pidfile="$1" logfile="$2"; shift 2
  # 9>&- : the server must not inherit the stack.lock descriptor
  setsid nohup "$@" </dev/null >>"$logfile" 2>&1 9>&- &
  echo $! >"$pidfile"
}

stop_pidfile() {  # name pidfile marker [signal, default TERM]
  local name="$1" pidfile="$2" marker="$3" sig="${4:-TERM}" pid _
  if ! pid_alive "$pidfile" "$marker"; then
    if [ -f "$pidfile" ]; then
      log "$name: not running (removing stale pid file)"; rm -f "$pidfile"
    else
      log "$name: not running"
    fi
    return 0
  fi
  pid="$(cat "$pidfile")"
  log "$name: stopping pid $pid"
  # setsid made pid the leader of its own process group: signal the group.
  kill -"$sig" -- "-$pid" 2>/dev/null || kill -"$sig" "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name: still alive after 30 s, sending SIGKILL"
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  fi
  # any straggler left in the group (there should be none)
  kill -KILL -- "-$pid" 2>/dev/null || true
  rm -f "$pidfile"
  log "$name: stopped"
}

# ---- Kafka -----------------------------------------------------------------
KAFKA_PID="$RUN/kafka.pid"
KAFKA_MARKER="$KAFKA_PROPS"

write_kafka_props() {
  mkdir -p "$KAFKA_DIR"
  cat >"$KAFKA_PROPS" <<EOF
# generated by deploy/local/stack.sh -- edit the script, not this file
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT,CONTROLLER://$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT,CONTROLLER://$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_DATA
num.partitions=6
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=3
num.io.threads=4
log.retention.hours=168
log.segment.bytes=104857600
EOF
}

kafka_jvm() {  # heap-opts main-class args... -> sets JVM_CMD (an array, so setsid can exec it)
  local heap="$1"; shift
  # shellcheck disable=SC2206  # heap is a word list on purpose
  JVM_CMD=(java $heap -XX:+UseG1GC -XX:MaxGCPauseMillis=20
           -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent
           -Djava.awt.headless=true
           -Dkafka.logs.dir="$LOGS" -Dlog4j2.configurationFile="$HERE/kafka/log4j2.properties"
           -cp "$KAFKA_LIBS/*" "$@")
}

format_kafka_storage() {
  [ -f "$KAFKA_DATA/meta.properties" ] && return 0
  local cid
  cid="$("$VENV/bin/python" -c 'import base64, uuid
while True:
    s = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    if not s.startswith("-"):
        print(s); break')"
  log "kafka: formatting KRaft storage $KAFKA_DATA (cluster id $cid, --standalone)"
  mkdir -p "$KAFKA_DATA"
  kafka_jvm "-Xmx256m -Xms64m" kafka.tools.StorageTool format -t "$cid" -c "$KAFKA_PROPS" --standalone
  "${JVM_CMD[@]}" >"$LOGS/kafka-format.log" 2>&1 \
    || { cat "$LOGS/kafka-format.log" >&2; rm -rf "$KAFKA_DATA"; die "kafka storage format failed"; }
}

start_kafka() {
  write_kafka_props
  format_kafka_storage
  log "kafka: starting Apache Kafka $KAFKA_VERSION (KRaft broker+controller) on $LOCAL_KAFKA"
  echo "=== $(date -Is) start" >>"$LOGS/kafka.stdout.log"
  kafka_jvm "-Xmx512m -Xms512m" kafka.Kafka "$KAFKA_PROPS"
  start_detached "$KAFKA_PID" "$LOGS/kafka.stdout.log" "${JVM_CMD[@]}"
}

# ---- SecantusDB ------------------------------------------------------------
MONGO_PID="$RUN/mongo.pid"
MONGO_KIND_FILE="$RUN/mongo.kind"
mongo_marker() { echo "$MONGO_DIR/data-$1"; }   # storage path is on the command line

running_mongo_kind() {  # prints py|rs when our server runs
  local k
  k="$(cat "$MONGO_KIND_FILE" 2>/dev/null || true)"
  [ -n "$k" ] && pid_alive "$MONGO_PID" "$(mongo_marker "$k")" && echo "$k"
}

start_mongo() {
  local kind="$MONGO_SERVER" data bin
  data="$(mongo_marker "$kind")"
  mkdir -p "$data"
  # An empty config file: passing --config disables auto-discovery of
  # ./secantusd.toml, ~/.secantus/secantusd.toml and /etc/secantus/secantusd.toml.
  : >"$MONGO_DIR/secantusd.toml"
  if [ "$kind" = rs ]; then bin="$RS_BIN"; else bin="$PY_BIN"; fi
  log "mongo: starting secantusd-$kind ($( [ "$kind" = rs ] && echo "$SECANTUS_RS_VERSION" || echo "$SECANTUS_PY_VERSION")) on $MONGO_HOST:$MONGO_PORT, replica set 'secantus', data $data"
  echo "$kind" >"$MONGO_KIND_FILE"
  echo "=== $(date -Is) start secantusd-$kind" >>"$LOGS/mongo.log"
  start_detached "$MONGO_PID" "$LOGS/mongo.log" \
    "$bin" --config "$MONGO_DIR/secantusd.toml" --host "$MONGO_HOST" --port "$MONGO_PORT" \
           --storage-path "$data" --cache-size "$MONGO_CACHE_SIZE" --log-level INFO
}

# ---- provincial exchange: PostgreSQL + Kafka Connect (deploy/local/exchange.sh) ----
# shellcheck source=deploy/local/exchange.sh
. "$HERE/exchange.sh"

# ---- readiness ---------------------------------------------------------------
wait_ready() {  # kafka_bootstrap mongo_uri
  "$VENV/bin/python" "$HERE/wait_ready.py" --kafka "$1" --mongo "$2" --timeout "$TIMEOUT" \
    --pid "kafka=$KAFKA_PID" --pid "mongo=$MONGO_PID"
}

# ---- commands ----------------------------------------------------------------
rollback() {  # stop what this `up` started (names: kafka mongo)
  local s
  for s in "$@"; do
    case "$s" in
      kafka) stop_pidfile kafka "$KAFKA_PID" "$KAFKA_MARKER" ;;
      mongo) stop_pidfile mongo "$MONGO_PID" "$(mongo_marker "$MONGO_SERVER")"; rm -f "$MONGO_KIND_FILE" ;;
    esac
  done
}

cmd_up() {
  if [ -n "${KAFKA_BOOTSTRAP_SERVERS:-}" ] && [ -n "${MONGODB_URI:-}" ]; then
    log "KAFKA_BOOTSTRAP_SERVERS and MONGODB_URI are set: starting nothing, using"
    log "  KAFKA_BOOTSTRAP_SERVERS=$KAFKA_BOOTSTRAP_SERVERS"
    log "  MONGODB_URI=$(printf '%s' "$MONGODB_URI" | sed -E 's#//[^/@]*@#//***@#')"
    return 0
  fi
  if [ -n "${KAFKA_BOOTSTRAP_SERVERS:-}${MONGODB_URI:-}" ]; then
    log "note: only one of KAFKA_BOOTSTRAP_SERVERS / MONGODB_URI is set; starting the whole local stack"
  fi
  local t0=$SECONDS
  install_kafka
  install_venv

  local kafka_ours=0 mongo_ours=0 kind conflict=0 owner port started=()
  pid_alive "$KAFKA_PID" "$KAFKA_MARKER" && kafka_ours=1
  kind="$(running_mongo_kind || true)"
  [ -n "$kind" ] && mongo_ours=1

  # Ports must be free unless the listener is our own running process.
  if [ $kafka_ours = 0 ]; then
    for port in $KAFKA_PORT $KAFKA_CONTROLLER_PORT; do
      if port_open "$port"; then
        owner="$(port_owner "$port")"
        err "port $port is already in use by a process that this script did not start${owner:+ ($owner)}."
        conflict=1
      fi
    done
  fi
  if [ $mongo_ours = 0 ] && port_open "$MONGO_PORT"; then
    owner="$(port_owner "$MONGO_PORT")"
    err "port $MONGO_PORT is already in use by a process that this script did not start${owner:+ ($owner)}."
    conflict=1
  fi
  if [ $conflict = 1 ]; then
    err "stop that process, or use your own servers: export KAFKA_BOOTSTRAP_SERVERS=... MONGODB_URI=..."
    exit 1
  fi

  if [ $kafka_ours = 1 ]; then
    log "kafka: already running (pid $(cat "$KAFKA_PID"))"
  else
    start_kafka; started+=(kafka)
  fi
  if [ $mongo_ours = 1 ]; then
    log "mongo: already running secantusd-$kind (pid $(cat "$MONGO_PID"))"
    [ "$kind" = "$MONGO_SERVER" ] || log "note: YBSS_MONGO_SERVER=$MONGO_SERVER ignored while secantusd-$kind runs ('down' first to switch)"
  else
    # may build secantusd-rs (minutes, once) while Kafka starts
    ensure_mongo_server || { rollback "${started[@]}"; exit 1; }
    start_mongo; started+=(mongo)
  fi

  if ! wait_ready "$LOCAL_KAFKA" "$LOCAL_MONGO_URI"; then
    err "the stack did not become ready within ${TIMEOUT}s; last log lines:"
    tail -n 15 "$LOGS/kafka.stdout.log" "$LOGS/kafka.log" "$LOGS/mongo.log" 2>/dev/null >&2 || true
    rollback "${started[@]}"
    exit 1
  fi
  # A process killed inside a transaction leaves it open, holding its documents, until the server aborts it
  # after transactionLifetimeLimitSeconds (60 by default). Projection transactions take milliseconds, so
  # 10 s bounds how long a crashed consumer can stall its successor. Not persisted: set on every `up`.
  "$VENV/bin/python" -c "import pymongo,sys; pymongo.MongoClient(sys.argv[1]).admin.command('setParameter', 1, transactionLifetimeLimitSeconds=10)" "$LOCAL_MONGO_URI" \
    || log "warning: could not set transactionLifetimeLimitSeconds"
  exchange_up
  log "up in $((SECONDS - t0)) s. Use:"
  log "  KAFKA_BOOTSTRAP_SERVERS=$LOCAL_KAFKA"
  log "  MONGODB_URI=$LOCAL_MONGO_URI"
  log "logs: $LOGS/kafka.log (JVM stdout/stderr: kafka.stdout.log), $LOGS/mongo.log"
}

cmd_down() {
  exchange_down
  stop_pidfile kafka "$KAFKA_PID" "$KAFKA_MARKER"
  local kind
  kind="$(cat "$MONGO_KIND_FILE" 2>/dev/null || echo "$MONGO_SERVER")"
  stop_pidfile "mongo (secantusd-$kind)" "$MONGO_PID" "$(mongo_marker "$kind")"
  rm -f "$MONGO_KIND_FILE"
}

cmd_status() {
  local rc=0 kind
  if [ -n "${KAFKA_BOOTSTRAP_SERVERS:-}" ] && [ -n "${MONGODB_URI:-}" ]; then
    log "external servers configured (KAFKA_BOOTSTRAP_SERVERS, MONGODB_URI); local stack status follows"
  fi
  if pid_alive "$KAFKA_PID" "$KAFKA_MARKER"; then
    log "kafka: running  pid $(cat "$KAFKA_PID")  Apache Kafka $KAFKA_VERSION  PLAINTEXT $LOCAL_KAFKA  CONTROLLER $KAFKA_HOST:$KAFKA_CONTROLLER_PORT$(port_open $KAFKA_PORT || echo '  (port not answering yet)')"
  else
    log "kafka: not running"; rc=3
  fi
  kind="$(running_mongo_kind || true)"
  if [ -n "$kind" ]; then
    log "mongo: running  pid $(cat "$MONGO_PID")  secantusd-$kind  $LOCAL_MONGO_URI$(port_open $MONGO_PORT || echo '  (port not answering yet)')"
  else
    log "mongo: not running"; rc=3
  fi
  # The exchange's parts do not change the exit status: .ci/run reads a non-zero status as "nothing runs, stop
  # what make test starts", and would then stop a Kafka and Mongo it did not start; `up` starts what is missing.
  exchange_status
  log "logs: $LOGS"
  return $rc
}

cmd_logs() {
  echo "$LOGS/kafka.log"
  echo "$LOGS/kafka.stdout.log"
  echo "$LOGS/mongo.log"
  echo "$LOGS/postgres.log"
  echo "$LOGS/connect.log"
}

mkdir -p "$LOGS" "$RUN"
case "${1:-}" in
  install|up|down|restart)
    # one stack.sh at a time changes the stack (engineers share this checkout)
    exec 9>"$RUN/stack.lock"
    if command -v flock >/dev/null && ! flock -n 9; then
      log "waiting for another stack.sh to finish (lock $RUN/stack.lock)"
      flock -w 900 9 || die "another stack.sh still holds $RUN/stack.lock after 900 s"
    fi
    ;;
esac
case "${1:-}" in
  install) cmd_install ;;
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  restart) cmd_down; cmd_up ;;
  logs) cmd_logs ;;
  *) echo "usage: bash deploy/local/stack.sh {install|up|down|status|restart|logs}" >&2; exit 2 ;;
esac
