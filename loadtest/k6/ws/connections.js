// connections: CONNECTIONS connections opened at OPEN_RATE per second, each with one idle REQ (an author nobody
// posts as, limit 0), held HOLD seconds after the last one was due, then closed; like the Java harness's
// `connections`. k6 cannot read another process's memory after its init stage: sample the relay's VmRSS from
// /proc/PID/status before the run and during the hold (loadtest/README.md shows how).
//
//   k6 run [-e URL=...] [-e CONNECTIONS=1000] [-e HOLD=60] [-e OPEN_RATE=1000] loadtest/k6/ws/connections.js
// Raise the open-files limit first (ulimit -n 65536); k6 starts one VU per connection.
import { WebSocket } from 'k6/experimental/websockets';
import { setTimeout, clearTimeout } from 'k6/timers';
import { Counter, Trend } from 'k6/metrics';
import exec from 'k6/execution';
import {
  params, whole, decimal, relayInformation, readMessage, prefixCounter, prefixCounts, closeDescription, TREND_STATS,
  trendJson, count, maxOf, round, javaMap, summaryOutput, latencyText,
} from './lib.js';

const P = params({
  CONNECTIONS: whole(1000, 1, 1000000), HOLD: whole(60, 0, 86400), OPEN_RATE: decimal(1000, 1, 1000000),
});
/** When the last connection is due, from the first. */
const openSeconds = P.CONNECTIONS / P.OPEN_RATE;

export const options = {
  scenarios: {
    connections: {
      executor: 'per-vu-iterations', vus: P.CONNECTIONS, iterations: 1,
      maxDuration: `${Math.ceil(openSeconds) + 60 + P.HOLD + 60}s`,
    },
  },
  summaryTrendStats: TREND_STATS,
};

const connectTime = new Trend('connect', true);
const eoseTime = new Trend('req_to_eose', true);
const established = new Counter('established');
const failed = new Counter('failed');
const refused = prefixCounter('refused');
const closedDuringHold = new Counter('closed_by_relay_during_hold');
const settledSeconds = new Trend('settled_seconds');

export function setup() {
  return { nip11: relayInformation(P.URL), t0: Date.now() + 1000 };
}

export default function (data) {
  const n = exec.vu.idInTest - 1;
  const closeAt = data.t0 + (openSeconds + P.HOLD) * 1000;
  // An author nobody posts as, one per connection: the subscription stays idle.
  const author = `${'0'.repeat(48)}${(0x5eed0000 + n).toString(16).padStart(16, '0')}`;
  let timer = setTimeout(() => {
    const begin = Date.now();
    let sentAt = 0;
    let settled = false;
    let holding = false;
    let closing = false;
    const ws = new WebSocket(P.URL);

    function settle() {
      settled = true;
      settledSeconds.add((Date.now() - data.t0) / 1000);
    }

    ws.onopen = () => {
      sentAt = Date.now();
      connectTime.add(sentAt - begin);
      ws.send(JSON.stringify(['REQ', 'idle', { authors: [author], kinds: [1], limit: 0 }]));
    };
    ws.onmessage = (e) => {
      const m = readMessage(e.data);
      if (m[0] === 'EOSE' && !settled) {
        eoseTime.add(Date.now() - sentAt);
        established.add(1);
        settle();
        holding = true;
        timer = setTimeout(() => {
          closing = true;
          ws.close();
        }, Math.max(0, closeAt - Date.now()));
      } else if (m[0] === 'CLOSED' && !settled) {
        refused(m[2]);
        settle();
        closing = true;
        ws.close();
      }
    };
    ws.onclose = (e) => {
      if (closing) return;
      clearTimeout(timer);
      if (holding) {
        closedDuringHold.add(1);
        console.error(`connection ${n} closed by the relay while idle: ${closeDescription(e)}`);
      } else {
        failed.add(1);
        settle();
      }
    };
    ws.onerror = (e) => {
      if (!closing) console.error(`connection ${n}: ${e.error || e.message || e}`);
    };
  }, Math.max(0, data.t0 + (n * 1000) / P.OPEN_RATE - Date.now()));
}

export function handleSummary(data) {
  const refusals = prefixCounts(data, 'refused');
  const openedIn = maxOf(data, 'settled_seconds');
  const results = {
    connections_planned: P.CONNECTIONS, established: count(data, 'established'), failed: count(data, 'failed'),
    subscriptions_refused: refusals, closed_by_relay_during_hold: count(data, 'closed_by_relay_during_hold'),
    open_seconds: round(openedIn), hold_seconds: P.HOLD, connect_latency: trendJson(data.metrics.connect),
    req_to_eose: trendJson(data.metrics.req_to_eose),
  };
  const rows = [
    ['connections established / planned', `${results.established} / ${P.CONNECTIONS} in ${openedIn.toFixed(1)} s`],
    ['connect', latencyText(data.metrics.connect)],
    ['REQ → EOSE', latencyText(data.metrics.req_to_eose)],
    ['held', `${P.HOLD} s, ${results.closed_by_relay_during_hold} closed by the relay`],
  ];
  if (results.failed > 0) rows.push(['connections failed', `${results.failed} (errors on stderr)`]);
  if (Object.keys(refusals).length > 0) rows.push(['REQ refused', javaMap(refusals)]);
  const verdict = results.established === 0 ? 'no connection established'
    : results.failed > 0 ? `${results.failed} connections failed`
      : Object.keys(refusals).length > 0 ? 'subscriptions refused'
        : results.closed_by_relay_during_hold > 0
          ? `${results.closed_by_relay_during_hold} connections closed by the relay while idle` : 'ok';
  return summaryOutput('connections', P, data, results, rows, verdict === 'ok', verdict);
}
