// fanout: SUBSCRIPTIONS live subscriptions (SUBS_PER_CONNECTION per connection; filters drawn from the events to be
// published: authors, #p, #t, kinds; limit 0) and one publisher at RATE events/s; like the Java harness's
// `fanout`. Every subscription's expected events are computed up front by NIP-01 matching; the publisher counts,
// for each event the relay accepts as new, how many subscriptions must receive it. Latency is from the moment an
// event was due (start + k/RATE) to its delivery: k6 VUs share no memory, the schedule is what they share.
//
// Subscribers connect at once and must all have their EOSE before the publisher starts, SETUP seconds after the
// test starts; they stay DURATION + DRAIN + 10 seconds after that.
//
//   k6 run -e CORPUS=/abs/corpus.jsonl [-e URL=...] [-e SUBSCRIPTIONS=1000] [-e SUBS_PER_CONNECTION=10] \
//          [-e RATE=100] [-e WINDOW=50] [-e EVENTS=0 (RATE x DURATION)] [-e FROM=0] [-e DURATION=30] \
//          [-e DRAIN=5] [-e SETUP=15] [-e SEED=1] loadtest/k6/ws/fanout.js
import { WebSocket } from 'k6/experimental/websockets';
import { setTimeout, clearTimeout, setInterval, clearInterval } from 'k6/timers';
import { Counter, Trend } from 'k6/metrics';
import { SharedArray } from 'k6/data';
import exec from 'k6/execution';
import {
  params, readCorpus, lineId, readMessage, prefixOf, PREFIXES, TREND_STATS, trendJson, count, summaryOutput,
  latencyText, subscriptionFilters, recipientIndex,
} from './lib.js';

const P = params({
  CORPUS: '', SUBSCRIPTIONS: 1000, SUBS_PER_CONNECTION: 10, RATE: 100, WINDOW: 50, EVENTS: 0, FROM: 0,
  DURATION: 30, DRAIN: 5, SETUP: 15, SEED: 1,
});
const corpus = new SharedArray('corpus', () => readCorpus(P.CORPUS));
const planned = Math.min(corpus.length - P.FROM, P.EVENTS > 0 ? P.EVENTS : Math.ceil(P.RATE * P.DURATION));
const connections = Math.ceil(P.SUBSCRIPTIONS / P.SUBS_PER_CONNECTION);

// Computed once: each subscription's filters and the planned events it must receive ([id, k] pairs), and per
// planned event the number of subscriptions it must reach.
const plan = new SharedArray('fanout-plan', () => {
  const events = [];
  for (let k = 0; k < planned; k++) events.push(JSON.parse(corpus[P.FROM + k]));
  const subs = subscriptionFilters(events, P.SUBSCRIPTIONS, P.SEED);
  const recipients = recipientIndex(subs);
  const expected = subs.map(() => []);
  const reach = [];
  events.forEach((e, k) => {
    const to = recipients(e);
    reach.push(to.length);
    to.forEach((s) => expected[s].push([e.id, k]));
  });
  const out = subs.map((filters, s) => ({ filters: filters, expected: expected[s] }));
  out.push({ reach: reach });
  return out;
});

export const options = {
  scenarios: {
    subscribers: {
      executor: 'per-vu-iterations', exec: 'subscribe', vus: connections, iterations: 1,
      maxDuration: `${P.SETUP + P.DURATION + P.DRAIN + 60}s`,
    },
    publisher: {
      executor: 'per-vu-iterations', exec: 'publish', vus: 1, iterations: 1,
      maxDuration: `${P.SETUP + P.DURATION + 60}s`,
    },
  },
  summaryTrendStats: TREND_STATS,
};

