// Shared by the k6 scenarios: parameters, the corpus, NIP-01 filter matching, the Java harness's random draws (its
// SplittableRandom, REQ mix and fanout subscriptions), the send schedule and the result file. Mirrors the Java
// harness (dev.strata.loadtest); see loadtest/README.md.
//
// Each VU keeps its mutable state inside its own function: nothing here is written after the init stage.
import http from 'k6/http';
import { Counter } from 'k6/metrics';
import { setTimeout, clearTimeout } from 'k6/timers';

/** After the deadline, how long messages already sent may take to be answered (IngestScenario.GRACE_SECONDS). */
export const GRACE_SECONDS = 10;

/** Java's Integer.MAX_VALUE, the bound of the Java harness's int options. */
export const MAX_INT = 2147483647;

/** A whole-number parameter: its default and the range the Java harness accepts for the same option. */
export function whole(value, min, max) {
  return { kind: 'whole', value: value, min: min, max: max };
}

/** A decimal parameter (a rate): its default and range. */
export function decimal(value, min, max) {
  return { kind: 'decimal', value: value, min: min, max: max };
}

/** A 64-bit seed, kept exactly as a BigInt: every bit of it changes the draws, as in the Java harness. */
export function seed(value) {
  return { kind: 'seed', value: BigInt(value) };
}

/** Fails like the Java harness's Options when a value is out of the option's range. */
export function within(name, n, min, max) {
  if (!(n >= min && n <= max)) {
    throw new Error(`${name} must be from ${min} to ${max}, not ${n}`);
  }
  return n;
}

/** A value given with -e, read as the Java harness's Options reads one (whole numbers may have _ separators). */
function number(name, spec, given) {
  const text = spec.kind === 'decimal' ? given.trim() : given.replace(/_/g, '');
  const ok = spec.kind === 'decimal' ? text !== '' && isFinite(Number(text)) : /^[+-]?\d+$/.test(text);
  if (!ok) {
    throw new Error(`${name} must be ${spec.kind === 'decimal' ? 'a number' : 'a whole number'}, not "${given}"`);
  }
  if (spec.kind !== 'seed') {
    return within(name, Number(text), spec.min, spec.max);
  }
  const n = BigInt(text);
  if (n < -SIGN64 || n >= SIGN64) {
    throw new Error(`${name} must be from ${-SIGN64} to ${SIGN64 - 1n}, not ${n}`);
  }
  return n;
}

const WS_URL = /^ws:\/\/[^/]+/;

/** Parameters from -e NAME=value: the Java harness's options, defaults and ranges. A string spec is a default. */
export function params(spec) {
  const p = {};
  const all = Object.assign({ URL: 'ws://127.0.0.1:7777/', RESULTS_DIR: 'loadtest-results', LABEL: '' }, spec);
  for (const name of Object.keys(all)) {
    const s = all[name];
    const given = __ENV[name];
    if (typeof s === 'string') {
      p[name] = given === undefined || given === '' ? s : given;
    } else {
      p[name] = given === undefined || given === '' ? s.value : number(name, s, given);
    }
  }
  for (const url of gateways(p)) {
    if (!WS_URL.test(url)) {
      throw new Error(`URL and SPREAD_URLS must be ws://host:port/ (plain WebSocket), not ${url}`);
    }
  }
  return p;
}

/** URL, then each SPREAD_URLS gateway (further gateways of one cluster), as the Java harness's --spread-urls. */
function gateways(p) {
  const spread = (p.SPREAD_URLS || '').split(',').map((u) => u.trim()).filter((u) => u.length > 0);
  return [p.URL].concat(spread);
}

/** Where connection i goes: the gateways in turn. */
export function gateway(p, i) {
  const all = gateways(p);
  return all[i % all.length];
}

/** The relay's NIP-11 document, fetched in setup() to record what was measured, as the Java harness does. */
export function relayInformation(url) {
  const res = http.get(url.replace(/^ws:/, 'http:'), {
    headers: { Accept: 'application/nostr+json' }, timeout: '5s',
  });
  if (res.status !== 200) {
    return { unavailable: res.error || `HTTP ${res.status}` };
  }
  try {
    return JSON.parse(res.body);
  } catch (e) {
    return { unavailable: String(e.message) };
  }
}

