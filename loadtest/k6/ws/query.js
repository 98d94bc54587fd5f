// query: CONNECTIONS connections send REQs of the mix (ids, authors+kinds, #p, #t, since/until windows; limit
// LIMIT) at a total RATE, each keeping at most WINDOW REQs open, and CLOSE each at its EOSE; like the Java
// harness's `query`. Queries are drawn from the first LOADED corpus events, which must be stored already: load
// them first with ingest.js (-e EVENTS=LOADED). Time to EOSE counts from the moment the REQ was due.
//
//   k6 run -e CORPUS=/abs/corpus.jsonl [-e URL=...] [-e LOADED=0 (all)] [-e CONNECTIONS=4] [-e RATE=100] \
//          [-e WINDOW=8] [-e REQUESTS=0 (RATE x DURATION)] [-e DURATION=30] [-e LIMIT=500] \
//          [-e MIX=ids=20,authors=30,p=15,t=15,window=20] [-e SEED=1] loadtest/k6/ws/query.js
import { WebSocket } from 'k6/experimental/websockets';
import { setTimeout, clearTimeout, setInterval, clearInterval } from 'k6/timers';
import { Counter, Trend } from 'k6/metrics';
import { SharedArray } from 'k6/data';
import exec from 'k6/execution';
import {
  params, readCorpus, readMessage, prefixOf, PREFIXES, TREND_STATS, trendJson, count, summaryOutput, latencyText,
  queryPools, parseMix, queryFilter, random, DEFAULT_MIX,
} from './lib.js';

const P = params({
  CORPUS: '', LOADED: 0, CONNECTIONS: 4, RATE: 100, WINDOW: 8, REQUESTS: 0, DURATION: 30, LIMIT: 500,
  MIX: DEFAULT_MIX, SEED: 1,
});
const MIX = parseMix(P.MIX);
const SHAPES = ['ids', 'authors', 'p', 't', 'window'];
const pools = new SharedArray('query-pools', () => {
  const lines = readCorpus(P.CORPUS);
  return [queryPools(lines, P.LOADED > 0 ? P.LOADED : lines.length)];
})[0];
const requests = P.REQUESTS > 0 ? P.REQUESTS : Math.ceil(P.RATE * P.DURATION);

export const options = {
  scenarios: {
    query: { executor: 'per-vu-iterations', vus: P.CONNECTIONS, iterations: 1, maxDuration: `${P.DURATION + 30}s` },
  },
  summaryTrendStats: TREND_STATS,
};

const fromDue = new Trend('time_to_eose', true);
const fromSend = new Trend('time_to_eose_from_send', true);
const byShape = {};
const eventsByShape = {};
const reqsByShape = {};
SHAPES.forEach((s) => {
  byShape[s] = new Trend(`time_to_eose_${s}`, true);
  eventsByShape[s] = new Counter(`events_${s}`);
  reqsByShape[s] = new Counter(`eose_${s}`);
});
const sentCount = new Counter('reqs_sent');
const eose = new Counter('eose');
const events = new Counter('events_returned');
const closedBy = {};
PREFIXES.forEach((p) => { closedBy[p] = new Counter(`closed_${p.replace('-', '_')}`); });
const unanswered = new Counter('unanswered');
const span = new Trend('eose_span_seconds');

