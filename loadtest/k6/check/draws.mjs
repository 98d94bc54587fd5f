// Prints the REQs query.js sends and the subscriptions fanout.js opens for a seed, drawn by the scripts' own
// functions (lib.js), so that they can be compared line by line with what the Java harness draws:
//
//   node draws.mjs query -e CORPUS=/abs/corpus.jsonl [-e SEED=1] [-e LOADED=0 (all)] [-e CONNECTIONS=4] [-e N=5] \
//                        [-e MIX=...] [-e LIMIT=500]        the first N REQs of each connection
//   node draws.mjs fanout -e CORPUS=... [-e SEED=1] [-e FROM=0] [-e EVENTS=0 (the rest)] [-e SUBSCRIPTIONS=1000] \
//                        [-e N=10]                         the first N subscriptions, then each event's recipients
//   node draws.mjs raw                                     SplittableRandom's first draws for a few seeds
//   node draws.mjs synthetic                               the small corpus `check` draws from
//   node draws.mjs check                                   draws on that corpus against lines the Java harness drew
//
// The Java harness's filters are immutable sets, whose order changes with every JVM start (Set.copyOf), so a filter
// is printed with its fields in a fixed order and each field's values sorted.
import { register } from 'node:module';
import { readFileSync } from 'node:fs';

register('./hooks.mjs', import.meta.url);
globalThis.__ENV = {};
const lib = await import('../ws/lib.js');

function canonical(filter) {
  const parts = [];
  const sorted = (values) => values.slice().sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  for (const key of ['ids', 'authors', 'kinds']) {
    if (filter[key]) parts.push(`"${key}":${JSON.stringify(sorted(filter[key]))}`);
  }
  for (const key of Object.keys(filter).filter((k) => k[0] === '#').sort()) {
    parts.push(`"${key}":${JSON.stringify(sorted(filter[key]))}`);
  }
  for (const key of ['since', 'until', 'limit']) {
    if (filter[key] !== undefined) parts.push(`"${key}":${filter[key]}`);
  }
  return `{${parts.join(',')}}`;
}

function withEnv(env, draw) {
  globalThis.__ENV = env;
  return draw();
}

function corpusLines(p) {
  return p.CORPUS === SYNTHETIC_NAME ? syntheticCorpus()
    : readFileSync(p.CORPUS, 'utf8').split('\n').filter((line) => line.trim().length > 0);
}

// As query.js draws: connection c's generator, seeded as QueryScenario seeds it, its REQs numbered q<c>-<n>.
function queryDraws() {
  const p = lib.params({
    CORPUS: '', SEED: lib.seed(1), LOADED: lib.whole(0, 0, lib.MAX_INT), CONNECTIONS: lib.whole(4, 1, 10000),
    N: lib.whole(5, 1, 1000000), MIX: lib.DEFAULT_MIX, LIMIT: lib.whole(500, 0, 1000000),
  });
  const lines = corpusLines(p);
  const pools = lib.queryPools(lines, p.LOADED > 0 ? lib.within('LOADED', p.LOADED, 1, lines.length) : lines.length);
  const mix = lib.parseMix(p.MIX);
  const out = [];
  for (let c = 0; c < p.CONNECTIONS; c++) {
    const rng = lib.queryRandom(p.SEED, c);
    for (let n = 0; n < p.N; n++) {
      const [shape, filter] = lib.drawQuery(rng, pools, mix, p.LIMIT);
      out.push(`${shape} ["REQ","q${c}-${n}",${canonical(filter)}]`);
    }
  }
  return out;
}

// As fanout.js plans: the subscriptions s<i> and, per planned event k, the subscriptions it must reach.
function fanoutDraws() {
  const p = lib.params({
    CORPUS: '', SEED: lib.seed(1), FROM: lib.whole(0, 0, lib.MAX_INT), EVENTS: lib.whole(0, 0, lib.MAX_INT),
    SUBSCRIPTIONS: lib.whole(1000, 1, 10000000), N: lib.whole(10, 1, 10000000),
  });
  const lines = corpusLines(p);
  const end = p.EVENTS > 0 ? p.FROM + p.EVENTS : lines.length;
  const events = lines.slice(p.FROM, end).map((line) => JSON.parse(line));
  const plan = lib.fanoutPlan(events, p.SUBSCRIPTIONS, p.SEED);
  const out = plan.subscriptions.slice(0, p.N)
    .map((sub, s) => `["REQ","s${s}",${sub.filters.map(canonical).join(',')}]`);
  const recipients = events.map(() => []);
  plan.subscriptions.forEach((sub, s) => sub.matched.forEach((pair) => recipients[pair[1]].push(s)));
  out.push(`recipients ${recipients.map((to, k) => `${k}:${to.join(',')}`).join(' ')}`);
  return out;
}

