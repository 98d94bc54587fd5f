// Shared by the k6 scenarios: parameters, the corpus, NIP-01 filter matching, the REQ and subscription mixes and
// the result file. Mirrors the Java harness (dev.strata.loadtest); see loadtest/README.md.
//
// Each VU keeps its mutable state inside its own function: nothing here is written after the init stage.

/** Parameters from -e NAME=value, with the Java harness's defaults. */
export function params(defaults) {
  const p = {};
  const all = Object.assign({ URL: 'ws://127.0.0.1:7777/', RESULTS_DIR: 'loadtest-results', LABEL: '' }, defaults);
  for (const name of Object.keys(all)) {
    const given = __ENV[name];
    if (given === undefined || given === '') {
      p[name] = all[name];
    } else if (typeof all[name] === 'number') {
      const n = Number(given);
      if (!isFinite(n)) {
        throw new Error(`${name} must be a number, not "${given}"`);
      }
      p[name] = n;
    } else {
      p[name] = given;
    }
  }
  if (!/^ws:\/\/[^/]+/.test(p.URL)) {
    throw new Error(`URL must be ws://host:port/, not ${p.URL}`);
  }
  return p;
}

/** The corpus lines (one event's JSON each), read once in the init stage. */
export function readCorpus(path) {
  if (!path) {
    throw new Error('CORPUS is required: -e CORPUS=/absolute/path/corpus.jsonl (java -jar strata-loadtest.jar corpus)');
  }
  return open(path).split('\n').filter((line) => line.length > 0);
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

/** The NIP-01 machine-readable prefix of an OK or CLOSED message. */
export function prefixOf(message) {
  const m = /^([a-z-]{1,20}):/.exec(message || '');
  return m ? m[1] : 'other';
}

/** NIP-01 prefixes get their own counter; anything else is "other". */
export const PREFIXES = ['duplicate', 'pow', 'blocked', 'rate-limited', 'invalid', 'restricted', 'error',
  'auth-required', 'mute', 'unsupported', 'other'];

/** NIP-01 matching: every present field must match, any value within a field may. */
export function matches(filter, event) {
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

export function anyMatches(filters, event) {
  for (const f of filters) {
    if (matches(f, event)) return true;
  }
  return false;
}

/** A small seeded generator (mulberry32): the same draws in every VU for the same seed. */
export function random(seed) {
  let a = (seed >>> 0) || 1;
  return function () {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick(rng, list) {
  return list[Math.floor(rng() * list.length)];
}

const EPHEMERAL = (kind) => kind >= 20000 && kind < 30000;

/** What the REQ mix draws from: the first `loaded` corpus events, ephemeral ones left out (never stored). */
export function queryPools(lines, loaded) {
  const pools = { ids: [], pubkeys: [], kinds: [], p: [], t: [], createdAt: [] };
  for (let i = 0; i < Math.min(loaded, lines.length); i++) {
    const e = JSON.parse(lines[i]);
    if (EPHEMERAL(e.kind)) continue;
    pools.ids.push(e.id);
    pools.pubkeys.push(e.pubkey);
    pools.kinds.push(e.kind);
    pools.createdAt.push(e.created_at);
    for (const tag of e.tags) {
      if (tag.length > 1 && tag[0] === 'p') pools.p.push(tag[1]);
      else if (tag.length > 1 && tag[0] === 't') pools.t.push(tag[1]);
    }
  }
  return pools;
}

export const DEFAULT_MIX = 'ids=20,authors=30,p=15,t=15,window=20';

export function parseMix(text) {
  const mix = [];
  for (const part of text.split(',')) {
    const kv = part.trim().split('=');
    if (kv.length !== 2 || ['ids', 'authors', 'p', 't', 'window'].indexOf(kv[0]) < 0 || !(Number(kv[1]) >= 0)) {
      throw new Error(`MIX must look like ${DEFAULT_MIX}, not "${text}"`);
    }
    mix.push([kv[0], Number(kv[1])]);
  }
  return mix;
}

/** One REQ filter of the query mix: [shape, filter]. Same shapes and weights as the Java harness. */
export function queryFilter(rng, pools, mix, limit) {
  let total = 0;
  for (const m of mix) total += m[1];
  let r = rng() * total;
  let shape = mix[mix.length - 1][0];
  for (const m of mix) {
    r -= m[1];
    if (r < 0) {
      shape = m[0];
      break;
    }
  }
  const n = pools.ids.length;
  if (shape === 'ids') {
    const ids = [];
    for (let k = 1 + Math.floor(rng() * 20); k > 0; k--) ids.push(pick(rng, pools.ids));
    return [shape, { ids: Array.from(new Set(ids)), limit: limit }];
  }
  if (shape === 'p' && pools.p.length > 0) return [shape, { '#p': [pick(rng, pools.p)], limit: limit }];
  if (shape === 't' && pools.t.length > 0) return [shape, { '#t': [pick(rng, pools.t)], limit: limit }];
  if (shape === 'window') {
    const at = pools.createdAt[Math.floor(rng() * n)];
    const width = 600 + Math.floor(rng() * 6 * 3600);
    return [shape, { since: Math.max(0, at - Math.floor(width / 2)), until: at + Math.floor(width / 2), limit: limit }];
  }
  const authors = new Set();
  const kinds = new Set();
  for (let k = 1 + Math.floor(rng() * 3); k > 0; k--) {
    const i = Math.floor(rng() * n);
    authors.add(pools.pubkeys[i]);
    kinds.add(pools.kinds[i]);
  }
  return ['authors', { authors: Array.from(authors), kinds: Array.from(kinds), limit: limit }];
}

const RARE_KINDS = [0, 3, 4, 6, 9735, 10002, 30000, 30023];

/**
 * The fanout subscriptions: one or two filters each, drawn from the events to be published (authors, #p, #t,
 * rarer kinds), all with limit 0 so only live events arrive. Same shapes and proportions as the Java harness.
 */
export function subscriptionFilters(events, count, seed) {
  const rng = random(seed);
  const p = [];
  const t = [];
  const rare = [];
  for (const e of events) {
    for (const tag of e.tags) {
      if (tag.length > 1 && tag[0] === 'p') p.push(tag[1]);
      else if (tag.length > 1 && tag[0] === 't') t.push(tag[1]);
    }
    if (RARE_KINDS.indexOf(e.kind) >= 0) rare.push(e.kind);
  }
  function one() {
    const shape = Math.floor(rng() * 100);
    if (shape >= 35 && shape < 60 && p.length > 0) {
      const values = new Set();
      for (let k = 1 + Math.floor(rng() * 3); k > 0; k--) values.add(pick(rng, p));
      return { '#p': Array.from(values), limit: 0 };
    }
    if (shape >= 60 && shape < 85 && t.length > 0) {
      const values = new Set();
      for (let k = 1 + Math.floor(rng() * 2); k > 0; k--) values.add(pick(rng, t));
      return { '#t': Array.from(values), limit: 0 };
    }
    if (shape >= 85 && rare.length > 0) {
      return { kinds: [pick(rng, rare)], limit: 0 };
    }
    const authors = new Set();
    for (let k = 1 + Math.floor(rng() * 5); k > 0; k--) authors.add(pick(rng, events).pubkey);
    const f = { authors: Array.from(authors), limit: 0 };
    if (rng() < 0.5) f.kinds = [1, 6, 7, 30023];
    return f;
  }
  const subs = [];
  for (let s = 0; s < count; s++) {
    const filters = [one()];
    if (rng() < 0.3) filters.push(one());
    subs.push(filters);
  }
  return subs;
}

/**
 * Subscriptions filed by author, tag value or kind, so an event is tested only against those that could match;
 * returns event -> the numbers of the subscriptions it matches.
 */
export function recipientIndex(subs) {
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

function ms(v) {
  return v === undefined ? null : Math.round(v * 1000) / 1000;
}

/** A Trend's percentiles in milliseconds, named as in the Java harness's result files. */
export function trendJson(metric) {
  if (!metric || !metric.values) return { count: 0 };
  const v = metric.values;
  return {
    mean_ms: ms(v.avg), p50_ms: ms(v.med), p90_ms: ms(v['p(90)']), p99_ms: ms(v['p(99)']),
    p999_ms: ms(v['p(99.9)']), max_ms: ms(v.max),
  };
}

export function count(data, name) {
  const m = data.metrics[name];
  return m && m.values ? m.values.count || 0 : 0;
}

/** Trend stats the summaries need: k6 shows p(90) and p(95) by default. */
export const TREND_STATS = ['avg', 'min', 'med', 'max', 'p(90)', 'p(99)', 'p(99.9)'];

/** handleSummary's answer: a table on stdout and the result file, in the Java harness's layout. */
export function summaryOutput(scenario, p, results, rows, passed, verdict) {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const file = `${p.RESULTS_DIR}/k6-${scenario}-${stamp}.json`;
  const report = {
    scenario: scenario, tool: 'k6', finished_at: new Date().toISOString(), passed: passed, verdict: verdict,
    label: p.LABEL, target: { url: p.URL }, params: p, results: results,
  };
  const width = Math.max.apply(null, rows.map((r) => r[0].length));
  let text = `\n${scenario} (k6) against ${p.URL}: ${passed ? 'PASSED' : `FAILED — ${verdict}`}\n`;
  for (const r of rows) text += `${r[0]}${' '.repeat(width - r[0].length)}  ${r[1]}\n`;
  text += `results: ${file}\n`;
  const out = { stdout: text };
  out[file] = `${JSON.stringify(report, null, 2)}\n`;
  return out;
}

export function latencyText(metric) {
  if (!metric || !metric.values || metric.values.count === 0) return 'no samples';
  const v = metric.values;
  const f = (x) => (x === undefined ? '-' : x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0));
  return `p50 ${f(v.med)} · p90 ${f(v['p(90)'])} · p99 ${f(v['p(99)'])} · p99.9 ${f(v['p(99.9)'])} · max ${f(v.max)} ms`;
}
