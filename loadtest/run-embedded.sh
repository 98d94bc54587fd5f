#!/usr/bin/env bash
# Runs one load-test scenario against a freshly started Strata relay (one JVM, LMDB in a temporary directory, on a
# free loopback port), then stops the relay with SIGTERM.
#
#   loadtest/run-embedded.sh <ingest|query|fanout|connections> [--option value]...
#
# Options go to the harness (see loadtest/README.md); --url and --relay-pid are set here. Without --corpus, the
# ingest, query and fanout scenarios use loadtest/target/corpus/corpus-$CORPUS_EVENTS.jsonl (default 10000 events,
# seed 1), generated once before the relay starts. Environment:
#   CORPUS_EVENTS      events in that default corpus (10000)
#   STRATA_*           relay settings, passed through (e.g. STRATA_SERVER_MAX_CONNECTIONS=20000)
#   RELAY_JAVA_OPTS    JVM options of the relay (e.g. -Xmx2g)
#   LOADTEST_JAVA_OPTS JVM options of the harness (default -Xms4g -Xmx4g -XX:+AlwaysPreTouch)
#   KEEP_DATA=1        keep the relay's data directory and log
#   MVN_ARGS           extra Maven arguments when the jars must be built (e.g. -o)
set -euo pipefail

usage() {
  sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
[ $# -ge 1 ] || usage
scenario=$1
shift
case "$scenario" in
  ingest|query|fanout|connections) ;;
  -h|--help|help) usage ;;
  *) echo "run-embedded: unknown scenario \"$scenario\"" >&2; usage ;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
relay_jar=$root/relay/target/strata.jar
harness_jar=$root/loadtest/target/strata-loadtest.jar
if [ ! -f "$relay_jar" ] || [ ! -f "$harness_jar" ]; then
  echo "run-embedded: building the jars" >&2
  (cd "$root" && ./mvnw -q -B -DskipTests ${MVN_ARGS:-} package)
fi

# Thousands of connections need as many descriptors, in this shell's children: the relay and the harness.
hard=$(ulimit -Hn)
want=65536
if [ "$hard" != unlimited ] && [ "$hard" -lt "$want" ]; then
  want=$hard
fi
ulimit -n "$want" 2>/dev/null || echo "run-embedded: could not raise the open-files limit (now $(ulimit -n))" >&2

# The harness shares the machine with the relay: a heap committed and touched up front spares it the page faults of
# growing its heap during the run, which cost it more CPU than reading the relay's messages.
harness_opts=${LOADTEST_JAVA_OPTS--Xms4g -Xmx4g -XX:+AlwaysPreTouch}

args=("$@")
has_option() {
  local a
  for a in "${args[@]}"; do
    case "$a" in "$1"|"$1"=*) return 0 ;; esac
  done
  return 1
}
for forbidden in --url --relay-pid; do
  if has_option "$forbidden"; then
    echo "run-embedded: $forbidden is set by this script" >&2
    exit 2
  fi
done
if [ "$scenario" != connections ] && ! has_option --corpus; then
  corpus=$root/loadtest/target/corpus/corpus-${CORPUS_EVENTS:-10000}.jsonl
  if [ ! -f "$corpus" ]; then
    java $harness_opts -jar "$harness_jar" corpus --out "$corpus" --events "${CORPUS_EVENTS:-10000}"
  fi
  args+=(--corpus "$corpus")
fi
if ! has_option --results-dir; then
  args+=(--results-dir "$root/loadtest/results")
fi
if ! has_option --label; then
  args+=(--label "strata embedded (relay/target/strata.jar, LMDB, one JVM)")
fi

# A free port below the usual ephemeral range, so no outgoing connection holds it meanwhile.
port=
for _ in $(seq 1 50); do
  candidate=$((20000 + RANDOM % 12000))
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then
    port=$candidate
    break
  fi
done
[ -n "$port" ] || { echo "run-embedded: no free port found" >&2; exit 1; }

data=$(mktemp -d "${TMPDIR:-/tmp}/strata-loadtest.XXXXXX")
relay_pid=
cleanup() {
  if [ -n "$relay_pid" ] && kill -0 "$relay_pid" 2>/dev/null; then
    kill -TERM "$relay_pid"
    wait "$relay_pid" || echo "run-embedded: relay exited with status $?" >&2
  fi
  if [ "${KEEP_DATA:-0}" = 1 ]; then
    echo "run-embedded: relay data and log kept in $data" >&2
  else
    rm -rf "$data"
  fi
}
trap cleanup EXIT

STRATA_SERVER_HOST=127.0.0.1 STRATA_SERVER_PORT=$port STRATA_STORE_DATA_DIR=$data/store \
  java ${RELAY_JAVA_OPTS:-} -jar "$relay_jar" >"$data/relay.log" 2>&1 &
relay_pid=$!

# Wait for /health (a deadline, polling): the store answered and the gateways listen.
deadline=$((SECONDS + 60))
until curl -fsS -o /dev/null "http://127.0.0.1:$port/health" 2>/dev/null; do
  if ! kill -0 "$relay_pid" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
    echo "run-embedded: the relay did not become healthy; its log:" >&2
    cat "$data/relay.log" >&2
    exit 1
  fi
  sleep 0.2
done
echo "run-embedded: relay pid $relay_pid at ws://127.0.0.1:$port/ (data in $data)" >&2

status=0
java $harness_opts -jar "$harness_jar" "$scenario" --url "ws://127.0.0.1:$port/" --relay-pid "$relay_pid" \
  "${args[@]}" || status=$?
exit $status
