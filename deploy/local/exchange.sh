# shellcheck shell=bash
# The provincial exchange's part of the local stack (docs/EXCHANGE.md), sourced by stack.sh:
#   PostgreSQL  127.0.0.1:5433  the stand-in for the province's relational database (database "province")
#   Kafka Connect 127.0.0.1:8083 a distributed-mode worker (REST) with Debezium's JDBC sink connector
# Both are started by `up` only when they are not running, after Kafka answers; `down` stops them first.
# YBSS_STACK_EXCHANGE=0 leaves them out (a stack for the registries alone starts ~20 s faster).

EXCHANGE_ENABLED="${YBSS_STACK_EXCHANGE:-1}"

PG_PORT=5433
PG_USER=ybss
PG_PASSWORD=ybss                      # local stand-in only; the province's credentials come from its DBA
PG_DATABASE=province
PG_PID="$RUN/postgres.pid"

DEBEZIUM_VERSION="$(sed -n 's:.*<debezium.version>\(.*\)</debezium.version>.*:\1:p' "$HERE/connect/pom.xml")"
CONNECT_PORT=8083
CONNECT_DIR="$WORK/connect"
CONNECT_LIBS="$CONNECT_DIR/libs-$KAFKA_VERSION-$DEBEZIUM_VERSION"
CONNECT_PROPS="$CONNECT_DIR/worker.properties"
CONNECT_PID="$RUN/connect.pid"
CONNECT_URL="http://127.0.0.1:$CONNECT_PORT"

exchange_enabled() { [ "$EXCHANGE_ENABLED" != 0 ]; }

# ---- install -------------------------------------------------------------------
pg_bin_dir() {  # the newest installed PostgreSQL server's bin directory
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1
}

install_postgres() {
  [ -n "$(pg_bin_dir)" ] && [ -x "$(pg_bin_dir)/postgres" ] && return 0
  apt_install postgresql
  [ -x "$(pg_bin_dir)/postgres" ] || die "postgresql installed but no server under /usr/lib/postgresql/*/bin"
}

install_connect() {
  if [ -f "$CONNECT_LIBS/.complete" ]; then return 0; fi
  need_java
  log "fetching Kafka Connect $KAFKA_VERSION and Debezium JDBC sink $DEBEZIUM_VERSION from Maven Central"
  rm -rf "$CONNECT_LIBS.tmp"
  # settings.xml: Debezium's poms name Confluent's repository; everything comes from Central instead
  mvn -q -B -s "$HERE/connect/settings.xml" -f "$HERE/connect/pom.xml" dependency:copy-dependencies \
      -Dkafka.version="$KAFKA_VERSION" -DoutputDirectory="$CONNECT_LIBS.tmp" -DincludeScope=runtime \
      >"$LOGS/install-connect.log" 2>&1 \
    || { tail -30 "$LOGS/install-connect.log" >&2; die "mvn failed (log: $LOGS/install-connect.log)"; }
  [ -f "$CONNECT_LIBS.tmp/debezium-connector-jdbc-$DEBEZIUM_VERSION.jar" ] || die "debezium-connector-jdbc not fetched"
  rm -rf "$CONNECT_LIBS" && mv "$CONNECT_LIBS.tmp" "$CONNECT_LIBS"
  touch "$CONNECT_LIBS/.complete"
  find "$CONNECT_DIR" -maxdepth 1 -type d -name 'libs-*' ! -name "$(basename "$CONNECT_LIBS")" -exec rm -rf {} +
}

install_exchange() {
  exchange_enabled || return 0
  install_postgres
  install_connect
}

# ---- PostgreSQL ------------------------------------------------------------------
# The server refuses to run as root: as root (CI) it runs as the Debian package's `postgres` user.
pg_user_prefix() {  # sets PG_AS (an array: empty, or setpriv to the postgres user)
  PG_AS=()
  [ "$(id -u)" = 0 ] && PG_AS=(setpriv --reuid=postgres --regid=postgres --init-groups --reset-env --)
  return 0
}
as_pg_user() { pg_user_prefix; "${PG_AS[@]}" "$@"; }

