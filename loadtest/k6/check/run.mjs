// Runs a k6 scenario script under Node with stand-ins for the k6 modules it uses, against a real relay: a check
// that the scripts parse as ES modules and work end to end, for machines without k6. Not a k6 replacement: one
// runtime for every VU (k6 gives each its own), so VU counts must stay small.
//
//   node --experimental-websocket loadtest/k6/check/run.mjs loadtest/k6/ws/ingest.js -e CORPUS=... -e URL=...
import { register } from 'node:module';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

register('./hooks.mjs', import.meta.url);

const args = process.argv.slice(2);
const script = resolve(args.shift() || '');
globalThis.__ENV = {};
while (args.length > 0) {
  const flag = args.shift();
  const kv = args.shift() || '';
  const eq = kv.indexOf('=');
  if (flag !== '-e' || eq <= 0) {
    console.error('usage: node --experimental-websocket run.mjs SCRIPT [-e NAME=value]...');
    process.exit(2);
  }
  globalThis.__ENV[kv.substring(0, eq)] = kv.substring(eq + 1);
}
globalThis.__VU = 0;
globalThis.open = (path) => readFileSync(resolve(dirname(script), path), 'utf8');

const { current, metrics } = await import('./shim/state.mjs');
const mod = await import(pathToFileURL(script).href);
const options = mod.options || {};
const scenarios = options.scenarios || { default: { vus: 1, iterations: 1 } };
const started = Date.now();
let maxSeconds = 0;
for (const sc of Object.values(scenarios)) {
  if (sc.executor && sc.executor !== 'per-vu-iterations') throw new Error(`executor ${sc.executor} not supported`);
  if ((sc.iterations || 1) !== 1) throw new Error('only one iteration per VU is supported');
  maxSeconds = Math.max(maxSeconds, parseInt(sc.maxDuration || '600', 10));
}
// k6 hands every VU, teardown and handleSummary its own copy of setup's result, through JSON.
const setupJson = mod.setup ? JSON.stringify(mod.setup()) : undefined;
const setupData = () => (setupJson === undefined ? undefined : JSON.parse(setupJson));
let vu = 0;
for (const [name, sc] of Object.entries(scenarios)) {
  const fn = sc.exec ? mod[sc.exec] : mod.default;
  for (let i = 0; i < (sc.vus || 1); i++) {
    current.vu = ++vu;
    current.scenario = name;
    current.iteration = i;
    globalThis.__VU = vu;
    fn(setupData());
  }
}
// Like k6's maxDuration: a bound, never the normal end.
setTimeout(() => {
  console.error(`stand-in: scenarios still running after ${maxSeconds} s`);
  process.exit(1);
}, maxSeconds * 1000).unref();

let summarized = false;
process.on('beforeExit', () => {
  if (summarized) return;
  summarized = true;
  if (mod.teardown) mod.teardown(setupData());
  const stats = options.summaryTrendStats || ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)'];
  const seconds = (Date.now() - started) / 1000;
  const summary = {
    metrics: {}, state: { testRunDurationMs: seconds * 1000 }, options: options, setup_data: setupData(),
  };
  for (const m of metrics.values()) {
    if (m.samples.length === 0) continue;
    const values = {};
    if (m.type === 'counter') {
      values.count = m.samples.reduce((a, b) => a + b, 0);
      values.rate = values.count / seconds;
    } else {
      const s = m.samples.slice().sort((a, b) => a - b);
      const at = (q) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
      for (const stat of stats) {
        if (stat === 'count') values.count = s.length;
        else if (stat === 'avg') values.avg = s.reduce((a, b) => a + b, 0) / s.length;
        else if (stat === 'min') values.min = s[0];
        else if (stat === 'max') values.max = s[s.length - 1];
        else if (stat === 'med') values.med = at(0.5);
        else if (/^p\((\d+(\.\d+)?)\)$/.test(stat)) values[stat] = at(Number(stat.slice(2, -1)) / 100);
      }
    }
    summary.metrics[m.name] = { type: m.type, contains: m.contains, values: values };
  }
  const out = mod.handleSummary ? mod.handleSummary(summary) : { stdout: JSON.stringify(summary, null, 2) };
  for (const [where, text] of Object.entries(out)) {
    if (where === 'stdout') {
      process.stdout.write(text);
    } else {
      mkdirSync(dirname(resolve(where)), { recursive: true });
      writeFileSync(resolve(where), text);
    }
  }
  const report = Object.entries(out).find(([where]) => where.endsWith('.json'));
  process.exitCode = report && JSON.parse(report[1]).passed === false ? 1 : 0;
});