/** The corpus lines (one event's JSON each), read once in the init stage. */
export function readCorpus(path) {
  if (!path) {
    throw new Error('CORPUS is required: -e CORPUS=/absolute/path/corpus.jsonl (java -jar strata-loadtest.jar corpus)');
  }
  const lines = open(path).split('\n').filter((line) => line.trim().length > 0);
  if (lines.length === 0) {
    throw new Error(`corpus file ${path} holds no events`);
  }
  return lines;
}

/** The event id of a corpus line (the generator writes "id" first; anything else is parsed). */
export function lineId(line) {
  return line.startsWith('{"id":"') ? line.substr(7, 64) : JSON.parse(line).id;
}

const EVENT_HEAD = /^\[\s*"EVENT"\s*,\s*"((?:[^"\\]|\\.)*)"\s*,/;
const ID_FIELD = /"id"\s*:\s*"([0-9a-f]{64})"/;

/**
 * A relay message read as far as needed: EVENT gives [verb, subId, eventId] without parsing the event (an escaped
 * quote in content or tags can never form "id": followed by a quote), everything else is parsed.
 */
export function readMessage(text) {
  const head = EVENT_HEAD.exec(text);
  if (head) {
    const id = ID_FIELD.exec(text.substring(head[0].length));
    return ['EVENT', JSON.parse(`"${head[1]}"`), id ? id[1] : null];
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    return ['?'];
  }
}

/** The part of a message before ':', as NIP-01 machine-readable prefixes go ("" when there is none). */
export function prefixOf(message) {
  const colon = (message || '').indexOf(':');
  return colon > 0 && colon <= 20 ? message.substring(0, colon) : '';
}

/** NIP-01 (and NIP-42) prefixes, each with its own counter; anything else is "other". */
const PREFIXES = ['auth-required', 'blocked', 'duplicate', 'error', 'invalid', 'mute', 'other', 'pow', 'rate-limited',
  'restricted', 'unsupported'];

function prefixMetric(name, prefix) {
  return `${name}_${prefix.replace('-', '_')}`;
}

/**
 * Counts refusals (OK false, CLOSED) by prefix. k6 metrics must all exist before the test starts, so a message
 * without a known prefix counts as "other", where the Java harness keys it by its text.
 */
export function prefixCounter(name) {
  const counters = {};
  PREFIXES.forEach((p) => { counters[p] = new Counter(prefixMetric(name, p)); });
  return (message) => {
    const p = prefixOf(message);
    counters[PREFIXES.indexOf(p) >= 0 ? p : 'other'].add(1);
  };
}

/** What a prefixCounter counted: {prefix: n}, in order. */
export function prefixCounts(data, name) {
  const out = {};
  PREFIXES.forEach((p) => {
    const n = count(data, prefixMetric(name, p));
    if (n > 0) out[p] = n;
  });
  return out;
}

/** "1001 going away", or "no close frame" for a dropped connection, as the Java harness describes a close. */
export function closeDescription(event) {
  if (!event || !event.code || event.code === 1006) return 'no close frame';
  return event.reason ? `${event.code} ${event.reason}` : `${event.code}`;
}

/**
 * Runs `action` when the next message is due (ms since the epoch): one timer armed for that moment, as the Java
 * harness's Wakeup, rather than a tick every millisecond, which in every VU costs more CPU than the messages.
 */
export function wakeup(action) {
  let timer = null;
  let armedFor = 0;
  return {
    at(due) {
      if (timer !== null) {
        if (armedFor <= due) return;
        clearTimeout(timer);
      }
      armedFor = due;
      timer = setTimeout(() => {
        timer = null;
        action();
      }, Math.max(1, Math.ceil(due - Date.now())));
    },
    cancel() {
      if (timer !== null) clearTimeout(timer);
      timer = null;
    },
  };
}

