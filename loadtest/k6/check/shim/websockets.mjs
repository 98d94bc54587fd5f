// k6's WebSocket follows the browser API; Node's (--experimental-websocket) is that API too.
if (typeof globalThis.WebSocket !== 'function') {
  throw new Error('run with node --experimental-websocket (Node 20.10 or newer)');
}
export const WebSocket = globalThis.WebSocket;
