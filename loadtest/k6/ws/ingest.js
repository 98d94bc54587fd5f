// ingest: CONNECTIONS connections publish events FROM..FROM+EVENTS-1, each keeping at most WINDOW events awaiting
// their OK (as fast as the relay acknowledges), or at a fixed total RATE; connection c sends FROM+c, FROM+c+C, ...
// so the relay sees the corpus roughly in time order. Like the Java harness's `ingest`: latency is from the send to
// the OK, at a fixed rate from the moment the event was due.
//
//   k6 run -e CORPUS=/abs/corpus.jsonl [-e URL=ws://127.0.0.1:7777/] [-e SPREAD_URLS=URL,...] [-e CONNECTIONS=4] \
//          [-e WINDOW=50] [-e RATE=0] [-e EVENTS=0 (all)] [-e FROM=0] [-e DURATION=300] loadtest/k6/ws/ingest.js
import { WebSocket } from 'k6/experimental/websockets';
import { setTimeout, clearTimeout } from 'k6/timers';
import { Counter, Trend } from 'k6/metrics';
import { SharedArray } from 'k6/data';
import exec from 'k6/execution';
import {
  params, whole, decimal, within, MAX_INT, GRACE_SECONDS, gateway, relayInformation, readCorpus, lineId, readMessage,
  prefixOf, prefixCounter, prefixCounts, closeDescription, wakeup, TREND_STATS, trendJson, count, maxOf, round,
  javaDouble, javaMap, summaryOutput, latencyText,
} from './lib.js';

const P = params({
  CORPUS: '', SPREAD_URLS: '', CONNECTIONS: whole(4, 1, 10000), WINDOW: whole(50, 1, 100000),
  RATE: decimal(0, 0, 10000000), EVENTS: whole(0, 0, MAX_INT), FROM: whole(0, 0, MAX_INT),
  DURATION: whole(300, 1, 86400),
});
const corpus = new SharedArray('corpus', () => readCorpus(P.CORPUS));
within('FROM', P.FROM, 0, corpus.length - 1);
const planned = P.EVENTS > 0 ? within('EVENTS', P.EVENTS, 1, corpus.length - P.FROM) : corpus.length - P.FROM;

export const options = {
  scenarios: {
    ingest: {
      executor: 'per-vu-iterations', vus: P.CONNECTIONS, iterations: 1,
      maxDuration: `${P.DURATION + GRACE_SECONDS + 30}s`,
    },
  },
  summaryTrendStats: TREND_STATS,
};

const okLatency = new Trend('ok_latency', true);
const sentCount = new Counter('sent');
const oks = new Counter('oks');
const accepted = new Counter('accepted');
const duplicates = new Counter('duplicates');
const rejected = prefixCounter('rejected');
const unanswered = new Counter('unanswered');
const unmatched = new Counter('unmatched_oks');
const notices = new Counter('notices');
const failedToOpen = new Counter('connections_failed');
const closedByRelay = new Counter('connections_closed_by_relay');
const okSpan = new Trend('ok_span_seconds');

export function setup() {
  return { nip11: relayInformation(P.URL) };
}

