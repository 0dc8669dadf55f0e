// CLI: starts the test API server for a separate operator process.
//   node_modules/.bin/node test/kube-apiserver/main.ts --port 0 [--host 127.0.0.1] [--kubeconfig-out FILE]
//     [--watch-window N] [--bookmark-interval-ms N]
// Prints one JSON line {"url": "...", "kubeconfig": "/path"} and stops on SIGTERM/SIGINT.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { TestApiServer } from './server.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    'kubeconfig-out': { type: 'string' },
    'watch-window': { type: 'string' },
    'bookmark-interval-ms': { type: 'string' },
  },
  strict: true,
});

const server = await TestApiServer.start({
  port: Number(values.port),
  host: values.host,
  ...(values['watch-window'] ? { watchWindow: Number(values['watch-window']) } : {}),
  ...(values['bookmark-interval-ms'] ? { bookmarkIntervalMs: Number(values['bookmark-interval-ms']) } : {}),
});

const kubeconfig = resolve(values['kubeconfig-out'] ?? join(mkdtempSync(join(tmpdir(), 'kube-apiserver-')), 'kubeconfig'));
writeFileSync(kubeconfig, server.kubeconfigYaml(), { mode: 0o600 });
process.stdout.write(`${JSON.stringify({ url: server.url, kubeconfig })}\n`);

let stopping = false;
const shutdown = (): void => {
  if (stopping) return;
  stopping = true;
  server.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
