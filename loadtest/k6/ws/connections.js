// connections: CONNECTIONS connections opened at OPEN_RATE per second, each with one idle REQ (an author nobody
// posts as, limit 0), held until HOLD seconds after the last one was due, then closed; like the Java harness's
// `connections`. k6 cannot read another process's memory after its init stage: sample the relay's VmRSS from
// /proc/PID/status before the run and during the hold (loadtest/README.md shows how).
//
//   k6 run [-e URL=...] [-e CONNECTIONS=1000] [-e HOLD=60] [-e OPEN_RATE=1000] loadtest/k6/ws/connections.js
// Raise the open-files limit first (ulimit -n 65536); k6 starts one VU per connection.
import { WebSocket } from 'k6/experimental/websockets';
import { setTimeout, clearTimeout } from 'k6/timers';
import { Counter, Trend } from 'k6/metrics';
import exec from 'k6/execution';
import { params, readMessage, prefixOf, TREND_STATS, trendJson, count, summaryOutput, latencyText } from './lib.js';

const P = params({ CONNECTIONS: 1000, HOLD: 60, OPEN_RATE: 1000 });
const openSeconds = P.CONNECTIONS / P.OPEN_RATE;

export const options = {
  scenarios: {
    connections: {
      executor: 'per-vu-iterations', vus: P.CONNECTIONS, iterations: 1,
      maxDuration: `${Math.ceil(openSeconds + P.HOLD) + 90}s`,
    },
  },
  summaryTrendStats: TREND_STATS,
};

const connectTime = new Trend('connect', true);
const eoseTime = new Trend('req_to_eose', true);
const established = new Counter('established');
const failed = new Counter('failed');
const refused = new Counter('refused');
const closedEarly = new Counter('closed_by_relay_during_hold');

export function setup() {
  return { t0: Date.now() + 1000 };
}

export default function (data) {
  const n = exec.vu.idInTest - 1;
  const closeAt = data.t0 + (openSeconds + P.HOLD) * 1000;
  let timer = null;
  // One hex author per connection that never posts: the subscription stays idle.
  const author = `${'0'.repeat(48)}${(0x5eed0000 + n).toString(16).padStart(16, '0')}`;
  timer = setTimeout(() => {
    const begin = Date.now();
    let sentAt = 0;
    let holding = false;
    let closing = false;
    const ws = new WebSocket(P.URL);
    ws.onopen = () => {
      connectTime.add(Date.now() - begin);
      sentAt = Date.now();
      ws.send(JSON.stringify(['REQ', 'idle', { authors: [author], kinds: [1], limit: 0 }]));
    };
    ws.onmessage = (e) => {
      const m = readMessage(e.data);
      if (m[0] === 'EOSE' && !holding) {
        eoseTime.add(Date.now() - sentAt);
        established.add(1);
        holding = true;
        timer = setTimeout(() => {
          closing = true;
          ws.close();
        }, Math.max(0, closeAt - Date.now()));
      } else if (m[0] === 'CLOSED' && !holding) {
        refused.add(1, { prefix: prefixOf(m[2]) });
        closing = true;
        ws.close();
      }
    };
    ws.onclose = () => {
      if (holding && !closing) {
        closedEarly.add(1);
        clearTimeout(timer);
      } else if (!holding && !closing) {
        failed.add(1);
      }
    };
    ws.onerror = (e) => {
      if (!holding && !closing) console.error(`connection ${n}: ${e.error || e.message || e}`);
    };
  }, Math.max(0, data.t0 + (n * 1000) / P.OPEN_RATE - Date.now()));
}

export function handleSummary(data) {
  const results = {
    connections_planned: P.CONNECTIONS, established: count(data, 'established'), failed: count(data, 'failed'),
    refused: count(data, 'refused'), closed_by_relay_during_hold: count(data, 'closed_by_relay_during_hold'),
    hold_seconds: P.HOLD, connect_latency: trendJson(data.metrics.connect),
    req_to_eose: trendJson(data.metrics.req_to_eose),
  };
  const rows = [
    ['connections established / planned', `${results.established} / ${P.CONNECTIONS}`],
    ['connect', latencyText(data.metrics.connect)],
    ['REQ → EOSE', latencyText(data.metrics.req_to_eose)],
    ['held', `${P.HOLD} s, ${results.closed_by_relay_during_hold} closed by the relay`],
    ['failed / refused', `${results.failed} / ${results.refused}`],
  ];
  const verdict = results.established === 0 ? 'no connection established'
    : results.failed + results.refused + results.closed_by_relay_during_hold > 0 ? 'connections failed or closed'
      : 'ok';
  return summaryOutput('connections', P, results, rows, verdict === 'ok', verdict);
}