const latency = new Trend('publish_to_deliver', true);
const okLatency = new Trend('publish_ok_latency', true);
const expectedDeliveries = new Counter('fanout_expected');
const delivered = new Counter('fanout_delivered');
const duplicated = new Counter('fanout_duplicated');
const unexpected = new Counter('fanout_unexpected');
const storedBeforeEose = new Counter('fanout_stored_before_eose');
const ready = new Counter('subscriptions_ready');
const late = new Counter('subscriptions_late');
const refused = new Counter('subscriptions_refused');
const published = new Counter('published');
const acceptedNew = new Counter('accepted_new');
const duplicates = new Counter('duplicates');
const rejected = {};
PREFIXES.forEach((p) => { rejected[p] = new Counter(`rejected_${p.replace('-', '_')}`); });
const unanswered = new Counter('unanswered');

export function setup() {
  return { t0: Date.now() + P.SETUP * 1000 };
}

export function subscribe(data) {
  const v = exec.scenario.iterationInTest;
  const first = v * P.SUBS_PER_CONNECTION;
  const end = Math.min(P.SUBSCRIPTIONS, first + P.SUBS_PER_CONNECTION);
  const expected = [];
  const got = [];
  const isReady = [];
  for (let s = first; s < end; s++) {
    const m = new Map();
    plan[s].expected.forEach((pair) => m.set(pair[0], pair[1]));
    expected.push(m);
    got.push(new Map());
    isReady.push(false);
  }
  const ws = new WebSocket(P.URL);
  const closeAt = data.t0 + (P.DURATION + P.DRAIN + 10) * 1000;
  let closer = null;

  function settle(slot) {
    if (isReady[slot]) return false;
    isReady[slot] = true;
    if (Date.now() > data.t0) late.add(1);
    return true;
  }

  ws.onopen = () => {
    for (let s = first; s < end; s++) ws.send(JSON.stringify(['REQ', `s${s}`].concat(plan[s].filters)));
    closer = setTimeout(() => ws.close(), Math.max(0, closeAt - Date.now()));
  };
  ws.onmessage = (e) => {
    const m = readMessage(e.data);
    const slot = typeof m[1] === 'string' && m[1][0] === 's' ? Number(m[1].substring(1)) - first : -1;
    if (!(slot >= 0 && slot < end - first)) return;
    if (m[0] === 'EOSE') {
      if (settle(slot)) ready.add(1);
    } else if (m[0] === 'CLOSED') {
      settle(slot);
      refused.add(1);
    } else if (m[0] === 'EVENT') {
      if (!isReady[slot]) {
        storedBeforeEose.add(1);
        return;
      }
      const k = expected[slot].get(m[2]);
      if (k === undefined) {
        unexpected.add(1);
      } else if (got[slot].has(m[2])) {
        duplicated.add(1);
      } else {
        got[slot].set(m[2], true);
        delivered.add(1);
        latency.add(Date.now() - (data.t0 + (k * 1000) / P.RATE));
      }
    }
  };
  ws.onclose = () => {
    if (closer !== null) clearTimeout(closer);
  };
  ws.onerror = (e) => console.error(`subscriber connection ${v}: ${e.error || e.message || e}`);
}

