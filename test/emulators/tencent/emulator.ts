// An HTTP emulator of Tencent Cloud EdgeOne (teo) and SSL Certificates (ssl)
// for the real Node SDKs, both services on one address.
//
// Each request goes through the same steps as at Tencent Cloud:
//   1. injected transport faults (latency, reset, hang, non-200 status);
//   2. TC3-HMAC-SHA256 signature and token check (./signature.ts);
//   3. service, version and action: the service is the Host header's first
//      label when it names one (teo.…, ssl.…), else the credential scope's
//      service, else the one whose version X-TC-Version names (an endpoint of
//      127.0.0.1 signs as service `127`);
//   4. per-SecretId, per-action rate limits in a sliding one-second window
//      (refusals are counted, and do not use up the window);
//   5. injected API errors;
//   6. the action itself (./teo.ts, ./ssl.ts).
// Every call is logged (action, zone, hosts, SecretId, code); key material
// and secret keys never are.
import { randomUUID } from 'node:crypto';
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Faults, type FaultMatch } from './faults.ts';
import { DEFAULT_OPTIONS, type EmulatorOptions } from './options.ts';
import { scopeService, verifyTc3 } from './signature.ts';
import { SSL_ACTIONS, SSL_VERSION, storeCertificate } from './ssl.ts';
import { ApiError, parseUpload, type Account, type HostMode, type HostState, type StoredCertificate } from './state.ts';
import { TEO_ACTIONS, TEO_VERSION } from './teo.ts';

export type { EmulatorOptions } from './options.ts';
export type { FaultMatch } from './faults.ts';

export type Service = 'teo' | 'ssl';

export interface EmulatorCall {
  service: Service | undefined;
  action: string;
  secretId: string | undefined;
  zone: string | undefined;
  hosts: string[];
  /** `OK`, the error code answered, or `RESET`, `HANG`, `HTTP<status>` for transport faults. */
  code: string;
}

export interface Upload {
  id: string;
  alias: string;
  fingerprintSHA256: string;
  secretId: string;
}

const MAX_BODY = 1 << 20;
const RATE_WINDOW_MS = 1_000;
const VERSIONS: Readonly<Record<Service, string>> = { teo: TEO_VERSION, ssl: SSL_VERSION };
const LIMIT_CODES: Readonly<Record<Service, string>> = { teo: 'LimitExceeded.RateLimitExceeded', ssl: 'RequestLimitExceeded' };

export class TencentEmulator {
  /** `http://127.0.0.1:<port>`: the endpoint for both services. */
  readonly url: string;
  readonly calls: EmulatorCall[] = [];
  readonly #server: Server;
  readonly #accounts = new Map<string, Account>();
  readonly #faults = new Faults();
  readonly #uploads: Upload[] = [];
  readonly #window = new Map<string, number[]>();
  readonly #rateLimited = new Map<string, number>();
  #options: EmulatorOptions;

  private constructor(server: Server, url: string, options: EmulatorOptions) {
    this.#server = server;
    this.url = url;
    this.#options = options;
  }