export default function () {
  const connection = exec.vu.idInTest - 1;
  const C = P.CONNECTIONS;
  const quota = Math.floor(planned / C) + (connection < planned % C ? 1 : 0);
  const perConnectionRate = P.RATE / C;
  const inFlight = new Map(); // event id -> the time its latency counts from
  const ws = new WebSocket(gateway(P, connection));
  const wake = wakeup(fill);
  let sent = 0;
  let start = 0;
  let lastOk = 0;
  let opened = false;
  let stopping = false;
  let closing = false;
  let deadline = null;
  let grace = null;

  function fill() {
    while (!stopping && sent < quota && inFlight.size < P.WINDOW) {
      let due = Date.now();
      if (perConnectionRate > 0) {
        due = start + (sent * 1000) / perConnectionRate;
        if (due > Date.now()) {
          wake.at(due);
          return;
        }
      }
      const line = corpus[P.FROM + connection + sent * C];
      inFlight.set(lineId(line), due);
      sent++;
      sentCount.add(1);
      ws.send(`["EVENT",${line}]`);
    }
  }

  function finish() {
    stopping = true;
    closing = true;
    ws.close();
  }

  function finishIfDone() {
    if ((stopping || sent === quota) && inFlight.size === 0) finish();
  }

  ws.onopen = () => {
    opened = true;
    start = Date.now();
    lastOk = start;
    deadline = setTimeout(() => {
      stopping = true;
      grace = setTimeout(finish, GRACE_SECONDS * 1000);
      finishIfDone();
    }, P.DURATION * 1000);
    fill();
    finishIfDone();
  };
  ws.onmessage = (e) => {
    const m = readMessage(e.data);
    if (m[0] === 'NOTICE') {
      notices.add(1);
      return;
    }
    if (m[0] !== 'OK') return;
    const from = inFlight.get(m[1]);
    if (from === undefined) {
      unmatched.add(1);
      return;
    }
    inFlight.delete(m[1]);
    lastOk = Date.now();
    okLatency.add(lastOk - from);
    oks.add(1);
    if (!m[2]) rejected(m[3]);
    else if (prefixOf(m[3]) === 'duplicate') duplicates.add(1);
    else accepted.add(1);
    fill();
    finishIfDone();
  };
  ws.onclose = (e) => {
    wake.cancel();
    if (deadline !== null) clearTimeout(deadline);
    if (grace !== null) clearTimeout(grace);
    if (!opened) {
      failedToOpen.add(1);
      return;
    }
    if (!closing) {
      closedByRelay.add(1);
      console.error(`connection ${connection} closed by the relay: ${closeDescription(e)}`);
    }
    unanswered.add(inFlight.size);
    okSpan.add((lastOk - start) / 1000);
  };
  ws.onerror = (e) => console.error(`connection ${connection}: ${e.error || e.message || e}`);
}

export function handleSummary(data) {
  // The slowest connection's span from its first send to its last OK stands for the run's length.
  const seconds = Math.max(1e-9, maxOf(data, 'ok_span_seconds'));
  const n = count(data, 'oks');
  const acceptedNew = count(data, 'accepted');
  const rejects = prefixCounts(data, 'rejected');
  const failed = count(data, 'connections_failed');
  const closed = count(data, 'connections_closed_by_relay');
  const results = {
    events_planned: planned, sent: count(data, 'sent'), oks: n, accepted: acceptedNew,
    duplicates: count(data, 'duplicates'), rejected: rejects, unanswered: count(data, 'unanswered'),
    unmatched_oks: count(data, 'unmatched_oks'), notices: count(data, 'notices'), seconds: round(seconds),
    oks_per_second: round(n / seconds), accepted_per_second: round(acceptedNew / seconds),
    ok_latency: trendJson(data.metrics.ok_latency), connections_failed: failed, connections_closed_by_relay: closed,
  };
  const rows = [
    ['connections × window', `${P.CONNECTIONS} × ${P.WINDOW}${P.RATE > 0 ? ` at ${javaDouble(P.RATE)} events/s`
      : ' (as fast as acknowledged)'}`],
    ['events sent / planned', `${results.sent} / ${planned}`],
    ['OK/s (accepted/s)', `${(n / seconds).toFixed(0)} (${(acceptedNew / seconds).toFixed(0)})`],
    ['OK latency', latencyText(data.metrics.ok_latency)],
    ['accepted / duplicate', `${acceptedNew} / ${results.duplicates}`],
    ['rejected by prefix', Object.keys(rejects).length === 0 ? 'none' : javaMap(rejects)],
    ['unanswered', `${results.unanswered}`],
    ['elapsed', `${seconds.toFixed(2)} s`],
  ];
  if (failed > 0) rows.push(['connections failed', `${failed} (errors on stderr)`]);
  if (closed > 0) rows.push(['closed by relay', `${closed} (close codes on stderr)`]);
  const verdict = n === 0 ? 'no OK received' : failed > 0 ? 'connections failed'
    : results.unanswered > 0 ? `${results.unanswered} events never answered` : 'ok';
  return summaryOutput('ingest', P, data, results, rows, verdict === 'ok', verdict);
}
