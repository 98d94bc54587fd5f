// query: CONNECTIONS connections send REQs of the mix (ids, authors+kinds, #p, #t, since/until windows; limit LIMIT)
// at a total RATE, each keeping at most WINDOW REQs open, and CLOSE each at its EOSE; like the Java harness's
// `query`, and with its draws: the same SEED sends the same REQs on each connection. Queries are drawn from the
// first LOADED corpus events, which must be stored already: load them first with ingest.js (-e EVENTS=LOADED).
// Time to EOSE counts from the moment the REQ was due, and from its send; REQs due in the first WARMUP seconds are
// sent and counted, but their latency is reported apart.
//
//   k6 run -e CORPUS=/abs/corpus.jsonl [-e URL=...] [-e SPREAD_URLS=URL,...] [-e LOADED=0 (all)] \
//          [-e CONNECTIONS=4] [-e RATE=100] [-e WINDOW=8] [-e REQUESTS=0 (RATE x DURATION)] [-e DURATION=30] \
//          [-e WARMUP=0] [-e LIMIT=500] [-e MIX=ids=20,authors=30,p=15,t=15,window=20] [-e SEED=1] \
//          loadtest/k6/ws/query.js
import { WebSocket } from 'k6/experimental/websockets';
import { setTimeout, clearTimeout } from 'k6/timers';
import { Counter, Trend } from 'k6/metrics';
import { SharedArray } from 'k6/data';
import exec from 'k6/execution';
import {
  params, whole, decimal, seed, within, MAX_INT, GRACE_SECONDS, gateway, relayInformation, readCorpus, readMessage,
  prefixCounter, prefixCounts, closeDescription, wakeup, TREND_STATS, trendJson, count, maxOf, round, javaDouble,
  javaMap, summaryOutput, latencyText, queryPools, parseMix, queryRandom, drawQuery, SHAPES, DEFAULT_MIX,
} from './lib.js';

const P = params({
  CORPUS: '', SPREAD_URLS: '', LOADED: whole(0, 0, MAX_INT), CONNECTIONS: whole(4, 1, 10000),
  RATE: decimal(100, 0.1, 1000000), WINDOW: whole(8, 1, 10000), REQUESTS: whole(0, 0, MAX_INT),
  DURATION: whole(30, 1, 86400), WARMUP: whole(0, 0, MAX_INT), LIMIT: whole(500, 0, 1000000), MIX: DEFAULT_MIX,
  SEED: seed(1),
});
within('WARMUP', P.WARMUP, 0, P.DURATION - 1);
const MIX = parseMix(P.MIX);
const mixPools = new SharedArray('query-pools', () => {
  const lines = readCorpus(P.CORPUS);
  const loaded = P.LOADED > 0 ? within('LOADED', P.LOADED, 1, lines.length) : lines.length;
  return [{ loaded: loaded, pools: queryPools(lines, loaded) }];
})[0];
const pools = mixPools.pools;
const requests = P.REQUESTS > 0 ? P.REQUESTS : Math.min(MAX_INT, Math.ceil(P.RATE * P.DURATION));

export const options = {
  scenarios: {
    query: {
      executor: 'per-vu-iterations', vus: P.CONNECTIONS, iterations: 1,
      maxDuration: `${P.DURATION + GRACE_SECONDS + 30}s`,
    },
  },
  summaryTrendStats: TREND_STATS,
};

const fromDue = new Trend('time_to_eose', true);
const fromSend = new Trend('time_to_eose_from_send', true);
/** REQs due in the first WARMUP seconds: both ends still warming up, kept out of the figures. */
const warmupFromDue = new Trend('warmup_time_to_eose', true);
const warmupEose = new Counter('warmup_eose');
const byShape = {};
const eoseByShape = {};
const eventsByShape = {};
SHAPES.forEach((s) => {
  byShape[s] = new Trend(`time_to_eose_${s}`, true);
  eoseByShape[s] = new Counter(`eose_${s}`);
  eventsByShape[s] = new Counter(`events_${s}`);
});
const sentCount = new Counter('reqs_sent');
const eose = new Counter('eose');
const events = new Counter('events_returned');
const closed = prefixCounter('closed');
const unanswered = new Counter('unanswered');
const failedToOpen = new Counter('connections_failed');
const closedByRelay = new Counter('connections_closed_by_relay');
const span = new Trend('eose_span_seconds');

export function setup() {
  return { nip11: relayInformation(P.URL) };
}

