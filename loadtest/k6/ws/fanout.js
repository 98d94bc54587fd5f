// fanout: SUBSCRIPTIONS live subscriptions (SUBS_PER_CONNECTION per connection) and one publisher at RATE events/s;
// like the Java harness's `fanout`, and with its draws: the same SEED opens the same subscriptions, one or two
// filters each drawn from the events to be published (authors, #p, #t, rarer kinds; limit 0, so only live events
// arrive). Which subscriptions each planned event must reach is computed up front by NIP-01 matching; each
// subscriber connection counts, per subscription, what was delivered, missed, duplicated or unexpected, once the
// event was accepted as new (OK true without "duplicate:"). Events due in the first WARMUP seconds are checked like
// the others, but their latency is reported apart.
//
// k6 VUs share no memory (loadtest/README.md, "Where k6 differs"): the publisher starts SETUP seconds after the test
// rather than once every subscription has its EOSE (a subscription not ready by then fails the run), and
// subscribers cannot know when the publisher sent an event: latency counts from the moment it was due
// (start + k / RATE), and the publisher reports how late it sent.
//
//   k6 run -e CORPUS=/abs/corpus.jsonl [-e URL=...] [-e SPREAD_URLS=URL,...] [-e SUBSCRIPTIONS=1000] \
//          [-e SUBS_PER_CONNECTION=10] [-e RATE=100] [-e WINDOW=50] [-e EVENTS=0 (RATE x DURATION)] [-e FROM=0] \
//          [-e DURATION=30] [-e WARMUP=0] [-e DRAIN=5] [-e SETUP=15] [-e SEED=1] loadtest/k6/ws/fanout.js
import { WebSocket } from 'k6/experimental/websockets';
import { setTimeout, clearTimeout } from 'k6/timers';
import { Counter, Trend } from 'k6/metrics';
import { SharedArray } from 'k6/data';
import exec from 'k6/execution';
import {
  params, whole, decimal, seed, within, MAX_INT, GRACE_SECONDS, gateway, relayInformation, readCorpus, lineId,
  readMessage, prefixOf, prefixCounter, prefixCounts, closeDescription, wakeup, TREND_STATS, trendJson, count, maxOf,
  round, javaDouble, javaMap, summaryOutput, latencyText, fanoutPlan,
} from './lib.js';

const P = params({
  CORPUS: '', SPREAD_URLS: '', SUBSCRIPTIONS: whole(1000, 1, 10000000), SUBS_PER_CONNECTION: whole(10, 1, 10000),
  RATE: decimal(100, 0.1, 1000000), WINDOW: whole(50, 1, 100000), EVENTS: whole(0, 0, MAX_INT),
  FROM: whole(0, 0, MAX_INT), DURATION: whole(30, 1, 86400), WARMUP: whole(0, 0, MAX_INT), DRAIN: whole(5, 0, 3600),
  SETUP: whole(15, 1, 3600), SEED: seed(1),
});
within('WARMUP', P.WARMUP, 0, P.DURATION - 1);
const corpus = new SharedArray('corpus', () => readCorpus(P.CORPUS));
within('FROM', P.FROM, 0, corpus.length - 1);
const planned = P.EVENTS > 0 ? within('EVENTS', P.EVENTS, 1, corpus.length - P.FROM)
  : Math.min(corpus.length - P.FROM, Math.ceil(P.RATE * P.DURATION));
/** Events due in the first WARMUP seconds: checked like the others, their latencies kept out of the figures. */
const warmupEvents = Math.min(planned, Math.ceil(P.RATE * P.WARMUP));
const connections = Math.ceil(P.SUBSCRIPTIONS / P.SUBS_PER_CONNECTION);

// Built once: per subscription its filters and matched planned events; last, per planned event its reach.
const plan = new SharedArray('fanout-plan', () => {
  const events = [];
  for (let k = 0; k < planned; k++) events.push(JSON.parse(corpus[P.FROM + k]));
  const built = fanoutPlan(events, P.SUBSCRIPTIONS, P.SEED);
  return built.subscriptions.concat([{ reach: built.reach }]);
});

