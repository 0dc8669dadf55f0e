// The test Kubernetes API server as a process of its own for the benchmark,
// with the CRD installed and a small admin API on a second loopback port:
//
//   POST /seed       JSON array of objects -> TestApiServer.seed() (bulk insert; status is dropped
//                    for the bindings, as on a real create: write it through /status afterwards)
//   GET  /requests   request counts by user, verb and resource since the last ?reset=1
//
// The request log is counted, not kept, so a long run does not grow it.
// Usage: apiserver.ts <dir> (where the kubeconfig is written).
// Prints {"url", "admin", "kubeconfig"} once ready; stops on SIGTERM/SIGINT.
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { customResourceDefinition } from '../../../src/api/v1alpha1/crd.ts';
import { TestApiServer } from '../../kube-apiserver/index.ts';
import type { RequestRecord } from '../../kube-apiserver/index.ts';

const server = await TestApiServer.start({ watchWindow: 20_000, bookmarkIntervalMs: 5_000 });

let counts = new Map<string, number>();
// Count instead of keeping every record (the server only ever pushes to this array).
(server.requests as { push: (...items: RequestRecord[]) => number }).push = (...items: RequestRecord[]) => {
  for (const r of items) {
    const key = `${r.user ?? '-'} ${r.verb} ${r.resource}${r.subresource ? `/${r.subresource}` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return 0;
};

const crd = await fetch(`${server.url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(customResourceDefinition()),
});
if (crd.status !== 201) throw new Error(`creating the CRD: HTTP ${crd.status}: ${await crd.text()}`);

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const admin = createServer((req, res) => {
  void (async () => {
    const url = new URL(req.url ?? '/', 'http://admin');
    try {
      if (req.method === 'POST' && url.pathname === '/seed') {
        const objects = JSON.parse(await body(req)) as object[];
        if (!Array.isArray(objects)) throw new Error('the body must be a JSON array');
        server.seed(objects);
        return send(res, 200, { count: objects.length, resourceVersion: server.resourceVersion });
      }
      if (req.method === 'GET' && url.pathname === '/requests') {
        const out = Object.fromEntries(counts);
        if (url.searchParams.get('reset') === '1') counts = new Map();
        return send(res, 200, out);
      }
      send(res, 404, { error: 'not found' });
    } catch (err) {
      send(res, 400, { error: err instanceof Error ? err.message : String(err) });
    }
  })();
});
await new Promise<void>((resolve, reject) => {
  admin.once('error', reject);
  admin.listen(0, '127.0.0.1', () => resolve());
});
const { port } = admin.address() as AddressInfo;

const dir = process.argv[2];
if (!dir) throw new Error('usage: apiserver.ts <dir>');
const kubeconfig = join(dir, 'kubeconfig');
writeFileSync(kubeconfig, server.kubeconfigYaml('operator'), { mode: 0o600 });
process.stdout.write(`${JSON.stringify({ url: server.url, admin: `http://127.0.0.1:${port}`, kubeconfig })}\n`);

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  admin.closeAllConnections();
  admin.close();
  server.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