export default function () {
  const c = exec.vu.idInTest - 1;
  const C = P.CONNECTIONS;
  const quota = Math.floor(requests / C) + (c < requests % C ? 1 : 0);
  const perConnectionRate = P.RATE / C;
  const rng = random(P.SEED * 31 + c + 1);
  const pending = new Map();
  const ws = new WebSocket(P.URL);
  let sent = 0;
  let start = 0;
  let last = 0;
  let stopping = false;
  let ticker = null;
  let deadline = null;
  let grace = null;

  function fill() {
    while (!stopping && sent < quota && pending.size < P.WINDOW) {
      const due = start + (sent * 1000) / perConnectionRate;
      const now = Date.now();
      if (due > now) return;
      const q = queryFilter(rng, pools, MIX, P.LIMIT);
      const sub = `q${c}-${sent}`;
      pending.set(sub, { shape: q[0], due: due, sentAt: now, events: 0 });
      sent++;
      sentCount.add(1);
      ws.send(JSON.stringify(['REQ', sub, q[1]]));
    }
  }

  function finishIfDone() {
    if ((stopping || sent === quota) && pending.size === 0) ws.close();
  }

  ws.onopen = () => {
    start = Date.now();
    deadline = setTimeout(() => {
      stopping = true;
      grace = setTimeout(() => ws.close(), 10000);
      finishIfDone();
    }, P.DURATION * 1000);
    ticker = setInterval(fill, 1);
    fill();
  };
  ws.onmessage = (e) => {
    const m = readMessage(e.data);
    const q = pending.get(m[1]);
    if (q === undefined) return;
    if (m[0] === 'EVENT') {
      q.events++;
    } else if (m[0] === 'EOSE') {
      pending.delete(m[1]);
      last = Date.now();
      fromDue.add(last - q.due);
      fromSend.add(last - q.sentAt);
      byShape[q.shape].add(last - q.due);
      eventsByShape[q.shape].add(q.events);
      reqsByShape[q.shape].add(1);
      eose.add(1);
      events.add(q.events);
      ws.send(JSON.stringify(['CLOSE', m[1]])); // NIP-01: the subscription stays open for live events until CLOSE
      fill();
      finishIfDone();
    } else if (m[0] === 'CLOSED') {
      pending.delete(m[1]);
      closedBy[PREFIXES.indexOf(prefixOf(m[2])) >= 0 ? prefixOf(m[2]) : 'other'].add(1);
      fill();
      finishIfDone();
    }
  };
  ws.onclose = () => {
    clearInterval(ticker);
    if (deadline !== null) clearTimeout(deadline);
    if (grace !== null) clearTimeout(grace);
    unanswered.add(pending.size);
    if (last > 0) span.add((last - start) / 1000);
  };
  ws.onerror = (e) => console.error(`connection ${c}: ${e.error || e.message || e}`);
}

export function handleSummary(data) {
  const seconds = data.metrics.eose_span_seconds ? data.metrics.eose_span_seconds.values.max : 0;
  const n = count(data, 'eose');
  const returned = count(data, 'events_returned');
  const closed = {};
  PREFIXES.forEach((p) => {
    const k = count(data, `closed_${p.replace('-', '_')}`);
    if (k > 0) closed[p] = k;
  });
  const shapes = {};
  const rows = [
    ['connections × REQs open', `${P.CONNECTIONS} × ${P.WINDOW} at ${P.RATE} REQ/s, limit ${P.LIMIT}`],
    ['REQs sent / planned', `${count(data, 'reqs_sent')} / ${requests}`],
    ['EOSE/s', seconds > 0 ? (n / seconds).toFixed(1) : '0'],
    ['events returned/s', `${seconds > 0 ? (returned / seconds).toFixed(0) : 0} (${returned} in all)`],
    ['time to EOSE (from due)', latencyText(data.metrics.time_to_eose)],
    ['time to EOSE (from send)', latencyText(data.metrics.time_to_eose_from_send)],
  ];
  SHAPES.forEach((s) => {
    const reqs = count(data, `eose_${s}`);
    if (reqs === 0) return;
    const perReq = count(data, `events_${s}`) / reqs;
    shapes[s] = Object.assign(trendJson(data.metrics[`time_to_eose_${s}`]), { events_per_req: perReq });
    rows.push([`  ${s}`, `${latencyText(data.metrics[`time_to_eose_${s}`])} · ${perReq.toFixed(1)} events/REQ`]);
  });
  rows.push(['CLOSED by prefix', JSON.stringify(closed)], ['unanswered', `${count(data, 'unanswered')}`]);
  const results = {
    requests_planned: requests, sent: count(data, 'reqs_sent'), eose: n, closed: closed,
    unanswered: count(data, 'unanswered'), events_returned: returned, seconds: seconds,
    eose_per_second: seconds > 0 ? n / seconds : 0, events_per_second: seconds > 0 ? returned / seconds : 0,
    time_to_eose_from_due: trendJson(data.metrics.time_to_eose),
    time_to_eose_from_send: trendJson(data.metrics.time_to_eose_from_send), by_shape: shapes,
  };
  const verdict = n === 0 ? 'no EOSE received' : returned === 0 ? 'no events returned'
    : results.unanswered > 0 ? 'REQs never answered' : 'ok';
  return summaryOutput('query', P, results, rows, verdict === 'ok', verdict);
}