  static async start(options: Partial<EmulatorOptions> = {}): Promise<TencentEmulator> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const emulator = new TencentEmulator(server, `http://127.0.0.1:${port}`, { ...DEFAULT_OPTIONS, ...options });
    server.on('request', (req, res) => {
      emulator.#handle(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
    return emulator;
  }

  configure(options: Partial<EmulatorOptions>): void {
    this.#options = { ...this.#options, ...options };
  }

  get options(): Readonly<EmulatorOptions> {
    return this.#options;
  }

  // --- State -----------------------------------------------------------------

  addAccount(secretId: string, secretKey: string, token?: string): void {
    this.#accounts.set(secretId, { secretId, secretKey, token, zones: new Map(), certificates: new Map(), tasks: new Map() });
  }

  addZone(secretId: string, zoneId: string, hosts: readonly string[]): void {
    const account = this.#account(secretId);
    const zone = account.zones.get(zoneId) ?? new Map();
    for (const name of hosts) {
      const host = name.toLowerCase();
      zone.set(host, { name: host, mode: 'disable', certIds: [], changedAt: -Infinity, deployedAt: undefined, createdAt: new Date() });
    }
    account.zones.set(zoneId, zone);
  }

  /** A certificate someone else uploaded (the console, another tool); returns its id. */
  addCertificate(secretId: string, cert: { chainPem: string; keyPem: string; alias?: string }): string {
    const parsed = parseUpload(cert.chainPem, cert.keyPem, true);
    return storeCertificate(this.#account(secretId), parsed, { alias: cert.alias ?? '', source: 'seeded', visibleAt: 0 }).id;
  }

  /** What a host serves: its mode and bound certificate ids. */
  hostCertificate(zoneId: string, host: string): { mode: HostMode; certIds: string[] } {
    const state = this.#zone(zoneId).get(host.toLowerCase());
    if (!state) throw new Error(`emulator: no host ${host} in ${zoneId}`);
    return { mode: state.mode, certIds: [...state.certIds] };
  }

  /** Someone changed a host outside the operator: bind `certId`, or turn HTTPS off with null. */
  drift(zoneId: string, host: string, certId: string | null): void {
    const state = this.#zone(zoneId).get(host.toLowerCase());
    if (!state) throw new Error(`emulator: no host ${host} in ${zoneId}`);
    state.mode = certId === null ? 'disable' : 'sslcert';
    state.certIds = certId === null ? [] : [certId];
    state.deployedAt = new Date();
  }

  /** Certificates stored through UploadCertificate (not identical re-uploads, not seeded ones). */
  uploads(): Upload[] {
    return [...this.#uploads];
  }

  /** Every certificate an account holds now. */
  certificates(secretId: string): Array<Pick<StoredCertificate, 'id' | 'alias' | 'fingerprintSHA256' | 'source'>> {
    return [...this.#account(secretId).certificates.values()].map(({ id, alias, fingerprintSHA256, source }) => ({ id, alias, fingerprintSHA256, source }));
  }

  /** How many calls were refused by the rate limit, for one action or in total. */
  rateLimited(action?: string): number {
    if (action !== undefined) return this.#rateLimited.get(action) ?? 0;
    return [...this.#rateLimited.values()].reduce((a, b) => a + b, 0);
  }

  // --- Faults ----------------------------------------------------------------

  failWith(code: string, match: FaultMatch & { message?: string } = {}): void {
    this.#faults.add({ kind: 'error', code, message: match.message ?? `injected ${code}` }, match);
  }

  latency(ms: number, action?: string): void {
    this.#faults.setLatency(ms, action);
  }

  reset(match: FaultMatch = {}): void {
    this.#faults.add({ kind: 'reset' }, match);
  }

  hang(match: FaultMatch = {}): void {
    this.#faults.add({ kind: 'hang' }, match);
  }

  failHttp(status: number, match: FaultMatch = {}): void {
    this.#faults.add({ kind: 'status', status }, match);
  }

  clearFaults(): void {
    this.#faults.clear();
  }

  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections(); // including hung requests
    await closed;
  }

  // --- Requests --------------------------------------------------------------

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const action = headerOf(req, 'x-tc-action') ?? '';
    let params: Record<string, unknown> | undefined;
    try {
      const parsed: unknown = JSON.parse(body?.toString('utf8') || '{}');
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) params = parsed as Record<string, unknown>;
    } catch {
      params = undefined;
    }
    const call: EmulatorCall = {
      service: serviceOf(req),
      action,
      secretId: undefined,
      zone: typeof params?.ZoneId === 'string' ? params.ZoneId : undefined,
      hosts: hostsOf(params),
      code: 'OK',
    };
    const { service, hosts } = call;

    const delay = this.#faults.latency(action);
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));

    const transport = this.#faults.takeTransport(action, hosts);
    if (transport) {
      const log = (code: string) => this.calls.push({ ...call, code });
      if (transport.kind === 'reset') {
        log('RESET');
        req.socket.destroy();
        return;
      }
      if (transport.kind === 'hang') {
        log('HANG');
        return; // answered by nobody; the client times out, or stop() closes the connection
      }
      if (transport.kind === 'status') {
        log(`HTTP${transport.status}`);
        res.writeHead(transport.status, STATUS_CODES[transport.status] ?? 'Error', { 'content-type': 'text/html' });
        res.end(`<html><body>${transport.status}</body></html>`);
        return;
      }
    }

    try {
      if (body === undefined) throw new ApiError('RequestSizeLimitExceeded', 'The request body is too large.');
      const [path = '/', query = ''] = (req.url ?? '/').split('?', 2);
      const verified = verifyTc3(
        { method: req.method ?? 'POST', path, query, headers: req.headers, body },
        (id) => this.#accounts.get(id)?.secretKey,
        Math.floor(Date.now() / 1000),
      );
      const secretId = (call.secretId = verified.secretId);
      const account = this.#account(secretId);
      if (account.token !== undefined && headerOf(req, 'x-tc-token') !== account.token) {
        throw new ApiError('AuthFailure.TokenFailure', 'The token is invalid or expired.');
      }
      if (!service) throw new ApiError('InvalidAction', 'The requested product could not be determined.');
      if (headerOf(req, 'x-tc-version') !== VERSIONS[service]) throw new ApiError('NoSuchVersion', 'The API version does not exist.');
      const handlers: Readonly<Record<string, unknown>> = service === 'teo' ? TEO_ACTIONS : SSL_ACTIONS;
      if (!Object.hasOwn(handlers, action)) throw new ApiError('InvalidAction', `The action ${action} does not exist.`);
      if (!params) throw new ApiError('InvalidParameter', 'The request body is not a JSON object.');
      if (!this.#admit(secretId, action)) {
        this.#rateLimited.set(action, this.rateLimited(action) + 1);
        throw new ApiError(LIMIT_CODES[service], 'Reached the API rate limit.');
      }

      const injected = this.#faults.takeError(action, hosts);
      if (injected?.kind === 'error') throw new ApiError(injected.code, injected.message);

      const result = this.#run(service, action, account, params);
      this.calls.push(call);
      answer(res, { ...result, RequestId: randomUUID() });
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      this.calls.push({ ...call, code: err.code });
      answer(res, { Error: { Code: err.code, Message: err.message }, RequestId: randomUUID() });
    }
  }

