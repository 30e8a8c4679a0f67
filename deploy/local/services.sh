#!/usr/bin/env bash
# Local services for streamrag, without Docker: a single-node KRaft Kafka on 127.0.0.1:9092
# and an OpenSearch node with the k-NN plugin on 127.0.0.1:9200, both from Maven Central; and,
# once the project is built, the offline model endpoint on :8090 and a standalone Flink cluster (one
# JobManager, dashboard on :8081, and two TaskManager processes) assembled from Maven Central jars.
#
#   services.sh install [SERVICE...|all] fetch + lay out artifacts only
#   services.sh start   [SERVICE...|all] install if needed, start, wait until healthy
#   services.sh stop    [SERVICE...|all] SIGTERM, wait, SIGKILL after a timeout
#   services.sh status  [SERVICE...|all] state, pid, ports, RSS, loopback check
#   services.sh logs    [SERVICE...|all] last $LOG_LINES lines of each service log
#   SERVICE: kafka, opensearch, model, flink (JobManager + 2 TaskManagers), kafka-secure, opensearch-secure;
#   "all" is kafka and opensearch (bin/rag up starts model and flink; the secured pair is for TLS/auth tests)
#   kafka-tool.sh <class> [args]                 a Kafka tools class on the broker's libs class path
#
# Each service is one group of functions <svc>_install/_start/_stop/_status/_logs/_pid; to add a
# service (model server, Flink cluster), write its group and append its name to SERVICES.
# See deploy/local/README.md for state layout and environment variables.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
SERVICES=(kafka opensearch)   # "all": start order; stop runs in reverse
ALL_SERVICES=(kafka opensearch model flink kafka-secure opensearch-secure)   # what "stop all" and "status all" cover

STATE="${STREAMRAG_STATE:-$REPO/.state}"
mkdir -p "$STATE"
STATE="$(cd "$STATE" && pwd)"
LOG_DIR="$STATE/logs"
PID_DIR="$STATE/pids"
LOG_LINES="${LOG_LINES:-60}"
SERVICE_USER="${STREAMRAG_SERVICE_USER:-streamrag}"   # only used when running as root

# ---------------------------------------------------------------------------------------------
# common helpers
# ---------------------------------------------------------------------------------------------
log()  { printf '%s\n' "$*"; }
warn() { printf 'WARN: %s\n' "$*" >&2; }
die()  { printf 'ERROR: %s\n' "$*" >&2; exit 1; }
now_ms() { date +%s%3N; }
elapsed() { local t=$(( $(now_ms) - $1 )); printf '%d.%01ds' $((t / 1000)) $(((t % 1000) / 100)); }

# Versions live once, in the root pom's <properties>.
pom_prop() {
    local v
    v="$(sed -n "s:.*<$1>\([^<]*\)</$1>.*:\1:p" "$REPO/pom.xml" | head -n 1)"
    [[ -n "$v" ]] || die "property <$1> not found in $REPO/pom.xml"
    printf '%s' "$v"
}

java_home() {
    if [[ -n "${JAVA_HOME:-}" && -x "${JAVA_HOME}/bin/java" ]]; then
        printf '%s' "$JAVA_HOME"
    elif [[ -x /usr/lib/jvm/java-17-openjdk-amd64/bin/java ]]; then
        printf '%s' /usr/lib/jvm/java-17-openjdk-amd64
    else
        local j
        j="$(command -v java)" || die "no java on PATH and JAVA_HOME unset"
        j="$(readlink -f "$j")"
        printf '%s' "${j%/bin/java}"
    fi
}
JAVA_HOME_DIR="$(java_home)"
JAVA="$JAVA_HOME_DIR/bin/java"

# Maven is only ever run on this folder's pom (never the root reactor).
mvn_fetch() {  # profile
    command -v mvn >/dev/null || die "mvn not found"
    # shellcheck disable=SC2086
    mvn -B -q -f "$HERE/pom.xml" -P "$1" generate-resources -Dstreamrag.state="$STATE" ${STREAMRAG_MVN_ARGS:-} 2>&1 \
        | sed 's/\x1b\[[0-9;]*m//g'   # -q still prints colour resets
}

pidfile() { printf '%s/%s.pid' "$PID_DIR" "$1"; }

# Main class of each service's long-running JVM (helper JVMs of its start script share the marker).
declare -A SERVICE_MAIN=([kafka]=kafka.Kafka [opensearch]=org.opensearch.bootstrap.OpenSearch
    [model]=io.streamrag.model.LocalModelServer
    [kafka-secure]=kafka.Kafka [opensearch-secure]=org.opensearch.bootstrap.OpenSearch)   # flink and flink-tm-N: see the flink group