pg_paths() {  # PG_DIR, PG_DATA, PG_SOCKET_DIR
  # The data lives in .work/postgres; when the postgres user cannot reach .work (a clone under /root, which
  # is not world-searchable), it lives under /var/lib/postgresql and .work/postgres links to it.
  PG_DIR="$WORK/postgres"
  if [ "$(id -u)" = 0 ] && [ ! -L "$PG_DIR" ] && id postgres >/dev/null 2>&1 && ! as_pg_user test -x "$WORK" 2>/dev/null; then
    local elsewhere; elsewhere="/var/lib/postgresql/ybss-stack-$(printf %s "$WORK" | cksum | cut -d' ' -f1)"
    mkdir -p "$elsewhere" && chown postgres:postgres "$elsewhere" && rm -rf "$PG_DIR" && ln -s "$elsewhere" "$PG_DIR"
    log "postgres: $WORK is not reachable by the postgres user; data in $elsewhere (linked from $PG_DIR)"
  fi
  [ -L "$PG_DIR" ] && PG_DIR="$(readlink -f "$PG_DIR")"
  PG_DATA="$PG_DIR/data"
  PG_SOCKET_DIR="$PG_DIR/socket"
}

init_postgres() {
  [ -f "$PG_DATA/PG_VERSION" ] && return 0
  local bin; bin="$(pg_bin_dir)"
  mkdir -p "$PG_DIR" "$PG_SOCKET_DIR"
  printf '%s\n' "$PG_PASSWORD" >"$PG_DIR/pwfile"
  [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$PG_DIR"
  log "postgres: initdb $PG_DATA ($("$bin/postgres" --version))"
  as_pg_user "$bin/initdb" -D "$PG_DATA" -U "$PG_USER" --pwfile="$PG_DIR/pwfile" -E UTF8 --no-locale \
      --auth-local=trust --auth-host=scram-sha-256 >"$LOGS/postgres-initdb.log" 2>&1 \
    || { cat "$LOGS/postgres-initdb.log" >&2; rm -rf "$PG_DATA"; die "initdb failed"; }
  rm -f "$PG_DIR/pwfile"
}

start_postgres() {
  init_postgres
  log "postgres: starting on 127.0.0.1:$PG_PORT, data $PG_DATA"
  echo "=== $(date -Is) start" >>"$LOGS/postgres.log"
  # durability settings of a throw-away test database: no fsync, small buffers
  pg_user_prefix
  start_detached "$PG_PID" "$LOGS/postgres.log" "${PG_AS[@]}" "$(pg_bin_dir)/postgres" -D "$PG_DATA" \
      -p "$PG_PORT" -c listen_addresses=127.0.0.1 -k "$PG_SOCKET_DIR" -c max_connections=60 \
      -c shared_buffers=32MB -c fsync=off -c synchronous_commit=off -c full_page_writes=off
}

psql_local() {  # sql... : as the owner, over the socket
  "$(pg_bin_dir)/psql" -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U "$PG_USER" -d postgres -v ON_ERROR_STOP=1 -qtA "$@"
}

wait_postgres() {
  local deadline=$((SECONDS + TIMEOUT))
  until "$(pg_bin_dir)/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; do
    pid_alive "$PG_PID" "$PG_DATA" || { tail -n 15 "$LOGS/postgres.log" >&2; err "postgres exited during startup"; return 1; }
    [ $SECONDS -lt $deadline ] || { err "postgres not ready within ${TIMEOUT}s"; return 1; }
    sleep 0.5
  done
  [ "$(psql_local -c "select 1 from pg_database where datname = '$PG_DATABASE'")" = 1 ] \
    || psql_local -c "create database $PG_DATABASE"
  log "postgres: ready (database '$PG_DATABASE', user $PG_USER)"
}

# ---- Kafka Connect -----------------------------------------------------------------
write_connect_props() {
  mkdir -p "$CONNECT_DIR"
  cat >"$CONNECT_PROPS" <<EOF
# generated by deploy/local/exchange.sh -- edit the script, not this file
bootstrap.servers=$LOCAL_KAFKA
group.id=ybss-connect
listeners=http://127.0.0.1:$CONNECT_PORT
rest.advertised.host.name=127.0.0.1
rest.advertised.port=$CONNECT_PORT
config.storage.topic=ybss-connect-configs
config.storage.replication.factor=1
offset.storage.topic=ybss-connect-offsets
offset.storage.replication.factor=1
offset.storage.partitions=5
status.storage.topic=ybss-connect-status
status.storage.replication.factor=1
status.storage.partitions=1
key.converter=org.apache.kafka.connect.json.JsonConverter
value.converter=org.apache.kafka.connect.json.JsonConverter
offset.flush.interval.ms=2000
scheduled.rebalance.max.delay.ms=0
plugin.discovery=only_scan
EOF
}

start_connect() {
  write_connect_props
  log "connect: starting a Kafka Connect $KAFKA_VERSION worker (distributed, REST $CONNECT_URL) with Debezium JDBC sink $DEBEZIUM_VERSION"
  echo "=== $(date -Is) start" >>"$LOGS/connect.stdout.log"
  JVM_CMD=(java -Xmx384m -Xms128m -XX:+UseG1GC -XX:MaxGCPauseMillis=50 -Djava.awt.headless=true
           -Dconnect.logs.dir="$LOGS" -Dlog4j2.configurationFile="$HERE/connect/log4j2.properties"
           -cp "$CONNECT_LIBS/*" org.apache.kafka.connect.cli.ConnectDistributed "$CONNECT_PROPS")
  start_detached "$CONNECT_PID" "$LOGS/connect.stdout.log" "${JVM_CMD[@]}"
}

wait_connect() {
  local deadline=$((SECONDS + TIMEOUT))
  # the tool venv's Python, not curl: a fresh machine may lack curl
  until "$VENV/bin/python" -c 'import sys, urllib.request
sys.exit("JdbcSinkConnector" not in urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' \
        "$CONNECT_URL/connector-plugins" 2>/dev/null; do
    pid_alive "$CONNECT_PID" "$CONNECT_PROPS" || { tail -n 15 "$LOGS/connect.stdout.log" "$LOGS/connect.log" >&2; err "connect exited during startup"; return 1; }
    [ $SECONDS -lt $deadline ] || { err "connect not ready within ${TIMEOUT}s (log: $LOGS/connect.log)"; return 1; }
    sleep 1
  done
  log "connect: ready ($CONNECT_URL, io.debezium.connector.jdbc.JdbcSinkConnector)"
}

# ---- commands ----------------------------------------------------------------------
exchange_up() {  # after Kafka answers; starts only what is not running
  exchange_enabled || { log "exchange: skipped (YBSS_STACK_EXCHANGE=0)"; return 0; }
  install_exchange
  pg_paths
  if pid_alive "$PG_PID" "$PG_DATA"; then
    log "postgres: already running (pid $(cat "$PG_PID"))"
  elif port_open "$PG_PORT"; then
    die "port $PG_PORT is already in use by a process that this script did not start ($(port_owner "$PG_PORT"))"
  else
    start_postgres
  fi
  wait_postgres || { stop_pidfile postgres "$PG_PID" "$PG_DATA" INT; exit 1; }
  if pid_alive "$CONNECT_PID" "$CONNECT_PROPS"; then
    log "connect: already running (pid $(cat "$CONNECT_PID"))"
  elif port_open "$CONNECT_PORT"; then
    die "port $CONNECT_PORT is already in use by a process that this script did not start ($(port_owner "$CONNECT_PORT"))"
  else
    start_connect
  fi
  wait_connect || { stop_pidfile connect "$CONNECT_PID" "$CONNECT_PROPS"; exit 1; }
  log "  YBSS_EXCHANGE_CONNECT_URL=$CONNECT_URL"
  log "  YBSS_EXCHANGE_TARGET_DSN=postgresql://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/$PG_DATABASE"
}

exchange_down() {
  pg_paths
  stop_pidfile connect "$CONNECT_PID" "$CONNECT_PROPS"
  # SIGINT is PostgreSQL's fast shutdown (SIGTERM would wait for every client to leave)
  stop_pidfile postgres "$PG_PID" "$PG_DATA" INT
}

exchange_status() {  # says what runs; returns 0 either way (see stack.sh cmd_status)
  exchange_enabled || { log "exchange: disabled (YBSS_STACK_EXCHANGE=0)"; return 0; }
  pg_paths
  if pid_alive "$PG_PID" "$PG_DATA"; then
    log "postgres: running  pid $(cat "$PG_PID")  127.0.0.1:$PG_PORT database $PG_DATABASE$(port_open "$PG_PORT" || echo '  (port not answering yet)')"
  else
    log "postgres: not running"
  fi
  if pid_alive "$CONNECT_PID" "$CONNECT_PROPS"; then
    log "connect: running  pid $(cat "$CONNECT_PID")  Kafka Connect $KAFKA_VERSION + Debezium JDBC $DEBEZIUM_VERSION  $CONNECT_URL$(port_open "$CONNECT_PORT" || echo '  (port not answering yet)')"
  else
    log "connect: not running"
  fi
}
