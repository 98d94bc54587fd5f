#!/usr/bin/env bash
# Checks the k6 scenario scripts without k6:
#   1. each script (and lib.js) parses as an ES module: `node --check` on a .mjs copy;
#   2. the scripts draw the Java harness's REQs and subscriptions: draws.mjs against lines the Java harness drew
#      for the same seeds (no relay needed);
#   3. given a relay URL and a corpus, each scenario runs end to end, small, under Node with stand-ins for the k6
#      modules (run.mjs): real WebSockets, the scripts' own logic and handleSummary.
#
#   loadtest/k6/check/check.sh [ws://127.0.0.1:PORT/ /abs/corpus.jsonl]
# The corpus needs 4000 events or more (ingest publishes 3000, fanout the next 500); use a fresh relay.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
scripts=$here/../ws
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in "$scripts"/*.js; do
  cp "$f" "$tmp/$(basename "$f" .js).mjs"
  node --check "$tmp/$(basename "$f" .js).mjs"
  echo "parses as an ES module: $(basename "$f")"
done
node "$here/draws.mjs" check
[ $# -eq 2 ] || exit 0
url=$1
corpus=$2
run() {
  node --experimental-websocket --no-warnings "$here/run.mjs" "$scripts/$1" -e URL="$url" -e RESULTS_DIR="$tmp/results" \
    "${@:2}"
}
run ingest.js -e CORPUS="$corpus" -e EVENTS=3000
run query.js -e CORPUS="$corpus" -e LOADED=3000 -e RATE=50 -e DURATION=4 -e WARMUP=1
run fanout.js -e CORPUS="$corpus" -e FROM=3000 -e EVENTS=500 -e SUBSCRIPTIONS=200 -e RATE=100 -e DURATION=5 \
  -e WARMUP=1 -e SETUP=3
run connections.js -e CONNECTIONS=200 -e HOLD=2
echo "all four k6 scenarios ran and passed their own checks under the Node stand-in"
