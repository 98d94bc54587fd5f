// ingest: CONNECTIONS connections publish the corpus, each with at most WINDOW events awaiting their OK (as fast
// as the relay acknowledges), or at a fixed total RATE. Connection c sends events FROM+c, FROM+c+C, ... like the
// Java harness's `ingest`. Latency is from the send (at a fixed rate: from the moment the event was due) to the OK.
//
//   k6 run -e CORPUS=/abs/corpus.jsonl [-e URL=ws://127.0.0.1:7777/] [-e CONNECTIONS=4] [-e WINDOW=50] \
//          [-e RATE=0] [-e EVENTS=0 (all)] [-e FROM=0] [-e DURATION=300] loadtest/k6/ws/ingest.js
import { WebSocket } from 'k6/experimental/websockets';
import { setTimeout, clearTimeout, setInterval, clearInterval } from 'k6/timers';
import { Counter, Trend } from 'k6/metrics';
import { SharedArray } from 'k6/data';
import exec from 'k6/execution';
import {
  params, readCorpus, lineId, readMessage, prefixOf, PREFIXES, TREND_STATS, trendJson, count, summaryOutput,
  latencyText,
} from './lib.js';

const P = params({ CORPUS: '', CONNECTIONS: 4, WINDOW: 50, RATE: 0, EVENTS: 0, FROM: 0, DURATION: 300 });
const corpus = new SharedArray('corpus', () => readCorpus(P.CORPUS));
const planned = P.EVENTS > 0 ? Math.min(P.EVENTS, corpus.length - P.FROM) : corpus.length - P.FROM;

export const options = {
  scenarios: {
    ingest: {
      executor: 'per-vu-iterations', vus: P.CONNECTIONS, iterations: 1, maxDuration: `${P.DURATION + 30}s`,
    },
  },
  summaryTrendStats: TREND_STATS,
};

const okLatency = new Trend('ok_latency', true);
const sentCount = new Counter('sent');
const oks = new Counter('oks');
const accepted = new Counter('accepted');
const duplicates = new Counter('duplicates');
const rejected = {};
PREFIXES.forEach((p) => { rejected[p] = new Counter(`rejected_${p.replace('-', '_')}`); });
const unanswered = new Counter('unanswered');
const okSpan = new Trend('ok_span_seconds');

export default function () {
  const c = exec.vu.idInTest - 1;
  const C = P.CONNECTIONS;
  const quota = Math.floor(planned / C) + (c < planned % C ? 1 : 0);
  const perConnectionRate = P.RATE / C;
  const inFlight = new Map();
  const ws = new WebSocket(P.URL);
  let sent = 0;
  let start = 0;
  let lastOk = 0;
  let stopping = false;
  let ticker = null;
  let deadline = null;
  let grace = null;

  function fill() {
    while (!stopping && sent < quota && inFlight.size < P.WINDOW) {
      let due = Date.now();
      if (perConnectionRate > 0) {
        due = start + (sent * 1000) / perConnectionRate;
        if (due > Date.now()) return;
      }
      const line = corpus[P.FROM + c + sent * C];
      inFlight.set(lineId(line), due);
      sent++;
      sentCount.add(1);
      ws.send(`["EVENT",${line}]`);
    }
  }

  function finishIfDone() {
    if ((stopping || sent === quota) && inFlight.size === 0) ws.close();
  }

  ws.onopen = () => {
    start = Date.now();
    deadline = setTimeout(() => {
      stopping = true;
      grace = setTimeout(() => ws.close(), 10000);
      finishIfDone();
    }, P.DURATION * 1000);
    if (perConnectionRate > 0) ticker = setInterval(fill, 1);
    fill();
    finishIfDone();
  };
  ws.onmessage = (e) => {
    const m = readMessage(e.data);
    if (m[0] !== 'OK') return;
    const from = inFlight.get(m[1]);
    if (from === undefined) return;
    inFlight.delete(m[1]);
    lastOk = Date.now();
    okLatency.add(lastOk - from);
    oks.add(1);
    if (!m[2]) rejected[PREFIXES.indexOf(prefixOf(m[3])) >= 0 ? prefixOf(m[3]) : 'other'].add(1);
    else if (prefixOf(m[3]) === 'duplicate') duplicates.add(1);
    else accepted.add(1);
    fill();
    finishIfDone();
  };
  ws.onclose = () => {
    if (ticker !== null) clearInterval(ticker);
    if (deadline !== null) clearTimeout(deadline);
    if (grace !== null) clearTimeout(grace);
    unanswered.add(inFlight.size);
    if (lastOk > 0) okSpan.add((lastOk - start) / 1000);
  };
  ws.onerror = (e) => console.error(`connection ${c}: ${e.error || e.message || e}`);
}

export function handleSummary(data) {
  // The slowest connection's span from its first send to its last OK stands for the run's length.
  const span = data.metrics.ok_span_seconds ? data.metrics.ok_span_seconds.values.max : 0;
  const n = count(data, 'oks');
  const rejects = {};
  PREFIXES.forEach((p) => {
    const k = count(data, `rejected_${p.replace('-', '_')}`);
    if (k > 0) rejects[p] = k;
  });
  const results = {
    events_planned: planned, sent: count(data, 'sent'), oks: n, accepted: count(data, 'accepted'),
    duplicates: count(data, 'duplicates'), rejected: rejects, unanswered: count(data, 'unanswered'),
    seconds: span, oks_per_second: span > 0 ? n / span : 0,
    accepted_per_second: span > 0 ? count(data, 'accepted') / span : 0,
    ok_latency: trendJson(data.metrics.ok_latency),
  };
  const rows = [
    ['connections × window', `${P.CONNECTIONS} × ${P.WINDOW}${P.RATE > 0 ? ` at ${P.RATE} events/s` : ''}`],
    ['events sent / planned', `${results.sent} / ${planned}`],
    ['OK/s (accepted/s)', `${results.oks_per_second.toFixed(0)} (${results.accepted_per_second.toFixed(0)})`],
    ['OK latency', latencyText(data.metrics.ok_latency)],
    ['accepted / duplicate', `${results.accepted} / ${results.duplicates}`],
    ['rejected by prefix', JSON.stringify(rejects)],
    ['unanswered', `${results.unanswered}`],
  ];
  const verdict = n === 0 ? 'no OK received' : results.unanswered > 0 ? 'events never answered' : 'ok';
  return summaryOutput('ingest', P, results, rows, verdict === 'ok', verdict);
}