  #run(service: Service, action: string, account: Account, params: Record<string, unknown>): Record<string, unknown> {
    const now = performance.now();
    const teo = service === 'teo' ? TEO_ACTIONS[action] : undefined;
    if (teo) return teo({ account, options: this.#options, now }, params);
    const ssl = service === 'ssl' ? SSL_ACTIONS[action] : undefined;
    if (ssl) return ssl({ account, options: this.#options, now, onUpload: (cert) => this.#uploads.push(uploadOf(cert)) }, params);
    throw new ApiError('InvalidAction', `The action ${action} does not exist.`);
  }

  /** Sliding one-second window per SecretId and action; only admitted calls count. */
  #admit(secretId: string, action: string): boolean {
    const limit = this.#options.rateLimits[action] ?? this.#options.defaultRateLimit;
    const key = `${secretId}\u0000${action}`;
    const now = performance.now();
    const recent = (this.#window.get(key) ?? []).filter((t) => now - t < RATE_WINDOW_MS);
    const admitted = recent.length < limit;
    if (admitted) recent.push(now);
    this.#window.set(key, recent);
    return admitted;
  }

  #account(secretId: string): Account {
    const account = this.#accounts.get(secretId);
    if (!account) throw new Error(`emulator: no account ${secretId}`);
    return account;
  }

  #zone(zoneId: string): Map<string, HostState> {
    for (const account of this.#accounts.values()) {
      const zone = account.zones.get(zoneId);
      if (zone) return zone;
    }
    throw new Error(`emulator: no zone ${zoneId}`);
  }
}

function uploadOf(cert: StoredCertificate): Upload {
  return { id: cert.id, alias: cert.alias, fingerprintSHA256: cert.fingerprintSHA256, secretId: cert.secretId };
}

function answer(res: ServerResponse, response: Record<string, unknown>): void {
  const body = JSON.stringify({ Response: response });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function serviceOf(req: IncomingMessage): Service | undefined {
  const label = (headerOf(req, 'host') ?? '').split('.')[0]?.toLowerCase();
  if (label === 'teo' || label === 'ssl') return label;
  const scope = scopeService(req);
  if (scope === 'teo' || scope === 'ssl') return scope;
  const version = headerOf(req, 'x-tc-version');
  return version === TEO_VERSION ? 'teo' : version === SSL_VERSION ? 'ssl' : undefined;
}

/** The hosts a call names, for fault matching and the call log. */
function hostsOf(params: Record<string, unknown> | undefined): string[] {
  if (!params) return [];
  if (Array.isArray(params.Hosts)) return params.Hosts.filter((h): h is string => typeof h === 'string');
  if (Array.isArray(params.Filters)) {
    return params.Filters.flatMap((f: { Values?: unknown }) => (Array.isArray(f?.Values) ? f.Values.filter((v): v is string => typeof v === 'string') : []));
  }
  return [];
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