export const options = {
  scenarios: {
    subscribers: {
      executor: 'per-vu-iterations', exec: 'subscribe', vus: connections, iterations: 1,
      maxDuration: `${P.SETUP + P.DURATION + GRACE_SECONDS + P.DRAIN + 30}s`,
    },
    publisher: {
      executor: 'per-vu-iterations', exec: 'publish', vus: 1, iterations: 1,
      maxDuration: `${P.SETUP + P.DURATION + GRACE_SECONDS + 30}s`,
    },
  },
  summaryTrendStats: TREND_STATS,
};

// Subscribers.
const fromDue = new Trend('publish_to_deliver', true);
const warmupFromDue = new Trend('warmup_publish_to_deliver', true);
const delivered = new Counter('fanout_delivered');
const notReceived = new Counter('fanout_not_received');
const duplicated = new Counter('fanout_duplicated');
const unexpected = new Counter('fanout_unexpected');
/** Matches of subscriptions refused at set-up or never opened: the Java harness leaves them out of the recipients. */
const leftOut = new Counter('fanout_left_out');
const storedBeforeEose = new Counter('fanout_stored_before_eose');
const late = new Counter('subscriptions_late');
const refused = prefixCounter('refused');
const failedToOpen = new Counter('connections_failed');
const closedByRelay = new Counter('connections_closed_by_relay');
const setupSeconds = new Trend('setup_seconds');
const lastDeliverySeconds = new Trend('last_delivery_seconds');
const drainedSeconds = new Trend('drained_seconds');
// The publisher.
const sendLag = new Trend('publish_send_lag', true);
const okLatency = new Trend('publish_ok_latency', true);
const published = new Counter('published');
const oks = new Counter('publish_oks');
const acceptedNew = new Counter('accepted_new');
const duplicates = new Counter('duplicates');
const rejected = prefixCounter('rejected');
const unanswered = new Counter('unanswered');
const expectedReach = new Counter('fanout_expected');
/** Matches of planned events not accepted as new (rejected, duplicate, unanswered or never sent). */
const notNewReach = new Counter('fanout_not_new');
const publishSeconds = new Trend('publish_seconds');
const publishedSeconds = new Trend('published_seconds');

export function setup() {
  const nip11 = relayInformation(P.URL);
  const setupStart = Date.now();
  return { nip11: nip11, setupStart: setupStart, t0: setupStart + P.SETUP * 1000 };
}

