// Module hooks for run.mjs: "k6/..." imports resolve to the small stand-ins in ./shim, and the scenario scripts
// (plain .js files outside any package.json) load as ES modules, as k6 reads them.
import { readFile } from 'node:fs/promises';

const SHIMS = {
  'k6/experimental/websockets': 'websockets.mjs',
  'k6/websockets': 'websockets.mjs',
  'k6/timers': 'timers.mjs',
  'k6/metrics': 'metrics.mjs',
  'k6/data': 'data.mjs',
  'k6/execution': 'execution.mjs',
  'k6/http': 'http.mjs',
};

export async function resolve(specifier, context, next) {
  if (SHIMS[specifier]) {
    return { url: new URL(`./shim/${SHIMS[specifier]}`, import.meta.url).href, shortCircuit: true };
  }
  if (specifier.startsWith('k6')) {
    throw new Error(`the k6 stand-in has no module "${specifier}"`);
  }
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (url.startsWith('file:') && url.endsWith('.js')) {
    return { format: 'module', source: await readFile(new URL(url), 'utf8'), shortCircuit: true };
  }
  return next(url, context);
}
