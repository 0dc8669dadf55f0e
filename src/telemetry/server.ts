// The operator's own HTTP endpoints: /healthz and /readyz for the kubelet,
// /metrics for Prometheus. Plain node:http: three routes need no framework.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Address } from '../config.ts';

export interface Check {
  name: string;
  /** undefined when healthy, else why not. */
  check(): string | undefined;
}

export interface EndpointsOptions {
  liveness?: readonly Check[];
  readiness?: readonly Check[];
  registry?: Registry;
}

function runChecks(checks: readonly Check[] = []): { ok: boolean; body: string } {
  const lines: string[] = [];
  let ok = true;
  for (const c of checks) {
    const problem = c.check();
    if (problem) ok = false;
    lines.push(problem ? `[-]${c.name} failed: ${problem}` : `[+]${c.name} ok`);
  }
  lines.push(ok ? 'ok' : 'failed');
  return { ok, body: `${lines.join('\n')}\n` };
}

export class Endpoints {
  readonly #server: Server;

  constructor(opts: EndpointsOptions) {
    this.#server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405).end();
        return;
      }
      if ((path === '/healthz' || path === '/livez') && opts.liveness) {
        const r = runChecks(opts.liveness);
        res.writeHead(r.ok ? 200 : 500, { 'content-type': 'text/plain' }).end(r.body);
      } else if (path === '/readyz' && opts.readiness) {
        const r = runChecks(opts.readiness);
        res.writeHead(r.ok ? 200 : 503, { 'content-type': 'text/plain' }).end(r.body);
      } else if (path === '/metrics' && opts.registry) {
        const registry = opts.registry;
        registry.metrics().then(
          (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
          () => res.writeHead(500).end(),
        );
      } else {
        res.writeHead(404).end();
      }
    });
  }

  listen(address: Address): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(address.port, address.host, () => resolve(this.#server.address() as AddressInfo));
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}
