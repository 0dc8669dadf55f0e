// An HTTP emulator of the Alibaba Cloud CDN API (2018-05-10) that the real
// SDK (@alicloud/cdn20180510 over @alicloud/openapi-core) talks to: RPC-style
// POST / with parameters in the query string (or a form body), action and
// version in x-acs-action / x-acs-version, signed with ACS3-HMAC-SHA256. It
// answers like the real service, in JSON, errors as
// `{ RequestId, HostId, Code, Message, Recommend }` with the documented status.
//
// Tests drive it through this class; a separate process (the demo, the
// benchmarks) through main.ts and the small JSON admin API under /__emulator/.
// It never logs, and keeps no private keys.
import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { ApiError } from './codes.ts';
import { Faults, RateLimits, type FaultKind, type Match, type Window } from './faults.ts';
import { queryParams, verify } from './signature.ts';
import { CdnState, type DomainState, type DuplicateNames, type StoredCertificate } from './state.ts';

export const API_VERSION = '2018-05-10';
export const HOST_ID = 'cdn.aliyuncs.com';
const MAX_BODY = 1024 * 1024;
/** Long enough for a chain and key in the query string, as the SDK sends them. */
const MAX_HEADER_SIZE = 256 * 1024;
const ADMIN_PREFIX = '/__emulator/';
/** Calls kept for inspection; a long benchmark run keeps the latest. */
const MAX_CALLS = 100_000;

export interface EmulatorOptions {
  host?: string;
  port?: number;
  /** See state.ts: whether re-uploading a name with identical content is accepted (`content`) or not (`always`). */
  duplicateNames?: DuplicateNames;
}

export interface CallRecord {
  action: string;
  domain: string | undefined;
  accessKeyId: string | undefined;
  /** Milliseconds since the emulator started, on its own clock. */
  at: number;
  /** `OK`, the error code answered, or RESET / HANG / HTML<status> for transport faults. */
  code: string;
  /** The RequestId answered, when a JSON answer was sent. */
  requestId: string | undefined;
}

export interface ServedCertificate {
  id: number;
  name: string;
  fingerprintSHA256: string;
  pem: string;
}

type Handler = (accountId: string, params: ReadonlyMap<string, string>) => object;

export class AlibabaCdnEmulator {
  readonly url: string;
  readonly #server: http.Server;
  readonly #state: CdnState;
  readonly #faults: Faults;
  readonly #limits: RateLimits;
  readonly #calls: CallRecord[] = [];
  readonly #nonces = new Map<string, number>();
  readonly #sockets = new Set<Socket>();
  readonly #started = performance.now();
  readonly #actions: Record<string, Handler>;
  #latencyMs = 0;