function rawDraws() {
  // Bounds 2^30 + 1 and 2^62 + 1 reject about half their candidates: the JDK's rejection loops are exercised too.
  const out = [];
  for (const s of ['1', '-7', '9223372036854775807', '-9223372036854775808', '34', '123456789012345']) {
    const r = new lib.SplittableRandom(BigInt(s));
    for (let round = 0; round < 2; round++) {
      const values = [r.nextInt(), r.nextLong(), r.nextInt(20), r.nextInt(16), r.nextInt((1 << 30) + 1),
        r.nextLong(21600), r.nextLong((1n << 62n) + 1n), r.nextBoolean()];
      out.push(`seed ${s} [${round}]: ${values.join(' ')}`);
    }
  }
  return out;
}

const SYNTHETIC_NAME = 'synthetic';

// A corpus small enough for the check to carry: well-formed, unsigned events (nothing here verifies signatures)
// with authors, p and t tags and the corpus generator's kinds. Its first 8 events carry no t tag and its first one
// no p tag either, so that LOADED=1 draws the tag shapes' fall-back to authors.
function syntheticCorpus() {
  const hex = (n) => n.toString(16).padStart(64, '0');
  const kinds = [1, 7, 1, 6, 0, 3, 1, 20001, 30023, 9735, 1, 10002, 4, 30000, 1, 7];
  const hashtags = ['nostr', 'art', 'bitcoin', 'music'];
  const lines = [];
  for (let i = 0; i < 32; i++) {
    const tags = [];
    if (i % 3 === 1) tags.push(['p', hex(0xa0 + (i % 5))]);
    if (i >= 8 && i % 4 === 2) tags.push(['t', hashtags[(i >> 2) % 4]]);
    if (i % 5 === 0) tags.push(['e', hex(0x1000 + i)]);
    lines.push(JSON.stringify({
      id: hex(i + 1), pubkey: hex(0xa0 + ((i * 7) % 5)), created_at: 1700000000 + i * 977,
      kind: kinds[i % kinds.length], tags: tags, content: '', sig: '0'.repeat(128),
    }));
  }
  return lines;
}