export function subscribe(data) {
  const connection = exec.scenario.iterationInTest;
  const first = connection * P.SUBS_PER_CONNECTION;
  const end = Math.min(P.SUBSCRIPTIONS, first + P.SUBS_PER_CONNECTION);
  const slots = [];
  // First deliveries still to come, over the subscriptions not left out: none left means drained.
  let remaining = 0;
  for (let s = first; s < end; s++) {
    const sub = plan[s];
    slots.push({ filters: sub.filters, matched: new Map(sub.matched), got: new Map(), ready: false, closed: false,
      leftOut: false });
    remaining += sub.matched.length;
  }
  let pending = slots.length;
  const scheduleEnd = data.t0 + ((planned - 1) * 1000) / P.RATE;
  const deadline = data.t0 + (P.DURATION + GRACE_SECONDS + P.DRAIN) * 1000;
  const ws = new WebSocket(gateway(P, connection));
  let opened = false;
  let closing = false;
  let lastDelivery = data.t0;
  let scheduleOver = false;
  let closer = null;
  let drainCheck = null;

  function finish() {
    if (closing) return;
    closing = true;
    drainedSeconds.add((Date.now() - data.t0) / 1000);
    ws.close();
  }

  // The Java harness's drain: once publishing is over, stop when every expected delivery arrived.
  function finishIfDrained() {
    if (remaining === 0 && scheduleOver) finish();
  }

  function settle(slot, closedWith) {
    const now = Date.now();
    if (slot.ready) {
      if (closedWith !== null && !slot.closed) {
        slot.closed = true; // closed during the run: its matches stay expected, as in the Java harness
        refused(closedWith);
      }
      return;
    }
    slot.ready = true;
    if (closedWith !== null) {
      slot.closed = true;
      slot.leftOut = true;
      refused(closedWith);
      remaining -= slot.matched.size;
    }
    if (now > data.t0) late.add(1);
    if (--pending === 0) setupSeconds.add((now - data.setupStart) / 1000);
    finishIfDrained();
  }

  function deliver(slot, id) {
    if (!slot.ready) {
      storedBeforeEose.add(1); // limit 0 asks for none; a relay that sends some anyway is not live fanout
      return;
    }
    const now = Date.now();
    lastDelivery = now;
    const n = (slot.got.get(id) || 0) + 1;
    slot.got.set(id, n);
    const k = slot.matched.get(id);
    if (n === 1 && k !== undefined && !slot.leftOut) {
      const due = data.t0 + (k * 1000) / P.RATE;
      (k < warmupEvents ? warmupFromDue : fromDue).add(now - due);
      remaining--;
      finishIfDrained();
    }
  }

  ws.onopen = () => {
    opened = true;
    slots.forEach((slot, i) => ws.send(JSON.stringify(['REQ', `s${first + i}`].concat(slot.filters))));
    closer = setTimeout(finish, Math.max(0, deadline - Date.now()));
    drainCheck = setTimeout(() => {
      scheduleOver = true;
      finishIfDrained();
    }, Math.max(0, scheduleEnd - Date.now()));
  };
  ws.onmessage = (e) => {
    const m = readMessage(e.data);
    const s = typeof m[1] === 'string' && /^s\d+$/.test(m[1]) ? Number(m[1].substring(1)) : -1;
    if (s < first || s >= end) return;
    const slot = slots[s - first];
    if (m[0] === 'EVENT' && m[2] !== null) deliver(slot, m[2]);
    else if (m[0] === 'EOSE') settle(slot, null);
    else if (m[0] === 'CLOSED') settle(slot, typeof m[2] === 'string' ? m[2] : '');
  };
  ws.onclose = (e) => {
    if (closer !== null) clearTimeout(closer);
    if (drainCheck !== null) clearTimeout(drainCheck);
    if (!opened) {
      failedToOpen.add(1);
      slots.forEach((slot) => leftOut.add(slot.matched.size));
      return;
    }
    if (!closing) {
      closedByRelay.add(1);
      console.error(`subscriber connection ${connection} closed by the relay: ${closeDescription(e)}`);
    }
    lastDeliverySeconds.add((lastDelivery - data.t0) / 1000);
    // Per subscription, as the Java harness's report: a matched event received once is delivered, again is
    // duplicated, never is not received; any other delivery is unexpected.
    const tally = { delivered: 0, notReceived: 0, duplicated: 0, unexpected: 0, leftOut: 0, late: 0 };
    for (const slot of slots) {
      if (!slot.ready) tally.late++;
      if (slot.leftOut) {
        tally.leftOut += slot.matched.size;
        slot.got.forEach((n) => { tally.unexpected += n; });
        continue;
      }
      let received = 0;
      slot.got.forEach((n, id) => {
        if (slot.matched.has(id)) {
          received++;
          tally.duplicated += n - 1;
        } else {
          tally.unexpected += n;
        }
      });
      tally.delivered += received;
      tally.notReceived += slot.matched.size - received;
    }
    delivered.add(tally.delivered);
    notReceived.add(tally.notReceived);
    duplicated.add(tally.duplicated);
    unexpected.add(tally.unexpected);
    leftOut.add(tally.leftOut);
    late.add(tally.late);
  };
  ws.onerror = (e) => console.error(`subscriber connection ${connection}: ${e.error || e.message || e}`);
}

