// The Tencent Cloud emulator (test/emulators/tencent) as a process of its
// own, with a small JSON admin API on a second loopback port: the emulator's
// CLI has none yet, and the demo needs to add accounts without putting
// secrets on a command line, inject faults and read what a host serves.
//
//   node test/demo/tencent-emulator.ts
//
// Prints `{"url": "http://127.0.0.1:<port>", "admin": "http://127.0.0.1:<port>"}`
// once listening (url is both the teo and the ssl endpoint) and stops on
// SIGTERM or SIGINT. The admin API (JSON in, JSON out):
//   POST /__emulator/accounts        {secretId, secretKey}
//   POST /__emulator/zones           {secretId, zoneId, hosts: [..]}
//   GET  /__emulator/zones/<zoneId>  {hosts: [{name, mode, certIds, servedFingerprint}]}
//   GET  /__emulator/calls           every call: {service, action, secretId, zone, hosts, code}
//   POST /__emulator/faults/fail     {code, action?, host?, times?, message?}; no times: until cleared
//   POST /__emulator/faults/clear
//   POST /__emulator/configure       {actionInProgressMs?, certPropagationMs?}
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TencentEmulator } from '../emulators/tencent/emulator.ts';

const PREFIX = '/__emulator/';

const emulator = await TencentEmulator.start();
/** zoneId → the SecretId that owns it and its hosts, which the emulator does not list. */
const zones = new Map<string, { secretId: string; hosts: Set<string> }>();

function zoneView(zoneId: string): object | undefined {
  const zone = zones.get(zoneId);
  if (!zone) return undefined;
  const fingerprints = new Map(emulator.certificates(zone.secretId).map((c) => [c.id, c.fingerprintSHA256]));
  return {
    zoneId,
    hosts: [...zone.hosts].sort().map((name) => {
      const { mode, certIds } = emulator.hostCertificate(zoneId, name);
      const first = certIds[0];
      return { name, mode, certIds, servedFingerprint: mode === 'sslcert' && first ? (fingerprints.get(first) ?? null) : null };
    }),
  };
}

function admin(method: string, path: string, input: Record<string, unknown>): [number, unknown] {
  const str = (k: string): string => (typeof input[k] === 'string' ? (input[k] as string) : '');
  const num = (k: string): number | undefined => (typeof input[k] === 'number' ? (input[k] as number) : undefined);
  if (method === 'GET' && path === 'calls') return [200, emulator.calls];
  if (method === 'GET' && path.startsWith('zones/')) {
    const view = zoneView(decodeURIComponent(path.slice('zones/'.length)));
    return view ? [200, view] : [404, { error: 'no such zone' }];
  }
  if (method !== 'POST') return [404, { error: 'not found' }];
  switch (path) {
    case 'accounts':
      if (!str('secretId') || !str('secretKey')) return [400, { error: 'secretId and secretKey are required' }];
      emulator.addAccount(str('secretId'), str('secretKey'));
      return [200, {}];
    case 'zones': {
      const hosts = Array.isArray(input.hosts) ? input.hosts.filter((h): h is string => typeof h === 'string').map((h) => h.toLowerCase()) : [];
      emulator.addZone(str('secretId'), str('zoneId'), hosts);
      const zone = zones.get(str('zoneId')) ?? { secretId: str('secretId'), hosts: new Set<string>() };
      for (const h of hosts) zone.hosts.add(h);
      zones.set(str('zoneId'), zone);
      return [200, {}];
    }
    case 'faults/fail': {
      if (!str('code')) return [400, { error: 'code is required' }];
      emulator.failWith(str('code'), {
        times: num('times') ?? Number.POSITIVE_INFINITY,
        ...(str('action') ? { action: str('action') } : {}),
        ...(str('host') ? { host: str('host') } : {}),
        ...(str('message') ? { message: str('message') } : {}),
      });
      return [200, {}];
    }
    case 'faults/clear':
      emulator.clearFaults();
      return [200, {}];
    case 'configure': {
      const actionInProgressMs = num('actionInProgressMs');
      const certPropagationMs = num('certPropagationMs');
      emulator.configure({
        ...(actionInProgressMs !== undefined ? { actionInProgressMs } : {}),
        ...(certPropagationMs !== undefined ? { certPropagationMs } : {}),
      });
      return [200, {}];
    }
    default:
      return [404, { error: 'not found' }];
  }
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const url = req.url ?? '/';
  let status: number;
  let body: unknown;
  if (!url.startsWith(PREFIX)) {
    [status, body] = [404, { error: 'not found' }];
  } else {
    try {
      const text = Buffer.concat(chunks).toString('utf8');
      const input: unknown = text ? JSON.parse(text) : {};
      if (!input || typeof input !== 'object' || Array.isArray(input)) throw new Error('the body must be a JSON object');
      [status, body] = admin(req.method ?? 'GET', url.slice(PREFIX.length).split('?')[0] ?? '', input as Record<string, unknown>);
    } catch (err) {
      [status, body] = [400, { error: err instanceof Error ? err.message : String(err) }];
    }
  }
  const payload = JSON.stringify(body ?? null);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

const server = createServer((req, res) => {
  handle(req, res).catch(() => {
    if (!res.headersSent) res.writeHead(500).end();
  });
});
await new Promise<void>((resolve, reject) => {
  server.once('error', reject);
  server.listen(0, '127.0.0.1', () => resolve());
});
const { port } = server.address() as AddressInfo;
process.stdout.write(`${JSON.stringify({ url: emulator.url, admin: `http://127.0.0.1:${port}` })}\n`);

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  Promise.all([closed, emulator.stop()]).then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