/** NIP-01 matching: every present field must match, any value within a field may. */
function matches(filter, event) {
  if (filter.ids && filter.ids.indexOf(event.id) < 0) return false;
  if (filter.authors && filter.authors.indexOf(event.pubkey) < 0) return false;
  if (filter.kinds && filter.kinds.indexOf(event.kind) < 0) return false;
  if (filter.since !== undefined && event.created_at < filter.since) return false;
  if (filter.until !== undefined && event.created_at > filter.until) return false;
  for (const key of Object.keys(filter)) {
    if (key.length === 2 && key[0] === '#') {
      const values = filter[key];
      const name = key[1];
      let found = false;
      for (const tag of event.tags) {
        if (tag.length > 1 && tag[0] === name && values.indexOf(tag[1]) >= 0) {
          found = true;
          break;
        }
      }
      if (!found) return false;
    }
  }
  return true;
}

function anyMatches(filters, event) {
  for (const f of filters) {
    if (matches(f, event)) return true;
  }
  return false;
}

// java.util.SplittableRandom as of JDK 17. A Java long is a BigInt holding its 64 bits (0 <= x < 2^64), so that
// wrap-around is a mask; a Java int is a Number.
const MASK64 = 0xffffffffffffffffn;
const SIGN64 = 0x8000000000000000n;
const GOLDEN_GAMMA = 0x9e3779b97f4a7c15n;

function mix64(z) {
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return z ^ (z >> 31n);
}

function mix32(z) {
  z = ((z ^ (z >> 33n)) * 0x62a9d9ed799705f5n) & MASK64;
  return Number((((z ^ (z >> 28n)) * 0xcb24d0a5c88c35b3n) & MASK64) >> 32n) | 0;
}

function signed64(z) {
  return z >= SIGN64 ? z - (MASK64 + 1n) : z;
}

/**
 * The Java harness's generator, draw for draw: the same seed gives the same REQs and subscriptions. nextInt and
 * nextBoolean return Numbers, nextLong a BigInt (a Java long).
 */
export class SplittableRandom {
  constructor(seedValue) {
    this.state = BigInt(seedValue) & MASK64;
  }

  nextSeed() {
    this.state = (this.state + GOLDEN_GAMMA) & MASK64;
    return this.state;
  }

  /** nextInt(), or RandomSupport.boundedNextInt when given a bound. */
  nextInt(bound) {
    if (bound === undefined) return mix32(this.nextSeed());
    if (!(Number.isInteger(bound) && bound > 0 && bound <= MAX_INT)) throw new RangeError('bound must be positive');
    const m = bound - 1;
    let r = this.nextInt();
    if ((bound & m) === 0) return r & m;
    // The JDK's rejection of over-represented candidates: u + m - r overflows an int exactly when u is one.
    for (let u = r >>> 1; ((u + m - (r = u % bound)) | 0) < 0; u = this.nextInt() >>> 1);
    return r;
  }

  /** nextLong(), or RandomSupport.boundedNextLong when given a bound. */
  nextLong(bound) {
    if (bound === undefined) return signed64(mix64(this.nextSeed()));
    const b = BigInt(bound);
    if (b <= 0n || b >= SIGN64) throw new RangeError('bound must be positive');
    const m = b - 1n;
    let r = mix64(this.nextSeed());
    if ((b & m) === 0n) return r & m;
    for (let u = r >> 1n; ((u + m - (r = u % b)) & MASK64) >= SIGN64; u = mix64(this.nextSeed()) >> 1n);
    return r;
  }

  nextBoolean() {
    return this.nextInt() < 0;
  }
}

/** The REQ shapes of the query scenario, named as the Java harness reports them (QueryMix.Shape). */
export const SHAPES = ['ids', 'authors_kinds', 'p_tag', 't_tag', 'window'];
const MIX_NAMES = new Map([['ids', 'ids'], ['authors', 'authors_kinds'], ['p', 'p_tag'], ['t', 't_tag'],
  ['window', 'window']]);
export const DEFAULT_MIX = 'ids=20,authors=30,p=15,t=15,window=20';

