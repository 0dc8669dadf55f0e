// Where the SDK sends requests and through which connection pool.
//
// The SDK builds the URL as `profile.httpProfile.protocol + endpoint + '/'`
// and derives the signature's service name from the endpoint's first label
// (`teo.tencentcloudapi.com` -> `teo`). An endpoint override is therefore
// split into a protocol (`https://` or `http://`) and a `host[:port]`; a
// path cannot be expressed and is refused. The host's first label must stay
// the service name (`teo.…`, `ssl.…`, as in a private-link or regional
// endpoint): Tencent Cloud checks the signature against it. Only the
// emulator accepts an IP address (it signs as service `127`).
//
// Proxies: the SDK uses `http_proxy` from the environment for every request
// (through https-proxy-agent) unless it is handed an agent, and it knows
// nothing of NO_PROXY. We keep its behaviour for the real endpoints (a
// corporate egress proxy keeps working) and hand it a direct keep-alive
// agent when there is no proxy, or when NO_PROXY (or a loopback address)
// exempts the host. Keep-alive matters in a mass renewal: hundreds of calls
// reuse a few TLS connections instead of a handshake each.
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';

export interface Endpoint {
  /** `https://` or `http://`, as the SDK's httpProfile.protocol wants it. */
  protocol: 'https://' | 'http://';
  /** `host[:port]`, as the SDK's httpProfile.endpoint wants it. */
  host: string;
}

/**
 * `value` (a URL such as `http://127.0.0.1:8080`, or a bare host name) as an
 * Endpoint, or `fallbackHost` over HTTPS when unset.
 */
export function parseEndpoint(value: string | undefined, fallbackHost: string, setting: string): Endpoint {
  if (value === undefined || value.trim() === '') return { protocol: 'https://', host: fallbackHost };
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value.trim() : `https://${value.trim()}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`${setting} is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`${setting} must be an http:// or https:// URL`);
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '' || url.username !== '') {
    throw new Error(`${setting} must be scheme://host[:port] without path, query or credentials`);
  }
  return { protocol: url.protocol === 'http:' ? 'http://' : 'https://', host: url.host };
}

/** One pair of keep-alive pools per driver, shared by every account. */
export class Agents {
  readonly http = new HttpAgent({ keepAlive: true, maxSockets: 32 });
  readonly https = new HttpsAgent({ keepAlive: true, maxSockets: 32 });
  readonly #env: Readonly<Record<string, string | undefined>>;

  /** `env`: the proxy variables (http_proxy, no_proxy) the SDK will also read; main.ts passes the process's. */
  constructor(env: Readonly<Record<string, string | undefined>> = {}) {
    this.#env = env;
  }

  /**
   * The agent to hand the SDK for `endpoint`, or undefined to let the SDK
   * route through `http_proxy` itself.
   */
  for(endpoint: Endpoint, env: Readonly<Record<string, string | undefined>> = this.#env): HttpAgent | undefined {
    const proxy = env.http_proxy;
    if (proxy && !bypassesProxy(hostname(endpoint.host), env.no_proxy ?? env.NO_PROXY ?? '')) return undefined;
    return endpoint.protocol === 'http://' ? this.http : this.https;
  }

  destroy(): void {
    this.http.destroy();
    this.https.destroy();
  }
}

function hostname(host: string): string {
  return new URL(`http://${host}`).hostname.replace(/^\[|\]$/g, '').toLowerCase();
}

/** NO_PROXY as curl reads it: `*`, or comma/space separated host names matching the host or a parent domain. */
export function bypassesProxy(host: string, noProxy: string): boolean {
  if (host === 'localhost' || host === '::1' || /^127\./.test(host)) return true;
  for (const raw of noProxy.split(/[\s,]+/)) {
    let entry = raw.trim().toLowerCase().replace(/^\*?\./, '');
    if (entry.split(':').length === 2) entry = entry.replace(/:\d+$/, ''); // host:port, not an IPv6 address
    if (entry === '') continue;
    if (entry === '*' || host === entry || host.endsWith(`.${entry}`)) return true;
  }
  return false;
}