// Printed by the Java harness's own classes (QueryMix, FanoutScenario.subscriptionFilters, Recipients,
// java.util.SplittableRandom) for the synthetic corpus, with the 64-hex ids and pubkeys shortened as below.
const CASES = [
  ['raw', {}, [
    'seed 1 [0]: 246745853 -4689498862643123097 1 3 612578211 1024 2633352815946178260 true',
    'seed 1 [1]: 904709244 -7278709470210847746 12 0 219889570 1469 608375401004450723 false',
    'seed -7 [0]: -669310854 8829294814793142954 1 5 786516816 3581 259590277590618208 true',
    'seed -7 [1]: -17404553 9039047807101538783 14 10 294021450 2158 1749960425010673541 false',
    'seed 9223372036854775807 [0]: -899274055 -1005427240264861369 10 4 450925884 11049 1627516955585281939 true',
    'seed 9223372036854775807 [1]: 1923150617 -2825049472176592815 3 4 757347753 20345 2540613715450614112 true',
    'seed -9223372036854775808 [0]: -1178737004 -4292029157624213486 17 7 916985759 10367 3542120885277130206 false',
    'seed -9223372036854775808 [1]: 1257414544 -8472454389434080690 5 12 933367511 1767 2796212631232602950 true',
    'seed 34 [0]: 720657999 -3581347460585247103 10 2 16184957 2890 263112891351307129 false',
    'seed 34 [1]: -487541202 -9161589993447514618 9 12 214738397 1098 4571689376035807386 true',
    'seed 123456789012345 [0]: 1621330019 -5019708002228497972 1 7 305323006 8686 3157539423447849984 true',
    'seed 123456789012345 [1]: 548881717 5471782988744337651 5 12 939167719 8412 2367012696724260140 false',
  ]],
  ['query', { SEED: '1', CONNECTIONS: '2', N: '4' }, [
    'p_tag ["REQ","q0-0",{"#p":["a0"],"limit":500}]',
    'p_tag ["REQ","q0-1",{"#p":["a1"],"limit":500}]',
    't_tag ["REQ","q0-2",{"#t":["music"],"limit":500}]',
    't_tag ["REQ","q0-3",{"#t":["nostr"],"limit":500}]',
    'authors_kinds ["REQ","q1-0",{"authors":["a2","a3"],"kinds":[0,7],"limit":500}]',
    'authors_kinds ["REQ","q1-1",{"authors":["a1"],"kinds":[1,30000],"limit":500}]',
    'authors_kinds ["REQ","q1-2",{"authors":["a0","a1"],"kinds":[1],"limit":500}]',
    'p_tag ["REQ","q1-3",{"#p":["a4"],"limit":500}]',
  ]],
  ['query', { SEED: '6', LOADED: '1', CONNECTIONS: '1', N: '5' }, [
    'p_tag ["REQ","q0-0",{"authors":["a0"],"kinds":[1],"limit":500}]',
    'ids ["REQ","q0-1",{"ids":["1"],"limit":500}]',
    't_tag ["REQ","q0-2",{"authors":["a0"],"kinds":[1],"limit":500}]',
    'window ["REQ","q0-3",{"since":1699993275,"until":1700006725,"limit":500}]',
    'window ["REQ","q0-4",{"since":1699997579,"until":1700002421,"limit":500}]',
  ]],
  ['fanout', { SEED: '1', FROM: '4', EVENTS: '24', SUBSCRIPTIONS: '10', N: '10' }, [
    '["REQ","s0",{"authors":["a0","a4"],"kinds":[1,6,7,30023],"limit":0},{"kinds":[6],"limit":0}]',
    '["REQ","s1",{"authors":["a3","a4"],"kinds":[1,6,7,30023],"limit":0},{"#t":["music","nostr"],"limit":0}]',
    '["REQ","s2",{"#p":["a4"],"limit":0},{"#t":["nostr"],"limit":0}]',
    '["REQ","s3",{"kinds":[10002],"limit":0}]',
    '["REQ","s4",{"#t":["art"],"limit":0}]',
    '["REQ","s5",{"#p":["a1","a4"],"limit":0},{"authors":["a0","a1","a2"],"kinds":[1,6,7,30023],"limit":0}]',
    '["REQ","s6",{"#p":["a4"],"limit":0}]',
    '["REQ","s7",{"authors":["a0","a2","a4"],"kinds":[1,6,7,30023],"limit":0}]',
    '["REQ","s8",{"authors":["a3"],"limit":0},{"#p":["a0","a1","a4"],"limit":0}]',
    '["REQ","s9",{"#p":["a1","a2"],"limit":0}]',
    'recipients 0:2,5,6,8 1: 2:5,7 3:9 4:5 5:8 6:0,5,7,8 7:3 8: 9: 10:1,8 11:0,5,7 12:5,7,8,9 13:0,1,7 ' +
      '14:1,2,5 15:0,1,2,5,6,8 16: 17: 18:0,1,4,7,9 19: 20:1,8 21:8 22:5,7 23:3',
  ]],
];

const shorten = (line) => line.replace(/"0{8,}([0-9a-f]+)"/g, '"$1"');

function check() {
  let failed = 0;
  for (const [what, env, expected] of CASES) {
    const got = withEnv(Object.assign({ CORPUS: SYNTHETIC_NAME }, env), DRAWS[what]).map(shorten);
    const name = `${what} ${JSON.stringify(env)}`;
    const bad = expected.findIndex((line, i) => got[i] !== line);
    if (bad >= 0 || got.length !== expected.length) {
      failed++;
      const i = bad >= 0 ? bad : Math.min(got.length, expected.length);
      console.error(`draws differ from the Java harness's: ${name}, line ${i + 1}\n`
        + `  Java: ${expected[i]}\n  k6:   ${got[i]}`);
    } else {
      console.log(`draws match the Java harness's: ${name}, ${expected.length} lines`);
    }
  }
  process.exit(failed > 0 ? 1 : 0);
}

const DRAWS = { query: queryDraws, fanout: fanoutDraws, raw: rawDraws, synthetic: syntheticCorpus };
const [what, ...args] = process.argv.slice(2);
const env = {};
for (let i = 0; i < args.length; i += 2) {
  const eq = (args[i + 1] || '').indexOf('=');
  if (args[i] !== '-e' || eq <= 0) {
    console.error('usage: node draws.mjs query|fanout|raw|synthetic|check [-e NAME=value]...');
    process.exit(2);
  }
  env[args[i + 1].substring(0, eq)] = args[i + 1].substring(eq + 1);
}
if (what === 'check') {
  check();
} else if (DRAWS[what]) {
  withEnv(env, DRAWS[what]).forEach((line) => console.log(line));
} else {
  console.error('usage: node draws.mjs query|fanout|raw|synthetic|check [-e NAME=value]...');
  process.exit(2);
}