/** MIX as QueryMix.parse reads --mix: the weights in the order first given, a repeated name keeping its place. */
export function parseMix(text) {
  const weights = new Map();
  for (const part of text.split(',')) {
    const kv = part.trim().split('=');
    while (kv.length > 1 && kv[kv.length - 1] === '') kv.pop(); // as Java's String.split drops trailing empties
    const shape = kv.length === 2 ? MIX_NAMES.get(kv[0].trim()) : undefined;
    const n = kv.length === 2 && /^[+-]?\d+$/.test(kv[1].trim()) ? Number(kv[1].trim()) : -1;
    if (shape === undefined || !(n >= 0 && n <= MAX_INT)) {
      throw new Error(`MIX must look like ${DEFAULT_MIX}, not "${text}"`);
    }
    weights.set(shape, n);
  }
  let total = 0;
  weights.forEach((w) => { total += w; });
  if (total === 0) {
    throw new Error('MIX gives every shape weight 0');
  }
  return { weights: Array.from(weights), total: total };
}

/** What the REQ mix draws from: the first `loaded` corpus events, ephemeral ones left out (never stored). */
export function queryPools(lines, loaded) {
  const pools = { ids: [], pubkeys: [], kinds: [], createdAt: [], p: [], t: [] };
  for (let i = 0; i < loaded; i++) {
    const e = JSON.parse(lines[i]);
    if (e.kind >= 20000 && e.kind < 30000) continue;
    pools.ids.push(e.id);
    pools.pubkeys.push(e.pubkey);
    pools.kinds.push(e.kind);
    pools.createdAt.push(e.created_at);
    for (const tag of e.tags) {
      if (tag.length > 1 && tag[0] === 'p') pools.p.push(tag[1]);
      else if (tag.length > 1 && tag[0] === 't') pools.t.push(tag[1]);
    }
  }
  if (pools.ids.length === 0) {
    throw new Error(`no storable event among the first ${loaded} of the corpus`);
  }
  return pools;
}

/** Query connection c's generator, seeded as QueryScenario seeds it. */
export function queryRandom(seedValue, connection) {
  return new SplittableRandom(seedValue * 31n + BigInt(connection));
}

/** One REQ of the mix, drawn as QueryMix.pick and QueryMix.filter draw it: [shape, filter]. */
export function drawQuery(rng, pools, mix, limit) {
  let r = rng.nextInt(mix.total);
  let i = 0;
  while (r >= mix.weights[i][1]) {
    r -= mix.weights[i][1];
    i++;
  }
  const shape = mix.weights[i][0];
  return [shape, queryFilter(shape, rng, pools, limit)];
}

function queryFilter(shape, rng, pools, limit) {
  const stored = pools.ids.length;
  if (shape === 'ids') {
    const ids = new Set();
    for (let k = 0, n = 1 + rng.nextInt(20); k < n; k++) ids.add(pools.ids[rng.nextInt(stored)]);
    return { ids: Array.from(ids), limit: limit };
  }
  if (shape === 'p_tag' && pools.p.length > 0) return { '#p': [pools.p[rng.nextInt(pools.p.length)]], limit: limit };
  if (shape === 't_tag' && pools.t.length > 0) return { '#t': [pools.t[rng.nextInt(pools.t.length)]], limit: limit };
  if (shape === 'window') {
    const at = pools.createdAt[rng.nextInt(stored)];
    const width = 600 + Number(rng.nextLong(6 * 3600));
    const half = Math.floor(width / 2);
    return { since: Math.max(0, at - half), until: at + half, limit: limit };
  }
  // authors_kinds, and a tag shape the loaded events have no tags for: 1-3 authors, picked through their events
  // so that prolific authors come up more often, and the kinds of those events.
  const authors = new Set();
  const kinds = new Set();
  for (let k = 0, n = 1 + rng.nextInt(3); k < n; k++) {
    const i = rng.nextInt(stored);
    authors.add(pools.pubkeys[i]);
    kinds.add(pools.kinds[i]);
  }
  return { authors: Array.from(authors), kinds: Array.from(kinds), limit: limit };
}

const RARE_KINDS = [0, 3, 4, 6, 9735, 10002, 30000, 30023];