# Is $1 a live process whose command line carries the marker and main class of service $2?
# Whole argv elements only: the launcher's "env OPENSEARCH_JAVA_OPTS=..." must not match.
pid_is_service() {
    local pid="$1" svc="$2" args
    [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 1
    args="$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
    grep -qx -- "-Dstreamrag.service=$svc" <<<"$args" || return 1
    grep -qxF -- "${SERVICE_MAIN[$svc]}" <<<"$args" || return 1
}

# PID of a running service (from its pidfile), or nothing; a stale pidfile is removed.
service_pid() {
    local svc="$1" f pid
    f="$(pidfile "$svc")"
    [[ -f "$f" ]] || return 0
    pid="$(head -n 1 "$f" 2>/dev/null || true)"
    if pid_is_service "$pid" "$svc"; then
        printf '%s' "$pid"
        return 0
    fi
    # the pidfile may still name the launcher (session leader) while the JVM is being exec'ed;
    # a launcher of ours mentions the marker somewhere in its command line (a reused pid does not)
    local p members=""
    if [[ -r "/proc/$pid/cmdline" ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "streamrag.service=$svc"; then
        members="$(group_members "$pid")"
    fi
    for p in $members; do
        if pid_is_service "$p" "$svc"; then printf '%s' "$p"; return 0; fi
    done
    [[ -n "$members" ]] || rm -f "$f"   # stale: nothing of that launch is alive
}

# Launcher pid of a start still in progress (pidfile names a live group without the JVM yet).
starting_pid() {
    local f pid
    f="$(pidfile "$1")"
    [[ -f "$f" ]] || return 0
    pid="$(head -n 1 "$f" 2>/dev/null || true)"
    [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 0
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "streamrag.service=$1" || return 0
    [[ -n "$(group_members "$pid")" ]] && printf '%s' "$pid"
    return 0
}

pgid_of() { ps -o pgid= -p "$1" 2>/dev/null | tr -d ' '; }
group_members() {  # all pids in process group $1 (services are started as session leaders)
    [[ -n "${1:-}" ]] || return 0
    ps -e -o pid=,pgid= | awk -v g="$1" '$2 == g {print $1}'
}

rss_of() { awk '/^VmRSS:/ {printf "%d MiB", $2/1024}' "/proc/$1/status" 2>/dev/null || echo "?"; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Listening TCP sockets of a pid: "addr:port" one per line.
listeners_of() {
    ss -ltnpH 2>/dev/null | awk -v p="pid=$1," 'index($0, p) {print $4}' | sort -u
}

# Fail if anything listens on one of the ports (before starting).
ensure_ports_free() {
    local svc="$1"; shift
    local port
    for port in "$@"; do
        if port_open "$port"; then
            die "$svc: port $port is already in use by another process: $(ss -ltnpH "sport = :$port" 2>/dev/null | awk '{print $NF}' | head -n 1)"
        fi
    done
}

# Launch a command as the leader of a new session (so stop can reap its whole process group),
# detached from our terminal, stdout/stderr appended to $1. Sets LAUNCHED_PID.
launch() {
    local out="$1"; shift
    printf '\n===== %s start: %s\n' "$(date -Is)" "$*" >>"$out"
    # 9>&- : do not let the service inherit the state lock
    setsid nohup "$@" >>"$out" 2>&1 </dev/null 9>&- &
    LAUNCHED_PID=$!
    # Until the child has called setsid() it is still in our process group: wait for that, so
    # that "its process group is empty" reliably means "it has exited".
    local i
    for ((i = 0; i < 100; i++)); do
        [[ "$(pgid_of "$LAUNCHED_PID")" == "$LAUNCHED_PID" ]] && return 0
        kill -0 "$LAUNCHED_PID" 2>/dev/null || return 0
        sleep 0.02
    done
    warn "pid $LAUNCHED_PID did not become a session leader"
}

# SIGTERM the service pid, wait up to $3 s, then SIGKILL its process group; leave nothing behind.
stop_pid() {
    local svc="$1" pid="$2" timeout="$3" t0 pgid mine
    t0="$(now_ms)"
    pgid="$(pgid_of "$pid")"
    mine="$(pgid_of $$)"
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + timeout))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
        warn "$svc: pid $pid still alive after ${timeout}s, sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    # children / launcher (runuser, nohup) in the service's own process group
    if [[ -n "$pgid" && "$pgid" != "$mine" && "$pgid" != 0 && "$pgid" != 1 ]]; then
        deadline=$((SECONDS + 10))
        while [[ -n "$(group_members "$pgid")" ]] && ((SECONDS < deadline)); do sleep 0.2; done
        if [[ -n "$(group_members "$pgid")" ]]; then
            warn "$svc: killing leftover processes of group $pgid: $(group_members "$pgid" | xargs)"
            kill -KILL -- "-$pgid" 2>/dev/null || true
            sleep 0.5
        fi
    fi
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    rm -f "$(pidfile "$svc")"
    log "$svc: stopped (pid $pid) in $(elapsed "$t0")"
}

generic_stop() {  # svc timeout
    local pid
    pid="$(service_pid "$1")"
    [[ -n "$pid" ]] || pid="$(starting_pid "$1")"
    if [[ -z "$pid" ]]; then
        log "$1: not running"
        return 0
    fi
    stop_pid "$1" "$pid" "$2"
}

# Remember the current size of log files, so a failed start shows only what this start wrote.
declare -A LOG_MARK=()
mark_logs() {
    local f
    for f in "$@"; do LOG_MARK[$f]="$(stat -c %s "$f" 2>/dev/null || echo 0)"; done
}

# Fail start: print the tail of what this start logged, stop what was launched.
start_failed() {  # svc reason logfile...
    local svc="$1" reason="$2" f pid off; shift 2
    printf 'ERROR: %s: %s\n' "$svc" "$reason" >&2
    for f in "$@"; do
        [[ -f "$f" ]] || continue
        off="${LOG_MARK[$f]:-0}"
        [[ "$(stat -c %s "$f")" -ge "$off" ]] || off=0   # rolled over
        printf -- '----- tail of %s (this start)\n' "$f" >&2
        tail -c +"$((off + 1))" "$f" | tail -n "${FAIL_LOG_LINES:-40}" >&2 || true
    done
    pid="$(service_pid "$svc")"
    [[ -n "$pid" ]] || pid="$(starting_pid "$svc")"
    [[ -z "$pid" ]] || stop_pid "$svc" "$pid" 10 >&2
    rm -f "$(pidfile "$svc")"
    exit 1
}

# Status line shared by all services; returns 0 if running, 3 if stopped, 1 on a non-loopback listener.
print_status() {  # svc expected-ports
    local svc="$1" ports="$2" pid addr bad=0
    pid="$(service_pid "$svc")"
    if [[ -z "$pid" ]]; then
        printf '%-11s stopped    (ports %s)\n' "$svc" "$ports"
        return 3
    fi
    local l
    l="$(listeners_of "$pid" | xargs)"
    printf '%-11s running    pid %-8s rss %-9s listening %s\n' "$svc" "$pid" "$(rss_of "$pid")" "${l:-none}"
    for addr in $l; do
        case "$addr" in
            127.* | "[::ffff:127."* | "[::1]"*) ;;
            *) warn "$svc listens on non-loopback address $addr"; bad=1 ;;
        esac
    done
    return $bad
}

# Is the install in a folder current: its .installed stamp reads so (and the folder named, if any, exists)?
is_installed() {  # dir stamp [required-dir]
    [[ -f "$1/.installed" && "$(cat "$1/.installed")" == "$2" ]] && [[ -z "${3:-}" || -d "$3" ]]
}

# Start of a service already running: say so (with its pid) and succeed; otherwise fail.
already_running() {  # svc
    local pid
    pid="$(service_pid "$1")"
    [[ -n "$pid" ]] || return 1
    log "$1: already running (pid $pid)"
}

# Wait until a starting service passes a probe (run with its output discarded); the start fails when the
# process exits or when $SECONDS reaches the deadline, showing what this start wrote to the logs named.
await_start() {  # svc pid deadline interval timeout-reason log... -- probe...
    local svc="$1" pid="$2" deadline="$3" interval="$4" reason="$5" logfiles=()
    shift 5
    while [[ "$1" != -- ]]; do logfiles+=("$1"); shift; done
    shift
    until "$@" >/dev/null 2>&1; do
        kill -0 "$pid" 2>/dev/null || start_failed "$svc" "process exited during start" "${logfiles[@]}"
        ((SECONDS < deadline)) || start_failed "$svc" "$reason" "${logfiles[@]}"
        sleep "$interval"
    done
}

# The last $LOG_LINES lines of each log file that exists, under its name.
tail_logs() {  # file...
    local f
    for f in "$@"; do
        [[ -f "$f" ]] || continue
        printf -- '----- %s\n' "$f"
        tail -n "$LOG_LINES" "$f"
    done
}

# ---------------------------------------------------------------------------------------------
# kafka: single-node KRaft broker+controller, 127.0.0.1:9092 (clients) and :9093 (controller)
# ---------------------------------------------------------------------------------------------
KAFKA_DIR="$STATE/kafka"
KAFKA_PORTS=(9092 9093)
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xmx512m}"
KAFKA_JVM_PERFORMANCE_OPTS="${KAFKA_JVM_PERFORMANCE_OPTS:--XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 -Djava.awt.headless=true -Djava.net.preferIPv4Stack=true}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
KAFKA_STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"

kafka_stamp() { printf 'kafka=%s log4j=%s' "$(pom_prop kafka.version)" "$(pom_prop log4j.version)"; }

kafka_install() {
    local stamp
    stamp="$(kafka_stamp)"
    if is_installed "$KAFKA_DIR" "$stamp"; then return 0; fi
    local t0
    t0="$(now_ms)"
    log "kafka: fetching artifacts ($stamp) into $KAFKA_DIR/libs"
    rm -rf "$KAFKA_DIR/libs"
    mkdir -p "$KAFKA_DIR/libs" "$KAFKA_DIR/config" "$KAFKA_DIR/data"
    mvn_fetch kafka
    ls "$KAFKA_DIR"/libs/kafka_2.13-*.jar >/dev/null 2>&1 || die "kafka: libs missing after download"
    printf '%s' "$stamp" >"$KAFKA_DIR/.installed"
    log "kafka: installed in $(elapsed "$t0") ($(find "$KAFKA_DIR/libs" -name "*.jar" | wc -l) jars)"
}

kafka_render_config() {
    mkdir -p "$KAFKA_DIR/config" "$KAFKA_DIR/data" "$LOG_DIR"
    sed "s|@KAFKA_DATA@|$KAFKA_DIR/data|g" "$HERE/kafka/server.properties" >"$KAFKA_DIR/config/server.properties"
    cp "$HERE/kafka/log4j2.xml" "$KAFKA_DIR/config/log4j2.xml"
    cp "$HERE/kafka/tools-log4j2.xml" "$KAFKA_DIR/config/tools-log4j2.xml"
}