export function publish(data) {
  const reach = plan[plan.length - 1].reach;
  const isNew = new Array(planned).fill(false);
  const sentAt = new Array(planned);
  const inFlight = new Map(); // event id -> k
  const ws = new WebSocket(P.URL);
  const wake = wakeup(fill);
  let sent = 0;
  let lastOk = data.t0;
  let opened = false;
  let stopping = false;
  let starter = null;
  let deadline = null;
  let grace = null;

  function fill() {
    while (!stopping && sent < planned && inFlight.size < P.WINDOW) {
      const due = data.t0 + (sent * 1000) / P.RATE;
      const now = Date.now();
      if (due > now) {
        wake.at(due);
        return;
      }
      const k = sent++;
      sentAt[k] = now;
      sendLag.add(now - due);
      const line = corpus[P.FROM + k];
      inFlight.set(lineId(line), k);
      published.add(1);
      ws.send(`["EVENT",${line}]`);
    }
  }

  function finish() {
    stopping = true;
    ws.close();
  }

  function finishIfDone() {
    if ((stopping || sent === planned) && inFlight.size === 0) finish();
  }

  ws.onopen = () => {
    opened = true;
    starter = setTimeout(() => {
      deadline = setTimeout(() => {
        stopping = true;
        grace = setTimeout(finish, GRACE_SECONDS * 1000);
        finishIfDone();
      }, P.DURATION * 1000);
      fill();
    }, Math.max(0, data.t0 - Date.now()));
  };
  ws.onmessage = (e) => {
    const m = readMessage(e.data);
    if (m[0] !== 'OK' || !inFlight.has(m[1])) return;
    const k = inFlight.get(m[1]);
    inFlight.delete(m[1]);
    lastOk = Date.now();
    oks.add(1);
    okLatency.add(lastOk - sentAt[k]);
    if (!m[2]) {
      rejected(m[3]);
    } else if (prefixOf(m[3]) === 'duplicate') {
      duplicates.add(1);
    } else {
      isNew[k] = true;
      acceptedNew.add(1);
      expectedReach.add(reach[k]);
    }
    fill();
    finishIfDone();
  };
  ws.onclose = () => {
    wake.cancel();
    [starter, deadline, grace].forEach((t) => { if (t !== null) clearTimeout(t); });
    if (!opened) failedToOpen.add(1);
    unanswered.add(inFlight.size);
    let notNew = 0;
    isNew.forEach((yes, k) => { if (!yes) notNew += reach[k]; });
    notNewReach.add(notNew);
    publishSeconds.add((lastOk - data.t0) / 1000);
    publishedSeconds.add((Date.now() - data.t0) / 1000);
  };
  ws.onerror = (e) => console.error(`publisher: ${e.error || e.message || e}`);
}