/**
 * The fanout subscriptions, drawn as FanoutScenario.subscriptionFilters draws them: one or two filters each from
 * the events to be published (authors, #p, #t, rarer kinds), all with limit 0 so that only live events arrive.
 */
function subscriptionFilters(events, count, seedValue) {
  const rng = new SplittableRandom(seedValue);
  const ps = [];
  const ts = [];
  const rare = [];
  for (const e of events) {
    for (const tag of e.tags) {
      if (tag.length > 1 && tag[0] === 'p') ps.push(tag[1]);
      else if (tag.length > 1 && tag[0] === 't') ts.push(tag[1]);
    }
    if (RARE_KINDS.indexOf(e.kind) >= 0) rare.push(e.kind);
  }
  function one() {
    const shape = rng.nextInt(100);
    if (shape >= 35 && shape < 60 && ps.length > 0) {
      const values = new Set();
      for (let n = 1 + rng.nextInt(3); n > 0; n--) values.add(ps[rng.nextInt(ps.length)]);
      return { '#p': Array.from(values), limit: 0 };
    }
    if (shape >= 60 && shape < 85 && ts.length > 0) {
      const values = new Set();
      for (let n = 1 + rng.nextInt(2); n > 0; n--) values.add(ts[rng.nextInt(ts.length)]);
      return { '#t': Array.from(values), limit: 0 };
    }
    if (shape >= 85 && rare.length > 0) {
      // Kinds alone, but only the rarer ones: a kind-1 firehose per subscriber is not what clients ask for.
      return { kinds: [rare[rng.nextInt(rare.length)]], limit: 0 };
    }
    const authors = new Set();
    for (let n = 1 + rng.nextInt(5); n > 0; n--) authors.add(events[rng.nextInt(events.length)].pubkey);
    return rng.nextBoolean() ? { authors: Array.from(authors), limit: 0 }
      : { authors: Array.from(authors), kinds: [1, 6, 7, 30023], limit: 0 };
  }
  const subs = [];
  for (let s = 0; s < count; s++) {
    const filters = [one()];
    if (rng.nextInt(10) < 3) filters.push(one());
    subs.push(filters);
  }
  return subs;
}

/**
 * Subscriptions filed by author, tag value or kind, as the Java harness's Recipients, so that an event is tested
 * only against those that could match; returns event -> the numbers of the subscriptions it matches, increasing.
 */
function recipientIndex(subs) {
  const byKey = new Map();
  const broad = [];
  function file(key, s) {
    let list = byKey.get(key);
    if (!list) {
      list = [];
      byKey.set(key, list);
    }
    list.push(s);
  }
  subs.forEach((filters, s) => {
    for (const f of filters) {
      const tagKey = Object.keys(f).filter((k) => k.length === 2 && k[0] === '#')[0];
      if (f.authors) f.authors.forEach((a) => file(`a:${a}`, s));
      else if (tagKey) f[tagKey].forEach((v) => file(`${tagKey[1]}:${v}`, s));
      else if (f.kinds) f.kinds.forEach((k) => file(`k:${k}`, s));
      else broad.push(s);
    }
  });
  return function recipients(event) {
    const candidates = new Set(broad);
    const add = (list) => {
      if (list) list.forEach((s) => candidates.add(s));
    };
    add(byKey.get(`a:${event.pubkey}`));
    add(byKey.get(`k:${event.kind}`));
    for (const tag of event.tags) {
      if (tag.length > 1 && tag[0].length === 1) add(byKey.get(`${tag[0]}:${tag[1]}`));
    }
    const out = [];
    candidates.forEach((s) => {
      if (anyMatches(subs[s], event)) out.push(s);
    });
    return out.sort((x, y) => x - y);
  };
}

/**
 * The fanout plan, computed once in the init stage: each subscription's filters and the planned events its filters
 * match ([id, k], k the event's place in the plan), and per planned event how many subscriptions it reaches.
 */