# Run a Kafka class with the libs class path and console logging (used by kafka-tool.sh too).
kafka_tool() {
    # shellcheck disable=SC2086
    "$JAVA" ${KAFKA_TOOL_HEAP_OPTS:--Xmx256m} -XX:TieredStopAtLevel=1 \
        -Dlog4j2.configurationFile="$KAFKA_DIR/config/tools-log4j2.xml" \
        -cp "$KAFKA_DIR/libs/*" "$@"
}

kafka_pid() { service_pid kafka; }

# Format the KRaft storage of a broker that has none yet; extra arguments go to the format (e.g. SCRAM users,
# which live in the metadata).
kafka_format() {  # svc dir out [format-args...]
    local svc="$1" dir="$2" out="$3" cid
    shift 3
    [[ ! -f "$dir/data/meta.properties" ]] || return 0
    cid="$(kafka_tool kafka.tools.StorageTool random-uuid | tail -n 1)"
    log "$svc: formatting $dir/data (cluster id $cid)"
    # The arguments go in a file only we can read (java @file): SCRAM passwords on the command line would show in
    # /proc/PID/cmdline to every local user while the format runs.
    local args="$dir/config/format.args" a rc=0
    (
        umask 077
        : >"$args"
        for a in kafka.tools.StorageTool format -t "$cid" -c "$dir/config/server.properties" --standalone "$@"; do
            a="${a//\\/\\\\}"
            printf '"%s"\n' "${a//\"/\\\"}" >>"$args"
        done
    )
    kafka_tool "@$args" >>"$out" 2>&1 || rc=$?
    rm -f "$args"
    [[ $rc -eq 0 ]] || start_failed "$svc" "storage format failed" "$out"
}

# Launch a broker from the shared libs with the server.properties and log4j2.xml in its dir/config.
kafka_launch() {  # svc dir logs-dir out
    local svc="$1" dir="$2" logs="$3" out="$4"
    # shellcheck disable=SC2086
    launch "$out" "$JAVA" $KAFKA_HEAP_OPTS $KAFKA_JVM_PERFORMANCE_OPTS \
        -Dstreamrag.service="$svc" \
        -Dkafka.logs.dir="$logs" \
        -Dlog4j2.configurationFile="$dir/config/log4j2.xml" \
        -cp "$KAFKA_DIR/libs/*" kafka.Kafka "$dir/config/server.properties"
    echo "$LAUNCHED_PID" >"$(pidfile "$svc")"
}

kafka_start() {
    kafka_install
    if already_running kafka; then return 0; fi
    ensure_ports_free kafka "${KAFKA_PORTS[@]}"
    kafka_render_config
    mark_logs "$LOG_DIR/kafka.out" "$LOG_DIR/kafka.log"
    kafka_format kafka "$KAFKA_DIR" "$LOG_DIR/kafka.out"
    local t0
    t0="$(now_ms)"
    kafka_launch kafka "$KAFKA_DIR" "$LOG_DIR" "$LOG_DIR/kafka.out"
    kafka_wait_healthy "$LAUNCHED_PID" "$t0"
}

kafka_wait_healthy() {
    local pid="$1" t0="$2" deadline=$((SECONDS + KAFKA_START_TIMEOUT)) logfiles=("$LOG_DIR/kafka.out" "$LOG_DIR/kafka.log")
    await_start kafka "$pid" "$deadline" 0.2 "port 9092 not open after ${KAFKA_START_TIMEOUT}s" "${logfiles[@]}" -- port_open 9092
    local port_ms=$(( $(now_ms) - t0 ))
    # The port is bound before request processing starts: ask the broker for its API versions.
    await_start kafka "$pid" "$deadline" 0.5 "broker not answering after ${KAFKA_START_TIMEOUT}s" "${logfiles[@]}" -- \
        kafka_tool org.apache.kafka.tools.BrokerApiVersionsCommand --bootstrap-server 127.0.0.1:9092
    log "kafka: up on 127.0.0.1:9092 (pid $pid) — port open after ${port_ms} ms, broker answering after $(elapsed "$t0"), rss $(rss_of "$pid")"
}

kafka_stop() { generic_stop kafka "$KAFKA_STOP_TIMEOUT"; }

kafka_status() {
    local rc=0
    print_status kafka "${KAFKA_PORTS[*]}" || rc=$?
    return $rc
}

kafka_logs() { tail_logs "$LOG_DIR/kafka.log" "$LOG_DIR/kafka.out"; }

# ---------------------------------------------------------------------------------------------
# opensearch: single node + k-NN (lucene engine), 127.0.0.1:9200 (HTTP) and :9300 (transport)
# ---------------------------------------------------------------------------------------------
OS_DIR="$STATE/opensearch"
OS_PORTS=(9200 9300)
OPENSEARCH_HEAP="${OPENSEARCH_HEAP:-1g}"
OPENSEARCH_START_TIMEOUT="${OPENSEARCH_START_TIMEOUT:-180}"
OPENSEARCH_STOP_TIMEOUT="${OPENSEARCH_STOP_TIMEOUT:-60}"

os_home() { printf '%s/opensearch-%s' "$OS_DIR" "$(pom_prop opensearch.version)"; }
os_stamp() { printf 'opensearch=%s knn=%s modules=painless,analysis-common' "$(pom_prop opensearch.version)" "$(pom_prop opensearch-knn.version)"; }
os_user() { if [[ $EUID -eq 0 ]]; then printf '%s' "$SERVICE_USER"; else id -un; fi; }

# As root: an unprivileged system user owns and runs OpenSearch (it refuses to run as root).
os_ensure_user() {
    [[ $EUID -eq 0 ]] || return 0
    if ! id -u "$SERVICE_USER" >/dev/null 2>&1; then
        log "opensearch: creating system user $SERVICE_USER"
        useradd --system --user-group --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin "$SERVICE_USER"
    fi
}