export function handleSummary(data) {
  const got = count(data, 'fanout_delivered');
  const dup = count(data, 'fanout_duplicated');
  // The publisher's reach of events accepted as new, less the subscriptions left out.
  const expected = Math.max(0, count(data, 'fanout_expected') - count(data, 'fanout_left_out'));
  // Subscribers cannot know which events the relay accepted as new. When it accepted every planned one, their counts
  // per subscription are exactly the Java harness's; otherwise only the totals can be set against each other.
  const perSubscription = count(data, 'fanout_not_new') === 0;
  const deliveredNew = perSubscription ? got : Math.min(got, expected);
  const missed = perSubscription ? count(data, 'fanout_not_received') : Math.max(0, expected - got);
  const extra = count(data, 'fanout_unexpected') + (perSubscription ? 0 : Math.max(0, got - expected));
  const refusals = prefixCounts(data, 'refused');
  const refusedCount = Object.keys(refusals).reduce((n, p) => n + refusals[p], 0);
  const rejects = prefixCounts(data, 'rejected');
  const lateCount = count(data, 'subscriptions_late');
  const failed = count(data, 'connections_failed');
  const closed = count(data, 'connections_closed_by_relay');
  const sent = count(data, 'published');
  const accepted = count(data, 'accepted_new');
  const dupOks = count(data, 'duplicates');
  const unansweredCount = count(data, 'unanswered');
  const setupTook = maxOf(data, 'setup_seconds');
  const publishTook = Math.max(1e-9, maxOf(data, 'publish_seconds'));
  const deliveryTook = Math.max(1e-9, maxOf(data, 'last_delivery_seconds'));
  const results = {
    subscriptions: P.SUBSCRIPTIONS, connections: connections, setup_seconds: round(setupTook),
    subscriptions_refused: refusals, subscriptions_late: lateCount, events_planned: planned, published: sent,
    accepted_new: accepted, duplicates: dupOks, rejected: rejects, unanswered: unansweredCount,
    publish_seconds: round(publishTook), publish_rate: round(count(data, 'publish_oks') / publishTook),
    publish_ok_latency: trendJson(data.metrics.publish_ok_latency), expected_deliveries: expected,
    delivered: deliveredNew, missed: missed, duplicated: dup, unexpected: extra,
    counted_per_subscription: perSubscription, stored_before_eose: count(data, 'fanout_stored_before_eose'),
    deliveries_per_second: round(deliveredNew / deliveryTook),
    drain_seconds: round(Math.max(0, maxOf(data, 'drained_seconds') - maxOf(data, 'published_seconds'))),
    warmup_seconds: P.WARMUP, warmup_events: warmupEvents,
    warmup_publish_to_deliver_from_due: trendJson(data.metrics.warmup_publish_to_deliver),
    publish_send_lag: trendJson(data.metrics.publish_send_lag),
    publish_to_deliver_from_due: trendJson(data.metrics.publish_to_deliver), connections_failed: failed,
    connections_closed_by_relay: closed,
  };
  const rows = [
    ['subscriptions', `${P.SUBSCRIPTIONS} on ${connections} connections (${P.SUBS_PER_CONNECTION} each), ready in `
      + `${setupTook.toFixed(2)} s`],
    ['published / accepted', `${sent} / ${accepted} at ${results.publish_rate.toFixed(1)} events/s `
      + `(target ${javaDouble(P.RATE)})`],
    ['publisher OK latency', latencyText(data.metrics.publish_ok_latency)],
    ['deliveries expected', `${expected}`],
    ['delivered / missed / duplicated', `${deliveredNew} / ${missed} / ${dup}`],
    ['unexpected deliveries', `${extra}`],
    ['deliveries/s', (deliveredNew / deliveryTook).toFixed(0)],
    ['warm-up (not in the figures below)', P.WARMUP === 0 ? 'none' : `first ${P.WARMUP} s, ${warmupEvents} events, `
      + `from due ${latencyText(data.metrics.warmup_publish_to_deliver)}`],
    ['publisher send lag (sent − due)', latencyText(data.metrics.publish_send_lag)],
    ['publish→deliver (from due)', latencyText(data.metrics.publish_to_deliver)],
  ];
  if (!perSubscription) {
    rows.push(['counted', 'in total, not per subscription: some planned events were not accepted as new']);
  }
  if (Object.keys(rejects).length > 0 || dupOks > 0) {
    rows.push(['publisher rejects / duplicates', `${javaMap(rejects)} / ${dupOks}`]);
  }
  if (refusedCount > 0) rows.push(['subscriptions refused', javaMap(refusals)]);
  if (lateCount > 0) rows.push(['subscriptions not ready at SETUP', `${lateCount}`]);
  if (failed > 0) rows.push(['connections failed', `${failed} (errors on stderr)`]);
  if (closed > 0) rows.push(['closed by relay', `${closed} (close codes on stderr)`]);
  const verdict = deliveredNew === 0 ? 'nothing delivered'
    : missed > 0 || dup > 0 || extra > 0 ? `${missed} missed, ${dup} duplicated, ${extra} unexpected deliveries`
      : refusedCount > 0 ? `${refusedCount} subscriptions refused`
        : lateCount > 0 ? `${lateCount} subscriptions not ready when publishing started`
          : failed > 0 || closed > 0 ? 'connections failed or were closed'
            : unansweredCount > 0 ? `${unansweredCount} events never answered` : 'ok';
  return summaryOutput('fanout', P, data, results, rows, verdict === 'ok', verdict);
}