export default function () {
  const connection = exec.vu.idInTest - 1;
  const C = P.CONNECTIONS;
  const quota = Math.floor(requests / C) + (connection < requests % C ? 1 : 0);
  const perConnectionRate = P.RATE / C;
  const rng = queryRandom(P.SEED, connection);
  const open = new Map();
  const ws = new WebSocket(gateway(P, connection));
  const wake = wakeup(fill);
  let sent = 0;
  let start = 0;
  let last = 0;
  let opened = false;
  let stopping = false;
  let closing = false;
  let deadline = null;
  let grace = null;

  function fill() {
    while (!stopping && sent < quota && open.size < P.WINDOW) {
      const due = start + (sent * 1000) / perConnectionRate;
      const now = Date.now();
      if (due > now) {
        wake.at(due);
        return;
      }
      const [shape, filter] = drawQuery(rng, pools, MIX, P.LIMIT);
      const sub = `q${connection}-${sent}`;
      open.set(sub, { shape: shape, due: due, sentAt: now, events: 0 });
      sent++;
      sentCount.add(1);
      ws.send(JSON.stringify(['REQ', sub, filter]));
    }
  }

  function finish() {
    stopping = true;
    closing = true;
    ws.close();
  }

  function finishIfDone() {
    if ((stopping || sent === quota) && open.size === 0) finish();
  }

  ws.onopen = () => {
    opened = true;
    start = Date.now();
    last = start;
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
    const q = open.get(m[1]);
    if (q === undefined) return;
    if (m[0] === 'EVENT') {
      q.events++;
    } else if (m[0] === 'EOSE') {
      open.delete(m[1]);
      last = Date.now();
      if (q.due - start < P.WARMUP * 1000) {
        warmupFromDue.add(last - q.due);
        warmupEose.add(1);
      } else {
        fromDue.add(last - q.due);
        fromSend.add(last - q.sentAt);
        byShape[q.shape].add(last - q.due);
      }
      eoseByShape[q.shape].add(1);
      eventsByShape[q.shape].add(q.events);
      eose.add(1);
      events.add(q.events);
      ws.send(JSON.stringify(['CLOSE', m[1]])); // NIP-01: the subscription stays open for live events until CLOSE
      fill();
      finishIfDone();
    } else if (m[0] === 'CLOSED') {
      open.delete(m[1]);
      last = Date.now();
      closed(m[2]);
      fill();
      finishIfDone();
    }
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
    unanswered.add(open.size);
    span.add((last - start) / 1000);
  };
  ws.onerror = (e) => console.error(`connection ${connection}: ${e.error || e.message || e}`);
}

export function handleSummary(data) {
  const seconds = Math.max(1e-9, maxOf(data, 'eose_span_seconds'));
  const n = count(data, 'eose');
  const returned = count(data, 'events_returned');
  const closedByPrefix = prefixCounts(data, 'closed');
  const failed = count(data, 'connections_failed');
  const closedConnections = count(data, 'connections_closed_by_relay');
  const rows = [
    ['connections × REQs open', `${P.CONNECTIONS} × ${P.WINDOW} at ${javaDouble(P.RATE)} REQ/s, limit ${P.LIMIT}, `
      + `first ${mixPools.loaded} events`],
    ['REQs sent / planned', `${count(data, 'reqs_sent')} / ${requests}`],
    ['EOSE/s', (n / seconds).toFixed(1)],
    ['events returned/s', `${(returned / seconds).toFixed(0)} (${returned} in all)`],
    ['warm-up (not in the figures below)', P.WARMUP === 0 ? 'none' : `first ${P.WARMUP} s, `
      + `${count(data, 'warmup_eose')} REQs, from due ${latencyText(data.metrics.warmup_time_to_eose)}`],
    ['time to EOSE (from due)', latencyText(data.metrics.time_to_eose)],
    ['time to EOSE (from send)', latencyText(data.metrics.time_to_eose_from_send)],
  ];
  const shapes = {};
  SHAPES.forEach((s) => {
    // As in the Java harness, a shape is listed when it has latencies outside the warm-up.
    const trend = data.metrics[`time_to_eose_${s}`];
    if (count(data, `time_to_eose_${s}`) === 0) return;
    const reqs = count(data, `eose_${s}`);
    const shapeEvents = count(data, `events_${s}`);
    const perReq = reqs === 0 ? 0 : shapeEvents / reqs;
    shapes[s] = Object.assign(trendJson(trend), { events: shapeEvents, events_per_req: round(perReq) });
    rows.push([`  ${s}`, `${latencyText(trend)} · ${perReq.toFixed(1)} events/REQ`]);
  });
  const results = {
    requests_planned: requests, sent: count(data, 'reqs_sent'), eose: n, closed: closedByPrefix,
    unanswered: count(data, 'unanswered'), events_returned: returned, seconds: round(seconds),
    eose_per_second: round(n / seconds), events_per_second: round(returned / seconds), warmup_seconds: P.WARMUP,
    warmup_eose: count(data, 'warmup_eose'), warmup_time_to_eose_from_due: trendJson(data.metrics.warmup_time_to_eose),
    time_to_eose_from_due: trendJson(data.metrics.time_to_eose),
    time_to_eose_from_send: trendJson(data.metrics.time_to_eose_from_send), by_shape: shapes,
    connections_failed: failed, connections_closed_by_relay: closedConnections,
  };
  rows.push(['CLOSED by prefix', Object.keys(closedByPrefix).length === 0 ? 'none' : javaMap(closedByPrefix)],
    ['unanswered', `${results.unanswered}`], ['elapsed', `${seconds.toFixed(2)} s`]);
  if (failed > 0) rows.push(['connections failed', `${failed} (errors on stderr)`]);
  if (closedConnections > 0) rows.push(['closed by relay', `${closedConnections} (close codes on stderr)`]);
  const verdict = n === 0 ? 'no EOSE received' : returned === 0 ? 'no events returned'
    : failed > 0 ? 'connections failed' : results.unanswered > 0 ? `${results.unanswered} REQs never answered` : 'ok';
  return summaryOutput('query', P, data, results, rows, verdict === 'ok', verdict);
}