# As root: the service user must own the OpenSearch tree and its log folder, and be able to reach
# them. Parents of the state folder lacking o+x (e.g. a 0700 home) get o+x — nothing else changes.
os_ensure_access() {  # [dir home logs] (default: the plain node's)
    [[ $EUID -eq 0 ]] || return 0
    local u="$SERVICE_USER" dir="${1:-$OS_DIR}" home="${2:-$(os_home)}" logs="${3:-$LOG_DIR/opensearch}"
    mkdir -p "$dir/data" "$logs"
    if [[ "$(stat -c %U "$dir")" != "$u" || "$(stat -c %U "$dir/data")" != "$u" \
          || "$(stat -c %U "$home/config")" != "$u" || "$(stat -c %U "$logs")" != "$u" ]]; then
        chown -R "$u:$u" "$dir" "$logs"
    fi
    if ! runuser -u "$u" -- test -r "$home/bin/opensearch" -a -w "$dir/data" 2>/dev/null; then
        local d="$dir" ancestors=() i
        while [[ "$d" != "/" ]]; do d="$(dirname "$d")"; ancestors=("$d" "${ancestors[@]}"); done
        for ((i = 0; i < ${#ancestors[@]}; i++)); do   # top-down: a parent must be passable first
            d="${ancestors[i]}"
            if ! runuser -u "$u" -- test -x "$d" 2>/dev/null; then
                log "opensearch: chmod o+x $d (so $u can reach the state folder)"
                chmod o+x "$d"
            fi
        done
        runuser -u "$u" -- test -r "$home/bin/opensearch" -a -w "$dir/data" \
            || die "opensearch: user $u cannot reach $dir"
    fi
}

os_install() {
    local stamp home
    stamp="$(os_stamp)"
    home="$(os_home)"
    if is_installed "$OS_DIR" "$stamp" "$home"; then return 0; fi
    local t0
    t0="$(now_ms)"
    log "opensearch: fetching artifacts ($stamp) into $OS_DIR"
    # replace the distribution(s), keep data/
    rm -rf "$OS_DIR"/opensearch-* "$OS_DIR/downloads" "$OS_DIR/.markers" "$OS_DIR/.installed"
    mkdir -p "$OS_DIR/data"
    mvn_fetch opensearch
    [[ -x "$home/bin/opensearch" ]] || die "opensearch: $home/bin/opensearch missing after download"

    # The integ-test distribution has no lang-painless, which k-NN extends: assemble the module.
    local os_version mod="$home/modules/lang-painless"
    os_version="$(pom_prop opensearch.version)"
    mkdir -p "$mod"
    cp "$OS_DIR"/downloads/lang-painless/*.jar "$mod/"
    sed "s|@OPENSEARCH_VERSION@|$os_version|g" "$HERE/opensearch/lang-painless/plugin-descriptor.properties" \
        >"$mod/plugin-descriptor.properties"
    cp "$HERE/opensearch/lang-painless/plugin-security.policy" "$mod/"
    # analysis-common gives the english analyzer (stemming, stop words) the chunk index uses for BM25.
    mod="$home/modules/analysis-common"
    mkdir -p "$mod"
    cp "$OS_DIR"/downloads/analysis-common/*.jar "$mod/"
    sed "s|@OPENSEARCH_VERSION@|$os_version|g" "$HERE/opensearch/analysis-common/plugin-descriptor.properties" \
        >"$mod/plugin-descriptor.properties"

    log "opensearch: installing k-NN plugin"
    OPENSEARCH_JAVA_HOME="$JAVA_HOME_DIR" "$home/bin/opensearch-plugin" install --batch \
        "file://$OS_DIR/downloads/opensearch-knn.zip" >"$LOG_DIR/opensearch-plugin-install.log" 2>&1 \
        || { cat "$LOG_DIR/opensearch-plugin-install.log" >&2; die "opensearch: k-NN plugin install failed"; }
    printf '%s' "$stamp" >"$OS_DIR/.installed"
    log "opensearch: installed in $(elapsed "$t0") (modules: $(cd "$home/modules" && echo *); plugins: $(cd "$home/plugins" && echo *))"
}

os_pid() { service_pid opensearch; }

# Launch an OpenSearch node (plain or secured) from its distribution, as the service user when root, and wait
# until its JVM runs. Sets NODE_PID (the JVM, also in the pidfile), NODE_LOGS and NODE_DEADLINE (for the health
# check that follows, within $OPENSEARCH_START_TIMEOUT of the launch).
os_launch() {  # svc dir home heap cluster-name node-name http-port transport-port [extra-java-opts]
    local svc="$1" dir="$2" home="$3" heap="$4" cluster="$5" node="$6" http="$7" transport="$8" extra="${9:-}"
    local out="$LOG_DIR/$svc.out" cmd=() launcher pid=""
    # its own temp folder (the start script otherwise leaves a /tmp/opensearch-* per start)
    rm -rf "$dir/tmp"
    mkdir -p "$LOG_DIR/$svc" "$dir/tmp"
    [[ $EUID -ne 0 ]] || chown "$SERVICE_USER:$SERVICE_USER" "$dir/tmp"
    [[ $EUID -eq 0 ]] && cmd=(runuser -u "$SERVICE_USER" --)
    cmd+=(env
        OPENSEARCH_JAVA_HOME="$JAVA_HOME_DIR"
        OPENSEARCH_TMPDIR="$dir/tmp"
        OPENSEARCH_JAVA_OPTS="-Xms$heap -Xmx$heap -Djava.net.preferIPv4Stack=true -Dstreamrag.service=$svc${extra:+ $extra}"
        "$home/bin/opensearch" -q   # -q: no console copy of the log (it is in $LOG_DIR/$svc)
        -E cluster.name="$cluster"
        -E node.name="$node"
        -E discovery.type=single-node
        -E network.host=127.0.0.1
        -E http.port="$http"
        -E transport.port="$transport"
        -E path.data="$dir/data"
        -E path.logs="$LOG_DIR/$svc"
        -E cluster.routing.allocation.disk.threshold_enabled=false
    )
    NODE_LOGS=("$out" "$LOG_DIR/$svc/$cluster.log")
    mark_logs "${NODE_LOGS[@]}"
    (cd "$home" && launch "$out" "${cmd[@]}" && echo "$LAUNCHED_PID" >"$(pidfile "$svc")")
    NODE_DEADLINE=$((SECONDS + OPENSEARCH_START_TIMEOUT))
    launcher="$(head -n 1 "$(pidfile "$svc")")"
    # runuser forks: record the JVM's pid once the start script has exec'ed it.
    while [[ -z "$pid" ]]; do
        pid="$(service_pid "$svc")"
        if [[ -z "$pid" ]]; then
            [[ -n "$(group_members "$launcher")" ]] || start_failed "$svc" "process exited during start" "${NODE_LOGS[@]}"
            ((SECONDS < NODE_DEADLINE)) || start_failed "$svc" "JVM not started after ${OPENSEARCH_START_TIMEOUT}s" "${NODE_LOGS[@]}"
            sleep 0.2
        fi
    done
    echo "$pid" >"$(pidfile "$svc")"
    NODE_PID="$pid"
}

os_start() {
    mkdir -p "$LOG_DIR" "$PID_DIR"
    os_install
    if already_running opensearch; then return 0; fi
    ensure_ports_free opensearch "${OS_PORTS[@]}"
    os_ensure_user
    os_ensure_access
    local t0 pid
    t0="$(now_ms)"
    os_launch opensearch "$OS_DIR" "$(os_home)" "$OPENSEARCH_HEAP" streamrag streamrag-local 9200 9300 "${OPENSEARCH_EXTRA_JAVA_OPTS:-}"
    pid="$NODE_PID"
    await_start opensearch "$pid" "$NODE_DEADLINE" 0.5 "not healthy after ${OPENSEARCH_START_TIMEOUT}s" "${NODE_LOGS[@]}" -- \
        curl -fsS -o /dev/null --max-time 5 'http://127.0.0.1:9200/_cluster/health?wait_for_status=yellow&timeout=2s'
    log "opensearch: up on 127.0.0.1:9200 (pid $pid, user $(os_user)) — cluster yellow/green after $(elapsed "$t0"), rss $(rss_of "$pid")"
}

os_stop() { generic_stop opensearch "$OPENSEARCH_STOP_TIMEOUT"; }

os_status() {
    local rc=0
    print_status opensearch "${OS_PORTS[*]}" || rc=$?
    if [[ $rc -ne 3 ]]; then
        local h p
        h="$(curl -fsS --max-time 5 'http://127.0.0.1:9200/_cat/health?h=status' 2>/dev/null || echo unreachable)"
        printf '            health %s\n' "$h"
        p="$(curl -fsS --max-time 5 'http://127.0.0.1:9200/_cat/plugins?h=component,version' 2>/dev/null || true)"
        printf '            plugins %s\n' "$(echo "${p:-none}" | xargs)"
    fi
    return $rc
}

os_logs() { tail_logs "$LOG_DIR/opensearch/streamrag.log" "$LOG_DIR/opensearch.out"; }


# ---------------------------------------------------------------------------------------------
# secured services (for the TLS/authentication tests and for trying a secured setup locally):
#   kafka-secure       KRaft broker with SASL_SSL (SCRAM-SHA-512) on 127.0.0.1:9094, controller :9095
#   opensearch-secure  OpenSearch + k-NN + security plugin, HTTPS and basic auth on 127.0.0.1:9201, transport :9301
# Both use one local CA made with keytool ($STATE/secure/tls) and generated passwords, one file each
# ($STATE/secure/secrets/*.password, mode 600): kafka.password and opensearch.password are the client
# users' (both named "streamrag"); truststore.password opens tls/truststore.p12 (tls/ca.pem is the CA in PEM).
# Nothing is exposed beyond loopback, and no default/demo user exists.
# ---------------------------------------------------------------------------------------------
SECURE_DIR="$STATE/secure"
TLS_DIR="$SECURE_DIR/tls"
SECRETS_DIR="$SECURE_DIR/secrets"
SECURE_USER=streamrag
KEYTOOL="$JAVA_HOME_DIR/bin/keytool"

secret_file() { printf '%s/%s.password' "$SECRETS_DIR" "$1"; }

# A random 32-character password in $SECRETS_DIR/<name>.password, made once.
ensure_secret() {
    local f
    f="$(secret_file "$1")"
    [[ -s "$f" ]] && return 0
    mkdir -p "$SECRETS_DIR"
    chmod 700 "$SECURE_DIR" "$SECRETS_DIR"
    local p
    p="$(head -c 48 /dev/urandom | base64 -w 0 | tr -dc 'A-Za-z0-9')"
    (umask 077 && printf '%s' "${p:0:32}" >"$f")
}

# The local CA and one server certificate (SAN localhost + 127.0.0.1, server and client use), made once.
secure_tls() {
    [[ -f "$TLS_DIR/.done" ]] && return 0
    local t0
    t0="$(now_ms)"
    ensure_secret ca
    ensure_secret server
    ensure_secret truststore
    rm -rf "$TLS_DIR"
    mkdir -p "$TLS_DIR"
    local kt=("$KEYTOOL" -storetype PKCS12)
    (
        cd "$TLS_DIR"
        "${kt[@]}" -genkeypair -alias ca -dname "CN=streamrag local CA,O=streamrag" -ext bc:c -keyalg RSA -keysize 2048 \
            -validity 3650 -keystore ca.p12 -storepass:file "$(secret_file ca)"
        "${kt[@]}" -exportcert -rfc -alias ca -keystore ca.p12 -storepass:file "$(secret_file ca)" -file ca.pem
        "${kt[@]}" -importcert -noprompt -alias streamrag-ca -file ca.pem -keystore truststore.p12 \
            -storepass:file "$(secret_file truststore)"
        "${kt[@]}" -genkeypair -alias server -dname "CN=localhost,OU=server,O=streamrag" -keyalg RSA -keysize 2048 \
            -validity 825 -keystore server.p12 -storepass:file "$(secret_file server)"
        "${kt[@]}" -certreq -alias server -keystore server.p12 -storepass:file "$(secret_file server)" -file server.csr
        "${kt[@]}" -gencert -rfc -alias ca -keystore ca.p12 -storepass:file "$(secret_file ca)" -infile server.csr \
            -outfile server.pem -validity 825 -ext SAN=dns:localhost,ip:127.0.0.1 \
            -ext KU=digitalSignature,keyEncipherment -ext EKU=serverAuth,clientAuth
        "${kt[@]}" -importcert -noprompt -alias streamrag-ca -file ca.pem -keystore server.p12 -storepass:file "$(secret_file server)"
        "${kt[@]}" -importcert -alias server -file server.pem -keystore server.p12 -storepass:file "$(secret_file server)"
        rm -f server.csr
        chmod 600 ca.p12 server.p12
    ) >>"$LOG_DIR/secure-tls.log" 2>&1 || { cat "$LOG_DIR/secure-tls.log" >&2; die "secure: keytool failed"; }
    touch "$TLS_DIR/.done"
    log "secure: local CA and server certificate made in $TLS_DIR in $(elapsed "$t0")"
}

# Replace @NAME@ placeholders with secrets; written with mode 600 (the files hold passwords).
render_secret_template() {  # template target key=value...
    local tpl="$1" out="$2" kv content
    shift 2
    content="$(cat "$tpl")"
    for kv in "$@"; do content="${content//@${kv%%=*}@/${kv#*=}}"; done
    (umask 077 && printf '%s\n' "$content" >"$out")
}

# ------------------------------------ kafka-secure -------------------------------------------
KAFKA_SECURE_DIR="$STATE/kafka-secure"
KAFKA_SECURE_PORTS=(9094 9095)

kafka_secure_install() { kafka_install; }   # same libs as the plain broker ($STATE/kafka/libs)
kafka_secure_pid() { service_pid kafka-secure; }

kafka_secure_start() {
    kafka_install
    if already_running kafka-secure; then return 0; fi
    ensure_ports_free kafka-secure "${KAFKA_SECURE_PORTS[@]}"
    [[ -f "$KAFKA_DIR/config/tools-log4j2.xml" ]] || kafka_render_config
    secure_tls
    ensure_secret kafka-broker
    ensure_secret kafka
    mkdir -p "$KAFKA_SECURE_DIR/config" "$KAFKA_SECURE_DIR/data"
    local cfg="$KAFKA_SECURE_DIR/config/server.properties"
    render_secret_template "$HERE/kafka-secure/server.properties" "$cfg" \
        "KAFKA_DATA=$KAFKA_SECURE_DIR/data" "TLS_DIR=$TLS_DIR" \
        "BROKER_PASSWORD=$(cat "$(secret_file kafka-broker)")" \
        "SERVER_PASSWORD=$(cat "$(secret_file server)")" \
        "TRUSTSTORE_PASSWORD=$(cat "$(secret_file truststore)")"
    cp "$HERE/kafka/log4j2.xml" "$KAFKA_SECURE_DIR/config/log4j2.xml"
    local out="$LOG_DIR/kafka-secure.out"
    mark_logs "$out" "$LOG_DIR/kafka-secure/kafka.log"
    # The SCRAM users (broker, $SECURE_USER): their credentials live in the KRaft metadata, added at format time.
    kafka_format kafka-secure "$KAFKA_SECURE_DIR" "$out" \
        --add-scram "SCRAM-SHA-512=[name=broker,password=$(cat "$(secret_file kafka-broker)")]" \
        --add-scram "SCRAM-SHA-512=[name=$SECURE_USER,password=$(cat "$(secret_file kafka)")]"
    local t0
    t0="$(now_ms)"
    mkdir -p "$LOG_DIR/kafka-secure"
    kafka_launch kafka-secure "$KAFKA_SECURE_DIR" "$LOG_DIR/kafka-secure" "$out"
    # Healthy = a SASL_SSL client authenticates and gets the API versions (client config with secrets: mode 600).
    local client="$KAFKA_SECURE_DIR/config/client.properties"
    (umask 077 && cat >"$client" <<PROPS
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="$SECURE_USER" password="$(cat "$(secret_file kafka)")";
ssl.truststore.type=PKCS12
ssl.truststore.location=$TLS_DIR/truststore.p12
ssl.truststore.password=$(cat "$(secret_file truststore)")
PROPS
    )
    await_start kafka-secure "$LAUNCHED_PID" $((SECONDS + KAFKA_START_TIMEOUT)) 0.5 \
        "broker not answering after ${KAFKA_START_TIMEOUT}s" "$out" "$LOG_DIR/kafka-secure/kafka.log" -- \
        kafka_tool org.apache.kafka.tools.BrokerApiVersionsCommand --bootstrap-server 127.0.0.1:9094 --command-config "$client"
    log "kafka-secure: up on 127.0.0.1:9094 SASL_SSL (pid $LAUNCHED_PID) after $(elapsed "$t0"), rss $(rss_of "$LAUNCHED_PID")"
}

kafka_secure_stop() { generic_stop kafka-secure "$KAFKA_STOP_TIMEOUT"; }
kafka_secure_status() { print_status kafka-secure "${KAFKA_SECURE_PORTS[*]}"; }
kafka_secure_logs() { tail_logs "$LOG_DIR/kafka-secure/kafka.log" "$LOG_DIR/kafka-secure.out"; }

# ---------------------------------- opensearch-secure ----------------------------------------
OSS_DIR="$STATE/opensearch-secure"
OSS_PORTS=(9201 9301)
OPENSEARCH_SECURE_HEAP="${OPENSEARCH_SECURE_HEAP:-768m}"

oss_home() { printf '%s/opensearch-%s' "$OSS_DIR" "$(pom_prop opensearch.version)"; }
oss_stamp() { printf '%s security=%s' "$(os_stamp)" "$(pom_prop opensearch-security.version)"; }

# A copy of the plain node's distribution (with k-NN and the modules) plus the security plugin:
# the plain node's own folder is never changed.
oss_install() {
    local stamp home
    stamp="$(oss_stamp)"
    home="$(oss_home)"
    if is_installed "$OSS_DIR" "$stamp" "$home"; then return 0; fi
    os_install
    local t0
    t0="$(now_ms)"
    log "opensearch-secure: copying $(os_home) and fetching the security plugin into $OSS_DIR"
    rm -rf "$OSS_DIR"/opensearch-* "$OSS_DIR/downloads" "$OSS_DIR/.installed"
    mkdir -p "$OSS_DIR/data"
    cp -a "$(os_home)" "$home"
    rm -f "$home/config/opensearch.keystore"
    mvn_fetch opensearch-security
    OPENSEARCH_JAVA_HOME="$JAVA_HOME_DIR" "$home/bin/opensearch-plugin" install --batch \
        "file://$OSS_DIR/downloads/opensearch-security.zip" >"$LOG_DIR/opensearch-secure-plugin-install.log" 2>&1 \
        || { cat "$LOG_DIR/opensearch-secure-plugin-install.log" >&2; die "opensearch-secure: security plugin install failed"; }
    printf '%s' "$stamp" >"$OSS_DIR/.installed"
    log "opensearch-secure: installed in $(elapsed "$t0") (plugins: $(cd "$home/plugins" && echo *))"
}

# Certificates, opensearch.yml and the security configuration (users, roles) in the node's config folder.
oss_configure() {
    local home conf sec
    home="$(oss_home)"
    conf="$home/config"
    sec="$conf/opensearch-security"
    secure_tls
    ensure_secret opensearch
    mkdir -p "$conf/tls"
    cp "$TLS_DIR/server.p12" "$TLS_DIR/truststore.p12" "$conf/tls/"
    local base="$conf/opensearch.yml.base"
    [[ -f "$base" ]] || cp "$conf/opensearch.yml" "$base"
    render_secret_template "$HERE/opensearch-secure/opensearch.yml" "$conf/opensearch.yml.security" \
        "SERVER_PASSWORD=$(cat "$(secret_file server)")" "TRUSTSTORE_PASSWORD=$(cat "$(secret_file truststore)")"
    (umask 077 && cat "$base" "$conf/opensearch.yml.security" >"$conf/opensearch.yml")
    rm -f "$conf/opensearch.yml.security"
    # Users and roles are read into the security index at the first start only.
    if [[ ! -f "$sec/.streamrag" ]]; then
        local hash
        hash="$(OPENSEARCH_JAVA_HOME="$JAVA_HOME_DIR" STREAMRAG_OS_PASSWORD="$(cat "$(secret_file opensearch)")" \
            bash "$home/plugins/opensearch-security/tools/hash.sh" -env STREAMRAG_OS_PASSWORD 2>/dev/null | tail -n 1)"
        [[ "$hash" == '$2'* ]] || die "opensearch-secure: hashing the password failed"
        render_secret_template "$HERE/opensearch-secure/internal_users.yml" "$sec/internal_users.yml" "STREAMRAG_HASH=$hash"
        cp "$HERE/opensearch-secure/roles_mapping.yml" "$sec/roles_mapping.yml"
        cat "$HERE/opensearch-secure/roles.yml" >>"$sec/roles.yml"
        touch "$sec/.streamrag"
    fi
}

oss_pid() { service_pid opensearch-secure; }

# curl against the secured node with the CA and the generated user (the password never on a command line).
oss_curl() {  # path [curl args]
    local path="$1"; shift
    curl -sS --cacert "$TLS_DIR/ca.pem" -K <(printf 'user = "%s:%s"\n' "$SECURE_USER" "$(cat "$(secret_file opensearch)")") \
        "$@" "https://127.0.0.1:9201$path"
}

oss_start() {
    mkdir -p "$LOG_DIR" "$PID_DIR"
    oss_install
    if already_running opensearch-secure; then return 0; fi
    ensure_ports_free opensearch-secure "${OSS_PORTS[@]}"
    oss_configure
    os_ensure_user
    os_ensure_access "$OSS_DIR" "$(oss_home)" "$LOG_DIR/opensearch-secure"
    # oss_configure wrote the config as root
    if [[ $EUID -eq 0 ]]; then chown -R "$SERVICE_USER:$SERVICE_USER" "$(oss_home)/config"; fi
    local t0 pid
    t0="$(now_ms)"
    os_launch opensearch-secure "$OSS_DIR" "$(oss_home)" "$OPENSEARCH_SECURE_HEAP" streamrag-secure streamrag-secure 9201 9301
    pid="$NODE_PID"
    # Healthy = the generated user authenticates over TLS (the security index is initialised) and the cluster is yellow.
    await_start opensearch-secure "$pid" "$NODE_DEADLINE" 0.5 "not healthy after ${OPENSEARCH_START_TIMEOUT}s" "${NODE_LOGS[@]}" -- \
        oss_curl '/_cluster/health?wait_for_status=yellow&timeout=2s' -f -o /dev/null --max-time 5
    log "opensearch-secure: up on https://127.0.0.1:9201 (pid $pid, user $(os_user)) after $(elapsed "$t0"), rss $(rss_of "$pid")"
}

oss_stop() { generic_stop opensearch-secure "$OPENSEARCH_STOP_TIMEOUT"; }

oss_status() {
    local rc=0
    print_status opensearch-secure "${OSS_PORTS[*]}" || rc=$?
    if [[ $rc -ne 3 ]]; then
        printf '            health %s\n' "$(oss_curl '/_cat/health?h=status' --max-time 5 2>/dev/null || echo unreachable)"
    fi
    return $rc
}

oss_logs() { tail_logs "$LOG_DIR/opensearch-secure/streamrag-secure.log" "$LOG_DIR/opensearch-secure.out"; }


# ---------------------------------------------------------------------------------------------
# model: the offline OpenAI-compatible endpoint (local-model jar), 127.0.0.1:8090
# It runs from a jar the project builds (bin/rag builds it); nothing is downloaded here.
# ---------------------------------------------------------------------------------------------
MODEL_JAR="$REPO/local-model/target/streamrag-local-model-0.1.0-SNAPSHOT.jar"
MODEL_OPTS="${MODEL_OPTS:--Xmx256m}"
MODEL_ARGS="${MODEL_ARGS:-}"
# Flink's env.java.opts.all for Java 17 (Kryo and the runtime reach into JDK internals).
FLINK_JAVA_OPENS="--add-exports=java.base/sun.net.util=ALL-UNNAMED --add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED --add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.text=ALL-UNNAMED --add-opens=java.base/java.time=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED"
JVM_SERVICE_START_TIMEOUT="${JVM_SERVICE_START_TIMEOUT:-90}"

# Start a JVM service from a built jar and wait for an HTTP URL to answer.
jvm_service_start() {  # svc jar port url java-args...
    local svc="$1" jar="$2" port="$3" url="$4" pid t0; shift 4
    [[ -f "$jar" ]] || die "$svc: $jar is missing: build first (bin/rag up builds it, or mvn -DskipTests package)"
    if already_running "$svc"; then return 0; fi
    ensure_ports_free "$svc" "$port"
    # Run from a copy: a rebuild (bin/rag rebuilds when sources change) must not rewrite the jar of a running JVM.
    local run_jar="$STATE/run/$(basename "$jar")"
    mkdir -p "$STATE/run"
    cp -f "$jar" "$run_jar.tmp" && mv -f "$run_jar.tmp" "$run_jar"
    set -- "${@//$jar/$run_jar}"
    mark_logs "$LOG_DIR/$svc.out"
    t0="$(now_ms)"
    # shellcheck disable=SC2068
    launch "$LOG_DIR/$svc.out" "$JAVA" -Dstreamrag.service="$svc" -Djava.net.preferIPv4Stack=true \
        -Dstreamrag.state="$STATE" $@
    echo "$LAUNCHED_PID" >"$(pidfile "$svc")"
    await_start "$svc" "$LAUNCHED_PID" $((SECONDS + JVM_SERVICE_START_TIMEOUT)) 0.3 \
        "$url not answering after ${JVM_SERVICE_START_TIMEOUT}s" "$LOG_DIR/$svc.out" -- curl -fsS --max-time 2 -o /dev/null "$url"
    pid="$(service_pid "$svc")"
    log "$svc: up on 127.0.0.1:$port (pid ${pid:-$LAUNCHED_PID}) after $(elapsed "$t0"), rss $(rss_of "${pid:-$LAUNCHED_PID}")"
}

model_install() { :; }
model_pid() { service_pid model; }
# shellcheck disable=SC2086
model_start() {
    jvm_service_start model "$MODEL_JAR" 8090 http://127.0.0.1:8090/v1/models \
        $MODEL_OPTS -cp "$MODEL_JAR" io.streamrag.model.LocalModelServer --host 127.0.0.1 --port 8090 $MODEL_ARGS
}
model_stop() { generic_stop model 20; }
model_status() { print_status model 8090; }
model_logs() { [[ -f "$LOG_DIR/model.out" ]] && tail -n "$LOG_LINES" "$LOG_DIR/model.out" || true; }

# ---------------------------------------------------------------------------------------------
# flink: a standalone session cluster assembled from Maven Central jars (what flink-dist ships in lib/):
# one JobManager (REST + dashboard 127.0.0.1:8081, RPC :6123) and two TaskManagers, each its own JVM
# with its own pidfile (flink, flink-tm-1, flink-tm-2). Prometheus: TM 1 :9249, TM 2 :9250, JM :9251.
# `start flink` starts whatever of the three is missing (e.g. a TaskManager killed by a chaos run).
# ---------------------------------------------------------------------------------------------
FLINK_DIR="$STATE/flink"
FLINK_TMS="${FLINK_TMS:-2}"
FLINK_STOP_TIMEOUT="${FLINK_STOP_TIMEOUT:-30}"
CLUSTER_JAR="$REPO/cluster/target/streamrag-cluster-0.1.0-SNAPSHOT.jar"
declare -A FLINK_PROM_PORT=([flink]=9251 [flink-tm-1]=9249 [flink-tm-2]=9250)
for ((i = 1; i <= FLINK_TMS; i++)); do SERVICE_MAIN[flink-tm-$i]=org.apache.flink.runtime.taskexecutor.TaskManagerRunner; done
SERVICE_MAIN[flink]=org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint

flink_stamp() { printf 'flink=%s log4j=%s natives=langchain4j-bom-%s' "$(pom_prop flink.version)" "$(pom_prop log4j.version)" "$(pom_prop langchain4j.version)"; }

flink_install() {
    local stamp
    stamp="$(flink_stamp)"
    if ! is_installed "$FLINK_DIR" "$stamp"; then
        local t0
        t0="$(now_ms)"
        log "flink: fetching artifacts ($stamp) into $FLINK_DIR/lib"
        rm -rf "$FLINK_DIR/lib"
        mkdir -p "$FLINK_DIR/lib"
        mvn_fetch flink           # one profile per run: active profiles would pool their dependencies
        mvn_fetch flink-natives
        ls "$FLINK_DIR"/lib/flink-runtime-*.jar "$FLINK_DIR"/lib/onnxruntime-*.jar >/dev/null 2>&1 || die "flink: lib missing after download"
        printf '%s' "$stamp" >"$FLINK_DIR/.installed"
        log "flink: installed in $(elapsed "$t0") ($(find "$FLINK_DIR/lib" -name "*.jar" | wc -l) jars)"
    fi
    # The project's own addition to lib/ (loopback Prometheus reporter), refreshed from the build.
    [[ -f "$CLUSTER_JAR" ]] || die "flink: $CLUSTER_JAR is missing: build first (bin/rag up builds it, or mvn -DskipTests package)"
    cp -f "$CLUSTER_JAR" "$FLINK_DIR/lib/streamrag-cluster.jar.tmp" && mv -f "$FLINK_DIR/lib/streamrag-cluster.jar.tmp" "$FLINK_DIR/lib/streamrag-cluster.jar"
}

flink_render_config() {
    mkdir -p "$FLINK_DIR/conf" "$FLINK_DIR/checkpoints" "$FLINK_DIR/savepoints" "$FLINK_DIR/web-upload" "$FLINK_DIR/tmp"
    sed "s|@STATE@|$STATE|g" "$HERE/flink/config.yaml" >"$FLINK_DIR/conf/config.yaml"
    cp "$HERE/flink/log4j.properties" "$FLINK_DIR/conf/log4j.properties"
}

# JVM flags (-Xmx, -XX:MaxDirectMemorySize, ...) and dynamic memory properties that Flink derives from
# the configured process size: what flink-dist's jobmanager.sh/taskmanager.sh ask BashJavaUtils for.
flink_resource_params() {  # GET_JM_RESOURCE_PARAMS | GET_TM_RESOURCE_PARAMS
    local out
    out="$("$JAVA" -Xmx128m -cp "$FLINK_DIR/lib/*" -Dlog4j2.level=ERROR org.apache.flink.runtime.util.bash.BashJavaUtils \
        "$1" --configDir "$FLINK_DIR/conf" 2>>"$LOG_DIR/flink-bash-java-utils.log")" \
        || die "flink: BashJavaUtils $1 failed (see $LOG_DIR/flink-bash-java-utils.log)"
    grep '^BASH_JAVA_UTILS_EXEC_RESULT:' <<<"$out" | sed 's/^BASH_JAVA_UTILS_EXEC_RESULT://'
}

flink_launch() {  # svc main-class log-name jvm-params dynamic-properties
    local svc="$1" main="$2" name="$3" jvm="$4" dyn="$5"
    if already_running "$svc"; then return 0; fi
    mark_logs "$LOG_DIR/$name.out" "$LOG_DIR/$name.log"
    # shellcheck disable=SC2086
    OMP_THREAD_LIMIT=1 launch "$LOG_DIR/$name.out" "$JAVA" -Dstreamrag.service="$svc" -Djava.net.preferIPv4Stack=true \
        $jvm $FLINK_JAVA_OPENS -Dlog.file="$LOG_DIR/$name.log" \
        -Dlog4j.configurationFile="file:$FLINK_DIR/conf/log4j.properties" \
        -cp "$FLINK_DIR/lib/*" "$main" --configDir "$FLINK_DIR/conf" \
        -D metrics.reporter.prom.port="${FLINK_PROM_PORT[$svc]:-9249-9259}" $dyn
    echo "$LAUNCHED_PID" >"$(pidfile "$svc")"
}

flink_pid() { service_pid flink; }

# Registered TaskManagers according to the JobManager.
flink_registered_tms() {
    curl -fsS --max-time 2 http://127.0.0.1:8081/overview 2>/dev/null | sed -n 's/.*"taskmanagers":\([0-9]*\).*/\1/p'
}

# Whether every TaskManager this machine runs is registered, each under the resource id it was started with: a
# count alone also counts a killed TaskManager the JobManager has not yet dropped (heartbeat.timeout).
flink_tms_registered() {
    local tms id i
    [[ "$(flink_registered_tms)" -ge "$FLINK_TMS" ]] 2>/dev/null || return 1
    tms="$(curl -fsS --max-time 2 http://127.0.0.1:8081/taskmanagers 2>/dev/null)" || return 1
    for ((i = 1; i <= FLINK_TMS; i++)); do
        id="$(cat "$PID_DIR/flink-tm-$i.id" 2>/dev/null || true)"
        [[ -z "$id" || "$tms" == *"\"id\":\"$id\""* ]] || return 1
    done
}

flink_start() {
    mkdir -p "$LOG_DIR" "$PID_DIR"
    flink_install
    flink_render_config
    local t0 deadline jm_params tm_params tm_dyn i id
    t0="$(now_ms)"
    if [[ -z "$(service_pid flink)" ]]; then
        ensure_ports_free flink 8081 6123
        jm_params="$(flink_resource_params GET_JM_RESOURCE_PARAMS | head -n 1)"
        flink_launch flink org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint flink-jobmanager "$jm_params" ""
        await_start flink "$LAUNCHED_PID" $((SECONDS + JVM_SERVICE_START_TIMEOUT)) 0.3 \
            "REST not answering after ${JVM_SERVICE_START_TIMEOUT}s" "$LOG_DIR/flink-jobmanager.out" "$LOG_DIR/flink-jobmanager.log" -- \
            curl -fsS --max-time 2 -o /dev/null http://127.0.0.1:8081/overview
        log "flink: JobManager up on 127.0.0.1:8081 (pid $(service_pid flink)) after $(elapsed "$t0")"
    else
        log "flink: JobManager already running (pid $(service_pid flink))"
    fi
    tm_params="$(flink_resource_params GET_TM_RESOURCE_PARAMS)"
    tm_dyn="$(sed -n 2p <<<"$tm_params")"
    for ((i = 1; i <= FLINK_TMS; i++)); do
        [[ -z "$(service_pid "flink-tm-$i")" ]] || { already_running "flink-tm-$i"; continue; }
        # A fresh resource id per start, so the wait below knows this process from the one it replaces.
        id="flink-tm-$i-$(date +%s%N)"
        echo "$id" >"$PID_DIR/flink-tm-$i.id"
        flink_launch "flink-tm-$i" org.apache.flink.runtime.taskexecutor.TaskManagerRunner "flink-taskmanager-$i" \
            "$(head -n 1 <<<"$tm_params")" "$tm_dyn -D taskmanager.resource-id=$id"
    done
    deadline=$((SECONDS + JVM_SERVICE_START_TIMEOUT))
    until flink_tms_registered; do
        for ((i = 1; i <= FLINK_TMS; i++)); do
            [[ -n "$(service_pid "flink-tm-$i")$(starting_pid "flink-tm-$i")" ]] \
                || start_failed "flink-tm-$i" "TaskManager exited during start" "$LOG_DIR/flink-taskmanager-$i.out" "$LOG_DIR/flink-taskmanager-$i.log"
        done
        ((SECONDS < deadline)) || start_failed flink "$FLINK_TMS TaskManagers not registered after ${JVM_SERVICE_START_TIMEOUT}s" "$LOG_DIR/flink-jobmanager.log"
        sleep 0.3
    done
    log "flink: $FLINK_TMS TaskManagers registered after $(elapsed "$t0"); dashboard http://127.0.0.1:8081"
}

flink_stop() {
    local i
    for ((i = FLINK_TMS; i >= 1; i--)); do generic_stop "flink-tm-$i" "$FLINK_STOP_TIMEOUT"; done
    generic_stop flink "$FLINK_STOP_TIMEOUT"
}

flink_status() {
    local rc=0 r i
    print_status flink "8081 6123 9251" || rc=$?
    for ((i = 1; i <= FLINK_TMS; i++)); do
        r=0
        print_status "flink-tm-$i" "${FLINK_PROM_PORT[flink-tm-$i]:-}" || r=$?
        if [[ $r -eq 1 ]]; then rc=1; elif [[ $r -ne 0 && $rc -eq 0 ]]; then rc=$r; fi
    done
    [[ $rc -eq 3 ]] || printf '            taskmanagers registered %s\n' "$(flink_registered_tms || echo '?')"
    return $rc
}

flink_logs() {
    local i
    tail_logs "$LOG_DIR/flink-jobmanager.log" "$LOG_DIR/flink-jobmanager.out"
    for ((i = 1; i <= FLINK_TMS; i++)); do
        tail_logs "$LOG_DIR/flink-taskmanager-$i.log" "$LOG_DIR/flink-taskmanager-$i.out"
    done
}

# ---------------------------------------------------------------------------------------------
# dispatch
# ---------------------------------------------------------------------------------------------
fn_prefix() {  # service name -> function prefix
    case "$1" in
        kafka) echo kafka ;;
        opensearch) echo os ;;
        model) echo model ;;
        flink) echo flink ;;
        kafka-secure) echo kafka_secure ;;
        opensearch-secure) echo oss ;;
        *) die "unknown service '$1' (known: ${ALL_SERVICES[*]} all)" ;;
    esac
}