export function fanoutPlan(events, subscriptions, seedValue) {
  const subs = subscriptionFilters(events, subscriptions, seedValue);
  const recipients = recipientIndex(subs);
  const matched = subs.map(() => []);
  const reach = events.map((e, k) => {
    const to = recipients(e);
    to.forEach((s) => matched[s].push([e.id, k]));
    return to.length;
  });
  return { subscriptions: subs.map((filters, s) => ({ filters: filters, matched: matched[s] })), reach: reach };
}

/** Two decimals, as the Java harness rounds its result figures. */
export function round(x) {
  return Math.round(x * 100) / 100;
}

/** A rate as Java prints a double (100 -> "100.0"), so that summary rows read the same. */
export function javaDouble(x) {
  return Number.isInteger(x) && Math.abs(x) < 1e7 ? x.toFixed(1) : String(x);
}

/** {a=1, b=2}, as Java prints a map. */
export function javaMap(obj) {
  return `{${Object.keys(obj).map((k) => `${k}=${obj[k]}`).join(', ')}}`;
}

function ms(v) {
  return Math.round(v * 1000) / 1000;
}

/** A Trend as the Java harness's Latency.toJson: count, then (with samples) mean and percentiles in ms. */
export function trendJson(metric) {
  const v = metric && metric.values;
  if (!v || !v.count) return { count: 0 };
  return {
    count: v.count, mean_ms: ms(v.avg), p50_ms: ms(v.med), p90_ms: ms(v['p(90)']), p99_ms: ms(v['p(99)']),
    p999_ms: ms(v['p(99.9)']), max_ms: ms(v.max),
  };
}

/** The largest sample of a Trend (0 without samples): spans that each VU measures for itself. */
export function maxOf(data, name) {
  const m = data.metrics[name];
  return m && m.values && m.values.count ? m.values.max : 0;
}

export function count(data, name) {
  const m = data.metrics[name];
  return m && m.values ? m.values.count || 0 : 0;
}

/** Trend stats the summaries need: k6 shows p(90) and p(95) by default, and no count. */
export const TREND_STATS = ['avg', 'min', 'med', 'max', 'p(90)', 'p(99)', 'p(99.9)', 'count'];

/** "p50 1.23 · p90 2.50 · p99 9.80 · p99.9 12.1 · max 15.0 ms", as the Java harness's Latency.summary. */
export function latencyText(metric) {
  if (!metric || !metric.values || !metric.values.count) return 'no samples';
  const v = metric.values;
  const f = (x) => (x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0));
  return `p50 ${f(v.med)} · p90 ${f(v['p(90)'])} · p99 ${f(v['p(99)'])} · p99.9 ${f(v['p(99.9)'])} · max ${f(v.max)} ms`;
}

function stamp(date) {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/** handleSummary's answer: the Java harness's summary table on stdout and its result file's layout. */
export function summaryOutput(scenario, p, data, results, rows, passed, verdict) {
  const finished = new Date();
  const started = new Date(finished.getTime() - data.state.testRunDurationMs);
  const file = `${p.RESULTS_DIR}/k6-${scenario}-${stamp(started)}.json`;
  const setupData = data.setup_data || {};
  const report = {
    scenario: scenario, tool: 'k6', started_at: started.toISOString(), finished_at: finished.toISOString(),
    passed: passed, verdict: verdict, label: p.LABEL, target: { url: p.URL, nip11: setupData.nip11 }, params: p,
    results: results,
  };
  const width = Math.max.apply(null, rows.map((r) => r[0].length));
  const line = '-'.repeat(Math.min(100, width + 60));
  let text = `\n${scenario} (k6) against ${p.URL}: ${passed ? 'PASSED' : `FAILED — ${verdict}`}\n${line}\n`;
  for (const r of rows) text += `${r[0]}${' '.repeat(width - r[0].length)}  ${r[1]}\n`;
  text += `${line}\nresults: ${file}\n`;
  const out = { stdout: text };
  // A seed is a BigInt, which JSON has no place for: a number when exact, else its digits.
  out[file] = `${JSON.stringify(report, (k, v) => (typeof v !== 'bigint' ? v
    : v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString()),
  2)}\n`;
  return out;
}