export function publish(data) {
  const reach = plan[plan.length - 1].reach;
  const inFlight = new Map();
  const sentAt = new Map();
  const ws = new WebSocket(P.URL);
  let sent = 0;
  let stopping = false;
  let ticker = null;
  let deadline = null;
  let grace = null;
  let starter = null;

  function fill() {
    while (!stopping && sent < planned && inFlight.size < P.WINDOW) {
      const due = data.t0 + (sent * 1000) / P.RATE;
      if (due > Date.now()) return;
      const line = corpus[P.FROM + sent];
      inFlight.set(lineId(line), sent);
      sentAt.set(sent, Date.now());
      sent++;
      published.add(1);
      ws.send(`["EVENT",${line}]`);
    }
  }

  function finishIfDone() {
    if ((stopping || sent === planned) && inFlight.size === 0) ws.close();
  }

  ws.onopen = () => {
    starter = setTimeout(() => {
      deadline = setTimeout(() => {
        stopping = true;
        grace = setTimeout(() => ws.close(), 10000);
        finishIfDone();
      }, P.DURATION * 1000);
      ticker = setInterval(fill, 1);
      fill();
    }, Math.max(0, data.t0 - Date.now()));
  };
  ws.onmessage = (e) => {
    const m = readMessage(e.data);
    if (m[0] !== 'OK' || !inFlight.has(m[1])) return;
    const k = inFlight.get(m[1]);
    inFlight.delete(m[1]);
    okLatency.add(Date.now() - sentAt.get(k));
    sentAt.delete(k);
    if (!m[2]) {
      rejected[PREFIXES.indexOf(prefixOf(m[3])) >= 0 ? prefixOf(m[3]) : 'other'].add(1);
    } else if (prefixOf(m[3]) === 'duplicate') {
      duplicates.add(1);
    } else {
      acceptedNew.add(1);
      expectedDeliveries.add(reach[k]);
    }
    fill();
    finishIfDone();
  };
  ws.onclose = () => {
    [starter, deadline, grace].forEach((t) => { if (t !== null) clearTimeout(t); });
    if (ticker !== null) clearInterval(ticker);
    unanswered.add(inFlight.size);
  };
  ws.onerror = (e) => console.error(`publisher: ${e.error || e.message || e}`);
}

export function handleSummary(data) {
  const expected = count(data, 'fanout_expected');
  const got = count(data, 'fanout_delivered');
  const missed = Math.max(0, expected - got);
  // Matching deliveries beyond the expected count belong to events the relay did not accept as new.
  const extra = Math.max(0, got - expected) + count(data, 'fanout_unexpected');
  const dup = count(data, 'fanout_duplicated');
  const rejects = {};
  PREFIXES.forEach((p) => {
    const k = count(data, `rejected_${p.replace('-', '_')}`);
    if (k > 0) rejects[p] = k;
  });
  const results = {
    subscriptions: P.SUBSCRIPTIONS, connections: connections, subscriptions_ready: count(data, 'subscriptions_ready'),
    subscriptions_late: count(data, 'subscriptions_late'), subscriptions_refused: count(data, 'subscriptions_refused'),
    events_planned: planned, published: count(data, 'published'), accepted_new: count(data, 'accepted_new'),
    duplicates: count(data, 'duplicates'), rejected: rejects, unanswered: count(data, 'unanswered'),
    publish_ok_latency: trendJson(data.metrics.publish_ok_latency),
    expected_deliveries: expected, delivered: got, missed: missed, duplicated: dup, unexpected: extra,
    stored_before_eose: count(data, 'fanout_stored_before_eose'),
    publish_to_deliver_from_due: trendJson(data.metrics.publish_to_deliver),
  };
  const rows = [
    ['subscriptions', `${P.SUBSCRIPTIONS} on ${connections} connections, ${results.subscriptions_ready} ready in time`],
    ['published / accepted', `${results.published} / ${results.accepted_new} (target ${P.RATE} events/s)`],
    ['publisher OK latency', latencyText(data.metrics.publish_ok_latency)],
    ['deliveries expected', `${expected}`],
    ['delivered / missed / duplicated', `${got} / ${missed} / ${dup}`],
    ['unexpected deliveries', `${extra}`],
    ['publish→deliver (from due)', latencyText(data.metrics.publish_to_deliver)],
  ];
  const verdict = got === 0 ? 'nothing delivered'
    : missed > 0 || dup > 0 || extra > 0 ? `${missed} missed, ${dup} duplicated, ${extra} unexpected deliveries`
      : results.subscriptions_late > 0 || results.subscriptions_refused > 0 ? 'subscriptions late or refused'
        : results.unanswered > 0 ? 'events never answered' : 'ok';
  return summaryOutput('fanout', P, results, rows, verdict === 'ok', verdict);
}