usage() {
    sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    exit "${1:-0}"
}

main() {
    local action="${1:-}" target="${2:-all}" svcs=() s rc=0
    [[ -n "$action" ]] || usage 2
    case "$action" in -h|--help|help) usage 0 ;; esac
    if [[ "$action" == kafka-tool ]]; then   # used by kafka-tool.sh: run a class with the libs class path
        shift
        [[ $# -gt 0 ]] || die "usage: kafka-tool.sh <main class> [args...]"
        mkdir -p "$LOG_DIR" "$PID_DIR"
        kafka_install >&2
        [[ -f "$KAFKA_DIR/config/tools-log4j2.xml" ]] || kafka_render_config
        kafka_tool "$@"
        return
    fi
    # Several services may be named at once (stopped in reverse order); none means all.
    local targets=("${@:2}")
    [[ ${#targets[@]} -gt 0 ]] || targets=(all)
    for target in "${targets[@]}"; do
        if [[ "$target" == all && "$action" =~ ^(stop|status|logs)$ ]]; then svcs+=("${ALL_SERVICES[@]}")
        elif [[ "$target" == all ]]; then svcs+=("${SERVICES[@]}"); else fn_prefix "$target" >/dev/null; svcs+=("$target"); fi
    done
    mkdir -p "$LOG_DIR" "$PID_DIR"

    # One services.sh at a time per state folder (start/stop/install mutate it).
    case "$action" in
        install|start|stop)
            exec 9>"$STATE/.lock"
            flock -w 600 9 || die "another services.sh holds $STATE/.lock"
            ;;
    esac

    case "$action" in
        install)
            for s in "${svcs[@]}"; do "$(fn_prefix "$s")_install"; done ;;
        start)
            for s in "${svcs[@]}"; do "$(fn_prefix "$s")_start"; done ;;
        stop)
            local i
            for ((i = ${#svcs[@]} - 1; i >= 0; i--)); do "$(fn_prefix "${svcs[i]}")_stop"; done ;;
        status)
            for s in "${svcs[@]}"; do
                local r=0
                "$(fn_prefix "$s")_status" || r=$?
                if [[ $r -eq 1 ]]; then rc=1; elif [[ $r -ne 0 && $rc -eq 0 ]]; then rc=$r; fi
            done
            return $rc ;;
        logs)
            for s in "${svcs[@]}"; do "$(fn_prefix "$s")_logs"; done ;;
        *) usage 2 ;;
    esac
}

main "$@"
