// Both cloud emulators in one process of their own for the benchmark, with a
// JSON admin API on a second loopback port. The emulators' own CLIs cannot
// set up thousands of domains already serving a certificate, and the
// Tencent one has no call log over HTTP; this host adds both, and stamps
// every call with wall-clock time (epoch milliseconds, sub-millisecond
// precision) so the driver can compare it with its own clock.
//
//   POST /alibaba/setup      {accessKeyId, secret, domains: [..], certs: [{chainPem, keyPem}], assign: [certIndex|-1 per domain]}
//   POST /alibaba/rate-limit {perSecond?, action?}   (SetCdnDomainSSLCertificate by default; no perSecond lifts it)
//   POST /tencent/setup      {secretId, secretKey, zones: [{zoneId, hosts, assign: [certIndex|-1 per host]}], certs: [..]}
//                            -> {certIds: [id per cert]}
//   GET  /calls?alibaba=N&tencent=M  calls after those cursors: {alibaba: {next, calls}, tencent: {next, calls}}
//   GET  /rate-limited       {alibaba, tencent, tencentByAction}
//
// Alibaba calls are stamped on arrival (the emulator's own record); Tencent
// calls when the emulator logs them, after it has handled them (well under
// a millisecond later on an idle machine).
// Prints {"alibaba", "tencent", "admin"} (URLs) once listening; stops on SIGTERM/SIGINT.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AlibabaCdnEmulator } from '../../emulators/alibaba/emulator.ts';
import { TencentEmulator, type EmulatorCall } from '../../emulators/tencent/emulator.ts';

export interface BenchCall {
  action: string;
  /** Alibaba: the domain; Tencent: the hosts, comma-separated (or the zone when none). */
  target: string;
  code: string;
  /** Epoch milliseconds (fractional). */
  at: number;
}

const epochNow = () => performance.timeOrigin + performance.now();

const alibaba = await AlibabaCdnEmulator.start();
// The Alibaba emulator stamps calls with milliseconds since its start, on the performance clock.
const alibabaOrigin = epochNow() - alibaba.now();

const tencent = await TencentEmulator.start();
const tencentCalls: BenchCall[] = [];
(tencent.calls as { push: (...items: EmulatorCall[]) => number }).push = (...items: EmulatorCall[]) => {
  const at = epochNow();
  for (const c of items) tencentCalls.push({ action: c.action, target: c.hosts.length > 0 ? c.hosts.join(',') : (c.zone ?? ''), code: c.code, at });
  return tencentCalls.length;
};

interface CertInput {
  chainPem: string;
  keyPem: string;
}

function alibabaSetup(input: { accessKeyId: string; secret: string; domains: string[]; certs: CertInput[]; assign: number[] }): object {
  alibaba.addAccount(input.accessKeyId, input.secret);
  input.domains.forEach((domain, i) => {
    const apiDomain = domain.startsWith('*.') ? domain.slice(1) : domain;
    alibaba.addDomain(input.accessKeyId, apiDomain);
    const cert = input.certs[input.assign[i] ?? -1];
    if (cert) alibaba.drift(apiDomain, cert.chainPem, cert.keyPem);
  });
  return { domains: input.domains.length };
}

function tencentSetup(input: {
  secretId: string;
  secretKey: string;
  zones: Array<{ zoneId: string; hosts: string[]; assign: number[] }>;
  certs: CertInput[];
}): object {
  tencent.addAccount(input.secretId, input.secretKey);
  const certIds = input.certs.map((c) => tencent.addCertificate(input.secretId, { chainPem: c.chainPem, keyPem: c.keyPem, alias: 'bench-seeded' }));
  for (const zone of input.zones) {
    tencent.addZone(input.secretId, zone.zoneId, zone.hosts);
    zone.hosts.forEach((host, i) => {
      const id = certIds[zone.assign[i] ?? -1];
      if (id) tencent.drift(zone.zoneId, host, id);
    });
  }
  return { certIds };
}

function calls(alibabaFrom: number, tencentFrom: number): object {
  const all = alibaba.calls;
  const a: BenchCall[] = all.slice(alibabaFrom).map((c) => ({ action: c.action, target: c.domain ?? '', code: c.code, at: c.at + alibabaOrigin }));
  return {
    alibaba: { next: all.length, calls: a },
    tencent: { next: tencentCalls.length, calls: tencentCalls.slice(tencentFrom) },
  };
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
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
      if (req.method === 'GET' && url.pathname === '/calls') {
        return send(res, 200, calls(Number(url.searchParams.get('alibaba') ?? 0), Number(url.searchParams.get('tencent') ?? 0)));
      }
      if (req.method === 'GET' && url.pathname === '/rate-limited') {
        const byAction: Record<string, number> = {};
        for (const action of ['ModifyHostsCertificate', 'UploadCertificate', 'DescribeAccelerationDomains', 'DescribeCertificateDetail', 'DeleteCertificate']) {
          byAction[action] = tencent.rateLimited(action);
        }
        return send(res, 200, { alibaba: alibaba.rateLimited, tencent: tencent.rateLimited(), tencentByAction: byAction });
      }
      if (req.method !== 'POST') return send(res, 404, { error: 'not found' });
      const input = await readJson(req);
      switch (url.pathname) {
        case '/alibaba/setup':
          return send(res, 200, alibabaSetup(input as unknown as Parameters<typeof alibabaSetup>[0]));
        case '/alibaba/rate-limit':
          alibaba.rateLimit(typeof input.perSecond === 'number' ? input.perSecond : undefined, {
            ...(typeof input.action === 'string' ? { action: input.action } : {}),
          });
          return send(res, 200, {});
        case '/tencent/setup':
          return send(res, 200, tencentSetup(input as unknown as Parameters<typeof tencentSetup>[0]));
        default:
          return send(res, 404, { error: 'not found' });
      }
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
process.stdout.write(`${JSON.stringify({ alibaba: alibaba.url, tencent: tencent.url, admin: `http://127.0.0.1:${port}` })}\n`);

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  admin.closeAllConnections();
  admin.close();
  Promise.all([alibaba.stop(), tencent.stop()]).then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
