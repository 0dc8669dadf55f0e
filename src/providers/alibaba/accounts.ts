// One SDK client per set of credentials, shared by every binding that uses
// them, so their calls share one connection pool and one set of rate limits.
import { createHash } from 'node:crypto';
import { AmbientCredential, createCdnClient, type CdnEndpoint, type StaticCredentials } from './client.ts';
import { CdnApi, type CdnApiInit } from './api.ts';

/** Everything a CdnApi needs besides the client and the account. */
export type SharedApiInit = Omit<CdnApiInit, 'client' | 'account' | 'credentialSecrets'>;

/** Enough for every credentials Secret of a cluster; the oldest entry goes first (rotated STS tokens). */
const MAX_ACCOUNTS = 256;
const AMBIENT = 'ambient';

export class AccountPool {
  readonly #endpoint: CdnEndpoint;
  readonly #shared: SharedApiInit;
  readonly #apis = new Map<string, CdnApi>();

  constructor(endpoint: CdnEndpoint, shared: SharedApiInit) {
    this.#endpoint = endpoint;
    this.#shared = shared;
  }

  /** The API for static credentials. Rate limits are per accessKeyId: the closest thing to the account we can see. */
  forStatic(credentials: StaticCredentials): CdnApi {
    // The secret is part of the cache key (hashed), so new secrets under the same id never reuse a stale client.
    const digest = createHash('sha256')
      .update(`${credentials.accessKeySecret}\u0000${credentials.securityToken ?? ''}`)
      .digest('hex');
    const key = `${credentials.accessKeyId}\u0000${digest}`;
    const secrets = [credentials.accessKeySecret, credentials.securityToken].filter((s): s is string => !!s);
    return this.#get(key, () => this.#build(credentials, credentials.accessKeyId, () => secrets));
  }

  /** The API for the pod's ambient identity (one per driver). */
  forAmbient(): CdnApi {
    return this.#get(AMBIENT, () => {
      const credential = new AmbientCredential();
      return this.#build(credential, AMBIENT, () => credential.secrets());
    });
  }

  #build(credentials: StaticCredentials | AmbientCredential, account: string, credentialSecrets: () => readonly string[]): CdnApi {
    const client = createCdnClient({ endpoint: this.#endpoint, credentials, timeoutMs: this.#shared.timeoutMs });
    return new CdnApi({ ...this.#shared, client, account, credentialSecrets });
  }

  #get(key: string, build: () => CdnApi): CdnApi {
    let api = this.#apis.get(key);
    if (!api) {
      api = build();
      this.#apis.set(key, api);
      if (this.#apis.size > MAX_ACCOUNTS) {
        const oldest = this.#apis.keys().next().value;
        if (oldest !== undefined && oldest !== key) this.#apis.delete(oldest);
      }
    }
    return api;
  }
}
