// k6's http.get answers synchronously; Node's fetch does not, so the request runs in a child Node and this waits.
import { execFileSync } from 'node:child_process';

const FETCH = `
const [url, headers, timeout] = process.argv.slice(1);
fetch(url, { headers: JSON.parse(headers), signal: AbortSignal.timeout(Number(timeout)) }).then(
  async (r) => process.stdout.write(JSON.stringify({ status: r.status, body: await r.text(), error: '' })),
  (e) => process.stdout.write(JSON.stringify({ status: 0, body: null, error: String((e.cause || e).message) })));
`;

function millis(timeout) {
  if (timeout === undefined) return 60000;
  if (typeof timeout === 'number') return timeout;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(timeout);
  if (!m) throw new Error(`http stand-in: timeout ${timeout} not understood`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60000 }[m[2]];
}

export function get(url, params = {}) {
  const out = JSON.parse(execFileSync(process.execPath,
    ['-e', FETCH, url, JSON.stringify(params.headers || {}), String(millis(params.timeout))], { encoding: 'utf8' }));
  return { status: out.status, body: out.body, error: out.error, json: () => JSON.parse(out.body) };
}

export default { get };