  private constructor(server: http.Server, url: string, opts: EmulatorOptions) {
    this.#server = server;
    this.url = url;
    this.#state = new CdnState(opts.duplicateNames ?? 'content');
    this.#faults = new Faults(() => this.now());
    this.#limits = new RateLimits(() => this.now());
    this.#actions = {
      SetCdnDomainSSLCertificate: (account, params) => {
        this.#state.setCertificate(account, params);
        return {};
      },
      DescribeDomainCertificateInfo: (account, params) => this.#state.describeDomainCertificateInfo(account, params),
      DescribeCdnSSLCertificateList: (account, params) => this.#state.describeCdnSslCertificateList(account, params),
    };
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void this.#handle(req, res));
    server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
  }

  static async start(opts: EmulatorOptions = {}): Promise<AlibabaCdnEmulator> {
    const server = http.createServer({ maxHeaderSize: MAX_HEADER_SIZE });
    const host = opts.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, host, () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    return new AlibabaCdnEmulator(server, `http://${host}:${port}`, opts);
  }

  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    this.#server.closeAllConnections();
    await closed;
  }

  /** The emulator's clock: milliseconds since start. */
  now(): number {
    return performance.now() - this.#started;
  }

  // --- State -----------------------------------------------------------------

  /** An account with one access key whose id is also the account's id. */
  addAccount(accessKeyId: string, secret: string, opts: { securityToken?: string } = {}): void {
    this.addAccessKey(accessKeyId, accessKeyId, secret, opts);
  }

  /** Another access key of an account (an STS key when `securityToken` is set). */
  addAccessKey(accountId: string, accessKeyId: string, secret: string, opts: { securityToken?: string; inactive?: boolean } = {}): void {
    this.#state.addAccessKey({ id: accessKeyId, secret, accountId, securityToken: opts.securityToken, inactive: opts.inactive });
  }

  /** An accelerated domain; a wildcard is written Alibaba's way, `.example.com`. */
  addDomain(accountId: string, domain: string, opts: { offline?: boolean } = {}): void {
    this.#state.addDomain(accountId, domain, opts);
  }

  /** SHA-256 fingerprint of the leaf the domain serves, if HTTPS is on. */
  servedFingerprint(domain: string): string | undefined {
    return this.#state.served(domain)?.fingerprintSHA256;
  }

  servedCertificate(domain: string): ServedCertificate | undefined {
    const cert = this.#state.served(domain);
    return cert && { id: cert.id, name: cert.name, fingerprintSHA256: cert.fingerprintSHA256, pem: cert.pem };
  }

  domainState(domain: string): Readonly<DomainState> | undefined {
    const d = this.#state.domain(domain);
    return d && { ...d };
  }

  /** The account's certificate store (metadata; no keys are kept). */
  certificates(accountId: string): StoredCertificate[] {
    return this.#state.certificates(accountId);
  }

  /** Someone changed the domain's certificate in the console. */
  drift(domain: string, pem: string, keyPem: string): void {
    this.#state.drift(domain, pem, keyPem);
  }

  /** Every request so far, in arrival order. */
  get calls(): readonly CallRecord[] {
    return this.#calls.map((c) => ({ ...c }));
  }

  // --- Faults ----------------------------------------------------------------

  /** ServiceBusy (403) for SetCdnDomainSSLCertificate on `domain` (or every domain with `*`). */
  busy(domain: string, window: Window): void {
    this.#faults.add('busy', window, { domain, action: 'SetCdnDomainSSLCertificate' });
  }

  /** Throttling.User (400) for any matching request, with an optional x-acs-retry-after. */
  throttle(window: Window & Match & { retryAfterMs?: number }): void {
    const { times, untilMs, ...rest } = window;
    this.#faults.add('throttle', { times, untilMs }, rest);
  }

  /** Enforce `perSecond` calls per account for `action` (default SetCdnDomainSSLCertificate) with Throttling.User; undefined lifts it. */
  rateLimit(perSecond: number | undefined, opts: { action?: string } = {}): void {
    this.#limits.set(opts.action ?? 'SetCdnDomainSSLCertificate', perSecond);
  }

  /** How many calls were refused by rateLimit so far. */
  get rateLimited(): number {
    return this.#limits.refused;
  }

  /** Delay every answer by `ms`. */
  latency(ms: number): void {
    this.#latencyMs = Math.max(0, ms);
  }

  /** Destroy the connection mid-request. */
  reset(window: Window & Match): void {
    this.#transportFault('reset', window);
  }

  /** Never answer. */
  hang(window: Window & Match): void {
    this.#transportFault('hang', window);
  }

  /** Answer with a raw HTML page and the given status (502 by default). */
  html5xx(opts: Window & Match & { status?: number }): void {
    const { times, untilMs, status, ...match } = opts;
    this.#faults.add('html', { times, untilMs }, { ...match, status: status ?? 502 });
  }

  /** Answer with `code` (documented status and message unless overridden). */
  failWith(code: string, opts: Window & Match & { status?: number; message?: string } = {}): void {
    const { times, untilMs, ...rest } = opts;
    this.#faults.add('fail', { times, untilMs }, { ...rest, code });
  }

  clearFaults(): void {
    this.#faults.clear();
    this.#latencyMs = 0;
  }

  #transportFault(kind: FaultKind, window: Window & Match): void {
    const { times, untilMs, ...match } = window;
    this.#faults.add(kind, { times, untilMs }, match);
  }

  // --- Serving ---------------------------------------------------------------

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch {
      req.socket.destroy();
      return;
    }
    const url = req.url ?? '/';
    if (url.startsWith(ADMIN_PREFIX)) return this.#admin(req, res, url, body);

    const params = new Map(queryParams(url));
    if (isForm(req)) for (const [k, v] of new URLSearchParams(body.toString('utf8'))) params.set(k, v);
    const action = headerString(req, 'x-acs-action') || params.get('Action') || '';
    const domain = params.get('DomainName');
    const call: CallRecord = { action, domain, accessKeyId: undefined, at: this.now(), code: 'OK', requestId: undefined };
    this.#calls.push(call);
    if (this.#calls.length > MAX_CALLS) this.#calls.splice(0, this.#calls.length - MAX_CALLS);

    const transport = this.#faults.take(0, { action, domain });
    if (transport?.kind === 'reset') {
      call.code = 'RESET';
      req.socket.destroy();
      return;
    }
    if (transport?.kind === 'hang') {
      call.code = 'HANG';
      return;
    }
    if (this.#latencyMs > 0) await sleep(this.#latencyMs);
    if (transport?.kind === 'html') {
      const status = transport.status ?? 502;
      call.code = `HTML${status}`;
      return send(res, status, { 'content-type': 'text/html' }, htmlPage(status));
    }

    const requestId = randomUUID().toUpperCase();
    call.requestId = requestId;
    try {
      const key = verify(
        { method: req.method ?? 'GET', url, headers: req.headers, body },
        { lookup: (id) => this.#state.accessKey(id), nonces: this.#nonces, now: () => this.now() },
      );
      call.accessKeyId = key.id;
      if (req.method !== 'POST' && req.method !== 'GET') throw new ApiError('UnsupportedHTTPMethod', { status: 403 });
      if (headerString(req, 'x-acs-version') !== API_VERSION) throw new ApiError('InvalidVersion');
      const handler = this.#actions[action];
      if (!handler) throw new ApiError('InvalidAction.NotFound');

      const throttled = this.#faults.take(1, { action, domain });
      if (throttled) {
        const headers: Record<string, string> =
          throttled.retryAfterMs === undefined ? {} : { 'x-acs-retry-after': String(throttled.retryAfterMs) };
        throw new ApiError('Throttling.User', { headers });
      }
      const wait = this.#limits.check(key.accountId, action);
      if (wait !== undefined) throw new ApiError('Throttling.User', { headers: { 'x-acs-retry-after': String(wait) } });

      const injected = this.#faults.take(2, { action, domain });
      if (injected?.kind === 'busy') throw new ApiError('ServiceBusy');
      if (injected?.kind === 'fail') {
        throw new ApiError(injected.code ?? 'InternalError', { status: injected.status, message: injected.message });
      }

      const result = handler(key.accountId, params);
      call.code = 'OK';
      send(res, 200, { 'content-type': 'application/json;charset=utf-8', 'x-acs-request-id': requestId }, JSON.stringify({ RequestId: requestId, ...result }));
    } catch (err) {
      const error = err instanceof ApiError ? err : new ApiError('InternalError');
      call.code = error.code;
      send(
        res,
        error.status,
        { 'content-type': 'application/json;charset=utf-8', 'x-acs-request-id': requestId, ...error.headers },
        JSON.stringify({
          RequestId: requestId,
          HostId: HOST_ID,
          Code: error.code,
          Message: error.message,
          Recommend: `https://api.aliyun.com/troubleshoot?q=${encodeURIComponent(error.code)}&product=Cdn&requestId=${requestId}`,
        }),
      );
    }
  }

  /** The admin API for a separate process: JSON in, JSON out. */
  #admin(req: IncomingMessage, res: ServerResponse, url: string, body: Buffer): void {
    const json = (status: number, value: unknown) =>
      send(res, status, { 'content-type': 'application/json' }, JSON.stringify(value ?? null));
    try {
      const path = url.slice(ADMIN_PREFIX.length).split('?')[0] ?? '';
      const input = body.length > 0 ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {};
      const str = (k: string) => (typeof input[k] === 'string' ? (input[k] as string) : '');
      const num = (k: string) => (typeof input[k] === 'number' ? (input[k] as number) : undefined);
      const window = (): Window & Match => ({
        times: num('times'),
        untilMs: num('untilMs'),
        action: str('action') || undefined,
        domain: str('domain') || undefined,
      });
      if (req.method === 'GET' && path === 'calls') return json(200, this.calls);
      if (req.method === 'GET' && path.startsWith('domains/')) {
        const domain = decodeURIComponent(path.slice('domains/'.length));
        const state = this.domainState(domain);
        if (!state) return json(404, { error: 'no such domain' });
        return json(200, { ...state, servedFingerprint: this.servedFingerprint(domain) ?? null, servedCertificateName: this.servedCertificate(domain)?.name ?? null });
      }
      if (req.method !== 'POST') return json(404, { error: 'not found' });
      switch (path) {
        case 'accounts':
          this.addAccount(str('accessKeyId'), str('secret'), input['securityToken'] ? { securityToken: str('securityToken') } : {});
          return json(200, {});
        case 'domains':
          this.addDomain(str('accountId'), str('domain'), { offline: input['offline'] === true });
          return json(200, {});
        case 'drift':
          this.drift(str('domain'), str('pem'), str('key'));
          return json(200, {});
        case 'faults/busy':
          this.busy(str('domain') || '*', window());
          return json(200, {});
        case 'faults/throttle':
          this.throttle({ ...window(), retryAfterMs: num('retryAfterMs') });
          return json(200, {});
        case 'faults/rate-limit':
          this.rateLimit(num('perSecond'), { action: str('action') || undefined });
          return json(200, {});
        case 'faults/latency':
          this.latency(num('ms') ?? 0);
          return json(200, {});
        case 'faults/reset':
          this.reset(window());
          return json(200, {});
        case 'faults/hang':
          this.hang(window());
          return json(200, {});
        case 'faults/html':
          this.html5xx({ ...window(), status: num('status') });
          return json(200, {});
        case 'faults/fail':
          this.failWith(str('code'), { ...window(), status: num('status'), message: str('message') || undefined });
          return json(200, {});
        case 'faults/clear':
          this.clearFaults();
          return json(200, {});
        default:
          return json(404, { error: 'not found' });
      }
    } catch (err) {
      return json(400, { error: err instanceof Error ? err.message : String(err) });
    }
  }
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  if (res.destroyed || res.writableEnded) return;
  res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) reject(new Error('body too large'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function isForm(req: IncomingMessage): boolean {
  return headerString(req, 'content-type').startsWith('application/x-www-form-urlencoded');
}

function headerString(req: IncomingMessage, name: string): string {
  const value = req.headers[name];
  return Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
}

/** What a load balancer in front of the API answers with: not JSON. */
function htmlPage(status: number): string {
  const title = `${status} ${http.STATUS_CODES[status] ?? 'Error'}`;
  return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>Tengine</center>\r\n</body>\r\n</html>\r\n`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
